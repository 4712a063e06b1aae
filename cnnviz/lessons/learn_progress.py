"""The Learn page's last two ideas: kernels becoming detectors, and depth against difficulty.

Kernels becoming detectors. Every training keeps 16 snapshots of its first conv layer
(:attr:`cnnviz.learning.training.TrainingRun.snapshots`), from the seed's random start to the
end. :func:`progress` says whether a model has them (else what to do) and labels them for a
slider; :func:`snapshot_view` shows snapshot ``i``: every kernel beside its feature map on one
digit at that moment, each kernel's numbers, and a sentence on what changed. The maps are the
core's own convolution (:func:`cnnviz.learning.nn.conv_forward`, then ReLU), no TensorFlow.

Depth and the difficulty of training. :func:`depth_specs` are the article's model with 1, 2
and 3 conv blocks; :func:`depth_results` trains the three under one budget (same digits, order,
epochs and time limit) through a ``trainer`` the page gives (worker processes) and keeps the
figures on disk (:func:`cnnviz.learning.store.remembered`), :func:`depth_kept` reads them back
without training, and :func:`depth_view` turns them into the sentences and curves shown.

No Streamlit. Texts are Markdown written here; nothing a visitor typed appears in them.

Letters used in shapes: ``F`` kernels, ``k`` kernel size, ``H, W`` a map's height and width.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from cnnviz.learning import store
from cnnviz.learning.data import Dataset
from cnnviz.learning.model import ModelSpec, total_parameters
from cnnviz.learning.nn import conv_forward
from cnnviz.learning.training import (
    SMOOTHING_WINDOW,
    KernelSnapshot,
    TrainedModel,
    TrainingRun,
    format_duration,
    training_limits,
)
from cnnviz.maths.activations import relu
from cnnviz.pictures import (
    ColorScale,
    colorbar_image,
    map_grid,
    number_grid_figure,
    number_text,
    png_bytes,
    scale_for,
)
from cnnviz.pictures.charts import readable

__all__ = [
    "DEPTH_BLOCKS",
    "DEPTH_FILTERS",
    "DEPTH_INTRO",
    "DEPTH_BUSY",
    "DEPTH_MEASURING",
    "DEPTH_SECONDS",
    "PROGRESS_INTRO",
    "DepthRow",
    "DepthView",
    "KernelNumbers",
    "Progress",
    "SnapshotView",
    "depth_key",
    "depth_kept",
    "depth_offer",
    "depth_seconds",
    "depth_progress",
    "depth_results",
    "depth_specs",
    "depth_view",
    "digit_choices",
    "digit_pixels",
    "progress",
    "snapshot_view",
]

PROGRESS_INTRO = (
    "Nobody designs the kernels: they start as random numbers and each step of the training "
    "nudges them. The Train page keeps 16 snapshots of the first layer's kernels during a "
    "training, from the random start to the end. Move the slider to watch them turn from noise "
    "into detectors of strokes and edges, each beside the feature map it makes of one digit at "
    "that moment."
)
DEPTH_INTRO = (
    "The article says more layers help but are harder to train. Here the article's model is "
    "trained with 1, 2 and 3 conv blocks under the same budget, on this server, and the "
    "figures measured are shown as they came out."
)
DEPTH_MEASURING = "Measuring: three trainings, one after another…"
DEPTH_BUSY = (
    "Another visitor's measurement of this comparison is running right now: come back in a "
    "minute or two and its figures will be here."
)
MAX_MAPS = 64  # more kernels than this: the first 64 are drawn
MAP_TILE = 80  # pixels per map in the picture
TILE_NUMBER_PX = 20  # the maps' numbers (the picture is shown shrunk beside its colour bars)
DEPTH_BLOCKS = (1, 2, 3)
DEPTH_FILTERS = 32  # kernels in every conv block of the comparison
# Each training's time limit, the same for every depth: a cap rather than the budget that
# decides (5 epochs of the sample take seconds), generous for a busy 2-core server; never above
# the server's own limit (:func:`depth_seconds`).
DEPTH_SECONDS = 300
DEPTH_NAME = "depth-comparison"  # the cache file's name
_DEPTH_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")


# --- kernels becoming detectors -----------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Whether a model has kernel snapshots to scrub through.

    Attributes
    ----------
    ready : bool
        False when there is no model, or its training kept no snapshots.
    message : str
        When not ready, what to do (train a model on the Train page); else what the snapshots
        cover.
    labels : tuple of str
        One short label per snapshot, for the slider ("start", "batch 40", …).
    """

    ready: bool
    message: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class KernelNumbers:
    """One kernel's weights and bias at one snapshot (``number`` counts from 1)."""

    number: int
    weights: np.ndarray = field(repr=False)  # (k, k), read-only
    bias: float


