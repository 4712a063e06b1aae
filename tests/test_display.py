"""Pictures made ready for a browser: encodings, the one zoom, crops, tiles, tables, numbers."""

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.maths.ops import explain_conv_at
from cnnviz.pictures import (
    SAMPLES,
    cartoon_face,
    colorize,
    crop,
    grid_html,
    is_drawing,
    jpeg_bytes,
    number_text,
    outline,
    picture_bytes,
    png_bytes,
    reveal,
    robust_scale,
    sample_image,
    scale_for,
    side_by_side,
    thumbnail,
    tile_grid,
    to_uint8,
    upscale,
    upscale_factor,
    zoom,
)

rng = np.random.default_rng(5)


@pytest.mark.parametrize("shape", [(7, 5), (7, 5, 3)])
def test_png_bytes_decode_back_to_the_same_pixels(shape):
    """The fast encoder is lossless and keeps RGB order (OpenCV's BGR does not leak out)."""
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(image))))
    np.testing.assert_array_equal(decoded, image)


def test_png_bytes_refuses_float_images_with_a_clear_message():
    """Floats must go through to_uint8 first; the message says what was received."""
    with pytest.raises(ValueError, match="uint8 array. Received: dtype=float64"):
        png_bytes(np.zeros((2, 2)))


def test_to_uint8_clips_and_rounds():
    """0 → 0, 1 → 255, out-of-range values are clipped."""
    assert to_uint8(np.array([-1.0, 0.0, 1.0, 3.0])).tolist() == [0, 0, 255, 255]


def test_thumbnail_keeps_the_aspect_ratio_and_the_longer_side():
    """A 300×451 photo becomes 64×96; a 64×64 drawing is enlarged to 96×96."""
    assert thumbnail(rng.random((300, 451, 3))).shape == (64, 96, 3)
    assert thumbnail(rng.random((64, 64))).shape == (96, 96)


def test_one_upscale_factor_keeps_input_and_output_at_the_same_scale():
    """The factor comes from the input; the smaller output zoomed by it keeps its proportion."""
    factor = upscale_factor((64, 64))
    assert factor == 5
    assert zoom(np.zeros((62, 31)), factor).shape == (62 * factor, 31 * factor)
    assert upscale_factor((1024, 1024)) == 1


def test_crop_sees_the_same_window_as_explain_conv_at_in_the_padding():
    """A crop at a negative corner holds zeros where the convolution's zero padding is."""
    x = rng.random((6, 6)).astype(np.float32)
    e = explain_conv_at(x, np.ones((3, 3)), 0, 0, padding="same")
    np.testing.assert_array_equal(crop(x, e.top, e.left, 3, 3), e.window)


def test_outline_and_reveal_leave_their_input_untouched():
    """Both draw on a copy: the picture a page caches is never changed."""
    rgb = np.zeros((8, 8, 3), np.uint8)
    framed = outline(rgb, 0, 0, 2, 2, factor=2)
    shown = reveal(rgb, 1, factor=2)
    assert rgb.max() == 0 and framed.max() == 255 and shown[4:, 4:].min() == 235
    assert shown[:2, :2].max() == 0  # the first cell is already computed: not blanked


def test_robust_scale_keeps_a_few_hot_pixels_from_washing_out_a_photo_map():
    """One cell 100× stronger than the rest: the robust scale still spans the ordinary values."""
    x = rng.normal(size=(300, 300)).astype(np.float32)
    x[0, 0] = 400.0
    scale = robust_scale(x)
    assert scale.diverging and scale.vmin == -scale.vmax and 2.0 < scale.vmax < 4.0
    unsigned = robust_scale(np.abs(x))
    assert not unsigned.diverging and unsigned.vmin == pytest.approx(float(np.abs(x).min()))
    assert robust_scale(x, percentile=100).vmax == 400.0


def test_jpeg_keeps_a_colour_map_close_and_sharp():
    """Quality 95 without chroma subsampling: every pixel of a red/blue map within a few levels."""
    x = rng.normal(size=(64, 64)).astype(np.float32)
    rgb = colorize(np.kron(x, np.ones((4, 4))), scale_for(x))  # 4×4 blocks, sharp red/blue edges
    decoded = np.asarray(Image.open(io.BytesIO(jpeg_bytes(rgb)))).astype(int)
    assert np.abs(decoded - rgb).mean() < 2.0
    assert np.percentile(np.abs(decoded - rgb), 99) < 16


