"""The filters lesson without Streamlit: every view's numbers and sentences against the core
and against direct computations (no TensorFlow: models with NumPy's Glorot weights)."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from cnnviz.learning import explain
from cnnviz.learning.data import load_sample
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.nn import predict, weight_shapes
from cnnviz.learning.training import TrainedModel
from cnnviz.lessons import filters as lesson
from cnnviz.pictures import WINDOW_COLOR
from tests.training_kit import numpy_model

ONE = ModelSpec(filters=(4,), dense_units=8)
THREE = ModelSpec(filters=(4, 6, 8), dense_units=8)


def rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.fixture(scope="module")
def digits():
    data = load_sample()
    return lesson.searched_digits(data)[:120], data.y_test[:120]


def test_field_view_outlines_the_receptive_field_on_the_input():
    """The outline's corners sit on the field's corners (10 screen pixels per input pixel)."""
    x = np.zeros((28, 28), np.float32)
    view = lesson.field_view(x, THREE, 2, (3, 4))
    r0, r1, c0, c1 = explain.receptive_field(THREE, 2, (3, 4))
    assert view.headline == (
        f"conv_2 cell (3, 4) sees input rows {r0}–{r1 - 1}, columns {c0}–{c1 - 1}: 8×8 pixels."
    )
    picture = rgb(view.picture)
    assert picture.shape == (280, 280, 3)
    assert tuple(picture[r0 * 10 + 1, c0 * 10 + 1]) == WINDOW_COLOR
    assert tuple(picture[r1 * 10 - 2, c1 * 10 - 2]) == WINDOW_COLOR
    assert tuple(picture[r1 * 10 + 5, c1 * 10 + 5]) == (0, 0, 0)  # outside: the black input
    assert view.steps[-1].startswith("conv_2: 3×3 kernel, stride 1: r = 4 + (3 − 1)·2 = 8")


def test_layer_options_are_the_map_layers():
    assert list(lesson.layer_options(THREE)) == [0, 1, 2, 3, 4, 5]
    assert lesson.layer_options(ModelSpec(pooling="none"))[0] == "0: conv_1 (26×26, 32 filters)"
    assert lesson.map_side(THREE, 4) == 3 and lesson.filter_count(THREE, 4) == 8


def test_occlusion_view_names_the_position_where_covering_hurts_most(digits):
    x, labels = digits
    model = numpy_model(ONE, seed=2)
    view = lesson.occlusion_view(model, x[0, :, :, 0], 3, 6, 2, 0.5)
    probabilities = explain.occlusion_map(model.weights, ONE, x[0], 3, patch=6, stride=2)
    np.testing.assert_array_equal(view.probabilities, probabilities)
    whole = float(predict(model.weights, x[:1], ONE)[0, 3])
    a, b = np.unravel_index(np.argmin(probabilities), probabilities.shape)
    worst = probabilities[a, b]
    if whole - worst >= 0.05:
        rows = f"rows {2 * a}–{2 * a + 5}, columns {2 * b}–{2 * b + 5}"
        assert rows in view.sentence and f"to {worst:.0%}" in view.sentence
    else:
        assert view.sentence.startswith("No 6×6 patch moves the model much")
    assert rgb(view.occlusion).shape == rgb(view.saliency).shape == (280, 280, 3)


def test_occlusion_view_says_when_no_patch_matters():
    """All-zero weights: every covered copy scores 10 % for every class."""
    zeros = TrainedModel(ONE, "none", [np.zeros(s, np.float32) for s in weight_shapes(ONE)])
    view = lesson.occlusion_view(zeros, np.zeros((28, 28)), 3, 4, 2, 0.5)
    assert view.sentence.startswith("No 4×4 patch moves the model much")
    assert "between 10.0% and 10.0%" in view.sentence


def test_top_view_caption_lists_the_digits_and_their_responses(digits):
    x, labels = digits
    model = numpy_model(ONE, seed=3)
    top = lesson.find_top(model, x, 0)
    view = lesson.top_view(model, top, x, labels, 2)
    shown = [int(labels[n]) for n in top.indices[2]]
    label, times = Counter(shown).most_common(1)[0]
    assert f"({times} of 9 are {label}s)" in view.caption
    assert ", ".join(map(str, shown)) in view.caption
    assert f"{top.values[2, 0]:.2f}" in view.caption and f"{top.mean[2]:.2f}" in view.caption
    assert view.kernel is not None and view.title == "conv_1, filter 2"
    assert lesson.top_view(model, lesson.find_top(model, x, 1), x, labels, 2).kernel is None


def test_grad_cam_view_says_why_not_for_one_block_and_draws_for_three(digits):
    x, _ = digits
    one = lesson.grad_cam_view(numpy_model(ONE), x[0, :, :, 0], 4)
    assert not one.available and "1 conv block" in one.text and one.grad_cam is None
    three = lesson.grad_cam_view(numpy_model(THREE, seed=1), x[0, :, :, 0], 4)
    assert three.available and three.text.startswith("Grad-CAM on conv_3 (3×3 cells, 8 maps)")
    assert rgb(three.grad_cam).shape == (280, 280, 3)


def test_hierarchy_view_reports_purity_measured_directly(digits):
    """The shares in the text are the mean share of each filter's top 9 that are one digit."""
    x, labels = digits
    model = numpy_model(THREE, seed=4)
    first, last = lesson.find_top(model, x, 0), lesson.find_top(model, x, 4)
    view = lesson.hierarchy_view(model, first, last, labels)

    def purity(top):
        return np.mean([Counter(labels[row]).most_common(1)[0][1] / 9 for row in top.indices])

    assert view.available
    assert f"{purity(first):.0%} one digit" in view.text
    assert f"{purity(last):.0%} one digit" in view.text
    expected = purity(last) >= purity(first) + 0.15
    assert ("That is the expected hierarchy" in view.text) == expected
    assert ("does not clearly show" in view.text) == (not expected)
    assert "3×3 pixels" in view.text and "18×18 pixels" in view.text
    assert not lesson.hierarchy_view(numpy_model(ONE), first, None, labels).available


