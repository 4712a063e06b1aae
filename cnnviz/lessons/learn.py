"""The Learn page's lesson: the loss of an answer, one gradient step, and the gradient as a slope.

The kernels of a CNN are not designed: they are learned. A loss scores the network's answers,
and every weight takes a small step against its gradient. This module turns the page's inputs
into frozen view models holding every number, sentence and picture the page shows; the maths
is :mod:`cnnviz.learning.sgd` (the core's own backward pass, checked against TensorFlow).

* :class:`Learner` — the model being taught and what happened to it: its weights (and Adam's
  state), the steps taken, the loss before and after each. Immutable: :func:`start` makes
  one, :func:`advance` and :func:`take` return the next.
* :func:`preview` — the step the next click takes, on the next batch (one :func:`gradient_step`
  or :func:`adam_step`), of which it keeps only what the sections below show
  (:class:`ShownStep`: a visitor's session holds one model, not five copies of it):
* :func:`batch_view`, :func:`answer_view`, :func:`step_view`, :func:`history_view`,
  :func:`slope_view` — one view per section of the page.

Letters used in shapes: ``N`` digits in a batch, ``k`` kernel size, ``F`` first-layer kernels,
``U`` hidden neurons, ``K = 10`` classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import plotly.graph_objects as go

from cnnviz.learning import nn
from cnnviz.learning.data import Dataset, as_model_input
from cnnviz.learning.model import NUM_CLASSES, ModelSpec
from cnnviz.learning.sgd import (
    FD_STEP,
    AdamState,
    Step,
    adam_step,
    adam_terms,
    answer_loss,
    cross_entropy,
    glorot_weights,
    gradient_step,
    loss_curve,
)
from cnnviz.learning.training import TrainedModel
from cnnviz.pictures import (
    curves_figure,
    digit_grid,
    grid_html,
    heatmap_figure,
    number_text,
    probability_bars,
    scale_for,
    tile_grid,
)

__all__ = [
    "AUTODIFF",
    "BATCH_ORDER_SEED",
    "DEFAULT_BATCH",
    "DEFAULT_KERNEL",
    "DEFAULT_RATE",
    "DEFAULT_SEED",
    "DEFAULT_WEIGHT",
    "INTRO",
    "MAX_HISTORY",
    "MAX_PARAMETERS",
    "MAX_SEED",
    "OPTIMIZERS",
    "RATES",
    "SOURCES",
    "AnswerView",
    "BatchView",
    "HistoryView",
    "Learner",
    "Preview",
    "ShownStep",
    "SlopeView",
    "StepView",
    "advance",
    "answer_view",
    "batch_indices",
    "batch_view",
    "history_view",
    "model_sentence",
    "preview",
    "rate_text",
    "slope_view",
    "start",
    "step_view",
    "take",
    "too_large_to_teach",
]

INTRO = (
    "Nobody designs a CNN's kernels: it **learns** them. A **loss** scores each answer — small "
    "when the network gives the true digit a high probability, large when it does not — and "
    "every weight then takes a small **step against its gradient**, the direction in which "
    "the loss grows fastest. Here you take those steps yourself, one batch at a time."
)
AUTODIFF = (
    "In Keras, `model.fit` does all of this for you: TensorFlow records the forward pass and "
    "runs it backwards (automatic differentiation). Here the app's own NumPy code runs the "
    "same chain rule in the open, layer by layer, so every number below can be shown; the "
    "tests check each one against TensorFlow."
)

#: Where the model to teach comes from, and how the page names each choice.
SOURCES = {
    "fresh": "Fresh: random starting weights",
    "yours": "Yours: the model you trained on the Train page",
    "default": "The default model (already trained)",
}
#: The starting weights that learn most visibly at the default rate: seeds 0 to 15, ten SGD
#: steps of 8 digits at rate 0.1 (this page's batches): loss on 256 other digits fell by 0.29
#: to 0.50; seed 6 fell most (2.312 → 1.814). Figures in the commit log.
DEFAULT_SEED = 6
MAX_SEED = 9999
OPTIMIZERS = {"sgd": "Plain SGD", "adam": "Adam (the article's)"}
#: A rate per optimizer when it is chosen: SGD learns visibly at 0.1; Adam's default is 0.001.
DEFAULT_RATE = {"sgd": 0.1, "adam": 0.001}
RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
DEFAULT_BATCH = 8
#: The weight shown first (kernel 31, row 0, column 1: 1-based kernel, cell row by row): the
#: largest gradient of the default seed's first batch (−0.090; FD −0.0899), so its loss curve
#: visibly slopes (2.28 to 2.34 over ±0.5). Kernel 1's middle weight had −0.0033: a flat line.
DEFAULT_KERNEL, DEFAULT_WEIGHT = 31, 1
MAX_BATCH = 32
BATCH_ORDER_SEED = 0  # the training digits are taken in one fixed shuffled order
MAX_HISTORY = 1000  # steps remembered for the plot; older ones are dropped
#: The largest model taught here. A visitor's session holds its weights and, with Adam, two
#: running means of the same size (12 bytes a weight), and a step of 32 digits takes time in
#: proportion: the article's 1.4 M weights are 17 MB and ~35 ms a step. 2 M keeps a session
#: under 25 MB and a step under ~0.1 s; a Train-page model can have up to 10 M (120 MB).
MAX_PARAMETERS = 2_000_000
CURVE_POINTS = 21


def rate_text(rate: float) -> str:
    """A learning rate as the controls write it.

    >>> rate_text(0.001), rate_text(10.0)
    ('0.001', '10')
    """
    return f"{rate:g}"


def batch_indices(t: int, size: int, n: int) -> np.ndarray:
    """Which training digits batch ``t`` holds: the next ``size`` of one fixed shuffled order.

    Parameters
    ----------
    t : int
        The batch's number (0 for the first step).
    size : int
        Digits per batch.
    n : int
        Training digits available; the order starts again after the last.

    Returns
    -------
    ndarray of int, shape (size,)

    Examples
    --------
    >>> batch_indices(0, 4, 10), batch_indices(2, 4, 10)  # the third batch wraps around
    (array([4, 6, 2, 7]), array([8, 1, 4, 6]))
    """
    order = np.random.default_rng(BATCH_ORDER_SEED).permutation(n)
    return order[(int(t) * int(size) + np.arange(int(size))) % n]


# --- the model being taught -------------------------------------------------------------------


@dataclass(frozen=True)
class Learner:
    """The model being taught and every step it took (a new one after each step).

    Attributes
    ----------
    source : {"fresh", "yours", "default"}
    seed : int
        The fresh weights' seed (for "fresh").
    spec : ModelSpec
    weights : tuple of ndarray
        The weights now, read-only.
    steps : int
        Steps taken; also the number of the next batch.
    before, after : tuple of float
        Each step's batch loss before and after it (the last :data:`MAX_HISTORY` steps).
    adam : AdamState or None
        Adam's state, once an Adam step was taken.
    """

    source: str
    seed: int
    spec: ModelSpec
    weights: tuple[np.ndarray, ...] = field(repr=False)
    steps: int = 0
    before: tuple[float, ...] = ()
    after: tuple[float, ...] = ()
    adam: AdamState | None = field(default=None, repr=False)


def start(source: str, seed: int = DEFAULT_SEED, trained: TrainedModel | None = None) -> Learner:
    """A learner at step 0: fresh Glorot weights with ``seed``, or a copy of ``trained``'s.

    >>> learner = start("fresh", 6)
    >>> learner.steps, learner.weights[0].shape
    (0, (3, 3, 1, 32))
    """
    if source not in SOURCES:
        raise ValueError(f"`source` must be one of {', '.join(SOURCES)}. Received: {source!r}.")
    if source == "fresh":
        spec = ModelSpec()
        weights = glorot_weights(spec, seed)
    else:
        if trained is None:
            raise ValueError(f"`trained` is needed for source={source!r}.")
        spec, weights = trained.spec, [np.array(w, dtype=np.float32) for w in trained.weights]
    for w in weights:
        w.setflags(write=False)
    return Learner(source, int(seed), spec, tuple(weights))


def too_large_to_teach(spec: ModelSpec) -> str | None:
    """Why a model is too large for this page (above :data:`MAX_PARAMETERS`), or None.

    >>> too_large_to_teach(ModelSpec()) is None
    True
    >>> too_large_to_teach(ModelSpec(filters=(64, 128), dense_units=1024))[:40]
    'Your model has 3,362,570 weights: this p'
    """
    count = sum(math.prod(shape) for shape in nn.weight_shapes(spec))
    if count <= MAX_PARAMETERS:
        return None
    return (
        f"Your model has {count:,} weights: this page teaches models of up to "
        f"{MAX_PARAMETERS:,} (each visitor's copy, with Adam's running means, stays small and "
        "each step quick), so a fresh one is taught instead. A model with fewer kernels or "
        "hidden neurons can be taught here."
    )


def _full_step(learner: Learner, x, y, rate: float, optimizer: str) -> Step:
    if optimizer == "adam":
        return adam_step(learner.weights, learner.spec, x, y, rate, learner.adam)
    return gradient_step(learner.weights, learner.spec, x, y, rate)


def advance(learner: Learner, step: Step | ShownStep) -> Learner:
    """The learner after ``step`` was taken: a core :class:`~cnnviz.learning.sgd.Step` of its
    weights, or a :func:`preview`'s :class:`ShownStep`, which is worked out again (it keeps
    only what the page shows; the same numbers come out: NumPy is deterministic)."""
    if isinstance(step, ShownStep):
        step = _full_step(learner, step.x, step.y, step.learning_rate, step.optimizer)
    keep = slice(-MAX_HISTORY, None)
    return replace(
        learner,
        weights=step.weights,
        steps=learner.steps + 1,
        before=(*learner.before, step.loss_before)[keep],
        after=(*learner.after, step.loss_after)[keep],
        adam=step.adam if step.optimizer == "adam" else learner.adam,
    )


def take(
    learner: Learner, data: Dataset, size: int, rate: float, optimizer: str = "sgd"
) -> Learner:
    """The learner after one step on its next batch (what :func:`preview` shows), computed once.

    >>> from cnnviz.learning.data import load_sample
    >>> learner = take(start("fresh"), load_sample(), 4, 0.1)
    >>> learner.steps, len(learner.before)
    (1, 1)
    """
    _, _, x, y = _batch(learner, data, size, optimizer)
    return advance(learner, _full_step(learner, x, y, rate, optimizer))


def model_sentence(learner: Learner) -> str:
    """Which model is being taught, in one sentence.

    >>> model_sentence(start("fresh", 6))
    'Teaching a fresh copy of the article’s CNN: random starting weights (Glorot uniform, as \
Keras draws them, seed 6, biases 0). No steps taken yet.'
    """
    kernels = " then ".join(str(f) for f in learner.spec.filters)
    what = {
        "fresh": "a fresh copy of the article’s CNN: random starting weights (Glorot uniform, "
        f"as Keras draws them, seed {learner.seed}, biases 0)",
        "yours": f"your model from the Train page ({kernels} kernels, "
        f"{learner.spec.dense_units} hidden neurons), from where its training ended",
        "default": "the default model (the article’s CNN trained on the sample)",
    }[learner.source]
    steps = learner.steps
    done = "No steps taken yet." if not steps else f"{steps} step{'s' * (steps != 1)} taken."
    return f"Teaching {what}. {done}"


# --- the next step ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """The next step, on the next batch, not yet taken (what every section shows).

    Attributes
    ----------
    x : ndarray, shape (N, 28, 28, 1)
    y : ndarray of int, shape (N,)
    images : ndarray of uint8, shape (N, 28, 28)
    indices : ndarray of int, shape (N,)
        The digits' numbers among the training digits.
    step : ShownStep
        What one step with these settings does: the part the page shows.
    batch : int
        The batch's number (the steps taken so far).
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray
    images: np.ndarray = field(repr=False)
    indices: np.ndarray
    step: ShownStep = field(repr=False)
    batch: int


