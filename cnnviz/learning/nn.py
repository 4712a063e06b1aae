"""The model's maths in NumPy: every layer's forward pass and its backward pass, side by side.

Keras trains the models (in worker processes); everything else a page does with a trained
model — run a digit through it, look at every layer, ask which pixels mattered — is this
module's work, on the weights as plain arrays. No TensorFlow: a server that only serves
pictures and numbers stays small.

The layers a :class:`~cnnviz.learning.model.ModelSpec` builds, in Keras' order::

    [Conv2D(relu) → pooling?] × blocks → Flatten or GlobalMaxPooling2D → Dense(relu)
    → Dense(softmax)

The input is ``spec.input_shape`` (MNIST's 28×28×1 by default, a visitor's pictures e.g.
64×64×3) and the output has ``spec.classes`` probabilities.

Each layer is a pair of functions: ``*_forward`` computes the output from the input and keeps
what the backward pass will need; ``*_backward`` takes ``d_out``, the gradient of whatever is
being differentiated with respect to the layer's output, and returns the gradient with respect
to its input (and to its weights). The chain rule is then a loop backwards over the layers
(:func:`gradients`), as in micrograd.

Letters used in shapes: ``N`` pictures in the batch, ``H, W`` map height and width, ``C`` input
channels, ``F`` kernels (output channels), ``k`` kernel size, ``D`` vector length, ``U`` units,
``K`` classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.learning.model import ModelSpec, architecture, scoring_chunk

__all__ = [
    "Gradients",
    "answer_losses",
    "backward",
    "batch_losses",
    "check_pictures",
    "conv_backward",
    "conv_forward",
    "dense_backward",
    "dense_forward",
    "forward",
    "forward_with_sums",
    "global_max_backward",
    "global_max_forward",
    "gradients",
    "pool_backward",
    "pool_forward",
    "predict",
    "weight_shapes",
]

#: The most digits per chunk in :func:`forward`; fewer for models whose activations and patch
#: matrices are large (a 3-block model's for 1,000 digits at once would take gigabytes).
CHUNK = 256


# --- Conv2D: "valid" padding, stride 1, as every spec builds it ------------------------------


def _patches(x: np.ndarray, k: int) -> np.ndarray:
    """Every k×k window of ``x`` (N, H, W, C) as a row: (N, H−k+1, W−k+1, k·k·C)."""
    n, h, w, c = x.shape
    windows = sliding_window_view(x, (k, k), axis=(1, 2))  # (N, Ho, Wo, C, k, k)
    windows = windows.transpose(0, 1, 2, 4, 5, 3)  # (N, Ho, Wo, k, k, C): Keras' kernel order
    return windows.reshape(n, h - k + 1, w - k + 1, k * k * c)


def conv_forward(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Cross-correlate ``x`` with each kernel and add its bias (before the activation).

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)
    kernel : ndarray, shape (k, k, C, F)
        As Keras stores a ``Conv2D`` kernel.
    bias : ndarray, shape (F,)

    Returns
    -------
    ndarray, shape (N, H − k + 1, W − k + 1, F)

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> kernel = np.ones((3, 3, 1, 1))  # adds up each 3×3 window
    >>> conv_forward(x, kernel, np.array([0.5]))[0, :, :, 0]
    array([[45.5, 54.5],
           [81.5, 90.5]])

    The top-left cell is 0+1+2 + 4+5+6 + 8+9+10 = 45, plus the bias 0.5.
    """
    k, _, c, f = kernel.shape
    return _patches(x, k) @ kernel.reshape(k * k * c, f) + bias


