"""The article's CNN as a spec you can change, built with Keras, tabled and printed as code.

The default :class:`ModelSpec` is exactly the model the article builds::

    Conv2D(32, (3, 3), relu, input 28×28×1) → MaxPool2D() → Flatten()
    → Dense(256, relu) → Dense(10, softmax), compiled with Adam, categorical cross-entropy
    and accuracy.

Three views of one spec, kept in step by the tests:

* :func:`architecture` — the table (layer, output shape, parameters) worked out by hand with
  :func:`cnnviz.maths.ops.output_size`, without TensorFlow;
* :func:`build_model` — the Keras model itself;
* :func:`keras_code` — the Python that builds that same model, for the learner to copy.

A Keras ``Conv2D`` layer cross-correlates: it slides its kernels over the image unflipped.

TensorFlow is imported on the first call that needs it (:func:`keras_module`), with its thread
pools bounded so that training on a shared server leaves room for other visitors.

* :func:`estimate_cost` — what training a spec will cost (parameters, memory, time per epoch),
  worked out from the spec alone, so that a server can refuse a spec before it trains.

Letters used in shapes: ``H, W`` feature-map height and width, ``F`` filters, ``k`` kernel size.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import threading
from dataclasses import dataclass, fields

import numpy as np

from cnnviz._validate import as_choice, env_int
from cnnviz.maths.ops import output_size

__all__ = [
    "HEADS",
    "LOSSES",
    "MAX_BLOCKS",
    "MAX_LEARNING_RATE",
    "OPTIMIZERS",
    "POOLINGS",
    "RANGES",
    "Cost",
    "LayerRow",
    "ModelSpec",
    "architecture",
    "build_model",
    "estimate_cost",
    "keras_code",
    "keras_module",
    "parse_filters",
    "scoring_chunk",
    "total_parameters",
    "training_code",
]

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
POOLINGS = ("max", "average", "none")
#: What follows the last conv block: the article's Flatten, or one global max per feature map.
HEADS = ("flatten", "global_max")
SIDES = (8, 128)  # the input's square side, lowest and highest
CHANNELS = (1, 3)  # grayscale or colour
OPTIMIZERS = ("adam", "sgd", "rmsprop")
LOSSES = ("categorical_crossentropy", "mean_squared_error")
# The spec's limits, each written once: ModelSpec checks them and the Train page's form states
# them. RANGES holds the lowest and highest value of each whole-number field (filters: per block).
MAX_BLOCKS = 3
RANGES = {
    "filters": (1, 256),
    "kernel_size": (1, 9),
    "dense_units": (1, 4096),
    "batch_size": (1, 4096),
    "epochs": (1, 50),
    "seed": (0, 2**31 - 1),
    "classes": (2, 10),
    "shift": (0, 16),
}
MAX_LEARNING_RATE = 1.0  # and above 0
# Keras class names for the spec's plain-word choices.
_POOL_LAYER = {"max": "MaxPool2D", "average": "AveragePooling2D"}
# MaxPool2D() defaults to 2×2 windows with stride 2, as the article says; in Keras 3
# AveragePooling2D has no default size, so it is spelled out.
_POOL_ARGS = {"max": "", "average": "(2, 2), "}
_HEAD_LAYER = {
    "flatten": ("flatten", "Flatten"),
    "global_max": ("global_pool", "GlobalMaxPooling2D"),
}
# Fields added after the article's ten, left out of repr at their defaults (MNIST's), so that
# the article's spec prints, and keys caches, as it always did.
_QUIET_DEFAULTS = {
    "input_shape": INPUT_SHAPE,
    "classes": NUM_CLASSES,
    "head": "flatten",
    "shift": 0,
    "flip": False,
}
_OPTIMIZER_CLASS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}

# What a training worker costs, as resident memory (so TensorFlow's shared libraries count in
# full) and time: see estimate_cost. Measured, with the figures in the commit log and bench/.
WORKER_BASE_BYTES = 850 * 2**20  # a worker with TensorFlow loaded, before any job
TRAINING_BASE_BYTES = 150 * 2**20  # Keras' traced functions and buffers for even a tiny model
# Bytes per parameter while training: weights, gradients, the optimizer's slots (Adam keeps two
# running means, RMSprop one), and the result's copies (get_weights, then its pickle).
_BYTES_PER_PARAMETER = {"adam": 24, "rmsprop": 20, "sgd": 16}
ACTIVATION_COPIES = 3  # each activation is kept for the backward pass, beside its gradient
EVAL_BUDGET_BYTES = 32 * 2**20  # scoring runs in chunks whose activations stay under this
# A training's arithmetic per second at nice 10. The rate varies several-fold with the layer
# shapes, so the time is a rough guide; the wall-time limit in the worker is what holds.
FLOPS_PER_SECOND = 6e9
SECONDS_PER_STEP = 0.004  # Keras' fixed cost per batch, whatever its size

_BUILD_LOCK = threading.Lock()  # keras.utils.set_random_seed is process-wide
_THREADS_LOCK = threading.Lock()
_threads_configured: tuple[int, int] | None = None


@dataclass(frozen=True, repr=False)
class ModelSpec:
    """Everything that defines a model and how it trains; the defaults are the article's.

    Parameters
    ----------
    filters : tuple of int
        Kernels per conv block, one entry per block (1 to 3 blocks, 1 to 256 kernels each).
        Each block is ``Conv2D`` (ReLU, no padding) followed by the pooling layer, if any.
    kernel_size : int
        Side of every square kernel, 1 to 9.
    pooling : {"max", "average", "none"}
        The 2×2, stride-2 pooling after each conv layer, or none.
    dense_units : int
        Neurons in the hidden fully connected layer, 1 to 4096.
    optimizer : {"adam", "sgd", "rmsprop"}
    learning_rate : float
        Step size of the optimizer, in (0, 1]. Adam's default is 0.001.
    loss : {"categorical_crossentropy", "mean_squared_error"}
        What the training minimises (the article names both).
    batch_size : int
        Digits per gradient step, 1 to 4096.
    epochs : int
        Passes over the training set, 1 to 50.
    seed : int
        Fixes the starting weights, the order of the digits and the augmentation: same seed,
        same curves.
    input_shape : (int, int, int)
        The pictures' ``(height, width, channels)``: square, side 8 to 128, channels 1
        (grayscale) or 3 (colour). MNIST's ``(28, 28, 1)`` by default.
    classes : int
        How many classes the output layer scores, 2 to 10 (MNIST's 10 digits by default).
    head : {"flatten", "global_max"}
        What links the last conv block to the dense layers: the article's ``Flatten`` (every
        cell of every map gets its own weights), or ``GlobalMaxPooling2D`` (each map's largest
        value, wherever it sits: the Pooling page's translation invariance taken to the whole
        picture).
    shift : int
        Training batches are shifted by a random whole number of pixels, up to this many each
        way (zero fill), 0 to 16; 0 leaves them as they are.
    flip : bool
        Training batches are flipped left to right at random (half of them).

    Raises
    ------
    ValueError
        Naming the argument, the rule and what was received, e.g. when the kernels no longer
        fit the shrinking feature maps.

    Examples
    --------
    >>> ModelSpec()
    ModelSpec(filters=(32,), kernel_size=3, pooling='max', dense_units=256, optimizer='adam', \
learning_rate=0.001, loss='categorical_crossentropy', batch_size=32, epochs=5, seed=0)
    >>> ModelSpec(filters=(16, 32), pooling="Average").pooling
    'average'
    >>> ModelSpec(input_shape=(64, 64, 3), classes=3, head="global_max").input_shape
    (64, 64, 3)
    """

    filters: tuple[int, ...] = (32,)
    kernel_size: int = 3
    pooling: str = "max"
    dense_units: int = 256
    optimizer: str = "adam"
    learning_rate: float = 0.001
    loss: str = "categorical_crossentropy"
    batch_size: int = 32
    epochs: int = 5
    seed: int = 0
    input_shape: tuple[int, int, int] = INPUT_SHAPE
    classes: int = NUM_CLASSES
    head: str = "flatten"
    shift: int = 0
    flip: bool = False

    def __post_init__(self) -> None:
        filters = self.filters
        if isinstance(filters, numbers.Integral) and not isinstance(filters, bool):
            filters = (filters,)
        if not isinstance(filters, (tuple, list)) or not 1 <= len(filters) <= MAX_BLOCKS:
            raise ValueError(
                f"`filters` must hold 1 to {MAX_BLOCKS} kernel counts, one per conv block. "
                f"Received: filters={self.filters!r}."
            )
        clean = {
            "filters": tuple(_as_int(f, "filters") for f in filters),
            "kernel_size": _as_int(self.kernel_size, "kernel_size"),
            "pooling": as_choice(self.pooling, "pooling", POOLINGS),
            "dense_units": _as_int(self.dense_units, "dense_units"),
            "optimizer": as_choice(self.optimizer, "optimizer", OPTIMIZERS),
            "learning_rate": _as_rate(self.learning_rate),
            "loss": as_choice(self.loss, "loss", LOSSES),
            "batch_size": _as_int(self.batch_size, "batch_size"),
            "epochs": _as_int(self.epochs, "epochs"),
            "seed": _as_int(self.seed, "seed"),
            "input_shape": _as_input_shape(self.input_shape),
            "classes": _as_int(self.classes, "classes"),
            "head": as_choice(self.head, "head", HEADS),
            "shift": _as_int(self.shift, "shift"),
            "flip": _as_flag(self.flip, "flip"),
        }
        for name, value in clean.items():
            object.__setattr__(self, name, value)
        _check_fits(self)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.name not in _QUIET_DEFAULTS or getattr(self, f.name) != _QUIET_DEFAULTS[f.name]
        )
        return f"ModelSpec({parts})"

    @property
    def side(self) -> int:
        """The input pictures' side in pixels (they are square): 28 for MNIST."""
        return self.input_shape[0]

    @property
    def channels(self) -> int:
        """The input pictures' channels: 1 (grayscale) or 3 (colour)."""
        return self.input_shape[2]

    def replace(self, **changes) -> ModelSpec:
        """A copy with some fields changed (validated again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return ModelSpec(**values)


@dataclass(frozen=True)
class LayerRow:
    """One row of the architecture table: a layer, the shape it outputs, its parameter count.

    ``output_shape`` leaves out the batch axis: ``(H, W, F)`` for maps, ``(units,)`` for vectors.
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int

    def __repr__(self) -> str:
        shape = " × ".join(str(n) for n in self.output_shape)
        return f"{self.name:<8} {self.kind:<18} {shape:>14} {self.params:>11,}"


