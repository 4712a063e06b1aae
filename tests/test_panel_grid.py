"""panel_grid and shift_grid: many maps drawn as one picture, each panel exactly the colours of
its own map."""

import numpy as np
import pytest

from cnnviz.maths.invariance import ARTICLE_CROSSES, ARTICLE_KEEPS, article_example, compare_shift
from cnnviz.maths.kernels import KERNELS
from cnnviz.pictures import (
    ColorScale,
    Legend,
    Panel,
    colorbar_image,
    colorize,
    colour_ramp,
    map_grid,
    panel_grid,
    scale_for,
    scale_ticks,
    shift_grid,
    shrink,
    upscale,
)
from cnnviz.pictures import text as lettering

rng = np.random.default_rng(7)
SIDE = 64


def _crop(pixels, box):
    top, left, h, w = box
    return pixels[top : top + h, left : left + w]


def test_each_panel_is_colorize_of_its_own_map_on_its_own_scale():
    """Big maps are shrunk then coloured, small ones zoomed by a whole factor, and no panel
    borrows another's pixels or scale (three maps, three scales, two rows)."""
    big = rng.random((256, 200)).astype(np.float32)  # shrunk to 64×50
    small = rng.normal(size=(16, 16)).astype(np.float32)  # zoomed ×4
    odd = rng.random((9, 30)).astype(np.float32)  # zoomed ×2 to 18×60, centred
    gray, signed, other = scale_for(big), scale_for(small), ColorScale("gray", 0.2, 0.6)
    grid = panel_grid(
        [
            [Panel("big", big, gray), Panel("small", small, signed), Legend(signed, "v")],
            [Panel("odd", odd, other)],
        ],
        side=SIDE,
    )
    expected = [
        (grid.boxes[0][0], colorize(shrink(big, SIDE), gray)),
        (grid.boxes[0][1], upscale(colorize(small, signed), SIDE)),
        (grid.boxes[1][0], np.repeat(np.repeat(colorize(odd, other), 2, 0), 2, 1)),
    ]
    for box, colours in expected:
        np.testing.assert_array_equal(_crop(grid.pixels, box), colours)
    assert grid.boxes[0][0][2:] == (64, 50) and grid.boxes[1][0][2:] == (18, 60)
    top, left, _, _ = grid.boxes[1][0]
    assert left == 2 + (SIDE - 60) // 2  # centred across its square
    assert top == 2 + 22 + SIDE + 12 + 22 + (SIDE - 18) // 2  # second row, centred down


def test_legend_bar_runs_from_the_top_of_the_scale_down_to_its_bottom():
    """The bar is as tall as a panel: its top row has vmax's colour, its bottom row vmin's."""
    scale = ColorScale("RdBu_r", -3.0, 3.0)
    grid = panel_grid([[Panel("m", np.zeros((8, 8)), scale), Legend(scale, "change")]], side=SIDE)
    bar = _crop(grid.pixels, grid.boxes[0][1])
    assert bar.shape == (SIDE, 12, 3)
    ends = colorize(np.array([[3.0, -3.0]]), scale)[0]
    np.testing.assert_array_equal(bar[0], np.repeat(ends[:1], 12, axis=0))
    np.testing.assert_array_equal(bar[-1], np.repeat(ends[1:], 12, axis=0))
    assert grid.boxes[0][1][1] == 2 + SIDE + 10  # right after the panel and one gap


def test_size_follows_the_documented_layout_with_rows_of_different_lengths():
    """H = 4 + R·(22 + side) + (R − 1)·12; W = 4 + the widest row (10 between items)."""
    m, s = np.zeros((4, 4)), ColorScale("gray", 0.0, 1.0)
    rows = [
        [Panel("a", m, s), Panel("b", m, s), Legend(s, "v")],
        [Panel("c", m, s)],
        [Panel("note", note="words")],
    ]
    grid = panel_grid(rows, side=SIDE)
    assert grid.pixels.shape == (4 + 3 * (22 + SIDE) + 2 * 12, 4 + 2 * SIDE + 76 + 2 * 10, 3)
    assert grid.pixels.dtype == np.uint8
    assert grid.boxes[2] == (None,)