#: Which weight arrays a :class:`ShownStep` keeps, by index: the first layer's kernels and
#: biases, the output layer's kernel.
SHOWN_ARRAYS = (0, 1, -2)


@dataclass(frozen=True)
class ShownStep:
    """What the page shows of one step (see :func:`preview`): a :class:`~cnnviz.learning.sgd.Step`
    without the arrays no section draws.

    Attributes
    ----------
    loss_before, loss_after, learning_rate, optimizer, probabilities, scores, losses
        As the core's ``Step``.
    gradients, updates, weights : dict of int to ndarray
        The step's gradients, updates and weights after, for the arrays the page shows only,
        keyed by their index in the weights (:data:`SHOWN_ARRAYS`: 0, 1 and −2).
    x, y
        The batch (to take the step: :func:`advance` works it out again).
    """

    loss_before: float
    loss_after: float
    learning_rate: float
    optimizer: str
    probabilities: np.ndarray = field(repr=False)
    scores: np.ndarray = field(repr=False)
    losses: np.ndarray = field(repr=False)
    gradients: dict[int, np.ndarray] = field(repr=False)
    updates: dict[int, np.ndarray] = field(repr=False)
    weights: dict[int, np.ndarray] = field(repr=False)
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)

    @property
    def went_up(self) -> bool:
        """True if the step made this batch's loss larger: the rate was too large."""
        return self.loss_after > self.loss_before

    @classmethod
    def of(cls, step: Step, x: np.ndarray, y: np.ndarray) -> ShownStep:
        """The shown part of ``step`` (copies: the full arrays can then be let go)."""

        def shown(arrays):
            return {i: np.array(arrays[i]) for i in SHOWN_ARRAYS}

        return cls(
            step.loss_before, step.loss_after, step.learning_rate, step.optimizer,
            step.probabilities, step.scores, step.losses,
            shown(step.gradients), shown(step.updates), shown(step.weights), x, y,
        )  # fmt: skip


