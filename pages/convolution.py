"""Convolution: slide a kernel over a picture, multiply and add, and see every number it makes.

The page's story: pick a picture, pick or write a kernel, set stride, padding and dilation, see
the feature map beside the picture, then step into one output cell and watch the sum that made
it. It ends with the article's example: an eye-shaped kernel that finds the eyes of a face.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz.maths.activations import ACTIVATIONS
from cnnviz.maths.detect import spot_centres, threshold_map
from cnnviz.maths.kernels import KERNELS
from cnnviz.maths.ops import (
    conv2d,
    conv2d_per_channel,
    explain_conv_at,
    explain_output_size,
    format_products,
    input_region,
    padding_amounts,
)
from cnnviz.pictures.display import (
    crop,
    grid_html,
    is_drawing,
    outline,
    picture_bytes,
    png_bytes,
    reveal,
    robust_scale,
    side_by_side,
    to_uint8,
    upscale_factor,
    zoom,
)
from cnnviz.pictures.figures import (
    ColorScale,
    Legend,
    Panel,
    colorbar_image,
    colorize,
    panel_grid,
    scale_for,
)
from cnnviz.pictures.images import FACE_EYES, cartoon_face
from pages._registry import ensure_app_navigation
from pages._state import query_value, whole_number
from pages._ui import (
    KernelChoice,
    PickedImage,
    display_picture,
    image_picker,
    kernel_picker,
    set_kernel,
    show_image,
)

PAGE = "conv"
MAX_STRIDE = 8
MAX_DILATION = 6
MAX_PADDING = 20
PLAY_CELLS = 6  # the animation covers at most PLAY_CELLS × PLAY_CELLS output cells
PLAY_DELAY = 0.12  # seconds per animation frame
NEIGHBOURHOOD = 8  # the step-through's zoom shows this many cells around the chosen one
CHANNELS = ("red", "green", "blue")
GRAYSCALE, PER_CHANNEL = "grayscale", "per channel"
#: Widgets whose values survive a visit to another page (the kernel editors look after themselves).
REMEMBERED = [
    f"{PAGE}_{name}"
    for name in (
        "color", "stride", "padding", "pad_px", "dilation", "activation", "clip", "row", "col",
        "channel", "eye_threshold",
    )
]  # fmt: skip
SECTIONS_2_3 = [3, 2]  # widths of the kernel and the settings columns
PIXELS = ColorScale("gray", 0.0, 1.0)  # pixel values: black 0, white 1, in every zoom
CHANNEL_SIDE = 280  # pixels per map in the channel maps' picture


@dataclass(frozen=True)
class Settings:
    """How the kernel slides: the arguments :func:`cnnviz.maths.ops.conv2d` takes."""

    stride: int
    padding: str | int
    dilation: int

    @property
    def options(self) -> dict:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}


@dataclass(frozen=True)
class Result:
    """What the convolution produced for the current settings."""

    x: np.ndarray  # (H, W) grayscale or (H, W, 3): the input the kernel slides over
    maps: np.ndarray | None  # (H_out, W_out, 3) one map per channel, in per-channel mode
    raw: np.ndarray  # (H_out, W_out) the sums
    fmap: np.ndarray  # (H_out, W_out) the sums after the activation
    activation: str


def remember_widgets(page: str, keys: list[str]) -> None:  # TODO(issue 12): pages._state.keep
    state = st.session_state
    saved = state.setdefault(f"{page}__remembered", {})
    for key in keys:
        if key not in state and key in saved:
            state[key] = saved[key]
        if key in state:
            saved[key] = state[key]


# --- controls -------------------------------------------------------------------------------


def _parse_padding(text: str) -> str | int:
    if text in ("valid", "same"):
        return text
    try:
        return whole_number(0, MAX_PADDING)(text)
    except ValueError:
        raise ValueError(
            f"Use valid, same, or a whole number of pixels from 0 to {MAX_PADDING}."
        ) from None


def _init_from_link() -> None:
    """On a visitor's first run, take stride, padding and dilation from the link."""
    state = st.session_state
    if f"{PAGE}_stride" in state:
        return
    state[f"{PAGE}_stride"] = query_value("stride", whole_number(1, MAX_STRIDE), 1, "stride")
    state[f"{PAGE}_dilation"] = query_value(
        "dilation", whole_number(1, MAX_DILATION), 1, "dilation"
    )
    padding = query_value("padding", _parse_padding, "valid", "padding")
    state[f"{PAGE}_padding"] = padding if isinstance(padding, str) else "pixels"
    state[f"{PAGE}_pad_px"] = padding if isinstance(padding, int) else 1


