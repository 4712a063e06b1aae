"""model, training: any input size, channels and class count; the global max head; shifts and
flips of the training batches (issue 17)."""

import dataclasses

import numpy as np
import pytest

from cnnviz.learning import nn
from cnnviz.learning.data import Dataset, as_model_input, load_sample
from cnnviz.learning.model import (
    ModelSpec,
    architecture,
    build_model,
    estimate_cost,
    keras_code,
    total_parameters,
)
from cnnviz.learning.training import (
    _shuffled_batches,
    check_data,
    check_limits,
    confusion_matrix,
    evaluate,
    first_layer_kernels,
)

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

# Input shapes, heads, class counts and block counts, the MNIST default first.
SPECS = [
    ModelSpec(),
    ModelSpec(filters=(8, 16, 32), input_shape=(64, 64, 3), classes=3, head="global_max"),
    ModelSpec(filters=(8, 16), input_shape=(32, 32, 1), classes=2, dense_units=16),
    ModelSpec(filters=(4,), kernel_size=5, input_shape=(8, 8, 3), classes=10, pooling="none"),
    ModelSpec(filters=(6, 6), input_shape=(128, 128, 1), head="global_max", pooling="average"),
    ModelSpec(filters=(5,), input_shape=(17, 17, 3), classes=4, head="flatten", dense_units=7),
]


def _keras_rows(model):
    return [
        (layer.name, tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers
    ]


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_keras_layers_match_the_hand_made_table(spec):
    """Every layer's name, output shape and parameters, as model.summary() lists them, equal
    architecture(spec); the model's input and output follow the spec."""
    model = build_model(spec)
    assert _keras_rows(model) == [(r.name, r.output_shape, r.params) for r in architecture(spec)]
    assert model.count_params() == total_parameters(spec) == estimate_cost(spec).parameters
    assert tuple(model.input_shape) == (None, *spec.input_shape)
    assert tuple(model.output_shape) == (None, spec.classes)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert ("GlobalMaxPooling2D" in kinds) == (spec.head == "global_max")
    assert ("Flatten" in kinds) == (spec.head == "flatten")


@pytest.mark.parametrize("spec", SPECS[1:4], ids=repr)
def test_printed_code_builds_the_same_model(spec):
    """exec(keras_code(spec)) gives the same layers and the same starting weights."""
    namespace = {}
    exec(keras_code(spec).replace("model.summary()", ""), namespace)
    printed, ours = namespace["model"], build_model(spec)
    assert _keras_rows(printed) == _keras_rows(ours)
    for a, b in zip(printed.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_numpy_weight_shapes_and_answers_follow_the_spec(spec):
    """nn's weight shapes are Keras'; its probabilities equal Keras' on random pictures."""
    model = build_model(spec)
    weights = model.get_weights()
    assert nn.weight_shapes(spec) == [w.shape for w in weights]
    x = np.random.default_rng(3).random((4, *spec.input_shape), dtype=np.float32)
    np.testing.assert_allclose(nn.predict(weights, x, spec), model(x).numpy(), atol=1e-5)


def test_new_fields_keep_the_articles_repr_and_show_when_changed():
    assert ModelSpec() == ModelSpec(input_shape=(28, 28, 1), classes=10, head="flatten")
    assert "input_shape" not in repr(ModelSpec()) and "flip" not in repr(ModelSpec())
    spec = ModelSpec(input_shape=[64, 64, 3], classes=3, head="Global_Max", shift=4, flip=True)
    assert (spec.input_shape, spec.head, spec.side, spec.channels) == (
        (64, 64, 3),
        "global_max",
        64,
        3,
    )
    assert repr(spec).endswith(
        "seed=0, input_shape=(64, 64, 3), classes=3, head='global_max', shift=4, flip=True)"
    )
    assert spec.replace(seed=1).input_shape == (64, 64, 3)
    code = keras_code(spec)
    assert "shifted by up to 4 pixels each way and flipped left to right" in code
    assert "keras.Input(shape=(64, 64, 3))" in code and "Dense(3, " in code


def test_numpy_booleans_and_a_shift_of_half_the_side_are_taken():
    """NumPy 2's booleans (``np.bool``, no longer named ``bool_``) are flags like Python's; a
    shift up to half the side is allowed."""
    spec = ModelSpec(input_shape=(8, 8, 1), filters=(2,), flip=np.True_, shift=4)
    assert spec.flip is True and spec.shift == 4
    assert ModelSpec(flip=np.bool_(False)).flip is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"input_shape": (64, 32, 1)}, "`input_shape` must be (side, side, channels)"),
        ({"input_shape": (7, 7, 1)}, "from 8 to 128"),
        ({"input_shape": (129, 129, 3)}, "Received: input_shape=(129, 129, 3)"),
        ({"input_shape": (28, 28, 2)}, "1 (grayscale) or 3 (colour)"),
        ({"input_shape": (28, 28)}, "`input_shape`"),
        ({"input_shape": (28.0, 28, 1)}, "`input_shape`"),
        ({"classes": 1}, "`classes` must be a whole number from 2 to 10"),
        ({"classes": 11}, "Received: classes=11"),
        ({"head": "average"}, "`head`"),
        ({"shift": 17}, "`shift` must be a whole number from 0 to 16"),
        ({"shift": -1}, "`shift`"),
        ({"flip": 1}, "`flip` must be True or False"),
        ({"flip": np.int64(1)}, "`flip` must be True or False"),
        ({"input_shape": (8, 8, 1), "shift": 5}, "at most half the pictures' side: 4 for a side"),
        ({"input_shape": (15, 15, 3), "shift": 8}, "Received: shift=8, input_shape=(15, 15, 3)"),
        ({"input_shape": (8, 8, 1), "filters": (4, 4)}, "Output would be empty"),
    ],
)
def test_bad_new_fields_get_messages_naming_the_argument(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ModelSpec(**changes)


def test_cost_counts_the_real_pixels_and_channels():
    """The data's share of the memory estimate is H·W·C bytes a picture (three uint8 copies of
    the training pictures, six bytes a test picture); 64×64×3 costs more than 28×28×1."""
    gray = ModelSpec(filters=(8,), input_shape=(64, 64, 1), head="global_max")
    colour = gray.replace(input_shape=(64, 64, 3))
    a, b = estimate_cost(gray, 100, 10), estimate_cost(colour, 100, 10)
    weights = (b.parameters - a.parameters) * 24  # Adam: 24 bytes a parameter
    assert b.activation_bytes == a.activation_bytes  # the same layer outputs
    assert b.peak_bytes - a.peak_bytes == weights + 64 * 64 * 2 * (3 * 100 + 6 * 10)
    assert b.seconds_per_epoch > a.seconds_per_epoch
    assert check_limits(colour, 100, 10).parameters == b.parameters


def _own(n=24, side=16, channels=3, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, side, side, channels), dtype=np.uint8)
    y = np.arange(n, dtype=np.uint8) % classes
    return Dataset("own", "own", "test", x, y, x[:6], y[:6], class_names=("a", "b", "c"))