def _batch(learner: Learner, data: Dataset, size: int, optimizer: str):
    """Batch ``learner.steps`` of ``data``'s training digits: (indices, images, x, y)."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"`optimizer` must be one of {', '.join(OPTIMIZERS)}. Received: {optimizer!r}."
        )
    if not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
        raise ValueError(
            f"`size` must be a whole number from 1 to {MAX_BATCH}. Received: size={size!r}."
        )
    indices = batch_indices(learner.steps, size, len(data.x_train))
    images = np.asarray(data.x_train[indices])
    return indices, images, as_model_input(images), np.asarray(data.y_train[indices]).astype(int)


def preview(
    learner: Learner, data: Dataset, size: int, rate: float, optimizer: str = "sgd"
) -> Preview:
    """What the next step does: batch ``learner.steps`` of ``data``'s training digits.

    >>> from cnnviz.learning.data import load_sample
    >>> p = preview(start("fresh"), load_sample(), 4, 0.1)
    >>> p.x.shape, p.step.loss_after < p.step.loss_before
    ((4, 28, 28, 1), True)
    """
    indices, images, x, y = _batch(learner, data, size, optimizer)
    step = ShownStep.of(_full_step(learner, x, y, rate, optimizer), x, y)
    return Preview(x, y, images, indices, step, learner.steps)


# --- the batch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchView:
    """The batch's digits, each titled with its label and loss, and the batch loss."""

    figure: go.Figure = field(repr=False)
    text: str


