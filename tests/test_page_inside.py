"""The Inside-the-model page under AppTest: every input path, the session model, the twin."""

from __future__ import annotations

import json
import re
import sys
import types

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.learning.data import load_sample
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.training import TrainedModel, TrainingRun, evaluate
from cnnviz.learning.worker import TrainingError
from cnnviz.lessons import inside as lesson
from pages._models import SessionModel
from tests.apptest import open_page, texts
from tests.rendered import assert_literal, shown
from tests.test_lesson_inside import png, ring_photo, stroke_drawing
from tests.training_kit import numpy_model

PAGE = "../pages/inside.py"
pytestmark = pytest.mark.slow  # each test runs the whole page: model, saliency, shift curves


@pytest.fixture(autouse=True)
def no_twins():
    """Each test starts without a trained comparison model (the store is server-wide)."""
    from pages._twins import get_twin_store

    get_twin_store.clear()
    yield
    get_twin_store.clear()


def run_page(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def prediction(at: AppTest) -> tuple[int, float]:
    """The page's stable result line, "### Prediction: 7 (98.2%)", read back."""
    for text in texts(at):
        match = re.fullmatch(r"### Prediction: (\d) \((\d+\.\d)%\)", text)
        if match:
            return int(match[1]), float(match[2])
    raise AssertionError(f"no prediction line in {texts(at)}")


def test_a_test_digit_goes_through_every_layer_to_a_prediction(default_trained):
    """Default input: test digit 0 with its label, each layer's section, the plain result line,
    no caution, and the offer to train the twin with the lesson's estimated time."""
    at = run_page()
    data = load_sample()
    assert "The default model" in at.info[0].value
    assert at.info[0].value == lesson.model_in_use(default_trained, own=False)
    assert at.markdown[0].value == lesson.INTRO
    digit, percent = prediction(at)
    assert f"True digit: {data.y_test[0]}" in " ".join(texts(at))
    headers = [h.value for h in at.subheader]
    assert headers[:5] == [
        "conv_1 · Conv2D: 32 kernels, 32 feature maps",
        "pool_1 · MaxPool2D: 26×26 → 13×13",
        "flatten · Flatten: 13×13×32 → 5,408 numbers",
        "dense · Dense + ReLU: 256 neurons",
        "output · Dense + softmax: 10 scores, 10 probabilities",
    ]
    assert f"Prediction: {digit} ({percent:.1f}%)" in texts(at)  # also under the bar chart
    assert any(
        re.fullmatch(r"After ReLU: \d+% of the values were negative.*", t) for t in texts(at)
    )
    assert any(re.fullmatch(r"\d+ of 256 neurons fire \(output above 0\)\.", t) for t in texts(at))
    assert [h.value for h in at.header][-1] == "What the model looks at"
    first_chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert first_chart["layout"]["title"]["text"] == "What the model sees: 28×28"
    assert not _prediction_column(at).warning and not at.warning  # test digit 0: no caution
    offer = lesson.twin_offer(default_trained, data)  # its time: test_lesson_inside.py
    assert at.button(key="inside_twin_train").help == offer.help
    assert at.button(key="inside_twin_train").label == offer.button


def test_choosing_a_test_digit_by_number_and_at_random():
    """The number picks the digit and its true label; the button draws a valid random number."""
    at = run_page()
    data = load_sample()
    at.number_input(key="inside_index").set_value(7).run()
    assert not at.exception
    assert f"True digit: {data.y_test[7]}" in " ".join(texts(at))
    assert any("Input: test digit #7." in shown(c.value) for c in at.caption)
    at.button(key="inside_random").click().run()
    assert not at.exception
    index = at.number_input(key="inside_index").value
    assert 0 <= index < len(data.x_test)
    assert any(f"Input: test digit #{index}." in shown(c.value) for c in at.caption)


def test_the_canvas_before_drawing_asks_for_a_digit():
    """In AppTest the canvas has no picture yet: a gentle hint, no prediction, no error."""
    at = run_page()
    at.radio(key="inside_source").set_value("draw").run()
    assert not at.exception and not at.error
    assert at.info[-1].value == "Draw a digit on the black square to see the model read it."
    assert not any(t.startswith("### Prediction") for t in texts(at))


def _fake_canvas(monkeypatch, image):
    """Replace the drawing component by one that returns ``image`` (RGBA), as the browser does.

    The fake module stands in for the real one, which registers its component on import and
    can only do so inside a running page."""

    def st_canvas(**kwargs):
        assert kwargs["key"] == "inside_canvas"
        return types.SimpleNamespace(image_data=image() if callable(image) else image)

    fake = types.SimpleNamespace(st_canvas=st_canvas)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)


