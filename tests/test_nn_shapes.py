"""nn, probe and explain on pictures of any size, channels and class count, and the global max
head, against Keras and TensorFlow's GradientTape on random weights and random pictures; own's
shifted pictures against np.roll of a padded copy (issue 17)."""

import functools

import numpy as np
import pytest

from cnnviz.learning import explain, nn, own, probe
from cnnviz.learning.model import ModelSpec, architecture, build_model
from cnnviz.learning.training import TrainedModel

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

SPECS = [
    ModelSpec(filters=(4, 6, 8), input_shape=(64, 64, 3), classes=3, head="global_max",
              dense_units=12),
    ModelSpec(filters=(4, 6), input_shape=(32, 32, 1), classes=2, dense_units=8),
    ModelSpec(filters=(3, 5), kernel_size=5, input_shape=(40, 40, 3), classes=2,
              head="global_max", pooling="average", dense_units=6, loss="mean_squared_error"),
    ModelSpec(filters=(4,), input_shape=(20, 20, 1), classes=3, head="global_max",
              pooling="none", dense_units=5),
]  # fmt: skip
IDS = [f"{s.input_shape}-{s.head}-{s.classes}" for s in SPECS]


@functools.cache
def random_model(spec: ModelSpec, seed: int = 1):
    """Keras model for ``spec`` with random weights and biases, and 4 random pictures."""
    rng = np.random.default_rng(seed)
    model = build_model(spec)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    weights = [w / np.sqrt(np.prod(w.shape[:-1])) if w.ndim > 1 else w for w in weights]
    model.set_weights(weights)
    x = rng.random((4, *spec.input_shape)).astype(np.float32)
    return model, model.get_weights(), x


def _logits(model):
    hidden = keras.Model(model.inputs, model.layers[-2].output)
    kernel, bias = model.layers[-1].kernel, model.layers[-1].bias
    return lambda t: hidden(t) @ kernel + bias


def _input_gradient(quantity, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = quantity(x)
    return float(value), tape.gradient(value, x).numpy()


def _close(ours, theirs):
    scale = max(float(np.abs(theirs).max()), 1e-12)
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-4 * scale)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_layer_and_the_probabilities_equal_keras(spec):
    model, weights, x = random_model(spec)
    assert nn.weight_shapes(spec) == [w.shape for w in weights]
    for layer, mine in zip(model.layers, nn.forward(weights, x, spec), strict=True):
        theirs = keras.Model(model.inputs, layer.output)(x).numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5, err_msg=layer.name)
    np.testing.assert_allclose(nn.predict(weights, x, spec), model(x).numpy(), atol=1e-5)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_loss_and_score_gradients_equal_gradient_tape(spec):
    """The spec's loss (mean over the batch, as Keras trains) and one class's score: the input
    gradient, and for the loss every weight's gradient too."""
    model, weights, x = random_model(spec)
    labels = np.arange(len(x)) % spec.classes
    loss = keras.losses.get(spec.loss)
    y = tf.one_hot(labels, spec.classes)
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        value = tf.reduce_mean(loss(y, model(t)))
    d_x, *d_w = tape.gradient(value, [t, *model.trainable_weights])
    ours = nn.gradients(weights, x, spec, labels=labels)
    assert ours.value == pytest.approx(float(value), rel=1e-4)
    _close(ours.input, d_x.numpy())
    for mine, theirs in zip(ours.weights, d_w, strict=True):
        _close(mine, theirs.numpy())
    last = spec.classes - 1
    score, d_score = _input_gradient(lambda t: tf.reduce_sum(_logits(model)(t)[:, last]), x)
    ours = nn.gradients(weights, x, spec, score=last)
    assert ours.value == pytest.approx(score, rel=1e-4)
    _close(ours.input, d_score)


def test_global_max_gradient_splits_ties_as_tensorflow_does():
    """A map whose maximum sits in two or four cells: TensorFlow's gradient of
    GlobalMaxPooling2D shares it equally among them; so does nn's."""
    x = np.zeros((2, 3, 4, 2), np.float32)
    x[0, 0, 1, 0] = x[0, 2, 3, 0] = 5.0  # two cells tie in map 0 of picture 0
    x[0, 1, 1, 1] = 2.0  # one maximum in map 1
    x[1, :, :, 0] = 7.0  # every cell ties
    x[1, :2, :2, 1] = 3.0  # four cells tie
    d_out = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    t = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(t)
        value = tf.reduce_sum(keras.layers.GlobalMaxPooling2D()(t) * d_out)
    theirs = tape.gradient(value, t).numpy()
    np.testing.assert_allclose(nn.global_max_backward(d_out, x), theirs, atol=1e-7)
    np.testing.assert_array_equal(nn.global_max_forward(x), [[5, 2], [7, 3]])
    assert theirs[0, 0, 1, 0] == 0.5  # a tie really is shared, not given to the first


