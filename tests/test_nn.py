"""nn against Keras and TensorFlow: every layer's output and every gradient, random data.

The reference is the Keras model that :func:`cnnviz.learning.model.build_model` builds for the same
spec, given random weights, and ``tf.GradientTape`` on it.
"""

import functools

import numpy as np
import pytest
import scipy.special

from cnnviz.learning.model import ModelSpec, architecture, build_model
from cnnviz.learning.nn import (
    answer_losses,
    batch_losses,
    forward,
    forward_with_sums,
    gradients,
    pool_backward,
    pool_forward,
    predict,
    weight_shapes,
)

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

SPECS = [
    ModelSpec(),
    ModelSpec(filters=(4, 6), kernel_size=5, pooling="average", dense_units=12),
    ModelSpec(filters=(3, 4, 5), kernel_size=3, pooling="none", dense_units=8,
              loss="mean_squared_error"),
    ModelSpec(filters=(5,), kernel_size=1, pooling="max", dense_units=6),
    ModelSpec(filters=(2, 3), kernel_size=7, pooling="none", dense_units=5),
    ModelSpec(filters=(6, 4, 3), kernel_size=2, pooling="max", dense_units=9,
              loss="mean_squared_error"),
]  # fmt: skip
IDS = [f"{s.filters}-k{s.kernel_size}-{s.pooling}-{s.loss[:4]}" for s in SPECS]


@functools.cache
def random_model(spec: ModelSpec, seed: int):
    """The Keras model for ``spec`` with random weights large enough to keep units active.

    Built once per (spec, seed): the tests only read it.
    """
    rng = np.random.default_rng(seed)
    model = build_model(spec)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    weights = [w / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1 else w for w in weights]
    model.set_weights(weights)
    x = rng.random((5, 28, 28, 1)).astype(np.float32)
    return model, model.get_weights(), x


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_layer_output_equals_keras(spec):
    """Each of the core's outputs equals keras.Model(model.inputs, layer.output)."""
    model, weights, x = random_model(spec, seed=1)
    assert [w.shape for w in weights] == weight_shapes(spec)
    ours = forward(weights, x, spec)
    assert len(ours) == len(model.layers)
    for layer, mine in zip(model.layers, ours):
        theirs = keras.Model(model.inputs, layer.output)(x).numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5, err_msg=layer.name)


def _tape(model, x, quantity):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = quantity(x)
    d_x, *d_w = tape.gradient(value, [x, *model.trainable_weights])
    # Weights above the differentiated unit do not touch it: TensorFlow says None, we say 0.
    d_w = [np.zeros(w.shape) if g is None else g.numpy() for g, w in zip(d_w, model.weights)]
    return float(value), d_x.numpy(), d_w


def _assert_same(ours, value, d_x, d_w):
    assert ours.value == pytest.approx(value, rel=1e-4, abs=1e-6)
    scale = max(np.abs(d_x).max(), 1e-12)
    np.testing.assert_allclose(ours.input, d_x, rtol=1e-3, atol=1e-4 * scale)
    for mine, theirs in zip(ours.weights, d_w):
        scale = max(np.abs(theirs).max(), 1e-12)
        np.testing.assert_allclose(mine, theirs, rtol=1e-3, atol=1e-4 * scale)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_loss_gradients_equal_gradient_tape(spec):
    """The spec's own loss (cross-entropy or MSE), mean over the batch, as Keras trains it."""
    model, weights, x = random_model(spec, seed=1)
    labels = np.random.default_rng(3).integers(0, 10, len(x))
    loss = keras.losses.get(spec.loss)
    y = tf.one_hot(labels, 10)
    reference = _tape(model, x, lambda t: tf.reduce_mean(loss(y, model(t))))
    _assert_same(gradients(weights, x, spec, labels=labels), *reference)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_class_score_gradients_equal_gradient_tape(spec):
    """A class's score before the softmax, summed over the batch (what saliency uses)."""
    model, weights, x = random_model(spec, seed=1)
    hidden = keras.Model(model.inputs, model.layers[-2].output)
    kernel, bias = model.layers[-1].kernel, model.layers[-1].bias

    def score(t):
        return tf.reduce_sum((hidden(t) @ kernel + bias)[:, 7])

    _assert_same(gradients(weights, x, spec, score=7), *_tape(model, x, score))