def _rgba(gray: np.ndarray) -> np.ndarray:
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    return np.concatenate([rgb, np.full(gray.shape + (1,), 255, np.uint8)], axis=2)


def test_a_drawn_stroke_is_prepared_like_mnist_and_read_as_a_one(monkeypatch):
    """A white vertical stroke on the black canvas: the preparation steps, then "1"."""
    _fake_canvas(monkeypatch, stroke_drawing())
    at = run_page()
    at.radio(key="inside_source").set_value("draw").run()
    assert not at.exception
    assert prediction(at)[0] == 1
    steps = next(t for t in texts(at) if t.startswith("Prepared the way MNIST's digits were"))
    assert "Not inverted" in steps and "the longer side is 20 pixels" in steps
    at.selectbox(key="inside_meant_drawn").set_value(1).run()
    assert "The curves show the probability it gives its true digit, 1." in " ".join(texts(at))


def test_a_cleared_canvas_says_draw_a_digit_first(monkeypatch):
    """An all-black canvas (after the bin button) is not an error, just a hint."""
    _fake_canvas(monkeypatch, _rgba(np.zeros((280, 280), np.uint8)))
    at = run_page()
    at.radio(key="inside_source").set_value("draw").run()
    assert not at.exception and not at.error
    assert "Draw a digit first" in at.info[-1].value


def test_an_uploaded_photo_of_a_zero_is_inverted_and_read(monkeypatch):
    """Dark ink on light paper is inverted to MNIST's polarity and read as 0."""
    at = run_page()
    at.radio(key="inside_source").set_value("upload").run()
    assert at.info[-1].value == "Choose a picture of a digit with the uploader above."
    at.file_uploader(key="inside_upload").upload("zero.png", png(ring_photo()), "image/png").run()
    assert not at.exception and not at.error
    assert prediction(at)[0] == 0
    assert "Inverted" in next(t for t in texts(at) if t.startswith("Prepared the way"))
    assert any("Input: your photo zero.png." in shown(c.value) for c in at.caption)
    assert not at.warning  # a photographed digit is not flagged as unlike the training digits


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"just some text, not pixels", "This file is text, not an image"),
        ("blank.png", png(np.full((50, 50), 200, np.uint8)), "Draw a digit first"),
    ],
    ids=["text", "blank-page"],
)
def test_a_bad_upload_shows_why_and_keeps_the_digit_in_use(name, content, message):
    """The error names the file and the reason; the previous photo and its prediction stay."""
    at = run_page()
    at.radio(key="inside_source").set_value("upload").run()
    at.file_uploader(key="inside_upload").upload("zero.png", png(ring_photo()), "image/png").run()
    before = prediction(at)
    at.file_uploader(key="inside_upload").set_value((name, content, "image/png")).run()
    assert not at.exception
    said = shown(at.error[0].value)
    assert said.startswith(f"“{name}”: ") and message in said
    assert prediction(at) == before
    assert at.radio(key="inside_source").value == "upload"


def test_the_visitors_own_model_is_used_and_named():
    """A model trained on the Train page (here: a small untrained one) replaces the default."""
    spec = ModelSpec(filters=(4,), dense_units=8)
    own = numpy_model(spec, load_sample().name)
    at = run_page(train_model=SessionModel(own))
    assert at.info[0].value.startswith("Model in use: Your own model from the Train page")
    assert at.info[0].value == lesson.model_in_use(own, own=True)
    assert at.subheader[0].value == "conv_1 · Conv2D: 4 kernels, 4 feature maps"
    assert "8 neurons" in at.subheader[3].value


def test_comparing_with_the_same_digit_shifted(default_trained):
    """Shifting the digit by (2, 0) (the default) names both inputs and prints the lesson's
    pattern similarity and neuron counts for exactly that pair."""
    at = run_page()
    at.radio(key="inside_compare_kind").set_value("this digit, shifted").run()
    assert not at.exception
    digit = lesson.numbered_digit(load_sample(), 0)
    view = lesson.forward_pass(default_trained, digit)
    expected = lesson.comparison(default_trained, digit, view, lesson.shifted_digit(digit, 2, 0))
    assert expected.cosine in texts(at) and expected.neurons in texts(at)


