"""explain against TensorFlow and against slow, direct computations.

* Receptive fields: the input pixels with a nonzero ``tf.GradientTape`` gradient for one cell.
* Occlusion: Keras predicting one covered copy at a time.
* Top examples: every digit through :func:`cnnviz.learning.probe.layer_activations` one by one.
* Grad-CAM: the textbook recipe on the Keras model with ``tf.GradientTape``.
* Feature pictures: far above what the test digits give.
"""

import functools

import numpy as np
import pytest

from cnnviz.learning import explain, nn
from cnnviz.learning.model import ModelSpec, architecture, build_model
from cnnviz.learning.nn import forward_with_sums, weight_shapes
from cnnviz.learning.probe import layer_activations

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

FIELD_SPECS = [
    ModelSpec(),
    ModelSpec(filters=(3,), kernel_size=5, pooling="none", dense_units=4),
    ModelSpec(filters=(2, 3), kernel_size=3, pooling="average", dense_units=4),
    ModelSpec(filters=(2, 3), kernel_size=5, pooling="max", dense_units=4),
    ModelSpec(filters=(2, 2, 3), kernel_size=3, pooling="max", dense_units=4),
    ModelSpec(filters=(2, 2, 2), kernel_size=3, pooling="none", dense_units=4),
]
FIELD_IDS = [f"{s.filters}-k{s.kernel_size}-{s.pooling}" for s in FIELD_SPECS]


@functools.cache
def positive_model(spec: ModelSpec):
    """Keras model with positive weights and biases: on positive inputs every ReLU is active,
    so a zero gradient can only mean "this pixel is outside the field" (or a max pool's
    losing input, which other random inputs win)."""
    rng = np.random.default_rng(3)
    model = build_model(spec)
    model.set_weights(
        [rng.uniform(0.1, 1.0, w.shape).astype(np.float32) for w in model.get_weights()]
    )
    return model