def _batches(x, y, spec):
    return [
        (a.numpy(), b.numpy()) for a, b in _shuffled_batches(tf, np.asarray(x), np.asarray(y), spec)
    ]


def _np_moved(picture, dy, dx, flip):
    """``picture`` (H, W, C) mirrored if ``flip``, then moved down dy and right dx, zero fill:
    np.roll of a zero-padded copy, cropped back."""
    if flip:
        picture = picture[:, ::-1]
    s = max(abs(dy), abs(dx), 1)
    padded = np.pad(picture, ((s, s), (s, s), (0, 0)))
    rolled = np.roll(padded, (dy, dx), axis=(0, 1))
    return rolled[s:-s, s:-s]


def test_batches_keep_the_channels_and_the_class_count():
    data = _own()
    spec = ModelSpec(filters=(4,), input_shape=(16, 16, 3), classes=3, batch_size=5, epochs=2)
    batches = _batches(data.x_train, data.y_train, spec)
    assert [b[0].shape for b in batches] == ([(5, 16, 16, 3)] * 4 + [(4, 16, 16, 3)]) * 2
    assert {b[1].shape[1] for b in batches} == {3}
    seen = np.concatenate([b[0] for b in batches[:5]])
    expected = data.x_train.astype(np.float32) / 255
    order = [int(np.flatnonzero((expected == s).all(axis=(1, 2, 3)))[0]) for s in seen]
    assert sorted(order) == list(range(24))  # an epoch visits every picture once, unchanged


