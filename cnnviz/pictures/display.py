"""Arrays made ready for a browser: 8-bit pixels, fast PNG bytes, thumbnails and crisp zooms.

The pages send every large picture as a PNG (see :mod:`~cnnviz.pictures.figures` for why); this
module
makes those PNGs quickly and keeps small pictures sharp when they are enlarged. It also draws
the few things the Convolution page overlays on a picture (the kernel's window and a feature map
that fills in cell by cell while the window slides) and the Pooling page's shift comparison as
one picture.

Letters used in shapes: ``H, W`` image height and width, ``h, w`` crop height and width.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

from cnnviz.pictures.figures import (
    ColorScale,
    Legend,
    Panel,
    PanelGrid,
    colorize,
    panel_grid,
    scale_for,
)

if TYPE_CHECKING:  # for the annotation only: drawing needs nothing else from the module
    from cnnviz.maths.invariance import ShiftComparison

__all__ = [
    "crop",
    "grid_html",
    "is_drawing",
    "jpeg_bytes",
    "outline",
    "picture_bytes",
    "png_bytes",
    "reveal",
    "robust_scale",
    "shift_grid",
    "side_by_side",
    "thumbnail",
    "to_uint8",
    "upscale_factor",
    "zoom",
]

#: The colour of the kernel-window outline: the same amber the Plotly figures use.
WINDOW_COLOR = (255, 191, 0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Turn an image with values in [0, 1] into 8-bit pixels (values outside are clipped).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3)

    Returns
    -------
    ndarray of uint8, same shape

    Examples
    --------
    >>> to_uint8(np.array([[0.0, 0.5, 1.0, 2.0]]))
    array([[  0, 128, 255, 255]], dtype=uint8)
    """
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def png_bytes(image: np.ndarray, *, compress_level: int = 1) -> bytes:
    """Encode an 8-bit image as PNG, fast.

    A low ``compress_level`` (0–9) makes files a little larger but encodes several times faster
    than Pillow's default, which matters when a 1024×1024 map is re-sent on every change.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3), RGB order

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> png_bytes(np.zeros((2, 2), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    image = _checked_uint8(image)
    bgr = image[:, :, ::-1] if image.ndim == 3 else image  # OpenCV stores colour as BGR
    params = [cv2.IMWRITE_PNG_COMPRESSION, int(compress_level)]
    ok, encoded = cv2.imencode(".png", bgr, params)
    if not ok:  # pragma: no cover - OpenCV reports no reason
        raise ValueError("The image could not be encoded as PNG.")
    return encoded.tobytes()


def jpeg_bytes(image: np.ndarray, *, quality: int = 95) -> bytes:
    """Encode an 8-bit image as a high-quality JPEG, without colour subsampling.

    Full-resolution colour (4:4:4) keeps thin red and blue edges sharp; at quality 95 a
    colour-mapped 1024×1024 map looks the same as the PNG, is a third of its size and encodes
    about ten times faster. Pillow encodes it (libjpeg-turbo) in 6 ms, OpenCV in 8.

    Examples
    --------
    >>> jpeg_bytes(np.zeros((8, 8, 3), np.uint8))[:3]
    b'\xff\xd8\xff'
    """
    buffer = io.BytesIO()
    Image.fromarray(_checked_uint8(image)).save(buffer, "JPEG", quality=int(quality), subsampling=0)
    return buffer.getvalue()


#: Pictures with more pixels than this travel as JPEG, smaller ones as PNG.
PNG_LIMIT = 512 * 512


def picture_bytes(image: np.ndarray) -> bytes:
    """The bytes to send a picture to the browser in: exact PNG when small, fast JPEG when big.

    Small pictures are enlarged cells whose edges must stay crisp, and they encode quickly
    either way; a big map or photo encodes ten times faster as JPEG (see :func:`jpeg_bytes`).
    Exact values are never read from these pictures: the pages show them as numbers.

    Examples
    --------
    >>> small, big = np.zeros((8, 8), np.uint8), np.zeros((1024, 1024), np.uint8)
    >>> picture_bytes(small)[1:4], picture_bytes(big)[:2]
    (b'PNG', b'\xff\xd8')
    """
    image = _checked_uint8(image)
    if image.shape[0] * image.shape[1] <= PNG_LIMIT:
        return png_bytes(image)
    return jpeg_bytes(image)


def _checked_uint8(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(
            f"`image` must be a 2-D or 3-D uint8 array. Received: dtype={image.dtype}, "
            f"shape={image.shape}."
        )
    return image


def robust_scale(array: np.ndarray, percentile: float = 99.5) -> ColorScale:
    """A colour scale that ignores the most extreme ``100 − percentile`` % of the values.

    On photos, a few pixels (noise, a sharp corner) can be ten times stronger than every other
    response, and a min-to-max scale then paints nearly the whole map white. This scale ends
    at the ``percentile``-th value instead; stronger cells get the end colour. Like
    :func:`cnnviz.pictures.figures.scale_for`, signed maps get a diverging scale centred on zero.

    Parameters
    ----------
    array : ndarray, shape (H, W)
    percentile : float
        In (0, 100]; 100 gives the full range.

    Returns
    -------
    ColorScale

    Examples
    --------
    >>> x = np.concatenate([np.linspace(-1, 1, 999), [50.0]])
    >>> scale_for(x)
    ColorScale(RdBu_r, -50 … 50)
    >>> robust_scale(x)  # the 99.5th percentile of |x|: the outlier no longer sets the range
    ColorScale(RdBu_r, -0.996 … 0.996)
    """
    array = np.asarray(array, dtype=np.float32)
    full = scale_for(array)
    if percentile >= 100:
        return full
    sample = array.ravel()[:: max(1, array.size // 250_000)]  # a quarter million values suffice
    if full.diverging:
        bound = float(np.percentile(np.abs(sample), percentile))
        return ColorScale(full.name, -bound, bound) if bound > 0 else full
    high = float(np.percentile(sample, percentile))
    return ColorScale(full.name, full.vmin, high) if high > full.vmin else full


def is_drawing(image: np.ndarray, *, max_levels: int = 32) -> bool:
    """Whether a picture is a drawing made of a few flat tones rather than a photo.

    Photos hold hundreds of brightness levels, and a few extreme cells of their feature maps
    would wash out the rest (see :func:`robust_scale`); a drawing such as the cartoon face
    holds a handful, its maps are exact, and their strongest cells are the point — so maps of
    drawings are shown on their full range.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    max_levels : int
        A drawing has at most this many distinct values (over all channels).

    Returns
    -------
    bool

    Examples
    --------
    >>> face = np.zeros((8, 8)); face[2:4, 2:6] = 1.0; face[5, 3] = 0.5
    >>> is_drawing(face)
    True
    >>> is_drawing(np.linspace(0, 1, 64).reshape(8, 8))  # 64 levels: photo-like
    False
    """
    values = np.asarray(image).ravel()
    sample = values[:: max(1, values.size // 65_536)]  # a photo shows itself in any sample
    if np.unique(sample).size > max_levels:
        return False
    return bool(np.unique(values).size <= max_levels)


def thumbnail(image: np.ndarray, size: int = 96) -> np.ndarray:
    """A square-ish preview whose longer side is ``size`` pixels, as 8-bit pixels.

    Shrinking averages pixels (no flicker); enlarging repeats them (small drawings stay crisp).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), values in [0, 1] or uint8

    Returns
    -------
    ndarray of uint8, shape (h, w) or (h, w, 3) with ``max(h, w) == size``

    Examples
    --------
    >>> thumbnail(np.zeros((64, 32)), size=96).shape
    (96, 48)
    """
    image = to_uint8(image)
    h, w = image.shape[:2]
    scale = size / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))  # OpenCV wants (width, height)
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
    return cv2.resize(image, new, interpolation=method)


def upscale_factor(shape: tuple[int, ...], min_side: int = 320, max_side: int = 2048) -> int:
    """The whole factor that enlarges a picture of ``shape`` until its shorter side is ``min_side``.

    Use one factor for pictures that must be compared at the same scale (an input and its
    feature map). The factor never makes the longer side exceed ``max_side``.

    Examples
    --------
    >>> upscale_factor((64, 64)), upscale_factor((62, 62)), upscale_factor((512, 512))
    (5, 6, 1)
    """
    h, w = shape[:2]
    factor = max(1, -(-min_side // max(1, min(h, w))))
    return int(min(factor, max(1, max_side // max(h, w))))


def zoom(image: np.ndarray, factor: int) -> np.ndarray:
    """Enlarge an image by a whole ``factor``, each pixel becoming a ``factor × factor`` block.

    Examples
    --------
    >>> zoom(np.array([[1, 2]]), 2)
    array([[1, 1, 2, 2],
           [1, 1, 2, 2]])
    """
    image = np.asarray(image)
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)  # (H·f, W·f, ...)


def crop(
    image: np.ndarray, top: int, left: int, height: int, width: int, *, fill: float = 0.0
) -> np.ndarray:
    """The ``height × width`` block of ``image`` whose top-left pixel is ``(top, left)``.

    Parts of the block outside the image (for example in a convolution's zero padding) hold
    ``fill``, so a crop always has the shape asked for.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    top, left : int
        May be negative or run past the image.

    Returns
    -------
    ndarray, shape (height, width) or (height, width, C), the dtype of ``image``

    Examples
    --------
    >>> x = np.arange(9).reshape(3, 3)
    >>> crop(x, -1, 1, 2, 3)
    array([[0, 0, 0],
           [1, 2, 0]])
    """
    image = np.asarray(image)
    out = np.full((height, width) + image.shape[2:], fill, dtype=image.dtype)
    r0, r1 = max(top, 0), min(top + height, image.shape[0])
    c0, c1 = max(left, 0), min(left + width, image.shape[1])
    if r0 < r1 and c0 < c1:
        out[r0 - top : r1 - top, c0 - left : c1 - left] = image[r0:r1, c0:c1]
    return out


def outline(
    rgb: np.ndarray,
    top: int,
    left: int,
    height: int,
    width: int,
    *,
    factor: int = 1,
    color: tuple[int, int, int] = WINDOW_COLOR,
    thickness: int = 2,
) -> np.ndarray:
    """A copy of ``rgb`` with a rectangle around the cells ``top…top+height−1, left…left+width−1``.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (H·factor, W·factor, 3)
        A picture enlarged by :func:`zoom` with ``factor``.
    top, left, height, width : int
        The rectangle in the cells of the picture before zooming (it may run past the edge).

    Examples
    --------
    >>> framed = outline(np.zeros((4, 4, 3), np.uint8), 1, 1, 2, 2, thickness=1)
    >>> framed[:, :, 0]
    array([[  0,   0,   0,   0],
           [  0, 255, 255,   0],
           [  0, 255, 255,   0],
           [  0,   0,   0,   0]], dtype=uint8)
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    if out.ndim == 2:
        out = np.repeat(out[:, :, None], 3, axis=2)
    y0, x0 = top * factor, left * factor
    y1, x1 = (top + height) * factor - 1, (left + width) * factor - 1
    cv2.rectangle(out, (x0, y0), (x1, y1), color, thickness)
    return out


def reveal(rgb: np.ndarray, count: int, *, factor: int = 1, blank=(235, 235, 235)) -> np.ndarray:
    """A copy of a zoomed map where only the first ``count`` cells, row by row, are shown.

    The other cells are painted ``blank``: the map as it looks while the kernel is still sliding.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (h·factor, w·factor, 3)
    count : int
        Cells already computed, counted row by row from the top-left.

    Examples
    --------
    >>> shown = reveal(np.zeros((2, 2, 3), np.uint8), 3)
    >>> shown[:, :, 0]
    array([[  0,   0],
           [  0, 235]], dtype=uint8)
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    rows, cols = out.shape[0] // factor, out.shape[1] // factor
    hidden = np.arange(rows * cols).reshape(rows, cols) >= count  # (h, w)
    out[zoom(hidden, factor)] = blank
    return out


def side_by_side(
    images: Sequence[np.ndarray], *, gap: int = 24, background=(255, 255, 255)
) -> np.ndarray:
    """Put RGB pictures next to each other, tops aligned, ``gap`` pixels apart, as one picture.

    One picture instead of several is one element for Streamlit and the browser to redraw.

    Parameters
    ----------
    images : sequence of ndarray of uint8, shape (h_i, w_i, 3)
    gap : int
        Pixels of ``background`` between neighbours; shorter pictures are padded below.

    Returns
    -------
    ndarray of uint8, shape (max h_i, Σ w_i + gap·(n − 1), 3)

    Examples
    --------
    >>> side_by_side([np.zeros((2, 3, 3), np.uint8), np.zeros((4, 1, 3), np.uint8)], gap=2).shape
    (4, 6, 3)
    """
    if not images or any(np.ndim(i) != 3 or np.shape(i)[2] != 3 for i in images):
        shapes = [np.shape(i) for i in images]
        raise ValueError(f"`images` must be RGB pictures, shape (h, w, 3). Received: {shapes}.")
    height = max(i.shape[0] for i in images)
    width = sum(i.shape[1] for i in images) + gap * (len(images) - 1)
    out = np.empty((height, width, 3), np.uint8)
    out[:] = background
    left = 0
    for image in images:
        out[: image.shape[0], left : left + image.shape[1]] = image
        left += image.shape[1] + gap
    return out


def grid_html(array: np.ndarray, scale: ColorScale | None = None, *, digits: int = 2) -> str:
    """A small grid of numbers on coloured cells, as an HTML table (a kernel, a window, ...).

    A table costs the browser almost nothing to draw, unlike a chart, so a page can redraw
    several of them on every change. Cell colours come from ``scale`` (the same colours as
    the maps); the text is black on light cells and white on dark ones.

    Parameters
    ----------
    array : ndarray, shape (h, w), at most 15×15 advised
    scale : ColorScale, optional
        Defaults to :func:`cnnviz.pictures.figures.scale_for` of ``array``.
    digits : int
        Decimals shown; trailing zeros are dropped.

    Returns
    -------
    str
        A ``<table>`` with row and column numbers in its margins.

    Examples
    --------
    >>> table = grid_html(np.array([[1.0, -0.5]]))
    >>> "<td" in table and "−0.5" in table and ">1<" in table
    True
    """
    array = np.asarray(array, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"`array` must be 2-D. Received: array.shape={array.shape}.")
    scale = scale or scale_for(array)
    colors = colorize(array, scale)  # (h, w, 3)
    luma = colors @ np.array([0.299, 0.587, 0.114])  # (h, w): light or dark background
    size = 13 if max(array.shape) <= 7 else 10
    cell = f"padding:4px 6px;text-align:center;font-size:{size}px;min-width:2.6em;"
    head = "padding:0 4px;font-size:10px;color:#888;font-weight:normal;"
    rows = [
        "<tr><th></th>" + "".join(f'<th style="{head}">{j}</th>' for j in range(array.shape[1]))
    ]
    for i, row in enumerate(array):
        cells = []
        for j, value in enumerate(row):
            r, g, b = (int(v) for v in colors[i, j])
            ink = "#000" if luma[i, j] > 140 else "#fff"
            text = html.escape(_short(value, digits))
            cells.append(f'<td style="{cell}background:rgb({r},{g},{b});color:{ink}">{text}</td>')
        rows.append(f'<tr><th style="{head}">{i}</th>{"".join(cells)}</tr>')
    return (
        '<table style="border-collapse:collapse;font-variant-numeric:tabular-nums;'
        f'border:none">{"".join(rows)}</table>'
    )


def shift_grid(
    comparison: ShiftComparison, scale: ColorScale, diff: ColorScale, *, side: int = 256
) -> PanelGrid:
    """A shift comparison as ONE picture: a row per stage, original | shifted | difference.

    Rows, top to bottom: the image, the feature map, the pooled map. Columns: the original,
    the shifted copy (the two share one colour bar, drawn after them) and ``shifted −
    original`` on its own bar. The image row has a note on how to read the picture where a
    difference would go. Built with :func:`cnnviz.pictures.figures.panel_grid`; titles, sizes and
    the shift are written in the picture, so it reads on its own.

    Parameters
    ----------
    comparison : ShiftComparison
        From :func:`cnnviz.maths.invariance.compare_shift`: images and feature maps of shape
        (H, W), pooled maps and their difference of shape (H_out, W_out).
    scale : ColorScale
        For the feature and pooled maps, original and shifted alike.
    diff : ColorScale
        For both difference maps; centre it on 0 so white means "unchanged".
    side : int
        Side of each map's square, in pixels.

    Returns
    -------
    PanelGrid
        ``pixels`` of shape ``(3·side + 88, 3·side + 172, 3)``; ``boxes[r][i]`` locates item
        ``i`` of row ``r``: rows 1 and 2 hold original, shifted, bar, difference, bar; row 0
        holds original, shifted, bar and the note (``None``).

    Examples
    --------
    The article's example moved one pixel right: every 8×8 map is drawn as 8-pixel cells in a
    64-pixel square, the 4×4 pooled maps as 16-pixel cells.

    >>> from cnnviz.maths.invariance import article_example
    >>> c = article_example(1, 0)
    >>> scale, diff = scale_for(c.original.feature), ColorScale("RdBu_r", -8, 8)  # gray 0 … 8
    >>> grid = shift_grid(c, scale, diff, side=64)
    >>> grid.pixels.shape
    (280, 364, 3)

    Shifted pooled cell (1, 1) holds 8, the top of the gray scale, so its 16×16 block is white;
    cell (0, 0) holds 0: black. The pooled maps are identical, so the whole pooled difference
    has the colour of 0 on the diverging scale.

    >>> top, left, _, _ = grid.boxes[2][1]  # row 2 (pooled map), item 1 (shifted)
    >>> grid.pixels[top + 16, left + 16], grid.pixels[top, left]
    (array([255, 255, 255], dtype=uint8), array([0, 0, 0], dtype=uint8))
    >>> top, left, h, w = grid.boxes[2][3]  # the pooled difference
    >>> zero = colorize(np.zeros((1, 1)), diff)[0, 0]
    >>> bool((grid.pixels[top : top + h, left : left + w] == zero).all())
    True
    """
    c = comparison
    moved = f"({c.dx}, {c.dy})"
    gray = ColorScale("gray", 0.0, 1.0)
    h, w = c.original.image.shape
    ph, pw = c.original.pooled.shape
    rows = [
        [
            Panel(f"Image {h}×{w}: original", c.original.image, gray),
            Panel(f"Image: shifted {moved}", c.shifted.image, gray),
            Legend(gray, "brightness"),
            Panel("How to read this", note=_how_to_read(c.dx, c.dy, side)),
        ],
        [
            Panel(f"Feature map {h}×{w}: original", c.original.feature, scale),
            Panel(f"Feature map: shifted {moved}", c.shifted.feature, scale),
            Legend(scale, "value"),
            Panel("Feature map: shifted − original", c.feature_difference, diff),
            Legend(diff, "change"),
        ],
        [
            Panel(f"Pooled map {ph}×{pw}: original", c.original.pooled, scale),
            Panel(f"Pooled map: shifted {moved}", c.shifted.pooled, scale),
            Legend(scale, "value"),
            Panel("Pooled map: shifted − original", c.difference, diff),
            Legend(diff, "change"),
        ],
    ]
    return panel_grid(rows, side=side)


def _how_to_read(dx: int, dy: int, side: int) -> str:
    across = f"{abs(dx)} px {'right' if dx >= 0 else 'left'}"
    down = f"{abs(dy)} px {'down' if dy >= 0 else 'up'}"
    return (
        f"The image moved {across} and {down}; black fills the uncovered edge. "
        "The two maps of a row share the colour bar after them. In the difference maps on "
        "the right: red = higher after the shift, blue = lower, white = unchanged. "
        f"Big maps are shrunk to {side} px here, so a 1-pixel move is hard to see: trust the "
        "difference maps and the numbers."
    )


def _short(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", "−")
