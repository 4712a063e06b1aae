"""Pixels moved around: the one zoom, shrinking, crops, outlines, pictures side by side, tiles.

Small pictures are enlarged by a whole factor, each pixel becoming a square block
(:func:`zoom`), because browsers smooth a small picture they stretch; big maps are averaged
down (:func:`shrink`) because a page's column is narrower than they are. The rest places
pixels: a crop that sees a convolution's padding, the kernel window's outline, a feature map
filling in while the window slides, pictures side by side, and equal tiles in a grid.

Letters used in shapes: ``H, W`` image height and width, ``h, w`` crop or tile height and
width, ``f`` a zoom factor, ``M`` tiles.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from cnnviz.pictures.encode import to_uint8

__all__ = [
    "WINDOW_COLOR",
    "cell_at",
    "crop",
    "outline",
    "reveal",
    "shrink",
    "side_by_side",
    "thumbnail",
    "tile_grid",
    "upscale",
    "upscale_factor",
    "zoom",
]

#: The colour of the kernel-window outline: the same amber the Plotly figures use.
WINDOW_COLOR = (255, 191, 0)


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


def upscale(image: np.ndarray, min_side: int = 320, max_side: int = 2048) -> np.ndarray:
    """:func:`zoom` by :func:`upscale_factor`: enlarged until the shorter side is ``min_side``.

    Browsers smooth a small picture they stretch; repeating each pixel keeps the cells sharp.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)

    Returns
    -------
    ndarray, shape (H·f, W·f) or (H·f, W·f, C)
        With ``f = upscale_factor((H, W), min_side, max_side)``.

    Examples
    --------
    >>> upscale(np.zeros((2, 3)), min_side=6).shape
    (6, 9)
    >>> upscale(np.zeros((2, 3)), min_side=6, max_side=6).shape  # the longer side caps f at 2
    (4, 6)
    """
    image = np.asarray(image)
    return zoom(image, upscale_factor(image.shape, min_side, max_side))


def shrink(array: np.ndarray, max_side: int = 640) -> np.ndarray:
    """Reduce a big map, averaging blocks of cells, until its longer side is ``max_side``.

    For showing only: a column of the page is narrower than a 1024-pixel map, so sending every
    cell buys nothing, and colour-mapping and encoding a quarter of the cells takes a quarter
    of the time. Shrink the values first, then colour them
    (:func:`~cnnviz.pictures.colour.colorize`). Maps already small enough pass unchanged.

    Parameters
    ----------
    array : ndarray, shape (H, W)

    Returns
    -------
    ndarray of float32, shape (h, w) with ``max(h, w) <= max_side``

    Examples
    --------
    >>> shrink(np.arange(16.0).reshape(4, 4), max_side=2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    >>> shrink(np.zeros((3, 5)), max_side=8).shape
    (3, 5)
    """
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"`array` must be 2-D. Received: array.shape={array.shape}.")
    h, w = array.shape
    if max(h, w) <= max_side:
        return array
    ratio = max_side / max(h, w)
    size = (max(1, round(w * ratio)), max(1, round(h * ratio)))  # OpenCV wants (width, height)
    return cv2.resize(array, size, interpolation=cv2.INTER_AREA)


def cell_at(
    point: tuple[float, float], shown: tuple[float, float], shape: tuple[int, int]
) -> tuple[int, int]:
    """The cell ``(row, col)`` of a map under a click at ``point`` on its picture.

    Parameters
    ----------
    point : (x, y)
        Where the click landed, in screen pixels from the picture's top-left corner.
    shown : (height, width)
        The picture's size on screen, in the same pixels.
    shape : (H, W)
        The map's rows and columns; the picture shows exactly this map, edge to edge.

    Returns
    -------
    (row, col) : tuple of int
        ``(⌊y·H / height⌋, ⌊x·W / width⌋)``, moved inside the map (a click on the last pixel
        or just past an edge picks the edge cell).

    Notes
    -----
    The picture was enlarged by a zoom factor ``f`` (:func:`zoom`) and then stretched or shrunk
    by the browser to ``shown``; both scale rows and columns alike, so the cell depends only on
    the click's share of the shown size: ``f`` cancels and need not be known.

    Examples
    --------
    A 4 × 4 map zoomed 5× (20 × 20 pixels), shown 40 × 40 on screen:

    >>> cell_at((25, 9), (40, 40), (4, 4))
    (0, 2)
    >>> cell_at((40, 40), (40, 40), (4, 4)), cell_at((-3, 0), (40, 40), (4, 4))
    ((3, 3), (0, 0))
    """
    (x, y), (height, width), (rows, cols) = point, shown, shape
    if not (height > 0 and width > 0 and rows >= 1 and cols >= 1):
        raise ValueError(
            "`shown` must be a positive (height, width) and `shape` at least (1, 1). "
            f"Received: shown={tuple(shown)}, shape={tuple(shape)}."
        )

    def place(at: float, size: float, n: int) -> int:
        return int(min(max(np.floor(at * n / size), 0), n - 1))

    return place(y, height, rows), place(x, width, cols)


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


def tile_grid(tiles: np.ndarray, *, cols: int, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """Lay ``M`` equal tiles out in a grid, ``cols`` per row, ``gap`` pixels of ``fill`` apart.

    Parameters
    ----------
    tiles : ndarray, shape (M, h, w) or (M, h, w, C)
    cols : int
        Tiles per row (at most ``M``); the last row is padded with ``fill``.
    gap : int
        Pixels of ``fill`` between neighbouring tiles.
    fill : float
        NaN (the default: Plotly leaves NaN cells empty) gives a float64 grid; any other value
        keeps the tiles' dtype (``fill=255`` makes white gaps between uint8 pictures).

    Returns
    -------
    ndarray, shape (rows·(h + gap) − gap, cols·(w + gap) − gap) + (C,) if given
        With ``rows = ceil(M / cols)``; tile ``m`` has its top-left pixel at
        ``((m // cols)·(h + gap), (m % cols)·(w + gap))``.

    Examples
    --------
    >>> tile_grid(np.ones((3, 2, 2)), cols=2)
    array([[ 1.,  1., nan,  1.,  1.],
           [ 1.,  1., nan,  1.,  1.],
           [nan, nan, nan, nan, nan],
           [ 1.,  1., nan, nan, nan],
           [ 1.,  1., nan, nan, nan]])
    >>> tile_grid(np.zeros((2, 1, 1, 3), np.uint8), cols=2, gap=1, fill=255)[:, :, 0]
    array([[  0, 255,   0]], dtype=uint8)
    """
    tiles = np.asarray(tiles)
    if tiles.ndim not in (3, 4) or tiles.shape[0] == 0:
        raise ValueError(
            f"`tiles` must be (M, h, w) or (M, h, w, C) with M >= 1. Received: {tiles.shape}."
        )
    dtype = np.float64 if np.isnan(fill) else tiles.dtype
    count, h, w = tiles.shape[:3]
    rest = tiles.shape[3:]  # () or (C,)
    cols = max(1, min(cols, count))
    rows = -(-count // cols)
    padded = np.full((rows * cols, h + gap, w + gap, *rest), fill, dtype=dtype)
    padded[:count, :h, :w] = tiles
    grid = padded.reshape(rows, cols, h + gap, w + gap, *rest).swapaxes(
        1, 2
    )  # (rows, h+g, cols, …)
    return grid.reshape(rows * (h + gap), cols * (w + gap), *rest)[
        : rows * (h + gap) - gap, : cols * (w + gap) - gap
    ]
