"""Old address of some picture functions: import them from :mod:`cnnviz.pictures` instead.

The package is arranged by technique now (colour, encode, raster, text, tables, panels, heatmaps,
charts). TODO(lead): remove after callers move (tests/test_page_convolution.py,
bench/baseline_image_page.py, pages/).
"""

from cnnviz.pictures import (
    crop,
    grid_html,
    is_drawing,
    jpeg_bytes,
    outline,
    picture_bytes,
    png_bytes,
    reveal,
    robust_scale,
    shift_grid,
    side_by_side,
    thumbnail,
    to_uint8,
    upscale_factor,
    zoom,
)

__all__ = [
    "crop",
    "grid_html",
    "is_drawing",
    "jpeg_bytes",
    "outline",
    "picture_bytes",
    "png_bytes",
    "reveal",
    "robust_scale",
    "shift_grid",
    "side_by_side",
    "thumbnail",
    "to_uint8",
    "upscale_factor",
    "zoom",
]