def batch_view(p: Preview, spec: ModelSpec) -> BatchView:
    """The next step's digits with their true labels and each answer's loss."""
    each = p.step.losses
    titles = [f"{label}: {number_text(v, 2, fixed=True)}" for label, v in zip(p.y, each)]
    n = len(p.y)
    name = "cross-entropy" if spec.loss == "categorical_crossentropy" else "mean squared error"
    text = (
        f"Batch {p.batch + 1}: {n} training digit{'s' * (n != 1)}, each titled with its true "
        f"label and the loss of the model's answer ({name}). Their mean is the **batch loss: "
        f"{number_text(p.step.loss_before, 4, fixed=True)}**."
    )
    return BatchView(digit_grid(p.images, titles, cols=8), text)


# --- the loss of one answer -------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerView:
    """One digit's answer: its probabilities, its cross-entropy worked out, the MSE beside it."""

    probabilities: go.Figure = field(repr=False)
    formula: str
    squared: str
    curve: go.Figure = field(repr=False)


def answer_view(p: Preview, i: int, loss: str = "categorical_crossentropy") -> AnswerView:
    """The loss of the answer to digit ``i`` of the batch, both ways, and its place on −log p.

    ``loss`` is the one the model is trained with (its spec's): the text says which of the two
    the steps below follow. Cross-entropy comes from the answer's scores before the softmax
    (:func:`answer_loss`), so a confidently wrong answer costs what Keras says it does.
    """
    i = min(max(int(i), 0), len(p.y) - 1)
    probabilities = np.asarray(p.step.probabilities[i], dtype=np.float64)
    label, said = int(p.y[i]), int(probabilities.argmax())
    a = answer_loss(p.step.scores[i], label)
    pt = number_text(a.p_true, 3)  # significant digits: 3.2e−12 is not "0"
    verdict = "right" if said == label else f"wrong: it says {said}"
    whose = (
        "so its loss is"
        if loss == "categorical_crossentropy"
        else "so its cross-entropy (this model is trained on the mean squared error below) is"
    )
    formula = (
        f"Digit {i + 1} of the batch is {'an' if label == 8 else 'a'} **{label}**; the model's "
        f"answer is {verdict}. It gives "
        f"the true digit a probability of **{pt}**, {whose}\n\n"
        f"**cross-entropy = −log p(true) = −log {pt} = "
        f"{number_text(a.cross_entropy, 3, fixed=True)}**"
    )
    others = [(k, probabilities[k]) for k in range(NUM_CLASSES) if k != label]
    biggest = sorted(others, key=lambda kv: -kv[1])[:2]
    terms = " + ".join(f"{number_text(v, 3)}²" for _, v in biggest)
    squared = (
        f"The **mean squared error** the article mentions, for the same answer: "
        f"((1 − {pt})² + {terms} + … the other {NUM_CLASSES - 3}) / {NUM_CLASSES} = "
        f"**{number_text(a.squared_error, 4, fixed=True)}**. It can never pass "
        f"{number_text(2 / NUM_CLASSES, 1, fixed=True)}, however sure and wrong the answer; "
        "cross-entropy grows without bound as p(true) falls to 0, so a confident mistake "
        "costs a lot, and its gradient pushes hard."
    )
    grid = np.linspace(0.005, 1.0, 200)
    curve = curves_figure(
        {"−log p(true)": (grid, cross_entropy(grid))},
        x_title="p(true), the probability given to the true digit",
        y_title="loss",
        point=(a.p_true, a.cross_entropy, f"this answer: {_n(a.cross_entropy, 2)}"),
        # The point and its label stay on the plot: at a loss of 629 (after a rate-10 step) a
        # margin of 0.5 cut the marker in half and hid its label under the legend.
        y_range=(0, max(5.5, 1.25 * a.cross_entropy + 0.5)),
        height=300,
    )
    bars = probability_bars(probabilities, predicted=said, true=label, height=300)
    return AnswerView(bars, formula, squared, curve)


