"""Old address of some picture functions: import them from :mod:`cnnviz.pictures` instead.

The package is arranged by technique now (colour, encode, raster, text, tables, panels, heatmaps,
charts). TODO(lead): remove after callers move (tests/test_page_convolution.py,
tests/test_import_isolation.py, pages/).
"""

from cnnviz.pictures import (
    HOVER_LIMIT,
    ColorScale,
    Legend,
    Panel,
    PanelGrid,
    colorbar_image,
    colorize,
    heatmap_figure,
    number_grid_figure,
    panel_grid,
    scale_for,
    shift_change_figure,
    shrink,
    upscale,
)

__all__ = [
    "ColorScale",
    "HOVER_LIMIT",
    "Legend",
    "Panel",
    "PanelGrid",
    "colorbar_image",
    "colorize",
    "heatmap_figure",
    "number_grid_figure",
    "panel_grid",
    "scale_for",
    "shift_change_figure",
    "shrink",
    "upscale",
]
