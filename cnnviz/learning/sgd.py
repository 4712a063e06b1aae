"""One step of learning, in the open: the loss, its gradient, and the update of every weight.

Keras trains with ``model.fit``: it computes the loss, differentiates it by automatic
differentiation and lets the optimiser move every weight. This module does the same with the
core's own forward and backward pass (:mod:`cnnviz.learning.nn`), so that every number of a
step can be shown:

* :func:`gradient_step` — the mean loss of a batch, its gradient for every weight, one plain
  SGD step ``w ← w − learning_rate · gradient``, and the loss after it;
* :func:`adam_step` — the same step with Keras' Adam (the article's optimiser), and
  :func:`adam_terms`, Adam's rule worked out for one weight;
* :func:`answer_loss`, :func:`losses`, :func:`cross_entropy` — the loss of one answer:
  cross-entropy ``−log p(true)`` (from the output layer's sums, as Keras computes it:
  :func:`nn.answer_losses`) and the mean squared error the article mentions;
* :func:`loss_curve` — the batch loss as one weight alone varies (a real forward pass per
  point), and the slope measured by finite differences;
* :func:`glorot_weights` — fresh starting weights as Keras draws them (Glorot uniform kernels,
  zero biases), in NumPy with a seed.

No TensorFlow: the tests hold every number here to ``tf.GradientTape`` and Keras' optimisers.
Nothing here changes the weights it is given; new weights are new arrays.

Letters used in shapes: ``N`` digits in the batch, ``K = 10`` classes, ``P`` points of a curve.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cnnviz._validate import as_float_array
from cnnviz.learning import nn
from cnnviz.learning.model import ModelSpec

__all__ = [
    "ADAM_BETA_1",
    "ADAM_BETA_2",
    "ADAM_EPSILON",
    "FD_STEP",
    "AdamState",
    "AdamTerms",
    "AnswerLoss",
    "LossCurve",
    "Step",
    "adam_step",
    "adam_terms",
    "answer_loss",
    "cross_entropy",
    "glorot_weights",
    "gradient_step",
    "loss_curve",
    "losses",
]

#: Keras' Adam defaults (``keras.optimizers.Adam``): the two running means' decay and epsilon.
ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-7
#: The half-width ``h`` of the central finite difference in :func:`loss_curve`. Small, because
#: the loss has kinks (a ReLU turning on, a max-pooling window changing its maximum): on the
#: article's model, fresh weights, 8 sample digits, first-layer weights agreed with the gradient
#: to a median 0.5–0.9 % at 1e-4 (up to 10 %: float32 noise), 2–10 % at 3e-3, worse at 1e-2.
FD_STEP = 1e-4


# --- the loss of one answer -----------------------------------------------------------------


def cross_entropy(p_true: np.ndarray | float) -> np.ndarray | float:
    """``−log p(true)``, the cross-entropy of answers that gave the true digit ``p_true``.

    For plotting the curve: a model's own loss is computed from its scores
    (:func:`losses`), since a probability that rounded to 0 would cost infinitely much.

    Parameters
    ----------
    p_true : float or ndarray, any shape
        The probability each answer gave the true class (0 gives ``inf``).

    Returns
    -------
    float or ndarray, the shape of ``p_true``

    Examples
    --------
    >>> round(float(cross_entropy(0.9)), 4), round(float(cross_entropy(0.1)), 4)
    (0.1054, 2.3026)

    Sure and right costs little; the loss grows without bound as ``p(true)`` goes to 0.
    """
    with np.errstate(divide="ignore"):
        result = -np.log(np.asarray(p_true, dtype=np.float64))
    return float(result) if result.ndim == 0 else result


def losses(scores: np.ndarray, labels: np.ndarray, loss: str = "categorical_crossentropy"):
    """Each answer's loss: cross-entropy ``−log p(true)`` or the mean squared error.

    Parameters
    ----------
    scores : ndarray, shape (N, K)
        The output layer's sums before the softmax (the logits, :attr:`Step.scores`).
    labels : ndarray of int, shape (N,)
        The true digits.
    loss : {"categorical_crossentropy", "mean_squared_error"}

    Returns
    -------
    ndarray, shape (N,), float64
        Their mean is the batch loss Keras reports. Cross-entropy is
        ``logsumexp(z) − z_true`` (:func:`nn.answer_losses`, its one home), unclipped as
        Keras computes it after a softmax layer.

    Examples
    --------
    >>> z = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    >>> losses(z, np.array([0, 1])).round(3)  # −log 0.7, −log 0.1
    array([0.357, 2.303])
    >>> losses(z, np.array([0, 1]), "mean_squared_error").round(3)  # (0.09+0.04+0.01)/3, ...
    array([0.047, 0.487])
    >>> losses(np.array([[0.0, 300.0]]), np.array([0]))  # p(true) = e^−300: no clip at 16.1
    array([300.])
    """
    return nn.answer_losses(scores, labels, loss)


@dataclass(frozen=True)
class AnswerLoss:
    """The loss of one answer, both ways (see :func:`answer_loss`).

    Attributes
    ----------
    label : int
        The true digit.
    p_true : float
        The probability the answer gave it (float64: may be far below float32's range).
    cross_entropy : float
        ``−log p_true``, worked out as ``logsumexp(z) − z_true``.
    squared_error : float
        ``Σ_k (p_k − y_k)² / K``, with ``y`` the one-hot true answer.
    """

    label: int
    p_true: float
    cross_entropy: float
    squared_error: float


def answer_loss(scores: np.ndarray, label: int) -> AnswerLoss:
    """Cross-entropy and mean squared error of one answer, from its scores before the softmax.

    Parameters
    ----------
    scores : ndarray, shape (K,)
        The output layer's sums ``z`` (the logits); ``p = softmax(z)``.
    label : int, 0 ≤ label < K

    Returns
    -------
    AnswerLoss

    Notes
    -----
    The mean squared error can never exceed ``2 / K`` (all probability on one wrong class),
    so it hardly punishes a confident wrong answer; cross-entropy grows without bound.

    Examples
    --------
    >>> a = answer_loss(np.zeros(10), 3)  # equal scores: a model that guesses evenly
    >>> round(a.cross_entropy, 4), round(a.squared_error, 4)  # −log 0.1; (0.81 + 9 · 0.01) / 10
    (2.3026, 0.09)
    """
    z = as_float_array(scores, "scores", (1,))
    if not isinstance(label, numbers.Integral) or not 0 <= label < z.size:
        raise ValueError(
            f"`label` must be a class from 0 to {z.size - 1}. Received: label={label!r}."
        )
    row, labels = z[None].astype(np.float64), np.array([int(label)])
    ce = float(losses(row, labels)[0])
    return AnswerLoss(
        int(label), math.exp(-ce), ce, float(losses(row, labels, "mean_squared_error")[0])
    )


# --- fresh weights --------------------------------------------------------------------------


def glorot_weights(spec: ModelSpec | None = None, seed: int = 0) -> list[np.ndarray]:
    """Starting weights as Keras draws them: Glorot uniform kernels, zero biases.

    Parameters
    ----------
    spec : ModelSpec, optional
        Defaults to the article's model.
    seed : int
        The same seed gives the same weights (NumPy's generator: not the numbers Keras would
        draw with that seed, but from the same distribution).

    Returns
    -------
    list of ndarray, float32
        In the order and shapes of ``model.get_weights()`` (:func:`nn.weight_shapes`).

    Notes
    -----
    Each kernel weight is drawn uniformly from ``[−limit, limit]`` with
    ``limit = √(6 / (fan_in + fan_out))``: for a ``(k, k, C, F)`` conv kernel
    ``fan_in = k·k·C`` and ``fan_out = k·k·F``; for a ``(D, U)`` dense kernel ``D`` and ``U``.
    So every layer's outputs start about as large as its inputs.

    Examples
    --------
    >>> w = glorot_weights(seed=1)
    >>> [a.shape for a in w[:2]], float(np.abs(w[0]).max()) <= (6 / (9 + 288)) ** 0.5
    ([(3, 3, 1, 32), (32,)], True)
    >>> float(np.abs(w[1]).max())  # biases start at zero
    0.0
    """
    spec = spec or ModelSpec()
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"`seed` must be a whole number ≥ 0. Received: seed={seed!r}.")
    rng = np.random.default_rng(int(seed))
    weights = []
    for shape in nn.weight_shapes(spec):
        if len(shape) == 1:
            weights.append(np.zeros(shape, np.float32))
            continue
        receptive = math.prod(shape[:-2])  # k·k for a conv kernel, 1 for a dense one
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
        limit = math.sqrt(6 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    return weights


# --- one step -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdamState:
    """Adam's memory between steps: how many steps it took and its two running means.

    Attributes
    ----------
    iterations : int
        Steps taken so far (Keras' ``optimizer.iterations``).
    m, v : tuple of ndarray
        The running means of each weight's gradient and of its square, shaped like the weights
        (Keras' ``momentums`` and ``velocities``).
    """

    iterations: int
    m: tuple[np.ndarray, ...] = field(repr=False)
    v: tuple[np.ndarray, ...] = field(repr=False)

    @classmethod
    def start(cls, weights: Sequence[np.ndarray]) -> AdamState:
        """The state before the first step: no steps, zero means."""
        zeros = tuple(_read_only(np.zeros(np.shape(w), np.float32)) for w in weights)
        return cls(0, zeros, zeros)


@dataclass(frozen=True)
class Step:
    """One optimiser step on one batch (see :func:`gradient_step` and :func:`adam_step`).

    Attributes
    ----------
    loss_before : float
        The batch's mean loss with the weights given.
    probabilities : ndarray, shape (N, K)
        The model's answers before the step.
    gradients : tuple of ndarray
        The gradient of ``loss_before`` for every weight array, in the order and shapes of the
        weights (Keras' ``get_weights()``).
    updates : tuple of ndarray
        What the step adds to each weight: ``−learning_rate · gradient`` for SGD.
    weights : tuple of ndarray
        The weights after the step (new read-only arrays; the ones given are unchanged).
    loss_after : float
        The same batch's mean loss with the new weights.
    learning_rate : float
    optimizer : {"sgd", "adam"}
    adam : AdamState or None
        Adam's state after the step (None for SGD).
    scores : ndarray, shape (N, K)
        The output layer's sums before the softmax, before the step (the logits).
    losses : ndarray, shape (N,), float64
        Each answer's loss before the step; ``loss_before`` is their mean.
    """

    loss_before: float
    probabilities: np.ndarray = field(repr=False)
    gradients: tuple[np.ndarray, ...] = field(repr=False)
    updates: tuple[np.ndarray, ...] = field(repr=False)
    weights: tuple[np.ndarray, ...] = field(repr=False)
    loss_after: float
    learning_rate: float
    optimizer: str = "sgd"
    adam: AdamState | None = field(default=None, repr=False)
    scores: np.ndarray | None = field(default=None, repr=False)
    losses: np.ndarray | None = field(default=None, repr=False)

    @property
    def went_up(self) -> bool:
        """True if the step made this batch's loss larger: the rate was too large."""
        return self.loss_after > self.loss_before


def gradient_step(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.01,
) -> Step:
    """One plain SGD step on a batch: loss, gradients, ``w − learning_rate · g``, loss after.

    Parameters
    ----------
    weights : list of ndarray
        The model's weights in the order of Keras' ``model.get_weights()``
        (:func:`nn.weight_shapes`). Never changed.
    spec : ModelSpec or None
        The model the weights belong to; None for the article's.
    x : ndarray, shape (N, H, W, C), the spec's input shape (N, 28, 28, 1) for MNIST
        The batch's pictures, pixels in [0, 1].
    y : ndarray of int, shape (N,)
        Their true classes, 0 to ``spec.classes - 1`` (the digits 0 to 9 for MNIST).
    learning_rate : float
        Above 0.

    Returns
    -------
    Step

    Notes
    -----
    The loss is the spec's own, averaged over the batch as Keras does. Its gradient comes from
    the core's backward pass (:func:`nn.gradients`): the chain rule, layer by layer, where
    Keras uses automatic differentiation. Plain SGD (``keras.optimizers.SGD`` without momentum)
    then moves every weight against its gradient: ``w ← w − learning_rate · ∂loss/∂w``.

    Examples
    --------
    A model whose weights are all zero answers 0.1 for every digit: loss ``−log 0.1``. One step
    with rate 1 moves the output bias toward the true digit, 3, and the loss falls:

    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in nn.weight_shapes(spec)]
    >>> step = gradient_step(weights, spec, np.zeros((1, 28, 28, 1)), np.array([3]), 1.0)
    >>> round(step.loss_before, 4), step.gradients[-1][3].round(2), step.weights[-1][3].round(2)
    (2.3026, np.float32(-0.9), np.float32(0.9))
    >>> round(step.loss_after, 4)  # p(3) = e^0.9 / (e^0.9 + 9 e^−0.1) ≈ 0.23
    1.4612

    With rate 0.1 the bias moves a tenth as far, and the loss falls less:

    >>> round(gradient_step(weights, spec, np.zeros((1, 28, 28, 1)), np.array([3]), 0.1)
    ...       .loss_after, 4)
    2.213
    """
    spec, weights, x, y, learning_rate = _door(weights, spec, x, y, learning_rate)
    g = _loss_and_gradients(weights, spec, x, y)
    rate = np.float32(learning_rate)
    updates = tuple(_read_only(-rate * d) for d in g.weights)
    after = tuple(_read_only(w + u) for w, u in zip(weights, updates))
    return Step(
        g.value,
        _read_only(g.probabilities),
        tuple(_read_only(d) for d in g.weights),
        updates,
        after,
        _batch_loss(after, spec, x, y),
        learning_rate,
        scores=_read_only(g.scores),
        losses=_read_only(g.losses),
    )


@dataclass(frozen=True)
class AdamTerms:
    """Adam's rule for one weight, every number filled in (see :func:`adam_terms`)."""

    step: int  # t, this step's number (1 for the first)
    weight: float
    gradient: float
    m_before: float
    v_before: float
    m: float
    v: float
    alpha: float
    update: float
    weight_after: float


def _adam(w, g, m, v, t: int, learning_rate: float):
    """Keras' Adam update, elementwise, in float32: returns (w_new, m_new, v_new, alpha)."""
    one = np.float32(1)
    b1, b2, eps = np.float32(ADAM_BETA_1), np.float32(ADAM_BETA_2), np.float32(ADAM_EPSILON)
    step = np.float32(t)
    alpha = np.float32(learning_rate) * np.sqrt(one - b2**step) / (one - b1**step)
    m = m + (g - m) * (one - b1)
    v = v + (g * g - v) * (one - b2)
    return w - m * alpha / (np.sqrt(v) + eps), m, v, alpha


def adam_terms(
    weight: float, gradient: float, m: float, v: float, iterations: int, learning_rate: float
) -> AdamTerms:
    """Adam's update of one weight, with the numbers of each part of the rule.

    Parameters
    ----------
    weight, gradient : float
        The weight before the step and its gradient.
    m, v : float
        Adam's running means for this weight before the step (0 before the first).
    iterations : int
        Steps taken before this one.
    learning_rate : float

    Returns
    -------
    AdamTerms

    Notes
    -----
    With ``t = iterations + 1``, ``β₁ = 0.9``, ``β₂ = 0.999``, ``ε = 10⁻⁷`` (Keras' defaults)::

        m ← m + (1 − β₁)(g − m)          running mean of the gradient
        v ← v + (1 − β₂)(g² − v)         running mean of its square
        α = rate · √(1 − β₂ᵗ) / (1 − β₁ᵗ)
        w ← w − α · m / (√v + ε)

    So each weight's step is about ``rate`` in size whatever its gradient's scale.

    Examples
    --------
    >>> a = adam_terms(0.5, 0.02, 0.0, 0.0, 0, 0.001)  # the first step
    >>> round(a.m, 6), round(a.v, 8), round(a.alpha, 6), round(a.update, 6)
    (0.002, 4e-07, 0.000316, -0.001)

    The first step moves the weight by the rate itself, ``0.001``, whatever the gradient.
    """
    t = int(iterations) + 1
    as32 = [np.float32(value) for value in (weight, gradient, m, v)]
    after, m_new, v_new, alpha = _adam(*as32, t, learning_rate)
    return AdamTerms(
        t, float(as32[0]), float(as32[1]), float(as32[2]), float(as32[3]),
        float(m_new), float(v_new), float(alpha), float(after - as32[0]), float(after),
    )  # fmt: skip


def adam_step(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float = 0.001,
    state: AdamState | None = None,
) -> Step:
    """One step of Keras' Adam on a batch; as :func:`gradient_step`, with Adam's state.

    Parameters
    ----------
    weights, spec, x, y, learning_rate
        As :func:`gradient_step` (Adam's default rate is 0.001).
    state : AdamState, optional
        Adam's state after the previous step; None before the first.

    Returns
    -------
    Step
        ``optimizer == "adam"``; ``adam`` holds the state to pass to the next step. The rule
        is in :func:`adam_terms`.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in nn.weight_shapes(spec)]
    >>> step = adam_step(weights, spec, np.zeros((1, 28, 28, 1)), np.array([3]), 0.1)
    >>> step.weights[-1].round(3)  # every output bias moved by the rate, 0.1
    array([-0.1, -0.1, -0.1,  0.1, -0.1, -0.1, -0.1, -0.1, -0.1, -0.1], dtype=float32)
    >>> step.adam.iterations
    1
    """
    spec, weights, x, y, learning_rate = _door(weights, spec, x, y, learning_rate)
    state = state or AdamState.start(weights)
    if [np.shape(m) for m in state.m] != [w.shape for w in weights]:
        raise ValueError(
            "`state` belongs to a model of other shapes: start again with None. Received: "
            f"state for shapes {[np.shape(m) for m in state.m]}."
        )
    g = _loss_and_gradients(weights, spec, x, y)
    t = state.iterations + 1
    after, ms, vs = [], [], []
    for w, d, m, v in zip(weights, g.weights, state.m, state.v):
        new, m, v, _ = _adam(w, d, m, v, t, learning_rate)
        after.append(_read_only(new.astype(np.float32)))
        ms.append(_read_only(m))
        vs.append(_read_only(v))
    return Step(
        g.value,
        _read_only(g.probabilities),
        tuple(_read_only(d) for d in g.weights),
        tuple(_read_only(a - w) for a, w in zip(after, weights)),
        tuple(after),
        _batch_loss(after, spec, x, y),
        learning_rate,
        "adam",
        AdamState(t, tuple(ms), tuple(vs)),
        _read_only(g.scores),
        _read_only(g.losses),
    )


# --- the gradient is a slope ----------------------------------------------------------------


@dataclass(frozen=True)
class LossCurve:
    """The batch loss as one weight alone varies (see :func:`loss_curve`).

    Attributes
    ----------
    values : ndarray, shape (P,)
        The weight's values tried.
    losses : ndarray, shape (P,)
        The batch's mean loss at each (a real forward pass each).
    weight : float
        The weight's own value.
    loss : float
        The loss at that value.
    slope : float
        The central finite difference ``(L(w + h) − L(w − h)) / 2h``, ``h = FD_STEP``.
    """

    values: np.ndarray = field(repr=False)
    losses: np.ndarray = field(repr=False)
    weight: float
    loss: float
    slope: float


def loss_curve(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    x: np.ndarray,
    y: np.ndarray,
    where: tuple[int, tuple[int, ...]],
    *,
    span: float = 0.5,
    points: int = 15,
) -> LossCurve:
    """The batch's mean loss as the weight at ``where`` moves by up to ``span`` either way.

    Parameters
    ----------
    weights, spec, x, y
        As :func:`gradient_step`.
    where : (array index, index within the array)
        The weight: ``(0, (1, 2, 0, 5))`` is row 1, column 2 of the first layer's kernel 5.
    span : float
        The curve runs from ``w − span`` to ``w + span``.
    points : int
        Values tried, at least 3 (an odd number puts one at ``w`` itself).

    Returns
    -------
    LossCurve

    Notes
    -----
    Every point is a forward pass of the whole batch with the weights changed in that one
    place. The slope at ``w`` from :func:`gradient_step`'s gradient should match the finite
    difference: the gradient *is* that slope.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> weights = [np.zeros(s, np.float32) for s in nn.weight_shapes(spec)]
    >>> x, y = np.zeros((1, 28, 28, 1)), np.array([3])
    >>> curve = loss_curve(weights, spec, x, y, (5, (3,)), span=1.0, points=3)
    >>> curve.values, curve.losses.round(3)  # the output bias of class 3 at −1, 0, 1
    (array([-1.,  0.,  1.]), array([3.237, 2.303, 1.461]))
    >>> round(curve.slope, 3)  # the gradient's −0.9, measured
    -0.9
    """
    spec, weights, x, y, _ = _door(weights, spec, x, y, 1.0)
    array, index = _where(where, weights)
    if not isinstance(points, numbers.Integral) or points < 3:
        raise ValueError(f"`points` must be a whole number ≥ 3. Received: points={points!r}.")
    if not isinstance(span, numbers.Real) or not 0 < float(span) < 1e6:
        raise ValueError(f"`span` must be a number above 0. Received: span={span!r}.")
    centre = float(weights[array][index])
    values = centre + np.linspace(-float(span), float(span), int(points))

    def at(value: float) -> float:
        changed = list(weights)
        changed[array] = weights[array].copy()
        changed[array][index] = value
        return _batch_loss(changed, spec, x, y)

    curve = np.array([at(v) for v in values])
    slope = (at(centre + FD_STEP) - at(centre - FD_STEP)) / (2 * FD_STEP)
    return LossCurve(values, curve, centre, at(centre), float(slope))


# --- helpers --------------------------------------------------------------------------------


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    array.setflags(write=False)
    return array


def _door(weights, spec, x, y, learning_rate):
    """Validate once: (spec, float32 weights, x (N, H, W, C) of the spec's input shape in
    [0, 1], labels, rate)."""
    spec = spec or ModelSpec()
    if not isinstance(spec, ModelSpec):
        raise ValueError(f"`spec` must be a ModelSpec or None. Received: spec={spec!r}.")
    expected = nn.weight_shapes(spec)
    got = [tuple(np.shape(w)) for w in weights]
    if got != expected:
        raise ValueError(
            f"`weights` must have the shapes {expected} for this spec. Received: {got}."
        )
    weights = [np.asarray(w, dtype=np.float32) for w in weights]
    x = nn.check_pictures(as_float_array(x, "x", (4,)), spec)
    if x.min() < 0 or x.max() > 1:
        raise ValueError(
            "`x` must hold pixels in [0, 1] (divide 0–255 pixels by 255). Received: pixels "
            f"from {float(x.min()):g} to {float(x.max()):g}."
        )
    labels = np.asarray(y)
    whole = labels.dtype.kind in "iu" or (labels.dtype.kind == "f" and np.all(labels % 1 == 0))
    if labels.shape != (len(x),) or not whole or not np.isin(labels, range(spec.classes)).all():
        raise ValueError(
            f"`y` must be {len(x)} whole numbers from 0 to {spec.classes - 1}, one per picture "
            "of `x`. "
            f"Received: y={labels!r}."
        )
    rate_ok = isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool)
    if not rate_ok or not 0 < float(learning_rate) < math.inf:
        raise ValueError(
            f"`learning_rate` must be a number above 0. Received: learning_rate={learning_rate!r}."
        )
    return spec, weights, x, labels.astype(int), float(learning_rate)


def _where(where, weights) -> tuple[int, tuple[int, ...]]:
    """``where`` checked against the weights: (array index, index tuple within that array)."""
    try:
        array, index = int(where[0]), tuple(int(i) for i in np.atleast_1d(where[1]))
        if not 0 <= array < len(weights) or len(index) != weights[array].ndim:
            raise IndexError
        if not all(0 <= i < n for i, n in zip(index, weights[array].shape)):
            raise IndexError  # no counting from the end: −1 is not a weight's place
    except (TypeError, ValueError, IndexError):
        shapes = [w.shape for w in weights]
        raise ValueError(
            "`where` must be (array index, index within the array) naming one weight of arrays "
            f"shaped {shapes}. Received: where={where!r}."
        ) from None
    return array, index


def _loss_and_gradients(weights, spec, x, y) -> nn.Gradients:
    """The loss's gradients, and the answers and losses of the same forward pass."""
    return nn.gradients(weights, x, spec, labels=y)


def _batch_loss(weights, spec, x, y) -> float:
    """The batch's mean loss, the spec's own, as Keras computes it."""
    return float(nn.batch_losses(weights, x, y, spec).mean())