def conv_backward(
    d_out: np.ndarray, x: np.ndarray, kernel: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of a convolution with respect to its input, kernel and bias.

    Parameters
    ----------
    d_out : ndarray, shape (N, Ho, Wo, F)
        Gradient with respect to :func:`conv_forward`'s output.
    x : ndarray, shape (N, H, W, C)
        The input of the forward pass.
    kernel : ndarray, shape (k, k, C, F)

    Returns
    -------
    d_x : ndarray, shape (N, H, W, C)
    d_kernel : ndarray, shape (k, k, C, F)
    d_bias : ndarray, shape (F,)

    Notes
    -----
    Output cell ``(r, c)`` is ``Σ x[r+i, c+j] · kernel[i, j] + b``. So a kernel weight's
    gradient sums ``d_out · x`` over every position it touched, and an input pixel's gradient
    sums ``d_out · kernel`` over every window it lay in: the kernel slid back over ``d_out``.
    """
    k, _, c, f = kernel.shape
    n, ho, wo, _ = d_out.shape
    rows = d_out.reshape(-1, f)  # (N·Ho·Wo, F)
    d_kernel = (_patches(x, k).reshape(-1, k * k * c).T @ rows).reshape(kernel.shape)
    d_x = np.zeros_like(x)
    for i in range(k):
        for j in range(k):
            d_x[:, i : i + ho, j : j + wo, :] += d_out @ kernel[i, j].T  # (N, Ho, Wo, C)
    return d_x, d_kernel, rows.sum(axis=0)


# --- 2×2 pooling, stride 2 ------------------------------------------------------------------


def pool_forward(x: np.ndarray, mode: str) -> np.ndarray:
    """2×2 max or average pooling with stride 2; an odd last row or column is dropped.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)
    mode : {"max", "average"}

    Returns
    -------
    ndarray, shape (N, H // 2, W // 2, C)

    Examples
    --------
    >>> x = np.array([[1.0, 2, 0], [3, 4, 0], [9, 9, 9]]).reshape(1, 3, 3, 1)
    >>> pool_forward(x, "max")[0, :, :, 0], pool_forward(x, "average")[0, :, :, 0]
    (array([[4.]]), array([[2.5]]))
    """
    n, h, w, c = x.shape
    blocks = x[:, : h // 2 * 2, : w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
    return blocks.max(axis=(2, 4)) if mode == "max" else blocks.mean(axis=(2, 4))


def pool_backward(d_out: np.ndarray, x: np.ndarray, mode: str) -> np.ndarray:
    """Gradient of :func:`pool_forward` with respect to its input, shape (N, H, W, C).

    Max pooling passes each output's gradient to the one input that was the maximum (the first
    in reading order on a tie, as TensorFlow does); average pooling shares it equally, a quarter
    each. Dropped odd rows and columns get zero.
    """
    n, h, w, c = x.shape
    ho, wo = h // 2, w // 2
    d_x = np.zeros_like(x)
    if mode == "average":
        d_x[:, : ho * 2, : wo * 2] = np.repeat(np.repeat(d_out / 4, 2, axis=1), 2, axis=2)
        return d_x
    blocks = x[:, : ho * 2, : wo * 2].reshape(n, ho, 2, wo, 2, c).transpose(0, 1, 3, 5, 2, 4)
    first = blocks.reshape(n, ho, wo, c, 4).argmax(axis=-1)  # (N, Ho, Wo, C): 0..3
    routed = np.zeros((n, ho, wo, c, 4), dtype=d_out.dtype)
    np.put_along_axis(routed, first[..., None], d_out[..., None], axis=-1)
    routed = routed.reshape(n, ho, wo, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
    d_x[:, : ho * 2, : wo * 2] = routed.reshape(n, ho * 2, wo * 2, c)
    return d_x


# --- global max pooling --------------------------------------------------------------------


def global_max_forward(x: np.ndarray) -> np.ndarray:
    """Each feature map's largest value, wherever it sits: (N, H, W, C) → (N, C).

    >>> x = np.array([[1.0, 5], [3, 2]]).reshape(1, 2, 2, 1)
    >>> global_max_forward(x)
    array([[5.]])
    """
    return x.max(axis=(1, 2))


def global_max_backward(d_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of :func:`global_max_forward` with respect to its input, shape (N, H, W, C).

    Each map's gradient goes to the cell that held its maximum; cells tied for the maximum
    share it equally, as TensorFlow's gradient of ``reduce_max`` (which Keras'
    ``GlobalMaxPooling2D`` computes) does.

    >>> x = np.array([[1.0, 5], [5, 2]]).reshape(1, 2, 2, 1)
    >>> global_max_backward(np.array([[1.0]]), x)[0, :, :, 0]
    array([[0. , 0.5],
           [0.5, 0. ]])
    """
    top = x == x.max(axis=(1, 2), keepdims=True)  # (N, H, W, C)
    share = top / top.sum(axis=(1, 2), keepdims=True)
    return (share * d_out[:, None, None, :]).astype(x.dtype)


