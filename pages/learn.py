"""Learn: the loss of one answer, one gradient step with every number, the gradient as a slope.

A thin renderer of :mod:`cnnviz.lessons.learn`: the visitor picks a model to teach and the
step's settings (``pages/_learn_controls.py``), the page previews the next step on the next
batch (the core's :func:`cnnviz.learning.sgd.gradient_step` or ``adam_step``), and each
section draws the view its lesson function returns. The buttons take the step; the model and
its steps are the visitor's own, in ``st.session_state``.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.lessons import learn as lesson
from pages._learn_controls import (
    digit_ui,
    link_values,
    model_ui,
    preview,
    slope_curve,
    step_buttons,
    step_settings_ui,
    weight_ui,
)
from pages._learn_progress import depth_section, progress_section
from pages._registry import ensure_app_navigation
from pages._state import to_link


def main() -> None:
    ensure_app_navigation()
    st.title("Learn: one step down the loss")
    st.markdown(lesson.INTRO)
    st.caption(lesson.AUTODIFF)

    st.header("1. A model to teach", divider="gray")
    learner = model_ui()
    st.info(lesson.model_sentence(learner), icon=":material/school:")
    size, rate, optimizer = step_settings_ui()
    p = preview(learner, size, rate, optimizer)

    st.header("2. The batch", divider="gray")
    batch = lesson.batch_view(p, learner.spec)
    st.markdown(batch.text)
    st.plotly_chart(batch.figure, key="learn_batch_digits")

    st.header("3. The loss of one answer", divider="gray")
    answer_section(lesson.answer_view(p, digit_ui(size), learner.spec.loss))

    st.header("4. One step", divider="gray")
    kernel, cell = weight_ui(learner)
    step_section(lesson.step_view(learner, p, kernel, cell))
    step_buttons()
    history = lesson.history_view(learner)
    if history.figure is not None:
        st.plotly_chart(history.figure, key="learn_history")
    st.markdown(history.text)

    st.header("5. The gradient is a slope", divider="gray")
    slope = slope_curve(learner, p, kernel, cell)
    st.markdown(slope.text)
    st.plotly_chart(slope.figure, key="learn_slope")
    st.markdown(slope.numbers)

    st.header("6. Kernels becoming detectors", divider="gray")
    progress_section()  # snapshots of the model trained on the Train page

    st.header("7. Depth and the difficulty of training", divider="gray")
    depth_section()
    to_link(link_values())


def answer_section(view: lesson.AnswerView) -> None:
    """The ten probabilities and the cross-entropy worked out; the −log p curve and the MSE."""
    left, right = st.columns(2, gap="large")
    left.plotly_chart(view.probabilities, key="learn_probabilities")
    left.markdown(view.formula)
    right.plotly_chart(view.curve, key="learn_loss_curve")
    right.markdown(view.squared)


def step_section(view: lesson.StepView) -> None:
    """The chosen kernel four ways, its bias, the output layer's pictures, the losses."""
    st.markdown(view.rule)
    for place, (title, table) in zip(st.columns(4), view.grids):
        place.markdown(f"**{title}**")
        place.html(table)
    st.markdown(view.bias)
    st.markdown(view.dense_title)
    for pair in (view.dense[:2], view.dense[2:]):  # two to a row: each square readable
        for place, (title, figure) in zip(st.columns(2), pair):
            place.markdown(f"**{title}**")
            place.plotly_chart(figure, key=f"learn_dense_{title}")
    st.markdown(view.losses)
    if view.too_large is not None:
        st.warning(view.too_large, icon=":material/trending_up:")
    if view.adam is not None:
        st.markdown(view.adam)


main()