# --- one step ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """One step, for the kernel chosen: its weights, gradients, updates and weights after.

    Attributes
    ----------
    rule : str
        The update rule with the step's rate.
    grids : tuple of (title, HTML table)
        The kernel's weights now, their gradients, the update, the weights after: signed
        numbers on a colour scale centred on zero.
    bias : str
        The same four numbers for the kernel's bias.
    dense_title : str
    dense : tuple of (title, Plotly figure)
        The output layer's weights (each digit's 256 incoming weights as a square), as the four
        pictures.
    losses : str
        The batch loss before and after the step.
    too_large : str or None
        The sentence for a step that made the loss go up.
    adam : str or None
        Adam's rule with the numbers of the chosen weight (Adam only).
    """

    rule: str
    grids: tuple[tuple[str, str], ...] = field(repr=False)
    bias: str
    dense_title: str
    dense: tuple[tuple[str, go.Figure], ...] = field(repr=False)
    losses: str
    too_large: str | None
    adam: str | None


def _n(value: float, digits: int = 4) -> str:
    return number_text(float(value), digits, fixed=True)


def step_view(learner: Learner, p: Preview, kernel: int, cell: int = 0) -> StepView:
    """The next step as it moves first-layer kernel ``kernel`` (and weight ``cell`` of it)."""
    step, w = p.step, learner.weights
    f = min(max(int(kernel), 0), w[0].shape[3] - 1)
    k = w[0].shape[0]
    r, c = divmod(min(max(int(cell), 0), k * k - 1), k)
    rate = _n(step.learning_rate, 4)
    if step.optimizer == "adam":
        rule = (
            f"**Adam**, learning rate {rate}: each weight moves by about the rate, in the "
            "direction its recent gradients point (the rule, with numbers, is below)."
        )
    else:
        rule = (
            f"**Plain SGD**, learning rate {rate}: every weight moves by "
            f"**−{rate} × its gradient**, the update."
        )
    now, g, u, after = (a[0][:, :, 0, f] for a in (w, step.gradients, step.updates, step.weights))
    weights_scale = scale_for(now, after, signed=True)
    grids = (
        (f"Kernel {f + 1}: weights now", grid_html(now, weights_scale, digits=3)),
        ("Gradient ∂loss/∂w", grid_html(g, scale_for(g, signed=True), digits=4)),
        (f"Update (−{rate} × gradient)" if step.optimizer == "sgd" else "Update (Adam)",
         grid_html(u, scale_for(u, signed=True), digits=4)),
        ("Weights after the step", grid_html(after, weights_scale, digits=3)),
    )  # fmt: skip
    b = [float(a[1][f]) for a in (w, step.gradients, step.updates, step.weights)]
    bias = (
        f"Its **bias**: {_n(b[0])}; gradient {_n(b[1], 5)}; update {_n(b[2], 5)}; "
        f"after the step {_n(b[3])}."
    )
    dense_title, dense = _dense_pictures(learner, step)
    before, later = step.loss_before, step.loss_after
    change = later - before
    loss_text = (
        f"Batch loss before the step **{_n(before)}**, after it **{_n(later)}** "
        f"({'+' if change >= 0 else '−'}{_n(abs(change))}), on the same {len(p.y)} digits."
    )
    too_large = None
    if step.went_up:
        too_large = (
            f"The loss went **up**, from {_n(before, 3)} to {_n(later, 3)}: the learning rate "
            f"{rate} is too large. The gradient only says which way is downhill *here*; a step "
            "this long jumps past the valley's floor and lands higher on the other side. "
            "Try a smaller rate."
        )
    adam_text = None
    if step.optimizer == "adam":
        state = learner.adam or AdamState.start(w)
        where = (r, c, 0, f)
        t = adam_terms(
            w[0][where], step.gradients[0][where], state.m[0][where], state.v[0][where],
            state.iterations, step.learning_rate,
        )  # fmt: skip
        adam_text = (
            f"Adam's rule for the weight in row {r}, column {c} of kernel {f + 1}, step "
            f"t = {t.step} (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁷, Keras' defaults):\n\n"
            f"- gradient g = {_n(t.gradient, 6)}\n"
            f"- m ← m + (1 − β₁)(g − m) = {_n(t.m_before, 6)} + 0.1 × ({_n(t.gradient, 6)} − "
            f"{_n(t.m_before, 6)}) = **{_n(t.m, 6)}**\n"
            f"- v ← v + (1 − β₂)(g² − v) = **{number_text(t.v, 4)}**\n"
            f"- α = rate × √(1 − β₂ᵗ) / (1 − β₁ᵗ) = {rate} × √(1 − 0.999^{t.step}) / "
            f"(1 − 0.9^{t.step}) = **{number_text(t.alpha, 4)}**\n"
            f"- w ← w − α · m / (√v + ε) = {_n(t.weight, 5)} − {number_text(t.alpha, 4)} × "
            f"{_n(t.m, 6)} / ({number_text(math.sqrt(t.v), 4)} + 10⁻⁷) = "
            f"**{_n(t.weight_after, 5)}**"
        )
    return StepView(rule, grids, bias, dense_title, dense, loss_text, too_large, adam_text)


def _dense_pictures(
    learner: Learner, step: ShownStep
) -> tuple[str, tuple[tuple[str, go.Figure], ...]]:
    """The output layer's kernel (U, K), each digit's U weights as a square, four ways."""
    units = learner.weights[-2].shape[0]
    side = math.ceil(math.sqrt(units))

    def tiles(kernel: np.ndarray) -> np.ndarray:
        padded = np.full((NUM_CLASSES, side * side), np.nan)
        padded[:, :units] = kernel.T  # (K, U): digit d's incoming weights in row d
        return tile_grid(padded.reshape(NUM_CLASSES, side, side), cols=5, gap=2)

    arrays = [a[-2] for a in (learner.weights, step.gradients, step.updates, step.weights)]
    weights_scale = scale_for(arrays[0], arrays[3], signed=True)
    titles = ("Weights now", "Gradient", "Update", "Weights after")
    scales = (weights_scale, scale_for(arrays[1], signed=True), scale_for(arrays[2], signed=True),
              weights_scale)  # fmt: skip
    figures = []
    for title, array, scale in zip(titles, arrays, scales):
        figure = heatmap_figure(tiles(array), scale, colorbar_title="", height=230)
        figure.layout.xaxis.visible = False  # squares of weights: positions say nothing
        figure.layout.yaxis.visible = False
        figures.append((title, figure))
    title = (
        f"The output layer's weights: one square per digit 0–4 (top row) and 5–9, each holding "
        f"the {units} weights from the hidden neurons into that digit's score. The gradient "
        "is largest for the digits of this batch."
    )
    return title, tuple(figures)


# --- the steps taken --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryView:
    """The loss over the steps taken (None before the first) and a sentence about it."""

    figure: go.Figure | None = field(repr=False)
    text: str


def history_view(learner: Learner) -> HistoryView:
    """The batch loss before and after each step taken, against the step's number."""
    if not learner.before:
        return HistoryView(None, "No steps taken yet: take one and the loss appears here.")
    first = learner.steps - len(learner.before) + 1
    numbers = list(range(first, learner.steps + 1))
    figure = curves_figure(
        {
            "batch loss before the step": (numbers, learner.before),
            "after it (same batch)": (numbers, learner.after),
        },
        x_title="step",
        y_title="loss",
        height=300,
    )
    if len(numbers) <= 20:  # whole steps, each a dot (one step alone was ticked 0, 0.5, 1, 1.5)
        figure.layout.xaxis.dtick = 1
        for trace in figure.data:
            trace.mode = "lines+markers"
    went_up = sum(after > before for before, after in zip(learner.before, learner.after))
    text = (
        f"{learner.steps} step{'s' * (learner.steps != 1)} taken. Each batch is new, so the "
        "line before the steps is noisy: some digits are harder than others. "
        + (f"{went_up} of them made their own batch's loss go up." if went_up else "")
    ).strip()
    return HistoryView(figure, text)


