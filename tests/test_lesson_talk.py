"""The Talk page's lesson without Streamlit: the steps, moving through them, the pre-flight line,
the public address and its QR code (decoded back with OpenCV's own QR decoder, not segno)."""

from __future__ import annotations

import io
import re

import cv2
import numpy as np
import pytest
from PIL import Image

from cnnviz.lessons import convolution, pooling
from cnnviz.lessons import talk as lesson
from cnnviz.lessons.talk import STEPS
from cnnviz.maths.kernels import KERNELS
from cnnviz.pictures import qr_png, sample_image

#: The article's order (issue 14): title; a kernel slides; the eye example; kernels as
#: filters; pooling and the one-pixel shift; depth adds tolerance; fully connected layers;
#: training live; inside one digit.
ARTICLE_ORDER = [
    "title",
    "slide",
    "eyes",
    "filters",
    "pooling",
    "depth",
    "dense",
    "learn",  # one gradient step (issue 15): the network seen whole, before it trains live
    "train",
    "inside",
    "see",  # where the model looks (issue 16): occlusion and saliency of a test digit
    "own",  # your own classes (issue 17): the sample shapes, a shapes model reading a new one
    "audience",  # the room's digits: after the model has been seen reading one
]


def png(data: bytes) -> np.ndarray:
    """The pixels of PNG ``data`` as 8-bit gray, decoded by Pillow."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def decode_qr(data: bytes) -> str:
    """The text of the QR code in PNG ``data``, read by OpenCV."""
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(png(data))
    assert points is not None, "no QR code found"
    return text


def test_steps_follow_the_articles_order():
    assert [s.key for s in STEPS] == ARTICLE_ORDER


def test_step_keys_are_unique_and_url_safe():
    keys = [s.key for s in STEPS]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z][a-z-]*", key) for key in keys)


def test_every_step_has_a_title_and_one_sentence_idea():
    for step in STEPS:
        assert step.title and step.idea.endswith(".")
        assert step.idea.count(". ") == 0, step.idea  # one sentence
        assert len(step.idea) <= 100, step.key  # two lines at most in large type


@pytest.mark.parametrize("i", range(len(ARTICLE_ORDER)))
def test_index_and_key_round_trip(i):
    assert lesson.step_index(STEPS[i].key) == i


def test_an_unknown_key_is_refused_naming_the_keys():
    with pytest.raises(ValueError, match=r"`key` must be one of title, slide.*Received: key='x'"):
        lesson.step_index("x")


def test_next_and_previous_clamp_at_both_ends():
    last = len(STEPS) - 1
    assert [lesson.next_index(i) for i in range(last + 1)] == [*range(1, last + 1), last]
    assert [lesson.previous_index(i) for i in range(last + 1)] == [0, *range(last)]
    assert lesson.next_index(last + 5) == last and lesson.previous_index(-3) == 0
    assert lesson.previous_index(last + 5) == last - 1 and lesson.next_index(-3) == 1


def test_position_text_counts_from_one():
    assert lesson.position_text(0) == f"1 / {len(STEPS)}"
    assert lesson.position_text(len(STEPS) - 1) == f"{len(STEPS)} / {len(STEPS)}"


@pytest.mark.parametrize(
    ("cached", "ready", "expected"),
    [
        (True, True, ["default model cached ✓", "training worker ready ✓"]),
        (False, True, ["default model not cached ✗ (run make warm", "training worker ready ✓"]),
        (True, False, ["default model cached ✓", "training worker starting"]),
        (False, False, ["default model not cached ✗", "training worker starting"]),
    ],
)
def test_preflight_says_each_fact(cached, ready, expected):
    line = lesson.preflight(cached, ready)
    assert line.ok is (cached and ready)
    assert line.text.startswith("Pre-flight: ")
    assert line.text.endswith("network needed: no ✓")
    for part in expected:
        assert part in line.text


@pytest.mark.parametrize(
    ("environ", "browser", "expected"),
    [
        ({}, "http://localhost:8501/talk", "http://localhost:8501/"),
        ({}, "http://localhost:8501/talk/", "http://localhost:8501/"),
        ({}, "https://host.example/app/talk?step=eyes#x", "https://host.example/app/"),
        ({}, "http://10.0.0.5:8501/", "http://10.0.0.5:8501/"),
        ({}, "http://localhost:8501/stalk", "http://localhost:8501/stalk/"),  # not this page
        ({"CNNVIZ_PUBLIC_URL": "https://cnnviz.streamlit.app"}, "http://localhost:8501/talk",
         "https://cnnviz.streamlit.app/"),
        ({"CNNVIZ_PUBLIC_URL": "  https://a.example/talk  "}, None, "https://a.example/talk/"),
        ({"CNNVIZ_PUBLIC_URL": ""}, "http://localhost:8501/talk", "http://localhost:8501/"),
        ({"CNNVIZ_PUBLIC_URL": "not a url"}, "http://localhost:8501/talk", "http://localhost:8501/"),
        ({"CNNVIZ_PUBLIC_URL": "javascript:alert(1)"}, "http://h/talk", "http://h/"),
    ],
)  # fmt: skip
def test_public_url_prefers_the_configured_http_address(environ, browser, expected):
    assert lesson.public_url(environ, browser) == expected


@pytest.mark.parametrize("browser", [None, "", "file:///etc/passwd", "about:blank"])
def test_public_url_without_any_http_address_names_the_variable(browser):
    with pytest.raises(ValueError, match="set CNNVIZ_PUBLIC_URL"):
        lesson.public_url({}, browser)


@pytest.mark.parametrize(
    ("url", "short"),
    [
        ("https://www.cnnviz.streamlit.app/", "cnnviz.streamlit.app"),
        ("http://localhost:8501/", "localhost:8501"),
        ("https://host.example/app/", "host.example/app"),
    ],
)
def test_short_address_is_what_a_person_types(url, short):
    assert lesson.short_address(url) == short


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8501/", "https://cnnviz.streamlit.app/", "https://h.example/a/b?c=1&d=é"],
)
def test_the_qr_code_decodes_back_to_the_address(url):
    assert decode_qr(qr_png(url)) == url


def test_the_qr_code_is_black_on_white_with_the_scale_asked_for():
    pixels = png(qr_png("http://localhost:8501/", scale=10, border=2))
    side = pixels.shape[0]
    assert pixels.shape[:2] == (side, side)
    assert side % 10 == 0 and (side // 10 - 4 - 21) % 4 == 0  # (n + 2·border)·scale, n = 21 + 4k
    assert set(np.unique(pixels)) <= {0, 255}
    assert pixels[:20, :20].min() == 255  # the quiet zone is white


@pytest.mark.parametrize(("text", "scale"), [("", 8), (None, 8), ("x", 0)])
def test_qr_png_refuses_bad_arguments(text, scale):
    with pytest.raises(ValueError, match="must be"):
        qr_png(text, scale=scale)


def test_title_view_holds_the_address_its_code_and_the_preflight():
    view = lesson.title_view("https://cnnviz.streamlit.app/", True, False)
    assert view.address == "cnnviz.streamlit.app"
    assert decode_qr(view.qr) == "https://cnnviz.streamlit.app/"
    assert view.preflight == lesson.preflight(True, False)


def test_slide_view_is_the_convolution_lessons_cell_at_each_position():
    """Position i of the slide is output cell (r0 + i // 6, c0 + i % 6): the same numbers as
    the Convolution page's step-through of that cell, and the same animation frame."""
    face = sample_image("Cartoon face")
    kernel = KERNELS[lesson.SLIDE_KERNEL].values
    settings = convolution.Settings(1, "valid", 1)
    view = convolution.feature_map(face, kernel, settings)
    r0, c0, rows, cols = convolution.play_block(view.fmap.shape, *lesson.SLIDE_CELL)
    assert rows * cols == lesson.SLIDE_CELLS == 36
    for i in (0, 7, 35):
        slide = lesson.slide_view(i)
        r, c = r0 + i // cols, c0 + i % cols
        expected = float((face[r : r + 3, c : c + 3] * kernel).sum())  # cross-correlation
        assert slide.step.value == pytest.approx(expected, abs=1e-5)
        assert slide.frame.cells_caption == f"Cell ({r}, {c}) = {expected:.4g}"
    assert lesson.slide_view(99).frame.cells_caption == lesson.slide_view(35).frame.cells_caption


def test_filter_view_is_the_kernel_slid_with_same_padding():
    from scipy.ndimage import correlate

    from cnnviz.maths.pixels import to_grayscale

    view = lesson.filter_view("Sobel x")
    gray = to_grayscale(sample_image(lesson.FILTER_PICTURE))
    reference = correlate(gray, KERNELS["Sobel x"].values, mode="constant")
    np.testing.assert_allclose(view.map.raw, reference, atol=1e-5)
    assert png(view.picture).shape[:2] == gray.shape
    with pytest.raises(ValueError, match="named kernel"):
        lesson.filter_view("nope")


@pytest.mark.parametrize("choice", list(pooling.ARTICLE_SHIFTS))
def test_pooling_view_shows_the_articles_feature_and_pooled_maps_before_and_after(choice):
    view, grids = lesson.pooling_view(choice)
    page = pooling.article_view(choice)
    assert view.summary == page.summary and view.explanation == page.explanation
    c = page.comparison
    expected = [c.original.feature, c.shifted.feature, c.original.pooled, c.shifted.pooled]
    assert len(grids) == 4
    for grid, array in zip(grids, expected, strict=True):
        np.testing.assert_array_equal(grid.array, array)
        assert grid.height == lesson.GRID_HEIGHT


def test_one_pixel_right_keeps_the_pooled_map_two_pixels_do_not():
    _, same = lesson.pooling_view("1 pixel right")
    np.testing.assert_array_equal(same[2].array, same[3].array)
    _, moved = lesson.pooling_view("2 pixels right")
    assert not np.array_equal(moved[2].array, moved[3].array)


def test_train_intro_names_the_model_in_words():
    text = lesson.train_intro(lesson.TALK_SPEC, 4000)
    assert "ModelSpec" not in text
    assert "8 kernels of 3×3" in text and "32 hidden neurons" in text and "4,000 digits" in text


def test_depth_view_is_the_pooling_lessons_curve():
    view = lesson.depth_view()
    page = pooling.depth_view(sample_image(lesson.DEPTH_PICTURE), lesson.DEPTH_STACK)
    np.testing.assert_array_equal(view.curve.change, page.curve.change)
    assert view.finding == page.finding


@pytest.fixture(scope="module")
def model(sample):
    """The default model's layers with NumPy's starting weights (Glorot uniform): the views
    below take any model of that shape, and need not wait for the default model's training
    (the run's slowest fixture: ~20 s, once per run)."""
    from cnnviz.learning.model import ModelSpec
    from tests.training_kit import numpy_model

    return numpy_model(ModelSpec(), sample.name)


def test_dense_view_picks_the_hidden_and_output_layers(model, sample):
    view = lesson.dense_view(model, sample, 3)
    assert "Dense + ReLU" in view.hidden.title
    assert "Dense + softmax" in view.output.title
    assert view.forward.predicted == int(view.forward.probabilities.argmax())


def test_see_view_covers_a_test_digit_as_the_filters_page_does(model, sample):
    from cnnviz.lessons import filters

    view = lesson.see_view(model, sample, 7)
    label = int(sample.y_test[7])
    x = filters.digit_input(sample, 7)
    same = filters.occlusion_view(model, x, label, lesson.SEE_PATCH, lesson.SEE_STRIDE, 0.0)
    np.testing.assert_array_equal(view.occlusion.probabilities, same.probabilities)
    assert view.occlusion.probabilities.shape == (12, 12)  # (28 − 6) / 2 + 1 positions a side
    assert view.caption == f"Test digit #7: a {label}"
    shown = png(view.digit)
    assert shown.shape == (280, 280)
    np.testing.assert_allclose(shown[5::10, 5::10] / 255, x, atol=1 / 255)


def test_reading_view_reads_a_test_digit_like_the_inside_lesson(model, sample):
    from cnnviz.lessons import inside

    digit = inside.numbered_digit(sample, 5)
    view = lesson.reading_view(model, digit)
    assert view.headline == inside.forward_pass(model, digit).input.headline
    key, _figure = view.probabilities
    assert key.endswith("_probabilities")


def test_the_talk_model_is_small():
    spec = lesson.TALK_SPEC
    assert spec.filters == (8,) and spec.dense_units == 32 and spec.epochs <= 3


def test_default_model_cached_is_true_only_where_its_weights_are(sample, tmp_path, monkeypatch):
    """The pre-flight's first fact: the weights file default_model() would load (both in the
    cache folder of the environment; the training stood in for by NumPy's starting weights)."""
    from cnnviz.learning.training import default_model, default_model_cached
    from tests.training_kit import numpy_model

    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path / "kept"))
    assert not default_model_cached()
    default_model(sample, trainer=lambda spec, data: numpy_model(spec, data.name))
    assert default_model_cached()
    assert not default_model_cached(cache_dir=str(tmp_path / "empty"))


