"""The Inside lesson without Streamlit: its views against Keras, SciPy and NumPy on real digits."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
import scipy.signal
from PIL import Image

from cnnviz.learning.model import ModelSpec, estimate_cost, keras_module
from cnnviz.learning.probe import ShiftCurve
from cnnviz.learning.training import Evaluation, TrainedModel, TrainingRun
from cnnviz.lessons import inside as lesson
from tests.training_kit import fresh_model, keras_model

DEFAULT_TITLES = [
    "conv_1 · Conv2D: 32 kernels, 32 feature maps",
    "pool_1 · MaxPool2D: 26×26 → 13×13",
    "flatten · Flatten: 13×13×32 → 5,408 numbers",
    "dense · Dense + ReLU: 256 neurons",
    "output · Dense + softmax: 10 scores, 10 probabilities",
]


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def ring_photo() -> np.ndarray:
    """A dark ring on light paper: what a phone photo of a handwritten 0 looks like."""
    paper = np.full((300, 240), 225, np.uint8)
    cv2.ellipse(paper, (120, 150), (55, 95), 0, 0, 360, 30, 16)
    return paper


def stroke_drawing() -> np.ndarray:
    """A white vertical stroke on the black canvas, RGBA as the drawing component returns it."""
    canvas = np.zeros((280, 280), np.uint8)
    cv2.line(canvas, (140, 30), (146, 250), 255, 20)
    rgb = np.repeat(canvas[:, :, None], 3, axis=2)
    return np.concatenate([rgb, np.full(canvas.shape + (1,), 255, np.uint8)], axis=2)


def keras_layer_outputs(model, x: np.ndarray) -> list[np.ndarray]:
    """Keras' own intermediate outputs for one digit: one model per layer."""
    keras = keras_module()
    batch = [x[None, :, :, None].astype(np.float32)]
    return [np.asarray(keras.Model(model.inputs, layer.output)(batch))[0] for layer in model.layers]


def figure_z(figure) -> np.ndarray:
    """The values of a heatmap figure."""
    return np.asarray(figure.data[0].z, dtype=np.float64)


@pytest.fixture(scope="module")
def default_view(default_trained, sample):
    digit = lesson.numbered_digit(sample, 0)
    return digit, lesson.forward_pass(default_trained, digit)


def test_every_layer_of_the_default_model_gets_its_section_with_keras_numbers(
    default_trained, default_view, sample
):
    """Titles in order; the prediction, the ReLU share (SciPy) and firing neurons (Keras)."""
    digit, view = default_view
    model = keras_model(default_trained)
    assert [s.title for s in view.sections] == DEFAULT_TITLES
    outputs = keras_layer_outputs(model, digit.x)
    probabilities = outputs[-1]
    predicted = int(probabilities.argmax())
    assert view.predicted == predicted
    assert view.input.headline == f"### Prediction: {predicted} ({probabilities[predicted]:.1%})"
    assert view.sections[-1].notes == (f"Prediction: {predicted} ({probabilities[predicted]:.1%})",)
    right = "right" if sample.y_test[0] == predicted else "wrong"
    assert view.input.verdict == f"True digit: {sample.y_test[0]} · the model is **{right}**."
    # conv_1 before ReLU as SciPy computes it: a cross-correlation per kernel, plus its bias.
    kernel, bias = default_trained.weights[:2]  # (3, 3, 1, 32), (32,)
    sums = np.stack(
        [
            scipy.signal.correlate2d(digit.x, kernel[:, :, 0, f], "valid") + bias[f]
            for f in range(32)
        ]
    )
    zeroed = f"After ReLU: {np.mean(sums < 0):.0%} of the values were negative and became 0"
    assert view.sections[0].notes[0].startswith(zeroed)
    firing = int(np.sum(outputs[3] > 0))
    assert view.sections[3].notes == (f"{firing} of 256 neurons fire (output above 0).",)
    np.testing.assert_allclose(view.pattern.output, outputs[3], rtol=1e-5, atol=1e-5)