def architecture(spec: ModelSpec | None = None) -> list[LayerRow]:
    """The model's layers worked out by hand: output shapes and parameter counts.

    Parameters
    ----------
    spec : ModelSpec, optional
        Defaults to the article's model.

    Returns
    -------
    list of LayerRow
        In order, input excluded. Their ``params`` sum to :func:`total_parameters`.

    Notes
    -----
    A ``Conv2D`` with ``F`` kernels of size ``k × k`` over ``C`` input channels has
    ``(k·k·C + 1)·F`` parameters (a weight per kernel cell per channel, plus one bias per
    kernel); with no padding its maps are ``output_size(H, k)`` = ``H − k + 1`` wide. Pooling
    has no parameters and halves each side (rounding down). ``Dense(units)`` on ``n`` inputs has
    ``(n + 1)·units``: one weight per input, plus a bias, for every neuron. The
    ``global_max`` head keeps each map's largest value: ``F`` numbers, no parameters.

    Examples
    --------
    >>> for row in architecture():
    ...     print(row)
    conv_1   Conv2D                  26 × 26 × 32         320
    pool_1   MaxPool2D               13 × 13 × 32           0
    flatten  Flatten                         5408           0
    dense    Dense                            256   1,384,704
    output   Dense                             10       2,570
    >>> total_parameters()
    1387594
    >>> architecture(ModelSpec(input_shape=(64, 64, 3), classes=3, head="global_max"))[-3:]
    [global_pool GlobalMaxPooling2D           32           0, \
dense    Dense                            256       8,448, \
output   Dense                              3         771]
    """
    spec = spec or ModelSpec()
    rows: list[LayerRow] = []
    size, channels = spec.side, spec.channels
    for block, count in enumerate(spec.filters, start=1):
        size = output_size(size, spec.kernel_size)
        params = (spec.kernel_size * spec.kernel_size * channels + 1) * count
        rows.append(LayerRow(f"conv_{block}", "Conv2D", (size, size, count), params))
        channels = count
        if spec.pooling != "none":
            size = output_size(size, 2, stride=2)
            kind = _POOL_LAYER[spec.pooling]
            rows.append(LayerRow(f"pool_{block}", kind, (size, size, channels), 0))
    flat = size * size * channels if spec.head == "flatten" else channels
    rows.append(LayerRow(*_HEAD_LAYER[spec.head], (flat,), 0))
    rows.append(LayerRow("dense", "Dense", (spec.dense_units,), (flat + 1) * spec.dense_units))
    classes = spec.classes
    rows.append(LayerRow("output", "Dense", (classes,), (spec.dense_units + 1) * classes))
    return rows


