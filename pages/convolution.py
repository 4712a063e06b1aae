"""Convolution: slide a kernel over a picture, multiply and add, and see every number it makes.

The story is main(); every number, sentence and picture comes from cnnviz.lessons.convolution;
the settings are declared once, in SETTINGS at the bottom, and kept by pages._state.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnviz.lessons import convolution as lesson
from cnnviz.lessons.convolution import MAX_DILATION, MAX_PADDING, MAX_STRIDE, MapView, Settings
from cnnviz.maths.activations import ACTIVATIONS
from cnnviz.maths.kernels import KERNELS
from pages import _ui
from pages._conv_play import animation
from pages._registry import ensure_app_navigation
from pages._state import Setting, either, keep, put, to_link, whole_number
from pages._ui import PickedImage, display_picture, image_picker, kernel_picker, pick_cell
from pages._ui import show_image as show

PAGE = "conv"


def main() -> None:
    """The lesson, top to bottom: a picture; kernel and map side by side; a cell; the eyes."""
    ensure_app_navigation()
    st.title("Convolution: slide a kernel, multiply, add up")
    st.markdown(lesson.INTRO)
    st.subheader("1 · Pick a picture")
    picked = image_picker(PAGE)
    per_channel = color_control(picked) != lesson.GRAYSCALE
    kernel_and_map(picked, per_channel)
    st.subheader("5 · The article's example: where are the eyes?")
    eye_example()


@st.fragment
def kernel_and_map(picked: PickedImage, per_channel: bool) -> None:
    """Sections 2 to 4. A fragment: changing the kernel or a setting reruns only this part.

    The picture, the kernel and the map sit side by side (one projector screen); each heading
    is inside its column, so on a phone each stacks above its own controls."""
    state = st.session_state
    state["conv_section_run"] = state.get("conv_section_run", 0) + 1  # see animation()
    picture_col, kernel_col, map_col = st.container(key="conv_bench").columns([1, 1.25, 1])
    picture_col.subheader("The picture")
    with kernel_col:
        st.subheader("2 · Pick or write a kernel")
        kernel = kernel_picker(PAGE)
        _keep("stride", "padding", "dilation", "activation")  # a bad link value warns out here
        with st.popover("Stride, padding, dilation, activation", key="conv_slide_tools"):
            settings = settings_controls(refusals := [])
            label = "Activation after the sum"
            activation = st.radio(label, list(ACTIVATIONS), key="conv_activation", horizontal=True)
            st.caption(ACTIVATIONS[activation][1])
        for message in refusals:  # outside the popover: seen when it closes
            st.error(message)
    map_col.subheader("3 · The feature map")
    _keep("clip_for")
    if state["conv_clip_for"] != picked.token:  # a new picture: the clip that suits it
        put(PAGE, {"conv_clip_for": picked.token, "conv_clip": _clips(picked.token, picked.array)})
    _keep("clip")
    try:
        view = lesson.feature_map(
            picked.array, kernel.values, settings, per_channel=per_channel, clip=state["conv_clip"],
            activation=activation, kernel_name=kernel.name, gray=picked.gray,
        )  # fmt: skip
    except ValueError as error:
        del state["conv_clip"]  # no box this run: see _keep()
        map_col.markdown(lesson.output_size_text(picked.array.shape, kernel.values.shape, settings))
        map_col.error(str(error))
        return
    show_maps(picked, view, picture_col, map_col)
    st.subheader("4 · Step through one output cell")
    step_through(kernel.values, settings, view)


def eye_example() -> None:
    """The article's example: an eye-shaped kernel on a cartoon face, then a threshold."""
    st.markdown(lesson.EYE_INTRO)
    _keep("eye_threshold")
    label = "Threshold, as a share of the strongest response (%)"
    percent = st.slider(label, min_value=0, max_value=100, step=5, key="conv_eye_threshold")
    eye = _eye_example(int(percent))
    with st.container(key="conv_eye"):
        a, b, c, d = st.columns([1, 1, 0.45, 1])
        show(a, eye.face, caption="Cartoon face, 64 × 64")
        show(b, eye.feature_map, caption="Eye-detector feature map")
        show(c, eye.colorbar, width="content")
        show(d, eye.mask, caption=eye.mask_caption)
    (st.success if eye.found else st.warning)(eye.verdict)
    st.button("Use this example above", key="conv_use_eye", on_click=_use_eye_example)


