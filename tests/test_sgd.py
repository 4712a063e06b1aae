"""sgd against TensorFlow and Keras: gradients, SGD and Adam steps, the loss of one answer.

The references are ``tf.GradientTape`` on the Keras model that
:func:`cnnviz.learning.model.build_model` builds for the same spec, with the same weights
(``set_weights``), and Keras' own optimisers stepping that model on the same batch
(``train_on_batch``); and central finite differences of the core's own forward pass.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnviz.learning import nn
from cnnviz.learning.data import as_model_input
from cnnviz.learning.model import ModelSpec, build_model
from cnnviz.learning.sgd import (
    AdamState,
    adam_step,
    adam_terms,
    answer_loss,
    cross_entropy,
    glorot_weights,
    gradient_step,
    loss_curve,
    losses,
)
from cnnviz.lessons.learn import DEFAULT_RATE, DEFAULT_SEED, batch_indices

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

SPECS = [
    ModelSpec(),
    ModelSpec(filters=(4, 6), kernel_size=5, pooling="average", dense_units=12),
    ModelSpec(filters=(3,), pooling="none", dense_units=8, loss="mean_squared_error"),
]
IDS = ["article", "two-blocks-average", "no-pooling-mse"]


def random_case(spec: ModelSpec, seed: int, n: int = 6):
    """Weights large enough to keep units active, a batch of random pixels and labels."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 0.5, s).astype(np.float32) for s in nn.weight_shapes(spec)]
    weights = [w / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1 else w for w in weights]
    x = rng.random((n, 28, 28, 1)).astype(np.float32)
    return weights, x, rng.integers(0, 10, n)


def keras_model(spec: ModelSpec, weights, optimizer: str, rate: float):
    model = build_model(spec.replace(optimizer=optimizer, learning_rate=rate))
    model.set_weights(weights)
    return model


def assert_close_arrays(ours, theirs, rtol=1e-3, scale_atol=1e-4):
    for mine, ref in zip(ours, theirs, strict=True):
        scale = max(float(np.abs(ref).max()), 1e-12)
        np.testing.assert_allclose(mine, ref, rtol=rtol, atol=scale_atol * scale)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_gradients_equal_gradient_tape(spec):
    weights, x, y = random_case(spec, seed=1)
    model = keras_model(spec, weights, "sgd", 0.1)
    loss = keras.losses.get(spec.loss)
    with tf.GradientTape() as tape:
        value = tf.reduce_mean(loss(tf.one_hot(y, 10), model(x)))
    expected = [g.numpy() for g in tape.gradient(value, model.trainable_weights)]
    step = gradient_step(weights, spec, x, y, 0.1)
    assert step.loss_before == pytest.approx(float(value), rel=1e-4)
    assert_close_arrays(step.gradients, expected)


def test_gradients_equal_central_finite_differences():
    """In every weight array, the weight with the largest gradient and another chosen at random
    among those whose gradient is not ~0: (L(w+h) − L(w−h)) / 2h with the core's forward pass,
    in float32 as the page runs it (``h = 1e-2``: float32 rounding of a loss near 2 is ~1e-5 of
    the slope). Weights whose gradient is exactly 0 (a ReLU off for every digit) would pass
    whatever the backward pass said, so they are not the ones tested."""
    spec = ModelSpec(filters=(3,), dense_units=6)
    # Seed 3: every array has live gradients (with seed 2 every hidden unit was off, and all
    # the conv and hidden-layer gradients were exactly 0: the old sampled check passed blind).
    weights, x, y = random_case(spec, seed=3, n=4)
    step = gradient_step(weights, spec, x, y, 0.1)
    rng = np.random.default_rng(5)
    h = 1e-2
    for array, g_array in enumerate(step.gradients):
        largest = np.unravel_index(np.abs(g_array).argmax(), g_array.shape)
        alive = np.argwhere(np.abs(g_array) > 1e-3)
        for index in (largest, alive[rng.integers(len(alive))]):
            index = tuple(int(i) for i in index)
            g = float(g_array[index])
            assert abs(g) > 1e-3, (array, index)  # so the comparisons below can fail
            curve = loss_curve(weights, spec, x, y, (array, index), span=h, points=3)
            slope = (curve.losses[2] - curve.losses[0]) / (2 * h)
            assert g == pytest.approx(slope, rel=2e-2, abs=2e-4), (array, index)
            assert curve.slope == pytest.approx(g, rel=2e-2, abs=2e-4)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_sgd_step_equals_keras_sgd_on_the_same_model_and_batch(spec):
    weights, x, y = random_case(spec, seed=3)
    rate = 0.05
    model = keras_model(spec, weights, "sgd", rate)
    keras_loss = model.train_on_batch(x, keras.utils.to_categorical(y, 10))
    step = gradient_step(weights, spec, x, y, rate)
    assert step.loss_before == pytest.approx(float(np.ravel(keras_loss)[0]), rel=1e-4)
    assert_close_arrays(step.weights, model.get_weights(), rtol=1e-5, scale_atol=1e-6)
    for mine, w_after, w in zip(step.updates, model.get_weights(), weights, strict=True):
        # Keras' move, read back as (after − before): float32 rounding of w itself (~6e−8 · |w|)
        np.testing.assert_allclose(mine, w_after - w, rtol=1e-3, atol=2e-7 * np.abs(w).max())
    after = keras.losses.get(spec.loss)(tf.one_hot(y, 10), model(x))
    assert step.loss_after == pytest.approx(float(tf.reduce_mean(after)), rel=1e-4)


