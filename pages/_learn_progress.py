"""The Learn page's sections on kernels becoming detectors and on depth against difficulty.

* :func:`progress_section` — a slider over the 16 snapshots of the first layer that the
  visitor's training kept (:func:`pages._models.get_session_model`), each kernel beside its
  feature map on one test digit at that moment; without a model, a link to the Train page.
* :func:`depth_section` — the article's model with 1, 2 and 3 conv blocks trained under one
  budget: shown at once when this server has measured it (kept on disk), else a button that
  measures it through the training workers.

Everything shown comes from :mod:`cnnviz.lessons.learn_progress`.
"""

from __future__ import annotations

import dataclasses
import time

import streamlit as st

from cnnviz.learning.data import Dataset
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.store import Busy
from cnnviz.learning.training import TrainedModel, TrainingRun, training_limits
from cnnviz.learning.worker import TrainingError
from cnnviz.lessons import learn_progress as lesson
from cnnviz.lessons.train import waiting_text
from pages._models import get_dataset, get_session_model, get_trainer_pool
from pages._registry import PAGES
from pages._state import Setting, keep, put, to_link, whole_number
from pages._text import plain
from pages._ui import show_image

PAGE = "learn"
SNAPSHOT = Setting("learn_progress_snapshot", 0, "snapshot", whole_number(0, 99), "snapshot")
DIGIT = Setting("learn_progress_digit", 7, "snapshot_digit", whole_number(0, 9), "digit")
KERNEL = Setting("learn_progress_kernel", 1, None, None, "kernel")
MAX_ERROR_SHOWN = 300  # characters of a failed training's message shown


def progress_section() -> None:
    """Kernels becoming detectors: scrub the session model's snapshots from noise to detectors."""
    st.markdown(lesson.PROGRESS_INTRO)
    trained = get_session_model()
    state = lesson.progress(trained)
    if not state.ready:
        st.info(state.message, icon=":material/model_training:")
        # A button, not st.page_link: a link needs the app's navigation to exist when it is
        # drawn, and the pages' AppTests run a page on its own; switching happens on a click.
        train = next(page for page in PAGES if page.url_path == "train")
        if st.button(
            f"Go to the {train.title} page", key="learn_progress_to_train", icon=train.icon
        ):
            st.switch_page(train.path)
        return
    st.caption(state.message)
    count = len(state.labels)
    keep(PAGE, [SNAPSHOT, DIGIT, KERNEL])
    kernels = trained.run.snapshots[0].kernel.shape[-1]
    if not 0 <= st.session_state[SNAPSHOT.key] < count:  # a link or an earlier, longer training
        put(PAGE, {SNAPSHOT.key: count - 1})
    if not 1 <= st.session_state[KERNEL.key] <= kernels:
        put(PAGE, {KERNEL.key: 1})
    index = st.select_slider(
        "Snapshot (drag from the random start to the trained kernels)",
        options=list(range(count)),
        format_func=lambda i: state.labels[i],
        key=SNAPSHOT.key,
    )
    data = get_dataset("sample")
    choices = lesson.digit_choices(data)
    label = st.session_state[DIGIT.key]
    kernel = st.session_state[KERNEL.key]
    digit = lesson.digit_pixels(data, label)
    view = lesson.snapshot_view(trained, index, digit, kernel=int(kernel) - 1)
    # The picture right under the slider: both on one projector screen while scrubbing.
    picture, bars = st.columns([6, 1])
    show_image(picture, view.picture, caption=view.caption)
    bars.image(view.kernel_bar)
    bars.image(view.map_bar)
    st.markdown(f"#### {view.title}")
    st.markdown(view.change)
    controls, numbers = st.columns([1, 1], gap="large")
    controls.selectbox(
        "Digit the maps are made of",
        options=list(choices),
        format_func=lambda d: f"a {d} from the test digits",
        key=DIGIT.key,
    )
    controls.number_input(
        "Kernel whose numbers are shown", min_value=1, max_value=kernels, step=1, key=KERNEL.key
    )
    numbers.plotly_chart(view.picked, key="learn_progress_kernel_numbers")
    to_link({SNAPSHOT.param: index, DIGIT.param: label})


def depth_section() -> None:
    """Depth and the difficulty of training: the measured comparison, or a button to measure it."""
    st.markdown(lesson.DEPTH_INTRO)
    data = get_dataset("sample")
    arrays = lesson.depth_kept(data)
    if arrays is None:
        st.markdown(lesson.depth_offer(data))
        if not st.button(
            "Measure it: train the three models", key="learn_depth_run", icon=":material/science:"
        ):
            return
        try:
            arrays = _measure(data)
        except Busy:  # never wait in a visitor's thread on another's measurement
            st.info(lesson.DEPTH_BUSY, icon=":material/hourglass_top:")
            return
        except Exception as error:  # a failed training: say it, the page goes on
            st.error(f"The comparison could not be measured: {plain(str(error), MAX_ERROR_SHOWN)}")
            return
    view = lesson.depth_view(arrays, data)
    st.markdown(f"**{view.summary}**")
    st.plotly_chart(view.figure, key="learn_depth_curves")
    st.markdown(view.reading)
    st.caption(view.budget)


def _measure(data: Dataset) -> dict:
    """Train the three depths one after another in the server's workers, drawn as they go."""
    progress, status = st.empty(), st.empty()

    def trainer(spec: ModelSpec, data: Dataset, seconds: int) -> TrainedModel:
        blocks = len(spec.filters)

        def update(run: TrainingRun) -> None:
            fraction, text = lesson.depth_progress(blocks, run)
            progress.progress(fraction, text=text)

        def waiting(busy: int, limit: int) -> None:
            status.info(waiting_text(busy, limit))

        kept: list[TrainedModel] = []
        lost: list[str] = []
        limits = dataclasses.replace(training_limits(), max_seconds=seconds)
        pool = get_trainer_pool()
        starting = dataclasses.replace(TrainingRun.plan(spec, len(data.x_train)), status="starting")
        _ready(pool, lambda: update(starting))
        pool.run(
            spec,
            data,
            on_update=update,
            on_wait=waiting,
            keep=kept.append,
            lost=lambda run, why: lost.append(why),
            limits=limits,
        )
        status.empty()
        if not kept:
            raise TrainingError(f"the {blocks}-block model kept nothing: {''.join(lost)}")
        return kept[0]

    with st.spinner(lesson.DEPTH_MEASURING):
        arrays = lesson.depth_results(data, trainer, wait=False)
    progress.empty()
    return arrays


def _ready(pool, waiting, timeout: float = 120.0) -> None:
    """Have a worker load TensorFlow before a training starts, so that its time limit counts
    training alone (the same for every depth, however busy the server is while it loads).

    Gives up waiting after ``timeout`` seconds, or at once when every slot is busy (the
    training then waits for a slot, and loads its own worker)."""
    pool.warm()
    deadline = time.monotonic() + timeout
    while not pool.ready and pool.slots.busy < pool.slots.limit and time.monotonic() < deadline:
        waiting()  # a Streamlit call: a click or a closed tab ends the wait here
        time.sleep(0.25)
