"""Charts: Plotly lines and bars whose hover shows exact values.

Learning curves (redrawn several times a second while a model trains, so they stay cheap: one
figure, a few traces, at most ``max_points`` points per trace), how a shift changes stacked
pooling stages, a layer's neurons, the class probabilities, two activation patterns and the
probability of the true digit as the digit moves. No Streamlit, no TensorFlow: each function
takes plain data and returns a ``plotly.graph_objects.Figure``.

Letters used in shapes: ``n`` neurons, ``K = 10`` classes, ``S`` shifts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.pictures.text import INK, NUMBER_PX, TEXT_PX

__all__ = [
    "FONT",
    "HIGHLIGHT",
    "TICK_FONT",
    "curves_figure",
    "neuron_bars",
    "pattern_figure",
    "probability_bars",
    "readable",
    "shift_change_figure",
    "shift_figure",
    "training_curves",
]

HIGHLIGHT = "#c2185b"  # the theme's accent: the predicted class
_MUTED = "#9e9e9e"
_COLOURS = ("#1f77b4", "#ff7f0e")  # the two compared inputs, and the two models
_BATCH_COLOUR = "rgba(99, 110, 250, 0.25)"
_SMOOTH_COLOUR = "rgb(99, 110, 250)"
_TEST_COLOUR = "rgb(239, 85, 59)"

#: The text of every figure (titles, legends, axis titles, the numbers in cells) and of its
#: tick labels, readable from the back of a room: see :data:`~cnnviz.pictures.text.TEXT_PX`.
#: Streamlit draws a chart over its own template (ticks 12 px light grey); values set on the
#: figure itself win over a template, so :func:`readable` writes these on every axis.
FONT = {"size": TEXT_PX, "color": INK}
TICK_FONT = {"size": NUMBER_PX, "color": INK}


def readable(figure: go.Figure) -> go.Figure:
    """``figure`` with :data:`FONT` and :data:`TICK_FONT` on every axis, legend and colour bar.

    Every figure of this package goes through it (the number grids, redrawn on every change,
    write the same constants straight into their layout, see
    :func:`~cnnviz.pictures.heatmaps.number_grid_figure`).

    Examples
    --------
    >>> figure = readable(make_subplots(rows=1, cols=2))
    >>> figure.layout.xaxis2.tickfont.size, figure.layout.yaxis.title.font.color
    (14, '#111111')
    """
    figure.update_layout(font=FONT, legend={"font": FONT, "title": {"font": FONT}})
    axis = {"tickfont": TICK_FONT, "title": {"font": FONT}}
    figure.update_xaxes(axis)
    figure.update_yaxes(axis)
    figure.update_annotations(font=FONT)  # subplot titles
    figure.update_traces(
        colorbar={"tickfont": TICK_FONT, "title": {"font": FONT}},
        selector={"type": "heatmap"},
    )
    return figure


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
    each, recent = "each batch", f"mean of the last {run.smoothing_window} batches"
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
        font=FONT,
        xaxis={"domain": [0, 0.45], "range": [0, end], **_titled("epoch")},
        yaxis={"rangemode": "tozero", **_titled("loss")},
        xaxis2={"domain": [0.55, 1], "range": [0, end], **_titled("epoch")},
        yaxis2={"range": [0, 1.02], "anchor": "x2", **_titled("accuracy")},
        legend={"orientation": "h", "y": 1.12, "x": 0, "font": FONT},
        uirevision="training",  # keep the user's zoom while the curves grow
    )
    # Fonts written into the layout at once, not by readable(): redrawn several times a second.
    return go.Figure(data=traces, layout=layout)


def _titled(title: str) -> dict:
    """An axis's title and tick labels in :data:`FONT` and :data:`TICK_FONT`."""
    return {"title": {"text": title, "font": FONT}, "tickfont": TICK_FONT}


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