# --- Dense ----------------------------------------------------------------------------------


def dense_forward(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """``x @ kernel + bias``: every unit weighs every input (before the activation).

    Parameters
    ----------
    x : ndarray, shape (N, D)
    kernel : ndarray, shape (D, U)
    bias : ndarray, shape (U,)

    Returns
    -------
    ndarray, shape (N, U)

    Examples
    --------
    >>> dense_forward(np.array([[1.0, 2.0]]), np.array([[1.0], [10.0]]), np.array([0.5]))
    array([[21.5]])
    """
    return x @ kernel + bias


def dense_backward(
    d_out: np.ndarray, x: np.ndarray, kernel: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`dense_forward`: ``(d_x (N, D), d_kernel (D, U), d_bias (U,))``."""
    return d_out @ kernel.T, x.T @ d_out, d_out.sum(axis=0)


# --- activations ----------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))  # shifting by the max cannot overflow
    return e / e.sum(axis=1, keepdims=True)


def _softmax_backward(d_p: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Gradient with respect to the scores ``z`` given one with respect to ``p = softmax(z)``."""
    return p * (d_p - (d_p * p).sum(axis=1, keepdims=True))


# --- the whole model ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
    name: str
    kind: str  # "conv", "pool", "flatten", "global", "dense", "output"
    weights: int  # index of its kernel in the weight list, or -1


def _layers(spec: ModelSpec) -> list[_Layer]:
    """The spec's layers in Keras' order, with where each one's weights sit in the list."""
    layers, index = [], 0
    for row in architecture(spec):
        kinds = {"Conv2D": "conv", "Flatten": "flatten", "GlobalMaxPooling2D": "global"}
        kind = kinds.get(row.kind, "pool")
        if row.kind == "Dense":
            kind = "output" if row.name == "output" else "dense"
        has_weights = kind in ("conv", "dense", "output")
        layers.append(_Layer(row.name, kind, index if has_weights else -1))
        index += 2 if has_weights else 0
    return layers


def weight_shapes(spec: ModelSpec | None = None) -> list[tuple[int, ...]]:
    """The shapes of ``model.get_weights()`` for ``spec``: a kernel and a bias per layer.

    >>> weight_shapes()
    [(3, 3, 1, 32), (32,), (5408, 256), (256,), (256, 10), (10,)]
    """
    spec = spec or ModelSpec()
    shapes, channels, previous = [], spec.channels, 0
    for row in architecture(spec):
        if row.kind == "Conv2D":
            shapes += [(spec.kernel_size, spec.kernel_size, channels, row.output_shape[2])]
            channels = row.output_shape[2]
        elif row.kind == "Dense":
            shapes += [(previous, row.output_shape[0])]
        else:
            previous = int(np.prod(row.output_shape))
            continue
        shapes += [(row.output_shape[-1],)]
        previous = int(np.prod(row.output_shape))
    return shapes


def _check(weights: Sequence[np.ndarray], x: np.ndarray, spec: ModelSpec) -> list[np.ndarray]:
    """Validate at the door: float32 weights of the spec's shapes, and pictures (N, H, W, C) of
    the spec's ``input_shape``."""
    expected = weight_shapes(spec)
    got = [tuple(np.shape(w)) for w in weights]
    if got != expected:
        raise ValueError(
            f"`weights` must have the shapes {expected} for this spec. Received: {got}."
        )
    check_pictures(x, spec)
    return [np.asarray(w, dtype=np.float32) for w in weights]


def check_pictures(x: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """``x`` as float32 pictures (N, H, W, C) of the spec's ``input_shape``, else ValueError:
    the one check of a batch's shape (:mod:`~cnnviz.learning.sgd` uses it too; one picture,
    :func:`cnnviz.learning.probe.as_pictures`).

    >>> check_pictures(np.zeros((2, 28, 28)), ModelSpec())
    Traceback (most recent call last):
    ...
    ValueError: `x` must have the shape (N, 28, 28, 1). Received: x.shape=(2, 28, 28).
    """
    if np.ndim(x) != 4 or tuple(np.shape(x)[1:]) != spec.input_shape:
        shape = ", ".join(str(n) for n in spec.input_shape)
        raise ValueError(f"`x` must have the shape (N, {shape}). Received: x.shape={np.shape(x)}.")
    return np.asarray(x, dtype=np.float32)


def _forward_all(
    weights: list[np.ndarray], x: np.ndarray, spec: ModelSpec, last: int | None = None
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Every layer's output and, for layers with an activation, its input scores ``z``; up to
    layer ``last`` only, if given (the layers above it are not computed)."""
    outputs, scores, a = [], [], x
    layers = _layers(spec)
    for layer in layers if last is None else layers[: last + 1]:
        z = None
        if layer.kind == "conv":
            z = conv_forward(a, weights[layer.weights], weights[layer.weights + 1])
            a = np.maximum(z, 0)
        elif layer.kind == "pool":
            a = pool_forward(a, spec.pooling)
        elif layer.kind == "flatten":
            a = a.reshape(len(a), -1)
        elif layer.kind == "global":
            a = global_max_forward(a)
        else:
            z = dense_forward(a, weights[layer.weights], weights[layer.weights + 1])
            a = _softmax(z) if layer.kind == "output" else np.maximum(z, 0)
        outputs.append(a)
        scores.append(z)
    return outputs, scores


def _chunk(spec: ModelSpec) -> int:
    """Digits per chunk: every layer's output, its sums and the largest patch matrix in budget."""
    numbers, channels = 0, spec.channels
    for row in architecture(spec):
        size = int(np.prod(row.output_shape))
        numbers += 2 * size if row.kind in ("Conv2D", "Dense") else size
        if row.kind == "Conv2D":
            numbers += size // row.output_shape[2] * spec.kernel_size**2 * channels
            channels = row.output_shape[2]
    return min(CHUNK, scoring_chunk(numbers))


def _by_chunks(weights: Sequence[np.ndarray], x: np.ndarray, spec: ModelSpec):
    """Check the inputs once, then :func:`_forward_all` on one memory-bounded chunk at a time."""
    weights = _check(weights, x, spec)
    x = np.asarray(x, dtype=np.float32)
    step = _chunk(spec)
    for i in range(0, len(x), step):
        yield _forward_all(weights, x[i : i + step], spec)


def forward_with_sums(
    weights: Sequence[np.ndarray], x: np.ndarray, spec: ModelSpec | None = None
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """:func:`forward`'s outputs, and each layer's weighted sums before its activation.

    Returns
    -------
    outputs : list of ndarray
        As :func:`forward` returns them.
    sums : list of ndarray or None
        Per layer: for ``Conv2D`` and ``Dense`` the sums ``z`` the activation was applied to
        (ReLU's input, or the class scores before softmax), shaped like the output; None for
        pooling and Flatten, which have no activation.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in weight_shapes(spec)]
    >>> outputs, sums = forward_with_sums(weights, np.zeros((1, 28, 28, 1)), spec)
    >>> [None if z is None else z.shape for z in sums]
    [(1, 26, 26, 2), None, None, (1, 4), (1, 10)]
    """
    spec = spec or ModelSpec()
    chunks = list(_by_chunks(weights, x, spec))
    if not chunks:
        empty = [np.zeros((0, *row.output_shape), np.float32) for row in architecture(spec)]
        kinds = [row.kind for row in architecture(spec)]
        return empty, [a if k in ("Conv2D", "Dense") else None for a, k in zip(empty, kinds)]
    joined = []
    for part in (0, 1):
        layers = zip(*(chunk[part] for chunk in chunks))
        joined.append([None if z[0] is None else np.concatenate(z) for z in layers])
    return joined[0], joined[1]


def forward(
    weights: Sequence[np.ndarray], x: np.ndarray, spec: ModelSpec | None = None
) -> list[np.ndarray]:
    """Every layer's output for a batch of pictures, the last being the class probabilities.

    Parameters
    ----------
    weights : list of ndarray
        In the order of Keras' ``model.get_weights()`` (see :func:`weight_shapes`).
    x : ndarray, shape (N, H, W, C): the spec's input shape ((N, 28, 28, 1) for MNIST)
        Pictures, pixels in [0, 1].
    spec : ModelSpec, optional
        The model the weights belong to; defaults to the article's.

    Returns
    -------
    list of ndarray, float32
        One per layer, in the order of ``model.layers`` (see
        :func:`~cnnviz.learning.model.architecture`):
        ``(N, H, W, F)`` after convolutions (ReLU applied) and pooling, ``(N, D)`` after Flatten,
        global max pooling and Dense; the last is ``(N, K)`` (``K = spec.classes``), rows
        summing to 1.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in weight_shapes(spec)]
    >>> [a.shape for a in forward(weights, np.zeros((3, 28, 28, 1)), spec)]
    [(3, 26, 26, 2), (3, 13, 13, 2), (3, 338), (3, 4), (3, 10)]
    >>> forward(weights, np.zeros((1, 28, 28, 1)), spec)[-1].round(2)  # all-zero weights
    array([[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]], dtype=float32)
    """
    return forward_with_sums(weights, x, spec)[0]


def predict(
    weights: Sequence[np.ndarray], x: np.ndarray, spec: ModelSpec | None = None
) -> np.ndarray:
    """The class probabilities alone, shape (N, K) with ``K = spec.classes``, for many pictures
    (N, H, W, C) of the spec's input shape (no layer kept but the last).

    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in weight_shapes(spec)]
    >>> predict(weights, np.zeros((5, 28, 28, 1)), spec).shape
    (5, 10)
    """
    spec = spec or ModelSpec()
    parts = [outputs[-1] for outputs, _ in _by_chunks(weights, x, spec)]
    return np.concatenate(parts) if parts else np.zeros((0, spec.classes), np.float32)


def backward(
    weights: Sequence[np.ndarray],
    spec: ModelSpec,
    x: np.ndarray,
    outputs: Sequence[np.ndarray],
    scores: Sequence[np.ndarray | None],
    d: np.ndarray,
    start: int,
    stop: int = -1,
    *,
    from_sums: bool = False,
    into: list[np.ndarray] | None = None,
) -> np.ndarray:
    """The chain rule from layer ``start`` down to the output of layer ``stop`` (-1: the input).

    ``d`` is the gradient with respect to layer ``start``'s output or, if ``from_sums``, to its
    sums before its activation (the output layer's always: its softmax is not undone here).
    ``outputs`` and ``scores`` are :func:`forward_with_sums`' for ``x``. Each conv and dense
    layer passed writes its kernel's and bias's gradients into ``into``, if given (a list
    shaped like the weights). Returns the gradient with respect to layer ``stop``'s output.
    :func:`gradients` and :mod:`cnnviz.learning.explain` (Grad-CAM, layer gradients) share it.
    """
    layers = _layers(spec)
    for i in range(start, stop, -1):
        layer, below = layers[i], outputs[i - 1] if i else x
        if layer.kind in ("conv", "dense", "output"):
            if not (from_sums and i == start):
                d = d * (scores[i] > 0)  # ReLU passes the gradient where it was active
            step = conv_backward if layer.kind == "conv" else dense_backward
            d, d_kernel, d_bias = step(d, below, weights[layer.weights])
            if into is not None:
                into[layer.weights], into[layer.weights + 1] = d_kernel, d_bias
        elif layer.kind == "pool":
            d = pool_backward(d, below, spec.pooling)
        elif layer.kind == "flatten":
            d = d.reshape(below.shape)
        elif layer.kind == "global":
            d = global_max_backward(d, below)
    return d


@dataclass(frozen=True)
class Gradients:
    """What :func:`gradients` returns.

    Attributes
    ----------
    value : float
        The quantity that was differentiated (the mean loss, or a sum over the batch).
    input : ndarray, shape (N, H, W, C), the spec's input shape
        Its gradient with respect to every input pixel (saliency).
    weights : list of ndarray
        Its gradient with respect to every weight, shaped and ordered like the weights.
    probabilities : ndarray, shape (N, K), or None
        The model's answers in the forward pass that came first (``labels=`` only);
        ``K = spec.classes``.
    scores : ndarray, shape (N, K), or None
        The output layer's sums before the softmax, the logits (``labels=`` only).
    losses : ndarray, shape (N,), float64, or None
        Each answer's loss (:func:`answer_losses`); ``value`` is their mean (``labels=`` only).
    """

    value: float
    input: np.ndarray
    weights: list[np.ndarray]
    probabilities: np.ndarray | None = None
    scores: np.ndarray | None = None
    losses: np.ndarray | None = None


def answer_losses(
    scores: np.ndarray,
    labels: np.ndarray,
    loss: str = "categorical_crossentropy",
    probabilities: np.ndarray | None = None,
) -> np.ndarray:
    """Each answer's loss, as Keras computes it while training a model that ends in softmax.

    Parameters
    ----------
    scores : ndarray, shape (N, K)
        The output layer's sums ``z`` before the softmax (the logits), ``K`` classes.
    labels : ndarray of int, shape (N,)
        The true classes, 0 to ``K - 1``.
    loss : {"categorical_crossentropy", "mean_squared_error"}
    probabilities : ndarray, shape (N, K), optional
        ``softmax(z)`` as the model computed it, for the mean squared error (computed from
        ``scores`` if not given).

    Returns
    -------
    ndarray, shape (N,), float64

    Notes
    -----
    Cross-entropy ``−log p(true)`` with ``p = softmax(z)`` is ``logsumexp(z) − z_true``:
    Keras takes the logits of a softmax layer and computes it that way, with no clipping, so a
    confidently wrong answer can cost far more than ``−log 1e−7 ≈ 16.1``. Here in float64,
    shifted by ``max(z)`` so that nothing overflows. This value and the gradient
    ``(p − y) / N`` of :func:`gradients` belong to the same function.

    Examples
    --------
    >>> z = np.array([[0.0, 0.0], [0.0, 200.0]])
    >>> answer_losses(z, np.array([0, 0])).round(4)  # −log ½; an answer sure of the wrong class
    array([  0.6931, 200.    ])
    """
    z = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=int)
    n = len(z)
    if loss == "categorical_crossentropy":
        top = z.max(axis=1)
        logsumexp = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
        return logsumexp - z[np.arange(n), labels]
    p = _softmax(z) if probabilities is None else np.asarray(probabilities, dtype=np.float64)
    y = np.eye(z.shape[1])[labels]
    return ((p - y) ** 2).mean(axis=1)


def batch_losses(
    weights: Sequence[np.ndarray],
    x: np.ndarray,
    labels: np.ndarray,
    spec: ModelSpec | None = None,
) -> np.ndarray:
    """Each digit's loss (the spec's own, :func:`answer_losses`) after a forward pass, (N,).

    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in weight_shapes(spec)]
    >>> batch_losses(weights, np.zeros((2, 28, 28, 1)), np.array([3, 4]), spec).round(4)
    array([2.3026, 2.3026])
    """
    spec = spec or ModelSpec()
    labels = np.asarray(labels, dtype=int)
    parts, start = [], 0
    for outputs, sums in _by_chunks(weights, x, spec):
        end = start + len(outputs[-1])
        parts.append(answer_losses(sums[-1], labels[start:end], spec.loss, outputs[-1]))
        start = end
    return np.concatenate(parts) if parts else np.zeros(0)


def gradients(
    weights: Sequence[np.ndarray],
    x: np.ndarray,
    spec: ModelSpec | None = None,
    *,
    labels: np.ndarray | None = None,
    score: int | None = None,
    unit: tuple[int, tuple[int, ...]] | None = None,
) -> Gradients:
    """The gradient of one quantity with respect to the input and to every weight.

    Give exactly one of:

    labels : ndarray of int, shape (N,)
        The true classes: the quantity is the batch's mean loss, the spec's own
        (categorical cross-entropy or mean squared error on the probabilities), as Keras
        computes it during training.
    score : int
        A class: the quantity is that class's score before the softmax, summed over the batch
        (what saliency maps differentiate: it is not squeezed by the other classes).
    unit : (layer index, index within the layer's output)
        One unit's activation (a cell of a feature map, a neuron), summed over the batch.

    Returns
    -------
    Gradients

    Notes
    -----
    Softmax and cross-entropy together have the simple gradient ``(p − y) / N`` with respect
    to the scores; every other step is the layer's own ``*_backward`` in reverse order.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in weight_shapes(spec)]
    >>> g = gradients(weights, np.zeros((1, 28, 28, 1)), spec, labels=np.array([3]))
    >>> round(g.value, 4)  # −log(1/10): the loss of a model that guesses evenly
    2.3026
    >>> g.weights[-1].round(2)  # the output bias moves toward 3 and away from the rest
    array([ 0.1,  0.1,  0.1, -0.9,  0.1,  0.1,  0.1,  0.1,  0.1,  0.1], dtype=float32)
    """
    spec = spec or ModelSpec()
    if sum(choice is not None for choice in (labels, score, unit)) != 1:
        raise ValueError("Give exactly one of `labels`, `score` or `unit`.")
    weights = _check(weights, x, spec)
    x = np.asarray(x, dtype=np.float32)
    layers = _layers(spec)
    outputs, scores = _forward_all(weights, x, spec)
    n, probabilities = len(x), outputs[-1]
    top, from_sums = len(layers) - 1, True  # d: the gradient at layer top's sums, or its output
    if labels is not None:
        labels = np.asarray(labels)
        classes = spec.classes
        if labels.shape != (n,) or not np.isin(labels, range(classes)).all():
            raise ValueError(
                f"`labels` must be {n} classes 0 to {classes - 1}. Received: {labels!r}."
            )
        y = np.eye(classes, dtype=np.float32)[labels]
        each = answer_losses(scores[-1], labels, spec.loss, probabilities)
        value = float(each.mean())
        if spec.loss == "categorical_crossentropy":
            d = (probabilities - y) / n
        else:
            d = _softmax_backward(2 * (probabilities - y) / y.size, probabilities)
    elif score is not None:
        if not 0 <= score < spec.classes:
            raise ValueError(
                f"`score` must be a class 0 to {spec.classes - 1}. Received: score={score!r}."
            )
        value = float(scores[-1][:, score].sum())
        d = np.zeros_like(probabilities)
        d[:, score] = 1.0
    else:
        top, index = unit
        if not 0 <= top < len(layers):
            raise ValueError(f"`unit` names layer {top}; the model has {len(layers)} layers.")
        d = np.zeros_like(outputs[top])
        d[(slice(None), *index)] = 1.0
        value = float(outputs[top][(slice(None), *index)].sum())
        from_sums = layers[top].kind == "output"  # through the softmax to the scores first
        if from_sums:
            d = _softmax_backward(d, probabilities)
    d_weights: list[np.ndarray] = [np.zeros_like(w) for w in weights]
    d = backward(weights, spec, x, outputs, scores, d, top, from_sums=from_sums, into=d_weights)
    if labels is not None:
        return Gradients(value, d, d_weights, probabilities, scores[-1], each)
    return Gradients(value, d, d_weights)
