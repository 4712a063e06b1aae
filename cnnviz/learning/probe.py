"""Look inside a trained model: every layer's output, what the input pixels matter, shifts.

* :func:`layer_activations` follows one digit through the model, layer by layer, keeping each
  layer's output and, for layers with weights, the weighted sums before their activation (so a
  page can show a conv layer's maps before and after ReLU, and the output layer's scores before
  softmax).
* :func:`activation_pattern` picks the article's "activation pattern": the last hidden layer.
* :func:`compare_patterns` says how two such patterns differ.
* :func:`saliency` asks which pixels the decision depends on (gradient, or gradient × input).
* :func:`shift_curve` moves the digit a few pixels and tracks the probability of the true class.

A model here is anything with ``.weights`` (as Keras' ``model.get_weights()``) and ``.spec``
(its :class:`~cnnviz.learning.model.ModelSpec`), such as a
:class:`~cnnviz.learning.training.TrainedModel`: input ``(N, H, W, C)`` floats in [0, 1] of the
spec's ``input_shape`` (MNIST's ``(N, 28, 28, 1)``), output ``(N, K)`` probabilities,
``K = spec.classes``. A one-channel picture may come without its channel axis, ``(H, W)``.
The arithmetic is :mod:`cnnviz.learning.nn`'s, in NumPy: no TensorFlow in the process that
serves the pages.

Letters used in shapes: ``N`` pictures, ``H, W`` a map's height and width (28×28 for MNIST's
input), ``C`` the input's channels, ``F`` filters, ``n`` neurons, ``K`` classes (10 digits for
MNIST), ``D`` shifts.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cnnviz._validate import as_choice, as_float_array, as_whole
from cnnviz.learning import nn
from cnnviz.learning.model import ModelSpec, architecture
from cnnviz.maths.pixels import shift

__all__ = [
    "DEFAULT_SHIFTS",
    "SALIENCY_METHODS",
    "LayerOutput",
    "Model",
    "PatternComparison",
    "ShiftCurve",
    "activation_pattern",
    "as_picture",
    "as_pictures",
    "compare_patterns",
    "layer_activations",
    "predict",
    "saliency",
    "shift_curve",
]

SALIENCY_METHODS = ("gradient", "gradient_x_input")
DEFAULT_SHIFTS = tuple(range(-4, 5))
# What each layer type does and which activation follows it (None: no weights, no activation).
_ROLES = {
    "Conv2D": ("conv", "relu"),
    "MaxPool2D": ("max_pool", None),
    "AveragePooling2D": ("average_pool", None),
    "Flatten": ("flatten", None),
    "GlobalMaxPooling2D": ("global_max_pool", None),
    "Dense": ("dense", "relu"),
}


class Model(Protocol):
    """What the functions here read of a model: a :class:`~cnnviz.learning.training.TrainedModel`
    or anything with its weights (``model.get_weights()`` order) and its spec."""

    weights: list[np.ndarray]
    spec: ModelSpec


@dataclass(frozen=True, repr=False)
class LayerOutput:
    """What one layer made of one digit.

    Attributes
    ----------
    name : str
        The layer's name in the model, e.g. ``"conv_1"``.
    kind : str
        Its kind as :func:`~cnnviz.learning.model.architecture` and the article's code name it,
        e.g. ``"Conv2D"``, ``"MaxPool2D"``, ``"Flatten"``, ``"Dense"``.
    output : ndarray of float32, shape (H, W, F) or (n,)
        The layer's output for this digit (the batch axis dropped), exactly what the next layer
        receives.
    before_activation : ndarray of float32 or None, same shape as ``output``
        For layers with weights (``Conv2D``, ``Dense``): the weighted sums plus bias, before the
        activation function; ``None`` for layers without weights.
    activation : str or None
        The activation's name (``"relu"``, ``"softmax"``, ``"linear"``), or ``None``.
    role : {"conv", "max_pool", "average_pool", "flatten", "dense", "other"}
        What the layer does, as a page explains it: found once here from the layer's type, so
        that no page reads Keras class names.
    """

    name: str
    kind: str
    output: np.ndarray
    before_activation: np.ndarray | None = None
    activation: str | None = None
    role: str = "other"

    def __repr__(self) -> str:
        shape = " × ".join(str(n) for n in self.output.shape)
        after = f", then {self.activation}" if self.activation else ""
        return f"LayerOutput({self.name}: {self.kind}{after} → {shape})"

    @property
    def zeroed(self) -> float:
        """Share of the values that ReLU set to 0 (the negative sums); 0.0 without ReLU."""
        if self.before_activation is None or self.activation != "relu":
            return 0.0
        return float(np.mean(self.before_activation < 0))

    @property
    def active(self) -> int:
        """How many values are above 0 (for a layer of neurons: how many fire)."""
        return int(np.sum(self.output > 0))


@dataclass(frozen=True)
class PatternComparison:
    """How two activation patterns (two digits' outputs of the same layer) differ.

    Attributes
    ----------
    difference : ndarray, shape (n,)
        ``b − a``, neuron by neuron.
    cosine : float
        Cosine similarity ``a·b / (|a| |b|)``: 1 for patterns that point the same way, 0 for
        patterns with no active neuron in common; NaN when a pattern is all zeros.
    both, only_a, only_b : int
        Neurons active (above 0) for both digits, for the first only, for the second only.
    """

    difference: np.ndarray
    cosine: float
    both: int
    only_a: int
    only_b: int

    def __repr__(self) -> str:
        return (
            f"PatternComparison(cosine={self.cosine:.3f}, both={self.both}, "
            f"only_a={self.only_a}, only_b={self.only_b})"
        )


@dataclass(frozen=True)
class ShiftCurve:
    """Probability of the true class as the digit moves.

    Attributes
    ----------
    shifts : ndarray of int, shape (D,)
        Pixels moved; negative is left (for ``along_x``) or up (for ``along_y``).
    along_x, along_y : ndarray of float, shape (D,)
        The probability the model gives the true class when the digit moves sideways
        (``along_x``) or up and down (``along_y``), averaged over the digits given.
    """

    shifts: np.ndarray
    along_x: np.ndarray
    along_y: np.ndarray

    def __repr__(self) -> str:
        def row(values):
            return " ".join(f"{v:.2f}" for v in values)

        return (
            f"ShiftCurve(shifts {self.shifts.min()}…{self.shifts.max()}; "
            f"x: {row(self.along_x)}; y: {row(self.along_y)})"
        )

    @property
    def mean(self) -> float:
        """The mean probability over every point of both curves: one number per model."""
        return float(np.mean(np.concatenate([self.along_x, self.along_y])))

    def at(self, dx: int = 0, dy: int = 0) -> float:
        """The probability at one shift along one axis (the other must be 0)."""
        if dx and dy:
            raise ValueError(
                f"A shift curve moves along one axis at a time. Received: dx={dx}, dy={dy}."
            )
        if dy:
            return float(self.along_y[list(self.shifts).index(dy)])
        return float(self.along_x[list(self.shifts).index(dx)])


def layer_activations(model: Model, x: np.ndarray) -> list[LayerOutput]:
    """Run one digit through ``model`` and keep what every layer outputs, in order.

    Parameters
    ----------
    model : Model
        Its weights and spec, e.g. a :class:`~cnnviz.learning.training.TrainedModel`.
    x : ndarray, shape (H, W, C) or (1, H, W, C); (H, W) for one channel
        One picture, values in [0, 1], of the spec's ``input_shape`` (28×28×1 for MNIST).

    Returns
    -------
    list of LayerOutput
        One per layer of Keras' ``model.layers``; the last one's ``output`` holds the ``K``
        class probabilities.

    Notes
    -----
    The numbers are :func:`cnnviz.learning.nn.forward_with_sums`': every ``output`` equals
    Keras' own intermediate output ``keras.Model(model.inputs, layer.output)(x)`` (the tests
    check this). For ``Conv2D`` the weighted sums are a cross-correlation plus bias (the kernel
    is not flipped), for ``Dense`` ``x @ kernel + bias``; the layer's output is its activation
    applied to them, e.g. ``relu(before_activation)``.

    Examples
    --------
    >>> from cnnviz.learning.nn import weight_shapes
    >>> from cnnviz.learning.training import TrainedModel
    >>> spec = ModelSpec(filters=(4,), dense_units=8)
    >>> model = TrainedModel(spec, "none", [np.zeros(s, np.float32) for s in weight_shapes(spec)])
    >>> for layer in layer_activations(model, np.zeros((28, 28))):
    ...     print(layer)
    LayerOutput(conv_1: Conv2D, then relu → 26 × 26 × 4)
    LayerOutput(pool_1: MaxPool2D → 13 × 13 × 4)
    LayerOutput(flatten: Flatten → 676)
    LayerOutput(dense: Dense, then relu → 8)
    LayerOutput(output: Dense, then softmax → 10)
    """
    outputs, sums = nn.forward_with_sums(model.weights, _as_batch(x, model.spec), model.spec)
    layers = []
    for row, output, before in zip(architecture(model.spec), outputs, sums, strict=True):
        role, activation = _ROLES.get(row.kind, ("other", None))
        if row.name == "output":
            activation = "softmax"
        layers.append(
            LayerOutput(
                name=row.name,
                kind=row.kind,
                output=output[0],
                before_activation=None if before is None else before[0],
                activation=activation,
                role=role,
            )
        )
    return layers


def predict(model: Model, x: np.ndarray) -> np.ndarray:
    """The class probabilities for one picture or a batch of pictures.

    Parameters
    ----------
    x : ndarray, shape (H, W, C) or (N, H, W, C); (H, W) or (N, H, W) for one channel
        Values in [0, 1]; see :func:`as_pictures`.

    Returns
    -------
    ndarray of float32, shape (K,) or (N, K)
    """
    pictures, one = as_pictures(x, model.spec)
    probabilities = _predict(model, pictures)  # (N, K)
    return probabilities[0] if one else probabilities


def activation_pattern(outputs: Sequence[LayerOutput]) -> LayerOutput:
    """The article's "activation pattern": the output of the last hidden layer.

    That is the last layer before the output layer whose output is a vector of neurons (the
    ``Dense(256, relu)`` layer in the article's model), the compact description of which local
    features were found where, from which the output layer decides.

    Parameters
    ----------
    outputs : list of LayerOutput
        As returned by :func:`layer_activations`.
    """
    for layer in reversed(outputs[:-1]):
        if layer.output.ndim == 1 and layer.before_activation is not None:
            return layer
    raise ValueError(
        "The model has no hidden layer of neurons before its output layer, so there is no "
        f"activation pattern to show. Layers: {', '.join(o.name for o in outputs)}."
    )


def compare_patterns(a: np.ndarray, b: np.ndarray) -> PatternComparison:
    """Compare two activation patterns of the same layer, neuron by neuron.

    Parameters
    ----------
    a, b : ndarray, shape (n,)

    Returns
    -------
    PatternComparison

    Examples
    --------
    >>> compare_patterns(np.array([1.0, 0.0, 2.0]), np.array([1.0, 3.0, 0.0]))
    PatternComparison(cosine=0.141, both=1, only_a=1, only_b=1)
    """
    a = as_float_array(a, "a", (1,)).astype(np.float64)
    b = as_float_array(b, "b", (1,)).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"`a` and `b` must have the same length. Received: {a.shape[0]} and {b.shape[0]}."
        )
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    cosine = float(a @ b / norms) if norms > 0 else float("nan")
    on_a, on_b = a > 0, b > 0
    return PatternComparison(
        difference=b - a,
        cosine=cosine,
        both=int(np.sum(on_a & on_b)),
        only_a=int(np.sum(on_a & ~on_b)),
        only_b=int(np.sum(~on_a & on_b)),
    )


def saliency(
    model: Model, x: np.ndarray, class_index: int, *, method: str = "gradient_x_input"
) -> np.ndarray:
    """Which pixels the model's score for ``class_index`` depends on, and in which direction.

    Parameters
    ----------
    model : Model
    x : ndarray, shape (H, W, C); (H, W) for one channel
        One picture of the spec's input shape, values in [0, 1].
    class_index : int
        The class whose score is explained, 0 to ``K − 1``.
    method : {"gradient", "gradient_x_input"}
        ``"gradient"``: how much the class score would rise if a pixel got a little brighter
        (also where there is no ink yet). ``"gradient_x_input"``: that, times the pixel's value:
        how much each pixel's ink actually contributes (zero where there is no ink).

    Returns
    -------
    ndarray of float32, shape (H, W) for one channel, (H, W, C) for colour
        Positive where more (or this) ink argues for the class, negative where it argues
        against. A colour picture keeps a value per channel: their sum over the last axis is
        each pixel's share (for ``"gradient_x_input"``).

    Notes
    -----
    The score is the class's weighted sum *before* softmax, ``z_k``: softmax saturates near
    100 %, where the gradient of a probability would vanish for every pixel. The gradient
    ``∂z_k / ∂x[r, c]`` is :func:`cnnviz.learning.nn.gradients`' backward pass, checked against
    TensorFlow's automatic differentiation in the tests. A network of
    ReLU, max pooling and dense layers is piecewise linear, so near ``x`` the score is
    ``z_k = Σ g[r, c]·x[r, c] + (what the biases add)``: gradient × input splits the score among
    the pixels, exactly when the biases are zero.

    Grad-CAM (gradients of the last conv layer's maps) was the alternative; with one conv layer
    and 26×26 maps it is a blurrier view of the same thing, so pixels are explained directly.
    """
    method = as_choice(method, "method", SALIENCY_METHODS)
    batch = _as_batch(x, model.spec)  # (1, H, W, C)
    class_index = as_whole(class_index, "class_index", 0, model.spec.classes - 1)
    gradient = nn.gradients(model.weights, batch, model.spec, score=class_index)
    pixels = gradient.input[0]  # (H, W, C)
    if method == "gradient_x_input":
        pixels = pixels * batch[0]
    return (pixels[:, :, 0] if pixels.shape[2] == 1 else pixels).astype(np.float32)


def shift_curve(
    model: Model,
    x: np.ndarray,
    label: int | np.ndarray,
    shifts: Sequence[int] = DEFAULT_SHIFTS,
) -> ShiftCurve:
    """The probability of the true class as the picture moves sideways and up and down.

    Parameters
    ----------
    model : Model
    x : ndarray, shape (H, W, C) or (N, H, W, C); (H, W) or (N, H, W) for one channel
        One picture or several of the model's input shape (see :func:`as_pictures`), values
        in [0, 1]. Every channel moves together.
    label : int or ndarray of int, shape (N,)
        The true class of each picture.
    shifts : sequence of int
        Pixels to move by; negative moves left or up. What leaves the frame is lost, the
        pixels that come in are 0 (see :func:`cnnviz.maths.pixels.shift`).

    Returns
    -------
    ShiftCurve
        For several pictures, the mean probability over them at each shift.

    Notes
    -----
    All ``2·D·N`` shifted copies are scored in a few batched forward passes.

    Examples
    --------
    >>> from cnnviz.learning.nn import weight_shapes
    >>> from cnnviz.learning.training import TrainedModel
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> model = TrainedModel(spec, "none", [np.zeros(s, np.float32) for s in weight_shapes(spec)])
    >>> curve = shift_curve(model, np.zeros((28, 28)), 3, shifts=[-1, 0, 1])
    >>> curve.shifts.tolist(), curve.along_x.shape
    ([-1, 0, 1], (3,))
    """
    pictures, _ = as_pictures(x, model.spec)  # (N, H, W, C)
    labels = np.atleast_1d(np.asarray(label))
    if labels.shape != (len(pictures),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"`label` must be one whole number per picture ({len(pictures)} here). "
            f"Received: label={label!r}."
        )
    steps = _as_shifts(shifts, pictures.shape[1:3])
    moved = [
        shift(picture, int(s), 0) if axis == 0 else shift(picture, 0, int(s))
        for axis in (0, 1)
        for s in steps
        for picture in pictures
    ]  # 2·D·N pictures: axis, then shift, then picture
    probabilities = _predict(model, np.stack(moved))  # (2·D·N, K)
    true = probabilities[np.arange(len(moved)), np.tile(labels, 2 * len(steps))]
    per_shift = true.reshape(2, len(steps), len(pictures)).mean(axis=2)  # (2, D)
    return ShiftCurve(np.array(steps), per_shift[0], per_shift[1])


# --- helpers --------------------------------------------------------------------------------


def _as_batch(x: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """One picture as a batch of one, ``(1, H, W, C)`` float32, checked against the spec's input
    shape; a one-channel picture may come as (H, W)."""
    return as_picture(x, spec)[None]


def as_pictures(x: np.ndarray, spec: ModelSpec) -> tuple[np.ndarray, bool]:
    """Pictures as ``(N, H, W, C)`` float32 of the spec's ``input_shape``, and whether ``x`` was
    one picture; else ValueError.

    ``x`` is read as one picture (H, W, C) or a batch (N, H, W, C) first; for a one-channel
    model, (H, W) and (N, H, W) are taken as shorthand for a single grayscale channel. So a
    one-channel 64×64 model reads (64, 64, 1) as one picture, not as 64 pictures.

    >>> as_pictures(np.zeros((64, 64, 1)), ModelSpec(input_shape=(64, 64, 1)))[0].shape
    (1, 64, 64, 1)
    >>> as_pictures(np.zeros((5, 28, 28)), ModelSpec())[0].shape
    (5, 28, 28, 1)
    """
    x = as_float_array(x, "x", (2, 3, 4))
    shape, (h, w, c) = x.shape, spec.input_shape
    if shape == spec.input_shape:
        return x[None], True
    if x.ndim == 4 and shape[1:] == spec.input_shape:
        return x, False
    if c == 1 and shape == (h, w):
        return x[None, :, :, None], True
    if c == 1 and x.ndim == 3 and shape[1:] == (h, w):
        return x[..., None], False
    raise ValueError(_shape_message(spec, shape, batch=True))


def as_picture(x: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """One picture as ``(H, W, C)`` float32 of the spec's ``input_shape``, from (H, W, C) or
    (1, H, W, C), or (H, W) for a one-channel model; else ValueError.

    >>> as_picture(np.zeros((28, 28)), ModelSpec()).shape
    (28, 28, 1)
    """
    x = as_float_array(x, "x", (2, 3, 4))  # its own messages: not numbers, empty, NaN
    try:
        pictures, _ = as_pictures(x, spec)
    except ValueError:
        pictures = ()
    if len(pictures) != 1:
        raise ValueError(_shape_message(spec, x.shape, batch=False))
    return pictures[0]


def _shape_message(spec: ModelSpec, given: tuple[int, ...], batch: bool) -> str:
    """What :func:`as_pictures` and :func:`as_picture` say about a shape they do not take."""
    h, w, c = spec.input_shape
    colour = "1 channel" if c == 1 else f"{c} channels"
    one = f"`x` must be one {h}×{w} picture with {colour} for this model, shape {(h, w, c)}"
    one += f" or ({h}, {w})" if c == 1 else ""
    many = f", or a batch (N, {h}, {w}, {c})" + (f" or (N, {h}, {w})" if c == 1 else "")
    return f"{one}{many if batch else ''}. Received: x.shape={tuple(given)}."


def _predict(model: Model, pictures: np.ndarray) -> np.ndarray:
    """Probabilities for ``pictures`` (N, H, W, C): (N, K)."""
    return nn.predict(model.weights, pictures, model.spec)


def _as_shifts(shifts: Sequence[int], shape: tuple[int, ...]) -> list[int]:
    values = list(shifts) if not isinstance(shifts, (str, bytes)) else []
    limit = min(shape) - 1
    ok = values and all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and abs(s) <= limit
        for s in values
    )
    if not ok:
        raise ValueError(
            f"`shifts` must be a non-empty list of whole numbers of pixels from {-limit} to "
            f"{limit}. Received: shifts={shifts!r}."
        )
    return [int(s) for s in values]
