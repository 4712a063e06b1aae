"""The Inside page's controls: its input (a test digit, a drawing or a photo), the digit to
compare with, and the class whose saliency is shown.

Each function draws its controls and returns plain values or a
:class:`~cnnviz.lessons.inside.Digit` (None while there is nothing to read yet); the input's
controls also return where the prediction goes (right under the drawing canvas, so that on a
phone the canvas, its undo/clear buttons and the model's reading fit one screen). Every
control's setting is declared once, in :func:`settings`, and kept (``pages._state.keep``) just
before its widget is drawn: a value written for a widget that is not drawn in the same run
would stay behind in the session and come back in place of the visitor's value after a visit
to another page. An uploaded photo and the last drawing are plain session state, so they
outlive such a visit too.
"""

from __future__ import annotations

import random

import streamlit as st
import streamlit.components.v1 as components
from streamlit.delta_generator import DeltaGenerator

from cnnviz.lessons import inside as lesson
from cnnviz.lessons.inside import Digit
from cnnviz.pictures import ImageError
from cnnviz.pictures.images import UPLOAD_TYPES
from pages._models import get_dataset
from pages._state import Setting, keep, one_of, whole_number
from pages._text import file_label, plain

PAGE = "inside"

SOURCES = {"test": "A test digit", "draw": "Draw one", "upload": "Upload a photo"}
COMPARE = ["another test digit", "this digit, shifted"]
NOT_SAID = "not said (use the prediction)"
CANVAS_SIDE = 280  # ten canvas pixels per MNIST pixel
STROKE = 20
#: The canvas's undo/redo/clear bar shows on hover, which a finger never gives (drawing
#: prevents the tap's emulated mouse events), so on a phone it stayed hidden. On screens
#: without hover it is shown all along: a style put into the component's own (isolated) tree,
#: the only place a style reaches it, and put again if the component is drawn anew.
PIN_CANVAS_TOOLBAR = """<script>
const doc = window.parent.document;
const css = '@media (hover: none) { .dc-toolbar { opacity: 1 !important; '
  + 'top: -2.65rem !important; } }';
function pin() {
  for (const host of doc.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
    const root = host.shadowRoot;
    if (root && root.querySelector('.dc-toolbar') && !root.querySelector('style.cnnviz-pin')) {
      const style = doc.createElement('style');
      style.className = 'cnnviz-pin';
      style.textContent = css;
      root.appendChild(style);
    }
  }
}
pin();
setInterval(pin, 500);
</script>"""


def settings() -> dict[str, Setting]:
    """Every control's setting by widget key; the main ones also travel in the link."""
    count = len(get_dataset("sample").x_test)
    return {
        setting.key: setting
        for setting in [
            Setting("inside_source", "test", "source", one_of(list(SOURCES)), "input"),
            Setting("inside_index", 0, "digit", whole_number(0, count - 1), "test digit number"),
            Setting("inside_meant_drawn", NOT_SAID),
            Setting("inside_meant_upload", NOT_SAID),
            Setting("inside_compare_kind", COMPARE[0]),
            Setting("inside_compare_dx", 2),
            Setting("inside_compare_dy", 0),
            Setting("inside_compare_index", 1),
            Setting(
                "inside_saliency_class", lesson.PREDICTION, "explain", whole_number(0, 9), "digit"
            ),
        ]
    }


def _keep(*keys: str) -> None:
    """Keep these controls' settings; call it just before drawing their widgets."""
    declared = settings()
    keep(PAGE, [declared[key] for key in keys])


def input_ui() -> tuple[Digit | None, DeltaGenerator | None]:
    """The choice of input and its controls: the digit (None when there is nothing to show
    yet), and the place kept for the prediction (None: the page puts it beside the input)."""
    _keep("inside_source")
    source = st.radio(
        "Which digit goes in?",
        list(SOURCES),
        format_func=SOURCES.get,
        horizontal=True,
        key="inside_source",
    )
    if source == "draw":
        return drawn_digit_ui()
    return {"test": test_digit_ui, "upload": uploaded_digit_ui}[source](), None


def _random_index(count: int) -> None:
    st.session_state["inside_index"] = random.randrange(count)


def test_digit_ui() -> Digit:
    """A test digit by number, or a random one; with its true label."""
    data = get_dataset("sample")
    count = len(data.x_test)
    _keep("inside_index")
    number, button = st.columns([3, 1], vertical_alignment="bottom")
    index = number.number_input(
        lesson.digit_number_label(count),
        min_value=0,
        max_value=count - 1,
        key="inside_index",
        help="The sample's test digits: the default model never trained on them.",
    )
    button.button(
        "Random digit", key="inside_random", on_click=_random_index, args=(count,), width="stretch"
    )
    return lesson.numbered_digit(data, index)