def test_picture_bytes_sends_small_pictures_as_png_and_big_ones_as_jpeg():
    """Enlarged cells stay exact; a 1024×1024 map is sent as JPEG."""
    small = rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)
    big = np.zeros((1024, 1024, 3), np.uint8)
    shown_small = Image.open(io.BytesIO(picture_bytes(small)))
    shown_big = Image.open(io.BytesIO(picture_bytes(big)))
    assert (shown_small.format, shown_big.format) == ("PNG", "JPEG")
    np.testing.assert_array_equal(np.asarray(shown_small), small)  # Pillow decodes it exactly


def test_grid_html_shows_every_number_on_its_map_colour():
    """Each cell's text and background colour match the number and colorize()."""
    kernel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0]])
    table = grid_html(kernel)
    assert table.count("<td") == 6 and ">−2<" in table and ">2<" in table
    r, g, b = colorize(kernel, scale_for(kernel))[1, 2]
    assert f"background:rgb({r},{g},{b})" in table


def test_side_by_side_places_each_picture_unchanged_with_gaps_between():
    """Every picture appears exactly, top-aligned, ``gap`` columns after the previous one."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (5, 3, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (7, 4, 3), dtype=np.uint8)
    both = side_by_side([a, b], gap=2)
    assert both.shape == (7, 9, 3)
    np.testing.assert_array_equal(both[:5, :3], a)
    np.testing.assert_array_equal(both[:, 5:], b)
    assert (both[:, 3:5] == 255).all() and (both[5:, :3] == 255).all()
    with pytest.raises(ValueError, match="images"):
        side_by_side([np.zeros((2, 2))])


def test_is_drawing_tells_the_cartoon_face_from_every_photo():
    """The face (6 tones) and a flat-coloured upload are drawings; every photo sample is not,
    nor noise that the quick sample misses (the full check finds it)."""
    assert is_drawing(cartoon_face())
    assert is_drawing(np.kron(rng.integers(0, 4, (8, 8, 3)), np.ones((40, 40, 1))) / 3)
    photos = [name for name in SAMPLES if name != "Cartoon face"]
    assert photos and not any(is_drawing(sample_image(name)) for name in photos)
    hidden = np.zeros(600 * 600)
    hidden[1::5] = rng.random(hidden[1::5].size)  # the sample (every 5th value) sees only 0
    assert not is_drawing(hidden.reshape(600, 600))


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (4, 2, 3)])
@pytest.mark.parametrize("factor", [1, 2, 5])
def test_zoom_equals_numpys_kronecker_product_with_a_block_of_ones(shape, factor):
    """Each pixel becomes a factor × factor block: exactly np.kron with ones, dtype kept."""
    x = rng.integers(0, 256, size=shape, dtype=np.uint8)
    block = np.ones((factor, factor) + (1,) * (len(shape) - 2), np.uint8)
    got = zoom(x, factor)
    np.testing.assert_array_equal(got, np.kron(x, block))
    assert got.dtype == np.uint8


def _factor_by_search(h, w, min_side, max_side):
    """The smallest whole factor reaching min_side, then lowered until max_side is kept."""
    factor = 1
    while factor * min(h, w) < min_side:
        factor += 1
    while factor > 1 and factor * max(h, w) > max_side:
        factor -= 1
    return factor


@pytest.mark.parametrize(
    ("shape", "min_side", "max_side"),
    [
        ((2, 3), 6, 2048),
        ((2, 3), 6, 6),
        ((62, 62), 320, 2048),
        ((7, 300), 320, 2048),
        ((28, 28, 3), 300, 400),
        ((1024, 1024), 320, 2048),
        ((5, 9), 240, 480),
    ],
)
def test_upscale_zooms_by_the_factor_a_search_finds(shape, min_side, max_side):
    """upscale = zoom by upscale_factor: checked against a step-by-step search and np.kron."""
    x = rng.random(shape)
    factor = _factor_by_search(shape[0], shape[1], min_side, max_side)
    assert upscale_factor(shape, min_side, max_side) == factor
    block = np.ones((factor, factor) + (1,) * (len(shape) - 2))
    np.testing.assert_array_equal(upscale(x, min_side, max_side), np.kron(x, block))


def _tiles_by_hand(tiles, cols, gap, fill):
    """Reference tile grid: a canvas of `fill`, each tile copied in by a plain loop."""
    count, h, w = tiles.shape[:3]
    cols = min(cols, count)
    rows = -(-count // cols)
    dtype = np.float64 if np.isnan(fill) else tiles.dtype
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap) + tiles.shape[3:], fill, dtype)
    for m in range(count):
        top, left = (m // cols) * (h + gap), (m % cols) * (w + gap)
        out[top : top + h, left : left + w] = tiles[m]
    return out


@pytest.mark.parametrize(
    ("shape", "cols", "gap", "fill", "dtype"),
    [
        ((7, 4, 5), 3, 1, np.nan, np.float32),
        ((10, 28, 28), 8, 12, np.nan, np.uint8),
        ((1, 2, 2), 8, 0, np.nan, np.float64),
        ((5, 6, 3, 3), 2, 10, 255, np.uint8),
        ((4, 3, 3), 4, 2, 0.5, np.float32),
    ],
)
def test_tile_grid_places_every_tile_where_a_plain_loop_does(shape, cols, gap, fill, dtype):
    """The one tile grid (digits, kernels, feature maps) against a loop over the tiles."""
    tiles = (rng.random(shape) * 255).astype(dtype)
    got = tile_grid(tiles, cols=cols, gap=gap, fill=fill)
    expected = _tiles_by_hand(tiles, cols, gap, fill)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_tile_grid_refuses_no_tiles_with_the_shape_it_got():
    with pytest.raises(ValueError, match=r"`tiles` must be .* Received: \(0, 2, 2\)"):
        tile_grid(np.zeros((0, 2, 2)), cols=2)


@pytest.mark.parametrize("value", [*rng.normal(scale=10.0, size=40), 0.0, -0.0, -1e-5, 123456.0])
@pytest.mark.parametrize(("digits", "fixed"), [(3, False), (2, True), (0, True)])
def test_number_text_reads_back_as_pythons_rounding_with_a_real_minus(value, digits, fixed):
    """Parsed back (− as -), the text is the number Python's own format rounds to; negative
    numbers use U+2212 and never a hyphen; zero is plain "0"."""
    reference = format(value, f".{digits}{'f' if fixed else 'g'}")
    text = number_text(value, digits, fixed=fixed)
    assert "-" not in text and text != ""
    assert float(text.replace("\u2212", "-")) == float(reference)
    assert text.startswith("\u2212") == (float(reference) < 0)


# --- readable from the back of a room (issue 14) -----------------------------------------------


def _luminance(colour: str) -> float:
    """Relative luminance (WCAG) of "#rrggbb": 0 black, 1 white."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _figures():
    from cnnviz.learning.probe import ShiftCurve
    from cnnviz.learning.training import TrainingRun
    from cnnviz.pictures import (
        ColorScale,
        confusion_figure,
        heatmap_figure,
        kernel_grid,
        neuron_bars,
        number_grid_figure,
        pattern_figure,
        probability_bars,
        shift_change_figure,
        shift_figure,
        training_curves,
    )

    shifts = np.arange(-3, 4)
    curve = ShiftCurve(shifts, np.linspace(0, 1, 7), np.linspace(1, 0, 7))
    return {
        "training_curves": training_curves(TrainingRun(2, 10, 32, 320)),
        "shift_change_figure": shift_change_figure(shifts, rng.random((3, 7))),
        "neuron_bars": neuron_bars(rng.random(10), title="t"),
        "probability_bars": probability_bars(rng.dirichlet(np.ones(10)), predicted=3, true=4),
        "pattern_figure": pattern_figure(rng.random(8), rng.random(8)),
        "shift_figure": shift_figure({"a": curve, "b": curve}),
        "heatmap_figure": heatmap_figure(rng.random((5, 5)), ColorScale("gray", 0, 1)),
        "number_grid_figure": number_grid_figure(rng.random((15, 15)), origin=(3, 4)),
        "confusion_figure": confusion_figure(rng.integers(0, 9, (10, 10))),
        "kernel_grid": kernel_grid(rng.normal(size=(4, 3, 3))),
    }


