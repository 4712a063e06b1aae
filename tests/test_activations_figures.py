"""Activations against Keras' own, and the colour scales and pictures the pages draw."""

import numpy as np
import pytest

from cnnviz.maths.activations import relu, sigmoid, softmax, tanh
from cnnviz.pictures import (
    ColorScale,
    colorbar_image,
    colorize,
    heatmap_figure,
    number_grid_figure,
    scale_for,
    shift_change_figure,
    upscale,
)

keras = pytest.importorskip("keras")
rng = np.random.default_rng(3)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(relu, "relu"), (sigmoid, "sigmoid"), (tanh, "tanh"), (softmax, "softmax")],
)
def test_activations_match_keras(ours, theirs):
    """Each activation equals keras.activations.<name> on random inputs, large ones included."""
    x = rng.normal(scale=30, size=(4, 10)).astype(np.float32)
    expected = np.asarray(getattr(keras.activations, theirs)(x))
    np.testing.assert_allclose(ours(x), expected, rtol=1e-5, atol=1e-6)


def test_signed_maps_get_a_diverging_scale_centred_on_zero():
    """Negative values anywhere: symmetric limits, so white is exactly zero."""
    scale = scale_for(np.array([[-1.0, 3.0]]), np.array([[0.5]]))
    assert scale.diverging and scale.vmin == -3.0 and scale.vmax == 3.0
    white = colorize(np.array([[0.0]]), scale)[0, 0]
    assert white.min() > 240


def test_unsigned_maps_get_gray_from_min_to_max():
    """Non-negative maps: black at the minimum, white at the maximum."""
    x = rng.random((5, 5))
    scale = scale_for(x)
    assert not scale.diverging
    rgb = colorize(x, scale)
    assert rgb.shape == (5, 5, 3) and rgb.dtype == np.uint8
    assert tuple(rgb.reshape(-1, 3)[x.argmin()]) == (0, 0, 0)
    assert tuple(rgb.reshape(-1, 3)[x.argmax()]) == (255, 255, 255)


def test_colorize_is_monotone_in_brightness_for_gray():
    """Brighter values never map to darker grays."""
    ramp = np.linspace(0, 1, 300)[None]
    gray = colorize(ramp, scale_for(ramp))[0, :, 0].astype(int)
    assert np.all(np.diff(gray) >= 0)


@pytest.mark.parametrize("signed", [True, False])
def test_colorize_matches_plotlys_own_colour_scale(signed):
    """Every cell gets the colour Plotly's scale gives its value (within the 256-step table);
    values beyond the scale's ends get the end colours."""
    from plotly.colors import get_colorscale, sample_colorscale

    x = rng.normal(size=(37, 53)) * 2 if signed else rng.random((37, 53)) * 3
    scale = ColorScale("RdBu_r", -1.5, 1.5) if signed else ColorScale("gray", 0.5, 2.0)
    stops = get_colorscale(scale.name) if signed else [[0, "rgb(0,0,0)"], [1, "rgb(255,255,255)"]]
    where = np.clip((x - scale.vmin) / (scale.vmax - scale.vmin), 0, 1).ravel()
    expected = np.array(sample_colorscale(stops, list(where), colortype="tuple")) * 255
    got = colorize(x, scale).reshape(-1, 3).astype(float)
    assert np.abs(got - expected).max() <= 4  # the table has 256 entries, not every value


def test_colorize_accepts_an_empty_map():
    assert colorize(np.zeros((0, 5)), ColorScale("gray", 0, 1)).shape == (0, 5, 3)


def test_upscale_repeats_pixels_by_a_whole_factor():
    """Each cell becomes a factor x factor block of identical pixels."""
    x = rng.random((4, 6))
    big = upscale(x, min_side=16)
    assert big.shape == (16, 24)
    np.testing.assert_array_equal(big[::4, ::4], x)


def test_colorbar_and_figures_build():
    """The colour bar is an RGB image; heatmaps carry the exact values for hover."""
    scale = scale_for(np.array([-1.0, 2.0]))
    bar = colorbar_image(scale, height=200)
    assert bar.shape == (200, 110, 3)
    x = rng.normal(size=(8, 8))
    fig = heatmap_figure(x, scale, highlight=(1, 2, 3, 3))
    np.testing.assert_allclose(np.asarray(fig.data[0].z), x.astype(np.float32))
    assert fig.layout.shapes[0].x0 == 1.5
    grid = number_grid_figure(np.array([[1.0, -0.5]]))
    assert list(grid.data[0].text[0]) == ["1", "−0.5"]  # a real minus, as on Plotly's axes
    assert grid.layout.yaxis.autorange == "reversed" and grid.layout.yaxis.scaleanchor == "x"


def test_number_grid_labels_rows_and_columns_from_origin_and_outlines_a_cell():
    """A 3×4 window taken at row 5, column 7 of a map is labelled 5–7 and 7–10; the marked cell
    (0-based in the grid) gets a one-cell rectangle."""
    window = rng.normal(size=(3, 4))
    grid = number_grid_figure(window, digits=1, origin=(5, 7), highlight=(2, 1, 1, 1))
    assert list(grid.layout.yaxis.ticktext) == ["5", "6", "7"]
    assert list(grid.layout.xaxis.ticktext) == ["7", "8", "9", "10"]
    assert list(grid.layout.xaxis.tickvals) == [0, 1, 2, 3]
    (box,) = grid.layout.shapes
    assert (box.x0, box.x1, box.y0, box.y1) == (0.5, 1.5, 1.5, 2.5)
    np.testing.assert_array_equal(np.asarray(grid.data[0].z), window)


def test_shift_change_figure_draws_one_line_per_stage():
    change = rng.random((3, 5))
    fig = shift_change_figure([0, 1, 2, 4, 8], change)
    assert len(fig.data) == 3
    for s, trace in enumerate(fig.data):
        np.testing.assert_array_equal(np.asarray(trace.y), change[s])
        assert list(trace.x) == [0, 1, 2, 4, 8]
    assert fig.data[2].name == "3 stages (a cell covers 8×8 pixels)"
    assert fig.layout.yaxis.rangemode == "tozero"
