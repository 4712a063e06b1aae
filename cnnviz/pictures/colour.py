"""Colour: how values become colours, the same way in every picture, and the colour bar.

A :class:`ColorScale` names a Plotly colour scale and the value range it spans. Pictures
(:func:`colorize`), Plotly heatmaps and colour bars all read the same scale, so a map and its
colour bar always agree: :func:`scale_for` picks one for a set of maps, :func:`robust_scale`
one that a few extreme pixels cannot wash out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw
from plotly.colors import get_colorscale, sample_colorscale

from cnnviz.pictures.text import NUMBER_PX, _drawable, _label_font, number_text

__all__ = [
    "DIVERGING",
    "SEQUENTIAL",
    "ColorScale",
    "colorbar_image",
    "colorize",
    "colour_ramp",
    "is_drawing",
    "plotly_colours",
    "robust_scale",
    "scale_for",
    "scale_ticks",
]

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


def plotly_colours(scale: ColorScale) -> list:
    """The colour stops Plotly draws ``scale`` with (``colorscale=`` of a heatmap trace).

    Examples
    --------
    >>> plotly_colours(ColorScale("gray", 0, 1))
    [[0.0, 'rgb(0, 0, 0)'], [1.0, 'rgb(255, 255, 255)']]
    """
    return _SCALES[scale.name]


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


def robust_scale(array: np.ndarray, percentile: float = 99.5) -> ColorScale:
    """A colour scale that ignores the most extreme ``100 − percentile`` % of the values.

    On photos, a few pixels (noise, a sharp corner) can be ten times stronger than every other
    response, and a min-to-max scale then paints nearly the whole map white. This scale ends
    at the ``percentile``-th value instead; stronger cells get the end colour. Like
    :func:`scale_for`, signed maps get a diverging scale centred on zero.

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
    # OpenCV's table lookup is faster than NumPy's take on a big map.
    return cv2.LUT(cv2.merge([index, index, index]), _lut(scale.name).reshape(256, 1, 3))


def colour_ramp(scale: ColorScale, height: int, width: int) -> np.ndarray:
    """The bar of a colour bar: ``scale`` from its top value (first row) down to its bottom.

    Returns
    -------
    ndarray of uint8, shape (height, width, 3)

    Examples
    --------
    >>> ramp = colour_ramp(ColorScale("gray", 0, 1), 3, 2)
    >>> ramp[:, 0, 0]
    array([255, 127,   0], dtype=uint8)
    """
    ramp = np.linspace(scale.vmax, scale.vmin, height, dtype=np.float32)[:, None]  # top = max
    return colorize(np.repeat(ramp, width, axis=1), scale)  # (height, width, 3)


def scale_ticks(scale: ColorScale) -> list[tuple[float, str]]:
    """Five ticks of a colour bar, top to bottom: (fraction of the bar's height, the value).

    Examples
    --------
    >>> scale_ticks(ColorScale("RdBu_r", -2, 2))
    [(0.0, '2'), (0.25, '1'), (0.5, '0'), (0.75, '−1'), (1.0, '−2')]
    """
    return [
        (frac, number_text(scale.vmax - frac * (scale.vmax - scale.vmin)))
        for frac in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]


def colorbar_strip(scale: ColorScale, *, width: int = 220, label: str = "value") -> np.ndarray:
    """A horizontal colour bar, low values on the left, to show under a map at the map's width.

    A vertical bar beside a map gets a sliver of the row on a projector and its labels shrink
    with it; under the map it has the map's whole width. Label and ticks are 14 px
    (:data:`~cnnviz.pictures.text.NUMBER_PX`) when shown ``width`` pixels wide or wider.

    Returns
    -------
    ndarray of uint8, shape (62, width, 3)

    Examples
    --------
    >>> strip = colorbar_strip(ColorScale("RdBu_r", -2, 2), width=200)
    >>> strip.shape
    (62, 200, 3)
    >>> bool(strip[30, 20, 2] > strip[30, 20, 0])  # blue (low) on the left
    True
    """
    height, top, bar_h, side = 62, 20, 16, 14
    canvas = Image.new("RGB", (width, height), "white")
    ramp = np.rot90(colour_ramp(scale, width - 2 * side, bar_h), k=-1)  # top (max) to the right
    canvas.paste(Image.fromarray(np.ascontiguousarray(ramp)), (side, top))
    draw = ImageDraw.Draw(canvas)
    font = _label_font(NUMBER_PX)
    draw.text((side, 1), _drawable(label[:40]), fill="black", font=font)
    # The ends always; an inner tick only where its number clears its neighbours' (long
    # numbers such as 0.00784 would run into each other on a narrow strip).
    ticks = []
    for frac, text in scale_ticks(scale)[::-1]:  # left (low) to right (high)
        x = side + (1 - frac) * (width - 2 * side - 1)
        shown = _drawable(text)
        half = draw.textlength(shown, font=font) / 2
        ticks.append((x, shown, min(max(x - half, 0), width - 2 * half), half))
    kept = [ticks[0], ticks[-1]]
    for tick in ticks[1:-1]:
        left, right = tick[2], tick[2] + 2 * tick[3]
        if all(right + 10 <= k[2] or k[2] + 2 * k[3] + 10 <= left for k in kept):
            kept.append(tick)
    for x, shown, left, _ in kept:
        draw.line([(x, top + bar_h), (x, top + bar_h + 4)], fill="black")
        draw.text((left, top + bar_h + 5), shown, fill="black", font=font)
    return np.asarray(canvas)


def colorbar_image(scale: ColorScale, *, height: int = 256, label: str = "value") -> np.ndarray:
    """A vertical colour bar with tick labels, as an RGB image to show beside a map.

    The same bar and ticks as a :class:`~cnnviz.pictures.panels.Legend` in a panel grid
    (:func:`colour_ramp`, :func:`scale_ticks`), on its own; label and ticks 14 px
    (:data:`~cnnviz.pictures.text.NUMBER_PX`) with a real minus sign where the font has one.

    Returns
    -------
    ndarray of uint8, shape (height, 110, 3)

    Examples
    --------
    >>> colorbar_image(ColorScale("RdBu_r", -2, 2), height=200).shape
    (200, 110, 3)
    """
    bar_w, width, top, bottom = 18, 110, 28, 10
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(Image.fromarray(colour_ramp(scale, height - top - bottom, bar_w)), (4, top))
    draw = ImageDraw.Draw(canvas)
    font = _label_font(NUMBER_PX)
    draw.text((4, 2), _drawable(label[:16]), fill="black", font=font)
    for frac, text in scale_ticks(scale):
        y = top + frac * (height - top - bottom - 1)
        draw.line([(4 + bar_w, y), (8 + bar_w, y)], fill="black")
        draw.text((11 + bar_w, y - 9), _drawable(text), fill="black", font=font)
    return np.asarray(canvas)
