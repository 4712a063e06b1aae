"""Panels: many maps drawn as ONE picture, each under its title, with colour bars.

A page that shows many maps sends them as one image: a browser and Streamlit handle one
picture far faster than ten. :func:`panel_grid` lays out rows of titled maps and colour bars;
:func:`shift_grid` is the Pooling page's shift comparison built with it; :func:`map_grid` the
Inside page's numbered feature maps, each beside its kernel, in a :func:`tile_grid`;
:func:`vector_strip` the flattened vector, in the order Keras' ``Flatten`` read it.

Letters used in shapes: ``H, W`` a map's height and width, ``F`` maps (filters), ``k`` kernel
side, ``P = H·W`` positions, ``R`` rows of a panel grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from cnnviz.pictures.colour import ColorScale, colorize, colour_ramp, scale_ticks
from cnnviz.pictures.raster import shrink, tile_grid, zoom
from cnnviz.pictures.text import (
    NUMBER_PX,
    TEXT_PX,
    _drawable,
    _fit_text,
    _label_font,
    _paste_text,
    _text_tile,
    _wrapped,
)

if TYPE_CHECKING:  # for the annotation only: drawing needs nothing else from the module
    from cnnviz.maths.invariance import ShiftComparison

__all__ = [
    "Legend",
    "Panel",
    "PanelGrid",
    "map_grid",
    "panel_grid",
    "shift_grid",
    "vector_strip",
]


@dataclass(frozen=True, eq=False)
class Panel:
    """One square of a :func:`panel_grid`: a map painted with ``scale``, or a note in words.

    Attributes
    ----------
    title : str
        Written above the square.
    array : ndarray, shape (h, w), optional
        The map. Without it the square holds ``note``.
    scale : ColorScale, optional
        How the map's values become colours; required with ``array``.
    note : str
        Text written in the square when there is no map.
    """

    title: str
    array: np.ndarray | None = None
    scale: ColorScale | None = None
    note: str = ""


@dataclass(frozen=True)
class Legend:
    """A colour bar in a :func:`panel_grid` row, saying what the colours of ``scale`` mean."""

    scale: ColorScale
    label: str


class PanelGrid(NamedTuple):
    """A :func:`panel_grid` picture and where each map landed in it.

    ``boxes[r][i]`` is ``(top, left, height, width)``, in pixels of ``pixels``, of what item
    ``i`` of row ``r`` drew: its map, or its colour bar for a legend; ``None`` for a note.
    """

    pixels: np.ndarray
    boxes: tuple[tuple[tuple[int, int, int, int] | None, ...], ...]


#: Layout of a panel grid, in pixels: outer margin, gaps, title band; legend and bar widths,
#: the height of a line of a note. Titles are TEXT_PX (16), everything else NUMBER_PX (14):
#: readable from the back of a room where the page shows the picture at its own size.
_GRID_PAD, _GRID_GAP, _GRID_ROW_GAP, _GRID_TITLE = 2, 10, 12, 22
_LEGEND_WIDTH, _LEGEND_BAR, _NOTE_LINE = 76, 12, 18
_INK, _FRAME_GRAY, _NOTE_INK = (20, 20, 20), (190, 190, 190), (60, 60, 60)


def panel_grid(rows: Sequence[Sequence[Panel | Legend]], *, side: int = 256) -> PanelGrid:
    """Draw rows of maps, each under its title, with colour bars, as ONE picture.

    A page that shows many maps sends them as one image: a browser and Streamlit handle one
    picture far faster than ten. Each map is shrunk (block averages, see :func:`shrink`) or
    enlarged by a whole factor (crisp cells) to fit a ``side × side`` square, centred, and
    coloured with :func:`colorize`; a thin gray frame marks the square's edge, so a mostly
    white map still shows where it ends. A :class:`Legend` is a colour bar as tall as the
    squares, with five ticks, placed where it stands in its row (put it after the maps it
    explains).

    Parameters
    ----------
    rows : sequence of R sequences of Panel or Legend
        Items left to right; rows may have different lengths.
    side : int
        Side of each square in pixels, at least 16.

    Returns
    -------
    PanelGrid
        ``pixels`` : ndarray of uint8, shape (H, W, 3) with
        ``H = 2·2 + R·(22 + side) + (R − 1)·12`` and ``W = 2·2 + `` the widest row, a row
        being ``side`` per panel and 76 per legend with 10 between items.  Three 256-pixel
        panels and two legends make 964 pixels: the page's width on a 1400-pixel screen.
        ``boxes`` : where each map landed, see :class:`PanelGrid`.

    Raises
    ------
    ValueError
        An empty grid, an item that is neither a Panel nor a Legend, a map without a scale,
        a map that is not 2-D, or a side below 16.

    Examples
    --------
    A 4×4 map fits a 32-pixel square as 8×8 blocks, one per cell; a colour bar follows:

    >>> from cnnviz.pictures import scale_for
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> scale = scale_for(x)  # gray, black at 0, white at 15
    >>> grid = panel_grid([[Panel("x", x, scale), Legend(scale, "value")]], side=32)
    >>> grid.pixels.shape  # (4 + 22 + 32, 4 + 32 + 10 + 76, 3)
    (58, 122, 3)
    >>> top, left, h, w = grid.boxes[0][0]
    >>> (top, left, h, w)
    (24, 2, 32, 32)

    Cell (0, 0) holds 0, the bottom of the scale: its whole 8×8 block is black. Cell (3, 3)
    holds 15, the top: white.

    >>> int(grid.pixels[top : top + 8, left : left + 8].max())
    0
    >>> grid.pixels[top + h - 1, left + w - 1]
    array([255, 255, 255], dtype=uint8)
    >>> np.array_equal(grid.pixels[top : top + h, left : left + w], zoom(colorize(x, scale), 8))
    True

    A 64×64 map is averaged down to 32×32 instead (each pixel shows a 2×2 block):

    >>> big = np.kron(x, np.ones((16, 16)))
    >>> panel_grid([[Panel("big", big, scale)]], side=32).boxes
    (((24, 2, 32, 32),),)
    """
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 16:
        raise ValueError(f"`side` must be a whole number of pixels >= 16. Received: side={side!r}.")
    rows = [list(row) for row in rows]
    if not rows or not all(rows):
        raise ValueError("`rows` must hold at least one row, and every row at least one item.")
    for row in rows:
        for item in row:
            _check_item(item)

    def item_width(item: Panel | Legend) -> int:
        return side if isinstance(item, Panel) else _LEGEND_WIDTH

    widths = [sum(map(item_width, row)) + _GRID_GAP * (len(row) - 1) for row in rows]
    height = 2 * _GRID_PAD + len(rows) * (_GRID_TITLE + side) + (len(rows) - 1) * _GRID_ROW_GAP
    canvas = np.full((height, 2 * _GRID_PAD + max(widths), 3), 255, np.uint8)  # (H, W, 3)
    boxes = []
    top = _GRID_PAD
    for row in rows:
        left, row_boxes, square = _GRID_PAD, [], top + _GRID_TITLE  # square: maps' top edge
        for item in row:
            box = None
            if isinstance(item, Legend):
                _text(canvas, item.label, top + 3, left, size=NUMBER_PX, width=_LEGEND_WIDTH)
                box = (square, left, side, _LEGEND_BAR)
                _paste(canvas, colour_ramp(item.scale, side, _LEGEND_BAR), box)
                _legend_ticks(canvas, item.scale, box)
            else:
                _text(canvas, item.title, top + 2, left, size=TEXT_PX, width=side)
                if item.array is None:
                    _note(canvas, item.note, square, left, side)
                else:
                    shown = _fit_map(item.array, item.scale, side)  # (h, w, 3), h, w <= side
                    h, w = shown.shape[:2]
                    box = (square + (side - h) // 2, left + (side - w) // 2, h, w)
                    _paste(canvas, shown, box)
            row_boxes.append(box)
            left += item_width(item) + _GRID_GAP
        boxes.append(tuple(row_boxes))
        top += _GRID_TITLE + side + _GRID_ROW_GAP
    return PanelGrid(canvas, tuple(boxes))


def _check_item(item) -> None:
    if isinstance(item, Legend):
        return
    if not isinstance(item, Panel):
        raise ValueError(
            f"Every item of `rows` must be a Panel or a Legend. Received: {type(item).__name__}."
        )
    if item.array is not None:
        if item.scale is None:
            raise ValueError(f"Panel {item.title!r} has a map but no `scale`: give it one.")
        if np.ndim(item.array) != 2:
            raise ValueError(
                f"Panel {item.title!r}: the map must be 2-D. Received: shape "
                f"{np.shape(item.array)}."
            )


def _fit_map(array: np.ndarray, scale: ColorScale, side: int) -> np.ndarray:
    """``array`` coloured and sized to fit a ``side`` square: averaged down or zoomed up."""
    shown = colorize(shrink(array, side), scale)  # shrink first: fewer cells to colour
    return zoom(shown, max(1, side // max(shown.shape[:2])))  # (h·f, w·f, 3)


def _paste(canvas: np.ndarray, pixels: np.ndarray, box) -> None:
    """``pixels`` into ``box`` = (top, left, h, w) of ``canvas``, inside a thin gray frame."""
    top, left, h, w = box
    canvas[top : top + h, left : left + w] = pixels
    canvas[[top - 1, top + h], left - 1 : left + w + 1] = _FRAME_GRAY  # top and bottom edges
    canvas[top : top + h, [left - 1, left + w]] = _FRAME_GRAY  # left and right edges


def _legend_ticks(canvas: np.ndarray, scale: ColorScale, bar) -> None:
    """Five ticks at the bar's right edge, each with its value, from vmax (top) to vmin."""
    top, left, side, _ = bar
    x = left + _LEGEND_BAR + 1
    for frac, text in scale_ticks(scale):
        y = top + round(frac * (side - 1))
        canvas[y, x : x + 3] = _INK
        tile = _text_tile(_drawable(text), NUMBER_PX, _INK)
        y_text = min(max(y - tile.shape[0] // 2 - 2, top - 6), top + side - tile.shape[0] + 2)
        _paste_text(canvas, tile, y_text, x + 5)


def _note(canvas: np.ndarray, note: str, top: int, left: int, side: int) -> None:
    """``note`` wrapped to the square's width; lines that do not fit end in an ellipsis."""
    lines = list(_wrapped(_drawable(note), NUMBER_PX, side - 8))
    room = max(1, (side - 4) // _NOTE_LINE)
    if len(lines) > room:
        lines = [*lines[: room - 1], _fit_text(lines[room - 1] + " …", NUMBER_PX, side - 8)]
    for i, line in enumerate(lines):
        tile = _text_tile(line, NUMBER_PX, _NOTE_INK)
        _paste_text(canvas, tile, top + 4 + _NOTE_LINE * i, left + 4)


def _text(canvas, text: str, top: int, left: int, *, size: int, width=None, ink=None) -> None:
    """Write ``text`` with its top-left corner at ``(top, left)``, cut to ``width`` pixels."""
    text = _drawable(text)
    if width is not None:
        text = _fit_text(text, size, width)
    _paste_text(canvas, _text_tile(text, size, ink or _INK), top, left)


# --- the Pooling page's shift comparison ----------------------------------------------------


def shift_grid(
    comparison: ShiftComparison, scale: ColorScale, diff: ColorScale, *, side: int = 256
) -> PanelGrid:
    """A shift comparison as ONE picture: a row per stage, original | shifted | difference.

    Rows, top to bottom: the image, the feature map, the pooled map. Columns: the original,
    the shifted copy (the two share one colour bar, drawn after them) and ``shifted −
    original`` on its own bar. The image row has a note on how to read the picture where a
    difference would go. Built with :func:`panel_grid`; titles, sizes and
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
        ``pixels`` of shape ``(3·side + 94, 3·side + 196, 3)``; ``boxes[r][i]`` locates item
        ``i`` of row ``r``: rows 1 and 2 hold original, shifted, bar, difference, bar; row 0
        holds original, shifted, bar and the note (``None``).

    Examples
    --------
    The article's example moved one pixel right: every 8×8 map is drawn as 8-pixel cells in a
    64-pixel square, the 4×4 pooled maps as 16-pixel cells.

    >>> from cnnviz.maths.invariance import article_example
    >>> from cnnviz.pictures import scale_for
    >>> c = article_example(1, 0)
    >>> scale, diff = scale_for(c.original.feature), ColorScale("RdBu_r", -8, 8)  # gray 0 … 8
    >>> grid = shift_grid(c, scale, diff, side=64)
    >>> grid.pixels.shape
    (286, 388, 3)

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


# --- the Inside page: feature maps and the flattened vector ---------------------------------

_FRAME = (170, 170, 170)
_GAP = 10  # pixels between tiles


def map_grid(
    maps: np.ndarray,
    scale: ColorScale,
    *,
    kernels: np.ndarray | None = None,
    kernel_scale: ColorScale | None = None,
    cols: int = 8,
    tile: int = 80,
    first: int = 1,
    number_px: int = NUMBER_PX,
) -> np.ndarray:
    """Feature maps side by side, each numbered, each with its kernel to its left if given.

    Parameters
    ----------
    maps : ndarray, shape (H, W, F)
        One map per filter, channels last as Keras returns them.
    scale : ColorScale
        One colour scale for every map, so that they can be compared.
    kernels : ndarray, shape (F, k, k), optional
        The kernel that made each map (the first conv layer's, which touch the pixels).
    kernel_scale : ColorScale, optional
        For the kernels; needed when ``kernels`` is given.
    cols : int
        Tiles per row.
    tile : int
        About this many pixels for the longer side of each map (a whole zoom factor is used).
    first : int
        The number written over the first map.
    number_px : int
        Type size of the numbers, in pixels of the picture: 14 where the page shows the
        picture at its own size, more where it is shown smaller.

    Returns
    -------
    ndarray of uint8, shape (rows·(b + h + 10) − 10, cols·(w_t + 10) − 10, 3)
        With ``b = number_px + 4`` the band of each tile's number, ``h = H·z`` and ``w_t``
        the tile's width (kernel, 4-pixel gap, map): white background, a grey frame around
        every map and kernel.

    Examples
    --------
        >>> from cnnviz.pictures import scale_for
    >>> maps = np.zeros((4, 4, 3))
    >>> map_grid(maps, scale_for(maps), cols=2, tile=8).shape
    (62, 26, 3)
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"`maps` must be (H, W, F). Received: maps.shape={maps.shape}.")
    h, w, count = maps.shape
    band = number_px + 4  # above each tile, for its number
    factor = max(1, round(tile / max(h, w)))
    map_h, map_w = h * factor, w * factor
    kernel_side = kernel_factor = 0
    if kernels is not None:
        kernels = np.asarray(kernels, dtype=np.float32)
        square = kernels.ndim == 3 and kernels.shape[1] == kernels.shape[2]
        if not square or kernels.shape[0] != count or kernel_scale is None:
            raise ValueError(
                "`kernels` must be (F, k, k), one square kernel per map, and `kernel_scale` given. "
                f"Received: kernels.shape={kernels.shape}, maps.shape={maps.shape}."
            )
        kernel_factor = max(1, round(0.4 * map_h / kernels.shape[1]))
        kernel_side = kernels.shape[1] * kernel_factor + 4
    cell_w, cell_h = kernel_side + map_w, band + map_h
    tiles = np.full((count, cell_h, cell_w, 3), 255, np.uint8)  # (F, b + h, w_t, 3)
    kernel_boxes = []  # (top, height, width) of each kernel in its tile
    for f in range(count):
        if kernels is not None:
            kernel = zoom(colorize(kernels[f], kernel_scale), kernel_factor)  # (k·z, k·z, 3)
            ky = band + (map_h - kernel.shape[0]) // 2
            tiles[f, ky : ky + kernel.shape[0], : kernel.shape[1]] = kernel
            kernel_boxes.append((ky, *kernel.shape[:2]))
        tiles[f, band:, kernel_side:] = zoom(colorize(maps[:, :, f], scale), factor)
    cols = max(1, min(cols, count))
    canvas = Image.fromarray(tile_grid(tiles, cols=cols, gap=_GAP, fill=255))
    draw = ImageDraw.Draw(canvas)  # each tile's number, and frames reaching into the gaps
    font = _label_font(number_px)
    for f in range(count):
        x0, y0 = (f % cols) * (cell_w + _GAP), (f // cols) * (cell_h + _GAP)
        draw.text((x0, y0), str(first + f), fill="black", font=font)
        if kernels is not None:
            ky, kh, kw = kernel_boxes[f]
            _frame(draw, x0, y0 + ky, kw, kh)
        _frame(draw, x0 + kernel_side, y0 + band, map_w, map_h)
    return np.asarray(canvas)


def vector_strip(
    flat: np.ndarray, channels: int, scale: ColorScale, *, max_width: int = 1300
) -> np.ndarray:
    """A flattened vector drawn as Flatten read it: one column per position, one row per map.

    Keras' ``Flatten`` reads ``(H, W, F)`` maps row by row and, at each position, all ``F``
    maps one after another. Cutting the vector into pieces of ``F`` and standing them up as
    columns shows that order: column ``p`` holds position ``p``'s ``F`` values.

    Parameters
    ----------
    flat : ndarray, shape (P·F,)
    channels : int
        ``F``, the number of maps that were flattened.
    scale : ColorScale
    max_width : int
        The picture is enlarged by a whole factor up to this width (at least 1).

    Returns
    -------
    ndarray of uint8, shape (F·z, P·z, 3)

    Examples
    --------
        >>> from cnnviz.pictures import scale_for
    >>> vector_strip(np.arange(6.0), 2, scale_for(np.arange(6.0)), max_width=12).shape
    (8, 12, 3)
    """
    flat = np.asarray(flat, dtype=np.float32)
    if flat.ndim != 1 or channels < 1 or flat.size % channels:
        raise ValueError(
            f"`flat` must be 1-D with a length that `channels` divides. "
            f"Received: length {flat.size}, channels={channels}."
        )
    columns = flat.reshape(-1, channels).T  # (F, P): column p = position p's F values
    factor = max(1, min(4, max_width // columns.shape[1]))
    return zoom(colorize(columns, scale), factor)


def _frame(draw: ImageDraw.ImageDraw, x: int, y: int, w: int, h: int) -> None:
    draw.rectangle([x - 1, y - 1, x + w, y + h], outline=_FRAME)
