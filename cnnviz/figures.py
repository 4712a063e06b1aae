"""Pictures of arrays: colour scales, colour-mapped images, colour bars and small Plotly heatmaps.

Large maps travel to the browser as images (a PNG is a few hundred kB, the same map as Plotly
JSON is tens of MB and takes seconds to draw); small maps become Plotly heatmaps whose hover
shows the exact value of every cell. Both use the same :class:`ColorScale`, so a picture and
its colour bar always agree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont
from plotly.colors import get_colorscale, sample_colorscale

__all__ = [
    "HOVER_LIMIT",
    "ColorScale",
    "colorbar_image",
    "colorize",
    "heatmap_figure",
    "number_grid_figure",
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
    index = np.clip((array - scale.vmin) * (255.0 / span), 0, 255).astype(np.uint8)
    return np.take(_lut(scale.name), index, axis=0)  # (H, W, 3); take is faster than lut[index]


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
    fig = go.Figure(
        go.Heatmap(
            z=array,
            colorscale=_SCALES[scale.name],
            zmin=scale.vmin,
            zmax=scale.vmax,
            colorbar={"title": {"text": colorbar_title}, "thickness": 14},
            hovertemplate="row %{y}, col %{x}<br>value %{z:.4g}<extra></extra>",
        )
    )
    if highlight is not None:
        top, left, h, w = highlight
        fig.add_shape(
            type="rect",
            x0=left - 0.5,
            x1=left + w - 0.5,
            y0=top - 0.5,
            y1=top + h - 0.5,
            line={"color": "#ffbf00", "width": 3},
        )
    _image_axes(fig, title, height)
    return fig


def number_grid_figure(
    array: np.ndarray,
    *,
    title: str = "",
    scale: ColorScale | None = None,
    digits: int = 2,
    height: int = 240,
) -> go.Figure:
    """A small grid of numbers on coloured cells (a kernel, a window, their products).

    Parameters
    ----------
    array : ndarray, shape (h, w), at most 15×15
    """
    array = np.asarray(array, dtype=np.float64)
    scale = scale or scale_for(array)
    text = np.vectorize(lambda v: f"{v:.{digits}f}".rstrip("0").rstrip(".") or "0")(array)
    fig = go.Figure(
        go.Heatmap(
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
    )
    _image_axes(fig, title, height)
    return fig


def _image_axes(fig: go.Figure, title: str, height: int) -> None:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}},
        height=height,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=False, zeroline=False, constrain="domain", side="top")
    fig.update_yaxes(
        showgrid=False, zeroline=False, autorange="reversed", scaleanchor="x", constrain="domain"
    )
