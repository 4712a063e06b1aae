"""Inside the model: one digit through every layer; patterns compared; shifts; saliency.

A thin renderer of :mod:`cnnviz.lessons.inside`: the visitor picks a digit (a test digit, a
drawing or a photo), each section makes one call into the lesson and draws the view it returns.
The controls and their settings (kept across page switches, the main ones in the link) are
in ``pages/_inside_controls.py``; the comparison model without pooling (the *twin*) is trained
on request in ``pages/_twins.py``.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.probe import ShiftCurve
from cnnviz.learning.worker import TrainingError
from cnnviz.lessons import inside as lesson
from cnnviz.lessons.inside import ForwardView, LayerSection
from pages._inside_controls import input_ui, saliency_ui, second_input_ui
from pages._models import get_current_model, get_dataset
from pages._registry import ensure_app_navigation
from pages._state import to_link
from pages._text import plain
from pages._twins import twin_ui

# --- the page ---------------------------------------------------------------------------------


def main() -> None:
    ensure_app_navigation()
    st.title("Inside the model: follow one digit through the network")
    st.markdown(lesson.INTRO)
    try:
        trained, own = get_current_model()
    except TrainingError as error:  # only when the default model had to be trained and failed
        st.error(f"The default model could not be prepared: {error} Reload the page to try again.")
        st.stop()
    st.info(lesson.model_in_use(trained, own), icon=":material/neurology:")
    digit, slot = input_ui()
    source = st.session_state["inside_source"]
    # The link follows the input at once, also while a drawing or a photo is still missing.
    test = source == "test"
    to_link({"source": source, "digit": st.session_state["inside_index"] if test else None})
    if digit is None:
        to_link({"explain": None})
        st.stop()

    view = lesson.forward_pass(trained, digit)
    show_input(view, slot)
    st.header("The forward pass, layer by layer")
    for section in view.sections:
        show_section(section)

    st.header("Two inputs, two activation patterns")
    st.markdown(lesson.COMPARISON_INTRO)
    show_comparison(lesson.comparison(trained, digit, view, second_input_ui(digit)))

    st.header("Move the digit: what pooling buys")
    st.markdown(lesson.shift_intro(digit, view.predicted))
    twin = twin_ui(trained)
    average = None if twin is None else average_shift_curve(twin)
    ours = average_shift_curve(trained, on_disk=not own)  # the default model's is kept on disk
    show_shift(lesson.shift_view(trained, digit, view.predicted, ours, twin, average))

    st.header("What the model looks at")
    choice = saliency_ui(view.predicted)
    target = lesson.saliency_target(choice, view.predicted)
    show_saliency(lesson.saliency_view(trained, digit, target))
    to_link({"explain": None if choice == lesson.PREDICTION else choice})


# --- computations shared by every visitor ----------------------------------------------------


@st.cache_resource
def _average_curves() -> lesson.AverageCurves:
    """Averaged shift curves by model, for every session (once each, under a lock, read-only)."""
    return lesson.AverageCurves()


def average_shift_curve(model, on_disk: bool = False) -> ShiftCurve:
    """The shift curve averaged over the first test digits of the sample (computed once)."""
    return _average_curves()(model, get_dataset("sample"), on_disk=on_disk)


# --- drawing ----------------------------------------------------------------------------------


def show_input(view: ForwardView, slot=None) -> None:
    """The 28×28 the model sees, how it was made, and the prediction as plain text: in
    ``slot`` if given (under the drawing canvas), else beside the 28×28."""
    shown = view.input
    picture, words = st.columns([1, 2], gap="large")
    picture.plotly_chart(shown.figure, key="inside_input_figure")
    with slot or words:
        st.markdown(shown.headline)
        if shown.caution is not None:
            st.warning(shown.caution, icon=":material/help:")
        if shown.verdict is not None:
            st.markdown(shown.verdict)
    with words:
        st.caption(shown.caption(plain))
        if shown.original is not None:
            st.image(shown.original, caption="What you gave")
            st.markdown(shown.preparation)


def show_section(section: LayerSection) -> None:
    """One layer: title and text, its pictures (with colour bars beside), charts, notes."""
    st.subheader(section.title)
    st.markdown(section.text)
    for picture in section.pictures:
        grid, bars = st.columns([6, 1]) if picture.bars else (st, None)
        grid.image(picture.png, caption=picture.caption)
        for bar in picture.bars:
            bars.image(bar)
        if picture.note is not None:
            st.caption(picture.note)
    places = st.columns(len(section.charts)) if len(section.charts) > 1 else [st]
    for place, (key, figure) in zip(places, section.charts):
        place.plotly_chart(figure, key=key)
    for note in section.notes:
        st.markdown(note)


def show_comparison(view: lesson.ComparisonView) -> None:
    small_a, small_b, numbers = st.columns([1, 1, 2])
    small_a.plotly_chart(view.figure_a, key="inside_compare_a")
    small_b.plotly_chart(view.figure_b, key="inside_compare_b")
    numbers.markdown(view.cosine)
    numbers.markdown(view.neurons)
    numbers.caption(view.caption)
    st.plotly_chart(view.patterns)


def show_shift(view: lesson.ShiftView) -> None:
    st.plotly_chart(view.figure, key="inside_shift_one")
    st.markdown(view.mean)
    st.markdown(view.average_title)
    st.plotly_chart(view.average_figure, key="inside_shift_average")
    st.markdown(view.average_mean)
    if view.gain is not None:
        st.markdown(view.gain)


def show_saliency(view: lesson.SaliencyView) -> None:
    st.markdown(view.text)
    for column, (title, figure) in zip(st.columns(3), view.panels):
        column.plotly_chart(figure, key=f"inside_saliency_{title}")
    st.caption(view.caption)


main()