def test_the_no_pooling_twin_is_trained_on_request_and_compared(monkeypatch):
    """The button trains the twin (training faked: it is the slow part, tested in
    test_worker.py), then both curves show."""
    import pages._twins

    def fake_train_live(spec, data, view, keep, lost=None):
        run = TrainingRun.plan(spec, len(data.x_train))
        run.step, run.status = run.total_steps, "finished"
        view.update(run)
        model = numpy_model(spec, data.name)
        model.run, model.evaluation = run, evaluate(model.weights, spec, data)
        keep(model)

    monkeypatch.setattr(pages._twins, "train_live", fake_train_live)
    at = run_page()
    assert not any("same model, no pooling" in t for t in texts(at))
    at.button(key="inside_twin_train").click().run()
    assert not at.exception
    assert any(
        c.value.startswith("Compared with the same spec with no pooling") for c in at.caption
    )
    mean = next(t for t in texts(at) if t.startswith("Mean probability over all shifts of this"))
    assert "this model (max pooling): " in mean and "same model, no pooling: " in mean
    assert any(t.startswith("What pooling buys here: ") for t in texts(at))
    # Kept for everybody: a new session finds it without training.
    again = run_page()
    assert any(c.value.startswith("Compared with the same spec") for c in again.caption)


def test_the_twin_store_hands_out_read_only_weights_and_keeps_the_first_twin():
    """What every session shares cannot be written, a second twin never replaces it, and the
    .keras bytes nobody downloads from a twin are not kept."""
    from pages._twins import TwinStore

    spec = ModelSpec(filters=(2,), dense_units=4, pooling="none")
    first = TrainedModel(spec, "MNIST sample", [np.zeros((3, 3, 1, 2)), np.zeros(2)])
    first.keras_file = b"PK fake .keras file"
    second = TrainedModel(spec, "MNIST sample", [np.ones((3, 3, 1, 2)), np.ones(2)])
    store = TwinStore()
    store.put("key", first)
    store.put("key", second)
    kept = store.get("key")
    assert kept.weights[1] is first.weights[1] and store.get("other") is None
    assert kept.keras_file is None
    for array in store.get("key").weights:
        with pytest.raises(ValueError, match="read-only"):
            array[...] = 1


def test_a_failed_twin_training_is_reported_and_nothing_is_kept(monkeypatch):
    """An error while training the comparison model is shown; the page and its button stay."""
    import pages._twins

    def failing_train_live(*args, **kwargs):
        raise TrainingError("out of memory")

    monkeypatch.setattr(pages._twins, "train_live", failing_train_live)
    at = run_page()
    at.button(key="inside_twin_train").click().run()
    assert not at.exception
    assert at.error[0].value == "Training the comparison model failed: out of memory"
    assert at.button(key="inside_twin_train")  # still offered
    assert not any("same model, no pooling" in t for t in texts(at))


def test_saliency_can_explain_another_digit_than_the_prediction():
    """Choosing digit 3 explains the score for 3."""
    at = run_page()
    at.selectbox(key="inside_saliency_class").set_value(3).run()
    assert not at.exception
    assert any(t.startswith("The gradient of the score for 3 ") for t in texts(at))


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.radio(key="inside_source").set_value("upload").run()
    at.file_uploader(key="inside_upload").upload(name, content, "image/png").run()
    assert not at.exception, at.exception
    return at


def _prediction_column(at: AppTest):
    """The column that holds the prediction line, as drawn beside the 28×28 input."""
    for column in at.columns:
        if any(m.value.startswith("### Prediction") for m in column.markdown):
            return column
    raise AssertionError("no column with the prediction")


def test_a_photo_that_is_not_a_digit_gets_a_caution_beside_the_prediction():
    """Bug: a photo of a house was read as "7 (67.6 %)" with no comment. A photo (scikit-image's
    camera man) is still read, but the prediction comes with a caution that says why."""
    import skimage.data

    at = _upload(run_page(), "camera.png", png(skimage.data.camera()))
    prediction(at)  # still answered
    column = _prediction_column(at)
    assert len(column.warning) == 1
    caution = column.warning[0].value
    assert caution.startswith("This does not look much like the handwritten digits")
    assert "(training digits: " in caution and "a guess" in caution