def meant_ui(key: str) -> int | None:
    """Which digit the visitor meant to draw or photograph (None: not said)."""
    _keep(key)
    choice = st.selectbox(
        "Which digit is it?",
        [NOT_SAID, *range(10)],
        key=key,
        help="Used as the true digit in the shift experiment below.",
    )
    return None if choice == NOT_SAID else int(choice)


def drawn_digit_ui() -> tuple[Digit | None, DeltaGenerator | None]:
    """A canvas to draw on with the mouse or a finger; the last drawing outlives a page switch.

    Beside the canvas (under it on a phone) an empty place for the prediction, then the
    "which digit is it?" choice: the reading follows the pen without scrolling.
    """
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception as error:  # the component failed to register: say so, offer the rest
        st.info(f"The drawing canvas is not available here ({error}). Upload a photo instead.")
        return None, None
    kept = st.session_state.setdefault("inside_drawing", {})
    if "inside_canvas" not in st.session_state:  # a new canvas: it starts with the kept drawing
        kept["start"] = kept.get("json")
    st.markdown(
        "Draw one digit with the mouse or a finger, large, filling most of the black square: "
        "white ink on black, as in MNIST. The model reads it as soon as you lift the pen."
    )
    pad, notes = st.columns([1, 2], gap="large")
    with pad:
        st.caption("Point at or touch the square: buttons above it undo, redo, or clear it.")
        result = st_canvas(
            stroke_width=STROKE,
            stroke_color="#ffffff",
            background_color="#000000",
            height=CANVAS_SIDE,
            width=CANVAS_SIDE,
            drawing_mode="freedraw",
            initial_drawing=kept.get("start"),
            key="inside_canvas",
            return_image_data=True,
        )
        components.html(PIN_CANVAS_TOOLBAR, height=0, width=0)
    with notes:
        slot = st.container()  # the prediction, filled by the page
        label = meant_ui("inside_meant_drawn")
    image = getattr(result, "image_data", None)
    if image is not None:
        kept.update(image=image, json=getattr(result, "json_data", None))
    image = kept.get("image")
    if image is None:
        slot.info("Draw a digit on the black square to see the model read it.")
        return None, slot
    try:
        return lesson.drawn_digit(image, label), slot
    except ValueError as error:  # an empty canvas
        slot.info(str(error))
        return None, slot


def _on_upload() -> None:
    """Read and prepare a new upload; on failure keep the previous one and say why."""
    uploaded = st.session_state.get("inside_upload")
    st.session_state["inside_upload_error"] = None
    if uploaded is None:
        return
    try:
        image, steps = lesson.read_photo(uploaded.getvalue())
    except (ImageError, ValueError) as error:
        # Never Markdown: Pillow's messages quote the file's own bytes.
        message = f"{file_label(uploaded.name)}: {plain(str(error), 300)}"
        st.session_state["inside_upload_error"] = message
        return
    st.session_state["inside_upload_digit"] = (uploaded.name, image, steps)


def uploaded_digit_ui() -> Digit | None:
    """An uploader for a photo or scan of one handwritten digit."""
    st.file_uploader(
        lesson.upload_label(UPLOAD_TYPES),
        type=UPLOAD_TYPES,
        key="inside_upload",
        on_change=_on_upload,
        help="Dark ink on light paper or light ink on a dark background; a thick pen works best.",
    )
    error = st.session_state.get("inside_upload_error")
    if error:
        st.error(error)
    label = meant_ui("inside_meant_upload")
    kept = st.session_state.get("inside_upload_digit")
    if kept is None:
        st.info("Choose a picture of a digit with the uploader above.")
        return None
    return lesson.photo_digit(*kept, label)


def second_input_ui(digit: Digit) -> Digit:
    """The second input of the comparison: this digit shifted, or another test digit."""
    _keep("inside_compare_kind")
    kind = st.radio("Compare with", COMPARE, horizontal=True, key="inside_compare_kind")
    if kind == "this digit, shifted":
        _keep("inside_compare_dx", "inside_compare_dy")
        left, right = st.columns(2)
        dx = left.slider("Shift right (pixels)", -4, 4, key="inside_compare_dx")
        dy = right.slider("Shift down (pixels)", -4, 4, key="inside_compare_dy")
        return lesson.shifted_digit(digit, dx, dy)
    data = get_dataset("sample")
    _keep("inside_compare_index")
    index = st.number_input(
        "Test digit number", 0, len(data.x_test) - 1, key="inside_compare_index"
    )
    return lesson.numbered_digit(data, index)


def saliency_ui(predicted: int) -> str | int:
    """The digit whose score is explained: :data:`~cnnviz.lessons.inside.PREDICTION` or 0–9."""
    _keep("inside_saliency_class")
    return st.selectbox(
        "Explain the score of digit",
        [lesson.PREDICTION, *range(10)],
        format_func=lambda choice: lesson.saliency_label(choice, predicted),
        key="inside_saliency_class",
    )
