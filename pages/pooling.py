"""Pooling: max and average pooling, strides, and translation invariance you can see.

The page is a short story: pick an image and a feature kernel, pool the feature map, open one
window, move the image and see what the pooled map keeps, then the article's tiny example and
the measured "depth adds tolerance" curve. All arithmetic lives in :mod:`cnnviz`; this file
only reads controls, calls the core and draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnviz.maths.invariance import (
    ARTICLE_CROSSES,
    ARTICLE_KEEPS,
    DEPTH_STACKS,
    DepthCurve,
    ShiftComparison,
    Stage,
    article_example,
    compare_shift,
    depth_curve,
    run_stage,
)
from cnnviz.maths.kernels import KERNELS
from cnnviz.maths.ops import POOL_MODES, explain_output_size, explain_pool_at
from cnnviz.pictures.display import (
    picture_bytes,
    png_bytes,
    shift_grid,
    to_uint8,
    upscale_factor,
    zoom,
)
from cnnviz.pictures.figures import (
    HOVER_LIMIT,
    ColorScale,
    colorbar_image,
    colorize,
    heatmap_figure,
    number_grid_figure,
    scale_for,
    shift_change_figure,
    shrink,
)
from cnnviz.pictures.images import SAMPLES, sample_image
from pages._registry import ensure_app_navigation
from pages._state import query_value, whole_number
from pages._ui import PickedImage, image_picker, show_image

PAGE = "pool"
DEFAULT_KERNEL = "Eye detector"
MAX_WINDOW = 8
MAX_SHIFT = 16
#: Big maps are sent at most this many pixels wide: a column is narrower than that anyway.
DISPLAY_SIDE = 640
#: Each map of the big shift comparison is drawn this many pixels square: three maps and two
#: colour bars then make 940 px, the page's width on a 1400-px screen, so nothing is rescaled.
SHIFT_PANEL_SIDE = 256
#: st.image re-encodes any picture as JPEG unless told otherwise: slower, and it smears cells.
LOSSLESS = {"width": "stretch", "output_format": "PNG"}
PICKED = "The image picked above"
MOVED = (
    "The image moved; black fills the uncovered edge. On the right: blue = lower after the "
    "shift, red = higher, white = unchanged."
)
ARTICLE_SHIFTS = {
    "1 pixel right": ARTICLE_KEEPS,
    "2 pixels right": ARTICLE_CROSSES,
    "1 pixel left": (-1, 0),
}


@dataclass(frozen=True)
class Settings:
    """What the visitor chose: the feature and how to pool it."""

    kernel: str
    relu: bool
    mode: str
    size: int
    stride: int
    padding: str

    def pool(self) -> dict:
        return {"size": self.size, "stride": self.stride, "mode": self.mode}


# --- the URL ---------------------------------------------------------------------------------


def _choice(options):
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"Choose one of: {', '.join(options)}.")
        return text

    return parse


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("Expected 1 (on) or 0 (off).")
    return text == "1"


def _stride(text: str) -> int | str:
    return "auto" if text == "auto" else whole_number(1, MAX_WINDOW)(text)


def _start(key: str, param: str, parse, default, what: str) -> None:
    """Give widget ``key`` its first value: from the link if valid, else the default."""
    if key not in st.session_state:
        st.session_state[key] = query_value(param, parse, default, what)


def _to_url(values: dict[str, object]) -> None:
    for name, value in values.items():
        text = str(int(value)) if isinstance(value, bool) else str(value)
        if st.query_params.get(name) != text:
            st.query_params[name] = text


# --- controls: each returns plain values ----------------------------------------------------


def feature_controls() -> tuple[str, bool]:
    _start(f"{PAGE}_kernel", "kernel", _choice(list(KERNELS)), DEFAULT_KERNEL, "kernel name")
    _start(f"{PAGE}_relu", "relu", _flag, True, "ReLU switch")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.selectbox("Feature kernel", list(KERNELS), key=f"{PAGE}_kernel")
    relu = right.checkbox("ReLU after the convolution", key=f"{PAGE}_relu")
    st.caption(
        f"**{name}**: {KERNELS[name].description} The convolution uses padding 'same', so the "
        "feature map has the image's size; colour images are turned to grayscale first."
    )
    return name, relu


def pooling_controls() -> tuple[str, int, int, str]:
    _start(f"{PAGE}_mode", "mode", _choice(POOL_MODES), "max", "pooling mode")
    _start(f"{PAGE}_size", "size", whole_number(1, MAX_WINDOW), 2, "window size")
    _start(f"{PAGE}_stride_choice", "stride", _stride, "auto", "stride")
    _start(f"{PAGE}_padding", "padding", _choice(("valid", "same")), "valid", "padding")
    if f"{PAGE}_stride_auto" not in st.session_state:
        chosen = st.session_state[f"{PAGE}_stride_choice"]
        st.session_state[f"{PAGE}_stride_auto"] = chosen == "auto"
        st.session_state[f"{PAGE}_stride"] = 2 if chosen == "auto" else chosen
    c1, c2, c3, c4 = st.columns(4)
    mode = c1.radio("Pooling", POOL_MODES, key=f"{PAGE}_mode", horizontal=True)
    size = c2.slider("Window size", 1, MAX_WINDOW, key=f"{PAGE}_size")
    auto = c3.toggle("Stride = window (Keras)", key=f"{PAGE}_stride_auto")
    if auto:
        st.session_state[f"{PAGE}_stride"] = size
    stride = c3.slider("Stride", 1, MAX_WINDOW, key=f"{PAGE}_stride", disabled=auto)
    padding = c4.radio("Padding", ("valid", "same"), key=f"{PAGE}_padding", horizontal=True)
    c4.caption("'same' pads so each side keeps ⌈length / stride⌉ cells; padding never wins.")
    return mode, size, stride, padding


def shift_controls() -> tuple[int, int]:
    _start(f"{PAGE}_dx", "dx", whole_number(-MAX_SHIFT, MAX_SHIFT), 1, "shift")
    _start(f"{PAGE}_dy", "dy", whole_number(-MAX_SHIFT, MAX_SHIFT), 0, "shift")
    left, right = st.columns(2)
    dx = left.slider(
        "Shift right (dx, pixels; negative = left)", -MAX_SHIFT, MAX_SHIFT, key=f"{PAGE}_dx"
    )
    dy = right.slider(
        "Shift down (dy, pixels; negative = up)", -MAX_SHIFT, MAX_SHIFT, key=f"{PAGE}_dy"
    )
    return dx, dy


# --- computation, cached per picture and settings -------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def _stage(token: str, _image, settings: Settings) -> Stage:
    kernel = KERNELS[settings.kernel].values
    return run_stage(
        _image, kernel, relu=settings.relu, padding=settings.padding, **settings.pool()
    )


def _comparison(original: Stage, settings: Settings, dx: int, dy: int) -> ShiftComparison:
    """Not cached: every shift is new, and copying a result out of a cache costs more."""
    kernel = KERNELS[settings.kernel].values
    return compare_shift(
        original.image,
        kernel,
        dx,
        dy,
        relu=settings.relu,
        padding=settings.padding,
        original=original,
        **settings.pool(),
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _curve(token: str, _image, stack: str) -> DepthCurve:
    return depth_curve(_image, kernels=DEPTH_STACKS[stack].kernels)


@st.cache_data(show_spinner=False, max_entries=16)
def _sample_curve(name: str, stack: str) -> DepthCurve:
    return depth_curve(sample_image(name), kernels=DEPTH_STACKS[stack].kernels)


@st.cache_data(show_spinner=False)
def _article(dx: int, dy: int) -> ShiftComparison:
    return article_example(dx, dy)


@st.cache_data(show_spinner=False, max_entries=64)
def _map_png(token: str, what: str, _array, scale: ColorScale, side: int) -> bytes:
    """A colour-mapped map as PNG, cached under a name for what it shows (token + settings)."""
    return _png(_array, scale, side)


def _pixels(array, scale: ColorScale | None, side: int):
    """A map as 8-bit pixels: shrunk to ``side`` when bigger, zoomed to crisp cells when smaller.

    ``scale=None`` draws a picture with values in [0, 1] in gray.
    """
    shown = shrink(array, side)
    pixels = to_uint8(shown) if scale is None else colorize(shown, scale)
    return zoom(pixels, upscale_factor(pixels.shape, min_side=side // 2, max_side=side))


def _png(array, scale: ColorScale | None, side: int) -> bytes:
    return png_bytes(_pixels(array, scale, side))


# --- drawing: takes data, only renders ------------------------------------------------------


def _small(*arrays) -> bool:
    return max(a.size for a in arrays) <= HOVER_LIMIT


def show_map(where, array, scale: ColorScale, title: str, key: str, png: bytes | None = None):
    """One map: a hover heatmap when small, else a PNG (``png`` if given) with its title."""
    if array.size <= HOVER_LIMIT and png is None:
        where.markdown(f"**{title}**")  # above: a Plotly title would collide with the ticks
        fig = heatmap_figure(array, scale, height=330)
        where.plotly_chart(fig, key=key, config={"displayModeBar": False})
    else:
        picture = png or _png(array, scale, DISPLAY_SIDE)
        where.image(picture, caption=title, **LOSSLESS)


@st.cache_data(show_spinner=False, max_entries=64)
def _bar_png(scale: ColorScale, label: str) -> bytes:
    return png_bytes(colorbar_image(scale, height=260, label=label))


def show_bar(where, scale: ColorScale, label: str) -> None:
    where.image(_bar_png(scale, label), output_format="PNG")


def show_numbers(
    where,
    array,
    title: str,
    key: str,
    *,
    scale=None,
    digits=2,
    mark=None,
    origin=(0, 0),
    height=260,
):
    """A grid of numbers; ``origin`` labels its rows and columns from the map's coordinates."""
    where.markdown(f"**{title}**")  # above the figure: a Plotly title would collide with the ticks
    highlight = None if mark is None else (mark[0], mark[1], 1, 1)
    fig = number_grid_figure(
        array, scale=scale, digits=digits, height=height, origin=origin, highlight=highlight
    )
    where.plotly_chart(fig, key=key, config={"displayModeBar": False})