@pytest.mark.parametrize("name", list(_figures()))
def test_every_figure_writes_ticks_14_px_and_text_16_px_in_a_dark_colour(name):
    """Streamlit draws charts over its own template (ticks 12 px light grey); what the figure
    sets itself wins, so every axis, colour bar and the figure's text must carry the sizes."""
    figure = _figures()[name]
    layout = figure.layout.to_plotly_json()
    axes = [key for key in layout if key.startswith(("xaxis", "yaxis"))]
    assert axes, "a figure with axes"
    for key in axes:
        tickfont = layout[key].get("tickfont", {})
        assert tickfont.get("size", 0) >= 14, (key, tickfont)
        assert _luminance(tickfont["color"]) < 0.05, (key, tickfont)
    assert layout["font"]["size"] >= 16 and _luminance(layout["font"]["color"]) < 0.05
    for trace in figure.data:
        if trace.type == "heatmap" and trace.showscale is not False:
            assert trace.colorbar.tickfont.size >= 14, name
        if trace.texttemplate:  # numbers in cells; Plotly picks black or white for the cell
            assert trace.textfont.size >= 14, name
        if trace.type == "bar" and trace.text is not None:  # Plotly shrinks these to fit
            assert layout["uniformtext"]["minsize"] >= 14, name


def test_grid_html_writes_every_number_and_margin_14_px_dark():
    """The step-through's tables: no font below 14 px, row and column numbers not light grey."""
    table = grid_html(rng.normal(size=(15, 15)))
    sizes = [int(size) for size in __import__("re").findall(r"font-size:(\d+)px", table)]
    assert sizes and min(sizes) >= 14
    heads = __import__("re").findall(r"<th style=\"[^\"]*color:(#[0-9a-f]{6})", table)
    assert heads and all(_luminance(colour) < 0.05 for colour in heads)
    assert table.startswith('<div style="overflow-x:auto')  # a wide table scrolls by itself


