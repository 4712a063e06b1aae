"""Models on the Streamlit side: the shared default model, this visitor's own model, live view.

* :func:`get_default_model` — the article's model trained on the MNIST sample with seed 0,
  built once per server and shared read-only by every session (its weights are cached on disk,
  so a warm start only loads them). Use it for predictions; never ``fit`` it.
* :func:`get_session_model` / :func:`session_model_box` — the model this visitor trained on
  the Train page, kept in a :class:`SessionModel` in ``st.session_state`` (so in this browser
  tab only).
* :func:`training_started` / :func:`wait_for_training_to_end` — see below.
* :func:`get_current_model` — the visitor's own model if there is one, else the default, and
  whether it is their own.
* :func:`get_dataset` — MNIST, full or the sample, cached per server.
* :func:`get_trainer_pool` — the server's training processes: at most N at once, one kept ready.
* :func:`train_live` — train a model in a worker process, following it in a :class:`LiveView`
  (the progress bar, status line and curves of a training).
* :func:`train_with_stop` — :func:`train_live` under a Stop button, with a failure shown and the
  live view cleared afterwards: a training as a page shows it.

Why wait for a training to end: with Streamlit's fast reruns (the default), a click during a
run starts the new run at once in a new thread, while the interrupted run is still stopping
(it notices at its next redraw, within a second, then stops the worker and receives the
model it reached, about half a second more; a worker that has not ended its batch within
``STOP_GRACE`` seconds is killed, and the session hears that nothing could be kept).
Anything that reads the session's model first waits for that, so it never sees a model still
being trained, nor misses it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import streamlit as st

from cnnviz.learning.data import Dataset, load_mnist
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.training import TrainedModel, TrainingRun, default_model, training_limits
from cnnviz.learning.worker import STOP_TIMEOUT, TrainerPool, TrainingError
from cnnviz.lessons.train import LiveFrame, live_frame, stopping_text, waiting_text
from pages._text import plain

SESSION_KEY = "train_model"
FINISHED_KEY = "train_finished"  # a threading.Event, set when this session's training ends


@st.cache_resource(show_spinner="Preparing the default model (the article's CNN, trained once)…")
def get_default_model() -> TrainedModel:
    """The article's model trained on the MNIST sample (seed 0), shared by every session.

    Returns
    -------
    TrainedModel
        Its ``.weights`` and ``.spec``, read by :mod:`cnnviz.learning.probe` in NumPy (no
        TensorFlow in this process: it trains in a worker process when not cached on disk);
        ``.evaluation`` holds its test-set answers.
    """
    trained = default_model(get_dataset("sample"), trainer=_train_quietly)
    for array in trained.weights:  # shared by every session: nobody may change it
        array.setflags(write=False)
    return trained


DEFAULT_MODEL_TIMEOUT = 600  # seconds: ~15 s normally; a hung worker must not hang every page


def _train_quietly(spec: ModelSpec, data: Dataset) -> TrainedModel:
    """Train in a worker process without a live view (the default model, when not cached).

    One :meth:`TrainerPool.run` like any training (a slot, a worker with its own TensorFlow),
    under the server's limits but with ``DEFAULT_MODEL_TIMEOUT``: every session waits on this.
    """
    limits = dataclasses.replace(training_limits(), max_seconds=DEFAULT_MODEL_TIMEOUT)
    kept: list[TrainedModel] = []
    lost: list[str] = []
    get_trainer_pool().run(
        spec, data, keep=kept.append, lost=lambda run, why: lost.append(why), limits=limits
    )
    if not kept:
        raise TrainingError(f"the default model's training kept nothing: {''.join(lost)}")
    trained = kept[0]
    if not trained.complete:  # never cache half a model
        raise TrainingError(f"the default model's training was stopped early: {trained.run.reason}")
    return trained


class SessionModel:
    """A box for this visitor's own model, kept in ``st.session_state``.

    Why a box: a training interrupted by a click or a closed tab hands over its model after
    Streamlit has stopped the run, when writing to ``st.session_state`` raises Streamlit's stop
    exception again. Filling a box made before the training is no Streamlit call.

    Attributes
    ----------
    trained : TrainedModel or None
        The visitor's latest model.
    lost : (TrainingRun, str) or None
        The last training, if it ended without a model to keep (a Stop its worker could not
        answer in time): its last reported record and why nothing was kept.
    """

    def __init__(self, trained: TrainedModel | None = None) -> None:
        self.trained = trained
        self.lost: tuple[TrainingRun, str] | None = None

    def __repr__(self) -> str:
        return f"SessionModel({self.trained!r}, lost={self.lost is not None})"


def session_model_box() -> SessionModel:
    """This visitor's box (made on first use: call it while the run may still draw)."""
    box = st.session_state.get(SESSION_KEY)
    if box is None:
        box = st.session_state[SESSION_KEY] = SessionModel()
    return box