def _change(value: float) -> str:
    """A pattern change (1 − cosine) as the depth chart prints it, small ones not shown as 0."""
    return f"{value:.2f}" if value == 0 or value >= 0.1 else f"{value:.2g}"


def _verdict(c: ShiftComparison) -> str:
    """What pooling did to the change, in words that cannot contradict the numbers."""
    removed = c.change_removed
    if removed is None:
        return "The feature map did not change, so neither did the pooled map."
    if removed >= 0.005:
        return f"Pooling took away {removed:.0%} of the change."
    if removed > -0.005:
        return "Pooling left the change as it was."
    return (
        f"Here the pooled map changed more than the feature map ({-removed:.0%} more): pooling "
        "forgives a move that stays inside its windows, not any move."
    )


# --- the page -------------------------------------------------------------------------------

ensure_app_navigation()
st.title("Pooling: keep the strongest answer, forget exactly where it was")
st.markdown(
    "A convolution tells you *where* a feature appears; pooling then summarises each small "
    "window of that map by its strongest (or average) response, so the map shrinks and a "
    "feature that moves by a pixel often gives exactly the same pooled answer."
)

st.header("1. An image and a feature", divider="gray")
picked: PickedImage = image_picker(PAGE)
kernel_name, relu_on = feature_controls()