# --- the gradient is a slope ------------------------------------------------------------------


@dataclass(frozen=True)
class SlopeView:
    """The batch loss as one weight alone varies, the tangent the gradient gives, both slopes."""

    figure: go.Figure = field(repr=False)
    text: str
    numbers: str


def slope_view(learner: Learner, p: Preview, kernel: int, cell: int, *, span: float = 0.5):
    """Weight ``cell`` (row by row) of first-layer kernel ``kernel``, moved by up to ``span``."""
    w = learner.weights
    f = min(max(int(kernel), 0), w[0].shape[3] - 1)
    k = w[0].shape[0]
    r, c = divmod(min(max(int(cell), 0), k * k - 1), k)
    where = (0, (r, c, 0, f))
    curve = loss_curve(w, learner.spec, p.x, p.y, where, span=span, points=CURVE_POINTS)
    g = float(p.step.gradients[0][where[1]])
    tangent = curve.loss + g * (curve.values - curve.weight)
    low, high = float(curve.losses.min()), float(curve.losses.max())
    pad = max(0.1 * (high - low), 0.02)
    figure = curves_figure(
        {"batch loss": (curve.values, curve.losses), "tangent: slope = gradient": (
            curve.values, tangent)},
        x_title=f"weight (row {r}, col {c}) of kernel {f + 1}",
        y_title="batch loss",
        point=(curve.weight, curve.loss, "now"),
        dashed=("tangent: slope = gradient",),
        y_range=(low - pad, high + pad),
        height=320,
    )  # fmt: skip
    text = (
        f"Move only the weight in row {r}, column {c} of kernel {f + 1} (now "
        f"{_n(curve.weight)}), keep every other weight, and run the batch through the "
        f"network again at each of {CURVE_POINTS} values: the loss traces this curve. The "
        "gradient is its slope where the weight is now, so a step against it goes downhill."
    )
    numbers = (
        f"Gradient from the backward pass: **{number_text(g, 4)}** · slope measured by finite "
        f"differences, (L(w + {FD_STEP:g}) − L(w − {FD_STEP:g})) / {2 * FD_STEP:g}: "
        f"**{number_text(curve.slope, 4)}**"
    )
    return SlopeView(figure, text, numbers)
