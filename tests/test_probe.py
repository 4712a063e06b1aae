"""cnnviz.learning.probe (the core's NumPy maths) against Keras: each layer's output, sums before
activation, gradients."""

import cv2
import numpy as np
import pytest

from cnnviz.learning.data import load_sample
from cnnviz.learning.digits import prepare_digit
from cnnviz.learning.model import ModelSpec, keras_module
from cnnviz.learning.probe import (
    activation_pattern,
    compare_patterns,
    layer_activations,
    predict,
    saliency,
    shift_curve,
)
from cnnviz.maths.activations import relu, softmax
from cnnviz.maths.ops import conv2d
from cnnviz.maths.pixels import shift
from tests.training_kit import fresh_model, keras_model

RTOL, ATOL = 1e-5, 1e-5  # float32, the same operations in the same order as Keras
CLOSE = {"rel": 1e-4, "abs": 1e-6}  # one digit alone or in a batch: float32 sums reordered

SPECS = {
    "article, smaller": ModelSpec(filters=(6,), dense_units=12),
    "two blocks, average pooling": ModelSpec(filters=(4, 3), pooling="average", dense_units=8),
    "no pooling, 5×5 kernels": ModelSpec(filters=(3,), kernel_size=5, pooling="none"),
    "three blocks": ModelSpec(filters=(2, 3, 4), dense_units=5, seed=3),
}


@pytest.fixture(scope="module")
def digit():
    return load_sample().x_test[0] / 255.0  # (28, 28)


@pytest.fixture(scope="module")
def default():
    """The app's default model: the article's CNN trained on the sample (cached on disk)."""
    from cnnviz.learning.training import default_model

    return default_model(load_sample())


@pytest.fixture(scope="module")
def default_keras(default):
    """The same weights in Keras: the reference."""
    return keras_model(default)


def _keras_outputs(model, x):
    """Keras' own intermediate outputs: one model per layer, input to that layer's output."""
    keras = keras_module()
    batch = [x[None, :, :, None].astype(np.float32)]  # a list, as model.inputs is
    return [np.asarray(keras.Model(model.inputs, layer.output)(batch))[0] for layer in model.layers]


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_every_activation_equals_keras_intermediate_output(spec, digit):
    """Each layer's output is what keras.Model(model.inputs, layer.output) gives for the digit."""
    ours_model = fresh_model(spec)
    model = keras_model(ours_model)
    outputs = layer_activations(ours_model, digit)
    assert [o.name for o in outputs] == [layer.name for layer in model.layers]
    for ours, theirs in zip(outputs, _keras_outputs(model, digit), strict=True):
        assert ours.output.shape == theirs.shape, ours.name
        np.testing.assert_allclose(ours.output, theirs, rtol=RTOL, atol=ATOL, err_msg=ours.name)


def test_default_model_activations_equal_keras_and_end_in_probabilities(
    default, default_keras, digit
):
    """The trained default model, layer by layer, as Keras computes it; the last sums to 1."""
    outputs = layer_activations(default, digit)
    assert [(o.name, o.kind, o.role) for o in outputs] == [
        ("conv_1", "Conv2D", "conv"),
        ("pool_1", "MaxPool2D", "max_pool"),
        ("flatten", "Flatten", "flatten"),
        ("dense", "Dense", "dense"),
        ("output", "Dense", "dense"),
    ]
    for ours, theirs in zip(outputs, _keras_outputs(default_keras, digit), strict=True):
        np.testing.assert_allclose(ours.output, theirs, rtol=RTOL, atol=ATOL, err_msg=ours.name)
    assert outputs[-1].output.sum() == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(predict(default, digit), outputs[-1].output, rtol=1e-5, atol=1e-6)


ROLES = {
    "Conv2D": "conv",
    "MaxPooling2D": "max_pool",
    "AveragePooling2D": "average_pool",
    "Flatten": "flatten",
    "Dense": "dense",
}


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_each_layers_role_is_its_keras_type(spec, digit):
    """The typed role a page reads matches the Keras layer's own class, layer by layer."""
    ours = fresh_model(spec)
    outputs = layer_activations(ours, digit)
    layers = keras_model(ours).layers
    assert [o.role for o in outputs] == [ROLES[type(layer).__name__] for layer in layers]
    assert [o.activation for o in outputs] == [
        getattr(getattr(layer, "activation", None), "__name__", None) for layer in layers
    ]
    assert {o.role for o in outputs} >= {"conv", "flatten", "dense"}


