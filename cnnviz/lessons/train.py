"""The Train page's lesson: from the form's values and a trained model to everything shown.

* :data:`INTRO`, :data:`HELP`, :data:`SLIDERS` — the page's introduction, the form's help texts
  and its sliders' ranges; the model's limits they state come from :mod:`cnnviz.learning.model`.
* :func:`plan` — the form's values in, a :class:`Plan` out: the model spec (or every box's
  error, each naming its box), the digits in use and why, the cost estimate beside the
  server's limits (or why the training is refused), and the architecture table and code.
* :func:`live_frame` — one redraw of a training in progress: the progress bar, the status line
  and the curves (only when something new arrived), as a :class:`LiveFrame`.
* :func:`results` — what the visitor's model learned: accuracy, metrics, curves, confusion
  matrix, mistakes, kernels and its ``.keras`` file, or why the last training kept nothing.
* :func:`stopped_text`, :func:`finished_text`, :func:`slots_text`, :func:`waiting_text` — the
  sentences about a training's course, written alike wherever a training is shown.

No Streamlit: the page draws these views. Texts are Markdown written here; anything the visitor
typed is echoed unescaped, and the page shows such messages literally (``pages._text.plain``).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import plotly.graph_objects as go

from cnnviz.learning.data import Dataset
from cnnviz.learning.model import (
    MAX_BLOCKS,
    MAX_LEARNING_RATE,
    RANGES,
    ModelSpec,
    architecture,
    keras_code,
    parse_filters,
    total_parameters,
    training_code,
)
from cnnviz.learning.training import (
    LimitError,
    TrainedModel,
    TrainingLimits,
    TrainingRun,
    check_limits,
    first_layer_kernels,
    format_duration,
)
from cnnviz.pictures import confusion_figure, digit_grid, kernel_grid, training_curves

__all__ = [
    "ARCHITECTURE_TEXT",
    "CURVES_TEXT",
    "DOWNLOAD_HELP",
    "DOWNLOAD_NAME",
    "EPOCHS_OFFERED",
    "GROUPS",
    "FORM_DEFAULTS",
    "HELP",
    "INTRO",
    "LOSS_NAMES",
    "MAX_DIGITS",
    "MIN_DIGITS",
    "OPTIMIZER_NAMES",
    "SLIDERS",
    "SOURCES",
    "LiveFrame",
    "Plan",
    "Results",
    "cost_text",
    "finished_text",
    "group_labels",
    "settings_summary",
    "live_frame",
    "plan",
    "progress_text",
    "results",
    "slots_text",
    "status_text",
    "stopped_text",
    "stopping_text",
    "waiting_text",
    "without_code_marks",
]

INTRO = (
    "Build the article's network in Keras, train it on MNIST and watch it learn: the loss "
    "falls, the accuracy climbs, and the first layer's kernels become stroke detectors."
)

SOURCES = {
    "sample": "MNIST sample (5,000 digits, trains in seconds)",
    "full": "Full MNIST (70,000 digits, 11 MB download once)",
}
LOSS_NAMES = {
    "categorical_crossentropy": "cross-entropy",
    "mean_squared_error": "mean squared error",
}
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD (plain gradient descent)", "rmsprop": "RMSprop"}
MAX_WRONG_SHOWN = 16
MIN_DIGITS, MAX_DIGITS = 32, 60_000
# The form's labels by setting name, to tell the visitor which box a message is about.
LABELS = {
    "limit": "Training digits to use",
    "filters": "Kernels per conv block",
    "dense_units": "Neurons in the dense layer",
    "learning_rate": "Learning rate",
    "batch_size": "Batch size",
    "seed": "Random seed",
}
_ARTICLE = ModelSpec()
# The form's first values: the article's model on all the digits of the chosen set.
FORM_DEFAULTS = {
    "source": "sample",
    "limit": MAX_DIGITS,
    "filters": ", ".join(str(n) for n in _ARTICLE.filters),
    "kernel_size": _ARTICLE.kernel_size,
    "pooling": _ARTICLE.pooling,
    "dense_units": _ARTICLE.dense_units,
    "optimizer": _ARTICLE.optimizer,
    "learning_rate": _ARTICLE.learning_rate,
    "loss": _ARTICLE.loss,
    "batch_size": _ARTICLE.batch_size,
    "epochs": _ARTICLE.epochs,
    "seed": _ARTICLE.seed,
}
# The form's settings in the four groups it shows, each behind a button that sums it up.
GROUPS = {
    "Data": ("source", "limit"),
    "Layers": ("filters", "kernel_size", "pooling", "dense_units"),
    "Learning": ("optimizer", "learning_rate", "loss"),
    "Schedule": ("batch_size", "epochs", "seed"),
}
# The form's help texts by setting name. Every limit they state is the core's (RANGES,
# MAX_BLOCKS, MAX_LEARNING_RATE in cnnviz.learning.model) or this lesson's (MIN/MAX_DIGITS).
HELP = {
    "limit": f"{MIN_DIGITS} to {MAX_DIGITS:,}. Fewer digits train faster and learn less. The "
    "test digits are all used.",
    "filters": f"One number per conv block, 1 to {MAX_BLOCKS} blocks. '32' is the article's "
    "model; '16, 32' adds a second conv block with 32 kernels.",
    "pooling": "A 2×2 window moved in steps of 2: each side of the maps halves.",
    "dense_units": "{} to {}.".format(*RANGES["dense_units"]),
    "learning_rate": f"Above 0, at most {MAX_LEARNING_RATE:g}. Adam's default is 0.001.",
    "batch_size": "{} to {}.".format(*RANGES["batch_size"]),
    "seed": "Same seed, same curves.",
}
# The Epochs slider offers fewer epochs than the 50 ModelSpec accepts: 20 is the page's range
# since its first version (the article trains for 5), kept as it was; at 20 the article's model
# on the sample still trains within the server's default time limit. Code may ask for up to 50.
EPOCHS_OFFERED = 20
# The sliders' (lowest, highest) by setting name.
SLIDERS = {
    "kernel_size": RANGES["kernel_size"],
    "epochs": (RANGES["epochs"][0], EPOCHS_OFFERED),
}
DOWNLOAD_NAME = "cnnviz-model.keras"
DOWNLOAD_HELP = (
    f"Load it with keras.models.load_model('{DOWNLOAD_NAME}') to predict or to train further "
    "(the optimizer starts its running averages afresh)."
)
ARCHITECTURE_TEXT = (
    "Each conv layer slides its kernels over the image (a cross-correlation, as Keras "
    "computes it), pooling keeps the strongest response in each 2×2 window, and the dense "
    "layers turn the flattened maps into ten probabilities, one per digit."
)
NO_MODEL_TEXT = (
    "Press **Train** to train your own model. Until you do, the other pages use a "
    "default model: the article's CNN trained on the sample."
)
CONFUSION_TEXT = (
    "**Confusion matrix**: how often each digit (row) was read as each (column). The "
    "numbers are counts of test digits; the colour is each count's share of its row, "
    "the row percentage (hover for it), so a digit with fewer test images is not paler."
)
CURVES_TEXT = (
    "Press **Train**: the loss and the accuracy are drawn here, batch by batch, as the model "
    "learns."
)
STARTING_TEXT = "Starting a training process: loading TensorFlow takes a few seconds…"
_INPUT_ROW = {
    "layer": "input",
    "type": "28×28 grey pixels",
    "output shape": "28 × 28 × 1",
    "parameters": 0,
}


# --- the form: spec, digits, cost, architecture ------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the form's values make: shown between the form and the results.

    Attributes
    ----------
    spec : ModelSpec or None
        None if a box holds a value the model cannot take; :attr:`errors` says which.
    errors : tuple of str
        One message per wrong box, in the form's order, each starting with the box's label.
        The core's backticks are dropped; what the visitor typed is echoed as typed.
    refusal : str or None
        Why a valid spec is beyond this server's limits (then Train is not offered).
    cost : str or None
        The estimate of what training costs beside the limits, for a spec within them.
    data : Dataset
        The digits in use: the chosen set's first ``limit`` (kept within its range).
    data_text : str
        Which digits, how many, and why this set.
    data_fallback : bool
        True if full MNIST was asked for and the sample is used instead.
    layers : tuple of dict
        The architecture table's rows (layer, type, output shape, parameters), the input first;
        empty without a spec.
    parameters_text : str
        E.g. "Parameters: **1,387,594** (all trainable)"; empty without a spec.
    code : str
        The Keras code that builds and trains this model; empty without a spec.
    groups : dict of str to str
        Each of :data:`GROUPS`' buttons' labels: its name, or "Schedule: fix Batch size" when
        one of its boxes holds a wrong value (the error below says what is wrong).
    summary : str
        The settings in use in one line (:func:`settings_summary`); empty without a spec.
    """

    spec: ModelSpec | None
    errors: tuple[str, ...]
    refusal: str | None
    cost: str | None
    data: Dataset
    data_text: str
    data_fallback: bool
    layers: tuple[dict, ...]
    parameters_text: str
    code: str
    groups: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    @property
    def can_train(self) -> bool:
        """A valid spec within the server's limits: the page offers Train."""
        return self.spec is not None and self.refusal is None


