"""What the filters see: receptive fields, occlusion, top examples, Grad-CAM, feature pictures,
and the hierarchy from strokes to parts.

A thin renderer of :mod:`cnnviz.lessons.filters`: each section draws its controls (in
``pages/_filters_controls.py``), makes one call into the lesson and draws the view it returns.
The slow parts are cached per model: the top examples (one pass over the test digits per
layer) with ``st.cache_data`` keyed on the model's weights digest, and the feature pictures,
made only on request, with a progress bar.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.worker import TrainingError
from cnnviz.lessons import filters as lesson
from cnnviz.lessons.inside import model_in_use
from pages._filters_controls import PAGE, digit_ui, feature_ui, field_ui, filter_ui, occlusion_ui
from pages._models import get_current_model, get_dataset
from pages._registry import ensure_app_navigation
from pages._state import put, to_link
from pages._ui import pick_cell, show_image

MADE_KEY = "filters_made"  # the feature pictures this visitor asked for, by cache key


def main() -> None:
    ensure_app_navigation()
    st.title("What the filters see")
    st.markdown(lesson.INTRO)
    try:
        model, own = get_current_model()
    except TrainingError as error:  # only when the default model had to be trained and failed
        st.error(f"The default model could not be prepared: {error} Reload the page to try again.")
        st.stop()
    st.info(model_in_use(model, own), icon=":material/neurology:")
    key = lesson.model_key(model)
    data = get_dataset("sample")
    index = digit_ui()
    digit = lesson.digit_input(data, index)
    label = int(data.y_test[index])

    st.header("Receptive field: what one cell can see")
    st.markdown(lesson.FIELD_INTRO)
    layer, cell = field_ui(model.spec)
    show_field(lesson.field_view(digit, model.spec, layer, cell), model.spec, layer)

    st.header("Occlusion: cover part of the digit")
    st.markdown(lesson.OCCLUSION_INTRO)
    patch, stride, fill, which = occlusion_ui()
    target = lesson.occlusion_class(model, digit, label, which)
    show_occlusion(lesson.occlusion_view(model, digit, target, patch, stride, fill), target)

    st.header("Top examples: what makes a filter respond")
    st.markdown(lesson.TOP_INTRO)
    top_layer, f = filter_ui(model.spec)
    top = top_examples(key, top_layer, model)
    show_top(lesson.top_view(model, top, searched(), data.y_test, f))

    st.header("Grad-CAM: where the evidence lies")
    show_grad_cam(lesson.grad_cam_view(model, digit, label))

    st.header("Feature pictures: what excites a filter or a class")
    st.markdown(lesson.FEATURE_INTRO)
    feature_section(key, model, top, f)

    st.header("From strokes to parts: the first layer and the last")
    convs = lesson.conv_layers(model.spec)
    last = top_examples(key, convs[-1], model) if len(convs) > 1 else None
    show_hierarchy(
        lesson.hierarchy_view(model, top_examples(key, convs[0], model), last, data.y_test)
    )
    to_link(
        {
            "digit": index,
            "layer": layer,
            "row": cell[0],
            "col": cell[1],
            "patch": patch,
            "stride": stride,
            "fill": st.session_state["filters_fill"],
            "explain": st.session_state["filters_explain"],
            "top_layer": top_layer,
            "filter": f,
        }
    )


# --- computations cached per model -----------------------------------------------------------


def searched():
    """The test digits the top examples come from, (N, 28, 28, 1) in [0, 1]."""
    return lesson.searched_digits(get_dataset("sample"))


@st.cache_data(max_entries=24, show_spinner="Searching the test digits for each filter's best…")
def top_examples(key: str, layer: int, _model):
    """Every filter's top 9 test digits in ``layer``, once per model (``key``) and layer."""
    return lesson.find_top(_model, searched(), layer)


@st.cache_resource
def made_pictures() -> dict:
    """Feature pictures by (model digest, target, layer, index), for every session: slow to
    make, read-only once made (the lesson's frozen results); the oldest go beyond 64."""
    return {}


def feature(wanted: tuple, model, on_step):
    """A feature picture, made once per model, target and filter or class."""
    kept = made_pictures()
    picture = kept.get(wanted)
    if picture is None:  # two visitors may both make it: the same picture, kept once
        _, target, layer, index = wanted
        picture = lesson.make_feature(model, target, layer, index, on_step=on_step)
        kept[wanted] = picture
        for old in list(kept)[:-64]:  # a copy of the keys: another session may change it
            kept.pop(old, None)
    return picture


def feature_section(key: str, model, top, f: int) -> None:
    target, digit = feature_ui()
    index = f if target == "filter" else digit
    wanted = (key, target, top.layer, index)
    made = st.session_state.setdefault(MADE_KEY, set())
    if st.button("Make the feature picture", key="filters_make", icon=":material/auto_awesome:"):
        made.add(wanted)
    if wanted not in made:
        st.caption(lesson.feature_offer(model.spec, target, top.layer, index))
        return
    bar = st.progress(0.0, text="Gradient ascent…")

    def on_step(done: int, steps: int) -> None:
        bar.progress(done / steps, text=f"Gradient ascent: step {done} of {steps}")

    picture = feature(wanted, model, on_step)
    bar.empty()
    view = lesson.feature_view(
        picture, lesson.target_name(model.spec, target, top.layer, index),
        float(top.mean[index]) if target == "filter" else None,
    )  # fmt: skip
    show_image(st, view.picture)
    st.markdown(view.text)


# --- drawing ----------------------------------------------------------------------------------


def show_field(view: lesson.FieldView, spec, layer: int) -> None:
    picture, words = st.columns([1, 1], gap="large")

    def on_pick(row: int, col: int) -> None:  # a click on the input picks the cell seeing it
        r, c = lesson.cell_for_pixel(spec, layer, (row, col))
        put(PAGE, {"filters_row": r, "filters_col": c})

    pick_cell(picture, view.picture, (28, 28), key="filters_field_click", on_pick=on_pick,
              width=280)  # fmt: skip
    picture.caption("The input, the field outlined: click to pick the cell that sees there")
    words.markdown(view.headline)
    words.text("\n".join(view.steps))
    words.caption(view.formula)


def show_occlusion(view: lesson.OcclusionView, label: int) -> None:
    left, right = st.columns(2)
    show_image(left, view.occlusion, caption=f"Probability of {label}, patch there")
    show_image(right, view.saliency, caption=f"Saliency for {label}: gradient × input")
    st.caption(view.legend)
    st.markdown(view.sentence)


def show_top(view: lesson.TopView) -> None:
    st.subheader(view.title)
    places = st.columns(3 if view.kernel is not None else 2)
    show_image(places[0], view.digits, caption="The 9 digits, the field outlined")
    show_image(places[1], view.patches, caption="What the field sees")
    if view.kernel is not None:
        show_image(places[2], view.kernel, caption="The kernel (red +, blue −)")
    st.caption(view.caption)


def show_grad_cam(view: lesson.GradCamView) -> None:
    st.markdown(view.text)
    if view.available:
        left, right = st.columns(2)
        show_image(left, view.grad_cam, caption="Grad-CAM (bright: evidence for the class)")
        show_image(right, view.saliency, caption="Saliency: gradient × input")


def show_hierarchy(view: lesson.HierarchyView) -> None:
    if view.available:
        left, right = st.columns(2)
        show_image(left, view.first, caption=view.first_caption)
        show_image(right, view.last, caption=view.last_caption)
    st.markdown(view.text)


main()