def number_box(
    label: str, key: str, low: int, high: int, name: str, *, refusals=None, **kwargs
) -> int:
    """A box for a whole number from ``low`` to ``high``; returns the value in use.

    The box has no ``min_value``/``max_value``: with them the browser refuses a typed value
    with only a red icon while the old value stays in use. Here every value reaches the page,
    and one out of range is refused in words that name the value still in use: shown under
    the box, or added to the list ``refusals`` to be shown later.
    """
    in_use = f"{key}_in_use"
    value = st.number_input(label, step=1, key=key, **kwargs)
    if value is not None and low <= value <= high:
        st.session_state[in_use] = int(value)
        return int(value)
    used = min(max(int(st.session_state.get(in_use, low)), low), high)
    received = "an empty box" if value is None else f"{name}={value}"
    message = (
        f"{name.capitalize()} must be a whole number from {low} to {high}. Received: "
        f"{received}. Still using {name} {used}."
    )
    if refusals is None:
        st.error(message)
    else:
        refusals.append(message)
    return used


def settings_controls() -> Settings:
    """Stride, padding and dilation, kept in the link."""
    _init_from_link()
    stride = number_box(
        "Stride: how many pixels the window moves each step",
        f"{PAGE}_stride",
        1,
        MAX_STRIDE,
        "stride",
    )
    mode = st.radio(
        "Padding: zeros added around the picture",
        ["valid", "same", "pixels"],
        key=f"{PAGE}_padding",
        horizontal=True,
        captions=["none", "keep the size (stride 1)", "choose how many"],
    )
    padding: str | int = mode
    if mode == "pixels":
        padding = number_box(
            "Zeros on each side (pixels)", f"{PAGE}_pad_px", 0, MAX_PADDING, "padding"
        )
    dilation = number_box(
        "Dilation: spacing between the kernel's taps (1 = side by side)",
        f"{PAGE}_dilation",
        1,
        MAX_DILATION,
        "dilation",
    )
    settings = Settings(
        int(stride), padding if isinstance(padding, str) else int(padding), int(dilation)
    )
    wanted = {k: str(v) for k, v in settings.options.items()}
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)
    return settings


def activation_control() -> str:
    """What happens to each sum before it is drawn (a CNN layer applies an activation)."""
    name = st.radio(
        "Activation after the sum", list(ACTIVATIONS), key=f"{PAGE}_activation", horizontal=True
    )
    st.caption(ACTIVATIONS[name][1])
    return name


def color_control(picked: PickedImage) -> str:
    """Grayscale or per channel, for colour pictures."""
    if not picked.is_color:
        st.caption("This picture has one channel (grayscale), so one kernel makes one map.")
        return GRAYSCALE
    mode = st.radio(
        "Colour",
        [GRAYSCALE, PER_CHANNEL],
        key=f"{PAGE}_color",
        horizontal=True,
        captions=[
            "the kernel slides over the picture's brightness",
            "the kernel slides over red, green and blue; the three maps are added",
        ],
    )
    return mode


# --- computing (every formula is in the core) -----------------------------------------------


def convolve(
    picked: PickedImage, kernel: KernelChoice, settings: Settings, mode: str, activation: str
) -> Result:
    """Run the convolution for the current choices; raises ValueError with a readable message."""
    if mode == PER_CHANNEL:
        x = picked.array
        maps, raw = conv2d_per_channel(x, kernel.values, **settings.options)
    else:
        x = picked.gray
        maps, raw = None, conv2d(x, kernel.values, **settings.options)
    fmap = np.asarray(ACTIVATIONS[activation][0](raw), dtype=np.float32)
    return Result(x, maps, raw, fmap, activation)


# --- drawing --------------------------------------------------------------------------------


def _map_picture(array: np.ndarray, scale: ColorScale, factor: int) -> bytes:
    return picture_bytes(zoom(colorize(array, scale), factor))


@st.cache_data(show_spinner=False, max_entries=64)
def _colorbar(name: str, vmin: float, vmax: float) -> bytes:
    return png_bytes(colorbar_image(ColorScale(name, vmin, vmax), height=320, label="map value"))