def shift_change_figure(shifts, change: np.ndarray, *, height: int = 480) -> go.Figure:
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
        "margin": {"l": 10, "r": 10, "t": 30, "b": 150},
        "xaxis": {"title": {"text": "Shift of the image along x (pixels)"}},
        "yaxis": {
            "title": {"text": "Output change (1 − cosine similarity)"},
            "rangemode": "tozero",
        },
        # At the figure's foot, not beside the plot (on a phone that left the plot no room),
        # below the axis title however many lines the legend wraps to.
        "legend": {
            "title": {"text": "conv → ReLU → 2×2 max pool, stacked", "side": "top"},
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": 0,
        },
    }
    return readable(go.Figure(traces, layout))


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
        title={"text": title},
        height=height,
        bargap=0.1 if values.size <= 32 else 0,
        margin={"l": 50, "r": 10, "t": 40 if title else 10, "b": 40},
        xaxis={"title": {"text": x_title}, "dtick": 1 if values.size <= 16 else None},
        yaxis={"title": {"text": y_title}, "zeroline": True},
    )
    return readable(figure)


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
    bars = go.Bar(
        x=classes,
        y=probabilities,
        marker={"color": [HIGHLIGHT if k == predicted else _MUTED for k in range(len(classes))]},
        text=[f"{p:.1%}" if p >= 0.005 else "" for p in probabilities],
        textposition="outside",
        hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
    )
    # Fonts written into the layout at once, as readable() would set them: one validation
    # pass: 3 ms instead of 69 (the Learn page redraws it on every step).
    layout = {
        "height": height,
        "font": FONT,
        "legend": {"font": FONT, "title": {"font": FONT}},
        "margin": {"l": 50, "r": 10, "t": 20, "b": 40},
        "xaxis": {**_titled("digit"), "type": "category"},
        "yaxis": {**_titled("probability"), "range": [0, 1.2], "tickformat": ".0%"},
        "uniformtext": {"minsize": NUMBER_PX, "mode": "show"},  # Plotly shrank "99.9%" to 8 px
    }
    return go.Figure(bars, layout)


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
    return readable(figure)


def shift_figure(curves: Mapping[str, object], *, height: int = 380) -> go.Figure:
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
        # Short titles, the directions on the axes: at a phone's width the two plots are
        # 150 pixels wide each, and longer titles ran into each other.
        subplot_titles=("sideways", "up and down"),
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
    # Ticks where they fit (every pixel of shift ran together on a phone).
    figure.update_xaxes(title={"text": "px: − left, + right"}, row=1, col=1)
    figure.update_xaxes(title={"text": "px: − up, + down"}, row=1, col=2)
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%")
    figure.update_yaxes(title={"text": "probability of the true digit"}, row=1, col=1)
    figure.update_layout(
        height=height,
        margin={"l": 60, "r": 10, "t": 40, "b": 110},
        # At the figure's foot, below the axis titles, however many lines the names wrap to.
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
    )
    return readable(figure)


def curves_figure(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    x_title: str,
    y_title: str,
    point: tuple[float, float, str] | None = None,
    dashed: Sequence[str] = (),
    y_range: tuple[float, float] | None = None,
    height: int = 320,
) -> go.Figure:
    """A few named lines on one pair of axes, and optionally one point marked and labelled.

    Parameters
    ----------
    curves : mapping of name to (x, y)
        Each line's points; the names go into the legend, in this order.
    x_title, y_title : str
    point : (x, y, label), optional
        Drawn as a large dot in :data:`HIGHLIGHT` with its label beside it.
    dashed : names of ``curves`` drawn dashed (a tangent, a reference).
    y_range : (low, high), optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> figure = curves_figure({"loss": ([0, 1, 2], [3, 1, 2])}, x_title="w", y_title="loss",
    ...                        point=(1, 1, "now"))
    >>> [trace.name for trace in figure.data], figure.data[1].text
    (['loss', 'now'], ('now',))
    """
    traces = [
        go.Scatter(
            x=list(x),
            y=list(y),
            name=name,
            mode="lines+markers" if len(x) <= 1 else "lines",
            line={"width": 2, "dash": "dash" if name in dashed else "solid"},
            hovertemplate=f"{x_title} %{{x:.4g}}<br>{y_title} %{{y:.4g}}<extra>{name}</extra>",
        )
        for name, (x, y) in curves.items()
    ]
    if point is not None:
        px, py, label = point
        traces.append(
            go.Scatter(
                x=[px],
                y=[py],
                name=label,
                mode="markers+text",
                text=[label],
                textposition="top right",
                marker={"size": 14, "color": HIGHLIGHT},
                textfont={"color": HIGHLIGHT, "size": NUMBER_PX},
                showlegend=False,
            )
        )
    # Fonts written into the layout at once, not by readable(): one validation pass, about
    # three times faster for a figure redrawn on every step.
    layout = {
        "height": height,
        "font": FONT,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "xaxis": _titled(x_title),
        "yaxis": {**_titled(y_title), "range": list(y_range) if y_range else None},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": FONT},
    }
    return go.Figure(traces, layout)