def _ink_runs(region: np.ndarray) -> list[tuple[int, int]]:
    """(first row, height) of each band of rows holding dark ink."""
    dark = (region.min(axis=2) < 128).any(axis=1)
    edges = np.flatnonzero(np.diff(np.r_[0, dark.astype(int), 0]))
    return [(int(a), int(b - a)) for a, b in zip(edges[::2], edges[1::2])]


def test_numbers_drawn_into_pictures_are_14_px_type():
    """A digit of 14-px DejaVu Sans is 10 pixels tall (11 px type, the old ticks, gave 8):
    the colour bars' ticks, a panel grid's legend and the map grid's tile numbers."""
    from cnnviz.pictures import ColorScale, Legend, Panel, colorbar_image, map_grid, panel_grid

    scale = ColorScale("gray", 0, 8)
    grid = panel_grid([[Panel("m", np.zeros((4, 4)), scale), Legend(scale, "v")]], side=128)
    top, left, h, w = grid.boxes[0][1]
    legend_ticks = _ink_runs(grid.pixels[:, left + w + 5 :])
    bar_ticks = _ink_runs(colorbar_image(scale, height=200, label="v")[:, 29:])
    maps = map_grid(np.zeros((4, 4, 3)), scale, cols=3, tile=40)
    tile_numbers = _ink_runs(maps[:18])
    assert [height for _, height in legend_ticks] == [10] * 5
    assert [height for _, height in bar_ticks] == [10] * 5
    assert [height for _, height in tile_numbers] == [10]


@pytest.mark.parametrize(
    "low, high", [(-4, 4), (0.00784, 0.913), (-1234.5, 0.25), (0, 1), (-0.0031, 0.0029)]
)
def test_a_colour_strip_has_one_number_per_tick_none_touching_and_14_px_type(low, high):
    """The strip under a map keeps its ends' numbers and drops an inner one sooner than let
    two numbers run into each other; every number is 14 px type (digits 10 pixels tall)."""
    from cnnviz.pictures import ColorScale, colorbar_strip

    strip = colorbar_strip(ColorScale("RdBu_r", low, high), width=220)
    marks = strip[38].min(axis=1) < 128  # the tick marks' row, under the 16-pixel ramp
    mark_x = np.flatnonzero(np.diff(np.r_[0, marks.astype(int), 0]))[::2]
    ink = (strip[41:].min(axis=2) < 128).any(axis=0)  # the numbers' columns
    gaps = np.diff(np.flatnonzero(ink))
    numbers = 1 + int(np.sum(gaps > 7))  # inside a number ink gaps are 4 columns at most
    assert 3 <= len(mark_x) <= 5 and numbers == len(mark_x)
    assert [h for _, h in _ink_runs(strip[41:])][0] in (10, 11)  # with a minus sign's row
    assert marks[14] and marks[220 - 14 - 1]  # both ends kept


@pytest.mark.parametrize("name", ["RdBu_r", "gray"])
def test_grid_html_numbers_contrast_4_5_to_1_with_their_cells_on_every_colour(name):
    """WCAG AA for every colour a scale can paint: each number's ink (black or white) against
    its cell, the ratio computed here from the table's own HTML."""
    import re

    from cnnviz.pictures import ColorScale

    values = np.linspace(-1, 1, 401).reshape(1, -1) if name == "RdBu_r" else None
    values = values if values is not None else np.linspace(0, 1, 401).reshape(1, -1)
    table = grid_html(values, ColorScale(name, values.min(), values.max()))

    def luminance(rgb):
        c = np.array(rgb) / 255
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4) @ [
            0.2126,
            0.7152,
            0.0722,
        ]

    cells = re.findall(r"background:rgb\((\d+),(\d+),(\d+)\);color:(#000|#fff)", table)
    assert len(cells) == 401
    for r, g, b, ink in cells:
        back, text = luminance((int(r), int(g), int(b))), 0.0 if ink == "#000" else 1.0
        ratio = (max(back, text) + 0.05) / (min(back, text) + 0.05)
        assert ratio >= 4.5, (r, g, b, ink, ratio)
