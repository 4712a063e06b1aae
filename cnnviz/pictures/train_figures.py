"""Old address of some picture functions: import them from :mod:`cnnviz.pictures` instead.

The package is arranged by technique now (colour, encode, raster, text, tables, panels, heatmaps,
charts). TODO(lead): remove after callers move (tests/test_training.py, tests/test_model.py,
pages/train.py, pages/_models.py).
"""

from cnnviz.pictures import (
    confusion_figure,
    digit_grid,
    kernel_grid,
    mosaic,
    training_curves,
)

__all__ = [
    "confusion_figure",
    "digit_grid",
    "kernel_grid",
    "mosaic",
    "training_curves",
]
