"""The Inside page's comparison model: the same spec with pooling switched, trained alike.

To show what pooling buys, the Inside page compares the model in use with its *twin*: the same
spec (layers, seed, optimizer, epochs) with pooling switched off (or, for a model without
pooling, switched to max pooling), trained on the same digits. Training the twin of the default
model takes about 1.5 minutes on the sample on a 2-core host (without pooling its dense layer
has four times the weights), so it is trained on demand, with a progress bar, and then kept for
every session (:func:`get_twin_store`, read-only once stored).
"""

from __future__ import annotations

import threading

import streamlit as st

from cnnviz.data import Dataset
from cnnviz.model import ModelSpec
from cnnviz.training import TrainedModel
from pages._models import LiveView, get_dataset, train_live


class TwinStore:
    """Trained twins by :func:`twin_key`, shared by every session; a lock guards the dict."""

    def __init__(self) -> None:
        self._models: dict[str, TrainedModel] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TwinStore({len(self._models)} models)"

    def get(self, key: str) -> TrainedModel | None:
        with self._lock:
            return self._models.get(key)

    def put(self, key: str, twin: TrainedModel) -> None:
        with self._lock:
            self._models.setdefault(key, twin)


@st.cache_resource
def get_twin_store() -> TwinStore:
    """One store per server."""
    return TwinStore()


def twin_spec(spec: ModelSpec) -> ModelSpec:
    """The same spec with pooling switched: off if it was on, max if it was off."""
    return spec.replace(pooling="none" if spec.pooling != "none" else "max")


def pooling_name(spec: ModelSpec) -> str:
    """E.g. "max pooling", "no pooling"."""
    return "no pooling" if spec.pooling == "none" else f"{spec.pooling} pooling"


def twin_data(trained: TrainedModel) -> Dataset | None:
    """The digits ``trained`` learned from (same source, same number), or None if unavailable."""
    for source in ("sample", "full"):
        data = get_dataset(source)
        if data.name == trained.data_name:
            n_train = trained.run.n_train if trained.run is not None else len(data.x_train)
            return data.subset(min(n_train, len(data.x_train)))
    return None


def twin_key(trained: TrainedModel, data: Dataset) -> str:
    """What identifies a twin: its spec and the digits it learns from."""
    return f"{twin_spec(trained.spec)!r}|{data.name}|{len(data.x_train)}"


def train_twin(trained: TrainedModel, data: Dataset) -> TrainedModel | None:
    """Train the twin of ``trained`` on ``data`` with a live progress bar; store and return it.

    Trains in a worker process through :func:`pages._models.train_live`, waiting for a free
    slot like the Train page. Any click on the page (including the Stop button it shows) ends
    the training; only a finished twin is stored. A failure is shown with ``st.error`` and
    returns None.
    """
    spec = twin_spec(trained.spec)
    stop_area = st.empty()
    stop_area.button("Stop", key="inside_twin_stop", icon=":material/stop_circle:")
    view = LiveView(st.empty(), st.empty(), st.empty())
    finished: list[TrainedModel] = []
    store, key = get_twin_store(), twin_key(trained, data)  # now: keep() may make no st call

    def keep(twin: TrainedModel) -> None:
        if twin.run is not None and twin.run.status == "finished":
            store.put(key, twin)
            finished.append(twin)

    try:
        train_live(spec, data, view, keep)
    except Exception as error:  # a failed training: say it, keep the page
        st.error(f"Training the comparison model failed: {error}")
    finally:
        stop_area.empty()
        view.progress.empty()
        view.status.empty()
        view.chart.empty()
    return finished[0] if finished else None