@dataclass(frozen=True)
class SnapshotView:
    """Snapshot ``index`` of ``count``: the kernels, their maps on the digit, what changed.

    Attributes
    ----------
    title : str
        Where the training was ("Batch 125 of 625 (1 epoch)").
    change : str
        What changed since the previous snapshot and since the random start (Markdown).
    picture : bytes
        PNG: every kernel (at most 64) with its feature map on the digit after ReLU on its right.
    caption : str
    kernel_bar, map_bar : ndarray of uint8, shape (200, 110, 3)
        The two colour scales, shared by every snapshot so that growth shows.
    kernels : tuple of KernelNumbers
        Every kernel's numbers.
    maps : ndarray, shape (H, W, F)
        The feature maps drawn, read-only: ``relu(conv_forward(digit, kernel, bias))``.
    picked : go.Figure
        The numbers of the kernel asked for, on the kernels' colour scale.
    """

    index: int
    count: int
    step: int
    title: str
    change: str
    picture: bytes = field(repr=False)
    caption: str
    kernel_bar: np.ndarray = field(repr=False)
    map_bar: np.ndarray = field(repr=False)
    kernels: tuple[KernelNumbers, ...] = field(repr=False)
    maps: np.ndarray = field(repr=False)
    picked: go.Figure = field(repr=False)


def progress(trained: TrainedModel | None) -> Progress:
    """Whether ``trained`` kept snapshots of its first layer, and their labels.

    Examples
    --------
    >>> progress(None).ready
    False
    >>> run = TrainingRun(1, steps_per_epoch=2, batch_size=32, n_train=64, status="finished")
    >>> run.snapshots = [KernelSnapshot(s, np.zeros((3, 3, 1, 2)), np.zeros(2)) for s in (0, 1, 2)]
    >>> progress(TrainedModel(ModelSpec(filters=(2,)), "none", [], run)).labels
    ('start', 'batch 1', 'batch 2 (end)')
    """
    if trained is None:
        return Progress(
            False,
            "There is no model of yours yet. Train one on the Train page (the article's model "
            "trains in seconds on the sample): it keeps 16 snapshots of its first layer's "
            "kernels on the way, and they appear here.",
        )
    run = trained.run
    if run is None or not run.snapshots:
        return Progress(
            False,
            "Your model kept no snapshots of its kernels (it was trained before the app kept "
            "them, or its record is gone). Train it again on the Train page to see them here.",
        )
    snapshots = run.snapshots
    last = snapshots[-1].step
    labels = tuple(_label(s.step, last, run) for s in snapshots)
    kept = "its 16 snapshots" if len(snapshots) == 16 else f"the {len(snapshots)} snapshots"
    stopped = " (it was stopped there)" if run.status == "stopped" else ""
    message = (
        f"Your model ({_kernels_text(snapshots[0])}) kept {kept} of its first layer, from the "
        f"random start to batch {last:,} of {run.total_steps:,}{stopped}."
    )
    return Progress(True, message, labels)


def _label(step: int, last: int, run: TrainingRun) -> str:
    if step == 0:
        return "start"
    return f"batch {step:,}" + (" (end)" if step == last and run.status == "finished" else "")


def _kernels_text(snapshot: KernelSnapshot) -> str:
    k, _, _, count = snapshot.kernel.shape
    return f"{count} kernel{'s' if count != 1 else ''} of {k}×{k}"


