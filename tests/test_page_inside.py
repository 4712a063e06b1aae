"""The Inside-the-model page under AppTest: every input path, the session model, the twin."""

from __future__ import annotations

import base64
import io
import json
import re
import types

import cv2
import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.learning.data import as_model_input, load_sample
from cnnviz.learning.model import ModelSpec, build_model, estimate_cost
from cnnviz.learning.training import TrainedModel, TrainingRun, evaluate
from cnnviz.learning.worker import TrainingError
from pages._models import SessionModel
from tests.rendered import assert_literal, shown

PAGE = "../pages/inside.py"


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


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def prediction(at: AppTest) -> tuple[int, float]:
    """The page's stable result line, "### Prediction: 7 (98.2%)", read back."""
    for text in texts(at):
        match = re.fullmatch(r"### Prediction: (\d) \((\d+\.\d)%\)", text)
        if match:
            return int(match[1]), float(match[2])
    raise AssertionError(f"no prediction line in {texts(at)}")


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def ring_photo() -> np.ndarray:
    """A dark ring on light paper: what a phone photo of a handwritten 0 looks like."""
    paper = np.full((300, 240), 225, np.uint8)
    cv2.ellipse(paper, (120, 150), (55, 95), 0, 0, 360, 30, 16)
    return paper


def test_a_test_digit_goes_through_every_layer_to_a_prediction():
    """Default input: test digit 0 with its label, each layer's section, the plain result line."""
    at = run_page()
    data = load_sample()
    assert "The default model" in at.info[0].value
    digit, percent = prediction(at)
    assert f"True digit: {data.y_test[0]}" in " ".join(texts(at))
    headers = [h.value for h in at.subheader]
    assert headers[:5] == [
        "conv_1 · Conv2D: 32 kernels, 32 feature maps",
        "pool_1 · MaxPooling2D: 26×26 → 13×13",
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
    """Replace the drawing component by one that returns ``image`` (RGBA), as the browser does."""
    import streamlit_drawable_canvas

    def st_canvas(**kwargs):
        assert kwargs["key"] == "inside_canvas"
        return types.SimpleNamespace(image_data=image)

    monkeypatch.setattr(streamlit_drawable_canvas, "st_canvas", st_canvas)


def _rgba(gray: np.ndarray) -> np.ndarray:
    rgb = np.repeat(gray[:, :, None], 3, axis=2)
    return np.concatenate([rgb, np.full(gray.shape + (1,), 255, np.uint8)], axis=2)


def test_a_drawn_stroke_is_prepared_like_mnist_and_read_as_a_one(monkeypatch):
    """A white vertical stroke on the black canvas: the preparation steps, then "1"."""
    canvas = np.zeros((280, 280), np.uint8)
    cv2.line(canvas, (140, 30), (146, 250), 255, 20)
    _fake_canvas(monkeypatch, _rgba(canvas))
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
    own = TrainedModel.from_model(build_model(spec), spec, load_sample().name)
    at = run_page(train_model=SessionModel(own))
    assert at.info[0].value.startswith("Model in use: Your own model from the Train page")
    assert at.subheader[0].value == "conv_1 · Conv2D: 4 kernels, 4 feature maps"
    assert "8 neurons" in at.subheader[3].value


def test_comparing_with_the_same_digit_shifted():
    """Shifting the digit by (2, 0) names both inputs and prints their pattern similarity."""
    at = run_page()
    at.radio(key="inside_compare_kind").set_value("this digit, shifted").run()
    assert not at.exception
    line = next(t for t in texts(at) if t.startswith("Cosine similarity of the two patterns"))
    assert 0.0 < float(line.rsplit(" ", 1)[1]) <= 1.0
    assert any(t.startswith("Neurons firing for both: ") for t in texts(at))


def test_the_no_pooling_twin_is_trained_on_request_and_compared(monkeypatch):
    """The button trains the twin (training faked: it is the slow part, tested in
    test_worker.py), then both curves show."""
    import pages._twins

    def fake_train_live(spec, data, view, keep, lost=None):
        run = TrainingRun.plan(spec, len(data.x_train))
        run.step, run.status = run.total_steps, "finished"
        view.update(run)
        model = build_model(spec)
        keep(TrainedModel.from_model(model, spec, data.name, run, evaluate(model, data)))

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


def test_the_page_shows_the_28_by_28_the_model_sees():
    """The first chart is the input digit itself: test digit 0 divided by 255, 28×28."""
    at = run_page()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "What the model sees: 28×28"
    z = spec["data"][0]["z"]
    shown = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(28, 28)
    expected = as_model_input(load_sample().x_test[0])[0, :, :, 0]
    np.testing.assert_allclose(shown, expected, atol=1e-6)


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


def test_a_test_digit_gets_no_caution():
    """The default input, test digit 0, looks like the training digits: no warning at all."""
    at = run_page()
    assert not _prediction_column(at).warning and not at.warning


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


def test_the_twin_buttons_help_gives_the_estimated_time():
    """Bug: the help promised half a minute to a minute; the twin took about 1.5 minutes. It now
    gives estimate_cost's time for the twin (the default model without pooling, on the sample)."""
    data = load_sample()
    twin = ModelSpec().replace(pooling="none")
    minutes = round(estimate_cost(twin, len(data.x_train), len(data.x_test)).seconds / 60)
    help_text = run_page().button(key="inside_twin_train").help
    assert help_text.endswith(f"training it takes about {minutes} min."), help_text
    assert minutes >= 2 and "half a minute" not in help_text
    assert "2-core" not in help_text and "took" not in help_text  # no measurement diary
    assert help_text.startswith("With no pooling the dense layer has about four times the weights")


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
        model = build_model(spec)
        keep(TrainedModel.from_model(model, spec, data.name, run, evaluate(model, data)))
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