@pytest.mark.parametrize("spec", SPECS.values(), ids=SPECS.keys())
def test_outputs_are_the_activation_of_the_sums_before_it(spec, digit):
    """relu(before) is a conv or hidden dense layer's output; softmax(before) the output layer's."""
    outputs = layer_activations(fresh_model(spec), digit)
    for layer in outputs:
        if layer.before_activation is None:
            assert layer.kind in ("MaxPool2D", "AveragePooling2D", "Flatten")
            continue
        function = softmax if layer.activation == "softmax" else relu
        expected = function(layer.before_activation)
        np.testing.assert_allclose(layer.output, expected, rtol=1e-5, atol=1e-6)


def test_conv_sums_match_cnnviz_conv2d_plus_bias(default, digit):
    """The first layer's sums before ReLU are ops.conv2d with its kernels, plus bias."""
    kernel, bias = default.weights[:2]  # (3, 3, 1, 32), (32,)
    expected = conv2d(digit[:, :, None], kernel) + bias  # (26, 26, 32)
    before = layer_activations(default, digit)[0].before_activation
    np.testing.assert_allclose(before, expected, rtol=1e-4, atol=1e-5)


def test_flatten_reads_the_pooled_maps_row_by_row_filters_fastest(default, digit):
    """Keras' Flatten order: the vector is the pooled (13, 13, 32) maps reshaped row-major."""
    pooled, flat = layer_activations(default, digit)[1:3]
    np.testing.assert_array_equal(flat.output, pooled.output.reshape(-1))


def test_activation_pattern_is_the_hidden_dense_layer(default, digit):
    """The article's activation pattern: the 256 ReLU neurons before the output layer."""
    pattern = activation_pattern(layer_activations(default, digit))
    assert pattern.name == "dense" and pattern.output.shape == (256,)
    assert pattern.active == np.sum(pattern.output > 0) > 0
    assert pattern.zeroed == pytest.approx(np.mean(pattern.before_activation < 0))
    assert pattern.active + round(pattern.zeroed * 256) <= 256


def test_a_stroke_is_read_as_a_one_and_a_ring_as_a_zero(default):
    """Synthetic drawings, prepared like MNIST, are read as the digits they look like."""
    stroke = np.zeros((280, 280), np.uint8)
    cv2.line(stroke, (140, 40), (150, 240), 255, 18)
    ring = np.full((280, 280), 255, np.uint8)  # dark ink on white paper, like the canvas
    cv2.ellipse(ring, (140, 140), (60, 95), 0, 0, 360, 0, 18)
    one = predict(default, prepare_digit(stroke))
    zero = predict(default, prepare_digit(ring))
    assert one.argmax() == 1 and one[1] > 0.9
    assert zero.argmax() == 0 and zero[0] > 0.9


def test_saliency_gradient_matches_finite_differences(default, digit):
    """Where the score is smooth (left and right slopes agree), the gradient is that slope.

    ReLU and max pooling make the score piecewise linear; at a kink (a tie in a pooling window,
    a unit exactly at 0) the one-sided slopes differ and no finite difference is "the" gradient.
    """

    def score(x):  # the weighted sum of class 7 before softmax
        return float(layer_activations(default, x)[-1].before_activation[7])

    gradient = saliency(default, digit, 7, method="gradient")
    base, eps, checked = score(digit), 1e-3, 0
    for r, c in zip(*np.nonzero(digit > 0.2)):
        up, down = digit.copy(), digit.copy()
        up[r, c] += eps
        down[r, c] -= eps
        right, left = (score(up) - base) / eps, (base - score(down)) / eps
        if abs(right - left) > 0.01:  # a kink between x - eps and x + eps
            continue
        assert gradient[r, c] == pytest.approx((right + left) / 2, abs=0.01), (r, c)
        checked += 1
        if checked == 25:
            break
    assert checked == 25