def total_parameters(spec: ModelSpec | None = None) -> int:
    """Trainable parameters of the model: 1,387,594 for the article's."""
    return sum(row.params for row in architecture(spec))


@dataclass(frozen=True)
class Cost:
    """What training one spec costs, estimated before it runs (see :func:`estimate_cost`).

    Attributes
    ----------
    parameters : int
        Trainable parameters, exactly as Keras' ``model.count_params()``.
    activation_bytes : int
        Memory for one training batch's activations and their gradients.
    peak_bytes : int
        The worker process's estimated peak resident memory (RSS), TensorFlow included.
    seconds_per_epoch : float
        Estimated time for one pass over the training digits plus the test scoring after it.
    epochs : int
        The spec's epochs, so that :attr:`seconds` is the whole training.
    """

    parameters: int
    activation_bytes: int
    peak_bytes: int
    seconds_per_epoch: float
    epochs: int

    @property
    def seconds(self) -> float:
        """Estimated time of the whole training."""
        return self.seconds_per_epoch * self.epochs

    def __repr__(self) -> str:
        return (
            f"Cost(parameters={self.parameters:,}, activations={self.activation_bytes / 2**20:,.0f}"
            f" MB, peak={self.peak_bytes / 2**20:,.0f} MB, {self.seconds_per_epoch:,.1f} s/epoch"
            f" × {self.epochs})"
        )


