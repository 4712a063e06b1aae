"""Train: build the article's CNN in Keras, train it live on MNIST, and see what it learned.

The form's values go to :func:`cnnviz.lessons.train.plan` (the spec, the digits, the cost, the
layers); Train runs the training in a worker process, drawn live; the visitor's model then goes
to :func:`cnnviz.lessons.train.results`. This file only draws.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.model import ModelSpec
from cnnviz.learning.training import TrainedModel, training_limits
from cnnviz.lessons import train as lesson
from cnnviz.lessons.train import Plan, Results
from pages._models import (
    get_dataset,
    get_lost_training,
    get_session_model,
    get_trainer_pool,
    session_model_box,
    train_with_stop,
    wait_for_training_to_end,
)
from pages._registry import ensure_app_navigation
from pages._state import Setting, keep
from pages._text import plain
from pages._train_controls import settings_form

PAGE = "train"
MAX_MESSAGE = 300  # characters of a form error shown; a 10 KB filters text is not echoed whole
# The form's widget keys by setting name; kept across a visit to another page (not in links).
KEYS = {name: f"train_{name}" for name in lesson.FORM_DEFAULTS} | {"kernel_size": "train_kernel"}
SETTINGS = [Setting(KEYS[name], value) for name, value in lesson.FORM_DEFAULTS.items()]


def main() -> None:
    ensure_app_navigation()
    st.title("Train a CNN on handwritten digits")
    st.markdown(lesson.INTRO)
    keep(PAGE, SETTINGS)
    settings = {name: st.session_state[key] for name, key in KEYS.items()}  # a click's, too
    view = lesson.plan(settings, get_dataset(settings["source"]), training_limits())
    start = settings_form(view.groups, view.summary)
    # Train, Stop and the curves in one screen: the status beside the chart, under the form.
    status_col, chart_col = st.columns([2, 3], gap="medium")
    with status_col:
        training = st.container()  # Stop and the progress first, above the plan's notes
        show_plan(view)
    with training:  # a refused spec is not offered Train: the error says why
        if view.can_train and start:
            run_training(view.spec, view.data, chart_col)
        elif view.can_train:
            wait_for_training_to_end()  # a training this session just stopped counts as ended
            pool = get_trainer_pool()
            pool.warm()  # TensorFlow loads in a worker while the visitor reads: Train is instant
            st.caption(lesson.slots_text(pool.slots.busy, pool.slots.limit))
    outcome = lesson.results(get_session_model(), get_lost_training())
    with chart_col:
        show_curves(outcome)
    show_results(outcome)
    if view.spec is not None:
        show_architecture(view)


def show_plan(view: Plan) -> None:
    """The form's errors or the refusal, else the cost; then the digits in use."""
    if view.refusal is not None:
        st.error(view.refusal)
    for error in view.errors:  # next to the form, so that Train never silently does nothing
        st.error(plain(error, MAX_MESSAGE))  # it may echo the visitor's text
    if view.cost is not None:
        st.caption(view.cost)
    if view.data_fallback:
        st.warning(view.data_text, icon=":material/wifi_off:")
    else:
        st.info(view.data_text, icon=":material/dataset:")


def show_architecture(view: Plan) -> None:
    """The layer table and the Keras code that builds this model."""
    st.subheader("The model these settings build")
    st.markdown(lesson.ARCHITECTURE_TEXT)
    st.dataframe(
        list(view.layers),
        hide_index=True,
        column_config={"parameters": st.column_config.NumberColumn(format="localized")},
    )
    st.markdown(view.parameters_text)
    with st.expander("The Keras code for this model: copy it, run it, get the same model"):
        st.code(view.code, language="python")


def run_training(spec: ModelSpec, data, chart_area) -> None:
    """Train a fresh model for ``spec``, live, its curves in ``chart_area``; keep it in the
    session even if stopped early."""
    box = session_model_box()
    outcome: list[TrainedModel] = []

    def keep_model(trained: TrainedModel) -> None:  # no Streamlit calls: see SessionModel
        outcome.append(trained)
        box.trained, box.lost = trained, None

    def lost(run, why: str) -> None:  # no Streamlit calls either
        box.lost = (run, why)

    status = train_with_stop(
        spec,
        data,
        keep_model,
        lost,
        stop="Stop training",
        stop_key="train_stop",
        failed="Training failed",
        chart_area=chart_area,
    )
    finished = lesson.finished_text(outcome[0].run if outcome else None)
    if finished is not None:
        status.success(finished)
    else:
        status.empty()


def show_curves(view: Results) -> None:
    """The curves of the visitor's model, or of the training that kept nothing, beside Train."""
    if view.curves is not None:
        st.plotly_chart(view.curves, key="train_curves")
    elif view.lost_curves is not None:
        st.plotly_chart(view.lost_curves, key="train_lost_curves")
    else:
        st.caption(lesson.CURVES_TEXT)


def show_results(view: Results) -> None:
    """Accuracy, confusion matrix, mistakes, kernels and a download of the model."""
    st.subheader("What your model learned")
    if view.lost is not None:
        st.warning(view.lost, icon=":material/error:")
        if view.lost_curves is not None and view.curves is not None:  # else beside Train
            st.plotly_chart(view.lost_curves, key="train_lost_curves")
    if view.no_model is not None:
        st.info(view.no_model)
        return
    if view.stopped is not None:
        st.warning(view.stopped, icon=":material/stop_circle:")
    st.markdown(view.accuracy)
    for column, (label, value) in zip(st.columns(4), view.metrics, strict=True):
        column.metric(label, value)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(view.confusion_text)
        st.plotly_chart(view.confusion, key="train_confusion")
    with right:
        st.markdown(view.mistakes_text)
        if view.mistakes is not None:
            st.plotly_chart(view.mistakes, key="train_mistakes")
    st.markdown(view.kernels_text)
    st.plotly_chart(view.kernels, key="train_kernels")
    if view.model_file is None:
        return
    st.download_button(
        "Download the trained model (.keras)",
        data=lambda: view.model_file,  # handed over on the click, not hashed on every rerun
        file_name=lesson.DOWNLOAD_NAME,
        mime="application/octet-stream",
        on_click="ignore",
        key="train_download",
        icon=":material/download:",
        help=lesson.DOWNLOAD_HELP,
    )


main()