def test_titles_and_notes_are_drawn_and_a_long_title_stays_above_its_own_panel():
    """Ink in every title band and in the note's square; a title too long for its panel is cut
    short instead of running over the next one."""
    m, s = np.full((8, 8), 0.5), ColorScale("gray", 0.0, 1.0)
    long = "Feature map: shifted (−16, −16) − original, much too long to fit"
    grid = panel_grid(
        [[Panel(long, m, s), Panel("b", m, s), Panel("How to read", note="Red = higher.")]],
        side=SIDE,
    )
    ink = grid.pixels.min(axis=2) < 128  # (H, W): dark pixels
    band = ink[2:24]  # the title band of the row
    lefts = [2 + i * (SIDE + 10) for i in range(3)]
    for left in lefts:
        assert band[:, left : left + SIDE].any()
    assert not band[:, lefts[0] + SIDE + 1 : lefts[1]].any()  # nothing in the gap
    note_square = ink[24 : 24 + SIDE, lefts[2] : lefts[2] + SIDE]
    assert note_square.any()


def test_a_note_too_long_for_its_square_stays_inside_it():
    """Notes wrap at spaces; at side 32 one line fits and no ink falls below the square."""
    words = "one two three four five six seven eight nine ten eleven twelve"
    lines = lettering._wrapped(words, 14, 60)
    assert len(lines) > 2 and " ".join(lines) == words
    assert all(lettering._label_font(14).getlength(line) <= 60 for line in lines)
    grid = panel_grid([[Panel("n", note=words)]], side=32)
    ink = grid.pixels.min(axis=2) < 128
    assert ink[24:56].any() and not ink[56:].any()


def test_a_mostly_white_map_still_shows_its_edge():
    """A gray frame surrounds each map, so an all-white difference map is still visible."""
    s = ColorScale("RdBu_r", -1.0, 1.0)
    grid = panel_grid([[Panel("d", np.zeros((SIDE, SIDE)), s)]], side=SIDE)
    top, left, h, w = grid.boxes[0][0]
    frame = grid.pixels[top - 1, left : left + w]
    assert (frame < 230).all() and (_crop(grid.pixels, grid.boxes[0][0]) > 240).all()


@pytest.mark.parametrize(
    ("rows", "side", "message"),
    [
        ([], 64, "at least one row"),
        ([[]], 64, "every row at least one item"),
        ([["map"]], 64, "must be a Panel or a Legend. Received: str"),
        ([[Panel("m", np.zeros((4, 4)))]], 64, "Panel 'm' has a map but no `scale`"),
        (
            [[Panel("m", np.zeros((4, 4, 3)), ColorScale("gray", 0, 1))]],
            64,
            r"must be 2-D. Received: shape \(4, 4, 3\)",
        ),
        ([[Panel("m")]], 8, "`side` must be a whole number of pixels >= 16. Received: side=8"),
    ],
)
def test_bad_grids_are_refused_with_a_message_that_says_what_to_change(rows, side, message):
    with pytest.raises(ValueError, match=message):
        panel_grid(rows, side=side)


def test_without_the_label_font_symbols_are_spelt_in_ascii(monkeypatch):
    """Pillow's own font has no − or ×: they become - and x rather than empty boxes."""
    monkeypatch.setattr(lettering, "_has_label_font", lambda: False)
    assert (
        lettering._drawable("Image 64×64: shifted − original") == "Image 64x64: shifted - original"
    )


def test_shift_grid_puts_each_map_of_the_comparison_in_its_place():
    """Row by row (image, feature, pooled) and column by column (original, shifted, change),
    every panel is colorize() of that very map on its row's scale, shrunk as panel_grid does."""
    x = rng.random((150, 120)).astype(np.float32)
    c = compare_shift(x, KERNELS["Sobel x"].values, 3, -2, relu=False)
    scale, diff = scale_for(c.original.feature), ColorScale("RdBu_r", -2.0, 2.0)
    gray = ColorScale("gray", 0.0, 1.0)
    grid = shift_grid(c, scale, diff, side=SIDE)
    assert grid.pixels.shape == (3 * SIDE + 94, 3 * SIDE + 196, 3)
    expected = {
        (0, 0): (c.original.image, gray),
        (0, 1): (c.shifted.image, gray),
        (1, 0): (c.original.feature, scale),
        (1, 1): (c.shifted.feature, scale),
        (1, 3): (c.feature_difference, diff),
        (2, 0): (c.original.pooled, scale),
        (2, 1): (c.shifted.pooled, scale),
        (2, 3): (c.difference, diff),
    }
    for (row, item), (array, row_scale) in expected.items():
        shown = _crop(grid.pixels, grid.boxes[row][item])
        np.testing.assert_array_equal(shown, colorize(shrink(array, SIDE), row_scale))
    assert grid.boxes[0][3] is None  # the note, where the image row has no difference
    for row, item, scale_used in [(0, 2, gray), (1, 2, scale), (1, 4, diff), (2, 4, diff)]:
        bar = _crop(grid.pixels, grid.boxes[row][item])
        np.testing.assert_array_equal(
            bar[0, 0], colorize(np.array([[scale_used.vmax]]), scale_used)[0, 0]
        )