@pytest.mark.parametrize("spec", SPECS[:4], ids=IDS[:4])
@pytest.mark.parametrize("layer", [0, 1, -2, -1])
def test_one_units_activation_gradients_equal_gradient_tape(spec, layer):
    """A feature-map cell or a neuron, summed over the batch, in several layers."""
    model, weights, x = random_model(spec, seed=1)
    layer %= len(model.layers)
    sub = keras.Model(model.inputs, model.layers[layer].output)
    shape = sub.output.shape[1:]
    index = tuple(int(n) // 2 for n in shape)

    def unit(t):
        return tf.reduce_sum(sub(t)[(slice(None), *index)])

    ours = gradients(weights, x, spec, unit=(layer, index))
    _assert_same(ours, *_tape(model, x, unit))


def test_max_pooling_sends_a_tie_to_the_first_maximum_as_tensorflow_does():
    """Equal values in a window: TensorFlow's gradient goes to the first in reading order."""
    x = np.zeros((1, 4, 4, 1), np.float32)
    x[0, 2:, 2:, 0] = [[1, 3], [3, 2]]
    d_out = np.arange(1, 5, dtype=np.float32).reshape(1, 2, 2, 1)
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        out = tf.nn.max_pool2d(t, 2, 2, "VALID")
    expected = tape.gradient(out, t, output_gradients=tf.constant(d_out)).numpy()
    np.testing.assert_array_equal(pool_forward(x, "max"), out.numpy())
    np.testing.assert_array_equal(pool_backward(d_out, x, "max"), expected)


def test_a_large_batch_goes_through_in_chunks_with_the_same_result():
    """300 digits at once (in the core's own chunks) equal them 7 at a time."""
    spec = ModelSpec(filters=(4,), dense_units=8)
    _, weights, _ = random_model(spec, seed=6)
    x = np.random.default_rng(7).random((300, 28, 28, 1)).astype(np.float32)
    whole = forward(weights, x, spec)[-1]
    parts = np.concatenate([forward(weights, x[i : i + 7], spec)[-1] for i in range(0, 300, 7)])
    np.testing.assert_allclose(whole, parts, rtol=1e-6)
    np.testing.assert_array_equal(predict(weights, x, spec), whole)


@pytest.mark.parametrize("spec", SPECS[:3], ids=IDS[:3])
def test_sums_before_each_activation_give_the_outputs(spec):
    """forward_with_sums: ReLU of a conv or dense layer's sums is its output, softmax of the last
    layer's is the probabilities; pooling and Flatten have no sums."""
    _, weights, x = random_model(spec, seed=8)
    outputs, sums = forward_with_sums(weights, x, spec)
    for output, z, row in zip(outputs, sums, architecture(spec), strict=True):
        if row.kind not in ("Conv2D", "Dense"):
            assert z is None
        elif row.name == "output":
            np.testing.assert_allclose(output, scipy.special.softmax(z, axis=1), rtol=1e-5)
        else:
            np.testing.assert_array_equal(output, np.maximum(z, 0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"labels": np.array([1]), "score": 2}, "exactly one of"),
        ({"labels": np.array([10])}, "classes 0 to 9"),
        ({"score": 10}, "class 0 to 9"),
        ({"unit": (9, (0,))}, "the model has 5 layers"),
    ],
)
def test_bad_arguments_get_actionable_messages(kwargs, message):
    weights = [np.zeros(s, np.float32) for s in weight_shapes()]
    with pytest.raises(ValueError, match=message):
        gradients(weights, np.zeros((1, 28, 28, 1)), **kwargs)


def test_weights_of_another_spec_are_refused_with_the_shapes():
    weights = [np.zeros(s, np.float32) for s in weight_shapes(ModelSpec(filters=(8,)))]
    with pytest.raises(ValueError, match=r"must have the shapes \[\(3, 3, 1, 32\)"):
        forward(weights, np.zeros((1, 28, 28, 1)))
    with pytest.raises(ValueError, match=r"Received: x.shape=\(28, 28\)"):
        forward([np.zeros(s, np.float32) for s in weight_shapes()], np.zeros((28, 28)))


def test_the_loss_gradients_return_the_answers_of_their_own_forward_pass():
    """One forward pass: the probabilities, scores and each answer's loss come with the
    gradients (sgd no longer runs predict again), and the loss is logsumexp(z) − z_true."""
    spec = SPECS[1]
    _, weights, x = random_model(spec, 3)
    labels = np.arange(len(x)) % 10
    g = gradients(weights, x, spec, labels=labels)
    np.testing.assert_allclose(g.probabilities, predict(weights, x, spec), rtol=1e-6)
    np.testing.assert_allclose(g.scores, forward_with_sums(weights, x, spec)[1][-1], rtol=1e-6)
    reference = scipy.special.logsumexp(g.scores.astype(np.float64), axis=1)
    reference -= g.scores[np.arange(len(x)), labels]
    np.testing.assert_allclose(g.losses, reference, rtol=1e-9)
    assert g.value == pytest.approx(reference.mean())
    np.testing.assert_allclose(batch_losses(weights, x, labels, spec), g.losses, rtol=1e-9)
    assert gradients(weights, x, spec, score=2).probabilities is None  # other paths unchanged


def test_a_confidently_wrong_answer_costs_more_than_the_old_clip():
    """Scores 0 and 400: p(true) = e^−400 underflows even float64; the loss is still 400."""
    z = np.array([[0.0, 400.0] + [0.0] * 8, [5.0] * 10])
    np.testing.assert_allclose(answer_losses(z, np.array([0, 3])), [400.0, np.log(10)])