def digit_choices(data: Dataset) -> dict[int, int]:
    """The first test digit of each class: ``{label: index into data.x_test}``.

    >>> from cnnviz.learning.data import load_sample
    >>> choices = digit_choices(load_sample())
    >>> sorted(choices) == list(range(10))
    True
    """
    choices: dict[int, int] = {}
    for index, label in enumerate(data.y_test.tolist()):
        choices.setdefault(int(label), index)
        if len(choices) == 10:
            break
    return dict(sorted(choices.items()))


def digit_pixels(data: Dataset, label: int) -> np.ndarray:
    """The test digit :func:`digit_choices` picks for ``label``, pixels in [0, 1], (28, 28).

    >>> from cnnviz.learning.data import load_sample
    >>> float(digit_pixels(load_sample(), 7).max())
    1.0
    """
    return np.asarray(data.x_test[digit_choices(data)[int(label)]], dtype=np.float64) / 255.0


def _maps(snapshot: KernelSnapshot, x: np.ndarray) -> np.ndarray:
    """conv_1's feature maps of the digit ``x`` (28, 28) after ReLU: (H, W, F)."""
    return relu(conv_forward(x[None, :, :, None], snapshot.kernel, snapshot.bias))[0]


def snapshot_view(
    trained: TrainedModel, index: int, digit: np.ndarray, *, kernel: int = 0
) -> SnapshotView:
    """Snapshot ``index`` of ``trained``'s training, with its maps of ``digit``.

    Parameters
    ----------
    trained : TrainedModel
        One whose :func:`progress` is ready.
    index : int
        Which snapshot, from 0 (the random start) to ``len(run.snapshots) − 1``.
    digit : ndarray, shape (28, 28)
        Pixels in [0, 1], as the model sees them.
    kernel : int
        The kernel whose numbers :attr:`SnapshotView.picked` shows, from 0.

    Returns
    -------
    SnapshotView
        The maps are ``relu(conv_forward(digit, kernel, bias))``, the first layer's output. Kernels
        and maps are coloured on scales shared by all snapshots of the training: the random
        start's faint maps look faint.

    Examples
    --------
    >>> run = TrainingRun(epochs=1, steps_per_epoch=2, batch_size=32, n_train=64)
    >>> start = np.zeros((3, 3, 1, 1), np.float32)
    >>> run.snapshots = [KernelSnapshot(0, start, np.zeros(1)),
    ...                  KernelSnapshot(2, start + 1, np.zeros(1))]
    >>> model = TrainedModel(ModelSpec(filters=(1,)), "none", [], run)
    >>> view = snapshot_view(model, 1, np.full((28, 28), 0.5))
    >>> view.title, view.kernels[0].weights[0, 0]
    ('Batch 2 of 2 (1 epoch)', np.float32(1.0))
    """
    run = trained.run
    snapshots = run.snapshots if run is not None else []
    if not 0 <= index < len(snapshots):
        raise ValueError(
            f"`index` must be a snapshot from 0 to {len(snapshots) - 1}. Received: index={index}."
        )
    digit = np.asarray(digit, dtype=np.float32)
    if digit.shape != (28, 28):
        raise ValueError(f"`digit` must be (28, 28). Received: shape {digit.shape}.")
    snapshot = snapshots[index]
    count = snapshot.kernel.shape[-1]
    if not 0 <= kernel < count:
        raise ValueError(f"`kernel` must be from 0 to {count - 1}. Received: kernel={kernel}.")
    shown = min(count, MAX_MAPS)
    every_map = [_maps(s, digit)[..., :shown] for s in snapshots]
    every_kernel = [s.kernel[:, :, 0, :shown] for s in snapshots]  # (k, k, F) each
    map_scale = scale_for(*every_map, signed=False)
    kernel_scale = scale_for(*every_kernel, signed=True)
    kernels = np.transpose(every_kernel[index], (2, 0, 1))  # (F, k, k)
    picture = map_grid(
        every_map[index],
        map_scale,
        kernels=kernels,
        kernel_scale=kernel_scale,
        tile=MAP_TILE,
        number_px=TILE_NUMBER_PX,
    )
    numbers = tuple(
        KernelNumbers(f + 1, _frozen(snapshot.kernel[:, :, 0, f]), float(snapshot.bias[f]))
        for f in range(count)
    )
    picked = numbers[kernel]
    figure = number_grid_figure(
        picked.weights,
        title=f"Kernel {picked.number}: its weights (bias {number_text(picked.bias, 3)})",
        scale=kernel_scale,
        digits=2,
        height=300,
        origin=(0, 0),  # whole rows and columns on the axes
    )
    return SnapshotView(
        index=index,
        count=len(snapshots),
        step=snapshot.step,
        title=_title(snapshot.step, run),
        change=_change(snapshots, index, run, trained.spec.seed),
        picture=png_bytes(picture),
        caption=_caption(count, shown, map_scale),
        kernel_bar=colorbar_image(kernel_scale, height=200, label="kernel weight"),
        map_bar=colorbar_image(map_scale, height=200, label="map value"),
        kernels=numbers,
        maps=_frozen(_maps(snapshot, digit)),
        picked=figure,
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array)  # a copy of its own
    array.setflags(write=False)
    return array


