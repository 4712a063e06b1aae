"""The "Your own classes" page under AppTest: every control, the messages, the sessions apart.

What the page shows is computed by :mod:`cnnviz.lessons.own` and checked in
``tests/test_lesson_own.py``; here, what only the page does: keep the visitor's pictures in
their session, change them through the controls, show visitor text literally, train and try.
"""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnnviz.learning import nn
from cnnviz.learning.own import MAX_PER_CLASS, shifted
from cnnviz.lessons import own as lesson
from tests.pictures import zipped
from tests.rendered import to_html

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "own.py")


def png(value: int = 128, size=(20, 16), mode="L") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, value).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(value: int = 128) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (value, 255 - value, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def run(what) -> AppTest:
    """Run the page (``what``: the AppTest, or a widget just changed); fail if the run raised."""
    at = what.run()
    assert not at.exception, [(e.message, e.stack_trace) for e in at.exception]
    return at


@pytest.fixture
def app():
    return run(AppTest.from_file(PAGE, default_timeout=120))


def pictures(at: AppTest) -> lesson.PictureSet:
    return at.session_state["own_set"]


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def unescaped(text: str) -> str:
    """A message as the visitor reads it (the page escapes every punctuation mark)."""
    return re.sub(r"\\(.)", r"\1", text)


def notes(at: AppTest) -> list[str]:
    """The errors, warnings and successes on the page, as read."""
    return [unescaped(n.value) for n in [*at.error, *at.warning, *at.success]]


def test_the_page_opens_with_two_empty_classes_and_says_what_is_missing(app):
    assert pictures(app).classes == lesson.DEFAULT_CLASSES
    assert app.text_input(key="own_name_0").value == "Class A"
    assert any(lesson.limits_text(25) in c.value for c in app.caption)  # .streamlit/config.toml
    assert app.file_uploader(key="own_zip").proto.max_upload_size_mb == 25
    assert lesson.EMPTY_TEXT in notes(app)
    assert not [b for b in app.button if b.key == "own_train"]  # nothing to train on yet
    assert lesson.NO_MODEL_TEXT in [i.value for i in app.info]


def test_add_rename_and_remove_classes(app):
    app.text_input(key="own_new_class").input("red cup")
    run(app.button(key="own_add_class").click())
    assert pictures(app).classes == ("Class A", "Class B", "red cup")
    assert app.text_input(key="own_new_class").value == ""
    run(app.text_input(key="own_name_0").input("pen"))
    assert pictures(app).classes == ("pen", "Class B", "red cup")
    run(app.text_input(key="own_name_1").input("PEN"))  # a duplicate: refused, box restored
    assert pictures(app).classes == ("pen", "Class B", "red cup")
    assert app.text_input(key="own_name_1").value == "Class B"
    assert any("already a class with this name" in n for n in notes(app))
    run(app.button(key="own_drop_0").click())
    assert pictures(app).classes == ("Class B", "red cup")
    assert app.text_input(key="own_name_0").value == "Class B"  # the boxes follow the set
    run(app.button(key="own_drop_0").click())  # two left: refused
    assert pictures(app).classes == ("Class B", "red cup")
    assert any("at least 2 classes" in n for n in notes(app))


def test_a_blank_class_name_is_refused(app):
    app.text_input(key="own_new_class").input("   ")
    run(app.button(key="own_add_class").click())
    assert pictures(app).classes == lesson.DEFAULT_CLASSES
    assert any("needs a name" in n for n in notes(app))


def test_a_class_name_in_the_too_few_pictures_warning_is_shown_literally(app):
    name = "[x](http://e.example/) **b**"
    run(app.text_input(key="own_name_0").input(name))
    run(app.file_uploader(key="own_files").set_value([("a.png", png(10), "image/png")]))
    shown = [
        e.value
        for e in [*app.markdown, *app.warning, *app.caption]
        if "e.example" in unescaped(e.value)
    ]
    assert any("Too few pictures" in t for t in shown)
    for text in shown:
        rendered = to_html(text)
        assert "<a" not in rendered and "<strong>b</strong>" not in rendered, rendered


def test_a_class_name_is_shown_literally(app):
    run(app.text_input(key="own_name_0").input("**bold** [x](http://e.com)"))
    heads = [t for t in texts(app) if "bold" in t]
    assert heads and all("\\*\\*bold\\*\\*" in t and "\\[x\\]" in t for t in heads)


def test_the_sample_set_fills_three_classes_and_states_the_split(app):
    run(app.button(key="own_sample").click())
    assert pictures(app).classes == ("circle", "square", "triangle")
    assert pictures(app).counts == (60, 60, 60)
    assert any("144 pictures train, 36 are held out" in t for t in texts(app))
    assert any(s.value.startswith("The sample set is in") for s in app.success)
    assert [b for b in app.button if b.key == "own_train"]


def test_uploaded_files_go_to_the_chosen_class_and_bad_ones_are_named(app):
    app.selectbox(key="own_target_files").set_value(1)
    app.file_uploader(key="own_files").set_value(
        [("a.png", png(10), "image/png"), ("b*.png", b"not a picture", "image/png"),
         ("c.jpg", jpeg(), "image/jpeg")]
    )  # fmt: skip
    run(app)
    assert pictures(app).counts == (0, 2)
    assert [p.name for p in pictures(app).pictures] == ["a.png", "c.jpg"]
    assert "Added 2 pictures." in notes(app)
    bad = [w.value for w in app.warning if "could not be read" in w.value]
    assert len(bad) == 1 and bad[0].startswith("\\'b\\*\\.png\\'")  # the name, literally
    run(app)  # the same files still in the uploader are not added twice
    assert pictures(app).counts == (0, 2)


def test_the_camera_stays_off_until_the_visitor_turns_it_on(app):
    assert not app.get("camera_input")  # no widget: the browser asks for no camera
    assert app.toggle(key="own_camera_on").value is False
    run(app.toggle(key="own_camera_on").set_value(True))
    assert [c.key for c in app.get("camera_input")] == ["own_camera"]


def test_camera_snapshots_are_added_one_per_snapshot(app):
    run(app.toggle(key="own_camera_on").set_value(True))
    run(app.camera_input(key="own_camera").set_value(("shot.jpg", jpeg(30), "image/jpeg")))
    run(app.camera_input(key="own_camera").set_value(("shot.jpg", jpeg(200), "image/jpeg")))
    run(app)
    assert pictures(app).counts == (2, 0)
    assert [p.name for p in pictures(app).pictures] == ["snapshot 1", "snapshot 2"]


def test_a_zip_brings_its_classes_and_names_its_bad_members(app):
    data = zipped(
        {"cup/1.png": png(0), "cup/2.png": png(50), "pen/1.png": png(255),
         "pen/../../evil.png": png(1), "notes.txt": b"hi"}
    )  # fmt: skip
    run(app.file_uploader(key="own_zip").set_value(("set.zip", data, "application/zip")))
    assert pictures(app).classes == ("cup", "pen")  # the empty default classes made way
    assert pictures(app).counts == (2, 1)
    warned = " ".join(notes(app))
    assert "'pen/../../evil.png' points outside the zip's folders" in warned
    assert "'notes.txt' is not in a class folder" in warned


def test_a_bad_zip_gets_a_message_and_keeps_the_pictures(app):
    run(app.button(key="own_sample").click())
    run(app.file_uploader(key="own_zip").set_value(("x.zip", b"not a zip", "application/zip")))
    assert any("not a zip archive" in e.value for e in app.error)
    assert pictures(app).counts == (60, 60, 60)


def test_removing_a_class_asks_first_and_add_to_class_keeps_its_class(app):
    app.text_input(key="own_new_class").input("pen")
    run(app.button(key="own_add_class").click())
    run(app.selectbox(key="own_target_files").set_value(2))  # add to "pen"
    run(app.file_uploader(key="own_files").set_value([("a.png", png(10), "image/png")]))
    asks = [t for t in texts(app) if t.startswith("Remove this class and its 1 picture?")]
    assert len(asks) == 1 and asks[0].endswith("**pen**")  # inside the class's popover
    assert app.button(key="own_drop_2").label == "Remove it"
    run(app.button(key="own_drop_0").click())  # an earlier class goes
    assert pictures(app).classes == ("Class B", "pen")
    assert app.selectbox(key="own_target_files").value == 1  # still "pen"
    run(app.file_uploader(key="own_files").set_value([("b.png", png(90), "image/png")]))
    assert pictures(app).counts == (0, 2)


def test_the_sample_set_asks_before_replacing_pictures(app):
    assert app.button(key="own_sample").label == "Use the sample shapes"  # nothing to lose
    run(app.file_uploader(key="own_files").set_value([("a.png", png(10), "image/png")]))
    assert app.button(key="own_sample").label == "Replace my pictures with them"
    warned = [w.value for w in app.warning if w.value.startswith("The sample set replaces")]
    assert warned == ["The sample set replaces your 2 classes and 1 picture: they cannot be "
                      "brought back."]  # fmt: skip


def test_a_measurement_is_cleared_when_the_pictures_change_and_a_stopped_one_says_so(app):
    run(app.button(key="own_sample").click())
    plan = lesson.training_plan(pictures(app), {k.removeprefix("own_"): app.session_state[k]
                                for k in ("own_channels", "own_shift", "own_flip",
                                          "own_layers", "own_head", "own_epochs")})  # fmt: skip
    made_for = lesson.measured_for(pictures(app), plan.spec)
    app.session_state["own_measure"] = {"for": made_for, "without": object()}  # Stop in the 2nd
    run(app)
    assert lesson.MEASURE_STOPPED in [w.value for w in app.warning]
    numbers = lesson.MeasureView(tuple((f"m{k}", "50.0%") for k in range(4)), "measured")
    app.session_state["own_measure"] = {"for": made_for, "view": numbers}
    run(app.selectbox(key="own_pick_0").set_value(pictures(app).pictures[0].key))
    assert [m.label for m in app.metric] == ["m0", "m1", "m2", "m3"]  # shown while current
    run(app.button(key="own_remove_0").click())  # the pictures changed
    assert lesson.MEASURE_STALE in [c.value for c in app.caption]
    assert app.session_state["own_measure"] == {}
    run(app)
    assert not app.metric and lesson.MEASURE_STOPPED not in [w.value for w in app.warning]


def test_remove_one_picture(app):
    run(app.button(key="own_sample").click())
    second = pictures(app).pictures[1].key
    app.selectbox(key="own_pick_0").set_value(second)
    run(app.button(key="own_remove_0").click())
    assert pictures(app).counts == (59, 60, 60)
    assert second not in [p.key for p in pictures(app).pictures]


def test_a_full_class_takes_no_more(app):
    files = [(f"{i}.png", png(i), "image/png") for i in range(MAX_PER_CLASS + 2)]
    run(app.file_uploader(key="own_files").set_value(files))
    assert pictures(app).counts == (MAX_PER_CLASS, 0)
    assert any(f"the {MAX_PER_CLASS} pictures a class may have" in n for n in notes(app))


def test_settings_change_what_the_network_sees(app):
    run(app.button(key="own_sample").click())
    assert any("grayscale" in t and "4,096 numbers" in t for t in texts(app))
    run(app.radio(key="own_channels").set_value("colour"))
    assert any("12,288 numbers" in t for t in texts(app))
    assert app.query_params["channels"] == "colour"


def test_two_sessions_never_see_each_others_pictures():
    one = run(AppTest.from_file(PAGE, default_timeout=120))
    two = run(AppTest.from_file(PAGE, default_timeout=120))
    run(one.button(key="own_sample").click())
    run(two)
    assert pictures(one).counts == (60, 60, 60)
    assert pictures(two).counts == (0, 0)
    assert any(t.startswith("**circle**") for t in texts(one))
    assert not any(t.startswith("**circle**") for t in texts(two))


# --- training (slow: a worker process with TensorFlow) -------------------------------------------


@pytest.fixture(scope="module")
def trained_app():
    """The sample set trained for 8 epochs, as a visitor would (module-wide: one training)."""
    at = run(AppTest.from_file(PAGE, default_timeout=300))
    run(at.button(key="own_sample").click())
    run(at.slider(key="own_epochs").set_value(8))
    return run(at.button(key="own_train").click())


@pytest.mark.slow
def test_train_on_the_sample_set_and_read_the_held_out_results(trained_app):
    at = trained_app
    box = at.session_state["own_model"]
    assert box.classes == ("circle", "square", "triangle") and box.trained.complete
    scores = box.trained.evaluation
    assert scores.confusion.shape == (3, 3) and scores.confusion.sum() == 36
    right = int(np.trace(scores.confusion))
    assert f"**{scores.accuracy:.1%}**: {right} of 36 pictures" in " ".join(texts(at))
    confusion = [c for c in at.get("plotly_chart") if "circle" in c.proto.spec]
    assert len(confusion) == 1  # the matrix's axes carry the class names


@pytest.mark.slow
def test_try_a_new_picture_gives_a_probability_per_class(trained_app, monkeypatch):
    at = trained_app
    assert [c.key for c in at.get("camera_input")] == []  # both cameras off until switched on
    run(at.toggle(key="own_try_camera_on").set_value(True))
    assert [c.key for c in at.get("camera_input")] == ["own_try_camera"]
    shape = Image.fromarray(np.uint8(lesson.new_shape(lesson.DEFAULT_SPEC, 7)[..., 0] * 255))
    buffer = io.BytesIO()
    shape.save(buffer, format="PNG")
    run(at.file_uploader(key="own_try_file").set_value(("new.png", buffer.getvalue(), "image/png")))
    said = [t for t in texts(at) if t.startswith("The model says **")]
    assert len(said) == 1 and said[0].split("**")[-2] in ("circle", "square", "triangle")
    assert any(t.startswith("**Where it looks.**") for t in texts(at))
    calls = []
    real = lesson.try_view
    monkeypatch.setattr(lesson, "try_view", lambda *a: calls.append(1) or real(*a))
    run(at)  # another click elsewhere: the same picture and model are not read again (0.6 s)
    assert calls == [] and any(t.startswith("The model says **") for t in texts(at))
    run(at.file_uploader(key="own_try_file").set_value(("bad.png", b"nope", "image/png")))
    assert any("could not be read" in e.value for e in at.error)


@pytest.mark.slow
def test_changing_the_classes_after_training_says_the_model_knows_the_old_ones(trained_app):
    at = trained_app
    run(at.text_input(key="own_name_0").input("ring"))
    assert any("Your classes changed since this model was trained" in w.value for w in at.warning)


@pytest.mark.slow
def test_measure_augmentation_shows_both_numbers():
    at = run(AppTest.from_file(PAGE, default_timeout=600))
    run(at.button(key="own_sample").click())
    run(at.slider(key="own_epochs").set_value(6))
    run(at.button(key="own_measure_start").click())
    labels = [m.label for m in at.metric]
    said = [w.value for w in (*at.warning, *at.error, *at.exception)]  # why, if it failed
    assert labels[:2] == [
        f"Without shifts, moved {lesson.MEASURE_PIXELS} px",
        f"With shifts, moved {lesson.MEASURE_PIXELS} px",
    ], said
    done = at.session_state["own_measure"]
    assert done["without"].spec.shift == 0 and done["with"].spec.shift == lesson.MEASURE_SHIFT
    data = done["data"]  # the held-out pictures, moved as the core moves them, read by hand
    moved = shifted(data.x_test.astype(np.float32) / 255, lesson.MEASURE_PIXELS, 0)
    for model, metric in ((done["without"], at.metric[0]), (done["with"], at.metric[1])):
        said = nn.predict(model.weights, moved, model.spec).argmax(axis=1)
        assert metric.value == f"{np.mean(said == data.y_test):.1%}"
    assert "held-out pictures, each moved 6 pixels" in " ".join(texts(at))
