"""The Learn page's snapshot and depth sections under AppTest (run on their own, as the page
will call them), with the session's model put in place and the trainer pool faked."""

from __future__ import annotations

import types

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.learning.data import load_sample
from cnnviz.lessons import learn_progress as lesson
from pages._models import SessionModel
from tests.apptest import texts
from tests.rendered import assert_literal
from tests.test_lesson_learn_progress import _fake_trainer

TIMEOUT = 60


def _progress_script():
    from pages._learn_progress import progress_section

    progress_section()


def _depth_script():
    from pages._learn_progress import depth_section

    depth_section()


def run(script, model=None, **query) -> AppTest:
    at = AppTest.from_function(script, default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    if model is not None:
        at.session_state["train_model"] = SessionModel(model)
    at.run()
    assert not at.exception, at.exception
    return at


def maps_picture(at: AppTest, drawn: dict[str, bytes]) -> bytes:
    """The bytes of the picture captioned as conv_1's feature maps."""
    for element in at.image:
        for url, text in zip(element.value, element.captions):
            if text.startswith("conv_1's feature maps"):
                return drawn[url.rsplit("/", 1)[1].split(".")[0]]
    raise AssertionError("no maps picture")


def expected(model, index, label, kernel=0):
    data = load_sample()
    digit = data.x_test[lesson.digit_choices(data)[label]] / 255.0
    return lesson.snapshot_view(model, index, digit, kernel=kernel)


def test_without_a_model_it_says_to_train_one_and_offers_the_train_page():
    at = run(_progress_script)
    assert "Train one on the Train page" in at.info[0].value
    assert at.button(key="learn_progress_to_train").label == "Go to the Train page"
    assert not at.select_slider and not at.image


def test_the_slider_scrubs_from_the_random_start_to_the_trained_kernels(small_trained, drawn):
    at = run(_progress_script, small_trained)
    slider = at.select_slider(key="learn_progress_snapshot")
    assert slider.value == 0 and slider.options == list(lesson.progress(small_trained).labels)
    start = expected(small_trained, 0, 7)
    assert f"#### {start.title}" in texts(at) and start.change in texts(at)
    assert maps_picture(at, drawn) == start.picture
    slider.set_value(15).run()
    assert not at.exception
    end = expected(small_trained, 15, 7)
    assert "#### Batch 20 of 20 (2 epochs)" in texts(at)
    assert end.change in texts(at) and end.change.endswith("These are the trained kernels.")
    assert maps_picture(at, drawn) == end.picture != start.picture
    assert at.query_params["snapshot"] == "15"


def test_the_digit_and_kernel_controls_change_the_maps_and_the_numbers(small_trained, drawn):
    at = run(_progress_script, small_trained)
    at.select_slider(key="learn_progress_snapshot").set_value(10)
    at.selectbox(key="learn_progress_digit").set_value(3)
    at.number_input(key="learn_progress_kernel").set_value(5)
    at.run()
    assert not at.exception
    view = expected(small_trained, 10, 3, kernel=4)
    assert maps_picture(at, drawn) == view.picture
    figure = at.get("plotly_chart")[0].proto.spec
    assert "Kernel 5: its weights" in figure
    assert at.query_params["snapshot_digit"] == "3"


def test_a_link_picks_the_snapshot_and_digit_and_a_bad_one_is_named(small_trained, drawn):
    at = run(_progress_script, small_trained, snapshot="4", snapshot_digit="2")
    assert at.select_slider(key="learn_progress_snapshot").value == 4
    assert maps_picture(at, drawn) == expected(small_trained, 4, 2).picture
    at = run(_progress_script, small_trained, snapshot="<b>x</b>")
    assert "snapshot=<b>x</b> is not a valid snapshot" in at.warning[0].value.replace("\\", "")
    assert at.select_slider(key="learn_progress_snapshot").value == 0


def test_a_link_past_the_last_snapshot_shows_the_last(small_trained):
    at = run(_progress_script, small_trained, snapshot="40")
    assert at.select_slider(key="learn_progress_snapshot").value == 15
    assert "#### Batch 20 of 20 (2 epochs)" in texts(at)


# --- depth --------------------------------------------------------------------------------------


class _Pool:
    """Stands in for the server's TrainerPool: records each run, hands back a fake model."""

    ready = True
    slots = types.SimpleNamespace(busy=0, limit=2)

    def __init__(self, trainer, calls):
        self.trainer, self.calls = trainer, calls

    def warm(self):
        self.calls.append("warm")

    def run(self, spec, data, *, on_update, on_wait, keep, lost, limits):
        self.calls.append((spec.filters, limits.max_seconds))
        on_wait(2, 2)
        trained = self.trainer(spec, data, limits.max_seconds)
        on_update(trained.run)
        keep(trained)


@pytest.fixture
def small_depth(monkeypatch, tmp_path):
    """The depth section on 320 sample digits with a fake pool and its own cache folder."""
    import pages._learn_progress as section

    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path))
    calls, trained = [], []
    data, trainer = _fake_trainer(trained, [2.0, 2.2, 2.4], [0.97, 0.95, 0.9])
    monkeypatch.setattr(section, "get_dataset", lambda source: data)
    monkeypatch.setattr(section, "get_trainer_pool", lambda: _Pool(trainer, calls))
    return calls