def _title(step: int, run: TrainingRun) -> str:
    if step == 0:
        return "The random start, before the first batch"
    epochs = TrainingRun(run.epochs, run.steps_per_epoch, run.batch_size, run.n_train, step=step)
    return f"Batch {step:,} of {run.total_steps:,} ({epochs.epochs_text()})"


def _caption(count: int, shown: int, map_scale: ColorScale) -> str:
    which = f"the first {shown} of its {count} kernels" if shown < count else f"its {count} kernels"
    return (
        f"conv_1's feature maps of this digit after ReLU ({which}), each with its kernel on its "
        "left. The colour scales are the same for every snapshot: a kernel's red weights reward "
        "bright pixels, blue ones penalise them, white is 0; a map runs from black (0) to white "
        f"({number_text(map_scale.vmax, 2)}, the strongest value of any snapshot)."
    )


def _change(snapshots: list[KernelSnapshot], index: int, run: TrainingRun, seed: int) -> str:
    """What changed by snapshot ``index``: how far the weights moved, the loss, the top mover."""
    start, now = snapshots[0], snapshots[index]
    if index == 0:
        bound = float(np.abs(start.kernel).max())
        return (
            f"Keras drew these weights at random (seed {seed}), between "
            f"{number_text(-bound, 2)} and {number_text(bound, 2)}, and set every bias to "
            f"{number_text(float(np.abs(start.bias).max()), 2)}. Nothing is learned yet: each "
            "map is the digit seen through a random filter."
        )
    before = snapshots[index - 1]
    moved_last = float(np.abs(now.kernel - before.kernel).mean())
    moved_all = np.abs(now.kernel - start.kernel).mean(axis=(0, 1, 2))  # (F,)
    size = float(np.abs(start.kernel).mean())
    top = int(moved_all.argmax())
    epochs, batches = divmod(now.step, run.steps_per_epoch)
    seen = epochs * run.n_train + batches * run.batch_size
    loss = _loss_at(run, now.step)
    text = (
        f"After {now.step:,} batches ({seen:,} digits seen), the weights had moved by "
        f"{number_text(moved_last, 3)} on average since the previous snapshot, and by "
        f"{number_text(float(moved_all.mean()), 3)} since the random start"
    )
    if size > 0:
        text += (
            f": {_share(float(moved_all.mean()) / size)} of their typical size then "
            f"({number_text(size, 3)})"
        )
    text += f". Kernel {top + 1} moved most."
    if loss is not None and run.batch_loss:
        text += (
            f" The loss, averaged over the last {SMOOTHING_WINDOW} batches, is "
            f"{number_text(loss, 3)} (the first batch's: {number_text(run.batch_loss[0], 3)})."
        )
    if index == len(snapshots) - 1 and run.status == "finished":
        text += " These are the trained kernels."
    return text


def _share(fraction: float) -> str:
    return f"{fraction:.0%}" if fraction < 10 else f"{fraction:.0f} times"


def _loss_at(run: TrainingRun, step: int) -> float | None:
    if not 0 < step <= len(run.batch_loss):
        return None
    return float(run.smoothed(run.batch_loss[:step])[-1])


# --- depth and the difficulty of training -------------------------------------------------------