def test_pictures_of_the_wrong_shape_are_refused_naming_the_shape():
    spec = SPECS[0]
    _, weights, x = random_model(spec)
    with pytest.raises(ValueError, match=r"\(N, 64, 64, 3\). Received: x.shape=\(4, 64, 64, 1\)"):
        nn.predict(weights, x[..., :1], spec)
    trained = TrainedModel(spec, "random", weights)
    with pytest.raises(ValueError, match=r"64×64 picture with 3 channels"):
        probe.saliency(trained, x[0, :, :, 0], 0)
    with pytest.raises(ValueError, match="`class_index` must be a whole number from 0 to 2"):
        explain.occlusion_map(weights, spec, x[0], 3)


@pytest.mark.parametrize("spec", SPECS[:2], ids=IDS[:2])
def test_saliency_is_gradient_tapes_input_gradient(spec):
    """One picture: probe.saliency's gradient is GradientTape's of the class score before
    softmax; gradient × input is that times the picture; colour keeps its channels."""
    model, weights, x = random_model(spec)
    trained = TrainedModel(spec, "random", weights)
    picture = x[1] if spec.channels == 3 else x[1, :, :, 0]
    _, d = _input_gradient(lambda t: tf.reduce_sum(_logits(model)(t)[:, 1]), x[1:2])
    expected = d[0] if spec.channels == 3 else d[0, :, :, 0]
    _close(probe.saliency(trained, picture, 1, method="gradient"), expected)
    _close(probe.saliency(trained, picture, 1), expected * picture)
    assert probe.saliency(trained, picture, 1).shape == picture.shape
    layers = probe.layer_activations(trained, picture)
    assert [layer.name for layer in layers] == [row.name for row in architecture(spec)]
    np.testing.assert_allclose(layers[-1].output, model(x[1:2]).numpy()[0], atol=1e-5)
    batch = x[:2] if spec.channels == 3 else x[:2, ..., 0]
    np.testing.assert_allclose(probe.predict(trained, batch), model(x[:2]).numpy(), atol=1e-5)


def test_occlusion_map_is_a_loop_of_predictions_on_a_colour_picture():
    spec = SPECS[0]
    _, weights, x = random_model(spec)
    ours = explain.occlusion_map(weights, spec, x[2], 2, patch=16, stride=12, fill=0.3)
    starts = range(0, 64 - 16 + 1, 12)
    assert ours.shape == (len(starts), len(starts)) == (5, 5)
    for a, i in enumerate(starts):
        for b, j in enumerate(starts):
            covered = x[2].copy()
            covered[i : i + 16, j : j + 16, :] = 0.3
            slow = nn.predict(weights, covered[None], spec)[0, 2]
            assert ours[a, b] == pytest.approx(slow, rel=1e-5, abs=1e-7)
    assert ours.std() > 0


def test_grad_cam_is_the_textbook_recipe_on_the_keras_model():
    """alpha_f = mean over the map of d(score)/dA_f (GradientTape on the Keras model's last conv
    output); the map is ReLU(sum_f alpha_f A_f); on_input has the picture's side."""
    spec = SPECS[0]
    model, weights, x = random_model(spec, seed=2)  # seed 1: every map is zero (ReLU)
    kernel, bias = model.layers[-1].kernel, model.layers[-1].bias
    largest = []
    for picture, class_index in np.ndindex(len(x), spec.classes):
        maps = keras.Model(model.inputs, model.get_layer("conv_3").output)(x[picture : picture + 1])
        with tf.GradientTape() as tape:
            tape.watch(maps)
            hidden = maps
            for name in ("pool_3", "global_pool", "dense"):
                hidden = model.get_layer(name)(hidden)
            score = (hidden @ kernel + bias)[0, class_index]
        alpha = tape.gradient(score, maps).numpy()[0].mean(axis=(0, 1))
        expected = np.maximum(maps.numpy()[0] @ alpha, 0)
        cam = explain.grad_cam(weights, spec, x[picture], class_index)
        assert cam.layer == 4 and cam.on_input.shape == (64, 64)
        _close(cam.weights, alpha)
        _close(cam.map, expected)
        largest.append(float(cam.on_input.max()))
    assert sum(m > 0 for m in largest) >= 2  # some maps are not all zero