def _pixelated_if(small: bool) -> None:
    """Tell the browser not to blur enlarged small pictures (big ones are shrunk smoothly)."""
    if small:
        st.html(
            f"<style>.st-key-{PAGE}_maps img, .st-key-{PAGE}_eye img, .st-key-{PAGE}_anim img "
            "{image-rendering: pixelated;}</style>"
        )


def output_size_text(x_shape: tuple[int, ...], kernel: KernelChoice, settings: Settings) -> str:
    """The output size as the formula with this picture's numbers filled in (Markdown)."""
    kh, kw = kernel.values.shape
    opts = settings.options
    if settings.padding == "same":
        rule = "With 'same' padding the output size is ⌈input / stride⌉:"
    else:
        rule = "Output size = ⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1:"
    lines = [
        rule,
        f"- height: `{explain_output_size(x_shape[0], kh, **opts)}`",
        f"- width: `{explain_output_size(x_shape[1], kw, **opts)}`",
    ]
    if settings.padding == "same":
        top, bottom = padding_amounts(x_shape[0], kh, **opts)
        left, right = padding_amounts(x_shape[1], kw, **opts)
        lines.append(
            f"- 'same' adds {top} row(s) of zeros above, {bottom} below, {left} column(s) left "
            f"and {right} right (an odd extra one goes below or right, as in TensorFlow)."
        )
    return "\n".join(lines)


@st.cache_data(show_spinner=False, max_entries=16)
def _is_drawing(token: str, _array: np.ndarray) -> bool:
    return is_drawing(_array)


def scale_control(picked: PickedImage, result: Result) -> bool:
    """Whether to clip the strongest 0.5 % of the map's values: on for photos, off for drawings.

    On a photo a few extreme cells would wash out the rest; on a drawing such as the cartoon
    face the strongest cells are the point (the eyes), so each new picture starts with the
    choice that suits it, and the visitor may change it.
    """
    state = st.session_state
    if state.get(f"{PAGE}_clip_for") != picked.token:
        state[f"{PAGE}_clip_for"] = picked.token
        state[f"{PAGE}_clip"] = not _is_drawing(picked.token, picked.array)
    return st.checkbox(
        "Clip the strongest 0.5 % of the values so weaker responses show (on for photos; off "
        "for drawings, whose strongest cells are the point)",
        key=f"{PAGE}_clip",
    )


def map_scale(array: np.ndarray, clip: bool) -> ColorScale:
    """The colour scale for ``array``: its full range, or without its strongest 0.5 %."""
    return robust_scale(array) if clip else scale_for(array)


def show_maps(
    picked: PickedImage,
    kernel: KernelChoice,
    settings: Settings,
    result: Result,
    mode: str,
    scale: ColorScale,
    clip: bool,
) -> None:
    """The input and the feature map side by side at one scale, with the map's colour bar."""
    h, w = result.x.shape[:2]
    oh, ow = result.fmap.shape
    factor = upscale_factor((h, w))
    _pixelated_if(factor > 1)
    st.markdown(
        f"**Output: {oh} × {ow}** (input {h} × {w}, kernel {kernel.name})\n\n"
        + output_size_text(result.x.shape, kernel, settings)
    )
    with st.container(key=f"{PAGE}_maps"):
        left, right, bar = st.columns([w, ow, 0.3 * max(w, ow)])
        gray = mode == GRAYSCALE
        show_image(
            left,
            display_picture(PAGE, picked, gray=gray, factor=factor),
            caption=f"Input{' (brightness)' if gray and picked.is_color else ''}: {h} × {w} px",
            width="stretch",
        )
        shown = "after " + result.activation if result.activation != "none" else "the sums"
        show_image(
            right,
            _map_picture(result.fmap, scale, factor),
            caption=f"Feature map ({shown}): {oh} × {ow}, at the same scale. "
            + _colour_legend(result, scale),
            width="stretch",
        )
        show_image(bar, _colorbar(scale.name, scale.vmin, scale.vmax))
    if result.maps is not None:
        show_channels(result, clip)