def settings_controls(refusals: list[str]) -> Settings:
    """Stride, padding and dilation (and the activation drawn next), written into the link;
    a refused number's message is added to ``refusals``. Their values are kept already."""
    mode, pixels = lesson.padding_choice(st.session_state["conv_padding"])  # a link's "padding=2"
    if pixels is not None:
        put(PAGE, {"conv_padding": mode, "conv_pad_px": pixels})
    label = "Stride: how many pixels the window moves each step"
    stride = number_box(label, "stride", 1, MAX_STRIDE, refusals=refusals)
    padding = st.radio(
        "Padding: zeros added around the picture", ["valid", "same", "pixels"], horizontal=True,
        key="conv_padding", captions=["none", "keep the size (stride 1)", "choose how many"],
    )  # fmt: skip
    if padding == "pixels":
        label = "Zeros on each side (pixels)"
        padding = number_box(label, "pad_px", 0, MAX_PADDING, "padding", refusals)
    label = "Dilation: spacing between the kernel's taps (1 = side by side)"
    dilation = number_box(label, "dilation", 1, MAX_DILATION, refusals=refusals)
    to_link({"stride": stride, "padding": padding, "dilation": dilation})
    return Settings(stride, padding, dilation)


def number_box(label: str, name: str, low: int, high: int, what="", refusals=None, **kw) -> int:
    """Setting ``name``'s box; out of range, refused in words (shown, or added to ``refusals``)."""
    _keep(name, f"{name}_in_use")
    typed, last = st.number_input(label, step=1, key=f"conv_{name}", **kw), f"conv_{name}_in_use"
    value, refusal = lesson.number_in_use(typed, st.session_state[last], low, high, what or name)
    put(PAGE, {last: value})  # the last accepted value (or that one, moved into range)
    if refusal:
        st.error(refusal) if refusals is None else refusals.append(refusal)
    return value


def color_control(picked: PickedImage) -> str:
    """Grayscale or per channel, for colour pictures."""
    if picked.is_color:
        _keep("color")
        modes, captions = list(lesson.COLOUR_MODES), list(lesson.COLOUR_MODES.values())
        return st.radio("Colour", modes, key="conv_color", horizontal=True, captions=captions)
    st.caption("This picture has one channel (grayscale), so one kernel makes one map.")
    return lesson.GRAYSCALE


def _use_eye_example() -> None:
    # The eyes are the strongest cells: no clipping (a new picture's is the face's own: off).
    put(PAGE, {"conv_clip": False, "conv_padding": "same", "conv_stride": 1, "conv_dilation": 1})
    _ui.choose_sample(PAGE, "Cartoon face")
    _ui.set_kernel(PAGE, KERNELS["Eye detector"].values, "Eye detector")


def show_maps(picked: PickedImage, view: MapView, picture_col, map_col) -> None:
    """The input and the feature map at one scale, the map's colour bar under it; a click on
    the map picks the cell to step through."""
    if view.pixelated:  # the browser must not blur enlarged small pictures
        st.html(
            "<style>.st-key-conv_bench img, .st-key-conv_eye img, .st-key-conv_anim img "
            "{image-rendering: pixelated;}</style>"
        )
    picture_widths, map_widths = view.columns
    picture = display_picture(PAGE, picked, gray=not view.per_channel, factor=view.factor)
    show(picture_col.columns(picture_widths)[0], picture, width="stretch")
    picture_col.caption(view.input_caption)
    with map_col.container(key="conv_maps"):
        place = st.columns(map_widths)[0]
        pick_cell(place, view.map_picture, view.fmap.shape, key="conv_pick", on_pick=_pick)
        show(place, view.colorbar, width="stretch")
        st.caption(f"{view.map_caption} Click a cell to step through it.")
    st.markdown(view.title)
    with st.expander("How the output size is worked out"):
        st.markdown(view.size_text)
    st.checkbox(lesson.CLIP_LABEL, key="conv_clip")
    if view.per_channel:
        st.markdown(lesson.CHANNEL_INTRO)
        show(st, view.channels_picture, caption=lesson.CHANNELS_CAPTION)