def test_layer_maps_and_receptive_fields_follow_the_input_size():
    """layer_maxima (the forward pass stopped at a layer) equals Keras' maps' maxima; the
    fields reach the 64-pixel picture's far edge (MNIST's 28 no longer clips them); top
    examples keep the picture's channels."""
    spec = SPECS[0]
    model, weights, x = random_model(spec)
    for layer in explain.spatial_layers(spec):
        values, cells = explain.layer_maxima(weights, spec, x, layer)
        maps = keras.Model(model.inputs, model.layers[layer].output)(x).numpy()
        np.testing.assert_allclose(values, maps.max(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    assert explain.receptive_field(spec, 0, (61, 61)) == (61, 64, 61, 64)
    h, w, _ = architecture(spec)[4].output_shape
    size = explain.field_rule(spec, 4).size
    r0, r1, c0, c1 = explain.receptive_field(spec, 4, (h - 1, w - 1))
    assert (r1 - r0, c1 - c0) == (size, size) and r1 <= 64 and r1 > 28
    top = explain.top_examples(weights, spec, x, 0, count=2)
    assert top.patches.shape == (4, 2, 3, 3, 3)
    f, n = 1, 0
    r0, r1, c0, c1 = explain.receptive_field(spec, 0, tuple(int(v) for v in top.cells[f, n]))
    np.testing.assert_array_equal(top.patches[f, n], x[top.indices[f, n], r0:r1, c0:c1])


def test_feature_picture_of_a_colour_model_has_its_shape_and_rises():
    spec = SPECS[0]
    _, weights, _ = random_model(spec)
    made = explain.feature_picture(weights, spec, class_index=2, steps=6)
    assert made.picture.shape == (64, 64, 3) and made.activation > made.start


def _np_shifted(picture, dy, dx):
    s = max(abs(dy), abs(dx), 1)
    pad = ((s, s), (s, s)) + ((0, 0),) * (picture.ndim - 2)
    return np.roll(np.pad(picture, pad), (dy, dx), axis=(0, 1))[s:-s, s:-s]


@pytest.mark.parametrize(("shape", "pixels"), [((30, 12, 12), 3), ((20, 9, 9, 3), 1)])
def test_shifted_moves_each_picture_exactly_pixels_along_one_axis(shape, pixels):
    """Each picture is np.roll of a zero-padded copy, cropped back, by (dy, dx) with
    max(|dy|, |dx|) = pixels; the moves vary; same seed, same pictures."""
    x = np.random.default_rng(5).integers(1, 256, shape).astype(np.uint8)
    moved = own.shifted(x, pixels, seed=2)
    assert moved.shape == x.shape and moved.dtype == x.dtype
    seen = set()
    for source, picture in zip(x, moved):
        found = [
            (dy, dx)
            for dy in range(-pixels, pixels + 1)
            for dx in range(-pixels, pixels + 1)
            if np.array_equal(_np_shifted(source, dy, dx), picture)
        ]
        assert len(found) == 1 and max(map(abs, found[0])) == pixels
        seen.add(found[0])
    assert len(seen) >= 4
    np.testing.assert_array_equal(moved, own.shifted(x, pixels, seed=2))
    assert not np.array_equal(moved, own.shifted(x, pixels, seed=3))
    np.testing.assert_array_equal(own.shifted(x, 0), x)
    with pytest.raises(ValueError, match="`pixels` must be a whole number from 0 to"):
        own.shifted(x, shape[1])


def test_backward_in_two_legs_equals_one_and_fills_the_weight_gradients():
    """nn.backward (shared by gradients and explain): from the class score down to layer 2's
    output (the second conv), then on from there (its output, so through its ReLU) to the
    input, equals the whole way at once and gradients(score=)'s input and weight gradients."""
    spec = ModelSpec(filters=(3, 4), dense_units=5, input_shape=(16, 16, 3), classes=3)
    spec = spec.replace(head="global_max")
    rng = np.random.default_rng(7)
    weights = [rng.normal(0, 0.4, s).astype(np.float32) for s in nn.weight_shapes(spec)]
    x = rng.random((2, 16, 16, 3), dtype=np.float32)
    outputs, sums = nn.forward_with_sums(weights, x, spec)
    d = np.zeros_like(outputs[-1])
    d[:, 2] = 1.0
    top = len(outputs) - 1
    into = [np.zeros_like(w) for w in weights]
    whole = nn.backward(weights, spec, x, outputs, sums, d, top, from_sums=True, into=into)
    middle = nn.backward(weights, spec, x, outputs, sums, d, top, 2, from_sums=True)
    assert middle.shape == outputs[2].shape and architecture(spec)[2].kind == "Conv2D"
    legs = nn.backward(weights, spec, x, outputs, sums, middle, 2)
    np.testing.assert_allclose(legs, whole, rtol=1e-6, atol=1e-7)
    g = nn.gradients(weights, x, spec, score=2)
    np.testing.assert_allclose(whole, g.input, rtol=1e-6, atol=1e-7)
    for ours, theirs in zip(into, g.weights, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
