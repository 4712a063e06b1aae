"""The Learn page's lesson without Streamlit: the learner, the next step, and every view.

The numbers are checked against independent references: the batch and its labels against the
sample itself, the loss of an answer against −log p and Σ(p − y)²/K written out here, the
step's grids against the core's Step, the losses against a forward pass by ``nn.predict``.
"""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest

from cnnviz.learning import nn
from cnnviz.learning.data import as_model_input
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.sgd import glorot_weights
from cnnviz.learning.training import TrainedModel
from cnnviz.lessons import learn as lesson


def number(text: str, after: str) -> float:
    """The number written right after ``after`` in ``text`` (real minus signs read)."""
    match = re.search(re.escape(after) + r"[\s*]*([−-]?[0-9.]+(?:e[−-]?\d+)?)", text)
    assert match, (after, text)
    return float(match.group(1).replace("−", "-"))


@pytest.fixture(scope="module")
def fresh():
    return lesson.start("fresh", lesson.DEFAULT_SEED)


@pytest.fixture(scope="module")
def next_step(fresh, sample):
    return lesson.preview(fresh, sample, 8, 0.1)


def test_a_fresh_learner_has_the_seeds_glorot_weights_and_no_steps(fresh):
    for mine, reference in zip(fresh.weights, glorot_weights(seed=lesson.DEFAULT_SEED)):
        np.testing.assert_array_equal(mine, reference)
        assert not mine.flags.writeable
    assert fresh.steps == 0 and fresh.before == () and fresh.adam is None
    assert "seed 6" in lesson.model_sentence(fresh) and "No steps" in lesson.model_sentence(fresh)


def test_a_trained_model_is_copied_never_shared():
    spec = ModelSpec(filters=(8,), dense_units=32)
    trained = TrainedModel(spec, "sample", glorot_weights(spec, 2))
    learner = lesson.start("yours", 0, trained)
    assert learner.spec == spec
    for mine, theirs in zip(learner.weights, trained.weights):
        np.testing.assert_array_equal(mine, theirs)
        assert not np.shares_memory(mine, theirs)
    assert "your model from the Train page" in lesson.model_sentence(learner)
    with pytest.raises(ValueError, match="`trained` is needed"):
        lesson.start("default", 0, None)


def test_the_batches_walk_through_every_training_digit_once_per_round():
    seen = np.concatenate([lesson.batch_indices(t, 8, 4000) for t in range(500)])
    assert sorted(seen) == list(range(4000))
    np.testing.assert_array_equal(lesson.batch_indices(500, 8, 4000), seen[:8])


def test_the_preview_is_the_next_batch_of_the_sample(fresh, next_step, sample):
    index = lesson.batch_indices(0, 8, len(sample.x_train))
    np.testing.assert_array_equal(next_step.indices, index)
    np.testing.assert_array_equal(next_step.y, sample.y_train[index])
    np.testing.assert_array_equal(next_step.x, as_model_input(sample.x_train[index]))
    p = nn.predict(list(fresh.weights), next_step.x)
    loss = -np.log(p[np.arange(8), next_step.y]).mean()
    assert next_step.step.loss_before == pytest.approx(loss, rel=1e-5)


