"""Pooling: max and average pooling, strides, and translation invariance you can see.

The page is a short story: pick an image and a feature kernel, pool the feature map, open one
window, move the image and see what the pooled map keeps, then the article's tiny example and
the measured "depth adds tolerance" curve. Every number, sentence and picture comes from
:mod:`cnnviz.lessons.pooling`; this file declares the settings, draws the controls, makes one
lesson call per section and draws its view.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.lessons import pooling as lesson
from cnnviz.lessons.pooling import ARTICLE_SHIFTS, MAX_SHIFT, MAX_WINDOW, PICKED
from cnnviz.maths.invariance import DEPTH_STACKS
from cnnviz.maths.kernels import KERNELS
from cnnviz.maths.ops import POOL_MODES
from cnnviz.pictures.images import SAMPLES, sample_image
from pages._pool_draw import NO_BAR, show_grid, show_map, show_row
from pages._registry import ensure_app_navigation
from pages._state import Setting, either, keep, on_off, one_of, put, to_link, whole_number
from pages._ui import PickedImage, image_picker, pick_cell, show_image

PAGE = "pool"
ARTICLE_DEFAULT = "1 pixel right"
SHIFTS = (-MAX_SHIFT, MAX_SHIFT)
SHIFT = whole_number(*SHIFTS)
#: Every setting, by name, kept across page switches (see _keep()); all but the cell in links.
SETTINGS = {setting.key.removeprefix("pool_"): setting for setting in [
    Setting("pool_kernel", lesson.DEFAULT_KERNEL, "kernel", one_of(list(KERNELS)), "kernel name"),
    Setting("pool_relu", True, "relu", on_off, "ReLU switch"),
    Setting("pool_mode", "max", "mode", one_of(POOL_MODES), "pooling mode"),
    Setting("pool_size", 2, "size", whole_number(1, MAX_WINDOW), "window size"),
    # A link's stride: "auto" (the toggle on) or a number (in the slider; see pooling_controls)
    Setting("pool_stride_auto", True, "stride", either(["auto"], 1, MAX_WINDOW), "stride"),
    Setting("pool_stride", 2),
    Setting("pool_padding", "valid", "padding", one_of(("valid", "same")), "padding"),
    # The pooled cell of section 3 and the map size it was chosen on (see window_section)
    *(Setting(f"pool_{name}", default) for name, default in {
        "row": 0, "col": 0, "window_grid": None}.items()),
    Setting("pool_dx", 1, "dx", SHIFT, "shift"),
    Setting("pool_dy", 0, "dy", SHIFT, "shift"),
    Setting("pool_article", ARTICLE_DEFAULT, "article", one_of(list(ARTICLE_SHIFTS)), "shift"),
    Setting("pool_stack", "Edges, then blur", "stack", one_of(list(DEPTH_STACKS)), "stack"),
    Setting("pool_depth_image", "Camera man", "depth_image", one_of([*SAMPLES, PICKED]), "image"),
]}  # fmt: skip


def main() -> None:
    ensure_app_navigation()
    st.title("Pooling: keep the strongest answer, forget exactly where it was")
    st.markdown(lesson.INTRO)
    st.header("1. An image and a feature", divider="gray")
    picked: PickedImage = image_picker(PAGE)
    feature_and_pooling(picked)

    st.header("5. The article's example", divider="gray")
    st.markdown(lesson.ARTICLE_INTRO)
    article_section()

    st.header("6. Depth adds tolerance", divider="gray")
    st.markdown(lesson.DEPTH_INTRO)
    depth_section(picked)


@st.fragment
def feature_and_pooling(picked: PickedImage) -> None:
    """The feature and sections 2 to 4. A fragment: a new kernel or pooling setting reruns only
    this part, not the picture picker nor sections 5 and 6, which do not depend on them."""
    kernel, relu = feature_controls()
    st.header("2. Pool the feature map", divider="gray")
    mode, size, stride, padding = pooling_controls()
    settings = lesson.Settings(kernel, relu, mode, size, stride, padding)
    auto = st.session_state["pool_stride_auto"]
    link = {"kernel": kernel, "relu": relu, "mode": mode, "size": size, "padding": padding}
    to_link(link | {"stride": "auto" if auto else stride})
    try:
        view = _pooling(picked.token, picked.array, settings)
    except ValueError as error:
        st.error(str(error))
        view = None
    if view is not None:
        pooling_section(view)
        st.header("3. One window, step by step", divider="gray")
        window_section(view, settings)
        st.header("4. Move the image: what does pooling keep?", divider="gray")
        st.markdown(lesson.SHIFT_INTRO)
        shift_section(view, settings)
        st.caption(lesson.SHIFT_LEGEND)  # outside the shift's fragment: a shift leaves it be


# --- cached lesson calls ----------------------------------------------------------------------

_article = st.cache_data(show_spinner=False)(lesson.article_view)


@st.cache_data(show_spinner=False, max_entries=16)
def _pooling(token: str, _image, settings: lesson.Settings) -> lesson.PoolingView:
    return lesson.pooling_view(_image, settings)


@st.cache_data(show_spinner=False, max_entries=8)
def _depth(token: str, _image, stack: str) -> lesson.DepthView:
    return lesson.depth_view(_image, stack)


@st.cache_data(show_spinner=False, max_entries=16)
def _sample_depth(name: str, stack: str) -> lesson.DepthView:
    return lesson.depth_view(sample_image(name), stack)


# --- controls: each returns plain values ------------------------------------------------------


def feature_controls() -> tuple[str, bool]:
    _keep("kernel", "relu")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.selectbox("Feature kernel", list(KERNELS), key="pool_kernel")
    relu = right.checkbox("ReLU after the convolution", key="pool_relu")
    st.caption(lesson.feature_caption(name))
    return name, relu


def pooling_controls() -> tuple[str, int, int, str]:
    _keep("mode", "size", "stride_auto", "stride", "padding")
    if not isinstance(chosen := st.session_state["pool_stride_auto"], bool):  # from a link
        put(PAGE, {"pool_stride_auto": True} if chosen == "auto" else
                  {"pool_stride_auto": False, "pool_stride": chosen})  # fmt: skip
    c1, c2, c3, c4 = st.columns(4)
    mode = c1.radio("Pooling", POOL_MODES, key="pool_mode", horizontal=True)
    size = c2.slider("Window size", 1, MAX_WINDOW, key="pool_size")
    auto = c3.toggle("Stride = window (Keras)", key="pool_stride_auto")
    if auto:
        put(PAGE, {"pool_stride": size})
    stride = c3.slider("Stride", 1, MAX_WINDOW, key="pool_stride", disabled=auto)
    padding = c4.radio("Padding", ("valid", "same"), key="pool_padding", horizontal=True)
    c4.caption(lesson.PADDING_NOTE)
    return mode, size, stride, padding


# --- sections: one lesson call each, then drawing ---------------------------------------------


def pooling_section(view: lesson.PoolingView) -> None:
    st.markdown(view.sizes)
    st.markdown(view.formula)
    left, right, bar = st.columns([1, 1, 0.01] if view.hover else [5, 5, 1.3])
    show_map(left, view.feature, "pool_f")
    show_map(right, view.pooled, "pool_p")
    if view.bar is not None:
        show_image(bar, view.bar)
    st.caption(view.caption)


@st.fragment
def window_section(view: lesson.PoolingView, settings: lesson.Settings) -> None:
    ph, pw = view.stage.pooled.shape
    _keep("row", "col", "window_grid")
    if st.session_state["pool_window_grid"] != (ph, pw):  # new map: start in the middle
        put(PAGE, {"pool_window_grid": (ph, pw), "pool_row": ph // 2, "pool_col": pw // 2})
    left, right = st.columns(2)
    row = left.slider("Pooled row", 0, ph - 1, key="pool_row") if ph > 1 else 0
    col = right.slider("Pooled column", 0, pw - 1, key="pool_col") if pw > 1 else 0
    window = lesson.window_view(view.stage, settings, row, col, view.scale)
    pooled, feature, grid = st.columns(3)
    pick_cell(pooled, window.pooled_picture, (ph, pw), key="pool_pick", on_pick=_pick)
    pooled.caption(f"Pooled map: cell ({row}, {col}) outlined. Click a cell to open its window.")
    show_image(feature, window.feature_picture, caption="Feature map: that cell's window")
    show_grid(grid, window.grid, "pool_window")
    grid.markdown(window.text)
    for note in window.notes:
        grid.caption(note)


def _pick(row: int, col: int) -> None:
    """A click on the pooled map opens that cell's window (as if the sliders were moved)."""
    put(PAGE, {"pool_row": row, "pool_col": col})