def test_conv_section_draws_before_and_after_relu_with_both_colour_bars(default_view):
    """Two map grids, each with the map scale and the kernel scale beside it; real PNGs."""
    _, view = default_view
    conv, pool, flatten = view.sections[:3]
    assert [len(p.bars) for p in conv.pictures] == [2, 2]
    assert conv.pictures[1].caption == "The same maps after ReLU, on the same colour scale."
    assert conv.pictures[0].note is None  # 32 maps: all drawn
    for picture in (*conv.pictures, *pool.pictures, *flatten.pictures):
        assert picture.png.startswith(b"\x89PNG")
    assert len(pool.pictures[0].bars) == 1 and not flatten.pictures[0].bars
    before = Image.open(io.BytesIO(conv.pictures[0].png))
    pooled = Image.open(io.BytesIO(pool.pictures[0].png))
    assert pooled.width < before.width  # drawn at their real size relative to the maps above


def test_the_input_view_shows_the_28_by_28_the_model_sees(default_view, sample):
    """The first chart is the input digit itself: test digit 0 divided by 255, 28×28."""
    digit, view = default_view
    figure = view.input.figure
    assert figure.layout.title.text == "What the model sees: 28×28"
    np.testing.assert_allclose(figure_z(figure), sample.x_test[0] / 255.0, atol=1e-6)
    assert view.input.name == "test digit #0" and view.input.caution is None
    assert view.input.original is None and view.input.preparation is None


def test_an_own_small_model_gets_sections_for_its_own_sizes():
    """A model with 4 kernels and 8 neurons is described with those numbers."""
    spec = ModelSpec(filters=(4,), dense_units=8)
    own = fresh_model(spec, "none")
    view = lesson.forward_pass(own, lesson.Digit(np.zeros((28, 28), np.float32), None, "x"))
    assert view.sections[0].title == "conv_1 · Conv2D: 4 kernels, 4 feature maps"
    assert "8 neurons" in view.sections[3].title
    assert view.input.verdict is None


def test_a_drawn_stroke_is_prepared_like_mnist_and_read_as_a_one(default_trained):
    """A white vertical stroke on the black canvas: the preparation steps, then "1"."""
    digit = lesson.drawn_digit(stroke_drawing(), 1)
    view = lesson.forward_pass(default_trained, digit)
    assert view.predicted == 1 and digit.name == "your drawing"
    steps = view.input.preparation
    assert steps.startswith("Prepared the way MNIST's digits were:\n1. ")
    assert "Not inverted" in steps and "the longer side is 20 pixels" in steps
    assert view.input.original.shape[:2] == (120, 120)
    said = "The curves show the probability it gives its true digit, 1."
    assert said in lesson.shift_intro(digit, view.predicted)


def test_an_empty_drawing_asks_for_a_digit():
    """An all-black canvas (after the bin button) is refused with "Draw a digit first"."""
    with pytest.raises(ValueError, match="Draw a digit first"):
        lesson.drawn_digit(np.zeros((280, 280, 4), np.uint8), None)


def test_a_photo_of_a_zero_is_inverted_and_read_without_caution(default_trained):
    """Dark ink on light paper is inverted to MNIST's polarity and read as 0, not flagged."""
    digit = lesson.photo_digit("zero.png", *lesson.read_photo(png(ring_photo())), None)
    view = lesson.forward_pass(default_trained, digit)
    assert view.predicted == 0 and digit.name == "your photo zero.png"
    assert "Inverted" in view.input.preparation
    assert view.input.caution is None


def test_a_photo_that_is_not_a_digit_gets_a_caution(default_trained):
    """Bug: a photo of a house was read as "7 (67.6 %)" with no comment; now it is cautioned."""
    import skimage.data

    digit = lesson.photo_digit("camera.png", *lesson.read_photo(png(skimage.data.camera())), None)
    caution = lesson.forward_pass(default_trained, digit).input.caution
    assert caution.startswith("This does not look much like the handwritten digits")
    assert "(training digits: " in caution and "a guess" in caution


