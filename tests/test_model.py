"""model: the article's model, spec variations, the hand-made table and the printed code."""

import os
import subprocess
import sys

import numpy as np
import pytest

from cnnviz.learning.data import as_model_input, load_sample, one_hot
from cnnviz.learning.model import (
    ModelSpec,
    architecture,
    build_model,
    estimate_cost,
    keras_code,
    parse_filters,
    total_parameters,
    training_code,
)

keras = pytest.importorskip("keras")

# Variations of the spec: blocks, filters, kernel sizes, pooling, optimizers and both losses.
SPECS = [
    ModelSpec(),
    ModelSpec(filters=(16, 32), kernel_size=5, pooling="average"),
    ModelSpec(filters=(8, 8, 8), pooling="none", dense_units=16, optimizer="sgd"),
    ModelSpec(filters=(4, 6, 8), kernel_size=3, pooling="max", loss="mean_squared_error"),
    ModelSpec(filters=(2,), kernel_size=1, dense_units=1, optimizer="rmsprop", learning_rate=0.01),
    ModelSpec(filters=(3, 5), kernel_size=9, pooling="max", dense_units=7),
]


def _keras_rows(model):
    return [
        (layer.name, tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers
    ]


def test_default_spec_is_the_articles_model():
    """Conv2D(32, 3×3, relu) → MaxPool2D(2, 2) → Flatten → Dense(256, relu) → Dense(10, softmax)."""
    model = build_model()
    conv, pool, flat, dense, out = model.layers
    assert isinstance(conv, keras.layers.Conv2D)
    assert (conv.filters, conv.kernel_size, conv.strides) == (32, (3, 3), (1, 1))
    assert conv.padding == "valid" and conv.activation.__name__ == "relu"
    assert isinstance(pool, keras.layers.MaxPooling2D)
    assert (pool.pool_size, pool.strides) == ((2, 2), (2, 2))
    assert isinstance(flat, keras.layers.Flatten)
    assert (dense.units, dense.activation.__name__) == (256, "relu")
    assert (out.units, out.activation.__name__) == (10, "softmax")
    assert tuple(model.input_shape) == (None, 28, 28, 1)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.001)
    assert model.loss == "categorical_crossentropy"


def test_articles_model_has_1_387_594_parameters():
    """The article's count, by hand and by Keras."""
    assert total_parameters() == 1_387_594
    assert build_model().count_params() == 1_387_594


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_hand_made_table_matches_keras(spec):
    """Every row's name, output shape and parameter count equal what Keras builds."""
    hand = [(row.name, row.output_shape, row.params) for row in architecture(spec)]
    assert hand == _keras_rows(build_model(spec))
    assert total_parameters(spec) == build_model(spec).count_params()


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_spec_variations_build_and_train_one_batch(spec):
    """Each variation compiles and takes one gradient step on 16 digits; the loss and accuracy
    it reports are its loss function and accuracy computed here in NumPy on its predictions
    before the step."""
    data = load_sample()
    model = build_model(spec)
    x, y = as_model_input(data.x_train[:16]), one_hot(data.y_train[:16])
    p = np.asarray(model(x, training=False), np.float64)  # (16, 10), before the step
    before = model.get_layer("conv_1").get_weights()[0].copy()
    loss, accuracy = model.train_on_batch(x, y)
    if spec.loss == "categorical_crossentropy":
        expected = -np.mean(np.sum(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=1))
    else:
        expected = np.mean((y - p) ** 2)
    assert loss == pytest.approx(expected, rel=1e-4)
    assert accuracy == pytest.approx(np.mean(p.argmax(1) == data.y_train[:16]))
    assert not np.array_equal(before, model.get_layer("conv_1").get_weights()[0])
    assert model.loss == spec.loss
    assert type(model.optimizer).__name__.lower() == spec.optimizer