def test_depth_is_measured_on_request_through_the_pool_and_the_next_visitor_sees_it(small_depth):
    at = run(_depth_script)
    assert any("has not measured it yet" in text for text in texts(at))
    assert not small_depth and not at.get("plotly_chart")
    at.button(key="learn_depth_run").click().run()
    assert not at.exception
    assert small_depth == [  # a worker warmed before each, so its limit counts training
        "warm",
        ((32,), lesson.DEPTH_SECONDS),
        "warm",
        ((32, 32), lesson.DEPTH_SECONDS),
        "warm",
        ((32, 32, 32), lesson.DEPTH_SECONDS),
    ]
    summary = "**1 block: 97.0% in 10 s; 2 blocks: 95.0% in 20 s; 3 blocks: 90.0% in 30 s.**"
    assert summary in texts(at)
    assert len(at.get("plotly_chart")) == 1
    later = run(_depth_script)  # another visitor: shown at once, nothing trained again
    assert summary in texts(later) and not later.button and len(small_depth) == 6
    assert "the more blocks, the slower the start" in " ".join(texts(later))


def test_a_failed_depth_training_is_said_literally_and_nothing_is_kept(monkeypatch, small_depth):
    import pages._learn_progress as section

    class Failing(_Pool):
        def __init__(self):
            pass

        def warm(self):
            pass

        def run(self, spec, data, *, on_update, on_wait, keep, lost, limits):
            lost(None, "it did not end its batch within 5 s of **Stop**")

    monkeypatch.setattr(section, "get_trainer_pool", Failing)
    at = run(_depth_script)
    at.button(key="learn_depth_run").click().run()
    assert not at.exception
    assert_literal(
        at.error[0].value, "kept nothing: it did not end its batch within 5 s of **Stop**"
    )
    assert lesson.depth_kept(load_sample().subset(320, 100)) is None
    assert np.all([not text.startswith("**1 block") for text in texts(at)])


def test_a_measurement_under_way_elsewhere_is_not_waited_for(small_depth, tmp_path):
    """Another process holds the comparison's lock: the button says so at once, trains nothing."""
    from cnnviz.learning import store

    data = load_sample().subset(320, 100)
    path = store._remembered_path(lesson.DEPTH_NAME, lesson.depth_key(data), str(tmp_path))
    at = run(_depth_script)
    with store.locked(f"{path}.lock"):
        at.button(key="learn_depth_run").click().run()
    assert not at.exception
    assert any(lesson.DEPTH_BUSY == i.value for i in at.info)
    assert [c for c in small_depth if c != "warm"] == [] and not at.get("plotly_chart")