@pytest.mark.parametrize(("shift", "flip"), [(2, False), (0, True), (3, True)])
def test_shifts_and_flips_move_each_picture_by_at_most_shift_seeded_by_the_spec(shift, flip):
    """Every augmented picture is its source (found by its labels' order: the shuffle is the
    unaugmented pipeline's) moved by whole pixels |dy|, |dx| <= shift with zero fill, mirrored
    or not (NumPy's roll of a padded copy); the moves vary (at least half of the possible ones
    are seen, 80 pictures for up to 98 moves); same seed, same batches; another seed or epoch,
    other moves."""
    data = _own(n=40, side=12, channels=3)
    base = ModelSpec(filters=(2,), input_shape=(12, 12, 3), classes=3, batch_size=8, epochs=2)
    spec = base.replace(shift=shift, flip=flip)
    plain = _batches(data.x_train, data.y_train, base)
    moved = _batches(data.x_train, data.y_train, spec)
    used = set()
    for (a, ya), (b, yb) in zip(plain, moved, strict=True):
        np.testing.assert_array_equal(ya, yb)  # the same order as without augmentation
        for source, picture in zip(a, b):
            options = [
                (dy, dx, f)
                for dy in range(-shift, shift + 1)
                for dx in range(-shift, shift + 1)
                for f in ((False, True) if flip else (False,))
                if np.array_equal(_np_moved(source, dy, dx, f), picture)
            ]
            assert options, "not a shift of at most `shift` pixels of its source"
            used.add(options[0])
    assert len(used) >= (2 * shift + 1) ** 2 * (1 + flip) // 2  # the moves vary
    again = _batches(data.x_train, data.y_train, spec)
    for (a, _), (b, _) in zip(moved, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = _batches(data.x_train, data.y_train, spec.replace(seed=1))
    assert not all(np.array_equal(a, b) for (a, _), (b, _) in zip(moved, other))
    epochs = len(moved) // 2
    first = np.concatenate([b for b, _ in moved[:epochs]])
    second = np.concatenate([b for b, _ in moved[epochs:]])
    assert not np.array_equal(np.sort(first, axis=0), np.sort(second, axis=0))


def test_mnist_batches_are_unchanged_without_augmentation():
    """MNIST's (N, 28, 28) digits get their channel axis, in the seed's order, as before."""
    data = load_sample().subset(50, 10)
    spec = ModelSpec(batch_size=16, epochs=1, seed=5)
    batches = _batches(data.x_train, data.y_train, spec)
    order = tf.random.experimental.stateless_shuffle(
        tf.range(50), seed=tf.constant([5, 0], tf.int64)
    ).numpy()
    images = np.concatenate([b[0] for b in batches])
    np.testing.assert_array_equal(images, as_model_input(data.x_train[order]))


def test_evaluation_and_kernels_follow_the_spec():
    data = _own()
    spec = ModelSpec(filters=(4,), input_shape=(16, 16, 3), classes=3, head="global_max")
    weights = build_model(spec).get_weights()
    scores = evaluate(weights, spec, data)
    assert scores.probabilities.shape == (6, 3) and scores.confusion.shape == (3, 3)
    np.testing.assert_array_equal(
        scores.confusion, confusion_matrix(data.y_test, scores.predicted, 3)
    )
    assert scores.wrong_images.shape[1:] == (16, 16, 3)
    kernels = first_layer_kernels(weights)
    assert kernels.shape == (4, 3, 3, 3)
    np.testing.assert_array_equal(kernels[2, :, :, 1], weights[0][:, :, 1, 2])
    with pytest.raises(ValueError, match="the model takes 28×28×1"):
        check_data(ModelSpec(), data)


def test_check_data_refuses_a_class_count_the_data_does_not_have():
    """Three class names, or labels up to 2, against a spec of 2 or 4 classes: refused with a
    message naming the spec's ``classes``; the matching spec passes."""
    data = _own()
    spec = ModelSpec(filters=(4,), input_shape=(16, 16, 3), classes=3, head="global_max")
    check_data(spec, data)
    with pytest.raises(
        ValueError, match=r"names 3 classes but the model has 4: set the spec's `classes` to 3"
    ):
        check_data(spec.replace(classes=4), data)
    unnamed = dataclasses.replace(data, class_names=())
    check_data(spec.replace(classes=4), unnamed)  # labels 0..2 fit 4 classes
    with pytest.raises(
        ValueError, match=r"labels go up to 2 but the model has 2 classes \(labels 0\.\.1\)"
    ):
        check_data(spec.replace(classes=2), unnamed)
    late = dataclasses.replace(unnamed, y_test=np.full(6, 5, np.uint8))
    with pytest.raises(ValueError, match="labels go up to 5"):
        check_data(spec.replace(classes=5), late)  # the test labels count too
    with pytest.raises(ValueError, match=r"labels in 0\.\.1"):
        _batches(data.x_train, data.y_train, spec.replace(classes=2))
