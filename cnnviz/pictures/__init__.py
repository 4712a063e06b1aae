"""Pictures: colour scales, PNG/JPEG encodings, zooms, tile grids, colour bars, Plotly figures.

Everything a lesson draws with is imported from this package (``from cnnviz.pictures import
zoom``); which file holds a function is this package's own business. The files, one technique
each, lowest first:

* :mod:`~cnnviz.pictures.text` — the one number formatter (a real minus sign), fonts.
* :mod:`~cnnviz.pictures.colour` — colour scales, values to colours, the colour bar.
* :mod:`~cnnviz.pictures.encode` — 8-bit pixels, PNG and JPEG bytes.
* :mod:`~cnnviz.pictures.raster` — the one zoom, shrinking, crops, outlines, the tile grid.
* :mod:`~cnnviz.pictures.tables` — numbers on coloured cells as an HTML table.
* :mod:`~cnnviz.pictures.panels` — many maps, titled, with colour bars, as one picture.
* :mod:`~cnnviz.pictures.heatmaps`, :mod:`~cnnviz.pictures.charts` — Plotly figures.
* :mod:`~cnnviz.pictures.images` — loading pictures (samples, uploads).
* :mod:`~cnnviz.pictures.qr` — an address as a QR code.

No Streamlit, no TensorFlow.
"""

from cnnviz.pictures.charts import (
    HIGHLIGHT,
    curves_figure,
    neuron_bars,
    pattern_figure,
    probability_bars,
    shift_change_figure,
    shift_figure,
    training_curves,
)
from cnnviz.pictures.colour import (
    DIVERGING,
    SEQUENTIAL,
    ColorScale,
    colorbar_image,
    colorbar_strip,
    colorize,
    colour_ramp,
    is_drawing,
    plotly_colours,
    robust_scale,
    scale_for,
    scale_ticks,
)
from cnnviz.pictures.encode import PNG_LIMIT, jpeg_bytes, picture_bytes, png_bytes, to_uint8
from cnnviz.pictures.heatmaps import (
    HOVER_LIMIT,
    confusion_figure,
    digit_grid,
    heatmap_figure,
    kernel_grid,
    number_grid_figure,
)
from cnnviz.pictures.images import (
    FACE_EYES,
    SAMPLES,
    ImageError,
    LoadedImage,
    Sample,
    cartoon_face,
    load_image,
    sample_image,
)
from cnnviz.pictures.panels import (
    Legend,
    Panel,
    PanelGrid,
    map_grid,
    panel_grid,
    shift_grid,
    vector_strip,
)
from cnnviz.pictures.qr import qr_png
from cnnviz.pictures.raster import (
    WINDOW_COLOR,
    cell_at,
    crop,
    outline,
    reveal,
    shrink,
    side_by_side,
    thumbnail,
    tile_grid,
    upscale,
    upscale_factor,
    zoom,
)
from cnnviz.pictures.tables import grid_html
from cnnviz.pictures.text import number_text

__all__ = [
    "DIVERGING",
    "FACE_EYES",
    "HIGHLIGHT",
    "HOVER_LIMIT",
    "PNG_LIMIT",
    "SAMPLES",
    "SEQUENTIAL",
    "WINDOW_COLOR",
    "cell_at",
    "ColorScale",
    "ImageError",
    "Legend",
    "LoadedImage",
    "Panel",
    "PanelGrid",
    "Sample",
    "cartoon_face",
    "colorbar_image",
    "colorbar_strip",
    "colorize",
    "colour_ramp",
    "confusion_figure",
    "crop",
    "curves_figure",
    "digit_grid",
    "grid_html",
    "heatmap_figure",
    "is_drawing",
    "jpeg_bytes",
    "kernel_grid",
    "load_image",
    "map_grid",
    "neuron_bars",
    "number_grid_figure",
    "number_text",
    "outline",
    "panel_grid",
    "pattern_figure",
    "picture_bytes",
    "plotly_colours",
    "png_bytes",
    "probability_bars",
    "qr_png",
    "reveal",
    "robust_scale",
    "sample_image",
    "scale_for",
    "scale_ticks",
    "shift_change_figure",
    "shift_figure",
    "shift_grid",
    "shrink",
    "side_by_side",
    "thumbnail",
    "tile_grid",
    "to_uint8",
    "training_curves",
    "upscale",
    "upscale_factor",
    "vector_strip",
    "zoom",
]