def estimate_cost(
    spec: ModelSpec | None = None, n_train: int = 60_000, n_test: int = 10_000
) -> Cost:
    """Estimate the parameters, memory and time of training ``spec`` on ``n_train`` digits.

    Parameters
    ----------
    spec : ModelSpec, optional
        Defaults to the article's model.
    n_train, n_test : int
        Training digits, and test digits scored after each epoch.

    Returns
    -------
    Cost

    Notes
    -----
    A pure function of the spec and the digit counts; its constants were measured on a
    small host. Per digit, let ``a`` be the numbers every layer outputs (the sum of the
    :func:`architecture` output sizes) and ``f`` the multiply-adds of one forward pass
    (``k·k·C·F·H·W`` per conv layer, ``n·units`` per dense layer). Then, in bytes,

    * activations of a batch ``= 4 · a · batch_size · 3`` (each output is kept for the backward
      pass beside its gradient and the value before the ReLU);
    * peak ``=`` a loaded TensorFlow worker ``+`` Keras' fixed share ``+`` the digits (three
      copies of the uint8 training images, the test images also as float32) ``+``
      parameters × 16-24 (weights, gradients, optimizer slots, the result's copies) ``+`` the
      activations of a training batch and of a scoring chunk;

    and a training step costs about three forward passes, so an epoch takes
    ``(2·f·(3·n_train + n_test)) / FLOPS_PER_SECOND + batches · SECONDS_PER_STEP`` seconds.

    Examples
    --------
    >>> cost = estimate_cost(ModelSpec(), n_train=4000, n_test=1000)
    >>> cost.parameters
    1387594
    >>> cost.activation_bytes  # 32 digits × 32,714 numbers × 4 bytes × 3
    12562176
    >>> round(cost.peak_bytes / 2**20), round(cost.seconds_per_epoch, 1)  # MB, s
    (1089, 7.4)
    """
    spec = spec or ModelSpec()
    rows = architecture(spec)
    parameters = sum(row.params for row in rows)
    per_digit = sum(math.prod(row.output_shape) for row in rows)  # a, numbers
    activation_bytes = 4 * per_digit * spec.batch_size * ACTIVATION_COPIES
    chunk = scoring_chunk(per_digit)
    pixels = math.prod(spec.input_shape)  # numbers per picture: H·W·C
    data_bytes = pixels * (3 * n_train + 6 * n_test)  # uint8 copies; float32 test images
    peak = (
        WORKER_BASE_BYTES
        + TRAINING_BASE_BYTES
        + data_bytes
        + parameters * _BYTES_PER_PARAMETER[spec.optimizer]
        + activation_bytes
        + 4 * per_digit * chunk
    )
    steps = math.ceil(n_train / spec.batch_size)
    flops = 2 * _multiply_adds(spec) * (3 * n_train + n_test)
    seconds = flops / FLOPS_PER_SECOND + steps * SECONDS_PER_STEP
    return Cost(parameters, activation_bytes, int(peak), seconds, spec.epochs)


