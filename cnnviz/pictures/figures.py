"""Pictures of arrays: colour scales, colour-mapped images, colour bars and small Plotly heatmaps.

Large maps travel to the browser as images (a PNG is a few hundred kB, the same map as Plotly
JSON is tens of MB and takes seconds to draw); small maps become Plotly heatmaps whose hover
shows the exact value of every cell. Both use the same :class:`ColorScale`, so a picture and
its colour bar always agree.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont
from plotly.colors import get_colorscale, sample_colorscale

__all__ = [
    "HOVER_LIMIT",
    "ColorScale",
    "Legend",
    "Panel",
    "PanelGrid",
    "colorbar_image",
    "colorize",
    "heatmap_figure",
    "number_grid_figure",
    "shift_change_figure",
    "panel_grid",
    "scale_for",
    "shrink",
    "upscale",
]

#: Maps with at most this many cells are drawn as Plotly heatmaps with exact hover values.
HOVER_LIMIT = 64 * 64
SEQUENTIAL = "gray"  # linear black-to-white: brightness reads as value
DIVERGING = "RdBu_r"  # blue for negative, white for zero, red for positive
_SCALES = {
    SEQUENTIAL: [[0.0, "rgb(0, 0, 0)"], [1.0, "rgb(255, 255, 255)"]],
    DIVERGING: get_colorscale(DIVERGING),
}


@dataclass(frozen=True)
class ColorScale:
    """How values map to colours: a Plotly colour scale name and the value range it spans."""

    name: str
    vmin: float
    vmax: float

    @property
    def diverging(self) -> bool:
        return self.name == DIVERGING

    def __repr__(self) -> str:
        return f"ColorScale({self.name}, {self.vmin:.4g} … {self.vmax:.4g})"


def scale_for(*arrays: np.ndarray, signed: bool | None = None) -> ColorScale:
    """Choose one colour scale for all ``arrays`` so they are drawn comparably.

    Signed data (anything below zero) gets a diverging scale centred on zero, so that white
    means 0, red positive and blue negative; non-negative data gets a gray scale from its
    minimum (black) to its maximum (white).

    Examples
    --------
    >>> scale_for(np.array([[-2.0, 1.0]]))
    ColorScale(RdBu_r, -2 … 2)
    >>> scale_for(np.array([[0.0, 0.5]]))
    ColorScale(gray, 0 … 0.5)
    """
    low = min(float(np.min(a)) for a in arrays)
    high = max(float(np.max(a)) for a in arrays)
    if signed is None:
        signed = low < 0
    if signed:
        bound = max(abs(low), abs(high)) or 1.0
        return ColorScale(DIVERGING, -bound, bound)
    if high <= low:
        high = low + 1.0
    return ColorScale(SEQUENTIAL, low, high)


@functools.lru_cache(maxsize=8)
def _lut(name: str) -> np.ndarray:
    colors = sample_colorscale(_SCALES[name], np.linspace(0, 1, 256), colortype="tuple")
    return np.round(np.array(colors) * 255).astype(np.uint8)  # (256, 3)


def colorize(array: np.ndarray, scale: ColorScale) -> np.ndarray:
    """Colour-map a 2-D array to RGB bytes with ``scale`` (values outside are clipped).

    Parameters
    ----------
    array : ndarray, shape (H, W)
    scale : ColorScale

    Returns
    -------
    ndarray of uint8, shape (H, W, 3)

    Examples
    --------
    >>> colorize(np.array([[0.0, 1.0]]), ColorScale("gray", 0, 1)).tolist()
    [[[0, 0, 0], [255, 255, 255]]]
    """
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"`array` must be 2-D. Received: array.shape={array.shape}.")
    span = scale.vmax - scale.vmin or 1.0
    index = np.subtract(array, scale.vmin, dtype=np.float32)  # one buffer, reused in place
    np.multiply(index, 255.0 / span, out=index)
    np.clip(index, 0, 255, out=index)
    index = index.astype(np.uint8)
    if index.size == 0:  # OpenCV refuses empty pictures
        return np.zeros((*index.shape, 3), np.uint8)
    # OpenCV's table lookup is twice as fast as NumPy's take on a 1024 × 1024 map.
    return cv2.LUT(cv2.merge([index, index, index]), _lut(scale.name).reshape(256, 1, 3))


def upscale(image: np.ndarray, min_side: int = 320) -> np.ndarray:
    """Enlarge a small image by a whole factor, pixel by pixel, so browsers show crisp cells.

    Browsers smooth a small picture they stretch; repeating each pixel keeps the cells sharp.

    >>> upscale(np.zeros((2, 3)), min_side=6).shape
    (6, 9)
    """
    image = np.asarray(image)
    factor = max(1, -(-min_side // max(1, min(image.shape[:2]))))
    factor = min(factor, max(1, 2048 // max(image.shape[:2])))
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def shrink(array: np.ndarray, max_side: int = 640) -> np.ndarray:
    """Reduce a big map, averaging blocks of cells, until its longer side is ``max_side``.

    For showing only: a column of the page is narrower than a 1024-pixel map, so sending every
    cell buys nothing, and colour-mapping and encoding a quarter of the cells is ~4× faster.
    Shrink the values first, then :func:`colorize`. Maps already small enough pass unchanged.

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