def plan(settings: Mapping[str, object], data: Dataset, limits: TrainingLimits) -> Plan:
    """Read the form's values into a spec and say what training it would cost, on which digits.

    Parameters
    ----------
    settings : mapping
        The form's values by the names of :data:`FORM_DEFAULTS`, as the widgets return them
        (the number boxes' numbers are not rounded: 2.5 digits is an error, not 2).
    data : Dataset
        The whole set chosen by ``settings["source"]``.
    limits : TrainingLimits
        What one training may use on this server.

    Returns
    -------
    Plan

    Examples
    --------
    >>> from cnnviz.learning.data import load_sample
    >>> from cnnviz.learning.training import TrainingLimits
    >>> view = plan(FORM_DEFAULTS, load_sample(), TrainingLimits())
    >>> view.spec == ModelSpec(), view.parameters_text
    (True, 'Parameters: **1,387,594** (all trainable)')
    >>> plan(dict(FORM_DEFAULTS, dense_units=5000, batch_size=0), load_sample(),
    ...      TrainingLimits()).errors  # doctest: +NORMALIZE_WHITESPACE
    ('Neurons in the dense layer: dense_units must be a whole number from 1 to 4096.
      Received: dense_units=5000.',
     'Batch size: batch_size must be a whole number from 1 to 4096. Received: batch_size=0.')
    """
    missing = sorted(set(FORM_DEFAULTS) - set(settings))
    if missing:
        raise ValueError(
            f"`settings` must hold every form value. Received: settings without {missing}."
        )
    spec, errors = _read_form(settings)
    data = data.subset(_digits_in_use(settings["limit"]))
    refusal = cost = None
    if spec is not None:
        try:
            estimate = check_limits(spec, len(data.x_train), len(data.x_test), limits)
            cost = cost_text(estimate, limits)
        except LimitError as error:  # a valid spec, too big for this server: still explained
            refusal = (
                f"This training is beyond what this server allows. {error} Change the settings "
                "above, then press **Train**."
            )
    layers, parameters, code = (), "", ""
    if spec is not None:
        layers = (dict(_INPUT_ROW),) + tuple(
            {
                "layer": row.name,
                "type": row.kind,
                "output shape": " × ".join(str(n) for n in row.output_shape),
                "parameters": row.params,
            }
            for row in architecture(spec)
        )
        parameters = f"Parameters: **{total_parameters(spec):,}** (all trainable)"
        code = keras_code(spec) + "\n" + training_code(spec)
    data_text = (
        f"**Data: {data.name}**, using {len(data.x_train):,} training and "
        f"{len(data.x_test):,} test digits. {data.reason}"
    )
    summary = settings_summary(spec, len(data.x_train))
    return Plan(spec, errors, refusal, cost, data, data_text, data.fallback, layers, parameters,
                code, group_labels(errors), summary)  # fmt: skip


