"""The Learn page, run for real with AppTest: every control by key, the buttons, the link.

What the numbers and sentences say is checked without Streamlit in
``tests/test_lesson_learn.py`` (and the maths against TensorFlow in ``tests/test_sgd.py``);
here the page must show its lesson's views for the settings chosen and keep the visitor's
model and steps in the session.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.learning.data import load_sample
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.sgd import glorot_weights
from cnnviz.learning.training import TrainedModel
from cnnviz.lessons import learn as lesson
from pages._models import SESSION_KEY, SessionModel
from tests.apptest import open_page, rerun, texts

PAGE = "pages/learn.py"


def run_page(**query: str) -> AppTest:
    return open_page(PAGE, timeout=120, **query)


def line(at: AppTest, pattern: str) -> str:
    for text in texts(at):
        if re.search(pattern, text):
            return text
    raise AssertionError(f"nothing matches {pattern!r} in {texts(at)}")


def learner(at: AppTest) -> lesson.Learner:
    return at.session_state["learn_learner"][-1]


def test_the_page_opens_on_a_fresh_model_and_previews_its_first_step():
    at = run_page()
    assert at.title[0].value.startswith("Learn")
    assert at.info[0].value == lesson.model_sentence(lesson.start("fresh", lesson.DEFAULT_SEED))
    expected = lesson.preview(lesson.start("fresh"), load_sample(), 8, 0.1)
    assert line(at, r"^Batch 1: 8 training digits") == lesson.batch_view(expected, ModelSpec()).text
    step = lesson.step_view(lesson.start("fresh"), expected, 30, 1)
    assert line(at, r"^Batch loss before the step") == step.losses
    assert line(at, r"^No steps taken yet") and not at.warning
    html = [h.proto.body for h in at.get("html")]
    assert html[:4] == [table for _, table in step.grids]
    assert dict(at.query_params) == {
        "model": "fresh", "seed": "6", "batch": "8", "optimizer": "sgd", "rate": "0.1",
        "digit": "1", "kernel": "31", "weight": "1",
    }  # fmt: skip


def test_take_one_step_then_ten_grows_the_history_and_moves_the_weights():
    at = run_page()
    before = learner(at)
    at.button(key="learn_step").click()
    at = rerun(at)
    after = learner(at)
    assert after.steps == 1 and at.info[0].value.endswith("1 step taken.")
    expected = lesson.preview(before, load_sample(), 8, 0.1).step
    np.testing.assert_array_equal(after.weights[0], expected.weights[0])
    assert line(at, r"^1 step taken")
    at.button(key="learn_ten").click()
    at = rerun(at)
    assert learner(at).steps == 11 and len(learner(at).before) == 11
    assert line(at, r"^Batch 12: 8")


def test_a_too_large_rate_warns_that_the_loss_went_up():
    at = run_page()
    at.select_slider(key="learn_rate").set_value("10")
    at = rerun(at)
    assert any("the learning rate 10 is too large" in w.value for w in at.warning)
    assert at.query_params["rate"] == "10"


def test_adam_sets_its_own_rate_and_writes_its_rule():
    at = run_page()
    at.radio(key="learn_optimizer").set_value("adam")
    at = rerun(at)
    assert at.select_slider(key="learn_rate").value == "0.001"
    assert line(at, r"^Adam's rule for the weight in row 0, column 1 of kernel 31")
    at.button(key="learn_step").click()
    at = rerun(at)
    assert learner(at).steps == 1 and learner(at).adam.iterations == 1
    assert "step t = 2" in line(at, r"^Adam's rule")


def test_batch_size_digit_kernel_and_weight_choose_what_is_shown():
    at = run_page()
    at.slider(key="learn_batch").set_value(3)
    at = rerun(at)
    assert line(at, r"^Batch 1: 3 training digits")
    at.slider(key="learn_digit").set_value(3)
    at.number_input(key="learn_kernel").set_value(7)
    at.selectbox(key="learn_weight").set_value(2)
    at = rerun(at)
    p = lesson.preview(lesson.start("fresh"), load_sample(), 3, 0.1)
    assert line(at, r"^Digit 3 of the batch") == lesson.answer_view(p, 2).formula
    assert [m.value for m in at.markdown if m.value == "**Kernel 7: weights now**"]
    assert line(at, r"^Move only the weight in row 0, column 2 of kernel 7")
    at.slider(key="learn_batch").set_value(1)  # the digit follows the batch down
    at = rerun(at)
    assert line(at, r"^Digit 1 of the batch")
    assert at.query_params["kernel"] == "7" and at.query_params["weight"] == "2"


def test_the_seed_and_reset_give_fresh_weights():
    at = run_page()
    at.number_input(key="learn_seed").set_value(11)
    at = rerun(at)
    np.testing.assert_array_equal(learner(at).weights[0], glorot_weights(seed=11)[0])
    at.button(key="learn_step").click()
    at = rerun(at)
    assert learner(at).steps == 1
    at.button(key="learn_reset").click()
    at = rerun(at)
    assert learner(at).steps == 0 and learner(at).seed == 11
    np.testing.assert_array_equal(learner(at).weights[0], glorot_weights(seed=11)[0])


def test_your_model_is_taught_when_you_have_one_else_a_fresh_one_with_a_warning():
    at = run_page(model="yours")
    assert any("not trained a model on the Train page" in w.value for w in at.warning)
    assert learner(at).source == "fresh"
    spec = ModelSpec(filters=(8,), dense_units=32)
    at.session_state[SESSION_KEY] = SessionModel(TrainedModel(spec, "sample", glorot_weights(spec)))
    at = rerun(at)
    assert learner(at).source == "yours" and learner(at).spec == spec
    assert "your model from the Train page (8 kernels, 32 hidden neurons)" in at.info[0].value
    assert at.number_input(key="learn_seed").disabled
    big = ModelSpec(filters=(32, 64), dense_units=2048)  # 3.3 M weights
    at.session_state[SESSION_KEY] = SessionModel(TrainedModel(big, "sample", glorot_weights(big)))
    at = rerun(at)
    assert any("this page teaches models of up to 2,000,000" in w.value for w in at.warning)
    assert learner(at).source == "fresh" and learner(at).spec == ModelSpec()


@pytest.mark.slow
def test_the_default_model_is_taught_from_its_trained_weights(default_trained):
    at = run_page(model="default")
    assert learner(at).source == "default"
    np.testing.assert_array_equal(learner(at).weights[2], default_trained.weights[2])
    assert "the default model" in at.info[0].value


def test_a_bad_link_warns_and_uses_the_defaults():
    at = run_page(rate="7", batch="99", model="<b>x</b>")
    warnings = " ".join(w.value for w in at.warning)
    assert "rate=7 is not a valid learning rate" in warnings
    assert "batch=99 is not a valid batch size" in warnings
    assert "\\<b\\>x\\<\\/b\\>" in warnings  # shown literally
    assert at.select_slider(key="learn_rate").value == "0.1"
    assert at.slider(key="learn_batch").value == 8


def test_a_link_with_a_kernel_beyond_the_model_is_brought_within_it():
    at = run_page(kernel="200", weight="80")
    assert at.number_input(key="learn_kernel").value == 32
    assert at.selectbox(key="learn_weight").value == 8


def test_the_page_ends_with_kernels_becoming_detectors_and_depth():
    """Sections 6 and 7 are the Train page's snapshots and the depth comparison, in order."""
    at = run_page()
    headers = [h.value for h in at.header]
    assert headers[-2:] == [
        "6. Kernels becoming detectors",
        "7. Depth and the difficulty of training",
    ]
    assert any("Train one on the Train page" in i.value for i in at.info)  # no model trained
    assert at.button(key="learn_progress_to_train").label == "Go to the Train page"
    depth_buttons = [b for b in at.button if b.key == "learn_depth_run"]
    measured = [e for e in at.main if getattr(e, "key", None) == "learn_depth_curves"]
    assert depth_buttons or measured  # the offer to measure, or what was measured before


def test_the_slope_curve_is_computed_once_per_learner_batch_and_weight(monkeypatch):
    """Its 24 forward passes (~126 ms) are not repeated when an unrelated control moves (the
    digit scored, the learning rate); a new weight or a step computes it again."""
    calls = []
    real = lesson.slope_view

    def counted(*args, **kwargs):
        calls.append(args[2:])
        return real(*args, **kwargs)

    monkeypatch.setattr(lesson, "slope_view", counted)
    at = run_page()
    assert len(calls) == 1
    at.slider(key="learn_digit").set_value(3)
    at = rerun(at)
    at.select_slider(key="learn_rate").set_value("0.03")
    at = rerun(at)
    assert len(calls) == 1
    assert line(at, r"^Gradient from the backward pass")  # still drawn, from the session
    at.selectbox(key="learn_weight").set_value(2)
    at = rerun(at)
    assert len(calls) == 2 and calls[-1] == (30, 2)
    at.button(key="learn_step").click()
    at = rerun(at)
    assert len(calls) == 3