def colorbar_image(scale: ColorScale, *, height: int = 256, label: str = "value") -> np.ndarray:
    """A vertical colour bar with tick labels, as an RGB image to show beside a map.

    Returns
    -------
    ndarray of uint8, shape (height, 110, 3)
    """
    bar_w, width, top, bottom = 18, 110, 22, 8
    ramp = np.linspace(scale.vmax, scale.vmin, height - top - bottom)[:, None]
    colors = colorize(np.repeat(ramp, bar_w, axis=1), scale)
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(Image.fromarray(colors), (4, top))
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 2), label[:16], fill="black", font=_font(12))
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        value = scale.vmax - frac * (scale.vmax - scale.vmin)
        y = top + frac * (height - top - bottom - 1)
        draw.line([(4 + bar_w, y), (8 + bar_w, y)], fill="black")
        draw.text((11 + bar_w, y - 7), f"{value:.3g}", fill="black", font=_font(12))
    return np.asarray(canvas)


@functools.lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size)


def heatmap_figure(
    array: np.ndarray,
    scale: ColorScale,
    *,
    title: str = "",
    colorbar_title: str = "value",
    height: int = 360,
    highlight: tuple[int, int, int, int] | None = None,
) -> go.Figure:
    """A Plotly heatmap of a small 2-D map whose hover shows each cell's row, column and value.

    Parameters
    ----------
    array : ndarray, shape (H, W), with ``H * W <= HOVER_LIMIT`` advised
    scale : ColorScale
    highlight : (top, left, height, width), optional
        A rectangle drawn over these cells (for example the kernel's current window).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    array = np.asarray(array, dtype=np.float32)
    trace = go.Heatmap(
        z=array,
        colorscale=_SCALES[scale.name],
        zmin=scale.vmin,
        zmax=scale.vmax,
        colorbar={"title": {"text": colorbar_title}, "thickness": 14},
        hovertemplate="row %{y}, col %{x}<br>value %{z:.4g}<extra></extra>",
    )
    return go.Figure(trace, _image_layout(title, height, highlight=highlight))


def number_grid_figure(
    array: np.ndarray,
    *,
    title: str = "",
    scale: ColorScale | None = None,
    digits: int = 2,
    height: int = 240,
    origin: tuple[int, int] | None = None,
    highlight: tuple[int, int, int, int] | None = None,
) -> go.Figure:
    """A small grid of numbers on coloured cells (a kernel, a window, their products).

    Parameters
    ----------
    array : ndarray, shape (h, w), at most 15×15
    origin : (row, col), optional
        Label the rows and columns from these coordinates (where the grid sits in a bigger
        map) instead of from 0.
    highlight : (top, left, height, width), optional
        A rectangle drawn over these cells of the grid (0-based, whatever ``origin`` is).
    """
    array = np.asarray(array, dtype=np.float64)
    scale = scale or scale_for(array)
    text = np.vectorize(lambda v: f"{v:.{digits}f}".rstrip("0").rstrip(".") or "0")(array)
    trace = go.Heatmap(
        z=array,
        text=text,
        texttemplate="%{text}",
        textfont={"size": 13 if max(array.shape) <= 7 else 9},
        colorscale=_SCALES[scale.name],
        zmin=scale.vmin,
        zmax=scale.vmax,
        showscale=False,
        hovertemplate="row %{y}, col %{x}: %{z:.6g}<extra></extra>",
    )
    layout = _image_layout(title, height, highlight=highlight, width=4)
    if origin is not None:
        for axis, start, n in (
            ("yaxis", origin[0], array.shape[0]),
            ("xaxis", origin[1], array.shape[1]),
        ):
            layout[axis].update(
                tickmode="array",
                tickvals=list(range(n)),
                ticktext=[str(start + i) for i in range(n)],
            )
    return go.Figure(trace, layout)


def shift_change_figure(shifts, change: np.ndarray, *, height: int = 380) -> go.Figure:
    """How much stacked conv → ReLU → 2×2 max-pool stages change when the image moves.

    Parameters
    ----------
    shifts : sequence of int, length S
        Shifts of the image along x, in pixels.
    change : ndarray, shape (stages, S)
        ``change[s, i]``: 1 − cosine similarity of the outputs after ``s + 1`` stages for the
        original and the image shifted by ``shifts[i]`` (see :mod:`cnnviz.maths.invariance`).

    Returns
    -------
    plotly.graph_objects.Figure
        One line per number of stages.
    """
    traces = []
    for s, values in enumerate(np.asarray(change)):
        cell = 2 ** (s + 1)
        label = f"{s + 1} stage{'s' if s else ''} (a cell covers {cell}×{cell} pixels)"
        traces.append(go.Scatter(x=list(shifts), y=values, mode="lines+markers", name=label))
    layout = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "xaxis": {"title": {"text": "Shift of the image along x (pixels)"}},
        "yaxis": {
            "title": {"text": "Output change (1 − cosine similarity)"},
            "rangemode": "tozero",
        },
        "legend": {"title": {"text": "conv → ReLU → 2×2 max pool, stacked"}},
    }
    return go.Figure(traces, layout)


def _image_layout(
    title: str,
    height: int,
    *,
    highlight: tuple[int, int, int, int] | None = None,
    width: int = 3,
) -> dict:
    """The layout of a map drawn as a picture: square cells, row 0 at the top, no grid lines.

    A plain dict handed to ``go.Figure`` at once: Plotly checks it in one pass, where
    ``update_layout`` / ``update_xaxes`` / ``update_yaxes`` afterwards cost ~4× the time
    (7.2 vs 2.3 ms for an 8×8 grid of numbers, measured).
    """
    layout = {
        "title": {"text": title, "font": {"size": 15}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        "plot_bgcolor": "white",
        "xaxis": {"showgrid": False, "zeroline": False, "constrain": "domain", "side": "top"},
        "yaxis": {
            "showgrid": False,
            "zeroline": False,
            "autorange": "reversed",
            "scaleanchor": "x",
            "constrain": "domain",
        },
    }
    if highlight is not None:
        top, left, h, w = highlight
        layout["shapes"] = [
            {
                "type": "rect",
                "x0": left - 0.5,
                "x1": left + w - 0.5,
                "y0": top - 0.5,
                "y1": top + h - 0.5,
                "line": {"color": "#ffbf00", "width": width},
            }
        ]
    return layout


# --- several maps in one picture ------------------------------------------------------------


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
#: the height of a line of a note.
_GRID_PAD, _GRID_GAP, _GRID_ROW_GAP, _GRID_TITLE = 2, 10, 12, 20
_LEGEND_WIDTH, _LEGEND_BAR, _NOTE_LINE = 64, 12, 16
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
        ``H = 2·2 + R·(20 + side) + (R − 1)·12`` and ``W = 2·2 + `` the widest row, a row
        being ``side`` per panel and 64 per legend with 10 between items.  Three 256-pixel
        panels and two legends make 940 pixels: the page's width on a 1400-pixel screen.
        ``boxes`` : where each map landed, see :class:`PanelGrid`.

    Raises
    ------
    ValueError
        An empty grid, an item that is neither a Panel nor a Legend, a map without a scale,
        a map that is not 2-D, or a side below 16.

    Examples
    --------
    A 4×4 map fits a 32-pixel square as 8×8 blocks, one per cell; a colour bar follows:

    >>> x = np.arange(16.0).reshape(4, 4)
    >>> scale = scale_for(x)  # gray, black at 0, white at 15
    >>> grid = panel_grid([[Panel("x", x, scale), Legend(scale, "value")]], side=32)
    >>> grid.pixels.shape  # (4 + 20 + 32, 4 + 32 + 10 + 64, 3)
    (56, 110, 3)
    >>> top, left, h, w = grid.boxes[0][0]
    >>> (top, left, h, w)
    (22, 2, 32, 32)

    Cell (0, 0) holds 0, the bottom of the scale: its whole 8×8 block is black. Cell (3, 3)
    holds 15, the top: white.

    >>> int(grid.pixels[top : top + 8, left : left + 8].max())
    0
    >>> grid.pixels[top + h - 1, left + w - 1]
    array([255, 255, 255], dtype=uint8)
    >>> np.array_equal(grid.pixels[top : top + h, left : left + w], upscale(colorize(x, scale), 32))
    True

    A 64×64 map is averaged down to 32×32 instead (each pixel shows a 2×2 block):

    >>> big = np.kron(x, np.ones((16, 16)))
    >>> panel_grid([[Panel("big", big, scale)]], side=32).boxes
    (((22, 2, 32, 32),),)
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
                _text(canvas, item.label, top + 3, left, size=12, width=_LEGEND_WIDTH)
                box = (square, left, side, _LEGEND_BAR)
                _paste(canvas, _legend_bar(item.scale, side), box)
                _legend_ticks(canvas, item.scale, box)
            else:
                _text(canvas, item.title, top + 2, left, size=13, width=side)
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
    factor = max(1, side // max(shown.shape[:2]))
    if factor > 1:
        shown = np.repeat(np.repeat(shown, factor, axis=0), factor, axis=1)  # (h·f, w·f, 3)
    return shown


def _paste(canvas: np.ndarray, pixels: np.ndarray, box) -> None:
    """``pixels`` into ``box`` = (top, left, h, w) of ``canvas``, inside a thin gray frame."""
    top, left, h, w = box
    canvas[top : top + h, left : left + w] = pixels
    canvas[[top - 1, top + h], left - 1 : left + w + 1] = _FRAME_GRAY  # top and bottom edges
    canvas[top : top + h, [left - 1, left + w]] = _FRAME_GRAY  # left and right edges


def _legend_bar(scale: ColorScale, side: int) -> np.ndarray:
    ramp = np.linspace(scale.vmax, scale.vmin, side, dtype=np.float32)[:, None]  # top = max
    return colorize(np.repeat(ramp, _LEGEND_BAR, axis=1), scale)  # (side, 12, 3)


def _legend_ticks(canvas: np.ndarray, scale: ColorScale, bar) -> None:
    """Five ticks at the bar's right edge, each with its value, from vmax (top) to vmin."""
    top, left, side, _ = bar
    x = left + _LEGEND_BAR + 1
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        value = scale.vmax - frac * (scale.vmax - scale.vmin)
        y = top + round(frac * (side - 1))
        canvas[y, x : x + 3] = _INK
        tile = _text_tile(_drawable(f"{value:.3g}".replace("-", "\u2212")), 11, _INK)
        y_text = min(max(y - tile.shape[0] // 2 - 2, top - 6), top + side - tile.shape[0] + 2)
        _paste_text(canvas, tile, y_text, x + 5)


def _note(canvas: np.ndarray, note: str, top: int, left: int, side: int) -> None:
    """``note`` wrapped to the square's width; lines that do not fit end in an ellipsis."""
    lines = list(_wrapped(_drawable(note), 12, side - 8))
    room = max(1, (side - 4) // _NOTE_LINE)
    if len(lines) > room:
        lines = [*lines[: room - 1], _fit_text(lines[room - 1] + " …", 12, side - 8)]
    for i, line in enumerate(lines):
        _paste_text(canvas, _text_tile(line, 12, _NOTE_INK), top + 4 + _NOTE_LINE * i, left + 4)


def _text(canvas, text: str, top: int, left: int, *, size: int, width=None, ink=None) -> None:
    """Write ``text`` with its top-left corner at ``(top, left)``, cut to ``width`` pixels."""
    text = _drawable(text)
    if width is not None:
        text = _fit_text(text, size, width)
    _paste_text(canvas, _text_tile(text, size, ink or _INK), top, left)


def _paste_text(canvas: np.ndarray, tile: np.ndarray, top: int, left: int) -> None:
    h = min(tile.shape[0], canvas.shape[0] - top)
    w = min(tile.shape[1], canvas.shape[1] - left)
    if h <= 0 or w <= 0:
        return
    region = canvas[top : top + h, left : left + w]
    np.minimum(region, tile[:h, :w], out=region)  # dark ink over white: keep the darker


@functools.lru_cache(maxsize=512)
def _text_tile(text: str, size: int, ink: tuple[int, int, int]) -> np.ndarray:
    """``text`` drawn on white as pixels (h, w, 3), from the pen's origin; cached, as titles,
    ticks and notes repeat from one picture to the next and drawing text is the slow part."""
    font = _label_font(size)
    _, _, right, bottom = font.getbbox(text or " ")
    tile = Image.new("RGB", (max(1, int(right)), max(1, int(bottom))), "white")
    ImageDraw.Draw(tile).text((0, 0), text, fill=ink, font=font)
    pixels = np.asarray(tile)
    pixels.flags.writeable = False
    return pixels


@functools.lru_cache(maxsize=64)
def _wrapped(text: str, size: int, width: int) -> tuple[str, ...]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide."""
    font = _label_font(size)
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and font.getlength(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return (*lines, line)


@functools.lru_cache(maxsize=256)
def _fit_text(text: str, size: int, width: int) -> str:
    """``text``, cut short with an ellipsis if it is wider than ``width`` pixels."""
    font = _label_font(size)
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


#: A font with the symbols the titles use (−, ×); Pillow's own font lacks them.
_LABEL_FONT = "DejaVuSans.ttf"


@functools.lru_cache(maxsize=1)
def _has_label_font() -> bool:
    try:
        ImageFont.truetype(_LABEL_FONT, 10)
    except OSError:
        return False
    return True


@functools.lru_cache(maxsize=4)
def _label_font(size: int) -> ImageFont.ImageFont:
    if _has_label_font():
        return ImageFont.truetype(_LABEL_FONT, size)
    return ImageFont.load_default(size)  # and _drawable spells the symbols out


def _drawable(text: str) -> str:
    """``text`` with − and × spelt in ASCII when the font in use lacks them."""
    if _has_label_font():
        return text
    return text.replace("\u2212", "-").replace("×", "x")
