"""Plotly figures for the Train page: learning curves, confusion matrix, digit and kernel grids.

Pure Plotly and NumPy: no Streamlit, no TensorFlow. Each function takes plain data (a
:class:`~cnnviz.learning.training.TrainingRun`, arrays) and returns a
``plotly.graph_objects.Figure``.

:func:`training_curves` is redrawn several times a second while a model trains, so it stays
cheap: one figure, a few traces, at most ``max_points`` points per trace.

Letters used in shapes: ``M`` tiles, ``h, w`` tile height and width, ``K = 10`` classes.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.learning.training import SMOOTHING_WINDOW

__all__ = ["confusion_figure", "digit_grid", "kernel_grid", "mosaic", "training_curves"]

_BATCH_COLOUR = "rgba(99, 110, 250, 0.25)"
_SMOOTH_COLOUR = "rgb(99, 110, 250)"
_TEST_COLOUR = "rgb(239, 85, 59)"


def training_curves(run, *, max_points: int = 400) -> go.Figure:
    """Loss (left) and accuracy (right) against epochs, as the training goes.

    Parameters
    ----------
    run : TrainingRun
        Its per-batch values are drawn faintly, their running mean over recent batches boldly,
        and the test accuracy after each epoch as red dots.
    max_points : int
        Longer curves are thinned to about this many points (every n-th batch).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    x = run.epoch_positions()
    loss, accuracy = np.asarray(run.batch_loss), np.asarray(run.batch_accuracy)
    smooth_loss, smooth_accuracy = run.smoothed(run.batch_loss), run.smoothed(run.batch_accuracy)
    keep = slice(None, None, max(1, int(np.ceil(len(x) / max_points))))
    end = max(run.epochs, 1)
    each, recent = "each batch", f"mean of the last {SMOOTHING_WINDOW} batches"
    traces = [
        _line(x[keep], loss[keep], each, _BATCH_COLOUR, "x", "y"),
        _line(x[keep], smooth_loss[keep], recent, _SMOOTH_COLOUR, "x", "y"),
        _line(x[keep], accuracy[keep], each, _BATCH_COLOUR, "x2", "y2", legend=False),
        _line(x[keep], smooth_accuracy[keep], recent, _SMOOTH_COLOUR, "x2", "y2", legend=False),
        go.Scatter(
            x=run.test_at,
            y=run.test_accuracy,
            name="test accuracy",
            mode="lines+markers",
            line={"color": _TEST_COLOUR},
            xaxis="x2",
            yaxis="y2",
        ),
    ]
    layout = go.Layout(
        height=320,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        xaxis={"domain": [0, 0.45], "range": [0, end], "title": {"text": "epoch"}},
        yaxis={"title": {"text": "loss"}, "rangemode": "tozero"},
        xaxis2={"domain": [0.55, 1], "range": [0, end], "title": {"text": "epoch"}},
        yaxis2={"title": {"text": "accuracy"}, "range": [0, 1.02], "anchor": "x2"},
        legend={"orientation": "h", "y": 1.12, "x": 0},
        uirevision="training",  # keep the user's zoom while the curves grow
    )
    return go.Figure(data=traces, layout=layout)


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
    return figure


def mosaic(tiles: np.ndarray, *, cols: int, gap: int = 1) -> np.ndarray:
    """Lay ``M`` equal tiles out in a grid, ``cols`` per row, separated by NaN gaps.

    Parameters
    ----------
    tiles : ndarray, shape (M, h, w)
    cols : int
        Tiles per row; the last row is padded with NaN.
    gap : int
        NaN pixels between neighbouring tiles.

    Returns
    -------
    ndarray, shape (rows·(h + gap) − gap, cols·(w + gap) − gap), float
        With ``rows = ceil(M / cols)``.

    Examples
    --------
    >>> mosaic(np.ones((3, 2, 2)), cols=2)
    array([[ 1.,  1., nan,  1.,  1.],
           [ 1.,  1., nan,  1.,  1.],
           [nan, nan, nan, nan, nan],
           [ 1.,  1., nan, nan, nan],
           [ 1.,  1., nan, nan, nan]])
    """
    tiles = np.asarray(tiles, dtype=np.float64)
    count, h, w = tiles.shape
    cols = max(1, min(cols, count))
    rows = -(-count // cols)
    padded = np.full((rows * cols, h + gap, w + gap), np.nan)
    padded[:count, :h, :w] = tiles
    grid = padded.reshape(rows, cols, h + gap, w + gap).transpose(
        0, 2, 1, 3
    )  # (rows, h+g, cols, w+g)
    return grid.reshape(rows * (h + gap), cols * (w + gap))[
        : rows * (h + gap) - gap, : -gap or None
    ]


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
    grid = mosaic(images, cols=cols, gap=gap)
    h, w = images.shape[1:]
    cols = max(1, min(cols, len(images)))
    annotations = [
        {
            "x": (i % cols) * (w + gap) + w / 2 - 0.5,
            "y": (i // cols) * (h + gap) - 1,
            "yanchor": "bottom",
            "text": title,
            "showarrow": False,
            "font": {"size": 14, "color": "#111111"},
            "xref": "x",
            "yref": "y",
        }
        for i, title in enumerate(titles)
    ]
    rows = -(-len(images) // cols)
    figure = go.Figure(
        go.Heatmap(z=grid, colorscale="gray", showscale=False, hoverinfo="skip", zmin=0, zmax=255)
    )
    figure.update_layout(
        annotations=annotations,
        height=rows * 130 + 30,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        plot_bgcolor="white",
        xaxis={"visible": False, "scaleanchor": "y", "constrain": "domain"},
        yaxis={"visible": False, "autorange": "reversed", "range": None},
    )
    return figure


def kernel_grid(kernels: np.ndarray, *, cols: int = 8) -> go.Figure:
    """Learned kernels as small images on one diverging colour scale centred on zero.

    Parameters
    ----------
    kernels : ndarray, shape (F, k, k)
        Red cells add to the feature map where the input is bright, blue cells subtract.
    """
    kernels = np.asarray(kernels, dtype=np.float64)
    grid = mosaic(kernels, cols=cols, gap=1)
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
    return figure


def _line(x, y, name, colour, xaxis, yaxis, *, legend=True) -> go.Scatter:
    return go.Scatter(
        x=x,
        y=y,
        name=name,
        mode="lines",
        line={"color": colour, "width": 1 if colour == _BATCH_COLOUR else 2},
        xaxis=xaxis,
        yaxis=yaxis,
        showlegend=legend,
    )