def test_a_long_file_name_is_shortened_and_an_unreadable_file_refused():
    """Names longer than 60 characters end in an ellipsis; text is not a picture."""
    image, steps = lesson.read_photo(png(ring_photo()))
    digit = lesson.photo_digit("x" * 5000 + ".png", image, steps, 0)
    assert digit.name == "your photo " + "x" * 59 + "…" and digit.label == 0
    with pytest.raises(ValueError, match="This file is text, not an image"):
        lesson.read_photo(b"just some text, not pixels")


def test_a_test_digit_number_out_of_range_is_refused_by_name(sample):
    with pytest.raises(ValueError, match=r"`index` must be from 0 to 999. Received: index=1000"):
        lesson.numbered_digit(sample, len(sample.x_test))


def test_comparing_with_the_shifted_digit_matches_numpy_on_keras_patterns(
    default_trained, default_view
):
    """Cosine and the firing counts of the two dense patterns, recomputed with NumPy."""
    digit, view = default_view
    other = lesson.shifted_digit(digit, 2, 0)
    expected_x = np.zeros_like(digit.x)
    expected_x[:, 2:] = digit.x[:, :-2]  # moved 2 pixels right, zeros coming in
    np.testing.assert_array_equal(other.x, expected_x)
    assert other.name == "test digit #0 moved (2, 0)"
    shown = lesson.comparison(default_trained, digit, view, other)
    model = keras_model(default_trained)
    a = keras_layer_outputs(model, digit.x)[3].astype(np.float64)
    b = keras_layer_outputs(model, expected_x)[3].astype(np.float64)
    cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    assert shown.cosine == f"Cosine similarity of the two patterns: {cosine:.2f}"
    both, only_a = np.sum((a > 0) & (b > 0)), np.sum((a > 0) & (b <= 0))
    only_b = np.sum((a <= 0) & (b > 0))
    assert shown.neurons == (
        f"Neurons firing for both: {both} · only for A: {only_a} · only for B: {only_b} (of 256)"
    )
    assert 0.5 < cosine < 1.0  # a 2-pixel move changes the pattern, but not much


def test_visitor_text_in_chart_titles_is_escaped(default_trained, default_view):
    """Plotly reads tags in titles: a file name's <b> shows as typed, not as bold."""
    digit, view = default_view
    named = lesson.Digit(digit.x, None, "your photo <b>tag</b>.png")
    shown = lesson.comparison(default_trained, named, view, digit)
    title = shown.figure_a.layout.title.text
    assert title.startswith("A: your photo &lt;b&gt;tag&lt;/b&gt;.png → ")
    assert "<b>" not in title


def _curve(mean: float) -> ShiftCurve:
    shifts = np.arange(-1, 2)
    return ShiftCurve(shifts, np.full(3, mean), np.full(3, mean))


@pytest.mark.parametrize(("pooling", "gain"), [("max", "+10.0"), ("none", "-10.0")])
def test_what_pooling_buys_is_the_pooled_models_mean_minus_the_other(pooling, gain, default_view):
    """With averages 90% (this model) and 80% (its twin) the gain is ±10 points, by pooling."""
    digit, _ = default_view
    spec = ModelSpec(filters=(2,), dense_units=4, pooling=pooling)
    trained = fresh_model(spec, "none")
    twin_spec = lesson.twin_spec(spec)
    twin = fresh_model(twin_spec, "none")
    view = lesson.shift_view(trained, digit, 3, _curve(0.9), twin, _curve(0.8))
    assert view.gain == f"What pooling buys here: {gain} percentage points on that mean."
    ours, theirs = lesson.pooling_name(spec), lesson.pooling_name(twin_spec)
    assert view.average_mean == (
        "Mean probability over all shifts of 200 test digits: "
        f"this model ({ours}): 90.0% · same model, {theirs}: 80.0%"
    )
    assert view.mean.startswith(
        f"Mean probability over all shifts of this digit: this model ({ours}): "
    )
    alone = lesson.shift_view(trained, digit, 3, _curve(0.9))
    assert alone.gain is None and "same model" not in alone.mean