st.header("2. Pool the feature map", divider="gray")
mode, size, stride, padding = pooling_controls()
settings = Settings(kernel_name, relu_on, mode, size, stride, padding)
_to_url(
    {
        "kernel": kernel_name,
        "relu": relu_on,
        "mode": mode,
        "size": size,
        "stride": "auto" if st.session_state[f"{PAGE}_stride_auto"] else stride,
        "padding": padding,
    }
)

try:
    stage = _stage(picked.token, picked.array, settings)
except ValueError as error:
    st.error(str(error))
    stage = None


def pooling_section(picked: PickedImage, stage: Stage, settings: Settings) -> ColorScale:
    """Input map and pooled map side by side, the output-size formula; returns their scale."""
    h, w = stage.feature.shape
    ph, pw = stage.pooled.shape
    st.markdown(f"Feature map: {h} × {w} → pooled map: {ph} × {pw}")
    st.markdown(
        f"Rows: `{explain_output_size(h, settings.size, settings.stride, settings.padding)}`  \n"
        f"Columns: `{explain_output_size(w, settings.size, settings.stride, settings.padding)}`"
    )
    scale = scale_for(stage.feature, stage.pooled)
    small = _small(stage.feature)
    left, right, bar = st.columns([5, 5, 1.3] if not small else [1, 1, 0.01])
    token = f"{picked.token}|{settings}"
    feature_png = None if small else _map_png(token, "f", stage.feature, scale, DISPLAY_SIDE)
    pooled_png = None if small else _map_png(token, "p", stage.pooled, scale, DISPLAY_SIDE)
    show_map(
        left, stage.feature, scale, f"Feature map {h}×{w} (pooling input)", "pool_f", feature_png
    )
    show_map(
        right,
        stage.pooled,
        scale,
        f"{settings.mode.title()}-pooled map {ph}×{pw}",
        "pool_p",
        pooled_png,
    )
    if not small:
        show_bar(bar, scale, "value")
    st.caption(
        "Both maps use the same colours, so a cell in the pooled map can be compared with the "
        "window it summarises." + ("" if small else " Hover values appear for maps up to 64×64.")
    )
    return scale