@st.fragment
def shift_section(view: lesson.PoolingView, settings: lesson.Settings) -> None:
    _keep("dx", "dy")
    left, right = st.columns(2)
    dx = left.slider("Shift right (dx, pixels; negative = left)", *SHIFTS, key="pool_dx")
    dy = right.slider("Shift down (dy, pixels; negative = up)", *SHIFTS, key="pool_dy")
    to_link({"dx": dx, "dy": dy})
    shift = lesson.shift_view(view.stage, settings, dx, dy, view.scale)  # the fragment keeps stage
    maps = st.container(key="pool_shift_maps")  # one box: the bench times its pictures
    if shift.picture is not None:
        maps.markdown(shift.summary)
        show_image(maps, shift.picture, caption=shift.caption)
        return
    *inputs, pooled = shift.rows  # small maps: the pooled row right under the sliders
    show_row(maps, *pooled)
    maps.markdown(shift.summary)
    with maps.expander("The image and its feature map, moved the same way"):
        for name, row in inputs:
            show_row(st, name, row)


def article_section() -> None:
    _keep("article")
    # `required` is kept by the browser; a run racing an upload was seen to get None anyway.
    if st.session_state["pool_article"] is None:
        put(PAGE, {"pool_article": ARTICLE_DEFAULT})
    choice = st.segmented_control(
        "Move the picture", list(ARTICLE_SHIFTS), key="pool_article", required=True
    )
    choice = choice or ARTICLE_DEFAULT
    to_link({"article": choice})
    article = _article(choice)
    for (label, grids), tag in zip(article.rows, "os"):
        st.markdown(f"**{label}**")
        for where, grid, part in zip(st.columns([1, 1, 0.75]), grids, "ifp"):
            show_grid(where, grid, f"pool_art_{tag}_{part}")
    st.markdown(article.summary)
    st.caption(article.explanation)


def depth_section(picked: PickedImage) -> None:
    _keep("stack", "depth_image")
    left, right = st.columns(2)
    stack = left.selectbox("Stages", list(DEPTH_STACKS), key="pool_stack")
    source = right.selectbox("Measured on", [*SAMPLES, PICKED], key="pool_depth_image")
    to_link({"stack": stack, "depth_image": source})
    st.caption(lesson.stack_caption(stack))
    try:
        if source == PICKED:
            depth = _depth(picked.token, picked.array, stack)
        else:
            depth = _sample_depth(source, stack)
    except ValueError as error:
        st.error(str(error))
        return
    st.plotly_chart(depth.figure, key="pool_depth_chart", config=NO_BAR)
    st.markdown(depth.numbers)
    st.markdown(depth.finding)
    st.caption(depth.caption)


def _keep(*names: str) -> None:
    """Keep these settings just before drawing their widgets (see pages._state.keep: why)."""
    keep(PAGE, [SETTINGS[name] for name in names])


main()