def test_shift_grid_keeps_the_article_example_pooled_difference_blank():
    """1 pixel right: identical pooled maps, so the pooled difference panel is all the colour
    of 0; 2 pixels right: it is not."""
    diff = ColorScale("RdBu_r", -8.0, 8.0)
    zero = colorize(np.zeros((1, 1)), diff)[0, 0]
    for (dx, dy), blank in [(ARTICLE_KEEPS, True), (ARTICLE_CROSSES, False)]:
        c = article_example(dx, dy)
        grid = shift_grid(c, scale_for(c.original.feature), diff, side=SIDE)
        pooled_change = _crop(grid.pixels, grid.boxes[2][3])
        assert bool((pooled_change == zero).all()) is blank


def test_map_grid_puts_each_zoomed_map_and_kernel_in_its_tile():
    """Tile f (row f // cols, column f % cols) holds np.kron(colorize(map f), ones) under its
    18-pixel number band, its kernel zoomed to its left; tiles are 10 pixels apart."""
    maps = rng.normal(size=(6, 6, 5)).astype(np.float32)
    kernels = rng.normal(size=(5, 3, 3)).astype(np.float32)
    scale, kernel_scale = scale_for(maps), scale_for(kernels)
    picture = map_grid(maps, scale, kernels=kernels, kernel_scale=kernel_scale, cols=2, tile=24)
    z, kz = 4, 3  # 24 / 6 and round(0.4 · 24 / 3)
    kernel_side, map_side = 3 * kz + 4, 6 * z
    cell_w, cell_h = kernel_side + map_side, 18 + map_side
    assert picture.shape == (3 * (cell_h + 10) - 10, 2 * (cell_w + 10) - 10, 3)
    for f in range(5):
        top, left = (f // 2) * (cell_h + 10) + 18, (f % 2) * (cell_w + 10)
        shown = picture[top : top + map_side, left + kernel_side : left + cell_w]
        np.testing.assert_array_equal(
            shown, np.kron(colorize(maps[:, :, f], scale), np.ones((z, z, 1), np.uint8))
        )
        ky = top + (map_side - 3 * kz) // 2
        kernel = picture[ky : ky + 3 * kz, left : left + 3 * kz]
        np.testing.assert_array_equal(
            kernel, np.kron(colorize(kernels[f], kernel_scale), np.ones((kz, kz, 1), np.uint8))
        )
    assert (picture[2 * (cell_h + 10) :, cell_w + 10 :] == 255).all()  # no sixth tile: white


def test_a_legend_and_the_standalone_colour_bar_show_the_same_ramp_and_ticks():
    """One colour bar: the panel grid's legend and colorbar_image both paint colour_ramp, and
    their five ticks are the scale's ends, quarters and middle (np.linspace), top first."""
    scale = ColorScale("RdBu_r", -2.5, 2.5)
    grid = panel_grid([[Panel("m", np.zeros((4, 4)), scale), Legend(scale, "v")]], side=SIDE)
    np.testing.assert_array_equal(
        _crop(grid.pixels, grid.boxes[0][1]), colour_ramp(scale, SIDE, 12)
    )
    bar = colorbar_image(scale, height=SIDE + 38)  # 28 pixels above the bar, 10 below
    np.testing.assert_array_equal(bar[28 : 28 + SIDE, 4 : 4 + 18], colour_ramp(scale, SIDE, 18))
    values = [float(t.replace("\u2212", "-")) for _, t in scale_ticks(scale)]
    np.testing.assert_allclose(values, np.linspace(2.5, -2.5, 5), rtol=1e-3)
    assert [f for f, _ in scale_ticks(scale)] == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("shape", [(4, 3, 3), (5, 3, 2)])
def test_map_grid_refuses_kernels_that_do_not_match_its_maps(shape):
    """One square kernel per map, or a message naming both shapes."""
    maps = np.zeros((6, 6, 5))
    with pytest.raises(ValueError, match=r"one square kernel per map.*Received: kernels.shape="):
        map_grid(maps, scale_for(maps), kernels=np.zeros(shape), kernel_scale=scale_for(maps))