def get_session_model() -> TrainedModel | None:
    """The model this visitor trained on the Train page (possibly stopped early), or None.

    If a training of this session is still stopping, waits for it first (see the module notes).
    """
    wait_for_training_to_end()
    box = st.session_state.get(SESSION_KEY)
    return box.trained if box is not None else None


def get_lost_training() -> tuple[TrainingRun, str] | None:
    """This visitor's last training if it ended without a model: its record and why."""
    box = st.session_state.get(SESSION_KEY)
    return box.lost if box is not None else None


def training_started() -> threading.Event:
    """Mark that this session starts a training; set the returned event when it has ended."""
    wait_for_training_to_end()
    finished = threading.Event()
    st.session_state[FINISHED_KEY] = finished
    return finished


def wait_for_training_to_end(timeout: float = STOP_TIMEOUT + 15) -> bool:
    """Wait until this session's last training has ended; False if it still runs after timeout.

    The default outlasts a stopped worker's longest goodbye (:meth:`Trainer.stop`'s timeout,
    then closing it); a spinner says what the page waits for.
    """
    finished = st.session_state.get(FINISHED_KEY)
    if finished is None or finished.is_set():
        return True
    with st.spinner(stopping_text(STOP_TIMEOUT)):
        return finished.wait(timeout)


def get_current_model() -> tuple[TrainedModel, bool]:
    """The visitor's own model if they trained one, else the shared default; and which it is.

    Returns
    -------
    (TrainedModel, bool)
        The model, and True if it is the visitor's own (the sentence saying which is
        :func:`cnnviz.lessons.inside.model_in_use`).
    """
    own = get_session_model()
    if own is not None:
        return own, True
    return get_default_model(), False


@st.cache_resource(ttl=600, show_spinner="Loading MNIST…", max_entries=2)
def get_dataset(source: str) -> Dataset:
    """MNIST from ``source`` ("full" or "sample"), falling back to the sample offline.

    Shared read-only by every session (``cache_resource``, not ``cache_data``: full MNIST is
    55 MB, and a copy per rerun would cost time and memory for nothing). Kept ten minutes, so a
    server that comes online picks up the full set soon after.
    """
    data = load_mnist(source)
    for array in (data.x_train, data.y_train, data.x_test, data.y_test):
        array.setflags(write=False)
    return data


@st.cache_resource
def get_trainer_pool() -> TrainerPool:
    """The whole server's trainings: ``$CNNVIZ_MAX_TRAININGS`` at once, each in its own process."""
    return TrainerPool()