def _pick(row: int, col: int) -> None:
    """A click on the feature map: the step-through shows that cell (as if typed)."""
    put(PAGE, {"conv_row": row, "conv_col": col})


def step_through(kernel: np.ndarray, settings: Settings, view: MapView) -> None:
    """One output cell: its window, the kernel, the products and the sum; then Play."""
    (oh, ow), state = view.fmap.shape, st.session_state
    _keep("row", "col", "cell_map")  # a new map size moves the cell inside (lesson.start_cell)
    cell = state["conv_row"], state["conv_col"]
    row, col = lesson.start_cell(cell, (oh, ow), state["conv_cell_map"])
    put(PAGE, {"conv_row": row, "conv_col": col, "conv_cell_map": (oh, ow)})
    channel, refusals = lesson.CHANNELS[0], []
    with st.container(horizontal=True, gap="medium"):  # one block, not 1 + 3 columns
        row = number_box("Output row", "row", 0, oh - 1, "row", refusals, width=180)
        col = number_box("Output column", "col", 0, ow - 1, "column", refusals, width=180)
        if view.per_channel:
            _keep("channel")
            label = "Channel in the grids"
            channel = st.radio(label, lesson.CHANNELS, key="conv_channel", horizontal=True)
    for message in refusals:
        st.error(message)
    step = lesson.step_through(view, kernel, settings, row, col, channel=channel)
    show(st, step.picture, caption=step.caption)
    st.html(step.grids)
    st.markdown(step.sums)
    animation(kernel, settings, view, step.block)


def _keep(*names: str) -> None:
    """Keep these settings: call it in the run that draws their widgets (see pages._state.keep)."""
    keep(PAGE, [BY_NAME[name] for name in names])


#: Each setting once; stride, padding and dilation travel in links (see lesson.padding_choice).
PADDING = either(["valid", "same"], 0, MAX_PADDING, "of pixels")
SETTINGS = [
    Setting("conv_stride", 1, "stride", whole_number(1, MAX_STRIDE), "stride"),
    Setting("conv_padding", "valid", "padding", PADDING, "padding"),
    Setting("conv_dilation", 1, "dilation", whole_number(1, MAX_DILATION), "dilation"),
    Setting("conv_pad_px", 1),
    Setting("conv_color", lesson.GRAYSCALE),
    Setting("conv_activation", "none"),
    Setting("conv_clip", False),
    Setting("conv_clip_for", None),  # the picture whose clip choice conv_clip holds
    Setting("conv_row", None),  # None: the map's middle (lesson.start_cell)
    Setting("conv_col", None),
    Setting("conv_cell_map", None),  # the map's size when the cell was last placed
    Setting("conv_channel", lesson.CHANNELS[0]),
    Setting("conv_eye_threshold", 40),
    # The last value each number box accepted: lesson.number_in_use names it when refusing.
    *(Setting(f"conv_{n}_in_use", None) for n in ("stride", "pad_px", "dilation", "row", "col")),
]
BY_NAME = {setting.key.removeprefix("conv_"): setting for setting in SETTINGS}
_eye_example = st.cache_data(show_spinner=False, max_entries=32)(lesson.eye_example)
_clips = st.cache_data(show_spinner=False, max_entries=16)(
    lambda token, _p: lesson.clips_by_default(_p)
)

main()
