"""Heatmaps: small maps as Plotly figures whose hover shows the exact value of every cell.

Maps up to :data:`HOVER_LIMIT` cells are drawn this way (bigger ones travel as pictures, see
:mod:`~cnnviz.pictures.encode`): a feature map, a grid of numbers, the confusion matrix, a
grid of digits or of learned kernels. They take the same :class:`ColorScale` as the pictures.

Letters used in shapes: ``M`` tiles, ``h, w`` tile height and width, ``K = 10`` classes.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.pictures.charts import FONT, TICK_FONT, readable
from cnnviz.pictures.colour import ColorScale, plotly_colours, scale_for
from cnnviz.pictures.raster import tile_grid
from cnnviz.pictures.text import number_text

__all__ = [
    "HOVER_LIMIT",
    "confusion_figure",
    "digit_grid",
    "heatmap_figure",
    "kernel_grid",
    "number_grid_figure",
]

#: Maps with at most this many cells are drawn as Plotly heatmaps with exact hover values.
HOVER_LIMIT = 64 * 64


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
        colorscale=plotly_colours(scale),
        zmin=scale.vmin,
        zmax=scale.vmax,
        colorbar={
            "title": {"text": colorbar_title, "font": FONT},
            "tickfont": TICK_FONT,
            "thickness": 18,
        },
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
    digits : int
        Decimals written in each cell (see :func:`~cnnviz.pictures.text.number_text`).
    origin : (row, col), optional
        Label the rows and columns from these coordinates (where the grid sits in a bigger
        map) instead of from 0.
    highlight : (top, left, height, width), optional
        A rectangle drawn over these cells of the grid (0-based, whatever ``origin`` is).

    Examples
    --------
    >>> number_grid_figure(np.array([[1.0, -0.5], [10.0, 0.004]])).data[0].text.tolist()
    [['1', '−0.5'], ['10', '0']]
    """
    array = np.asarray(array, dtype=np.float64)
    scale = scale or scale_for(array)
    text = np.vectorize(lambda v: number_text(v, digits, fixed=True))(array)  # (h, w) of str
    trace = go.Heatmap(
        z=array,
        text=text,
        texttemplate="%{text}",
        # 14 px; no colour: Plotly writes black on light cells and white on dark ones.
        textfont={"size": TICK_FONT["size"]},
        colorscale=plotly_colours(scale),
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


def _image_layout(
    title: str,
    height: int,
    *,
    highlight: tuple[int, int, int, int] | None = None,
    width: int = 3,
) -> dict:
    """The layout of a map drawn as a picture: square cells, row 0 at the top, no grid lines.

    A plain dict handed to ``go.Figure`` at once: Plotly checks it in one pass, where
    ``update_layout`` / ``update_xaxes`` / ``update_yaxes`` afterwards check it again each
    time, several times slower for a small grid of numbers redrawn on every change.
    """
    layout = {
        # The title at the figure's top edge, the column numbers (on top) below it: with 16-
        # and 14-pixel type a 40-pixel band had them on top of each other.
        "title": {"text": title, "font": FONT, "yref": "container", "y": 1, "yanchor": "top"},
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 64 if title else 10, "b": 10},
        "plot_bgcolor": "white",
        "xaxis": {
            "showgrid": False,
            "zeroline": False,
            "constrain": "domain",
            "side": "top",
            "tickfont": TICK_FONT,
        },
        "yaxis": {
            "tickfont": TICK_FONT,
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


def confusion_figure(confusion: np.ndarray) -> go.Figure:
    """The confusion matrix as a heat map: counts written in the cells, coloured by row share.

    Parameters
    ----------
    confusion : ndarray, shape (K, K), int
        ``confusion[t, p]``: test digits of class ``t`` predicted as ``p``.

    Returns
    -------
    plotly.graph_objects.Figure
        Rows true digit, columns prediction. The colour (``z``) is the row percentage,
        ``100 · confusion[t, p] / confusion[t].sum()``, so a digit with fewer test images does
        not look paler; the hover says both, e.g. "true 3, predicted 5: 12 digits, 1.2% of the
        3s".

    Examples
    --------
    >>> figure = confusion_figure(np.array([[3, 1], [0, 2]]))
    >>> figure.data[0].z.tolist()
    [[75.0, 25.0], [0.0, 100.0]]
    """
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1, keepdims=True)  # (K, 1) test digits of each class
    percent = 100 * confusion / np.maximum(totals, 1)  # (K, K) row percentages
    labels = [str(i) for i in range(confusion.shape[0])]
    figure = go.Figure(
        go.Heatmap(
            z=percent,
            x=labels,
            y=labels,
            text=confusion,
            texttemplate="%{text}",
            textfont={"size": TICK_FONT["size"]},
            zmin=0,
            zmax=100,
            colorscale="Blues",
            showscale=False,
            hovertemplate=(
                "true %{y}, predicted %{x}: %{text} digits, %{z:.1f}% of the %{y}s<extra></extra>"
            ),
        )
    )
    figure.update_layout(
        height=420,
        margin={"l": 60, "r": 10, "t": 10, "b": 50},
        xaxis={"title": {"text": "predicted digit"}, "side": "bottom", "type": "category"},
        yaxis={"title": {"text": "true digit"}, "autorange": "reversed", "type": "category"},
    )
    return readable(figure)


def digit_grid(images: np.ndarray, titles: list[str], *, cols: int = 8) -> go.Figure:
    """Digits in a grid, each with a title above it (e.g. "true 4, said 9 (87%)").

    Parameters
    ----------
    images : ndarray, shape (M, 28, 28), values 0..255
    titles : list of str, length M
    """
    images = np.asarray(images)
    if len(images) == 0:
        return go.Figure()
    gap = 12
    grid = tile_grid(images, cols=cols, gap=gap)
    h, w = images.shape[1:]
    cols = max(1, min(cols, len(images)))
    annotations = [
        {
            "x": (i % cols) * (w + gap) + w / 2 - 0.5,
            "y": (i // cols) * (h + gap) - 1,
            "yanchor": "bottom",
            "text": title,
            "showarrow": False,
            "font": TICK_FONT,
            "xref": "x",
            "yref": "y",
        }
        for i, title in enumerate(titles)
    ]
    rows = -(-len(images) // cols)
    # One layout dict handed to go.Figure (one validation pass): 32 digits in 15 ms, not 35-55.
    layout = {
        "annotations": annotations,
        "height": rows * 130 + 30,
        "margin": {"l": 0, "r": 0, "t": 30, "b": 0},
        "plot_bgcolor": "white",
        "xaxis": {"visible": False, "scaleanchor": "y", "constrain": "domain"},
        "yaxis": {"visible": False, "autorange": "reversed", "range": None},
    }
    heatmap = go.Heatmap(
        z=grid, colorscale="gray", showscale=False, hoverinfo="skip", zmin=0, zmax=255
    )
    return go.Figure(heatmap, layout)  # its titles are annotations already in TICK_FONT


def kernel_grid(kernels: np.ndarray, *, cols: int = 8) -> go.Figure:
    """Learned kernels as small images on one diverging colour scale centred on zero.

    Parameters
    ----------
    kernels : ndarray, shape (F, k, k)
        Red cells add to the feature map where the input is bright, blue cells subtract.
    """
    kernels = np.asarray(kernels, dtype=np.float64)
    grid = tile_grid(kernels, cols=cols, gap=1)
    limit = float(np.nanmax(np.abs(kernels))) or 1.0
    figure = go.Figure(
        go.Heatmap(
            z=grid,
            colorscale="RdBu_r",
            zmin=-limit,
            zmax=limit,
            hovertemplate="weight %{z:.3f}<extra></extra>",
            colorbar={"title": {"text": "weight"}},
        )
    )
    rows = -(-len(kernels) // max(1, min(cols, len(kernels))))
    figure.update_layout(
        height=rows * 70 + 40,
        margin={"l": 0, "r": 0, "t": 10, "b": 10},
        plot_bgcolor="white",
        xaxis={"visible": False, "scaleanchor": "y", "constrain": "domain"},
        yaxis={"visible": False, "autorange": "reversed"},
    )
    return readable(figure)