@dataclass(frozen=True)
class DepthRow:
    """One depth's measured figures."""

    blocks: int
    parameters: int
    accuracy: float  # on the test digits, by the core's forward pass
    seconds: float  # training time (not loading TensorFlow, not scoring)
    epochs_done: float
    finished: bool  # False if the time limit stopped it
    loss_curve: np.ndarray = field(repr=False)  # (steps,) each batch's loss
    test_at: np.ndarray = field(repr=False)  # (E,) in epochs
    test_accuracy: np.ndarray = field(repr=False)  # (E,)


@dataclass(frozen=True)
class DepthView:
    """The comparison as the page shows it.

    Attributes
    ----------
    budget : str
        What every depth got (the same digits, order, epochs, time limit).
    summary : str
        The figures in plain text: "1 block: 97.3 % in 14 s; 2 blocks: …".
    reading : str
        What the curves say, computed from them.
    rows : tuple of DepthRow
    figure : go.Figure
        The loss curves (left) and test accuracy after each epoch (right), one line per depth.
    """

    budget: str
    summary: str
    reading: str
    rows: tuple[DepthRow, ...] = field(repr=False)
    figure: go.Figure = field(repr=False)


def depth_specs() -> tuple[ModelSpec, ...]:
    """The article's model with 1, 2 and 3 conv blocks of 32 kernels; all else the article's.

    >>> [spec.filters for spec in depth_specs()]
    [(32,), (32, 32), (32, 32, 32)]
    """
    return tuple(ModelSpec(filters=(DEPTH_FILTERS,) * n) for n in DEPTH_BLOCKS)


def depth_seconds() -> int:
    """Each depth's time limit: :data:`DEPTH_SECONDS`, or the server's limit if lower
    (``$CNNVIZ_MAX_TRAINING_SECONDS``, :func:`~cnnviz.learning.training.training_limits`)."""
    return min(DEPTH_SECONDS, training_limits().max_seconds)


def depth_key(data: Dataset) -> str:
    """Names the comparison's file: the specs, the digits, the time limit and Keras' version."""
    keras = importlib.metadata.version("keras")
    specs = "|".join(repr(spec) for spec in depth_specs())
    return store.digest(specs, data.fingerprint(), str(depth_seconds()), keras)


def depth_results(
    data: Dataset,
    trainer: Callable[[ModelSpec, Dataset, int], TrainedModel],
    *,
    folder: str | None = None,
    wait: bool = True,
) -> dict[str, np.ndarray]:
    """Train the three depths with ``trainer`` (or read what an earlier run kept) and return
    their figures as arrays.

    Parameters
    ----------
    data : Dataset
        The digits every depth learns from and is scored on.
    trainer : callable
        ``trainer(spec, data, seconds) -> TrainedModel``: trains ``spec`` on ``data`` in at
        most ``seconds`` (stopping there and keeping what it learned), with its test score. A
        page passes one that trains in the server's worker processes.
    folder : str, optional
        The cache folder (default :func:`cnnviz.learning.store.cache_dir`).
    wait : bool
        False: if another process is measuring it now, raise
        :class:`~cnnviz.learning.store.Busy` at once instead of waiting for it (a page must not
        hold a visitor's script thread for minutes).

    Returns
    -------
    dict of str to ndarray
        For each depth ``n``: ``loss_n`` (each batch's loss), ``test_at_n`` and
        ``test_accuracy_n`` (after each epoch), and 0-d ``accuracy_n``, ``seconds_n``,
        ``epochs_n``, ``finished_n``, ``parameters_n``.

    Notes
    -----
    The first process to ask trains under a file lock; another asking meanwhile waits and reads
    the result (or, with ``wait=False``, is told it is busy). Nothing is kept if a training
    fails or is interrupted.
    """

    seconds = depth_seconds()

    def compute() -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for blocks, spec in zip(DEPTH_BLOCKS, depth_specs(), strict=True):
            trained = trainer(spec, data, seconds)
            run = trained.run
            arrays.update(
                {
                    f"loss_{blocks}": np.asarray(run.batch_loss, np.float32),
                    f"test_at_{blocks}": np.asarray(run.test_at, np.float32),
                    f"test_accuracy_{blocks}": np.asarray(run.test_accuracy, np.float32),
                    f"accuracy_{blocks}": np.array(trained.evaluation.accuracy),
                    f"seconds_{blocks}": np.array(run.elapsed),
                    f"epochs_{blocks}": np.array(run.epochs_done),
                    f"finished_{blocks}": np.array(run.status == "finished"),
                    f"parameters_{blocks}": np.array(total_parameters(spec)),
                }
            )
        return arrays

    return store.remembered(DEPTH_NAME, depth_key(data), compute, folder=folder, wait=wait)