def scoring_chunk(numbers_per_digit: int, budget: int = EVAL_BUDGET_BYTES) -> int:
    """Test digits to score at once, so that their activations stay under ``budget`` bytes.

    ``numbers_per_digit`` is what all layers output for one digit (float32 each). From 1 to
    1000 digits: 1000 through three no-pooling conv blocks of 256 kernels would hold 1.8 GB.

    >>> scoring_chunk(32_714)  # the article's model: 131 KB per digit
    256
    """
    return max(1, min(1000, budget // (4 * numbers_per_digit)))


def _multiply_adds(spec: ModelSpec) -> int:
    """Multiply-adds of one forward pass for one digit (pooling's few comparisons left out)."""
    total, channels = 0, spec.channels
    for row in architecture(spec):
        if row.kind == "Conv2D":
            h, w, f = row.output_shape
            total += h * w * f * spec.kernel_size**2 * channels
            channels = f
        elif row.kind == "Dense":
            total += row.params
    return total


def build_model(spec: ModelSpec | None = None):
    """Build and compile the Keras model for ``spec``, with starting weights fixed by its seed.

    Parameters
    ----------
    spec : ModelSpec, optional
        Defaults to the article's model.

    Returns
    -------
    keras.Sequential
        Input ``(N, H, W, C)`` floats in [0, 1] (``spec.input_shape``, MNIST's 28×28×1 by
        default); output ``(N, spec.classes)`` class probabilities. Layers are named as in
        :func:`architecture`. The augmentation (``shift``, ``flip``) is not part of the model:
        the training pipeline applies it to the training batches.

    Notes
    -----
    Runs ``keras.utils.set_random_seed(spec.seed)`` first, exactly as :func:`keras_code` does,
    so the printed code starts from the same weights. That seed is process-wide, so builds take
    a lock.
    """
    spec = spec or ModelSpec()
    keras = keras_module()
    layers = keras.layers
    with _BUILD_LOCK:
        keras.utils.set_random_seed(spec.seed)
        model = keras.Sequential(name="cnn")
        model.add(keras.Input(shape=spec.input_shape))
        for block, count in enumerate(spec.filters, start=1):
            kernel = (spec.kernel_size, spec.kernel_size)
            model.add(layers.Conv2D(count, kernel, activation="relu", name=f"conv_{block}"))
            if spec.pooling != "none":
                pool = getattr(layers, _POOL_LAYER[spec.pooling])
                size = () if spec.pooling == "max" else ((2, 2),)
                model.add(pool(*size, name=f"pool_{block}"))
        name, kind = _HEAD_LAYER[spec.head]
        model.add(getattr(layers, kind)(name=name))
        model.add(layers.Dense(spec.dense_units, activation="relu", name="dense"))
        model.add(layers.Dense(spec.classes, activation="softmax", name="output"))
        optimizer = getattr(keras.optimizers, _OPTIMIZER_CLASS[spec.optimizer])
        model.compile(
            optimizer=optimizer(learning_rate=spec.learning_rate),
            loss=spec.loss,
            metrics=["accuracy"],
        )
    return model


def parse_filters(text: str) -> tuple[int, ...]:
    """Read kernel counts as people type them: ``"32"`` or ``"16, 32"``, one per conv block.

    Raises
    ------
    ValueError
        If the text is not 1 to 3 whole numbers separated by commas or spaces.

    Examples
    --------
    >>> parse_filters("16, 32")
    (16, 32)
    >>> parse_filters("32 x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `filters` must be 1 to 3 whole numbers separated by commas, ... Received: ...
    """
    # Only what a keyboard types: ASCII digits, commas and spaces (str.isdigit would take "٣"
    # and "²", and str.split a no-break space).
    words = [word for word in re.split(r"[, ]+", str(text).strip(" ")) if word]
    if not 1 <= len(words) <= MAX_BLOCKS or not all(re.fullmatch(r"[0-9]+", w) for w in words):
        raise ValueError(
            f"`filters` must be 1 to {MAX_BLOCKS} whole numbers separated by commas, one per conv "
            f"block, e.g. '32' or '16, 32'. Received: filters={text!r}."
        )
    return tuple(int(word) for word in words)


def keras_code(spec: ModelSpec | None = None) -> str:
    """The Python that builds and compiles the same model as :func:`build_model`.

    Run on its own (with Keras installed) it gives the same layers, the same parameter count
    and, thanks to the seed, the same starting weights.

    Examples
    --------
    >>> print(keras_code())  # doctest: +ELLIPSIS
    import keras
    from keras import layers
    <BLANKLINE>
    keras.utils.set_random_seed(0)  # same seed, same starting weights
    <BLANKLINE>
    model = keras.Sequential(name="cnn")
    model.add(keras.Input(shape=(28, 28, 1)))  # 28×28 pixels, 1 colour channel
    model.add(layers.Conv2D(32, (3, 3), activation="relu", name="conv_1"))
    model.add(layers.MaxPool2D(name="pool_1"))  # 2×2 windows, stride 2
    ...
    """
    spec = spec or ModelSpec()
    k = spec.kernel_size
    h, w, c = spec.input_shape
    lines = [
        "import keras",
        "from keras import layers",
        "",
        f"keras.utils.set_random_seed({spec.seed})  # same seed, same starting weights",
        "",
        'model = keras.Sequential(name="cnn")',
        f"model.add(keras.Input(shape={spec.input_shape!r}))  # {h}×{w} pixels, "
        f"{c} colour channel" + ("s" if c > 1 else ""),
    ]
    for block, count in enumerate(spec.filters, start=1):
        lines.append(
            f'model.add(layers.Conv2D({count}, ({k}, {k}), activation="relu", name="conv_{block}"))'
        )
        if spec.pooling != "none":
            pool, args = _POOL_LAYER[spec.pooling], _POOL_ARGS[spec.pooling]
            lines.append(
                f'model.add(layers.{pool}({args}name="pool_{block}"))  # 2×2 windows, stride 2'
            )
    optimizer = _OPTIMIZER_CLASS[spec.optimizer]
    if spec.head == "flatten":
        lines.append('model.add(layers.Flatten(name="flatten"))')
    else:
        lines.append(
            'model.add(layers.GlobalMaxPooling2D(name="global_pool"))  # each map\'s largest value'
        )
    lines += [
        f'model.add(layers.Dense({spec.dense_units}, activation="relu", name="dense"))',
        f'model.add(layers.Dense({spec.classes}, activation="softmax", name="output"))',
        "model.compile(",
        f"    optimizer=keras.optimizers.{optimizer}(learning_rate={spec.learning_rate!r}),",
        f'    loss="{spec.loss}",',
        '    metrics=["accuracy"],',
        ")",
        "model.summary()",
    ]
    moves = [f"shifted by up to {spec.shift} pixels each way"] if spec.shift else []
    moves += ["flipped left to right"] if spec.flip else []
    if moves:
        lines += [
            f"# Training batches are {' and '.join(moves)} at random (cnnviz's tf.data",
            "# pipeline: whole pixels, zero fill, drawn from the seed and the epoch;",
            "# keras.layers.RandomTranslation and RandomFlip do alike, but RandomTranslation",
            "# takes a fraction of the side, fills by reflection and may move by part of a",
            "# pixel).",
        ]
    return "\n".join(lines) + "\n"


def training_code(spec: ModelSpec | None = None) -> str:
    """The lines that load MNIST and train the model from :func:`keras_code`, as the article does.

    >>> print(training_code().splitlines()[-1])
    model.fit(x_train, y_train, batch_size=32, epochs=5, validation_data=(x_test, y_test))
    """
    spec = spec or ModelSpec()
    return "\n".join(
        [
            "# Full MNIST: 60,000 training and 10,000 test digits (downloads 11 MB once).",
            "(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()",
            "x_train = x_train[..., None] / 255.0  # (60000, 28, 28, 1), values in [0, 1]",
            "x_test = x_test[..., None] / 255.0",
            "y_train = keras.utils.to_categorical(y_train, 10)  # 3 -> [0,0,0,1,0,0,0,0,0,0]",
            "y_test = keras.utils.to_categorical(y_test, 10)",
            f"model.fit(x_train, y_train, batch_size={spec.batch_size}, epochs={spec.epochs}, "
            "validation_data=(x_test, y_test))",
        ]
    )


def keras_module():
    """Import and return ``keras``, bounding TensorFlow's thread pools on the first import.

    The pools are process-wide, shared by every training: ``CNNVIZ_TF_INTRA_THREADS`` threads
    work inside one operation (default: the number of CPUs) and ``CNNVIZ_TF_INTER_THREADS`` run
    independent operations side by side (default 2). TensorFlow fixes them when it first runs an
    operation; if something ran one earlier, its settings stay.
    """
    global _threads_configured
    with _THREADS_LOCK:
        if _threads_configured is None:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import tensorflow as tf

            intra = env_int("CNNVIZ_TF_INTRA_THREADS", os.cpu_count() or 1)
            inter = env_int("CNNVIZ_TF_INTER_THREADS", 2)
            try:
                tf.config.threading.set_intra_op_parallelism_threads(intra)
                tf.config.threading.set_inter_op_parallelism_threads(inter)
            except RuntimeError:  # TensorFlow already initialised by someone else.
                pass
            _threads_configured = (
                tf.config.threading.get_intra_op_parallelism_threads(),
                tf.config.threading.get_inter_op_parallelism_threads(),
            )
    import keras

    return keras


def _as_int(value: object, name: str) -> int:
    """``value`` as an int within ``RANGES[name]``, else ValueError naming ``name``."""
    low, high = RANGES[name]
    whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not whole or not low <= value <= high:
        raise ValueError(
            f"`{name}` must be a whole number from {low} to {high}. Received: {name}={value!r}."
        )
    return int(value)


def _as_input_shape(value: object) -> tuple[int, int, int]:
    """``value`` as a square ``(side, side, channels)`` the spec accepts, else ValueError."""
    ok = isinstance(value, (tuple, list)) and len(value) == 3
    ok = ok and all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in value)
    if ok:
        h, w, c = (int(n) for n in value)
        ok = h == w and SIDES[0] <= h <= SIDES[1] and c in CHANNELS
    if not ok:
        raise ValueError(
            f"`input_shape` must be (side, side, channels): a square side from {SIDES[0]} to "
            f"{SIDES[1]} pixels and 1 (grayscale) or 3 (colour) channels, e.g. (64, 64, 3). "
            f"Received: input_shape={value!r}."
        )
    return (h, w, c)


def _as_flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):  # NumPy's too
        raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}.")
    return bool(value)