def _cells(shape):
    h, w = shape[:2]
    return sorted({(0, 0), (h - 1, w - 1), (h // 2, w // 3), (0, w - 1)})


@pytest.mark.parametrize("spec", FIELD_SPECS, ids=FIELD_IDS)
def test_receptive_field_is_where_tensorflow_gradient_is_nonzero(spec):
    """Union over random inputs of the pixels with a nonzero gradient = the field, exactly.

    Max pooling passes the gradient to one input in four, so a field's corner pixel is reached
    by about one input in 4^blocks: 512 inputs reach them all (seeded)."""
    model = positive_model(spec)
    count = 512 if spec.pooling == "max" else 4
    x = np.random.default_rng(4).uniform(0.1, 1, (count, 28, 28, 1)).astype(np.float32)
    x = tf.constant(x)
    for layer in explain.spatial_layers(spec):
        sub = keras.Model(model.inputs, model.layers[layer].output)
        for cell in _cells(architecture(spec)[layer].output_shape):
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = tf.reduce_sum(sub(x)[:, cell[0], cell[1], :])
            nonzero = np.abs(tape.gradient(value, x).numpy()[..., 0]) > 0  # (count, 28, 28)
            r0, r1, c0, c1 = explain.receptive_field(spec, layer, cell)
            inside = np.zeros((28, 28), bool)
            inside[r0:r1, c0:c1] = True
            assert not (nonzero & ~inside).any(), (layer, cell)  # nothing outside, ever
            np.testing.assert_array_equal(nonzero.any(axis=0), inside, err_msg=f"{layer} {cell}")
            size = explain.field_rule(spec, layer).size
            assert (r1 - r0, c1 - c0) == (size, size)


def test_field_rule_for_the_article_model_and_a_three_block_model():
    """The formula's numbers: 3, 4 for the article's model; up to 18 for three blocks."""
    assert [explain.field_rule(None, i).size for i in (0, 1)] == [3, 4]
    spec = ModelSpec(filters=(2, 2, 2), dense_units=4)
    rules = [explain.field_rule(spec, i) for i in explain.spatial_layers(spec)]
    assert [(r.size, r.jump) for r in rules] == [(3, 1), (4, 2), (8, 2), (10, 4), (18, 4), (22, 8)]
    assert "r = 10 + (3 − 1)·4 = 18" in rules[4].steps[-1]
    assert "18×18" in rules[4].formula


@pytest.mark.parametrize(
    ("layer", "cell", "match"),
    [(2, (0, 0), "conv or pooling layer"), (0, (26, 0), "inside conv_1's 26×26"),
     (1, (0, -1), "Received: cell=\\(0, -1\\)"), (True, (0, 0), "layer=True")],
)  # fmt: skip
def test_receptive_field_names_what_is_wrong(layer, cell, match):
    with pytest.raises(ValueError, match=match):
        explain.receptive_field(None, layer, cell)


@pytest.fixture(scope="module")
def small(small_keras, small_trained, small_sample):
    """The shared small trained model, its Keras twin and 200 test digits (N, 28, 28, 1)."""
    x = (small_sample.x_test.astype(np.float32) / 255)[..., None]
    return small_trained, small_keras[0], x


@pytest.mark.parametrize(("patch", "stride", "fill"), [(4, 2, 0.5), (7, 3, 0.0), (28, 1, 1.0)])
def test_occlusion_map_equals_one_position_at_a_time(small, patch, stride, fill):
    """Each cell is Keras' probability for that one covered copy."""
    trained, model, x = small
    digit, label = x[3], 5
    ours = explain.occlusion_map(
        trained.weights, trained.spec, digit, label, patch=patch, stride=stride, fill=fill
    )
    positions = range(0, 28 - patch + 1, stride)
    slow = np.zeros((len(positions), len(positions)), np.float32)
    for a, i in enumerate(positions):
        for b, j in enumerate(positions):
            covered = digit.copy()
            covered[i : i + patch, j : j + patch] = fill
            slow[a, b] = model(covered[None]).numpy()[0, label]
    np.testing.assert_allclose(ours, slow, rtol=1e-4, atol=1e-6)
    assert ours.std() > 0 or patch == 28  # the patch matters somewhere


def test_occlusion_map_builds_the_covered_copies_one_chunk_at_a_time(monkeypatch):
    """At most nn._chunk(spec) covered copies exist at once (they were all built first: 3.2 GB
    at 128×128×3, patch 1, stride 1); the map equals one copy at a time."""
    spec = ModelSpec(filters=(3,), dense_units=4, input_shape=(16, 16, 3), classes=3)
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.3, s).astype(np.float32) for s in nn.weight_shapes(spec)]
    picture = rng.random((16, 16, 3), dtype=np.float32)
    monkeypatch.setattr(nn, "CHUNK", 7)
    batches, predict = [], nn.predict
    monkeypatch.setattr(nn, "predict", lambda w, x, s: batches.append(len(x)) or predict(w, x, s))
    ours = explain.occlusion_map(weights, spec, picture, 2, patch=3, stride=1, fill=0.0)
    assert ours.shape == (14, 14) and max(batches) <= 7 and sum(batches) == 14 * 14
    for i, j in [(0, 0), (5, 9), (13, 13)]:
        covered = picture.copy()
        covered[i : i + 3, j : j + 3] = 0.0
        assert ours[i, j] == pytest.approx(predict(weights, covered[None], spec)[0, 2], rel=1e-5)


def test_occlusion_map_names_what_is_wrong(small):
    trained, _, x = small
    with pytest.raises(ValueError, match="`patch` must be a whole number from 1 to 28"):
        explain.occlusion_map(trained.weights, trained.spec, x[0], 1, patch=0)
    with pytest.raises(ValueError, match="`fill` must be a number from 0 to 1"):
        explain.occlusion_map(trained.weights, trained.spec, x[0], 1, fill=2)
    with pytest.raises(ValueError, match="x.shape=\\(27, 28\\)"):
        explain.occlusion_map(trained.weights, trained.spec, x[0, 1:, :, 0], 1)


@pytest.mark.parametrize("layer", [0, 1])
def test_top_examples_are_the_arg_max_set_computed_digit_by_digit(small, layer):
    """Per filter, the 9 shown are the 9 largest maxima over the digits, and their cells."""
    trained, _, x = small
    top = explain.top_examples(trained.weights, trained.spec, x, layer)
    maps = np.stack([layer_activations(trained, d[..., 0])[layer].output for d in x])  # (N,H,W,F)
    direct = maps.max(axis=(1, 2))  # (N, F)
    assert top.indices.shape == (trained.spec.filters[0], 9)
    for f in range(direct.shape[1]):
        shown = top.indices[f]
        rest = np.setdiff1d(np.arange(len(x)), shown)
        np.testing.assert_allclose(top.values[f], direct[shown, f], rtol=1e-5)
        assert direct[shown, f].min() >= direct[rest, f].max() - 1e-6
        assert list(top.values[f]) == sorted(top.values[f], reverse=True)
        for n, (r, c) in zip(shown, top.cells[f]):
            assert maps[n, r, c, f] == pytest.approx(direct[n, f], rel=1e-5)
        r0, r1, c0, c1 = explain.receptive_field(trained.spec, layer, tuple(top.cells[f, 0]))
        np.testing.assert_array_equal(top.patches[f, 0], x[shown[0], r0:r1, c0:c1, 0])
    np.testing.assert_allclose(top.mean, direct.mean(axis=0), rtol=1e-5)


def _two_blocks(seed=5):
    spec = ModelSpec(filters=(4, 6), kernel_size=3, pooling="max", dense_units=8)
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 0.5, s).astype(np.float32) for s in weight_shapes(spec)]
    weights = [w / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1 else w for w in weights]
    return spec, weights