def test_advancing_takes_the_step_and_keeps_the_history(fresh, next_step, sample):
    after = lesson.advance(fresh, next_step.step)
    assert after.steps == 1 and fresh.steps == 0  # a new learner; the old one unchanged
    assert after.before == (next_step.step.loss_before,)
    assert after.after == (next_step.step.loss_after,)
    np.testing.assert_array_equal(after.weights[0], next_step.step.weights[0])
    np.testing.assert_array_equal(after.weights[-2], next_step.step.weights[-2])
    taken = lesson.take(fresh, sample, 8, 0.1)  # the same step, computed once by the click
    for mine, theirs in zip(taken.weights, after.weights, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert taken.before == after.before and taken.after == after.after
    second = lesson.preview(after, sample, 8, 0.1)
    assert second.batch == 1
    np.testing.assert_array_equal(second.indices, lesson.batch_indices(1, 8, 4000))


def test_the_history_keeps_at_most_max_history_steps(fresh, next_step, monkeypatch):
    monkeypatch.setattr(lesson, "MAX_HISTORY", 3)
    learner = fresh
    for _ in range(5):
        learner = lesson.advance(learner, next_step.step)
    assert learner.steps == 5 and len(learner.before) == 3 and len(learner.after) == 3
    view = lesson.history_view(learner)
    assert list(view.figure.data[0].x) == [3, 4, 5]


def test_the_batch_view_titles_each_digit_with_its_label_and_loss(next_step):
    view = lesson.batch_view(next_step, ModelSpec())
    titles = [a.text for a in view.figure.layout.annotations]
    p = next_step.step.probabilities
    for title, label, row in zip(titles, next_step.y, p):
        shown_label, shown_loss = title.split(": ")
        assert int(shown_label) == label
        assert float(shown_loss) == pytest.approx(-np.log(row[label]), abs=0.006)
    assert number(view.text, "batch loss:") == pytest.approx(next_step.step.loss_before, abs=1e-4)


@pytest.mark.parametrize("i", [0, 5])
def test_the_answer_view_works_out_cross_entropy_and_mse(next_step, i):
    view = lesson.answer_view(next_step, i)
    p = next_step.step.probabilities[i].astype(np.float64)
    label = next_step.y[i]
    assert number(view.formula, "probability of") == pytest.approx(p[label], abs=5e-4)
    assert number(view.formula, f"−log {view.formula.split('−log ')[2].split(' ')[0]} =") == (
        pytest.approx(-np.log(p[label]), abs=5e-4)
    )
    mse = ((p - np.eye(10)[label]) ** 2).sum() / 10
    assert number(view.squared, "/ 10 =") == pytest.approx(mse, abs=5e-5)
    point = view.curve.data[-1]
    assert point.x[0] == pytest.approx(p[label]) and point.y[0] == pytest.approx(-np.log(p[label]))
    assert f"{label} (true)" in list(view.probabilities.data[0].x)


def test_the_step_view_shows_the_kernels_numbers_before_gradient_update_after(fresh, next_step):
    view = lesson.step_view(fresh, next_step, kernel=4, cell=0)
    step = next_step.step
    cells = [re.findall(r">([−0-9.e]+)</td>", table) for _, table in view.grids]
    arrays = [fresh.weights[0], step.gradients[0], step.updates[0], step.weights[0]]
    for shown, array, digits in zip(cells, arrays, (3, 4, 4, 3)):
        values = [float(v.replace("−", "-")) for v in shown]
        np.testing.assert_allclose(values, array[:, :, 0, 4].ravel(), atol=0.6 * 10**-digits)
    np.testing.assert_allclose(step.updates[0], -0.1 * step.gradients[0], rtol=1e-6)
    assert view.grids[0][0].startswith("Kernel 5")
    assert number(view.losses, "before the step") == pytest.approx(step.loss_before, abs=1e-4)
    assert number(view.losses, "after it") == pytest.approx(step.loss_after, abs=1e-4)
    assert view.too_large is None and view.adam is None
    assert len(view.dense) == 4


def test_a_too_large_rate_says_the_loss_went_up(fresh, sample):
    view = lesson.step_view(fresh, lesson.preview(fresh, sample, 8, 10.0), 0)
    assert view.too_large is not None and "went **up**" in view.too_large
    assert "learning rate 10 is too large" in view.too_large


def test_adam_writes_its_rule_with_the_numbers_of_the_chosen_weight(fresh, sample):
    p = lesson.preview(fresh, sample, 8, 0.001, "adam")
    view = lesson.step_view(fresh, p, kernel=2, cell=4)
    assert view.adam is not None and "row 1, column 1 of kernel 3" in view.adam
    after = float(p.step.weights[0][1, 1, 0, 2])
    assert number(view.adam, "(√v + ε) =").__class__ is float  # the formula is filled in
    shown = float(view.adam.rsplit("**", 2)[-2].replace("−", "-"))
    assert shown == pytest.approx(after, abs=1e-5)
    assert "Adam" in view.rule


def test_the_slope_view_prints_the_gradient_and_the_finite_difference(fresh, next_step):
    view = lesson.slope_view(fresh, next_step, kernel=0, cell=4)
    g = float(next_step.step.gradients[0][1, 1, 0, 0])
    assert number(view.numbers, "backward pass:") == pytest.approx(g, rel=1e-3)
    measured = number(view.numbers, "/ 0.0002:")
    assert measured == pytest.approx(g, rel=0.1, abs=1e-3)
    curve, tangent, point = view.figure.data
    assert point.x[0] == pytest.approx(float(fresh.weights[0][1, 1, 0, 0]))
    assert point.y[0] == pytest.approx(next_step.step.loss_before, rel=1e-5)
    # the tangent's slope is the gradient
    slope = (tangent.y[-1] - tangent.y[0]) / (tangent.x[-1] - tangent.x[0])
    assert slope == pytest.approx(g, rel=1e-6)
    assert len(curve.x) == lesson.CURVE_POINTS


def test_a_model_with_other_shapes_is_taught_too(sample):
    spec = ModelSpec(filters=(4, 6), kernel_size=5, dense_units=12)
    trained = TrainedModel(spec, "sample", glorot_weights(spec, 1))
    learner = lesson.start("yours", 0, trained)
    p = lesson.preview(learner, sample, 3, 0.1)
    view = lesson.step_view(learner, p, kernel=99, cell=99)  # clamped to kernel 4, cell 24
    assert view.grids[0][0].startswith("Kernel 4")
    assert "12 weights" in view.dense_title
    assert lesson.slope_view(learner, p, 3, 24).numbers


def test_bad_settings_are_named(fresh, sample):
    with pytest.raises(ValueError, match="`optimizer` must be one of sgd, adam"):
        lesson.preview(fresh, sample, 8, 0.1, "rmsprop")
    with pytest.raises(ValueError, match="`size` must be a whole number from 1 to 32"):
        lesson.preview(fresh, sample, 33, 0.1)
    with pytest.raises(ValueError, match="`source` must be one of"):
        lesson.start("mine")


def test_a_confidently_wrong_answer_is_worked_out_and_marked_on_the_plot(fresh, sample):
    """After a rate-10 step the answers are sure and wrong: p(true) printed with significant
    digits (not "0"), the loss as Keras computes it (hundreds, not the clip's 16.118), and the
    marker inside the plot's y-range."""
    after = lesson.advance(fresh, lesson.preview(fresh, sample, 8, 10.0).step)
    p = lesson.preview(after, sample, 8, 0.1)
    i = int(np.argmax(p.step.losses))
    view = lesson.answer_view(p, i)
    loss = float(p.step.losses[i])
    assert loss > 20
    shown = number(view.formula, "probability of")
    assert shown > 0 and shown == pytest.approx(np.exp(-loss), rel=5e-3)
    assert number(view.formula, f"= −log {view.formula.split('−log ')[2].split(' ')[0]} =") == (
        pytest.approx(loss, abs=5e-4)
    )
    point = view.curve.data[-1]
    low, high = view.curve.layout.yaxis.range
    assert point.y[0] == pytest.approx(loss) and low <= point.y[0] <= high - 0.4


def test_a_session_keeps_one_model_and_what_the_page_shows(fresh, sample):
    """After 10 Adam steps: the learner holds the weights and Adam's two means (3 copies of
    the model's 1.4 M weights), the preview only the arrays the page draws (was 5 copies)."""
    learner = fresh
    for _ in range(10):
        learner = lesson.take(learner, sample, 8, 0.001, "adam")
    p = lesson.preview(learner, sample, 8, 0.001, "adam")
    model = sum(w.nbytes for w in learner.weights)
    assert len(pickle.dumps(learner)) < 3 * model + 100_000
    assert len(pickle.dumps(p)) < 0.05 * model
    assert sorted(p.step.gradients) == [-2, 0, 1]
    assert not hasattr(learner, "kernels") and not hasattr(learner, "optimizers")
    after = lesson.advance(learner, p.step)  # the shown step is worked out again, the same
    assert after.before[-1] == p.step.loss_before and after.after[-1] == p.step.loss_after
    np.testing.assert_array_equal(after.weights[0][..., 0, :], p.step.weights[0][..., 0, :])
    assert after.adam.iterations == 11


def test_a_model_above_max_parameters_is_refused_with_a_reason():
    assert lesson.too_large_to_teach(ModelSpec()) is None
    big = ModelSpec(filters=(32, 64), dense_units=2048)
    count = sum(int(np.prod(s)) for s in nn.weight_shapes(big))
    assert count > lesson.MAX_PARAMETERS
    message = lesson.too_large_to_teach(big)
    assert f"{count:,} weights" in message and f"{lesson.MAX_PARAMETERS:,}" in message
