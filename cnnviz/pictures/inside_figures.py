"""Pictures for the Inside-the-model page: feature-map grids, the flattened vector, bar charts.

Big pictures (a grid of 32 feature maps, a vector of 5,408 numbers) are RGB images made with
:func:`~cnnviz.pictures.figures.colorize`, sent to the browser as PNGs; small ones (10
probabilities, 256
neurons, a shift curve) are Plotly figures whose hover shows exact values. Nothing here imports
Streamlit or TensorFlow: every function takes arrays and returns a picture.

Letters used in shapes: ``H, W`` a map's height and width, ``F`` maps (filters), ``k`` kernel
side, ``P = H·W`` positions, ``n`` neurons, ``K = 10`` classes, ``D`` shifts.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont
from plotly.subplots import make_subplots

from cnnviz.pictures.display import zoom
from cnnviz.pictures.figures import ColorScale, colorize

__all__ = [
    "HIGHLIGHT",
    "map_grid",
    "neuron_bars",
    "pattern_figure",
    "probability_bars",
    "shift_figure",
    "vector_strip",
]

HIGHLIGHT = "#c2185b"  # the theme's accent: the predicted class
_MUTED = "#9e9e9e"
_FRAME = (170, 170, 170)
_LABEL_H = 16  # pixels above each tile for its number
_GAP = 10  # pixels between tiles
_COLOURS = ("#1f77b4", "#ff7f0e")  # the two compared inputs, and the two models


def map_grid(
    maps: np.ndarray,
    scale: ColorScale,
    *,
    kernels: np.ndarray | None = None,
    kernel_scale: ColorScale | None = None,
    cols: int = 8,
    tile: int = 80,
    first: int = 1,
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

    Returns
    -------
    ndarray of uint8, shape (rows·(16 + h + 10) − 10, cols·(w_t + 10) − 10, 3)
        With ``h = H·z`` and ``w_t`` the tile's width (kernel, 4-pixel gap, map): white
        background, a grey frame around every map and kernel.

    Examples
    --------
    >>> from cnnviz.pictures.figures import scale_for
    >>> maps = np.zeros((4, 4, 3))
    >>> map_grid(maps, scale_for(maps), cols=2, tile=8).shape
    (58, 26, 3)
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim != 3:
        raise ValueError(f"`maps` must be (H, W, F). Received: maps.shape={maps.shape}.")
    h, w, count = maps.shape
    factor = max(1, round(tile / max(h, w)))
    map_h, map_w = h * factor, w * factor
    kernel_side = kernel_factor = 0
    if kernels is not None:
        kernels = np.asarray(kernels, dtype=np.float32)
        if kernels.ndim != 3 or kernels.shape[0] != count or kernel_scale is None:
            raise ValueError(
                "`kernels` must be (F, k, k) with one kernel per map, and `kernel_scale` given. "
                f"Received: kernels.shape={kernels.shape}, maps.shape={maps.shape}."
            )
        kernel_factor = max(1, round(0.4 * map_h / kernels.shape[1]))
        kernel_side = kernels.shape[1] * kernel_factor + 4
    cell_w, cell_h = kernel_side + map_w, _LABEL_H + map_h
    cols = max(1, min(cols, count))
    rows = -(-count // cols)
    canvas = Image.new(
        "RGB", (cols * (cell_w + _GAP) - _GAP, rows * (cell_h + _GAP) - _GAP), "white"
    )
    draw = ImageDraw.Draw(canvas)
    font = _font(12)
    for f in range(count):
        x0 = (f % cols) * (cell_w + _GAP)
        y0 = (f // cols) * (cell_h + _GAP)
        draw.text((x0, y0 + 1), str(first + f), fill="black", font=font)
        top = y0 + _LABEL_H
        if kernels is not None:
            kernel = zoom(colorize(kernels[f], kernel_scale), kernel_factor)  # (k·z, k·z, 3)
            ky = top + (map_h - kernel.shape[0]) // 2
            canvas.paste(Image.fromarray(kernel), (x0, ky))
            _frame(draw, x0, ky, kernel.shape[1], kernel.shape[0])
        mx = x0 + kernel_side
        canvas.paste(Image.fromarray(zoom(colorize(maps[:, :, f], scale), factor)), (mx, top))
        _frame(draw, mx, top, map_w, map_h)
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
    >>> from cnnviz.pictures.figures import scale_for
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


def neuron_bars(
    values: np.ndarray,
    *,
    title: str = "",
    x_title: str = "neuron",
    y_title: str = "activation",
    highlight: int | None = None,
    height: int = 260,
) -> go.Figure:
    """One bar per neuron (or class), numbered from 0; hover shows the exact value.

    Parameters
    ----------
    values : ndarray, shape (n,)
    x_title, y_title : str
        What a bar is ("neuron", "digit") and what its height is.
    highlight : int, optional
        A neuron to draw in the accent colour.
    """
    values = np.asarray(values, dtype=np.float64)
    colours = [HIGHLIGHT if i == highlight else _COLOURS[0] for i in range(values.size)]
    figure = go.Figure(
        go.Bar(
            x=np.arange(values.size),
            y=values,
            marker={"color": colours, "line": {"width": 0}},
            hovertemplate=f"{x_title} %{{x}}: %{{y:.4g}}<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": title, "font": {"size": 15}},
        height=height,
        bargap=0.1 if values.size <= 32 else 0,
        margin={"l": 50, "r": 10, "t": 40 if title else 10, "b": 40},
        xaxis={"title": {"text": x_title}, "dtick": 1 if values.size <= 16 else None},
        yaxis={"title": {"text": y_title}, "zeroline": True},
    )
    return figure


def probability_bars(
    probabilities: np.ndarray, *, predicted: int, true: int | None = None, height: int = 300
) -> go.Figure:
    """The class probabilities as bars: the prediction in the accent colour, the true class marked.

    Parameters
    ----------
    probabilities : ndarray, shape (K,)
    predicted : int
    true : int, optional
        Its label on the axis reads "7 (true)".
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    classes = [f"{k} (true)" if k == true else str(k) for k in range(probabilities.size)]
    figure = go.Figure(
        go.Bar(
            x=classes,
            y=probabilities,
            marker={
                "color": [HIGHLIGHT if k == predicted else _MUTED for k in range(len(classes))]
            },
            text=[f"{p:.1%}" if p >= 0.005 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        height=height,
        margin={"l": 50, "r": 10, "t": 20, "b": 40},
        xaxis={"title": {"text": "digit"}, "type": "category"},
        yaxis={"title": {"text": "probability"}, "range": [0, 1.2], "tickformat": ".0%"},
    )
    return figure


def pattern_figure(
    a: np.ndarray, b: np.ndarray, *, names: tuple[str, str] = ("A", "B"), height: int = 480
) -> go.Figure:
    """Two activation patterns, neuron by neuron, and their difference ``b − a`` below them.

    Parameters
    ----------
    a, b : ndarray, shape (n,)
    names : (str, str)
        What to call the two inputs.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    x = np.arange(a.size)
    difference = b - a
    figure = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(names[0], names[1], f"difference: {names[1]} − {names[0]}"),
    )
    for row, (values, colour) in enumerate(((a, _COLOURS[0]), (b, _COLOURS[1])), start=1):
        figure.add_trace(
            go.Bar(
                x=x,
                y=values,
                marker={"color": colour, "line": {"width": 0}},
                hovertemplate="neuron %{x}: %{y:.4g}<extra></extra>",
                showlegend=False,
            ),
            row=row,
            col=1,
        )
    figure.add_trace(
        go.Bar(
            x=x,
            y=difference,
            marker={
                "color": ["#d62728" if d > 0 else "#1f77b4" for d in difference],
                "line": {"width": 0},
            },
            hovertemplate="neuron %{x}: %{y:+.4g}<extra></extra>",
            showlegend=False,
        ),
        row=3,
        col=1,
    )
    top = max(float(a.max()), float(b.max()), 1e-6) * 1.05
    figure.update_yaxes(range=[0, top], row=1, col=1)
    figure.update_yaxes(range=[0, top], row=2, col=1)
    figure.update_xaxes(title={"text": "neuron"}, row=3, col=1)
    figure.update_layout(height=height, bargap=0, margin={"l": 50, "r": 10, "t": 30, "b": 40})
    return figure


def shift_figure(curves: Mapping[str, object], *, height: int = 320) -> go.Figure:
    """Probability of the true class against the shift, sideways (left) and up and down (right).

    Parameters
    ----------
    curves : mapping of str to ShiftCurve
        One line per model (or digit), named by its key.
    """
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=("moved sideways (− left, + right)", "moved up and down (− up, + down)"),
    )
    for i, (name, curve) in enumerate(curves.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        dash = "solid" if i % 2 == 0 else "dash"
        for col, values in ((1, curve.along_x), (2, curve.along_y)):
            figure.add_trace(
                go.Scatter(
                    x=curve.shifts,
                    y=values,
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    mode="lines+markers",
                    line={"color": colour, "dash": dash},
                    hovertemplate=f"{name}<br>shift %{{x}} px: %{{y:.1%}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
    figure.update_xaxes(title={"text": "shift (pixels)"}, dtick=1)
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%")
    figure.update_yaxes(title={"text": "probability of the true digit"}, row=1, col=1)
    figure.update_layout(
        height=height,
        margin={"l": 60, "r": 10, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.25, "x": 0},
    )
    return figure


# --- helpers --------------------------------------------------------------------------------


def _frame(draw: ImageDraw.ImageDraw, x: int, y: int, w: int, h: int) -> None:
    draw.rectangle([x - 1, y - 1, x + w, y + h], outline=_FRAME)


@functools.lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size)