@pytest.mark.parametrize("spec", SPECS[:2], ids=IDS[:2])
def test_three_adam_steps_equal_keras_adam(spec):
    """Adam's state carries over: three batches in a row, the weights after each step."""
    weights, _, _ = random_case(spec, seed=4)
    rate = 0.01
    model = keras_model(spec, weights, "adam", rate)
    state, ours = None, weights
    for batch in range(3):
        _, x, y = random_case(spec, seed=10 + batch)
        model.train_on_batch(x, keras.utils.to_categorical(y, 10))
        step = adam_step(ours, spec, x, y, rate, state)
        state, ours = step.adam, step.weights
        assert state.iterations == batch + 1
        # Where a gradient is near 0, Adam's m / (√v + ε) magnifies float32 differences between
        # the two backward passes: every weight within 1% of one step's size, and all but one
        # in 10,000 within 0.1% (16 of 1.4 M measured; a wrong rule is off by whole steps).
        for mine, theirs in zip(ours, model.get_weights(), strict=True):
            np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-2 * rate)
            assert np.mean(np.abs(mine - theirs) <= 1e-3 * rate) > 0.9999
    slots = {v.path: v.numpy() for v in model.optimizer.variables}
    momentum = next(v for k, v in slots.items() if "momentum" in k and v.shape == (10,))
    np.testing.assert_allclose(state.m[-1], momentum, rtol=1e-3, atol=1e-6)


def test_adam_terms_are_the_rule_adam_step_applies():
    spec = ModelSpec(filters=(2,), dense_units=4)
    weights, x, y = random_case(spec, seed=6)
    first = adam_step(weights, spec, x, y, 0.01)
    second = adam_step(first.weights, spec, x, y, 0.01, first.adam)
    where = (0, (1, 1, 0, 1))
    terms = adam_terms(
        first.weights[0][where[1]],
        second.gradients[0][where[1]],
        first.adam.m[0][where[1]],
        first.adam.v[0][where[1]],
        first.adam.iterations,
        0.01,
    )
    assert terms.step == 2
    assert terms.weight_after == pytest.approx(float(second.weights[0][where[1]]), rel=1e-6)
    assert terms.m == pytest.approx(float(second.adam.m[0][where[1]]), rel=1e-6)
    assert terms.v == pytest.approx(float(second.adam.v[0][where[1]]), rel=1e-6)
    assert terms.alpha == pytest.approx(0.01 * np.sqrt(1 - 0.999**2) / (1 - 0.9**2), rel=1e-4)


def test_the_weights_given_are_never_changed():
    spec = ModelSpec(filters=(2,), dense_units=4)
    weights, x, y = random_case(spec, seed=7)
    copies = [w.copy() for w in weights]
    x_copy = x.copy()
    gradient_step(weights, spec, x, y, 0.5)
    state = adam_step(weights, spec, x, y, 0.5).adam
    adam_step(weights, spec, x, y, 0.5, state)
    loss_curve(weights, spec, x, y, (0, (0, 0, 0, 0)))
    for w, c in zip(weights, copies):
        np.testing.assert_array_equal(w, c)
    np.testing.assert_array_equal(x, x_copy)
    step = gradient_step(weights, spec, x, y, 0.5)
    assert not step.weights[0].flags.writeable and not step.gradients[0].flags.writeable
    assert step.weights[0] is not weights[0]