def _colour_legend(result: Result, scale: ColorScale) -> str:
    """How to read the map's colours (under the map, in its caption: one element less)."""
    if scale.diverging:
        legend = (
            "Red cells are positive, blue negative, white zero: this kernel gives signed values "
            "(an edge gives + on one side and − on the other)."
        )
    else:
        legend = "Darker cells are smaller values, brighter ones larger."
    full = scale_for(result.fmap)
    if (scale.vmin, scale.vmax) != (full.vmin, full.vmax):
        legend += (
            f" The values run from {full.vmin:.3g} to {full.vmax:.3g}; cells beyond the colour "
            "bar's ends are drawn in its end colours."
        )
    return legend


CHANNEL_NOTE = (
    "The three channel maps share the colour bar after them, so they compare with each "
    "other. Their sum is larger than any one of them, so it has its own bar."
)


def show_channels(result: Result, clip: bool) -> None:
    """What each colour channel contributes, and how the three maps add up to one."""
    st.markdown(
        "**How the colour channels add up.** A colour picture is three grids of numbers. The "
        "filter here has the same kernel on each channel; each channel gives its own map, and "
        "the filter's output is their sum (a Conv2D layer learns a different kernel per channel)."
    )
    # The channel maps get a scale of their own: on the sum's scale (about three times wider)
    # they were washed out.
    channels = map_scale(result.maps, clip)
    total = map_scale(result.raw, clip)
    rows = [
        [Panel(f"{name} channel", result.maps[..., c], channels) for c, name in enumerate(CHANNELS)]
        + [Legend(channels, "channels")],
        [
            Panel("= red + green + blue", result.raw, total),
            Legend(total, "sum"),
            Panel("How to read this", note=CHANNEL_NOTE),
        ],
    ]
    show_image(
        st,
        png_bytes(panel_grid(rows, side=CHANNEL_SIDE).pixels),
        caption="Channel maps and their sum (before the activation), each on its colour bar.",
    )