def group_labels(errors: Sequence[str]) -> dict[str, str]:
    """The label of each group's button: its name, and the boxes to fix in it, if any.

    >>> group_labels(("Batch size: must be a whole number ...",))["Schedule"]
    'Schedule: fix Batch size'
    >>> group_labels(())["Layers"]
    'Layers'
    """
    labels = {}
    for group, names in GROUPS.items():
        wrong = [LABELS[n] for n in names if n in LABELS and _names_box(errors, LABELS[n])]
        labels[group] = f"{group}: fix {', '.join(wrong)}" if wrong else group
    return labels


def settings_summary(spec: ModelSpec | None, digits: int) -> str:
    """The settings in use in one line, under the buttons that hide them (empty without a spec).

    Built from the spec the values make, never from the visitor's own text.

    >>> print(settings_summary(ModelSpec(), 5000).replace("\N{NO-BREAK SPACE}", " "))
    5,000 training digits · 32 kernels 3×3, max pooling · 256 neurons · Adam, rate 0.001,
    cross-entropy · batch 32, 5 epochs, seed 0
    """
    if spec is None:
        return ""
    k = spec.kernel_size
    pooling = "no pooling" if spec.pooling == "none" else f"{spec.pooling} pooling"
    optimizer = OPTIMIZER_NAMES[spec.optimizer].split(" (")[0]
    nb = "\N{NO-BREAK SPACE}"  # the line breaks between groups, not inside "seed 0"
    return (
        f"{digits:,} training digits · {', '.join(map(str, spec.filters))} kernels {k}×{k}, "
        f"{pooling} · {spec.dense_units} neurons · {optimizer}, rate{nb}{spec.learning_rate:g}, "
        f"{LOSS_NAMES[spec.loss]} · batch{nb}{spec.batch_size}, {spec.epochs}{nb}epochs, "
        f"seed{nb}{spec.seed}"
    )