def _sample_batch(sample, t: int, size: int = 8):
    index = batch_indices(t, size, len(sample.x_train))
    return as_model_input(sample.x_train[index]), sample.y_train[index].astype(int)


def test_a_small_rate_lowers_the_loss_for_the_default_seed(sample):
    weights = glorot_weights(seed=DEFAULT_SEED)
    for t in range(3):
        x, y = _sample_batch(sample, t)
        step = gradient_step(weights, None, x, y, DEFAULT_RATE["sgd"])
        assert step.loss_after < step.loss_before and not step.went_up
        weights = step.weights


@pytest.mark.parametrize("rate", [3.0, 10.0])
def test_a_huge_rate_raises_the_loss(sample, rate):
    x, y = _sample_batch(sample, 0)
    step = gradient_step(glorot_weights(seed=DEFAULT_SEED), None, x, y, rate)
    assert step.loss_after > step.loss_before + 1 and step.went_up


def test_the_loss_curve_passes_through_the_batch_loss_with_the_gradient_as_slope(sample):
    x, y = _sample_batch(sample, 0)
    weights = glorot_weights(seed=DEFAULT_SEED)
    step = gradient_step(weights, None, x, y, 0.1)
    where = (0, (1, 1, 0, 3))
    curve = loss_curve(weights, None, x, y, where, span=0.5, points=11)
    assert curve.values[5] == pytest.approx(curve.weight) and curve.weight == weights[0][where[1]]
    assert curve.losses[5] == pytest.approx(step.loss_before, rel=1e-5)
    assert curve.loss == pytest.approx(step.loss_before, rel=1e-5)
    g = float(step.gradients[0][where[1]])
    assert curve.slope == pytest.approx(g, rel=5e-2, abs=2e-3)
    assert abs(g) > 1e-3  # a weight that matters, so the check above can fail


@pytest.mark.parametrize(("label", "spread"), [(0, 1.0), (3, 3.0), (9, 60.0)])
def test_the_loss_of_one_answer_equals_keras_losses(label, spread):
    """From the scores, as Keras after a softmax layer: spread 60 puts p(true) near e^−100,
    far below the 1e−7 a clip would stop at."""
    rng = np.random.default_rng(label)
    z = (spread * rng.normal(size=10)).astype(np.float32)
    z[label] = z.min() - spread  # the true digit the least likely: confidently wrong at 60
    y = keras.utils.to_categorical([label], 10)
    p = np.asarray(keras.activations.softmax(z[None]))[0]
    answer = answer_loss(z, label)
    ce = float(keras.losses.categorical_crossentropy(y, z[None], from_logits=True)[0])
    mse = float(keras.losses.mean_squared_error(y, p[None])[0])
    assert answer.cross_entropy == pytest.approx(ce, rel=1e-5)
    assert answer.squared_error == pytest.approx(mse, rel=1e-5, abs=1e-9)
    assert answer.p_true == pytest.approx(np.exp(-ce), rel=1e-4)
    np.testing.assert_allclose(losses(z[None], np.array([label])), [ce], rtol=1e-5)
    if spread < 10:
        assert cross_entropy(p[label]) == pytest.approx(ce, rel=1e-5)
    else:
        assert ce > 100  # the case the clip at 1e−7 got wrong (16.118)