def _zoom(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A small crop enlarged so each cell is a visible square, with ``box`` outlined in amber."""
    factor = upscale_factor(rgb.shape, min_side=300, max_side=400)
    return outline(zoom(rgb, factor), *box, factor=factor)


def step_through(
    kernel: KernelChoice, settings: Settings, result: Result, scale: ColorScale
) -> None:
    """One output cell: its window, the kernel, the products and the sum."""
    oh, ow = result.fmap.shape
    state = st.session_state
    resized = state.get(f"{PAGE}_cell_map") != (oh, ow)  # a new map size moves the cell inside
    state[f"{PAGE}_cell_map"] = (oh, ow)
    for key, n in ((f"{PAGE}_row", oh), (f"{PAGE}_col", ow)):
        if key not in state or state[key] is None or (resized and not 0 <= state[key] < n):
            state[key] = min(max(state.get(key) or n // 2, 0), n - 1)
            state[f"{key}_in_use"] = state[key]
    channel, refusals = 0, []
    with st.container(horizontal=True, gap="medium"):  # one block, not 1 + 3 columns
        row = number_box(
            "Output row", f"{PAGE}_row", 0, oh - 1, "row", refusals=refusals, width=180
        )
        col = number_box(
            "Output column", f"{PAGE}_col", 0, ow - 1, "column", refusals=refusals, width=180
        )
        if result.maps is not None:
            channel = CHANNELS.index(
                st.radio("Channel in the grids", CHANNELS, key=f"{PAGE}_channel", horizontal=True)
            )
    for message in refusals:
        st.error(message)
    e = explain_conv_at(result.x, kernel.values, int(row), int(col), **settings.options)
    top, left, height, width = input_region(
        result.x.shape, kernel.values.shape, int(row), int(col), **settings.options
    )
    plane = result.x if result.x.ndim == 2 else result.x[..., channel]
    plane_name = "brightness" if result.x.ndim == 2 else f"{CHANNELS[channel]} channel"

    margin = max(2, min(NEIGHBOURHOOD, (40 - max(height, width)) // 2))
    r0, c0 = top - margin, left - margin
    around = crop(plane, r0, c0, height + 2 * margin, width + 2 * margin)
    fr0, fc0 = max(0, int(row) - NEIGHBOURHOOD), max(0, int(col) - NEIGHBOURHOOD)
    near = result.fmap[fr0 : int(row) + NEIGHBOURHOOD + 1, fc0 : int(col) + NEIGHBOURHOOD + 1]
    # Both zooms travel as one picture: one element less for the browser to redraw per change.
    pair = side_by_side(
        [
            _zoom(to_uint8(around), (top - r0, left - c0, height, width)),
            _zoom(colorize(near, scale), (int(row) - fr0, int(col) - fc0, 1, 1)),
        ],
        gap=32,
    )
    show_image(
        st,
        png_bytes(pair),
        caption=f"Left: the input around the window (amber box), {plane_name}, rows {r0}…"
        f"{r0 + around.shape[0] - 1}, columns {c0}…{c0 + around.shape[1] - 1}, one square per "
        "pixel"
        + ("; black outside the picture is the zero padding" if min(r0, c0) < 0 else "")
        + f". Right: the feature map around the cell (amber square), rows {fr0}…"
        f"{fr0 + near.shape[0] - 1}, columns {fc0}…{fc0 + near.shape[1] - 1}, coloured as the "
        "map above.",
    )

    window, weights, products = e.window, e.kernel, e.products
    if result.maps is not None:
        window, weights, products = (
            window[..., channel],
            weights[..., channel],
            products[..., channel],
        )
    panels = [
        ("<b>Window</b>: the input under the kernel", grid_html(window, PIXELS)),
        ("<b>× Kernel</b>: the weights", grid_html(weights)),
        ("<b>= Products</b>, cell by cell", grid_html(products)),
    ]
    st.html(
        '<div style="display:flex;flex-wrap:wrap;gap:1.5rem 3rem">'
        + "".join(f"<div><p>{title}</p>{table}</div>" for title, table in panels)
        + "</div>"
    )
    value = float(result.raw[int(row), int(col)])
    if result.maps is None:
        lines = [f"**Sum of the products:** {format_products(e)}"]
    else:  # the grids show one channel: so does the sum, then the channels add up
        parts = " + ".join(f"{name} {total:.4g}" for name, total in zip(CHANNELS, e.channel_totals))
        lines = [
            f"**Sum of the products, {plane_name}** (the grids above): "
            f"{format_products(e, channel=channel)}",
            f"Per channel: {parts} = {e.total:.4g}",
        ]
    lines.append(f"Feature map at ({int(row)}, {int(col)}): {value:.6g}")
    if result.activation != "none":
        lines.append(f"After {result.activation}: {float(result.fmap[int(row), int(col)]):.6g}")
    where = "starts in the zero padding" if top < 0 or left < 0 else "starts"
    lines.append(
        f":gray[The window {where} at input row {top}, column {left}. The kernel is not "
        "flipped: like Keras' Conv2D, this is cross-correlation (a textbook convolution would "
        "flip the kernel first).]"
    )
    st.markdown("\n\n".join(lines))
    play(kernel, settings, result, scale, int(row), int(col))


def play(
    kernel: KernelChoice, settings: Settings, result: Result, scale: ColorScale, row: int, col: int
) -> None:
    """Slide the window over a small block of output cells and fill the map in as it goes."""
    oh, ow = result.fmap.shape
    rows, cols = min(PLAY_CELLS, oh), min(PLAY_CELLS, ow)
    r0, c0 = min(row, oh - rows), min(col, ow - cols)
    animation(kernel, settings, result, scale, (r0, c0, rows, cols))


def _start_play() -> None:
    st.session_state.update(
        {f"{PAGE}_playing": True, f"{PAGE}_frame": 0, f"{PAGE}_play_started": True}
    )


def _stop_play() -> None:
    st.session_state[f"{PAGE}_playing"] = False


@st.fragment
def animation(
    kernel: KernelChoice,
    settings: Settings,
    result: Result,
    scale: ColorScale,
    block: tuple[int, int, int, int],
) -> None:
    """The Play animation over output cells ``block`` = (row, col, rows, cols): one frame a run.

    A loop inside one run cannot be stopped: Streamlit lets the run in progress finish before
    it handles a click inside a fragment (Stop waited for the whole animation). So each frame
    is its own run of this fragment, ending with ``st.rerun(scope="fragment")`` for the next;
    a Stop click made meanwhile joins that rerun, and the next run sees it.
    """
    state = st.session_state
    playing, frame = f"{PAGE}_playing", f"{PAGE}_frame"
    # Only the fragment's own reruns may ask for the next frame (a redraw of the section
    # around it may not, and may have changed the map): a redraw ends the animation.
    own_rerun = state.get(f"{PAGE}_play_section") == state.get(f"{PAGE}_section_run")
    state[f"{PAGE}_play_section"] = state.get(f"{PAGE}_section_run")
    started = state.pop(f"{PAGE}_play_started", False)
    if not own_rerun:
        state[playing], state[frame] = False, None
    elif state.get(playing) and not started:
        state[frame] += 1
    r0, c0, rows, cols = block
    label = f"Play: slide the window over the {rows} × {cols} output cells from ({r0}, {c0})"
    if state.get(frame) is None:
        st.button(label, icon=":material/play_arrow:", key=f"{PAGE}_play", on_click=_start_play)
        return
    i = min(state[frame], rows * cols - 1)
    r, c = divmod(i, cols)
    if i == rows * cols - 1:
        state[playing] = False
    if state[playing]:
        st.button("Stop", icon=":material/stop:", key=f"{PAGE}_stop", on_click=_stop_play)
        status = "The map fills in one cell per step, as the window reaches it."
    else:
        st.button(label, icon=":material/play_arrow:", key=f"{PAGE}_play", on_click=_start_play)
        status = (
            f"Done: all {rows * cols} cells filled in."
            if i == rows * cols - 1
            else f"Stopped at cell ({r0 + r}, {c0 + c}), {i + 1} of {rows * cols}."
        )
    with st.container(key=f"{PAGE}_anim"):
        st.caption(status)
        _frame(kernel, settings, result, scale, block, i)
    if state[playing]:
        time.sleep(PLAY_DELAY)
        st.rerun(scope="fragment")


def _frame(
    kernel: KernelChoice,
    settings: Settings,
    result: Result,
    scale: ColorScale,
    block: tuple[int, int, int, int],
    i: int,
) -> None:
    """Frame ``i`` of the animation: the window on the input, the map filled in up to cell i."""
    r0, c0, rows, cols = block
    r, c = divmod(i, cols)
    opts = settings.options
    top, left, height, width = input_region(
        result.x.shape, kernel.values.shape, r0, c0, rows, cols, **opts
    )
    region = to_uint8(crop(result.x, top, left, height, width))
    factor_in = upscale_factor(region.shape, min_side=240, max_side=480)
    zoomed_in = zoom(region, factor_in)  # outline() draws in colour on gray pictures too
    cells = result.fmap[r0 : r0 + rows, c0 : c0 + cols]
    factor_out = upscale_factor(cells.shape, min_side=240, max_side=480)
    zoomed_out = zoom(colorize(cells, scale), factor_out)
    wt, wl, wh, ww = input_region(result.x.shape, kernel.values.shape, r0 + r, c0 + c, **opts)
    a, b = st.columns(2)
    show_image(
        a,
        png_bytes(outline(zoomed_in, wt - top, wl - left, wh, ww, factor=factor_in)),
        caption="The window on the input",
    )
    filled = reveal(zoomed_out, i + 1, factor=factor_out)
    show_image(
        b,
        png_bytes(outline(filled, r, c, 1, 1, factor=factor_out)),
        caption=f"Cell ({r0 + r}, {c0 + c}) = {float(cells[r, c]):.4g}",
    )


@dataclass(frozen=True)
class EyeExample:
    """The eye example's pictures (encoded) and findings at one threshold."""

    face: bytes
    feature_map: bytes
    colorbar: bytes
    mask: bytes
    threshold: float
    spots: list[tuple[int, int]]


@st.cache_data(show_spinner=False, max_entries=32)
def _eye_pictures(percent: int) -> tuple:
    """The eye example at one threshold, as plain values (the cache pickles them)."""
    face = cartoon_face()
    fmap = conv2d(face, KERNELS["Eye detector"].values, padding="same")
    threshold = percent / 100 * float(fmap.max())
    mask = threshold_map(fmap, threshold)
    factor = upscale_factor(face.shape, min_side=256)
    scale = scale_for(fmap)
    return (
        png_bytes(zoom(to_uint8(face), factor)),
        _map_picture(fmap, scale, factor),
        png_bytes(colorbar_image(scale, label="map value")),
        png_bytes(zoom(to_uint8(mask), factor)),
        threshold,
        spot_centres(mask),
    )


def eye_example() -> None:
    """The article's example: an eye-shaped kernel on a cartoon face, then a threshold."""
    st.markdown(
        "The eye detector is a bright ring around a dark centre. Slid over the cartoon face "
        "(padding 'same', so the map keeps the face's 64 × 64 size), it gives 0 on flat areas, "
        "a little on the head's outline, and by far the most **at the two eyes**, where the "
        "picture matches its pattern. Keep only the cells above a threshold and the map "
        "becomes a black-and-white picture of where the eyes are."
    )
    st.session_state.setdefault(f"{PAGE}_eye_threshold", 40)
    percent = st.slider(
        "Threshold, as a share of the strongest response (%)",
        min_value=0,
        max_value=100,
        step=5,
        key=f"{PAGE}_eye_threshold",
    )
    eye = EyeExample(*_eye_pictures(int(percent)))
    with st.container(key=f"{PAGE}_eye"):
        a, b, c, d = st.columns([1, 1, 0.45, 1])
        show_image(a, eye.face, caption="Cartoon face, 64 × 64")
        show_image(b, eye.feature_map, caption="Eye-detector feature map")
        show_image(c, eye.colorbar, width="content")
        show_image(d, eye.mask, caption=f"Where the map ≥ {eye.threshold:.3g}: white = eye found")
    if eye.spots == sorted(FACE_EYES):
        where = " and ".join(f"({r}, {c})" for r, c in eye.spots)
        st.success(f"Two white spots, centred at {where}: the map lights up exactly at the eyes.")
    elif not eye.spots:
        st.warning("Nothing passes this threshold: lower it to see the eyes.")
    else:
        st.warning(
            f"{len(eye.spots)} white spots: at this threshold more than the eyes passes (the "
            "head's outline responds a little too). Raise it until only the eyes remain."
        )
    st.button("Use this example above", key=f"{PAGE}_use_eye", on_click=_use_eye_example)


def _use_eye_example() -> None:
    # The example is about the eyes being the strongest cells: no clipping of the strongest.
    st.session_state[f"{PAGE}_clip"] = False
    st.session_state[f"{PAGE}_clip_for"] = "sample:Cartoon face"
    st.session_state[f"{PAGE}_image"] = "Cartoon face"
    st.session_state[f"{PAGE}_padding"] = "same"
    st.session_state[f"{PAGE}_stride"] = 1
    st.session_state[f"{PAGE}_dilation"] = 1
    set_kernel(PAGE, KERNELS["Eye detector"].values, "Eye detector")


# --- the page -------------------------------------------------------------------------------

ensure_app_navigation()
st.title("Convolution: slide a kernel, multiply, add up")
st.markdown(
    "A **kernel** is a small grid of weights. It slides over the picture; at every position "
    "each weight is multiplied by the pixel under it and the products are added up. The sums, "
    "one per position, form the **feature map**: high where the picture looks like the "
    "kernel's pattern, low where it does not."
)

remember_widgets(PAGE, REMEMBERED)
st.subheader("1 · Pick a picture")
picked = image_picker(PAGE)
mode = color_control(picked)


@st.fragment
def kernel_and_map(picked: PickedImage, mode: str) -> None:
    """Sections 2 to 5. A fragment: changing the kernel or a setting reruns only this part."""
    remember_widgets(PAGE, REMEMBERED)
    state = st.session_state
    state[f"{PAGE}_section_run"] = state.get(f"{PAGE}_section_run", 0) + 1  # see animation()
    kernel_col, settings_col = st.columns(SECTIONS_2_3, gap="large")
    with kernel_col:
        kernel = kernel_picker(PAGE)
    with settings_col:
        settings = settings_controls()
        activation = activation_control()

    st.subheader("4 · The feature map")
    try:
        result = convolve(picked, kernel, settings, mode, activation)
    except ValueError as error:
        st.markdown(output_size_text(picked.array.shape, kernel, settings))
        st.error(str(error))
        return
    clip = scale_control(picked, result)
    scale = map_scale(result.fmap, clip)
    show_maps(picked, kernel, settings, result, mode, scale, clip)
    st.subheader("5 · Step through one output cell")
    step_through(kernel, settings, result, scale)


# The two headings stay outside the fragment: a kernel change need not redraw them.
for column, heading in zip(
    st.columns(SECTIONS_2_3, gap="large"),
    ["2 · Pick or write a kernel", "3 · How the kernel slides"],
):
    column.subheader(heading)
kernel_and_map(picked, mode)

st.subheader("6 · The article's example: where are the eyes?")
eye_example()