def test_an_uploaded_file_name_is_shown_literally_and_shortened():
    """Bug: the caption "Input: your photo …" read the file name as Markdown, so a name like
    ``a` **bold** [x](http://x/) `` rendered a link. Now it shows as typed: in the caption, in the
    error for a bad file, and in the comparison's Plotly titles (which read HTML tags)."""
    name = "a` **bold** [x](http://x/) `<b>tag</b>.png"
    at = _upload(run_page(), name, png(ring_photo()))
    caption = next(c.value for c in at.caption if shown(c.value).startswith("Input: your photo"))
    assert_literal(caption, f"Input: your photo {name}.")
    titles = [
        json.loads(chart.proto.spec)["layout"]["title"]["text"]
        for chart in at.get("plotly_chart")
        if chart.proto.id and "title" in json.loads(chart.proto.spec)["layout"]
    ]
    title = next(t for t in titles if t.startswith("A: your photo"))
    assert "<b>" not in title and "&lt;b&gt;tag&lt;/b&gt;" in title

    long = "x" * 5000 + ".png"
    at.file_uploader(key="inside_upload").upload(long, png(ring_photo()), "image/png").run()
    caption = next(c.value for c in at.caption if shown(c.value).startswith("Input: your photo"))
    assert len(caption) < 400 and "…" in caption

    at.file_uploader(key="inside_upload").upload(name, b"text, not pixels", "image/png").run()
    assert_literal(at.error[0].value, f"“{name}”")


def _fake_twin_training(monkeypatch, outcome):
    """train_live faked: the twin ends as ``outcome`` says ("time limit", "stop" or "lost")."""
    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    import pages._twins

    def fake_train_live(spec, data, view, keep, lost=None):
        run = TrainingRun.plan(spec, len(data.x_train))
        run.step, run.status = run.steps_per_epoch, "stopped"
        if outcome == "lost":
            lost(run, "it did not end its batch within 5 s of Stop")
            raise StopException  # the click ends this run; the box is filled all the same
        if outcome == "time limit":
            run.reason = "it reached the 10 min one training may take on this server"
        model = numpy_model(spec, data.name)
        model.run, model.evaluation = run, evaluate(model.weights, spec, data)
        keep(model)
        if outcome == "stop":
            raise StopException

    monkeypatch.setattr(pages._twins, "train_live", fake_train_live)


def test_a_twin_stopped_at_the_time_limit_says_so_and_is_not_kept(monkeypatch):
    """Bug: a twin stopped at the time limit was dropped and the status line emptied: the
    visitor saw nothing happen. The page now says where it stopped and why."""
    _fake_twin_training(monkeypatch, "time limit")
    at = run_page()
    at.button(key="inside_twin_train").click().run()
    assert not at.exception
    assert at.warning[0].value == (
        "The comparison model stopped after 1 epoch of 5 (it reached the 10 min one training "
        "may take on this server) and is not kept: only a fully trained twin is compared with "
        "this model."
    )
    assert at.button(key="inside_twin_train")  # offered again
    at.run()
    assert not at.warning  # said once


@pytest.mark.parametrize("outcome", ["stop", "lost"])
def test_a_twin_ended_by_a_click_is_explained_on_the_next_run(monkeypatch, outcome):
    """Bug: Stop on the twin (its model handed over after the click, or lost when the worker
    did not answer) left no word. The next run of the page says what became of it."""
    _fake_twin_training(monkeypatch, outcome)
    at = run_page()
    at.button(key="inside_twin_train").click().run()
    assert not at.exception and not at.warning  # the run ended at the click
    at.run()
    assert not at.exception
    expected = {
        "stop": "The comparison model stopped after 1 epoch of 5 and is not kept",
        "lost": "The comparison model's training was ended and nothing was kept: it did not "
        "end its batch within 5 s of Stop.",
    }[outcome]
    assert at.warning[0].value.startswith(expected), at.warning[0].value


def test_an_upload_error_quoting_the_files_bytes_is_shown_literally():
    """Bug: Pillow's message quotes the file's bytes, and it was shown as Markdown."""
    at = _upload(run_page(), "bad.png", b"P5\n**x** 2\n255\n")
    assert "cannot be read" in shown(at.error[0].value)
    assert_literal(at.error[0].value, "b'**x**'")


def test_a_twin_failure_shows_the_workers_text_literally(monkeypatch):
    """Bug: the worker's "Type: message" was shown as Markdown; now it is escaped."""
    import pages._twins

    def failing_train_live(*args, **kwargs):
        raise TrainingError("ValueError: **bad** [x](http://y)")

    monkeypatch.setattr(pages._twins, "train_live", failing_train_live)
    at = run_page()
    at.button(key="inside_twin_train").click().run()
    assert not at.exception
    assert_literal(at.error[0].value, "failed: ValueError: **bad** [x](http://y)")


