"""Train: build the article's CNN in Keras, train it live on MNIST, and see what it learned.

The form's values go to :func:`cnnviz.lessons.train.plan` (the spec, the digits, the cost, the
layers); Train runs the training in a worker process, drawn live; the visitor's model then goes
to :func:`cnnviz.lessons.train.results`. This file only draws.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.model import LOSSES, OPTIMIZERS, POOLINGS, ModelSpec
from cnnviz.learning.training import TrainedModel, training_limits
from cnnviz.lessons.train import (
    ARCHITECTURE_TEXT,
    DOWNLOAD_HELP,
    DOWNLOAD_NAME,
    FORM_DEFAULTS,
    HELP,
    INTRO,
    LOSS_NAMES,
    OPTIMIZER_NAMES,
    SLIDERS,
    SOURCES,
    Plan,
    Results,
    finished_text,
    plan,
    results,
    slots_text,
)
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

PAGE = "train"
MAX_MESSAGE = 300  # characters of a form error shown; a 10 KB filters text is not echoed whole
# The form's widget keys by setting name; kept across a visit to another page (not in links).
KEYS = {name: f"train_{name}" for name in FORM_DEFAULTS} | {"kernel_size": "train_kernel"}
SETTINGS = [Setting(KEYS[name], value) for name, value in FORM_DEFAULTS.items()]
# The whole-number boxes hold floats shown without decimals: an int box would turn a typed
# 2.5 into 2 in the browser, unseen; this way the lesson receives 2.5 and says what is wrong.
WHOLE = "%g"
ONE = {"step": 1.0, "format": WHOLE}


def main() -> None:
    ensure_app_navigation()
    st.title("Train a CNN on handwritten digits")
    st.markdown(INTRO)
    keep(PAGE, SETTINGS)
    settings, start = settings_form()
    view = plan(settings, get_dataset(settings["source"]), training_limits())
    show_plan(view)
    if view.can_train:  # a refused spec is not offered Train: the error says why
        st.subheader("Training")
        if start:
            run_training(view.spec, view.data)
        else:
            wait_for_training_to_end()  # a training this session just stopped counts as ended
            pool = get_trainer_pool()
            pool.warm()  # TensorFlow loads in a worker while the visitor reads: Train is instant
            st.caption(slots_text(pool.slots.busy, pool.slots.limit))
    show_results(results(get_session_model(), get_lost_training()))
    if view.spec is not None:
        show_architecture(view)


def settings_form() -> tuple[dict, bool]:
    """The data, layer and training controls, applied together; returns them and "train?".

    The number boxes have no min_value/max_value: the browser would silently refuse an
    out-of-range number (Train did nothing); the lesson's checks say what is wrong.
    """
    with st.form("train_form"):
        data_col, layer_col, learn_col, plan_col = st.columns(4, gap="medium")
        with data_col:
            st.markdown("**Data**")
            st.radio(
                "Digits to learn from", list(SOURCES), format_func=SOURCES.get, key="train_source"
            )
            st.number_input(
                "Training digits to use (at most)",
                step=500.0,
                key="train_limit",
                format=WHOLE,
                help=HELP["limit"],
            )
        with layer_col:
            st.markdown("**Layers**")
            st.text_input("Kernels per conv block", key="train_filters", help=HELP["filters"])
            st.slider("Kernel size (pixels a side)", *SLIDERS["kernel_size"], key="train_kernel")
            st.radio(
                "Pooling after each conv layer",
                POOLINGS,
                horizontal=True,
                key="train_pooling",
                help=HELP["pooling"],
            )
            st.number_input(
                "Neurons in the dense layer",
                **ONE,
                key="train_dense_units",
                help=HELP["dense_units"],
            )
        with learn_col:
            st.markdown("**Learning**")
            st.selectbox(
                "Optimizer", OPTIMIZERS, format_func=OPTIMIZER_NAMES.get, key="train_optimizer"
            )
            st.number_input(
                "Learning rate",
                step=0.0005,
                format="%.5f",
                key="train_learning_rate",
                help=HELP["learning_rate"],
            )
            st.radio("Loss", LOSSES, format_func=LOSS_NAMES.get, horizontal=True, key="train_loss")
        with plan_col:
            st.markdown("**Schedule**")
            st.number_input("Batch size", **ONE, key="train_batch_size", help=HELP["batch_size"])
            st.slider("Epochs", *SLIDERS["epochs"], key="train_epochs")
            st.number_input(
                "Random seed",
                step=1.0,
                format="%.0f",  # %g would write a 7-digit seed as 1.23457e+06
                key="train_seed",
                help=HELP["seed"],
            )
        left, right = st.columns(2)
        with left:
            st.form_submit_button("Apply settings", key="train_apply", width="stretch")
        with right:
            start = st.form_submit_button(
                "Train", type="primary", key="train_start", width="stretch"
            )
    return {name: st.session_state[key] for name, key in KEYS.items()}, start


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
    st.markdown(ARCHITECTURE_TEXT)
    st.dataframe(
        list(view.layers),
        hide_index=True,
        column_config={"parameters": st.column_config.NumberColumn(format="localized")},
    )
    st.markdown(view.parameters_text)
    with st.expander("The Keras code for this model: copy it, run it, get the same model"):
        st.code(view.code, language="python")


def run_training(spec: ModelSpec, data) -> None:
    """Train a fresh model for ``spec``, live; keep it in the session even if stopped early."""
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
    )
    finished = finished_text(outcome[0].run if outcome else None)
    if finished is not None:
        status.success(finished)
    else:
        status.empty()


def show_results(view: Results) -> None:
    """Accuracy, curves, confusion matrix, mistakes, kernels and a download of the model."""
    st.subheader("What your model learned")
    if view.lost is not None:
        st.warning(view.lost, icon=":material/error:")
        if view.lost_curves is not None:
            st.plotly_chart(view.lost_curves, key="train_lost_curves")
    if view.no_model is not None:
        st.info(view.no_model)
        return
    if view.stopped is not None:
        st.warning(view.stopped, icon=":material/stop_circle:")
    st.markdown(view.accuracy)
    for column, (label, value) in zip(st.columns(4), view.metrics, strict=True):
        column.metric(label, value)
    st.plotly_chart(view.curves, key="train_curves")
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
        file_name=DOWNLOAD_NAME,
        mime="application/octet-stream",
        on_click="ignore",
        key="train_download",
        icon=":material/download:",
        help=DOWNLOAD_HELP,
    )


main()
