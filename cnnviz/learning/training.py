"""Training the model with live progress, stopping it, and reading what it learned.

* :func:`train` runs ``model.fit`` on a :class:`~cnnviz.learning.data.Dataset` and keeps a
  :class:`TrainingRun` up to date after every batch (loss and accuracy per batch, test accuracy
  per epoch, speed). A caller can watch it through ``on_update``, which is called at most
  every ``update_every`` seconds so that drawing never slows the training down, and can end it
  early with ``should_stop`` (or by raising from ``on_update``): the model keeps the weights it
  has reached. :func:`train_new_model` builds, trains and scores a model in one call.
* Every training keeps :data:`SNAPSHOTS` :class:`KernelSnapshot` copies of its first conv layer's
  kernels and biases in its :class:`TrainingRun`, evenly spaced from the random start to the
  end (a stopped training keeps those it reached), so a page can show kernels becoming
  detectors.
* :class:`TrainedModel` holds the result as plain arrays and the ``.keras`` file's bytes (it
  crosses a process boundary: the app trains in worker processes, see
  :mod:`cnnviz.learning.worker`, and the server that shows the results never loads TensorFlow).
* :class:`TrainingSlots` lets at most N trainings run at once; the others wait.
* :func:`evaluate` (with the core's forward pass, :mod:`cnnviz.learning.nn`),
  :func:`confusion_matrix`, :func:`first_layer_kernels` and :func:`model_bytes` read the results.
* :func:`default_model` is the article's model trained on the sample with a fixed seed, cached on
  disk so that later starts only load its weights.

The order of the digits comes from the spec's seed alone (a stateless shuffle per epoch), and so
does the augmentation (random shifts and flips of the training batches, when the spec asks for
them), so the same seed gives the same curves even while other trainings run in the same process.

The pictures may be MNIST's ``(N, 28, 28)`` digits or any ``(N, H, W, C)`` pictures of the spec's
``input_shape``, with ``spec.classes`` classes.

Letters used in shapes: ``N`` pictures, ``K`` classes (10 for MNIST), ``F`` kernels, ``k`` kernel
size, ``C`` input channels.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from cnnviz._validate import env_int
from cnnviz.learning import store
from cnnviz.learning.data import NUM_CLASSES, Dataset, as_model_input, load_sample, one_hot
from cnnviz.learning.model import Cost, ModelSpec, build_model, estimate_cost, keras_module
from cnnviz.learning.nn import predict

__all__ = [
    "SNAPSHOTS",
    "Evaluation",
    "KernelSnapshot",
    "LimitError",
    "TrainedModel",
    "TrainingLimits",
    "TrainingRun",
    "TrainingSlots",
    "check_data",
    "check_limits",
    "confusion_matrix",
    "default_model",
    "default_model_cached",
    "evaluate",
    "evaluation_of",
    "first_layer_kernels",
    "format_duration",
    "max_trainings",
    "model_bytes",
    "train",
    "train_new_model",
    "training_limits",
]

DEFAULT_UPDATE_EVERY = 0.25  # seconds between live updates: at most 4 per second
SMOOTHING_WINDOW = 20  # batches averaged for the smoothed curves
#: First-layer kernel snapshots a training keeps: the random start, the end and 14 between.
SNAPSHOTS = 16


@dataclass(frozen=True, eq=False)
class KernelSnapshot:
    """The first conv layer's kernels and biases after ``step`` batches of a training.

    Attributes
    ----------
    step : int
        Batches trained when it was taken (0: the random start).
    kernel : ndarray of float32, shape (k, k, C, F)
        As Keras stores ``conv_1``'s kernel (``model.get_weights()[0]``): ``C`` is the input's
        channels, 1 for MNIST.
    bias : ndarray of float32, shape (F,)
    """

    step: int
    kernel: np.ndarray
    bias: np.ndarray

    def __repr__(self) -> str:
        return f"KernelSnapshot(step={self.step}, kernel={self.kernel.shape})"

    def __eq__(self, other: object) -> bool:
        """Same step, same numbers (a dataclass's ``==`` would compare arrays and raise)."""
        if not isinstance(other, KernelSnapshot):
            return NotImplemented
        return (
            self.step == other.step
            and np.array_equal(self.kernel, other.kernel)
            and np.array_equal(self.bias, other.bias)
        )

    __hash__ = None  # arrays: not hashable


@dataclass
class TrainingRun:
    """The state of one training, updated in place after every batch.

    Attributes
    ----------
    epochs, steps_per_epoch, batch_size, n_train : int
        The plan: ``epochs`` passes of ``steps_per_epoch`` batches over ``n_train`` digits.
    step : int
        Batches done so far, over all epochs.
    batch_loss, batch_accuracy : list of float
        The loss and accuracy of each batch on its own (Keras reports running means over the
        epoch; these are the single-batch values recovered from them).
    test_loss, test_accuracy : list of float
        On the test set, after each epoch (not for an epoch ``should_stop`` cut short).
    test_at : list of float
        When each test score was taken, in epochs (2.0 = after the second epoch).
    elapsed : float
        Seconds spent training so far.
    samples_seen : int
        Training digits processed so far.
    status : {"starting", "running", "finished", "stopped"}
        ``"starting"`` only while a worker process is still loading TensorFlow.
    reason : str
        Why a stopped training stopped, when not by Stop (e.g. it reached its time limit).
    snapshots : list of KernelSnapshot
        The first conv layer at the steps :meth:`snapshot_steps` plans, as far as the training
        got (a few kilobytes: 16 copies of ``k·k·F + F`` numbers).
    """

    epochs: int
    steps_per_epoch: int
    batch_size: int
    n_train: int
    step: int = 0
    batch_loss: list[float] = field(default_factory=list)
    batch_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    test_at: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    samples_seen: int = 0
    status: str = "running"
    reason: str = ""
    snapshots: list[KernelSnapshot] = field(default_factory=list)
    #: Batches averaged by :meth:`smoothed` (a class constant, not a field).
    smoothing_window: ClassVar[int] = SMOOTHING_WINDOW

    def __repr__(self) -> str:
        return f"TrainingRun({self.summary()})"

    @classmethod
    def plan(cls, spec: ModelSpec, n_train: int) -> TrainingRun:
        """An empty record for training ``spec`` on ``n_train`` digits.

        >>> TrainingRun.plan(ModelSpec(batch_size=32, epochs=2), 100).total_steps  # 4 batches
        8
        """
        return cls(spec.epochs, math.ceil(n_train / spec.batch_size), spec.batch_size, n_train)

    @property
    def total_steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def snapshot_steps(self) -> list[int]:
        """The steps after which the first layer is kept: :data:`SNAPSHOTS` of them, evenly
        spaced from 0 (the random start) to :attr:`total_steps` (fewer for a shorter training).

        >>> TrainingRun(epochs=2, steps_per_epoch=10, batch_size=32, n_train=300).snapshot_steps()
        [0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19, 20]
        >>> TrainingRun(epochs=1, steps_per_epoch=3, batch_size=32, n_train=96).snapshot_steps()
        [0, 1, 2, 3]
        """
        last = SNAPSHOTS - 1
        return sorted({(i * self.total_steps + last // 2) // last for i in range(SNAPSHOTS)})

    @property
    def epoch(self) -> int:
        """Epochs completed."""
        return self.step // self.steps_per_epoch if self.steps_per_epoch else 0

    @property
    def epochs_done(self) -> float:
        """Epochs trained, counting a partly done epoch by its share of batches (e.g. 2.5)."""
        return self.step / self.steps_per_epoch if self.steps_per_epoch else 0.0

    def epochs_text(self) -> str:
        """Epochs trained, as a page writes them: rounded down to hundredths, so an epoch not
        finished never reads as done, and "epoch" singular only for exactly one.

        >>> [TrainingRun(8, 100, 32, 3200, step=s).epochs_text() for s in (100, 126, 199, 200)]
        ['1 epoch', '1.26 epochs', '1.99 epochs', '2 epochs']
        """
        if not self.steps_per_epoch:
            return "0 epochs"
        hundredths = self.step * 100 // self.steps_per_epoch  # whole numbers: no float rounding
        if hundredths == 0 and self.step > 0:
            return "under 0.01 epochs"
        whole, part = divmod(hundredths, 100)
        number = str(whole) if part == 0 else f"{whole}.{part:02d}".rstrip("0")
        return f"{number} epoch" + ("" if hundredths == 100 else "s")

    @property
    def progress(self) -> float:
        """Fraction of all batches done, 0 to 1."""
        return min(self.step / self.total_steps, 1.0) if self.total_steps else 0.0

    @property
    def samples_per_second(self) -> float:
        return self.samples_seen / self.elapsed if self.elapsed > 0 else 0.0

    def epoch_positions(self) -> np.ndarray:
        """Where each batch ends, in epochs (1.0 = end of the first epoch), for a curve's x-axis."""
        return np.arange(1, len(self.batch_loss) + 1) / self.steps_per_epoch

    def smoothed(self, values: list[float], window: int = SMOOTHING_WINDOW) -> np.ndarray:
        """The mean of the last ``window`` values at each batch (fewer at the start).

        >>> run = TrainingRun(epochs=1, steps_per_epoch=4, batch_size=1, n_train=4)
        >>> run.smoothed([4.0, 2.0, 0.0, 2.0], window=2).tolist()
        [4.0, 3.0, 1.0, 1.0]
        """
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return values
        sums = np.cumsum(np.concatenate([[0.0], values]))
        ends = np.arange(1, values.size + 1)
        starts = np.maximum(ends - window, 0)
        return (sums[ends] - sums[starts]) / (ends - starts)

    def summary(self) -> str:
        """One line on where the training is, e.g. ``"epoch 2 of 5, batch 250 of 625, ..."``.

        >>> TrainingRun(epochs=5, steps_per_epoch=125, batch_size=32, n_train=4000).summary()
        'epoch 1 of 5, batch 0 of 625, 0.0 s, 0 digits/s, running'
        """
        current = min(self.epoch + 1, self.epochs)
        return (
            f"epoch {current} of {self.epochs}, batch {self.step} of {self.total_steps}, "
            f"{self.elapsed:.1f} s, {self.samples_per_second:,.0f} digits/s, {self.status}"
        )


@dataclass
class Evaluation:
    """A model's answers on a test set.

    Attributes
    ----------
    probabilities : ndarray, shape (N, K)
        The softmax output for each test digit.
    predicted, true : ndarray, shape (N,)
        The most probable class and the real one.
    accuracy : float
        Fraction of test digits predicted right.
    confusion : ndarray, shape (K, K), int
        ``confusion[t, p]`` counts digits of class ``t`` predicted as ``p``.
    wrong : ndarray, shape (M,)
        Indices of the misclassified digits, the most confidently wrong first.
    wrong_images : ndarray, shape (M, H, W) or (M, H, W, C), uint8
        Those pictures, in the same order, as the data set holds them.
    """

    probabilities: np.ndarray
    predicted: np.ndarray
    true: np.ndarray
    accuracy: float
    confusion: np.ndarray
    wrong: np.ndarray
    wrong_images: np.ndarray

    def __repr__(self) -> str:
        return (
            f"Evaluation(accuracy={self.accuracy:.4f}, test={len(self.true)}, "
            f"wrong={len(self.wrong)})"
        )


class TrainedModel:
    """A trained model's weights together with what it is and how it was trained.

    Parameters
    ----------
    spec : ModelSpec
    data_name : str
        The data set it was trained on, as :attr:`Dataset.name`.
    weights : list of ndarray
        As ``model.get_weights()`` of :func:`~cnnviz.learning.model.build_model` ``(spec)``; the
        first is the first conv layer's kernel, shape ``(k, k, C, F)``.
    run : TrainingRun, optional
        The training's record (``None`` if the weights were loaded from a cache).
    evaluation : Evaluation, optional
        Its answers on the test set, once computed.
    keras_file : bytes, optional
        The trained Keras model as a ``.keras`` file (:func:`model_bytes`), written where it
        was trained, for the visitor to download; ``None`` when only the weights are known.

    Notes
    -----
    Plain arrays and bytes, so that a model trained in another process
    (:mod:`~cnnviz.learning.worker`) travels as a pickle, and everything the pages do with it
    (:mod:`cnnviz.learning.probe`, :func:`evaluate`) runs in NumPy without TensorFlow.
    """

    def __init__(
        self,
        spec: ModelSpec,
        data_name: str,
        weights: list[np.ndarray],
        run: TrainingRun | None = None,
        evaluation: Evaluation | None = None,
        keras_file: bytes | None = None,
    ) -> None:
        self.spec = spec
        self.data_name = data_name
        self.weights = [np.asarray(w) for w in weights]
        self.run = run
        self.evaluation = evaluation
        self.keras_file = keras_file

    @classmethod
    def from_keras(
        cls, model, spec: ModelSpec, data: Dataset, run: TrainingRun | None = None
    ) -> TrainedModel:
        """Take a Keras model built by ``build_model(spec)`` and trained on ``data``: its
        weights, its ``.keras`` file, and its :func:`evaluate` score on ``data``'s test digits."""
        weights = model.get_weights()
        scores = evaluate(weights, spec, data)
        return cls(spec, data.name, weights, run, scores, keras_file=model_bytes(model))

    @property
    def complete(self) -> bool:
        """False if its training stopped before the last epoch (at a time limit or a click).

        The one test of "finished" for pages that keep or share a model: a model whose weights
        were loaded without a record (``run is None``) counts as complete.
        """
        return self.run is None or self.run.status == "finished"

    def without_file(self) -> TrainedModel:
        """The same model without its ``.keras`` bytes (for models kept only to be looked into)."""
        return TrainedModel(self.spec, self.data_name, self.weights, self.run, self.evaluation)

    def __repr__(self) -> str:
        accuracy = f"{self.evaluation.accuracy:.4f}" if self.evaluation else "?"
        return f"TrainedModel({self.spec!r}, data={self.data_name!r}, accuracy={accuracy})"


class TrainingSlots:
    """At most ``limit`` trainings at once; the rest wait for a free slot.

    Parameters
    ----------
    limit : int
        How many trainings may run at the same time.

    Examples
    --------
    >>> slots = TrainingSlots(1)
    >>> with slots.slot():
    ...     slots.busy, slots.try_acquire(timeout=0.01)
    (1, False)
    >>> slots.busy
    0
    """

    def __init__(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"`limit` must be a positive integer. Received: limit={limit!r}.")
        self.limit = limit
        self._busy = 0
        self._changed = threading.Condition()

    def __repr__(self) -> str:
        return f"TrainingSlots(busy={self.busy}, limit={self.limit})"

    @property
    def busy(self) -> int:
        """Trainings running now."""
        return self._busy

    def try_acquire(self, timeout: float = 0.0) -> bool:
        """Take a slot, waiting up to ``timeout`` seconds for one; True if taken."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._busy < self.limit, timeout):
                return False
            self._busy += 1
            return True

    def release(self) -> None:
        with self._changed:
            if self._busy == 0:
                raise RuntimeError("release() called more often than try_acquire().")
            self._busy -= 1
            self._changed.notify()

    @contextmanager
    def slot(
        self, on_wait: Callable[[int, int], None] | None = None, poll: float = 0.5
    ) -> Iterator[None]:
        """Hold a slot for the ``with`` block, calling ``on_wait(busy, limit)`` while waiting.

        ``on_wait`` runs every ``poll`` seconds; if it raises, the wait ends without a slot.
        The slot is released however the block ends.
        """
        while not self.try_acquire(timeout=poll):
            if on_wait is not None:
                on_wait(self.busy, self.limit)
        try:
            yield
        finally:
            self.release()


DEFAULT_MAX_TRAININGS = 2


def max_trainings() -> int:
    """How many trainings may run at once: ``$CNNVIZ_MAX_TRAININGS``, else 2 (1 on one CPU).

    Each training runs in a worker process with its own TensorFlow, about 0.7 GB (measured in
    ``bench/bench_memory.py``): two fit Streamlit Community Cloud's 2.7 GB next to the server,
    more would not, however many CPUs the host reports.
    """
    return env_int("CNNVIZ_MAX_TRAININGS", min(DEFAULT_MAX_TRAININGS, os.cpu_count() or 1))


@dataclass(frozen=True)
class TrainingLimits:
    """What one training may use on this server (see :func:`training_limits`).

    Attributes
    ----------
    max_parameters : int
        Every visitor's model stays in the server's memory (4 bytes a parameter), so a model
        may have at most this many: 10 million by default (40 MB). The article's has 1.4 million.
    max_memory_mb : int
        Resident memory (RSS) of one training's worker process, TensorFlow's ~0.8 GB included:
        1,400 MB by default. Two trainings at once share TensorFlow's ~0.5 GB of libraries, so
        two at this limit and the server fit Community Cloud's 2.7 GB.
    max_seconds : int
        Wall time of one training: 600 (10 minutes) by default, so that two long trainings
        cannot hold both slots for hours.
    """

    max_parameters: int = 10_000_000
    max_memory_mb: int = 1400
    max_seconds: int = 600

    def __repr__(self) -> str:
        return (
            f"TrainingLimits({self.max_parameters:,} parameters, {self.max_memory_mb:,} MB, "
            f"{self.max_seconds} s)"
        )


class LimitError(ValueError):
    """A spec whose estimated cost is beyond what one training may use on this server."""


def training_limits() -> TrainingLimits:
    """The limits from ``$CNNVIZ_MAX_PARAMETERS``, ``$CNNVIZ_MAX_WORKER_MB`` and
    ``$CNNVIZ_MAX_TRAINING_SECONDS``, else :class:`TrainingLimits`' defaults.

    >>> training_limits()
    TrainingLimits(10,000,000 parameters, 1,400 MB, 600 s)
    """
    default = TrainingLimits()
    return TrainingLimits(
        max_parameters=env_int("CNNVIZ_MAX_PARAMETERS", default.max_parameters),
        max_memory_mb=env_int("CNNVIZ_MAX_WORKER_MB", default.max_memory_mb),
        max_seconds=env_int("CNNVIZ_MAX_TRAINING_SECONDS", default.max_seconds),
    )


def check_limits(
    spec: ModelSpec, n_train: int, n_test: int, limits: TrainingLimits | None = None
) -> Cost:
    """Estimate what training ``spec`` costs and refuse it if that is beyond ``limits``.

    Parameters
    ----------
    spec : ModelSpec
    n_train, n_test : int
        Training digits, and test digits scored after each epoch.
    limits : TrainingLimits, optional
        Defaults to :func:`training_limits`.

    Returns
    -------
    Cost
        The estimate (:func:`cnnviz.learning.model.estimate_cost`), for the page to show.

    Raises
    ------
    LimitError
        Naming the limit, the estimate, why the limit exists and what to change.

    Examples
    --------
    >>> check_limits(ModelSpec(), 4000, 1000).parameters
    1387594
    >>> try:
    ...     check_limits(ModelSpec(dense_units=4096), 4000, 1000)
    ... except LimitError as error:
    ...     print(str(error)[:48])
    This model has 22,196,554 parameters; a model tr
    """
    limits = limits or training_limits()
    cost = estimate_cost(spec, n_train, n_test)  # counts the spec's pixels × channels
    if cost.parameters > limits.max_parameters:
        raise LimitError(
            f"This model has {cost.parameters:,} parameters; a model trained on this server may "
            f"have at most {limits.max_parameters:,} (the server keeps every visitor's model in "
            "its memory). Use fewer kernels or dense neurons, or pooling."
        )
    needed = math.ceil(cost.peak_bytes / 2**20)
    if needed > limits.max_memory_mb:
        batch_heavy = cost.activation_bytes > cost.parameters * 24
        fix = (
            "Use a smaller batch size, fewer kernels, or pooling."
            if batch_heavy
            else "Use fewer kernels or dense neurons, or pooling."
        )
        raise LimitError(
            f"Training this model would need about {needed:,} MB of memory; one training on "
            f"this server may use at most {limits.max_memory_mb:,} MB (two trainings share the "
            f"host with every visitor). {fix}"
        )
    if cost.seconds > limits.max_seconds:
        raise LimitError(
            f"Training this model would take about {format_duration(cost.seconds)} "
            f"({format_duration(cost.seconds_per_epoch)} per epoch × {cost.epochs}); one "
            f"training on this server may take at most {format_duration(limits.max_seconds)}, so "
            "that other visitors get their turn. Use fewer epochs, fewer training digits, or a "
            "smaller model."
        )
    return cost


def format_duration(seconds: float) -> str:
    """A duration as the pages and messages write it: seconds below 90 s, then minutes, hours.

    Parameters
    ----------
    seconds : float
        The duration, at least 0.

    Returns
    -------
    str
        Two significant digits below 10 s, whole seconds below 90 s, whole minutes below two
        hours, then hours and minutes.

    Examples
    --------
    >>> [format_duration(s) for s in (0.5, 3, 45, 600, 9000, 7200)]
    ['0.5 s', '3 s', '45 s', '10 min', '2 h 30 min', '2 h']
    """
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 90:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def train(
    model,
    data: Dataset,
    spec: ModelSpec,
    *,
    on_update: Callable[[TrainingRun], None] | None = None,
    update_every: float = DEFAULT_UPDATE_EVERY,
    should_stop: Callable[[], bool] | None = None,
    on_scoring: Callable[[bool], None] | None = None,
    run: TrainingRun | None = None,
) -> TrainingRun:
    """Train ``model`` on ``data`` for ``spec.epochs`` epochs in batches of ``spec.batch_size``.

    Parameters
    ----------
    model : keras.Model
        Built and compiled, e.g. by :func:`cnnviz.learning.model.build_model`.
    data : Dataset
        Training digits to learn from; test digits scored after each epoch.
    spec : ModelSpec
        Gives ``epochs``, ``batch_size`` and ``seed`` (the order of the digits).
    on_update : callable, optional
        ``on_update(run)`` at the start, then at most once every ``update_every`` seconds,
        and once at the end. If it raises, training ends there and the exception propagates.
    should_stop : callable, optional
        Polled after every batch; when it returns True, training ends after that batch.
    on_scoring : callable, optional
        ``on_scoring(True)`` when Keras starts scoring the test digits at the end of an epoch
        (no batch ends meanwhile, so ``should_stop`` is not polled: seconds on full MNIST), and
        ``on_scoring(False)`` when it is done.
    run : TrainingRun, optional
        A record to fill in (so a caller holds it even if training is interrupted).

    Returns
    -------
    TrainingRun
        ``status`` is ``"finished"`` after every epoch, else ``"stopped"``.

    Notes
    -----
    This is ``model.fit(...)`` with one callback added. Each epoch visits the digits in the
    order of a stateless shuffle seeded by ``(spec.seed, epoch)``.
    """
    keras_module()
    import tensorflow as tf

    check_data(spec, data)
    if run is None:
        run = TrainingRun.plan(spec, len(data.x_train))
    batches = _shuffled_batches(tf, data.x_train, data.y_train, spec)
    live = _live_callback_class()(run, on_update, update_every, should_stop, on_scoring)
    try:
        with contextlib.suppress(_StopRequested):
            model.fit(
                batches,
                epochs=spec.epochs,
                steps_per_epoch=run.steps_per_epoch,
                validation_data=(
                    as_model_input(data.x_test),
                    one_hot(data.y_test, spec.classes),
                ),
                shuffle=False,  # the pipeline above has shuffled already
                callbacks=[live],
                verbose=0,
            )
    finally:
        live.clock_stop()
        run.status = "finished" if run.step >= run.total_steps else "stopped"
    if on_update is not None:
        on_update(run)
    return run


def train_new_model(
    spec: ModelSpec,
    data: Dataset,
    *,
    on_update: Callable[[TrainingRun], None] | None = None,
    update_every: float = DEFAULT_UPDATE_EVERY,
    should_stop: Callable[[], bool] | None = None,
) -> TrainedModel:
    """Build the model for ``spec``, :func:`train` it on ``data`` and score it on the test digits.

    The arguments after ``data`` are :func:`train`'s. A stopped training is scored too: the
    model keeps, and is scored with, the weights it had reached.

    Returns
    -------
    TrainedModel
        With its ``run``, ``evaluation`` and ``keras_file``.
    """
    model = build_model(spec)
    run = train(
        model,
        data,
        spec,
        on_update=on_update,
        update_every=update_every,
        should_stop=should_stop,
    )
    return TrainedModel.from_keras(model, spec, data, run)


def evaluate(weights: list[np.ndarray], spec: ModelSpec, data: Dataset) -> Evaluation:
    """Score the model with these weights on the test digits of ``data``.

    Parameters
    ----------
    weights : list of ndarray
        As ``model.get_weights()`` of ``build_model(spec)``.
    spec : ModelSpec
    data : Dataset

    Returns
    -------
    Evaluation
        Probabilities, predictions, accuracy, confusion matrix and the misclassified digits.
        The probabilities are :func:`cnnviz.learning.nn.predict`'s, which equal Keras'.
    """
    return evaluation_of(predict(weights, as_model_input(data.x_test), spec), data)


def check_data(spec: ModelSpec, data: Dataset) -> None:
    """Raise ValueError unless ``data`` fits the spec: pictures of its input shape, as many
    class names as its class count (or none: digits), and labels in ``0..spec.classes - 1``.

    >>> check_data(ModelSpec(input_shape=(64, 64, 3)), load_sample())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The pictures are 28×28×1 but the model takes 64×64×3: ...
    >>> check_data(ModelSpec(classes=3), load_sample())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The labels go up to 9 but the model has 3 classes (labels 0..2): ...
    """
    if data.input_shape != spec.input_shape:
        given = "×".join(str(n) for n in data.input_shape)
        wanted = "×".join(str(n) for n in spec.input_shape)
        raise ValueError(
            f"The pictures are {given} but the model takes {wanted}: set the spec's "
            "`input_shape` to the pictures' shape."
        )
    if len(data.class_names) not in (0, spec.classes):
        raise ValueError(
            f"The data names {len(data.class_names)} classes but the model has "
            f"{spec.classes}: set the spec's `classes` to {len(data.class_names)}."
        )
    top = max((int(y.max()) for y in (data.y_train, data.y_test) if y.size), default=0)
    if top >= spec.classes:
        raise ValueError(
            f"The labels go up to {top} but the model has {spec.classes} classes (labels "
            f"0..{spec.classes - 1}): set the spec's `classes` to at least {top + 1}."
        )


def evaluation_of(probabilities: np.ndarray, data: Dataset) -> Evaluation:
    """The :class:`Evaluation` of a model that gave ``probabilities`` (N, K) for ``data``'s N
    test pictures: what :func:`evaluate` returns, from answers computed before. ``K`` is the
    model's class count (``spec.classes``)."""
    predicted = probabilities.argmax(axis=1)
    true = data.y_test.astype(np.intp)
    wrong = np.flatnonzero(predicted != true)
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")]
    return Evaluation(
        probabilities=probabilities,
        predicted=predicted,
        true=true,
        accuracy=float(np.mean(predicted == true)),
        confusion=confusion_matrix(true, predicted, probabilities.shape[1]),
        wrong=wrong,
        wrong_images=data.x_test[wrong],
    )


def confusion_matrix(true, predicted, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    true, predicted : array_like, shape (N,)
        Class labels in ``0 .. num_classes - 1``.

    Returns
    -------
    ndarray, shape (K, K), int
        Row ``t``, column ``p``: digits of class ``t`` predicted as ``p``. The diagonal holds
        the right answers; each row sums to the number of test digits of that class.

    Examples
    --------
    Two 0s, one read as a 1, and one 1 read right:

    >>> confusion_matrix([0, 0, 1], [0, 1, 1], num_classes=2)
    array([[1, 1],
           [0, 1]])
    """
    true = np.asarray(true, dtype=np.intp)
    predicted = np.asarray(predicted, dtype=np.intp)
    if true.shape != predicted.shape or true.ndim != 1:
        raise ValueError(
            "`true` and `predicted` must be 1-D and the same length. "
            f"Received: shapes {true.shape} and {predicted.shape}."
        )
    pairs = true * num_classes + predicted
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, -1)


def first_layer_kernels(weights: list[np.ndarray]) -> np.ndarray:
    """The learned kernels of the first conv layer, one ``k × k`` image per kernel.

    Parameters
    ----------
    weights : list of ndarray
        A model's weights, as :attr:`TrainedModel.weights` or ``model.get_weights()``: the
        first is ``conv_1``'s kernel, shape ``(k, k, C, F)``.

    Returns
    -------
    ndarray, shape (F, k, k) for one input channel, (F, k, k, C) for C > 1
        Kernel ``f`` is what ``conv_1`` cross-correlates with the input to make feature map ``f``
        (its bias left out); a colour model's kernels keep their ``C`` channels last, as a
        picture's are.

    Examples
    --------
    >>> kernel = np.arange(2 * 2 * 1 * 3).reshape(2, 2, 1, 3)  # k = 2, C = 1, F = 3
    >>> first_layer_kernels([kernel, np.zeros(3)])[1]
    array([[ 1,  4],
           [ 7, 10]])
    >>> first_layer_kernels([np.zeros((3, 3, 3, 8)), np.zeros(8)]).shape  # C = 3, F = 8
    (8, 3, 3, 3)
    """
    kernel = np.asarray(weights[0])
    if kernel.ndim != 4:
        raise ValueError(
            "`weights[0]` must be a first conv layer's kernel of shape (k, k, C, F). "
            f"Received: shape {kernel.shape}."
        )
    if kernel.shape[2] == 1:
        return np.transpose(kernel[:, :, 0, :], (2, 0, 1))  # (F, k, k)
    return np.transpose(kernel, (3, 0, 1, 2))  # (F, k, k, C)


def model_bytes(model) -> bytes:
    """A Keras model as a ``.keras`` file: architecture, weights and its compile settings.

    ``keras.models.load_model`` gives it back ready to predict or to train further (a model
    rebuilt from :attr:`TrainedModel.weights` starts the optimizer's running averages afresh).
    Runs where the model was trained (a worker), as it needs Keras.
    """
    with tempfile.TemporaryDirectory(prefix="cnnviz-") as folder:
        path = os.path.join(folder, "cnnviz-model.keras")
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def default_model(
    data: Dataset | None = None,
    *,
    cache_dir: str | None = None,
    trainer: Callable[[ModelSpec, Dataset], TrainedModel] | None = None,
) -> TrainedModel:
    """The article's model trained on the sample for its 5 epochs with seed 0, ready to use.

    Parameters
    ----------
    data : Dataset, optional
        Defaults to :func:`cnnviz.learning.data.load_sample`.
    cache_dir : str, optional
        Where the trained weights and their test scores are kept between runs (default:
        :func:`cnnviz.learning.store.cache_dir`). The file name holds a hash of the spec, the
        data and the Keras version, so any change trains afresh.
    trainer : callable, optional
        ``trainer(spec, data) -> TrainedModel`` trains it when it is not cached: by default
        :func:`train_new_model`, here; a server passes one that trains in a worker process.

    Returns
    -------
    TrainedModel
        With its :class:`Evaluation` on the test digits. ``run`` is ``None`` when the weights
        came from the cache.

    Notes
    -----
    Several processes may ask at once (the test suite's workers, replicas of a server sharing
    a disk): the first takes a lock on ``<weights file>.lock`` and trains, the others wait for
    the lock and then load what it saved, so the model is trained once, not once per process.
    """
    data = data or load_sample()
    spec = ModelSpec()
    path = _default_model_path(spec, data, cache_dir)
    saved = _load_model(path)
    if saved is None:
        with store.locked(f"{path}.lock"):
            saved = _load_model(path)  # another process may have trained it meanwhile
            if saved is None:
                trained = (trainer or train_new_model)(spec, data)
                if trained.evaluation is None:
                    trained.evaluation = evaluate(trained.weights, spec, data)
                _save_model(path, trained.weights, trained.evaluation.probabilities)
    if saved is not None:
        weights, probabilities = saved
        trained = TrainedModel(spec, data.name, weights)
        if probabilities is not None and probabilities.shape == (len(data.y_test), NUM_CLASSES):
            trained.evaluation = evaluation_of(probabilities, data)  # data is in the file key
        else:  # scored by an older core, or not at all: score now and keep that
            trained.evaluation = evaluate(weights, spec, data)
            with store.locked(f"{path}.lock"):
                _save_model(path, weights, trained.evaluation.probabilities)
    return trained.without_file()  # shared by every session to look into; nobody downloads it


def default_model_cached(data: Dataset | None = None, *, cache_dir: str | None = None) -> bool:
    """Whether :func:`default_model` would load its weights from disk (no training needed).

    ``make warm`` saves them; the talk page's pre-flight line asks before a talk.
    """
    path = _default_model_path(ModelSpec(), data or load_sample(), cache_dir)
    return os.path.exists(path)


def _default_model_path(spec: ModelSpec, data: Dataset, cache_dir: str | None) -> str:
    """The default model's file: its name holds a hash of the spec, the data and Keras' version."""
    recipe = f"{spec!r}|{data.fingerprint()}|{importlib.metadata.version('keras')}"
    key = hashlib.sha256(recipe.encode()).hexdigest()[:16]
    return os.path.join(store.cache_dir(cache_dir), f"default-model-{key}.npz")


def _load_model(path: str) -> tuple[list[np.ndarray], np.ndarray | None] | None:
    """The weights ``w0, w1, …`` and test probabilities kept in ``path``, or None if there is
    none. The probabilities are None if the file has none or a core of another
    :data:`~cnnviz.learning.store.CACHE_VERSION` computed them (they are scored again)."""
    arrays = store.load_arrays(path)
    if arrays is None:
        return None
    weights = [arrays[f"w{i}"] for i in range(sum(name.startswith("w") for name in arrays))]
    current = int(arrays.get("version", -1)) == store.CACHE_VERSION
    return weights, arrays.get("probabilities") if current else None


def _save_model(path: str, weights: list[np.ndarray], probabilities: np.ndarray) -> None:
    """Keep the weights with the test probabilities and the core's version that computed them."""
    arrays = {f"w{i}": w for i, w in enumerate(weights)}
    version = np.array(store.CACHE_VERSION)
    store.save_arrays(path, {**arrays, "probabilities": probabilities, "version": version})


def _shuffled_batches(tf, x: np.ndarray, y: np.ndarray, spec: ModelSpec):
    """A tf.data pipeline of ``spec.epochs`` epochs of ``(images, one-hot labels)`` batches.

    Epoch ``e`` visits the pictures in the order of a stateless shuffle seeded by
    ``(spec.seed, e)``: it depends on nothing but the seed. ``x`` is (N, H, W) (MNIST, a
    channel axis is added) or (N, H, W, C) uint8; the batches are (B, H, W, C) float32 in [0, 1].

    With ``spec.shift`` or ``spec.flip``, each picture of epoch ``e`` is also moved by a whole
    number of pixels ``(dy, dx)``, each from ``-shift`` to ``shift`` (the cells it leaves are
    zero), and, with ``flip``, mirrored left to right half of the time (before the move). The
    moves are drawn for the whole epoch by stateless ops seeded by ``(spec.seed, -1 - e)``
    (never a shuffle's seed), so they too depend on the seed alone.
    """
    images = tf.constant(x if x.ndim == 4 else x[..., None])  # (N, H, W, C) uint8
    labels = tf.constant(one_hot(y, spec.classes))  # (N, K)
    count = len(x)
    augment = spec.shift > 0 or spec.flip

    def one_epoch(epoch):
        seed = tf.stack([tf.constant(spec.seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(tf.range(count), seed=seed)
        if not augment:
            return tf.data.Dataset.from_tensor_slices(order).batch(spec.batch_size)
        moves = _epoch_moves(tf, spec, epoch, count)  # (N, 3): dy, dx, flip per position
        return tf.data.Dataset.from_tensor_slices((order, moves)).batch(spec.batch_size)

    def gather(indices, moves=None):
        batch = tf.cast(tf.gather(images, indices), tf.float32) / 255.0  # (B, H, W, C)
        if moves is not None:
            batch = _moved(tf, batch, moves, spec.shift)
        return batch, tf.gather(labels, indices)  # (B, H, W, C), (B, K)

    epochs = tf.data.Dataset.range(spec.epochs).flat_map(one_epoch)
    return epochs.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def _epoch_moves(tf, spec: ModelSpec, epoch, count: int):
    """Epoch ``epoch``'s moves, one row ``(dy, dx, flip)`` per position in its order, (N, 3)
    int32: ``dy, dx`` in ``-shift .. shift``, ``flip`` 1 to mirror (only if ``spec.flip``)."""
    seed = tf.stack([tf.constant(spec.seed, tf.int64), -1 - epoch])
    draws = tf.random.stateless_uniform(
        (count, 3), seed=seed, minval=0, maxval=2**30, dtype=tf.int32
    )
    span = 2 * spec.shift + 1
    shifts = draws[:, :2] % span - spec.shift  # (N, 2)
    flips = draws[:, 2:] % 2 if spec.flip else tf.zeros_like(draws[:, 2:])  # (N, 1)
    return tf.concat([shifts, flips], axis=1)


def _moved(tf, batch, moves, shift: int):
    """The pictures of ``batch`` (B, H, W, C), each mirrored if its ``moves`` row says so, then
    moved down by ``dy`` and right by ``dx`` pixels with zeros where nothing moved in."""
    flipped = tf.cast(moves[:, 2], tf.bool)[:, None, None, None]
    batch = tf.where(flipped, tf.reverse(batch, axis=[2]), batch)
    if shift == 0:
        return batch
    h, w = batch.shape[1], batch.shape[2]
    padded = tf.pad(batch, [[0, 0], [shift, shift], [shift, shift], [0, 0]])
    # Output row r reads padded row r + shift - dy: the picture moved down by dy.
    rows = tf.range(h)[None, :] + shift - moves[:, :1]  # (B, H)
    cols = tf.range(w)[None, :] + shift - moves[:, 1:2]  # (B, W)
    picked = tf.gather(padded, rows, axis=1, batch_dims=1)  # (B, H, W + 2 shift, C)
    return tf.gather(picked, cols, axis=2, batch_dims=1)  # (B, H, W, C)


class _StopRequested(Exception):
    """Raised from the callback to leave ``model.fit`` at once when ``should_stop`` says so."""


@functools.cache
def _live_callback_class():
    """The Keras callback class, made on first use so that importing this module stays light."""
    keras = keras_module()

    class LiveCallback(keras.callbacks.Callback):
        """Fills a TrainingRun after every batch and epoch; calls on_update, throttled."""

        def __init__(self, run, on_update, update_every, should_stop, on_scoring):
            super().__init__()
            self.on_scoring = on_scoring
            self.run = run
            self.on_update = on_update
            self.update_every = update_every
            self.should_stop = should_stop
            self._last_update = -math.inf
            self._clock_from: float | None = None
            self._epoch_seen = 0  # digits seen in this epoch
            self._epoch_means = (0.0, 0.0)  # running means Keras reported after the last batch
            self._snapshot_at = set(run.snapshot_steps())

        def on_train_begin(self, logs=None):
            self._snapshot()  # the random start, before the clock runs
            self._clock_from = time.perf_counter()
            self._notify(force=True)

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch_seen = 0
            self._epoch_means = (0.0, 0.0)

        def on_train_batch_end(self, batch, logs=None):
            run = self.run
            size = min(run.batch_size, run.n_train - batch * run.batch_size)
            seen = self._epoch_seen + size
            # Keras reports means over the epoch so far; undo that to get this batch alone.
            old_loss, old_acc = self._epoch_means
            loss, acc = float(logs["loss"]), float(logs["accuracy"])
            run.batch_loss.append((loss * seen - old_loss * self._epoch_seen) / size)
            run.batch_accuracy.append((acc * seen - old_acc * self._epoch_seen) / size)
            self._epoch_seen, self._epoch_means = seen, (loss, acc)
            run.step += 1
            run.samples_seen += size
            self._tick()
            self._snapshot()
            last = run.step >= run.total_steps  # nothing left to stop
            if not last and self.should_stop is not None and self.should_stop():
                # Not model.stop_training: Keras would still score the test set for the
                # unfinished epoch, seconds on full MNIST, while the visitor waits on Stop.
                raise _StopRequested
            self._notify()

        def on_test_begin(self, logs=None):
            if self.on_scoring is not None:
                self.on_scoring(True)

        def on_test_end(self, logs=None):
            if self.on_scoring is not None:
                self.on_scoring(False)

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if "val_accuracy" in logs:
                self.run.test_accuracy.append(float(logs["val_accuracy"]))
                self.run.test_loss.append(float(logs["val_loss"]))
                self.run.test_at.append(self.run.step / self.run.steps_per_epoch)
            self._tick()
            self._notify()

        def _snapshot(self):
            """Keep the first conv layer if this step is one of the run's snapshot steps."""
            run = self.run
            taken = run.snapshots and run.snapshots[-1].step == run.step
            if run.step in self._snapshot_at and not taken:
                kernel, bias = self.model.get_layer("conv_1").get_weights()
                run.snapshots.append(
                    KernelSnapshot(run.step, kernel.astype(np.float32), bias.astype(np.float32))
                )

        def clock_stop(self):
            self._tick()
            self._clock_from = None

        def _tick(self):
            if self._clock_from is not None:
                now = time.perf_counter()
                self.run.elapsed += now - self._clock_from
                self._clock_from = now

        def _notify(self, force=False):
            if self.on_update is None:
                return
            now = time.monotonic()
            if force or now - self._last_update >= self.update_every:
                self._last_update = now
                self.on_update(self.run)

    return LiveCallback