def _chart_titles(at: AppTest) -> list[str]:
    layouts = [json.loads(chart.proto.spec)["layout"] for chart in at.get("plotly_chart")]
    return [layout["title"]["text"] for layout in layouts if "title" in layout]


def _away_and_back(at: AppTest) -> AppTest:
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/inside.py").run()
    assert not at.exception, at.exception
    return at


def test_settings_photo_and_drawing_survive_a_visit_to_another_page(monkeypatch, default_trained):
    """Streamlit forgets widget values while another page is shown; coming back keeps every
    setting, the uploaded photo and the last drawing (the canvas returns nothing until the
    browser redraws it)."""
    drawings = [stroke_drawing()]  # the canvas reports the stroke once, then nothing new

    _fake_canvas(monkeypatch, lambda: drawings.pop() if drawings else None)
    at = AppTest.from_file("../app.py", default_timeout=120).run()
    at.switch_page("pages/inside.py").run()
    at.number_input(key="inside_index").set_value(7)
    at.radio(key="inside_compare_kind").set_value("this digit, shifted").run()
    at.slider(key="inside_compare_dx").set_value(-3)
    at.slider(key="inside_compare_dy").set_value(1)
    at.selectbox(key="inside_saliency_class").set_value(3).run()
    before = prediction(at)
    _away_and_back(at)
    assert at.number_input(key="inside_index").value == 7
    assert at.radio(key="inside_compare_kind").value == "this digit, shifted"
    assert (at.slider(key="inside_compare_dx").value, at.slider(key="inside_compare_dy").value) == (
        -3,
        1,
    )
    assert at.selectbox(key="inside_saliency_class").value == 3
    assert prediction(at) == before
    assert any(t.startswith("B: test digit #7 moved (-3, 1) → ") for t in _chart_titles(at))
    assert any(t.startswith("The gradient of the score for 3 ") for t in texts(at))

    at.radio(key="inside_source").set_value("upload").run()
    at.file_uploader(key="inside_upload").upload("zero.png", png(ring_photo()), "image/png")
    at.selectbox(key="inside_meant_upload").set_value(0).run()
    _away_and_back(at)
    assert at.radio(key="inside_source").value == "upload"
    assert at.selectbox(key="inside_meant_upload").value == 0
    assert prediction(at)[0] == 0
    assert any("Input: your photo zero.png." in shown(c.value) for c in at.caption)

    at.radio(key="inside_source").set_value("draw").run()
    at.selectbox(key="inside_meant_drawn").set_value(1).run()
    assert prediction(at)[0] == 1 and not drawings
    _away_and_back(at)
    assert at.radio(key="inside_source").value == "draw"
    assert at.selectbox(key="inside_meant_drawn").value == 1
    assert prediction(at)[0] == 1
    assert any("Input: your drawing." in shown(c.value) for c in at.caption)


def test_a_link_chooses_the_input_digit_and_the_explained_class(default_trained):
    """?digit=7&explain=3 opens test digit 7 explaining the score of 3; a number out of range
    is named in a warning and the first digit is used."""
    at = open_page("pages/inside.py", timeout=120, digit="7", explain="3")
    assert at.number_input(key="inside_index").value == 7
    assert at.selectbox(key="inside_saliency_class").value == 3
    assert any("Input: test digit #7." in shown(c.value) for c in at.caption)
    assert any(t.startswith("The gradient of the score for 3 ") for t in texts(at))
    bad = open_page("pages/inside.py", timeout=120, digit="5000")
    assert shown(bad.warning[0].value).startswith(
        "The link's digit=5000 is not a valid test digit number, so the default is used."
    )
    assert bad.number_input(key="inside_index").value == 0


def test_the_link_follows_the_input_also_before_a_drawing_or_photo_exists(default_trained):
    """Switching to an input that has nothing to read yet rewrites the link at once: a bookmark
    then opens that input, not the test digit last shown (found by a hostile walk)."""
    at = open_page("pages/inside.py", timeout=120, digit="5", explain="7")
    at.radio(key="inside_source").set_value("upload").run()
    assert not at.exception
    assert at.query_params["source"] in ("upload", ["upload"])
    assert "digit" not in at.query_params and "explain" not in at.query_params