@pytest.mark.parametrize("spec", [SPECS[0], SPECS[1], SPECS[3]], ids=repr)
def test_printed_code_builds_the_same_model_with_the_same_weights(spec):
    """exec(keras_code(spec)) gives the same layers, the same config and the same start weights."""
    namespace = {}
    exec(keras_code(spec).replace("model.summary()", ""), namespace)
    printed, ours = namespace["model"], build_model(spec)
    assert _keras_rows(printed) == _keras_rows(ours)
    for a, b in zip(printed.layers, ours.layers, strict=True):
        assert a.get_config() == b.get_config()
    for a, b in zip(printed.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    unnamed = [{**m.optimizer.get_config(), "name": None} for m in (printed, ours)]
    assert unnamed[0] == unnamed[1]
    assert printed.loss == ours.loss


def _random_specs(count, seed):
    """Valid specs drawn at random over the form's ranges (kept small enough to build fast)."""
    rng = np.random.default_rng(seed)
    specs = []
    while len(specs) < count:
        try:
            specs.append(
                ModelSpec(
                    filters=tuple(int(f) for f in rng.integers(1, 65, rng.integers(1, 4))),
                    kernel_size=int(rng.integers(1, 10)),
                    pooling=str(rng.choice(["max", "average", "none"])),
                    dense_units=int(rng.integers(1, 129)),
                    optimizer=str(rng.choice(["adam", "sgd", "rmsprop"])),
                    batch_size=int(rng.integers(1, 4097)),
                )
            )
        except ValueError:  # kernels that do not fit the shrinking maps: draw again
            continue
    return specs


@pytest.mark.parametrize("spec", _random_specs(8, seed=11), ids=repr)
def test_estimated_parameters_and_activations_match_the_keras_model(spec):
    """estimate_cost's parameters are Keras' count_params(); its activation memory is the
    analytic sum over the Keras layers' output shapes (4 bytes × batch × 3 copies)."""
    model = build_model(spec)
    cost = estimate_cost(spec, n_train=1000, n_test=100)
    assert cost.parameters == model.count_params()
    numbers = sum(int(np.prod(layer.output.shape[1:])) for layer in model.layers)
    assert cost.activation_bytes == 4 * numbers * spec.batch_size * 3
    assert cost.peak_bytes > 850 * 2**20 + cost.activation_bytes + 16 * cost.parameters


def test_estimates_grow_with_the_work():
    """More digits, epochs, kernels or a bigger batch never make a training look cheaper."""
    base = estimate_cost(ModelSpec(), 4000, 1000)
    assert estimate_cost(ModelSpec(), 60_000, 10_000).seconds_per_epoch > base.seconds_per_epoch
    assert estimate_cost(ModelSpec(epochs=10), 4000, 1000).seconds == 2 * base.seconds
    wide = estimate_cost(ModelSpec(filters=(64,)), 4000, 1000)
    assert wide.seconds_per_epoch > base.seconds_per_epoch and wide.peak_bytes > base.peak_bytes
    big_batch = estimate_cost(ModelSpec(batch_size=1024), 4000, 1000)
    assert big_batch.peak_bytes - base.peak_bytes == big_batch.activation_bytes - (
        base.activation_bytes
    )


def test_same_seed_same_start_weights_other_seed_different():
    a, b = build_model(ModelSpec(seed=3)), build_model(ModelSpec(seed=3))
    c = build_model(ModelSpec(seed=4))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_training_code_names_the_spec_values():
    text = training_code(ModelSpec(batch_size=64, epochs=2))
    assert "keras.datasets.mnist.load_data()" in text
    assert "batch_size=64, epochs=2" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"filters": ()}, r"`filters` must hold 1 to 3 kernel counts.*Received: filters=\(\)"),
        ({"filters": (8, 8, 8, 8)}, r"`filters` must hold 1 to 3"),
        ({"filters": (0,)}, r"`filters` must be a whole number from 1 to 256. Received: filters=0"),
        ({"kernel_size": 10}, r"`kernel_size` must be a whole number from 1 to 9"),
        ({"pooling": "min"}, r"`pooling` must be one of 'max', 'average', 'none'"),
        ({"optimizer": "adagrad"}, r"`optimizer` must be one of 'adam', 'sgd', 'rmsprop'"),
        ({"learning_rate": 0}, r"`learning_rate` must be a number above 0 and at most 1"),
        ({"loss": "hinge"}, r"`loss` must be one of 'categorical_crossentropy'"),
        ({"batch_size": 0}, r"`batch_size` must be a whole number from 1 to 4096"),
        ({"epochs": 51}, r"`epochs` must be a whole number from 1 to 50. Received: epochs=51"),
        ({"seed": -1}, r"`seed` must be a whole number"),
        ({"dense_units": 2.5}, r"`dense_units` must be a whole number"),
        (
            {"filters": (8, 8, 8), "kernel_size": 7},
            r"Output would be empty: conv block 3's 7×7 kernel does not fit the 2×2 feature map",
        ),
        (
            {"filters": (8, 8, 8), "kernel_size": 4},
            r"Output would be empty: pooling after conv block 3 gets a 1×1 map",
        ),
    ],
)
def test_bad_spec_values_get_actionable_messages(changes, message):
    with pytest.raises(ValueError, match=message):
        ModelSpec(**changes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("32", (32,)), ("16, 32", (16, 32)), (" 8 16,32 ", (8, 16, 32)), ("64,", (64,))],
)
def test_parse_filters_reads_what_people_type(text, expected):
    assert parse_filters(text) == expected


# Other scripts' digits, full-width digits, superscripts and a no-break space are not typed on
# a keyboard as numbers: str.isdigit and str.split took them (found by a hostile walk).
@pytest.mark.parametrize(
    "text", ["", "x", "32, -1", "1.5", "1 2 3 4", "٣, ３", "1,\u00a02", "²", "8\n16"]
)
def test_parse_filters_refuses_the_rest(text):
    with pytest.raises(ValueError, match="`filters` must be 1 to 3 whole numbers"):
        parse_filters(text)


def test_spec_is_canonical_and_printable():
    spec = ModelSpec(filters=[16, 32], pooling=" Average ", optimizer="ADAM")
    assert spec.filters == (16, 32) and spec.pooling == "average" and spec.optimizer == "adam"
    assert spec.replace(epochs=2).epochs == 2
    assert repr(ModelSpec()).startswith("ModelSpec(filters=(32,), kernel_size=3, pooling='max'")


def test_importing_the_model_modules_loads_neither_tensorflow_nor_streamlit():
    """data/model/training/pictures import TensorFlow only when a function needs it."""
    probe = (
        "import sys\n"
        "import cnnviz, cnnviz.maths.ops, cnnviz.learning.data, cnnviz.learning.model, "
        "cnnviz.learning.training\n"
        "import cnnviz.pictures\n"
        "from cnnviz.learning.model import ModelSpec, architecture, keras_code\n"
        "architecture(ModelSpec(filters=(8, 16))); keras_code()\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_tensorflow_thread_pools_are_bounded_from_the_environment():
    """In a fresh process, the first keras_module() call fixes TensorFlow's pools from the env."""
    probe = (
        "import tensorflow as tf\n"
        "from cnnviz.learning.model import keras_module\n"
        "keras_module()\n"
        "print(tf.config.threading.get_intra_op_parallelism_threads(),"
        " tf.config.threading.get_inter_op_parallelism_threads())\n"
    )
    env = {**os.environ, "CNNVIZ_TF_INTRA_THREADS": "1", "CNNVIZ_TF_INTER_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1", "1"]