def test_the_shift_intro_uses_the_prediction_when_the_label_is_unknown(default_view):
    digit, _ = default_view
    unknown = lesson.Digit(digit.x, None, "your drawing")
    said = "The curves show the probability it gives the digit it predicts unshifted, 4."
    assert said in lesson.shift_intro(unknown, 4)


def test_the_twin_offer_gives_the_estimated_time(default_trained, sample):
    """Bug: the help promised half a minute to a minute; the twin took about 1.5 minutes. It now
    gives estimate_cost's time for the twin (the default model without pooling, on the sample)."""
    twin = ModelSpec().replace(pooling="none")
    minutes = round(estimate_cost(twin, len(sample.x_train), len(sample.x_test)).seconds / 60)
    offer = lesson.twin_offer(default_trained, sample)
    assert offer.help.endswith(f"training it takes about {minutes} min."), offer.help
    assert minutes >= 2 and "half a minute" not in offer.help
    assert "2-core" not in offer.help and "took" not in offer.help  # no measurement diary
    assert offer.help.startswith("With no pooling the dense layer has about four times the weights")
    assert offer.button == "Train the same model with no pooling"
    assert f"on the same {len(sample.x_train):,} digits" in offer.text


def test_a_model_without_pooling_is_offered_a_max_pooling_twin(sample):
    spec = ModelSpec(filters=(2,), dense_units=4, pooling="none")
    trained = fresh_model(spec, sample.name)
    offer = lesson.twin_offer(trained, sample.subset(100, 50))
    assert offer.help.startswith("With max pooling the dense layer has about a quarter of")
    assert "on the same 100 digits" in offer.text


def test_twin_texts_say_where_it_stopped_and_how_it_compares():
    """The stopped, lost and compared lines, word for word."""
    spec = ModelSpec()
    run = TrainingRun.plan(spec, 5000)
    run.step, run.status = run.steps_per_epoch, "stopped"
    run.reason = "it reached the 10 min one training may take on this server"
    assert lesson.twin_stopped_text(run) == (
        "The comparison model stopped after 1 epoch of 5 (it reached the 10 min one training "
        "may take on this server) and is not kept: only a fully trained twin is compared with "
        "this model."
    )
    assert lesson.twin_lost_text("it did not answer") == (
        "The comparison model's training was ended and nothing was kept: it did not answer."
    )
    trained = TrainedModel(spec, "MNIST sample", [])
    twin = TrainedModel(lesson.twin_spec(spec), "MNIST sample", [])
    assert lesson.twin_caption(trained, twin) == (
        "Compared with the same spec with no pooling, trained the same way on MNIST sample "
        "(trained)."
    )
    trained.evaluation, twin.evaluation = _scored(0.9876), _scored(0.9712)
    assert lesson.twin_caption(trained, twin).endswith("(test accuracy 97.1%, this model's 98.8%).")


def _scored(accuracy: float) -> Evaluation:
    nothing = np.zeros(0)
    return Evaluation(nothing, nothing, nothing, accuracy, nothing, nothing, nothing)