def depth_offer(data: Dataset) -> str:
    """What the button will do, before this server has measured the comparison."""
    return (
        f"This server has not measured it yet. The button trains the three models one after "
        f"another on the {len(data.x_train):,} sample digits, at most "
        f"{format_duration(depth_seconds())} each, in the training workers (a slot each, as on the "
        "Train page); the figures are then kept, so the next visitor sees them at once."
    )


def depth_progress(blocks: int, run: TrainingRun) -> tuple[float, str]:
    """The progress bar's fraction and text while the ``blocks``-block model trains.

    >>> depth_progress(2, TrainingRun(epochs=5, steps_per_epoch=125, batch_size=32,
    ...                               n_train=4000, step=125))
    (0.2, 'Model 2 of 3 (2 conv blocks): epoch 2 of 5 · batch 125 of 625')
    """
    model = f"Model {DEPTH_BLOCKS.index(blocks) + 1} of {len(DEPTH_BLOCKS)} ({blocks} conv "
    model += "block)" if blocks == 1 else "blocks)"
    if run.status == "starting":
        return 0.0, f"{model}: a training worker is loading TensorFlow…"
    current = min(run.epoch + 1, run.epochs)
    where = f"epoch {current} of {run.epochs} · batch {run.step:,} of {run.total_steps:,}"
    return run.progress, f"{model}: {where}"


def depth_kept(data: Dataset, *, folder: str | None = None) -> dict[str, np.ndarray] | None:
    """The figures :func:`depth_results` kept for ``data``, or None if it never ran here."""
    arrays = store.recalled(DEPTH_NAME, depth_key(data), folder=folder)
    needed = {f"{what}_{n}" for n in DEPTH_BLOCKS for what in ("loss", "accuracy", "seconds")}
    return arrays if arrays is not None and needed <= arrays.keys() else None


def depth_view(arrays: Mapping[str, np.ndarray], data: Dataset) -> DepthView:
    """The comparison's figures as sentences and curves.

    Parameters
    ----------
    arrays : mapping
        As :func:`depth_results` returns them.
    data : Dataset
        The digits they were measured on (for the budget's sentence).
    """
    rows = tuple(
        DepthRow(
            blocks=n,
            parameters=int(arrays[f"parameters_{n}"]),
            accuracy=float(arrays[f"accuracy_{n}"]),
            seconds=float(arrays[f"seconds_{n}"]),
            epochs_done=float(arrays[f"epochs_{n}"]),
            finished=bool(arrays[f"finished_{n}"]),
            loss_curve=np.asarray(arrays[f"loss_{n}"]),
            test_at=np.asarray(arrays[f"test_at_{n}"]),
            test_accuracy=np.asarray(arrays[f"test_accuracy_{n}"]),
        )
        for n in DEPTH_BLOCKS
    )
    spec = depth_specs()[0]
    budget = (
        f"The same budget for each: conv blocks of {DEPTH_FILTERS} kernels ({spec.kernel_size}×"
        f"{spec.kernel_size}, ReLU, 2×2 max pooling), then the article's dense layers "
        f"({spec.dense_units} neurons, then 10); the same {len(data.x_train):,} training digits "
        f"in the same order (seed {spec.seed}), {spec.epochs} epochs of batches of "
        f"{spec.batch_size} with Adam (learning rate {spec.learning_rate:g}), at most "
        f"{format_duration(depth_seconds())} each; scored on the same {len(data.x_test):,} test "
        "digits. Measured on this server, in its worker processes."
    )
    return DepthView(
        budget=budget,
        summary=_depth_summary(rows),
        reading=_depth_reading(rows),
        rows=rows,
        figure=_depth_figure(rows),
    )


def _blocks(n: int) -> str:
    return f"{n} block{'s' if n != 1 else ''}"