def _names_box(errors: Sequence[str], label: str) -> bool:
    return any(error.startswith(f"{label}:") for error in errors)


def cost_text(cost, limits: TrainingLimits) -> str:
    """The estimate of what training costs (a :class:`~cnnviz.learning.model.Cost`), beside the
    limits it must stay under."""
    return (
        f"Estimated cost of this training: **{cost.parameters:,} parameters** (at most "
        f"{limits.max_parameters:,}) · about **{cost.peak_bytes / 2**20:,.0f} MB** of memory "
        f"(at most {limits.max_memory_mb:,} MB) · about "
        f"**{format_duration(cost.seconds_per_epoch)} per epoch**, "
        f"{format_duration(cost.seconds)} in all (at most {format_duration(limits.max_seconds)})."
        " Estimates from the layer sizes, for this server."
    )


def without_code_marks(message: str) -> str:
    """A core message without the backticks around argument names, which ``plain`` would show.

    Only before "Received:": what follows echoes the visitor's text, shown as typed.

    >>> without_code_marks("`filters` must be numbers. Received: filters='`8`'.")
    "filters must be numbers. Received: filters='`8`'."
    """
    rule, mark, received = message.partition(" Received: ")
    return rule.replace("`", "") + mark + received


def _read_form(settings: Mapping[str, object]) -> tuple[ModelSpec | None, tuple[str, ...]]:
    """The spec for the form's values, or None and one message per wrong box.

    Each box is checked on its own (the other fields at the article's values, with which every
    allowed value fits); only when all are right is the whole spec built, which then checks
    that the kernels fit the shrinking maps.
    """
    errors: list[str] = []
    limit = _whole_if_integral(settings["limit"])
    if not _is_whole(limit) or not MIN_DIGITS <= limit <= MAX_DIGITS:
        shown = f"{limit:,}" if isinstance(limit, numbers.Real) else repr(limit)
        errors.append(
            f"{LABELS['limit']}: must be a whole number from {MIN_DIGITS} to {MAX_DIGITS:,}. "
            f"Received: {shown}."
        )
    fields = {
        name: _whole_if_integral(value)
        for name, value in settings.items()
        if name not in ("source", "limit")
    }
    for name, value in fields.items():
        try:
            if name == "filters":
                value = fields[name] = parse_filters(value)
            ModelSpec(**{name: value})
        except ValueError as error:
            errors.append(_labelled(error))
    if errors:
        return None, tuple(errors)
    try:
        return ModelSpec(**fields), ()
    except ValueError as error:  # e.g. the kernels no longer fit the maps
        return None, (_labelled(error),)


