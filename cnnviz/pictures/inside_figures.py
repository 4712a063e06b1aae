"""Old address of some picture functions: import them from :mod:`cnnviz.pictures` instead.

The package is arranged by technique now (colour, encode, raster, text, tables, panels, heatmaps,
charts). TODO(lead): remove after callers move (tests/test_digits.py, pages/inside.py).
"""

from cnnviz.pictures import (
    HIGHLIGHT,
    map_grid,
    neuron_bars,
    pattern_figure,
    probability_bars,
    shift_figure,
    vector_strip,
)

__all__ = [
    "HIGHLIGHT",
    "map_grid",
    "neuron_bars",
    "pattern_figure",
    "probability_bars",
    "shift_figure",
    "vector_strip",
]