def train_live(
    spec: ModelSpec,
    data: Dataset,
    view: LiveView,
    keep: Callable[[TrainedModel], None],
    *,
    lost: Callable[[TrainingRun, str], None] | None = None,
) -> None:
    """Train a fresh model for ``spec`` on ``data`` in a worker process, drawn live in ``view``.

    One :meth:`TrainerPool.run`: it refuses a spec beyond this server's limits, then waits for
    a free training slot. ``keep(trained)`` receives the model when the training
    finishes, and also when a click or a closed tab interrupts this run (Streamlit raises its
    stop or rerun exception inside ``view.update``): the training is then stopped after its
    current batch and ``keep`` gets the model as far as it got (``run.status == "stopped"``).
    A worker that does not end its batch within seconds is killed instead, and
    ``lost(run, why)`` receives its last reported record and the reason nothing was kept.
    By then Streamlit calls raise again, so neither may make any (see :class:`SessionModel`).

    The training runs under the server's limits: it is stopped at ``max_seconds`` (keeping its
    model) and killed beyond ``max_memory_mb``.

    Raises
    ------
    cnnviz.learning.training.LimitError
        If the spec's estimated cost is beyond the limits; nothing was started.
    cnnviz.learning.worker.TrainingError
        If the training failed; its message is written for the page.
    """
    finished = training_started()
    try:
        get_trainer_pool().run(
            spec,
            data,
            on_update=view.update,
            on_wait=view.waiting,
            keep=keep,
            lost=lost,
            limits=training_limits(),
        )
    finally:  # the next run of this session waits for this before reading the model
        finished.set()


MAX_ERROR_SHOWN = 300  # characters of a failed training's message shown


def train_with_stop(
    spec: ModelSpec,
    data: Dataset,
    keep: Callable[[TrainedModel], None],
    lost: Callable[[TrainingRun, str], None],
    *,
    stop: str,
    stop_key: str,
    failed: str,
    chart_area=None,
):
    """Train ``spec`` on ``data`` live under a Stop button; return the status line's placeholder.

    Draws a button labelled ``stop`` (key ``stop_key``; any click ends the training) above a
    :class:`LiveView` (its curves in ``chart_area``, a container, if given), and runs
    :func:`train_live` with ``keep`` and ``lost``, which may make no Streamlit call. A failed
    training is shown as ``st.error("<failed>: <the worker's text>")`` (literally, shortened)
    and the page goes on. Then the button, the progress bar and the
    curves are cleared; the status line is left for the caller to fill or empty. A click or a
    closed tab ends the script run inside (Streamlit's exception passes through, nothing is
    cleared: the next run draws the page afresh).
    """
    stop_area = st.empty()
    stop_area.button(stop, key=stop_key, icon=":material/stop_circle:")
    live = LiveView(st.empty(), st.empty(), (chart_area or st).empty())
    try:
        train_live(spec, data, live, keep, lost=lost)
    except Exception as error:  # a failed training: say it, keep the page and the old model
        st.error(f"{failed}: {plain(str(error), MAX_ERROR_SHOWN)}")  # the worker's text
    stop_area.empty()
    live.progress.empty()
    live.chart.empty()
    return live.status


class LiveView:
    """The progress bar, status line and curves of a training, redrawn in their placeholders.

    Parameters
    ----------
    progress, status, chart : DeltaGenerator
        ``st.empty()`` placeholders, in the order they appear on the page.

    Notes
    -----
    What to draw comes from :func:`cnnviz.lessons.train.live_frame`. Every redraw is a Streamlit
    call from the script thread: when the visitor presses Stop, changes page or closes the tab,
    Streamlit raises its stop or rerun exception in the next such call; :func:`train_live` then
    stops the worker process: nothing trains on for nobody.
    """

    def __init__(self, progress, status, chart) -> None:
        self.progress, self.status, self.chart = progress, status, chart
        self._frame: LiveFrame | None = None
        self._draws = 0  # each redrawn chart needs its own key within one script run

    def waiting(self, busy: int, limit: int) -> None:
        self.status.info(waiting_text(busy, limit))

    def update(self, run: TrainingRun) -> None:
        frame = self._frame = live_frame(run, self._frame)
        self.progress.progress(frame.progress, text=frame.progress_text)
        if frame.starting:
            self.status.info(frame.status, icon=":material/hourglass_top:")
            return
        self.status.markdown(frame.status)
        if frame.curves is not None:
            self._draws += 1
            self.chart.plotly_chart(frame.curves, key=f"train_live_curves_{self._draws}")