def test_gradient_times_input_splits_the_score_among_pixels_when_biases_are_zero(digit):
    """A ReLU, max-pool, dense network without biases: Σ gradient × input is the class score."""
    model = fresh_model(ModelSpec(filters=(4,), dense_units=16, seed=2))
    model.weights = [w if w.ndim > 1 else np.zeros_like(w) for w in model.weights]
    before = layer_activations(model, digit)[-1].before_activation
    contributions = saliency(model, digit, 3)
    assert contributions.sum() == pytest.approx(before[3], rel=1e-4, abs=1e-5)
    assert np.all(contributions[digit == 0] == 0)


@pytest.mark.parametrize("method", ["gradient", "gradient_x_input"])
def test_saliency_equals_gradient_tape_on_the_trained_model(default, default_keras, method):
    """The core's saliency is TensorFlow's gradient of the class score (before softmax), for
    random test digits and classes."""
    import tensorflow as tf

    keras = keras_module()
    data, rng = load_sample(), np.random.default_rng(13)
    hidden_of = keras.Model(default_keras.inputs, default_keras.layers[-2].output)
    last = default_keras.layers[-1]
    for index in rng.choice(len(data.x_test), 3, replace=False):
        x = data.x_test[index] / 255.0
        k = int(rng.integers(10))
        x_t = tf.constant(x[None, :, :, None], tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x_t)
            hidden = hidden_of(x_t)
            score = (tf.matmul(hidden, last.kernel) + last.bias)[0, k]
        expected = tape.gradient(score, x_t).numpy()[0, :, :, 0]
        if method == "gradient_x_input":
            expected = expected * x
        ours = saliency(default, x, k, method=method)
        np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"class_index": 10}, r"`class_index` must be a whole number from 0 to 9"),
        ({"class_index": True}, "`class_index` must be"),
        ({"class_index": 1, "method": "gradcam"}, "`method` must be one of 'gradient'"),
    ],
)
def test_saliency_rejects_bad_arguments(default, digit, kwargs, match):
    with pytest.raises(ValueError, match=match):
        saliency(default, digit, **kwargs)


def test_a_picture_of_the_wrong_size_is_refused(default):
    with pytest.raises(
        ValueError, match=r"must be one 28×28 picture.*Received: x.shape=\(20, 20\)"
    ):
        layer_activations(default, np.zeros((20, 20)))


def test_shift_curve_scores_each_shifted_copy(default, digit):
    """Each point is the model's probability of the label for the digit moved that far."""
    label = int(load_sample().y_test[0])
    curve = shift_curve(default, digit, label, shifts=[-3, 0, 2])
    assert curve.shifts.tolist() == [-3, 0, 2]
    for i, s in enumerate(curve.shifts):
        moved_x, moved_y = shift(digit, int(s), 0), shift(digit, 0, int(s))
        assert curve.along_x[i] == pytest.approx(predict(default, moved_x)[label], **CLOSE)
        assert curve.along_y[i] == pytest.approx(predict(default, moved_y)[label], **CLOSE)
    assert curve.at(0, 0) == pytest.approx(predict(default, digit)[label], **CLOSE)
    assert curve.at(dy=2) == pytest.approx(curve.along_y[2])
    assert curve.mean == pytest.approx(np.mean([*curve.along_x, *curve.along_y]))


def test_shift_curve_of_several_digits_is_the_mean_of_their_curves(default):
    """A batch of digits gives the average probability at each shift."""
    data = load_sample()
    x, y = data.x_test[:5] / 255.0, data.y_test[:5]
    together = shift_curve(default, x, y)
    alone = [shift_curve(default, xi, int(yi)) for xi, yi in zip(x, y)]
    mean_x, mean_y = (
        np.mean([getattr(c, a) for c in alone], axis=0) for a in ("along_x", "along_y")
    )
    np.testing.assert_allclose(together.along_x, mean_x, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(together.along_y, mean_y, rtol=1e-4, atol=1e-6)
    assert together.shifts.tolist() == list(range(-4, 5))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.zeros((28, 28)), 3, [30]), r"`shifts` must be .* from -27 to 27"),
        ((np.zeros((28, 28)), 3, []), "`shifts` must be a non-empty list"),
        ((np.zeros((2, 28, 28)), 3), r"`label` must be one whole number per picture \(2 here\)"),
        ((np.zeros((28, 28)), 2.5), "`label` must be"),
    ],
)
def test_shift_curve_rejects_bad_arguments(default, args, match):
    with pytest.raises(ValueError, match=match):
        shift_curve(default, *args)