def test_after_a_rate_10_step_the_loss_is_keras_evaluate_and_its_slope_the_gradient(sample):
    """A rate-10 step leaves answers confidently wrong: the next batch loss is in the hundreds.
    Ours equals Keras' evaluate and train_on_batch (no clip at −log 1e−7 = 16.118), and the
    gradient is the slope of that same loss, measured."""
    x, y = _sample_batch(sample, 0)
    weights = gradient_step(glorot_weights(seed=DEFAULT_SEED), None, x, y, 10.0).weights
    model = keras_model(ModelSpec(), list(weights), "sgd", 0.1)  # Keras' build allows ≤ 1
    onehot = keras.utils.to_categorical(y, 10)
    evaluated = float(np.ravel(model.evaluate(x, onehot, batch_size=len(x), verbose=0))[0])
    step = gradient_step(weights, None, x, y, 0.1)
    assert step.loss_before > 100
    assert step.loss_before == pytest.approx(evaluated, rel=1e-4)
    assert step.losses.mean() == pytest.approx(step.loss_before)
    trained = float(np.ravel(model.train_on_batch(x, onehot))[0])  # the loss before its step
    assert step.loss_before == pytest.approx(trained, rel=1e-4)
    assert step.loss_after == pytest.approx(
        float(np.ravel(model.evaluate(x, onehot, batch_size=len(x), verbose=0))[0]), rel=1e-3
    )
    for array in (0, 4):  # first-layer kernel, output kernel: the largest gradient of each
        index = np.unravel_index(np.abs(step.gradients[array]).argmax(), weights[array].shape)
        g = float(step.gradients[array][index])
        curve = loss_curve(weights, None, x, y, (array, tuple(int(i) for i in index)), points=3)
        assert abs(g) > 1 and curve.slope == pytest.approx(g, rel=2e-2), (array, index)


def test_fresh_weights_follow_keras_glorot_uniform_and_zero_biases():
    """Ten seeds of ours against ten of Keras' GlorotUniform, shape by shape: same bound and
    spread (a uniform draw's largest size and standard deviation), biases zero as Keras'."""
    for spec in SPECS:
        model = build_model(spec)
        ours = [glorot_weights(spec, seed=s) for s in range(10)]
        for i, theirs in enumerate(model.get_weights()):
            mine = np.stack([w[i] for w in ours])
            assert mine.shape[1:] == theirs.shape and mine.dtype == np.float32
            if theirs.ndim == 1:
                assert not mine.any() and not theirs.any()
                continue
            init = keras.initializers.GlorotUniform
            keras_draws = np.stack([np.asarray(init(seed=s)(theirs.shape)) for s in range(10)])
            assert np.abs(mine).max() == pytest.approx(np.abs(keras_draws).max(), rel=0.05)
            assert mine.std() == pytest.approx(keras_draws.std(), rel=0.1)
    np.testing.assert_array_equal(glorot_weights(seed=3)[0], glorot_weights(seed=3)[0])
    assert not np.array_equal(glorot_weights(seed=3)[0], glorot_weights(seed=4)[0])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"learning_rate": 0}, r"`learning_rate` must be a number above 0\. Received"),
        ({"y": np.array([1, 2])}, r"`y` must be 3 whole numbers from 0 to 9, one per picture"),
        ({"y": np.array([1, 2, 10])}, r"`y` must be 3 whole numbers"),
        ({"x": np.full((3, 28, 28, 1), 255.0)}, r"pixels in \[0, 1\]"),
        ({"x": np.zeros((3, 28, 28))}, r"`x` must be 4-D"),
        ({"weights": [np.zeros((3, 3, 1, 8))]}, r"`weights` must have the shapes"),
    ],
)
def test_bad_arguments_get_actionable_messages(change, message):
    arguments = {
        "weights": [np.zeros(s, np.float32) for s in nn.weight_shapes()],
        "spec": None,
        "x": np.zeros((3, 28, 28, 1)),
        "y": np.array([1, 2, 3]),
        "learning_rate": 0.1,
    }
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        gradient_step(**arguments)


def test_a_weight_that_does_not_exist_is_named_in_the_error():
    weights = [np.zeros(s, np.float32) for s in nn.weight_shapes()]
    x, y = np.zeros((1, 28, 28, 1)), np.array([1])
    with pytest.raises(
        ValueError, match=r"`where` must be .* Received: where=\(0, \(3, 0, 0, 0\)\)"
    ):
        loss_curve(weights, None, x, y, (0, (3, 0, 0, 0)))
    for where in [(0, (-1, 0, 0, 0)), (-1, (0,)), (0, (0, 0, 0, -32))]:  # no counting back
        with pytest.raises(ValueError, match=r"`where` must be .* Received: where="):
            loss_curve(weights, None, x, y, where)
    with pytest.raises(
        ValueError, match=r"`state` belongs to a model of other shapes.* Received: state for"
    ):
        adam_step(weights, None, x, y, 0.1, AdamState.start(weights[:2]))
    with pytest.raises(ValueError, match=r"pixels in \[0, 1\].* Received: pixels from 0 to 255"):
        gradient_step(weights, None, np.full((1, 28, 28, 1), 255.0) * np.eye(28)[..., None], y)