def _depth_summary(rows: tuple[DepthRow, ...]) -> str:
    """E.g. "1 block: 97.3 % in 14 s; 2 blocks: 96.1 % in 17 s; …" (and where one stopped)."""
    parts = []
    for row in rows:
        part = f"{_blocks(row.blocks)}: {row.accuracy:.1%} in {format_duration(row.seconds)}"
        if not row.finished:
            part += f" (stopped at the time limit after {row.epochs_done:.2f} epochs)"
        parts.append(part)
    return "; ".join(parts) + "."


def _depth_reading(rows: tuple[DepthRow, ...]) -> str:
    """What the measured curves say: the loss after the first epoch and at the end, the best."""
    steps = [
        max(1, round(len(r.loss_curve) / max(r.epochs_done, 1e-9))) if len(r.loss_curve) else 0
        for r in rows
    ]

    def loss_after(row: DepthRow, step: int) -> float:
        return float(np.mean(row.loss_curve[max(0, step - SMOOTHING_WINDOW) : step]))

    first = [loss_after(r, s) for r, s in zip(rows, steps, strict=True)]
    last = [loss_after(r, len(r.loss_curve)) for r in rows]

    def listed(values: list[float]) -> str:
        said = [f"{number_text(v, 3)} with {_blocks(r.blocks)}" for v, r in zip(values, rows)]
        return ", ".join(said[:-1]) + " and " + said[-1]

    text = (
        f"The training loss (mean of the last {SMOOTHING_WINDOW} batches) after the first epoch "
        f"was {listed(first)}"
    )
    if all(a < b for a, b in zip(first, first[1:])):
        text += ": the more blocks, the slower the start"
    elif all(a > b for a, b in zip(first, first[1:])):
        text += ": here the deeper models started faster"
    text += f"; at the end it was {listed(last)}"
    if last[-1] == max(last) and len(rows) > 1:
        text += (
            f": in the same budget, the {rows[-1].blocks}-block model learned the training "
            "digits least well"
        )
    text += ". "
    best = max(rows, key=lambda r: r.accuracy)
    text += (
        f"The best test accuracy: {_blocks(best.blocks)} ({best.accuracy:.1%}). Each block also "
        "shrinks the maps that reach the dense layer (parameters: "
        + ", ".join(f"{r.parameters:,} with {_blocks(r.blocks)}" for r in rows)
        + "), so depth is not the only thing that differs."
    )
    return text


def _depth_figure(rows: tuple[DepthRow, ...]) -> go.Figure:
    """Loss (smoothed, left) and test accuracy after each epoch (right), one colour per depth."""
    traces = []
    for row, colour in zip(rows, _DEPTH_COLOURS, strict=False):
        count = len(row.loss_curve)
        per_epoch = count / row.epochs_done if row.epochs_done else 1.0
        x = np.arange(1, count + 1) / per_epoch
        smooth = TrainingRun(1, count, 1, count).smoothed(row.loss_curve.tolist())
        keep = slice(None, None, max(1, count // 400))
        name = _blocks(row.blocks)
        traces.append(
            go.Scatter(
                x=x[keep],
                y=smooth[keep],
                name=name,
                mode="lines",
                line={"color": colour},
                legendgroup=name,
            )
        )
        traces.append(
            go.Scatter(
                x=row.test_at,
                y=row.test_accuracy,
                name=name,
                mode="lines+markers",
                line={"color": colour},
                xaxis="x2",
                yaxis="y2",
                legendgroup=name,
                showlegend=False,
            )
        )
    layout = go.Layout(
        height=400,
        margin={"l": 60, "r": 20, "t": 30, "b": 110},
        xaxis={"domain": [0, 0.42], "title": {"text": "epoch"}, "rangemode": "tozero"},
        yaxis={"title": {"text": f"loss (last {SMOOTHING_WINDOW} batches)"}, "rangemode": "tozero"},
        xaxis2={"domain": [0.6, 1], "title": {"text": "epoch"}, "anchor": "y2"},
        yaxis2={"title": {"text": "test accuracy"}, "anchor": "x2", "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.3, "x": 0},
    )
    return readable(go.Figure(traces, layout))