@pytest.mark.parametrize("spec_seed", [5, 6])
def test_grad_cam_equals_gradient_tape_grad_cam(small, spec_seed):
    """alpha = mean of d score / d maps; cam = ReLU(maps @ alpha): as tf-keras-vis computes it."""
    spec, weights = _two_blocks(spec_seed)
    model = build_model(spec)
    model.set_weights(weights)
    _, _, x = small
    digit = x[7]
    ours = explain.grad_cam(weights, spec, digit, 2)
    layer = ours.layer
    assert layer == 2
    maps_model = keras.Model(model.inputs, model.layers[layer].output)
    with tf.GradientTape() as tape:
        maps = maps_model(digit[None])
        tape.watch(maps)
        a = maps
        for later in model.layers[layer + 1 : -1]:
            a = later(a)
        score = (a @ model.layers[-1].kernel + model.layers[-1].bias)[0, 2]
    d = tape.gradient(score, maps).numpy()[0]
    alpha = d.mean(axis=(0, 1))
    expected = np.maximum(maps.numpy()[0] @ alpha, 0)
    np.testing.assert_allclose(ours.weights, alpha, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.map, expected, rtol=1e-4, atol=1e-6)
    assert ours.on_input.shape == (28, 28) and ours.on_input.max() <= expected.max() + 1e-6


def test_grad_cam_refuses_a_one_block_model(small):
    trained, _, x = small
    with pytest.raises(ValueError, match="at least two conv blocks"):
        explain.grad_cam(trained.weights, trained.spec, x[0], 1)


def test_feature_picture_for_a_class_scores_far_above_the_test_digits(small):
    """'What the model thinks a 3 looks like': its score beats every test digit's mean by far."""
    trained, _, x = small
    made = explain.feature_picture(trained.weights, trained.spec, class_index=3, steps=60)
    scores = forward_with_sums(trained.weights, x, trained.spec)[1][-1][:, 3]
    assert made.picture.shape == (28, 28) and 0 <= made.picture.min() <= made.picture.max() <= 1
    assert made.activation > scores.mean() + 3 * scores.std()
    assert made.activation > made.start and made.probability > 0.9


@pytest.fixture(scope="module")
def deep(small_sample):
    """A three-block model (8, 16, 16 kernels) trained for two epochs on the small sample."""
    from cnnviz.learning.training import train

    spec = ModelSpec(filters=(8, 16, 16), dense_units=32, epochs=2)
    model = build_model(spec)
    train(model, small_sample, spec)
    return spec, model.get_weights()


@pytest.mark.slow
def test_feature_picture_for_a_deep_filter_is_far_above_the_test_digits(small, deep):
    """conv_3 of a trained three-block model: the picture excites each filter tried at least
    1.5 times as much as the test digits do on average (measured: 2 to 30 times)."""
    _, _, x = small
    spec, weights = deep
    top = explain.top_examples(weights, spec, x, 4)
    for f in (2, 4, 6):
        made = explain.feature_picture(weights, spec, layer=4, filter_index=f, steps=80)
        assert made.activation > 1.5 * top.mean[f], (f, made.activation, top.mean[f])
        assert made.activation > made.start


def test_feature_picture_is_seeded(small):
    trained, _, _ = small
    a = explain.feature_picture(trained.weights, trained.spec, layer=0, filter_index=1, steps=5)
    b = explain.feature_picture(trained.weights, trained.spec, layer=0, filter_index=1, steps=5)
    np.testing.assert_array_equal(a.picture, b.picture)
    with pytest.raises(ValueError, match="Give either"):
        explain.feature_picture(trained.weights, trained.spec, layer=0)