@st.fragment
def window_section(stage: Stage, settings: Settings) -> None:
    """One window, its values and the max or mean chosen."""
    ph, pw = stage.pooled.shape
    if st.session_state.get(f"{PAGE}_window_grid") != (ph, pw):  # new map: start in the middle
        st.session_state[f"{PAGE}_window_grid"] = (ph, pw)
        st.session_state[f"{PAGE}_row"], st.session_state[f"{PAGE}_col"] = ph // 2, pw // 2
    left, right = st.columns(2)
    row = left.slider("Pooled row", 0, ph - 1, key=f"{PAGE}_row") if ph > 1 else 0
    col = right.slider("Pooled column", 0, pw - 1, key=f"{PAGE}_col") if pw > 1 else 0
    e = explain_pool_at(stage.feature, row, col, **settings.pool(), padding=settings.padding)
    rows = f"{e.top}–{e.top + settings.size - 1}" if settings.size > 1 else f"{e.top}"
    cols = f"{e.left}–{e.left + settings.size - 1}" if settings.size > 1 else f"{e.left}"
    grid, text = st.columns([1, 1.2], vertical_alignment="center")
    show_numbers(
        grid,
        e.window,
        f"Window: feature rows {rows}, columns {cols}",
        "pool_window",
        scale=scale_for(stage.feature, stage.pooled),
        digits=3,
        mark=e.argmax,
        origin=(e.top, e.left),
    )
    if settings.mode == "max":
        r, c = e.argmax
        text.markdown(
            f"**max = {e.value:.4g}**: the largest of the {e.window.size} values, at feature "
            f"row {e.top + r}, column {e.left + c} (outlined). So pooled cell ({row}, {col}) "
            f"= {e.value:.4g}."
        )
    else:
        text.markdown(
            f"**mean = {e.value:.4g}**: the average of the window's real cells. So pooled "
            f"cell ({row}, {col}) = {e.value:.4g}."
        )
    if settings.padding == "same":
        text.caption("Cells shown as nan lie in the padding: they take no part in the max or mean.")
    if settings.stride < settings.size:
        text.caption(
            f"Stride {settings.stride} < window {settings.size}: neighbouring windows overlap."
        )
    elif settings.stride > settings.size:
        text.caption(f"Stride {settings.stride} > window {settings.size}: cells are skipped.")


@st.fragment
def shift_section(settings: Settings, stage: Stage, scale: ColorScale, diff: ColorScale) -> None:
    """Original vs shifted at each stage, the differences and the numbers."""
    dx, dy = shift_controls()
    _to_url({"dx": dx, "dy": dy})
    c = _comparison(stage, settings, dx, dy)  # the fragment keeps `stage`: no cache lookup
    st.markdown(
        f"Change of the pattern: feature map {_change(c.feature_change)} → pooled map "
        f"{_change(c.pooled_change)} ({c.change_scale})  \n"
        f"{_verdict(c)}  \n"
        f"Largest change of a pooled cell: {c.largest_change:.4g} (the strongest pooled value "
        f"is {c.peak:.4g})"
    )
    maps = st.container(key=f"{PAGE}_shift_maps")  # one box: the bench times its pictures
    if _small(c.original.image):
        show_shift_heatmaps(maps, c, scale, diff)
    else:
        show_shift_grid(maps, c, scale, diff)