def _random_model(spec, seed=0):
    from cnnviz.learning.nn import weight_shapes
    from cnnviz.learning.training import TrainedModel

    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 0.3, s).astype(np.float32) for s in weight_shapes(spec)]
    return TrainedModel(spec, "none", weights)


def test_predict_reads_a_one_channel_picture_with_its_colour_axis_as_one_picture():
    """(64, 64, 1) for a 64×64×1 model is one picture, (N, 64, 64, 1) a batch; (64, 64) and
    (N, 64, 64) are grayscale shorthand for the same; other shapes are refused by name."""
    from cnnviz.learning import nn

    spec = ModelSpec(filters=(3,), dense_units=4, input_shape=(64, 64, 1), classes=3)
    model = _random_model(spec)
    x = np.random.default_rng(1).random((5, 64, 64, 1), dtype=np.float32)
    want = nn.predict(model.weights, x, spec)  # (5, 3)
    one = predict(model, x[0])
    assert one.shape == (3,)
    np.testing.assert_allclose(one, want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict(model, x[0, :, :, 0]), want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict(model, x), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predict(model, x[..., 0]), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(
        ValueError, match=r"one 64×64 picture with 1 channel.*x.shape=\(64, 64, 3\)"
    ):
        predict(model, np.zeros((64, 64, 3)))
    colour = _random_model(spec.replace(input_shape=(64, 64, 3)))
    assert predict(colour, np.zeros((64, 64, 3))).shape == (3,)
    with pytest.raises(
        ValueError, match=r"or a batch \(N, 64, 64, 3\)\. Received: x.shape=\(64, 64\)"
    ):
        predict(colour, np.zeros((64, 64)))  # no grayscale shorthand for a colour model


def test_shift_curve_of_colour_pictures_moves_every_channel_together():
    """A 16×16×3 model: each point is the probability of the label for the pictures moved that
    far (all three channels), averaged over the pictures."""
    spec = ModelSpec(filters=(3,), dense_units=4, input_shape=(16, 16, 3), classes=3, seed=2)
    model = _random_model(spec, seed=4)
    x = np.random.default_rng(5).random((2, 16, 16, 3), dtype=np.float32)
    labels = np.array([2, 0])
    curve = shift_curve(model, x, labels, shifts=[-2, 0, 3])
    for i, s in enumerate([-2, 0, 3]):
        for along, moved in (
            (curve.along_x, [shift(p, s, 0) for p in x]),
            (curve.along_y, [shift(p, 0, s) for p in x]),
        ):
            expected = np.mean(
                [predict(model, m)[label] for m, label in zip(moved, labels, strict=True)]
            )
            assert along[i] == pytest.approx(expected, **CLOSE)
    alone = shift_curve(model, x[1], 0, shifts=[1])
    assert alone.along_x[0] == pytest.approx(predict(model, shift(x[1], 1, 0))[0], **CLOSE)


def test_compare_patterns_counts_active_neurons_and_their_difference():
    """Cosine similarity, neurons active in both or one, and b − a neuron by neuron."""
    a = np.array([1.0, 0.0, 2.0, 0.0])
    b = np.array([1.0, 3.0, 0.0, 0.0])
    result = compare_patterns(a, b)
    np.testing.assert_array_equal(result.difference, [0.0, 3.0, -2.0, 0.0])
    assert result.cosine == pytest.approx(1 / (np.sqrt(5) * np.sqrt(10)))
    assert (result.both, result.only_a, result.only_b) == (1, 1, 1)
    assert np.isnan(compare_patterns(np.zeros(3), np.ones(3)).cosine)
    with pytest.raises(ValueError, match="same length"):
        compare_patterns(np.ones(3), np.ones(4))


def test_shifted_copy_keeps_much_of_the_activation_pattern(default, digit):
    """A 1-pixel shift changes the pattern less than swapping for a different digit does."""
    data = load_sample()
    other = data.x_test[np.flatnonzero(data.y_test != data.y_test[0])[0]] / 255.0

    def pattern(x):
        return activation_pattern(layer_activations(default, x)).output

    shifted = compare_patterns(pattern(digit), pattern(shift(digit, 1, 0)))
    different = compare_patterns(pattern(digit), pattern(other))
    assert shifted.cosine > different.cosine