def test_a_pool_without_a_started_worker_is_not_ready():
    """The pre-flight's second fact, before anything was started (no process is made here)."""
    from cnnviz.learning.worker import TrainerPool

    assert TrainerPool(limit=1).ready is False


def test_the_own_step_shows_the_shapes_and_a_shapes_model_reading_a_new_one():
    from cnnviz.learning import nn
    from cnnviz.learning.own import DEFAULT_SPEC, SHAPES, sample_shapes
    from cnnviz.learning.training import TrainedModel

    view = lesson.own_view(None)
    grid = png(view.shapes)
    side = 64 + 4  # a picture and its gap
    assert grid.shape == (3 * side - 4, lesson.OWN_SHOWN * side - 4)
    circles = sample_shapes(1, 64, 0).x[0, ..., 0]  # the page's sample set starts with it
    np.testing.assert_allclose(grid[:64, :64] / 255, circles, atol=0.5 / 255 + 1e-6)
    assert view.picture is None and view.reading == lesson.OWN_NO_MODEL
    rng = np.random.default_rng(3)
    weights = [rng.normal(0, 0.3, s).astype(np.float32) for s in nn.weight_shapes(DEFAULT_SPEC)]
    model = TrainedModel(DEFAULT_SPEC, "shapes", weights)
    assert lesson.own_view(model, ("cup", "pen", "key")).picture is None  # not a shapes model
    view = lesson.own_view(model, SHAPES)
    new = sample_shapes(1, 64, lesson.OWN_SEED).x[lesson.OWN_SEED % 3]
    expected = nn.predict(weights, new[None], DEFAULT_SPEC)[0]
    np.testing.assert_allclose(view.probabilities.data[0].y, expected, rtol=1e-6)
    answer = SHAPES[int(np.argmax(expected))]
    assert view.reading == (
        f"A shape it never saw. The model says **{expected.max():.1%}**: {answer}"
    )
    assert png(view.picture).shape == (64 * 3, 64 * 3)