def show_shift_heatmaps(where, c: ShiftComparison, scale: ColorScale, diff: ColorScale) -> None:
    """Small maps: nine hover heatmaps, a row per stage, so every cell's value can be read."""
    rows = [
        ("Image", c.original.image, c.shifted.image, None, ColorScale("gray", 0.0, 1.0)),
        ("Feature map", c.original.feature, c.shifted.feature, c.feature_difference, scale),
        ("Pooled map", c.original.pooled, c.shifted.pooled, c.difference, scale),
    ]
    moved = f"({c.dx}, {c.dy})"
    for name, before, after, change, row_scale in rows:
        cols = where.columns(3)
        show_map(cols[0], before, row_scale, f"{name}: original", f"pool_o_{name}")
        show_map(cols[1], after, row_scale, f"{name}: shifted {moved}", f"pool_s_{name}")
        if change is not None:
            show_map(cols[2], change, diff, f"{name}: shifted − original", f"pool_d_{name}")
        else:
            cols[2].caption(MOVED)


def show_shift_grid(where, c: ShiftComparison, scale: ColorScale, diff: ColorScale) -> None:
    """Big maps: the whole comparison as ONE picture drawn by the core, titles and colour bars
    included. Streamlit pays per element and per picture: one picture costs less than three
    rows of eight pictures and two colour bars."""
    grid = shift_grid(c, scale, diff, side=SHIFT_PANEL_SIDE)
    # A high-quality JPEG (picture_bytes): 6 ms to encode instead of 28 ms for the PNG, half
    # the bytes to decode, and the text stays crisp at 4:4:4; the numbers are printed below.
    show_image(
        where,
        picture_bytes(grid.pixels),
        caption=(
            "Top to bottom: the image, its feature map, the pooled map. Left to right: "
            f"original, shifted ({c.dx}, {c.dy}), shifted − original."
        ),
    )


def shift_legend() -> None:
    """How cells are counted, below the maps but outside the fragment: a shift leaves it as is."""
    st.caption(
        "How the change is measured: each map is compared with itself after the shift, cell by "
        "cell at the same positions, as 1 − cosine similarity: 0 when the same cells light up "
        "in the same proportions, 1 when the two have nothing in common. It is the measure of "
        "the depth chart in section 6, and it does not depend on how many cells a map has, so "
        "the feature map and its smaller pooled map can be compared. The strip of black that "
        "the shift brings in at the edge changes the cells there whatever pooling does."
    )


def article_section() -> None:
    _start(f"{PAGE}_article", "article", _choice(list(ARTICLE_SHIFTS)), "1 pixel right", "shift")
    # `required` is kept by the browser; a run racing an upload was seen to get None anyway.
    if st.session_state[f"{PAGE}_article"] is None:
        st.session_state[f"{PAGE}_article"] = "1 pixel right"
    choice = st.segmented_control(
        "Move the picture", list(ARTICLE_SHIFTS), key=f"{PAGE}_article", required=True
    )
    choice = choice or "1 pixel right"
    _to_url({"article": choice})
    c = _article(*ARTICLE_SHIFTS[choice])
    scale = scale_for(c.original.feature, c.shifted.feature)
    image_scale = ColorScale("gray", 0.0, 1.0)
    for label, s, tag in (("Original", c.original, "o"), (f"Shifted {choice}", c.shifted, "s")):
        st.markdown(f"**{label}**")
        a, b, p = st.columns([1, 1, 0.75])
        grids = (
            (a, s.image, "image (8×8)", "i", image_scale),
            (b, s.feature, "feature map: ReLU(conv)", "f", scale),
            (p, s.pooled, "2×2 max pool, stride 2", "p", scale),
        )
        for where, array, title, part, grid_scale in grids:
            show_numbers(
                where,
                array,
                title,
                f"pool_art_{tag}_{part}",
                scale=grid_scale,
                digits=0,
                height=300,
            )
    same = "yes" if c.identical else "no"
    changed = c.unchanged.size - int(c.unchanged.sum())
    st.markdown(
        f"Pooled maps identical: {same} ({changed} of {c.unchanged.size} pooled cells changed). "
        f"Change of the pattern: feature map {_change(c.feature_change)} → pooled map "
        f"{_change(c.pooled_change)}"
    )
    explanations = {
        "1 pixel right": "Each eye moves from the left to the right half of its 2×2 window: "
        "the window's maximum is still 8, so the pooled map cannot tell.",
        "2 pixels right": "Each eye crosses a window boundary into the next window: the 8s "
        "move one cell right in the pooled map. Pooling tolerates small moves, not any move.",
        "1 pixel left": "Also one pixel, but the eyes sat in the left half of their windows, "
        "so this move crosses a boundary: whether a shift survives depends on where the "
        "feature sits in the pooling grid.",
    }
    st.caption(explanations[choice])