def _labelled(error: ValueError) -> str:
    """The core's message, led by the label of the box it is about, without code marks."""
    message = str(error)
    name = message.partition("`")[2].partition("`")[0]
    if name in LABELS:
        message = f"{LABELS[name]}: {message}"
    return without_code_marks(message)


def _whole_if_integral(value: object) -> object:
    """``32.0`` becomes ``32``; anything else (``2.5`` included) stays as it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _digits_in_use(limit: object) -> int:
    """The training digits to use: ``limit`` kept within the allowed range."""
    number = int(limit) if isinstance(limit, numbers.Real) else MAX_DIGITS
    return max(MIN_DIGITS, min(number, MAX_DIGITS))


# --- a training as it runs ----------------------------------------------------------------------


@dataclass(frozen=True)
class LiveFrame:
    """One redraw of a training in progress.

    Attributes
    ----------
    progress : float
        Fraction of all batches done, 0 to 1.
    progress_text : str
        The progress bar's text, e.g. "Epoch 2 of 5 · batch 250 of 625".
    starting : bool
        True while the worker process still loads TensorFlow: :attr:`status` is then a notice.
    status : str
        The status line (Markdown).
    curves : plotly Figure or None
        The learning curves, or None when nothing was learned since the previous frame (the
        curves drawn last are still right: no need to send them again).
    seen : tuple
        What the curves show (batches, test scores, status), to compare with the next frame.
    """

    progress: float
    progress_text: str
    starting: bool
    status: str
    curves: go.Figure | None
    seen: tuple


def live_frame(run: TrainingRun, previous: LiveFrame | None = None) -> LiveFrame:
    """The progress bar, status line and curves for ``run``, as they stand now.

    Parameters
    ----------
    run : TrainingRun
        The live record (``status == "starting"`` while the worker loads TensorFlow).
    previous : LiveFrame, optional
        The frame drawn last; the curves are rebuilt only if the run moved on since.

    Examples
    --------
    >>> run = TrainingRun(epochs=5, steps_per_epoch=125, batch_size=32, n_train=4000, step=250)
    >>> first = live_frame(run)
    >>> first.progress_text, first.curves is not None
    ('Epoch 3 of 5 · batch 250 of 625', True)
    >>> live_frame(run, first).curves is None  # no news since: the drawn curves stay
    True
    """
    if run.status == "starting":
        return LiveFrame(0.0, progress_text(run), True, STARTING_TEXT, None, ())
    seen = (run.step, len(run.test_accuracy), run.status)
    fresh = previous is None or previous.seen != seen
    return LiveFrame(
        run.progress,
        progress_text(run),
        False,
        status_text(run),
        training_curves(run) if fresh else None,
        seen,
    )


def progress_text(run: TrainingRun) -> str:
    """E.g. "Epoch 2 of 5 · batch 250 of 625".

    >>> progress_text(TrainingRun(epochs=5, steps_per_epoch=125, batch_size=32, n_train=4000,
    ...                           step=250))
    'Epoch 3 of 5 · batch 250 of 625'
    """
    current = min(run.epoch + 1, run.epochs)
    return f"Epoch {current} of {run.epochs} · batch {run.step:,} of {run.total_steps:,}"


def status_text(run: TrainingRun) -> str:
    """E.g. "12.3 s · 1,850 digits/s · test accuracy after epoch 2: 95.7%"."""
    parts = [f"{run.elapsed:.1f} s", f"{run.samples_per_second:,.0f} digits/s"]
    if run.test_accuracy:
        parts.append(f"test accuracy after epoch {run.epoch}: {run.test_accuracy[-1]:.1%}")
    return " · ".join(parts)


def stopped_text(run: TrainingRun, *, what: str = "", why: bool = False) -> str:
    """Where a stopped training got to, in numbers that agree with each other.

    Parameters
    ----------
    run : TrainingRun
    what : str, optional
        The subject ("The comparison model"); without one the sentence starts "Stopped".
    why : bool
        Add the run's reason in brackets, if it has one (e.g. it reached its time limit).

    Examples
    --------
    >>> run = TrainingRun(epochs=8, steps_per_epoch=100, batch_size=32, n_train=3200, step=126)
    >>> stopped_text(run)
    'Stopped during epoch 2 of 8, after batch 126 of 800: 1.26 epochs trained'
    >>> run.step, run.reason = 200, "it reached the 10 min one training may take"
    >>> stopped_text(run, what="The comparison model", why=True)  # doctest: +NORMALIZE_WHITESPACE
    'The comparison model stopped after epoch 2 of 8 (batch 200 of 800): 2 epochs trained
     (it reached the 10 min one training may take)'
    """
    batches = f"batch {run.step:,} of {run.total_steps:,}"
    if run.steps_per_epoch and run.step % run.steps_per_epoch == 0:
        where = f"after epoch {run.epoch} of {run.epochs} ({batches})"
    else:
        where = f"during epoch {min(run.epoch + 1, run.epochs)} of {run.epochs}, after {batches}"
    subject = f"{what} stopped" if what else "Stopped"
    reason = f" ({run.reason})" if why and run.reason else ""
    return f"{subject} {where}: {run.epochs_text()} trained{reason}"


def finished_text(run: TrainingRun | None) -> str | None:
    """What the page says once a training has finished, or None if it did not finish.

    >>> finished_text(TrainingRun(epochs=1, steps_per_epoch=2, batch_size=32, n_train=64,
    ...                           step=2, elapsed=3.14, status="finished"))
    'Training finished: 1 of 1 epoch in 3.1 s. The results are below.'
    """
    if run is None or run.status != "finished":
        return None
    return (
        f"Training finished: {run.epochs} of {run.epochs_text()} in {run.elapsed:.1f} s. "
        "The results are below."
    )


def slots_text(busy: int, limit: int) -> str:
    """How many trainings run on this server now, beside the Train button."""
    return (
        f"Trainings running on this server right now: {busy} of at most {limit}. "
        "Press **Train** to start yours; **Stop** ends it early and keeps what it learned."
    )


def waiting_text(busy: int, limit: int) -> str:
    """What a visitor sees while every training slot is taken."""
    return (
        f"Waiting for a free training slot: {busy} of {limit} trainings are running for "
        "other visitors. Yours starts by itself as soon as one finishes."
    )


def stopping_text(seconds: float) -> str:
    """What a visitor sees while their stopped training ends (at most ``seconds``).

    >>> stopping_text(20.0)
    'Stopping your training: it ends its current batch and scores what it learned (at most 20 s)…'
    """
    return (
        "Stopping your training: it ends its current batch and scores what it learned "
        f"(at most {seconds:.0f} s)…"
    )


# --- what the model learned ---------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """The results section: the last training's fate and what the visitor's model learned.

    Attributes
    ----------
    lost : str or None
        Why the last training kept nothing and how far it got (a warning), if it did.
    lost_curves : plotly Figure or None
        That training's curves, if it got through any batch.
    no_model : str or None
        The invitation to train, when the visitor has no model yet (then nothing below is set).
    stopped : str or None
        Where a stopped model stopped, and that it keeps what it learned.
    accuracy : str
        The test accuracy sentence.
    metrics : tuple of (label, value)
        Test accuracy, epochs trained, training time, speed.
    curves, confusion, kernels : plotly Figure or None
    confusion_text, mistakes_text, kernels_text : str
    mistakes : plotly Figure or None
        The most confidently misread test digits; None if none was misread.
    model_file : bytes or None
        The model as a ``.keras`` file, written by the training worker; None if there is none.
    """

    lost: str | None = None
    lost_curves: go.Figure | None = None
    no_model: str | None = None
    stopped: str | None = None
    accuracy: str = ""
    metrics: tuple[tuple[str, str], ...] = ()
    curves: go.Figure | None = None
    confusion_text: str = CONFUSION_TEXT
    confusion: go.Figure | None = None
    mistakes_text: str = ""
    mistakes: go.Figure | None = None
    kernels_text: str = ""
    kernels: go.Figure | None = None
    model_file: bytes | None = field(default=None, repr=False)


def results(
    trained: TrainedModel | None, lost: tuple[TrainingRun | None, str] | None = None
) -> Results:
    """What the visitor's model learned, and what became of a training that kept nothing.

    Parameters
    ----------
    trained : TrainedModel or None
        The visitor's model (with its ``run`` and ``evaluation``), or None if they have none.
    lost : (TrainingRun or None, str), optional
        The last training, if it ended without a model: its last record and why.

    Returns
    -------
    Results
    """
    lost_text = lost_curves = None
    if lost is not None:
        run, why = lost
        kept = (
            "Your earlier model, below, stays in use."
            if trained is not None
            else "The other pages keep using the default model."
        )
        got_going = run is not None and run.step
        where = stopped_text(run) if got_going else "Stopped before any batch"
        lost_text = f"{where}, but nothing could be kept: {why}. {kept}"
        lost_curves = training_curves(run) if got_going else None
    if trained is None:
        return Results(lost=lost_text, lost_curves=lost_curves, no_model=NO_MODEL_TEXT)
    run, scores = trained.run, trained.evaluation
    stopped = None
    if run.status == "stopped":
        stopped = f"{stopped_text(run, why=True)}. The model keeps what it learned so far."
    trained_epochs = run.epochs_text().removesuffix(" epochs").removesuffix(" epoch")
    wrong = scores.wrong[:MAX_WRONG_SHOWN]
    titles = [
        f"{scores.true[i]} → {scores.predicted[i]} ({scores.probabilities[i].max():.0%})"
        for i in wrong
    ]
    kernels = first_layer_kernels(trained.weights)  # (F, k, k)
    size = kernels.shape[1]
    return Results(
        lost=lost_text,
        lost_curves=lost_curves,
        stopped=stopped,
        accuracy=(
            f"Test accuracy: **{scores.accuracy:.1%}** ({len(scores.true):,} test digits the "
            f"model never trained on), after {run.epochs_text()} on {trained.data_name}."
        ),
        metrics=(
            ("Test accuracy", f"{scores.accuracy:.1%}"),
            ("Epochs trained", f"{trained_epochs} of {run.epochs}"),
            ("Training time", f"{run.elapsed:.1f} s"),
            ("Speed", f"{run.samples_per_second:,.0f} digits/s"),
        ),
        curves=training_curves(run),
        confusion=confusion_figure(scores.confusion),
        mistakes_text=(
            f"**Mistakes**: {len(scores.wrong):,} test digits read wrong; the "
            f"{len(wrong)} most confident shown as true → predicted (probability)"
        ),
        mistakes=(
            digit_grid(scores.wrong_images[: len(wrong)], titles, cols=4) if titles else None
        ),
        kernels_text=(
            f"**The first layer's {len(kernels)} learned kernels** ({size}×{size} weights each). "
            "Red weights add where the digit's ink is, blue ones subtract: many turn into small "
            "edge and stroke detectors, the local features of the article."
        ),
        kernels=kernel_grid(kernels),
        model_file=trained.keras_file,
    )