def test_saliency_view_matches_a_gradient_tape_on_the_score(default_trained, default_view):
    """The gradient panel is d(score before softmax)/d(pixel), as tf.GradientTape gives it."""
    import tensorflow as tf

    digit, _ = default_view
    view = lesson.saliency_view(default_trained, digit, 3)
    assert view.text.startswith("The gradient of the score for 3 (before softmax)")
    assert "own backward pass" in view.caption and "TensorFlow's" in view.caption
    assert [title for title, _ in view.panels] == ["input", "gradient", "gradient × input"]
    model = keras_model(default_trained)
    keras = keras_module()
    hidden = keras.Model(model.inputs, model.layers[-2].output)
    kernel, bias = model.layers[-1].get_weights()
    x = tf.constant(digit.x[None, :, :, None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = tf.matmul(hidden(x), kernel)[0, 3] + bias[3]
    gradient = tape.gradient(score, x).numpy()[0, :, :, 0]
    np.testing.assert_allclose(figure_z(view.panels[1][1]), gradient, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        figure_z(view.panels[2][1]), gradient * digit.x, rtol=1e-4, atol=1e-6
    )
    assert lesson.saliency_label(lesson.PREDICTION, 7) == "7 (the prediction)"


def test_the_model_in_use_is_named_word_for_word():
    """The page's first line, for the visitor's own model and for the default one."""
    rng = np.random.default_rng()
    epochs = int(rng.integers(1, 20))
    trained = TrainedModel(ModelSpec(epochs=epochs), "MNIST sample (5,000 digits)", [])
    assert lesson.model_in_use(trained, own=True) == (
        "Model in use: Your own model from the Train page, trained on MNIST sample (5,000 digits)."
    )
    assert lesson.model_in_use(trained, own=False) == (
        f"Model in use: The default model: the article's CNN trained for {epochs} epochs on "
        "MNIST sample (5,000 digits). Train your own on the Train page to use it here instead."
    )


def test_the_digit_number_label_names_the_last_test_digit():
    count = int(np.random.default_rng().integers(2, 10_000))
    assert lesson.digit_number_label(count) == f"Test digit number (0 to {count - 1})"


def test_the_input_caption_escapes_only_the_name(default_view):
    _, view = default_view
    assert view.input.caption(lambda name: f"<{name}>") == (
        "Input: <test digit #0>. Every pixel is a number from 0 (black) to 1 (white); hover over "
        "the picture to read them."
    )


def test_a_model_is_complete_unless_its_training_stopped_early():
    """The one test of "finished" (default model cached, twin kept): TrainedModel.complete."""
    spec = ModelSpec()
    assert TrainedModel(spec, "MNIST sample", []).complete  # loaded without a record
    run = TrainingRun.plan(spec, 5000)
    run.step, run.status = run.total_steps, "finished"
    assert TrainedModel(spec, "MNIST sample", [], run).complete
    stopped = TrainingRun.plan(spec, 5000)
    stopped.step, stopped.status = stopped.steps_per_epoch, "stopped"
    assert not TrainedModel(spec, "MNIST sample", [], stopped).complete


def test_the_twin_learns_from_the_same_digits_as_its_model(sample):
    """Same data set by name, as many training digits as the run used (never more than there
    are); None when no candidate matches; later candidates not loaded once one matched."""
    spec = ModelSpec()
    n_train = int(np.random.default_rng().integers(50, len(sample.x_train)))
    trained = TrainedModel(spec, sample.name, [], TrainingRun.plan(spec, n_train))

    def candidates():
        yield sample
        raise AssertionError("a later candidate was loaded")

    data = lesson.twin_data(trained, candidates())
    np.testing.assert_array_equal(data.x_train, sample.x_train[:n_train])
    np.testing.assert_array_equal(data.y_test, sample.y_test)
    more = TrainedModel(spec, sample.name, [], TrainingRun.plan(spec, 10**6))
    assert len(lesson.twin_data(more, [sample]).x_train) == len(sample.x_train)
    assert len(lesson.twin_data(TrainedModel(spec, sample.name, []), [sample]).x_train) == len(
        sample.x_train
    )
    assert lesson.twin_data(TrainedModel(spec, "full MNIST", []), [sample]) is None
    key = lesson.twin_key(trained, data)
    assert key == f"{spec.replace(pooling='none')!r}|{sample.name}|{n_train}"
    assert key != lesson.twin_key(trained, sample)
    other = TrainedModel(spec.replace(pooling="average"), sample.name, [])
    assert lesson.twin_key(other, data) == key  # both twins have no pooling


def test_averaged_shift_curves_are_computed_once_per_model_and_read_only(
    default_trained, sample, monkeypatch
):
    """Two sessions asking at once get the same curve, computed once, equal to a direct
    computation; no session can write into it."""
    import threading

    calls = []
    direct = lesson.average_shift_curve

    def counted(model, data, count):
        calls.append(model)
        return direct(model, data, count)

    curves = lesson.AverageCurves(count=20)
    monkeypatch.setattr(lesson, "average_shift_curve", counted)
    got = [None, None]

    def session(i):
        got[i] = curves(default_trained, sample)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got[0] is got[1] and len(calls) == 1
    reference = direct(default_trained, sample, 20)
    for name in ("shifts", "along_x", "along_y"):
        np.testing.assert_array_equal(getattr(got[0], name), getattr(reference, name))
        with pytest.raises(ValueError, match="read-only"):
            getattr(got[0], name)[0] = 0


def test_the_default_models_averaged_curve_is_kept_on_disk(
    default_trained, sample, monkeypatch, tmp_path
):
    """With on_disk, a later server (a new AverageCurves) reads the curve from the cache folder
    instead of computing it; other weights get their own file; the values equal a direct
    computation and stay read-only."""
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path))
    calls = []
    direct = lesson.average_shift_curve

    def counted(model, data, count):
        calls.append(model)
        return direct(model, data, count)

    monkeypatch.setattr(lesson, "average_shift_curve", counted)
    first = lesson.AverageCurves(count=10)(default_trained, sample, on_disk=True)
    later = lesson.AverageCurves(count=10)(default_trained, sample, on_disk=True)
    assert len(calls) == 1 and len(list(tmp_path.glob("shift-curve-*.npz"))) == 1
    reference = direct(default_trained, sample, 10)
    for name in ("shifts", "along_x", "along_y"):
        np.testing.assert_array_equal(getattr(later, name), getattr(reference, name))
        np.testing.assert_array_equal(getattr(first, name), getattr(reference, name))
        with pytest.raises(ValueError, match="read-only"):
            getattr(later, name)[0] = 0
    changed = TrainedModel(default_trained.spec, "x", [w * 1.01 for w in default_trained.weights])
    lesson.AverageCurves(count=10)(changed, sample, on_disk=True)
    assert len(calls) == 2 and len(list(tmp_path.glob("shift-curve-*.npz"))) == 2