def depth_section(picked: PickedImage) -> None:
    sources = [*SAMPLES, PICKED]
    _start(f"{PAGE}_stack", "stack", _choice(list(DEPTH_STACKS)), "Edges, then blur", "stack")
    _start(f"{PAGE}_depth_image", "depth_image", _choice(sources), "Camera man", "image")
    left, right = st.columns(2)
    name = left.selectbox("Stages", list(DEPTH_STACKS), key=f"{PAGE}_stack")
    source = right.selectbox("Measured on", sources, key=f"{PAGE}_depth_image")
    _to_url({"stack": name, "depth_image": source})
    st.caption(DEPTH_STACKS[name].description)
    try:
        if source == PICKED:
            curve = _curve(picked.token, picked.array, name)
        else:
            curve = _sample_curve(source, name)
    except ValueError as error:
        st.error(str(error))
        return
    fig = shift_change_figure(curve.shifts, curve.change)
    st.plotly_chart(fig, key="pool_depth_chart", config={"displayModeBar": False})
    at = [d for d in (1, 2, 4, 8) if d in curve.shifts]
    numbers = "; ".join(
        f"{d} px: "
        + ", ".join(f"{curve.change[s, curve.shifts.index(d)]:.2f}" for s in range(curve.stages))
        for d in at
    )
    st.markdown(f"Change for 1, 2, 3 stages at {numbers}")
    if curve.holds:
        st.markdown(
            "On this image, every extra stage changed less at every shift from 1 to 8 pixels."
        )
    else:
        st.markdown(
            "On this image, an extra stage did **not** always change less: at shifts "
            f"{', '.join(map(str, curve.exceptions()))} px a deeper stack changed as much or more."
        )
    st.caption(
        "How it is measured: the image and a copy moved right by 0 … 8 pixels go through the "
        "same stages; the two outputs are compared cell by cell at the same positions with "
        "1 − cosine similarity (0 = the same pattern, 1 = nothing in common), which does not "
        "depend on how many cells a map has or how large its values are. Cells covering the "
        f"outer {curve.margin} pixels are left out, because the black edge the shift brings in "
        "would change them whatever the stages do. Cells compared: "
        + ", ".join(f"{r}×{c}" for r, c in curve.compared)
        + " for 1, 2, 3 stages"
        + ("; so few cells make a jagged curve." if min(curve.compared[-1]) < 16 else ".")
    )


if stage is not None:
    scale = pooling_section(picked, stage, settings)
    st.header("3. One window, step by step", divider="gray")
    window_section(stage, settings)
    st.header("4. Move the image: what does pooling keep?", divider="gray")
    st.markdown(
        "Shift the picture and compare, stage by stage, what the network sees before and after."
    )
    bound = max(abs(scale.vmin), abs(scale.vmax)) or 1.0
    diff = ColorScale("RdBu_r", -bound, bound)  # changes on the maps' own scale, around 0
    shift_section(settings, stage, scale, diff)
    shift_legend()

st.header("5. The article's example", divider="gray")
st.markdown(
    "An 8×8 picture with two one-pixel eyes, a kernel that fires only on a lone bright pixel "
    "(centre × 8 minus its eight neighbours), ReLU, then 2×2 max pooling with stride 2."
)
article_section()

st.header("6. Depth adds tolerance", divider="gray")
st.markdown(
    "One pooling layer forgives a pixel or two. Stack several conv + pool stages and each "
    "cell covers a larger patch, so larger moves go unnoticed. Measured, not drawn:"
)
depth_section(picked)
