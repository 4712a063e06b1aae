"""Tables: small grids of numbers on coloured cells, as HTML (a kernel, a window, ...).

A table costs the browser almost nothing to draw, unlike a chart, so a page can redraw
several of them on every change.
"""

from __future__ import annotations

import html

import numpy as np

from cnnviz.pictures.colour import ColorScale, colorize, scale_for
from cnnviz.pictures.text import INK, NUMBER_PX, number_text

__all__ = ["grid_html"]


def grid_html(array: np.ndarray, scale: ColorScale | None = None, *, digits: int = 2) -> str:
    """A small grid of numbers on coloured cells, as an HTML table (a kernel, a window, ...).

    Cell colours come from ``scale`` (the same colours as
    the maps); the text is black on light cells and white on dark ones.

    Parameters
    ----------
    array : ndarray, shape (h, w), at most 15×15 advised
    scale : ColorScale, optional
        Defaults to :func:`~cnnviz.pictures.colour.scale_for` of ``array``.
    digits : int
        Decimals shown; trailing zeros are dropped.

    Returns
    -------
    str
        A ``<table>`` with row and column numbers in its margins, numbers 14 px
        (:data:`~cnnviz.pictures.text.NUMBER_PX`), in a box that scrolls sideways when the
        table is wider than the page.

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
    black_ink = _black_reads_better(colors)  # (h, w)
    # Numbers and row/column numbers 14 px (NUMBER_PX), readable from the back of a room.
    cell = f"padding:3px 5px;text-align:center;font-size:{NUMBER_PX}px;min-width:2.4em;"
    head = f"padding:0 4px;font-size:{NUMBER_PX}px;color:{INK};font-weight:normal;"
    rows = [
        "<tr><th></th>" + "".join(f'<th style="{head}">{j}</th>' for j in range(array.shape[1]))
    ]
    for i, row in enumerate(array):
        cells = []
        for j, value in enumerate(row):
            r, g, b = (int(v) for v in colors[i, j])
            ink = "#000" if black_ink[i, j] else "#fff"
            text = html.escape(number_text(value, digits, fixed=True))
            cells.append(f'<td style="{cell}background:rgb({r},{g},{b});color:{ink}">{text}</td>')
        rows.append(f'<tr><th style="{head}">{i}</th>{"".join(cells)}</tr>')
    # A big grid scrolls inside its own box rather than the whole page sideways (a phone).
    return (
        '<div style="overflow-x:auto;max-width:100%">'
        '<table style="border-collapse:collapse;font-variant-numeric:tabular-nums;'
        f'border:none">{"".join(rows)}</table></div>'
    )


def _black_reads_better(rgb: np.ndarray) -> np.ndarray:
    """Whether black ink contrasts more than white with each colour (WCAG 2 contrast ratio).

    A brightness threshold put white on mid reds such as rgb(208, 85, 72), 4.2 : 1, where
    black gives 5.1 : 1; the larger of the two ratios is always at least 4.6 : 1.

    >>> black = _black_reads_better(np.array([[[208, 85, 72], [33, 102, 172]]]))
    >>> black.tolist()
    [[True, False]]
    """
    c = np.asarray(rgb, dtype=np.float64) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05)
