"""The Train page's settings: four groups behind buttons, applied together by the form."""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.model import LOSSES, OPTIMIZERS, POOLINGS
from cnnviz.lessons import train as lesson

# The whole-number boxes hold floats shown without decimals: an int box would turn a typed
# 2.5 into 2 in the browser, unseen; this way the lesson receives 2.5 and says what is wrong.
WHOLE = "%g"
ONE = {"step": 1.0, "format": WHOLE}


def settings_form(groups: dict[str, str], summary: str) -> bool:
    """The four groups of settings behind buttons, the values in use in a line, "train?".

    No number box has min_value/max_value: the browser would silently refuse an out-of-range
    number (Train did nothing); the lesson's checks say what is wrong."""
    with st.form("train_form", border=False):
        data_col, layer_col, learn_col, plan_col = st.columns(4, gap="small")
        with data_col.popover(groups["Data"], width="stretch"):
            st.radio(
                "Digits to learn from",
                list(lesson.SOURCES),
                format_func=lesson.SOURCES.get,
                key="train_source",
            )
            st.number_input(
                "Training digits to use (at most)",
                step=500.0,
                key="train_limit",
                format=WHOLE,
                help=lesson.HELP["limit"],
            )
        with layer_col.popover(groups["Layers"], width="stretch"):
            st.text_input(
                "Kernels per conv block", key="train_filters", help=lesson.HELP["filters"]
            )
            st.slider(
                "Kernel size (pixels a side)", *lesson.SLIDERS["kernel_size"], key="train_kernel"
            )
            st.radio(
                "Pooling after each conv layer",
                POOLINGS,
                horizontal=True,
                key="train_pooling",
                help=lesson.HELP["pooling"],
            )
            st.number_input(
                "Neurons in the dense layer",
                **ONE,
                key="train_dense_units",
                help=lesson.HELP["dense_units"],
            )
        with learn_col.popover(groups["Learning"], width="stretch"):
            st.selectbox(
                "Optimizer",
                OPTIMIZERS,
                format_func=lesson.OPTIMIZER_NAMES.get,
                key="train_optimizer",
            )
            st.number_input(
                "Learning rate",
                step=0.0005,
                format="%.5f",
                key="train_learning_rate",
                help=lesson.HELP["learning_rate"],
            )
            st.radio(
                "Loss", LOSSES, format_func=lesson.LOSS_NAMES.get, horizontal=True, key="train_loss"
            )
        with plan_col.popover(groups["Schedule"], width="stretch"):
            st.number_input(
                "Batch size", **ONE, key="train_batch_size", help=lesson.HELP["batch_size"]
            )
            st.slider("Epochs", *lesson.SLIDERS["epochs"], key="train_epochs")
            st.number_input(
                "Random seed",
                step=1.0,
                format="%.0f",  # %g would write a 7-digit seed as 1.23457e+06
                key="train_seed",
                help=lesson.HELP["seed"],
            )
        st.markdown(summary)
        left, right = st.columns(2)
        with left:
            st.form_submit_button("Apply settings", key="train_apply", width="stretch")
        with right:
            start = st.form_submit_button(
                "Train", type="primary", key="train_start", width="stretch"
            )
    return start
