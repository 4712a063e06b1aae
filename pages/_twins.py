"""The Inside page's comparison model: the same spec with pooling switched, trained alike.

To show what pooling buys, the Inside page compares the model in use with its *twin*: the same
spec (layers, seed, optimizer, epochs) with pooling switched off (or, for a model without
pooling, switched to max pooling), trained on the same digits. Training it takes minutes
(without pooling its dense layer has four times the weights), so it is trained on demand, with
a progress bar, and then kept for every session (:func:`get_twin_store`, read-only once stored).
"""

from __future__ import annotations

import threading

import streamlit as st

from cnnviz.learning.data import Dataset
from cnnviz.learning.training import TrainedModel, TrainingRun
from cnnviz.lessons.inside import (
    no_twin_data_text,
    twin_caption,
    twin_data,
    twin_key,
    twin_lost_text,
    twin_offer,
    twin_spec,
    twin_stopped_text,
)
from pages._models import LiveView, get_dataset, train_live
from pages._text import plain

NOTICE_KEY = "inside_twin_notice"  # what became of this session's last twin training, unsaid yet


class TwinStore:
    """Trained twins by :func:`~cnnviz.lessons.inside.twin_key`, shared by every session.

    A lock guards the dict, and an entry is never replaced once stored. What it hands out is
    shared, so it is only read: a stored twin is complete (:attr:`TrainedModel.complete`) and the
    pages only predict and take gradients with it; :meth:`put` keeps it without its ``.keras``
    bytes (nobody downloads a twin) and makes its weight arrays read-only.
    """

    def __init__(self) -> None:
        self._models: dict[str, TrainedModel] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TwinStore({len(self._models)} models)"

    def get(self, key: str) -> TrainedModel | None:
        with self._lock:
            return self._models.get(key)

    def put(self, key: str, twin: TrainedModel) -> None:
        twin = twin.without_file()
        for array in twin.weights:
            array.setflags(write=False)
        with self._lock:
            self._models.setdefault(key, twin)


@st.cache_resource
def get_twin_store() -> TwinStore:
    """One store per server."""
    return TwinStore()


def twin_notice() -> dict:
    """This session's box for what became of its last twin training (made now, while the run
    may still draw: filling it later is no Streamlit call)."""
    box = st.session_state.get(NOTICE_KEY)
    if box is None:
        box = st.session_state[NOTICE_KEY] = {}
    return box


def show_twin_notice() -> None:
    """Say, once, why the last twin training of this session left no twin (stopped or lost)."""
    text = twin_notice().pop("text", None)
    if text is not None:
        st.warning(text, icon=":material/info:")


def twin_ui(trained: TrainedModel) -> TrainedModel | None:
    """The comparison model if it exists; else a button that trains it, once for everybody."""
    data = twin_data(trained, (get_dataset(source) for source in ("sample", "full")))
    if data is None:
        st.info(no_twin_data_text(trained))
        return None
    twin = get_twin_store().get(twin_key(trained, data))
    if twin is not None:
        st.caption(twin_caption(trained, twin))
        return twin
    show_twin_notice()  # why the last twin training of this session left no twin
    offer = twin_offer(trained, data)
    st.markdown(offer.text)
    if not st.button(
        offer.button, key="inside_twin_train", icon=":material/model_training:", help=offer.help
    ):
        return None
    if train_twin(trained, data) is not None:
        st.rerun()  # draw the page again, now with the twin
    return None


def train_twin(trained: TrainedModel, data: Dataset) -> TrainedModel | None:
    """Train the twin of ``trained`` on ``data`` with a live progress bar; store and return it.

    Trains in a worker process through :func:`pages._models.train_live`, waiting for a free
    slot like the Train page. Any click on the page (including the Stop button it shows) ends
    the training; only a finished twin is stored. A twin stopped early (at the time limit, or by
    a click) or lost (its worker did not answer Stop) leaves a notice that
    :func:`show_twin_notice` shows, now or on the next run. A failure is shown with
    ``st.error`` and returns None.
    """
    spec = twin_spec(trained.spec)
    stop_area = st.empty()
    stop_area.button("Stop", key="inside_twin_stop", icon=":material/stop_circle:")
    view = LiveView(st.empty(), st.empty(), st.empty())
    finished: list[TrainedModel] = []
    store, key = get_twin_store(), twin_key(trained, data)  # now: keep() may make no st call
    notice = twin_notice()
    notice.pop("text", None)

    def keep(twin: TrainedModel) -> None:
        if twin.complete:
            store.put(key, twin)
            finished.append(twin)
        else:
            notice["text"] = twin_stopped_text(twin.run)

    def lost(run: TrainingRun, why: str) -> None:
        notice["text"] = twin_lost_text(why)

    try:
        train_live(spec, data, view, keep, lost=lost)
    except Exception as error:  # a failed training: say it, keep the page
        st.error(f"Training the comparison model failed: {plain(str(error), 300)}")
    finally:
        stop_area.empty()
        view.progress.empty()
        view.status.empty()
        view.chart.empty()
    show_twin_notice()
    return finished[0] if finished else None