@pytest.mark.parametrize("target", [-1, 10, 2.5, "3", True, None])
def test_saliency_refuses_a_target_that_is_no_digit_by_name(target):
    digit = lesson.Digit(np.zeros((28, 28), np.float32), None, "nothing")
    with pytest.raises(ValueError, match=r"`target` must be a whole number from 0 to 9\. Received"):
        lesson.saliency_view(None, digit, target)


def test_the_upload_label_names_each_accepted_format_once():
    assert lesson.upload_label(["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]) == (
        "A photo or scan of one handwritten digit (PNG, JPEG, WebP, BMP, GIF or TIFF)"
    )
    assert lesson.upload_label(["tiff", "tif"]).endswith("(TIFF)")
    assert lesson.upload_label(["png", "gif"]).endswith("(PNG or GIF)")
    with pytest.raises(ValueError, match="`types`"):
        lesson.upload_label([])


def test_the_saliency_target_follows_the_prediction_unless_a_digit_is_chosen():
    predicted, chosen = (int(d) for d in np.random.default_rng().integers(0, 10, 2))
    assert lesson.saliency_target(lesson.PREDICTION, predicted) == predicted
    assert lesson.saliency_target(chosen, predicted) == chosen
    assert lesson.saliency_target(str(chosen), predicted) == chosen  # as a link gives it