def test_feature_view_compares_with_the_average_test_digit():
    made = explain.FeaturePicture(np.ones((28, 28), np.float32), 3.0, 0.97, 1.0)
    view = lesson.feature_view(made, "the score of the digit 3", 1.5)
    assert view.text == (
        "the score of the digit 3: 3.00 for this picture (1.00 for the noise it started from; "
        "1.50 on an average test digit, so 2.0 times that). The model gives it 97%."
    )
    assert rgb(view.picture).shape == (280, 280, 3)


def test_feature_view_says_when_digits_excite_the_filter_as_much():
    made = explain.FeaturePicture(np.ones((28, 28), np.float32), 1.1, None, 0.2)
    assert (
        "Ordinary digits excite this filter about as much"
        in lesson.feature_view(made, "conv_1 filter 0", 1.0).text
    )
    made = explain.FeaturePicture(np.ones((28, 28), np.float32), 1.3, None, 0.2)
    assert "Ordinary" not in lesson.feature_view(made, "conv_1 filter 0", 1.0).text


def test_make_feature_is_seeded_and_reports_its_steps():
    model = numpy_model(ONE, seed=5)
    seen = []
    a = lesson.make_feature(model, "filter", 0, 1, on_step=lambda d, n: seen.append((d, n)))
    b = lesson.make_feature(model, "filter", 0, 1)
    np.testing.assert_array_equal(a.picture, b.picture)
    assert seen[-1] == (lesson.FEATURE_STEPS, lesson.FEATURE_STEPS) and len(seen) == 80


def test_model_key_changes_with_the_weights():
    a, b = numpy_model(ONE, seed=1), numpy_model(ONE, seed=2)
    assert lesson.model_key(a) == lesson.model_key(numpy_model(ONE, seed=1))
    assert lesson.model_key(a) != lesson.model_key(b)


@pytest.mark.parametrize("layer", [0, 1, 2, 3, 4, 5])
def test_a_clicked_pixel_picks_a_cell_whose_field_holds_it(layer):
    """For every pixel, the cell picked sees that pixel (the nearest field centre)."""
    for r in range(28):
        for c in range(28):
            cell = lesson.cell_for_pixel(THREE, layer, (r, c))
            r0, r1, c0, c1 = explain.receptive_field(THREE, layer, cell)
            side = lesson.map_side(THREE, layer)
            edge = {0, side - 1}  # the last fields may end before the input's edge (pooling)
            assert r0 <= r < r1 or cell[0] in edge, (layer, r, c, cell)
            assert c0 <= c < c1 or cell[1] in edge, (layer, r, c, cell)