def _as_rate(value: object) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not 0 < float(value) <= MAX_LEARNING_RATE:
        raise ValueError(
            f"`learning_rate` must be a number above 0 and at most {MAX_LEARNING_RATE:g} (Adam's "
            "default is 0.001). "
            f"Received: learning_rate={value!r}."
        )
    return float(value)


def _check_fits(spec: ModelSpec) -> None:
    """Raise ValueError if the shift is beyond half the side, or a kernel or pooling window no
    longer fits the shrinking maps."""
    if spec.shift > spec.side // 2:
        raise ValueError(
            f"`shift` must be at most half the pictures' side: {spec.side // 2} for a side of "
            f"{spec.side}. Received: shift={spec.shift}, input_shape={spec.input_shape}."
        )
    size = spec.side
    k = spec.kernel_size
    for block in range(1, len(spec.filters) + 1):
        if output_size(size, k) < 1:
            raise ValueError(
                f"Output would be empty: conv block {block}'s {k}×{k} kernel does not fit the "
                f"{size}×{size} feature map it receives. Use fewer conv blocks, a smaller "
                "kernel_size, or pooling='none'."
            )
        size = output_size(size, k)
        if spec.pooling != "none":
            if output_size(size, 2, stride=2) < 1:
                raise ValueError(
                    f"Output would be empty: pooling after conv block {block} gets a 1×1 map and "
                    "a 2×2 window does not fit. Use fewer conv blocks, a smaller kernel_size, "
                    "or pooling='none'."
                )
            size = output_size(size, 2, stride=2)
