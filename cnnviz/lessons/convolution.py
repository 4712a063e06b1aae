"""The Convolution page's lesson: from a picture, a kernel and the settings to all the page shows.

One function per section of the page, each returning a frozen view (numbers, sentences and
encoded pictures, ready to draw):

- :func:`feature_map` (section 4): the convolution, its output size worked out, the input and
  the map at one scale, the colour scale and how to read it, the channel maps of a colour picture;
- :func:`step_through` (section 5): one output cell's window, weights, products and their sum;
- :func:`play_block` and :func:`animation_frame`: the Play animation over a block of cells;
- :func:`eye_example` (section 6): the eye detector on the cartoon face, then a threshold.

Letters: ``H, W`` the input's height and width, ``C`` its channels (3 for colour),
``H_out, W_out`` the feature map's, ``kh, kw`` the kernel's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

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
from cnnviz.maths.pixels import to_grayscale
from cnnviz.pictures import (
    FACE_EYES,
    ColorScale,
    Legend,
    Panel,
    cartoon_face,
    colorbar_image,
    colorbar_strip,
    colorize,
    crop,
    grid_html,
    is_drawing,
    outline,
    panel_grid,
    picture_bytes,
    png_bytes,
    reveal,
    robust_scale,
    scale_for,
    side_by_side,
    to_uint8,
    upscale_factor,
    zoom,
)

__all__ = [
    "CHANNELS",
    "CHANNELS_CAPTION",
    "CHANNEL_INTRO",
    "CLIP_LABEL",
    "COLOUR_MODES",
    "GRAYSCALE",
    "EYE_INTRO",
    "INTRO",
    "MAX_DILATION",
    "MAX_PADDING",
    "MAX_STRIDE",
    "EyeView",
    "Frame",
    "MapView",
    "Settings",
    "StepView",
    "animation_frame",
    "clips_by_default",
    "colorbar_png",
    "eye_example",
    "feature_map",
    "number_in_use",
    "output_size_text",
    "padding_choice",
    "play_block",
    "play_label",
    "start_cell",
    "step_through",
]

MAX_STRIDE, MAX_DILATION, MAX_PADDING = 8, 6, 20  # the largest values the boxes accept
CHANNELS = ("red", "green", "blue")
GRAYSCALE = "grayscale"
#: How the kernel meets a colour picture: each mode and what it does.
COLOUR_MODES = {
    GRAYSCALE: "the kernel slides over the picture's brightness",
    "per channel": "the kernel slides over red, green and blue; the three maps are added",
}
PLAY_CELLS = 6  # the animation covers at most PLAY_CELLS × PLAY_CELLS output cells
NEIGHBOURHOOD = 8  # the step-through's zoom shows this many cells around the chosen one
PIXELS = ColorScale("gray", 0.0, 1.0)  # pixel values: black 0, white 1, in every zoom
CHANNEL_SIDE = 280  # pixels per map in the channel maps' picture

INTRO = (
    "A **kernel** is a small grid of weights. It slides over the picture; at every position "
    "each weight is multiplied by the pixel under it and the products are added up. The sums, "
    "one per position, form the **feature map**: high where the picture looks like the "
    "kernel's pattern, low where it does not."
)
CHANNEL_INTRO = (
    "**How the colour channels add up.** A colour picture is three grids of numbers. The "
    "filter here has the same kernel on each channel; each channel gives its own map, and "
    "the filter's output is their sum (a Conv2D layer learns a different kernel per channel)."
)
CHANNEL_NOTE = (
    "The three channel maps share the colour bar after them, so they compare with each "
    "other. Their sum is larger than any one of them, so it has its own bar."
)
CLIP_LABEL = (
    "Clip the strongest 0.5 % of the values so weaker responses show (on for photos; off "
    "for drawings, whose strongest cells are the point)"
)
EYE_INTRO = (
    "The eye detector is a bright ring around a dark centre. Slid over the cartoon face "
    "(padding 'same', so the map keeps the face's 64 × 64 size), it gives 0 on flat areas, "
    "a little on the head's outline, and by far the most **at the two eyes**, where the "
    "picture matches its pattern. Keep only the cells above a threshold and the map "
    "becomes a black-and-white picture of where the eyes are."
)


@dataclass(frozen=True)
class Settings:
    """How the kernel slides: the arguments :func:`cnnviz.maths.ops.conv2d` takes."""

    stride: int
    padding: str | int
    dilation: int

    @property
    def options(self) -> dict:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}


def number_in_use(
    typed: float | None, last: int | None, low: int, high: int, name: str
) -> tuple[int, str | None]:
    """The whole number a box gives the lesson, and the refusal to show when it gives none.

    A typed value from ``low`` to ``high`` is used; anything else (or an empty box, ``None``)
    is refused in words naming the value still in use: ``last``, the box's last accepted value,
    moved inside the range if the range shrank (``low`` when there is none yet).

    >>> number_in_use(3, 1, 1, MAX_STRIDE, "stride")
    (3, None)
    >>> number_in_use(9, 3, 1, MAX_STRIDE, "stride")[1]
    'Stride must be a whole number from 1 to 8. Received: stride=9. Still using stride 3.'
    >>> number_in_use(None, 40, 0, 20, "row")
    (20, 'Row must be a whole number from 0 to 20. Received: an empty box. Still using row 20.')
    """
    if typed is not None and low <= typed <= high:
        return int(typed), None
    used = min(max(int(low if last is None else last), low), high)
    received = "an empty box" if typed is None else f"{name}={typed}"
    message = f"{name.capitalize()} must be a whole number from {low} to {high}. Received: "
    return used, f"{message}{received}. Still using {name} {used}."


def padding_choice(value: str | int) -> tuple[str, int | None]:
    """The padding radio's choice for a padding setting, and the zeros for its box if a number.

    A link's ``padding=2`` means the choice "pixels" with 2 in the box; "valid" and "same"
    are choices of their own.

    >>> padding_choice(2), padding_choice("same")
    (('pixels', 2), ('same', None))
    """
    if isinstance(value, int):
        return "pixels", value
    return value, None


def start_cell(
    cell: tuple[int | None, int | None],
    shape: tuple[int, int],
    last_shape: tuple[int, int] | None,
) -> tuple[int, int]:
    """The output cell ``(row, col)`` to show on a map of ``shape`` (H_out, W_out).

    No cell yet (``None``) means the map's middle. When the map's size changed since the cell
    was placed (``shape != last_shape``), a row or column that fell outside it moves to the
    nearest edge; otherwise the cell stays as typed (a box refuses a value outside the map in
    words, see :func:`number_in_use`).

    >>> start_cell((None, None), (62, 62), None), start_cell((31, 5), (21, 21), (62, 62))
    ((31, 31), (20, 5))
    >>> start_cell((40, 5), (21, 21), (21, 21))
    (40, 5)
    """
    resized = tuple(shape) != (None if last_shape is None else tuple(last_shape))

    def place(value: int | None, n: int) -> int:
        if value is None:
            return n // 2
        if resized and not 0 <= value < n:
            return min(max(int(value), 0), n - 1)
        return value

    return place(cell[0], shape[0]), place(cell[1], shape[1])


# --- section 4: the feature map ---------------------------------------------------------------


@dataclass(frozen=True)
class MapView:
    """What the convolution made for the current choices, and how the page draws it.

    Attributes
    ----------
    x : ndarray, shape (H, W) or (H, W, 3)
        The input the kernel slid over: the brightness, or the colour picture per channel.
    maps : ndarray, shape (H_out, W_out, 3), or None
        One map per channel (per-channel mode only), before the activation.
    raw : ndarray, shape (H_out, W_out)
        The sums (over the channels too).
    fmap : ndarray of float32, shape (H_out, W_out)
        The sums after the activation: the feature map drawn.
    activation : str
    scale : ColorScale
        The map's colours (clipped or full range).
    colorbar : bytes
        The map's colour bar (PNG; see :func:`colorbar_png`).
    headline : str
        Markdown: "**Output: H_out × W_out** (input …)" and the output size worked out.
    factor : int
        Each input pixel and map cell is drawn as a ``factor × factor`` block.
    widths : tuple of float
        Relative widths of the input and the map (its colour bar runs under it, as wide).
    input_caption, map_caption : str
    map_picture : bytes
        The coloured map, enlarged by ``factor`` (PNG or JPEG).
    channels_picture : bytes or None
        Per-channel mode: the three channel maps and their sum, each on its colour bar (PNG).
    """

    x: np.ndarray = field(repr=False)
    maps: np.ndarray | None = field(repr=False)
    raw: np.ndarray = field(repr=False)
    fmap: np.ndarray = field(repr=False)
    activation: str
    scale: ColorScale
    colorbar: bytes = field(repr=False)
    headline: str = field(repr=False)
    factor: int
    widths: tuple[float, float]
    input_caption: str
    map_caption: str
    map_picture: bytes = field(repr=False)
    channels_picture: bytes | None = field(repr=False)

    @property
    def per_channel(self) -> bool:
        return self.maps is not None

    @property
    def pixelated(self) -> bool:
        """Whether pictures are enlarged (the browser must not blur them)."""
        return self.factor > 1

    @property
    def title(self) -> str:
        """The headline's first line: "**Output: H_out × W_out** (input …, kernel …)"."""
        return self.headline.split("\n\n", 1)[0]

    @property
    def size_text(self) -> str:
        """The rest of the headline: the output size worked out (Markdown)."""
        return self.headline.split("\n\n", 1)[1]

    @property
    def columns(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Widths inside two equal columns that keep the input and the map at one scale:
        (input, space) and (map, space).

        >>> face = np.zeros((6, 6), np.float32)
        >>> feature_map(face, np.ones((3, 3)), Settings(1, "valid", 1)).columns
        ((6,), (4, 2))
        """
        w, ow = self.widths
        most = max(w, ow)
        return (w, most - w)[: 1 + (most > w)], (ow, most - ow)[: 1 + (most > ow)]


CHANNELS_CAPTION = "Channel maps and their sum (before the activation), each on its colour bar."


def feature_map(
    picture: np.ndarray,
    kernel: np.ndarray,
    settings: Settings,
    *,
    per_channel: bool = False,
    activation: str = "none",
    clip: bool = False,
    kernel_name: str = "Custom",
    gray: np.ndarray | None = None,
) -> MapView:
    """Slide ``kernel`` over ``picture`` and prepare everything section 4 shows.

    Parameters
    ----------
    picture : ndarray, shape (H, W) or (H, W, 3), values in [0, 1]
    kernel : ndarray, shape (kh, kw)
    settings : Settings
    per_channel : bool
        Slide the kernel over red, green and blue and add the three maps (colour pictures
        only); otherwise it slides over the picture's brightness.
    activation : str
        A key of :data:`cnnviz.maths.activations.ACTIVATIONS`, applied to the sums.
    clip : bool
        Colour the map without its strongest 0.5 % of values (see ``robust_scale``).
    kernel_name : str
        Named in the headline.
    gray : ndarray, shape (H, W), optional
        The picture's brightness if it was already worked out (a large picture's is kept); not
        used per channel.

    Returns
    -------
    MapView

    Raises
    ------
    ValueError
        The core's message when the kernel does not fit (``"Output would be empty: …"``), an
        unknown ``activation``, or ``per_channel`` on a grayscale picture.

    Examples
    --------
    >>> face = np.zeros((6, 6), np.float32); face[2:4, 2:4] = 1.0
    >>> view = feature_map(face, np.ones((3, 3)), Settings(1, "valid", 1))
    >>> view.fmap.shape, float(view.fmap[1, 1])
    ((4, 4), 4.0)
    >>> view.headline.splitlines()[0]
    '**Output: 4 × 4** (input 6 × 6, kernel Custom)'
    """
    picture = np.asarray(picture)
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"`activation` must be one of {', '.join(ACTIVATIONS)}. Received: "
            f"activation={activation!r}."
        )
    colour = picture.ndim == 3
    if per_channel and not colour:
        raise ValueError(
            "`per_channel` needs a colour picture, shape (H, W, 3). Received: "
            f"picture.shape={picture.shape}."
        )
    if per_channel:
        x = picture
        maps, raw = conv2d_per_channel(x, kernel, **settings.options)
    else:
        x = to_grayscale(picture) if gray is None else gray
        maps, raw = None, conv2d(x, kernel, **settings.options)
    fmap = np.asarray(ACTIVATIONS[activation][0](raw), dtype=np.float32)
    scale = _map_scale(fmap, clip)
    (h, w), (oh, ow) = x.shape[:2], fmap.shape
    factor = upscale_factor((h, w))
    brightness = " (brightness)" if colour and not per_channel else ""
    shown = "after " + activation if activation != "none" else "the sums"
    return MapView(
        x=x,
        maps=maps,
        raw=raw,
        fmap=fmap,
        activation=activation,
        scale=scale,
        colorbar=colorbar_png(scale),
        headline=f"**Output: {oh} × {ow}** (input {h} × {w}, kernel {kernel_name})\n\n"
        + output_size_text(x.shape, np.shape(kernel), settings),
        factor=factor,
        widths=(w, ow),
        input_caption=f"Input{brightness}: {h} × {w} px",
        map_caption=f"Feature map ({shown}): {oh} × {ow}, at the same scale. "
        + _colour_legend(fmap, scale),
        map_picture=picture_bytes(zoom(colorize(fmap, scale), factor)),
        channels_picture=None if maps is None else _channels_picture(maps, raw, clip),
    )


def output_size_text(
    x_shape: tuple[int, ...], kernel_shape: tuple[int, ...], settings: Settings
) -> str:
    """The output size as the formula with this picture's numbers filled in (Markdown).

    The numbers come from :func:`cnnviz.maths.ops.explain_output_size`; this adds the rule in
    words and, for 'same', where the zeros go.

    Examples
    --------
    >>> print(output_size_text((64, 64), (3, 3), Settings(2, "valid", 1)))
    Output size = ⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1:
    - height: `⌊(64 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = 31`
    - width: `⌊(64 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = 31`
    """
    kh, kw = kernel_shape[:2]
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


def clips_by_default(picture: np.ndarray) -> bool:
    """Whether a new picture's map starts clipped: yes for photos, no for drawings.

    On a photo a few extreme cells would wash out the rest; on a drawing such as the cartoon
    face the strongest cells are the point (the eyes).

    >>> clips_by_default(np.linspace(0, 1, 64).reshape(8, 8)), clips_by_default(np.eye(8))
    (True, False)
    """
    return not is_drawing(picture)


@lru_cache(maxsize=64)  # a kernel change often keeps the scale; the bar takes about 4 ms
def colorbar_png(scale: ColorScale) -> bytes:
    """The feature map's colour bar, to run under the map at its width, as PNG bytes."""
    return png_bytes(colorbar_strip(scale, label="map value"))


def _map_scale(array: np.ndarray, clip: bool) -> ColorScale:
    """The colour scale for ``array``: its full range, or without its strongest 0.5 %."""
    return robust_scale(array) if clip else scale_for(array)


def _colour_legend(fmap: np.ndarray, scale: ColorScale) -> str:
    """How to read the map's colours (under the map, in its caption: one element less)."""
    if scale.diverging:
        legend = (
            "Red cells are positive, blue negative, white zero: this kernel gives signed values "
            "(an edge gives + on one side and − on the other)."
        )
    else:
        legend = "Darker cells are smaller values, brighter ones larger."
    full = scale_for(fmap)
    if (scale.vmin, scale.vmax) != (full.vmin, full.vmax):
        legend += (
            f" The values run from {full.vmin:.3g} to {full.vmax:.3g}; cells beyond the colour "
            "bar's ends are drawn in its end colours."
        )
    return legend


def _channels_picture(maps: np.ndarray, raw: np.ndarray, clip: bool) -> bytes:
    """The three channel maps on one shared scale, and their sum on its own (PNG).

    The channel maps get a scale of their own: on the sum's scale (about three times wider)
    they were washed out.
    """
    channels, total = _map_scale(maps, clip), _map_scale(raw, clip)
    rows = [
        [Panel(f"{name} channel", maps[..., c], channels) for c, name in enumerate(CHANNELS)]
        + [Legend(channels, "channels")],
        [
            Panel("= red + green + blue", raw, total),
            Legend(total, "sum"),
            Panel("How to read this", note=CHANNEL_NOTE),
        ],
    ]
    return png_bytes(panel_grid(rows, side=CHANNEL_SIDE).pixels)


# --- section 5: one output cell -----------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """One output cell worked out: where its window is, and the multiply-and-sum.

    Attributes
    ----------
    picture : bytes
        PNG: the input around the window (amber box) beside the map around the cell.
    caption : str
    grids : str
        HTML: the window, the kernel and the products as three tables of numbers.
    sums : str
        Markdown: the products added up (per channel too), the map's value, the activation.
    value : float
        The sum at the cell (``raw[row, col]``).
    block : (row, col, rows, cols)
        The output cells the Play animation fills in from this cell (see :func:`play_block`).
    """

    picture: bytes = field(repr=False)
    caption: str = field(repr=False)
    grids: str = field(repr=False)
    sums: str
    value: float
    block: tuple[int, int, int, int]


def step_through(
    view: MapView,
    kernel: np.ndarray,
    settings: Settings,
    row: int,
    col: int,
    *,
    channel: str = "red",
) -> StepView:
    """The window, weights, products and sum behind output cell ``(row, col)`` of ``view``.

    Parameters
    ----------
    view : MapView
        The map the cell belongs to (made with the same ``kernel`` and ``settings``).
    kernel : ndarray, shape (kh, kw)
    row, col : int
        ``0 <= row < H_out``, ``0 <= col < W_out``.
    channel : {"red", "green", "blue"}
        Per-channel mode: the channel whose numbers the grids show.

    Examples
    --------
    Cell (1, 0) of a 3×3 box of ones on a 4×4 input adds the nine pixels from row 1, column 0:

    >>> x, ones, settings = np.arange(16.0).reshape(4, 4), np.ones((3, 3)), Settings(1, "valid", 1)
    >>> step = step_through(feature_map(x, ones, settings), ones, settings, 1, 0)
    >>> print(step.sums.splitlines()[0])
    **Sum of the products:** 4·1 + 5·1 + 6·1 + 8·1 + 9·1 + 10·1 + 12·1 + 13·1 + 14·1 = 81
    >>> step.value, step.block  # the Play animation covers the whole 2 × 2 map
    (81.0, (0, 0, 2, 2))
    """
    if channel not in CHANNELS:
        raise ValueError(
            f"`channel` must be one of {', '.join(CHANNELS)}. Received: channel={channel!r}."
        )
    row, col, opts, c = int(row), int(col), settings.options, CHANNELS.index(channel)
    e = explain_conv_at(view.x, kernel, row, col, **opts)
    top, left, height, width = input_region(view.x.shape, np.shape(kernel), row, col, **opts)
    colour = view.x.ndim == 3
    plane = view.x[..., c] if colour else view.x
    plane_name = f"{channel} channel" if colour else "brightness"

    margin = max(2, min(NEIGHBOURHOOD, (40 - max(height, width)) // 2))
    r0, c0 = top - margin, left - margin
    around = crop(plane, r0, c0, height + 2 * margin, width + 2 * margin)
    fr0, fc0 = max(0, row - NEIGHBOURHOOD), max(0, col - NEIGHBOURHOOD)
    near = view.fmap[fr0 : row + NEIGHBOURHOOD + 1, fc0 : col + NEIGHBOURHOOD + 1]
    # Both zooms travel as one picture: one element less for the browser to redraw per change.
    pair = side_by_side(
        [
            _boxed_zoom(to_uint8(around), (top - r0, left - c0, height, width)),
            _boxed_zoom(colorize(near, view.scale), (row - fr0, col - fc0, 1, 1)),
        ],
        gap=32,
    )
    caption = (
        f"Left: the input around the window (amber box), {plane_name}, rows {r0}…"
        f"{r0 + around.shape[0] - 1}, columns {c0}…{c0 + around.shape[1] - 1}, one square per "
        "pixel"
        + ("; black outside the picture is the zero padding" if min(r0, c0) < 0 else "")
        + f". Right: the feature map around the cell (amber square), rows {fr0}…"
        f"{fr0 + near.shape[0] - 1}, columns {fc0}…{fc0 + near.shape[1] - 1}, coloured as the "
        "map above."
    )

    window, weights, products = e.window, e.kernel, e.products
    if view.per_channel:
        window, weights, products = (a[..., c] for a in (window, weights, products))
    panels = [
        ("<b>Window</b>: the input under the kernel", grid_html(window, PIXELS)),
        ("<b>× Kernel</b>: the weights", grid_html(weights)),
        ("<b>= Products</b>, cell by cell", grid_html(products)),
    ]
    grids = (
        '<div style="display:flex;flex-wrap:wrap;gap:1.5rem 3rem">'
        + "".join(f"<div><p>{title}</p>{table}</div>" for title, table in panels)
        + "</div>"
    )

    value = float(view.raw[row, col])
    if not view.per_channel:
        lines = [f"**Sum of the products:** {format_products(e)}"]
    else:  # the grids show one channel: so does the sum, then the channels add up
        parts = " + ".join(f"{name} {total:.4g}" for name, total in zip(CHANNELS, e.channel_totals))
        lines = [
            f"**Sum of the products, {plane_name}** (the grids above): "
            f"{format_products(e, channel=c)}",
            f"Per channel: {parts} = {e.total:.4g}",
        ]
    lines.append(f"Feature map at ({row}, {col}): {value:.6g}")
    if view.activation != "none":
        lines.append(f"After {view.activation}: {float(view.fmap[row, col]):.6g}")
    where = "starts in the zero padding" if top < 0 or left < 0 else "starts"
    lines.append(
        f":gray[The window {where} at input row {top}, column {left}. The kernel is not "
        "flipped: like Keras' Conv2D, this is cross-correlation (a textbook convolution would "
        "flip the kernel first).]"
    )
    block = play_block(view.fmap.shape, row, col)
    return StepView(png_bytes(pair), caption, grids, "\n\n".join(lines), value, block)


def _boxed_zoom(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A small crop enlarged so each cell is a visible square, with ``box`` outlined in amber."""
    factor = upscale_factor(rgb.shape, min_side=300, max_side=400)
    return outline(zoom(rgb, factor), *box, factor=factor)


# --- the Play animation -------------------------------------------------------------------------


def play_block(shape: tuple[int, int], row: int, col: int) -> tuple[int, int, int, int]:
    """The output cells the animation fills in: ``(row, col, rows, cols)``, at most 6 × 6.

    It starts at the chosen cell, moved up or left where the map ends too soon.

    >>> play_block((62, 62), 31, 60), play_block((3, 40), 2, 0)
    ((31, 56, 6, 6), (0, 0, 3, 6))
    """
    oh, ow = shape
    rows, cols = min(PLAY_CELLS, oh), min(PLAY_CELLS, ow)
    return min(row, oh - rows), min(col, ow - cols), rows, cols


def play_label(block: tuple[int, int, int, int]) -> str:
    """The Play button's label.

    >>> play_label((31, 56, 6, 6))
    'Play: slide the window over the 6 × 6 output cells from (31, 56)'
    """
    r0, c0, rows, cols = block
    return f"Play: slide the window over the {rows} × {cols} output cells from ({r0}, {c0})"


@dataclass(frozen=True)
class Frame:
    """One frame of the animation.

    Attributes
    ----------
    playing : bool
        Whether more frames follow (False on the last frame, or when stopped).
    status : str
    window, cells : bytes
        PNG: the input under the block with the current window outlined; the block's map
        filled in up to the current cell, which is outlined.
    cells_caption : str
    """

    playing: bool
    status: str
    window: bytes = field(repr=False)
    cells: bytes = field(repr=False)
    cells_caption: str


def animation_frame(
    view: MapView,
    kernel: np.ndarray,
    settings: Settings,
    block: tuple[int, int, int, int],
    i: int,
    *,
    playing: bool,
) -> Frame:
    """Frame ``i`` (counted from 0, row by row) of the animation over output cells ``block``.

    Parameters
    ----------
    block : (row, col, rows, cols)
        From :func:`play_block`.
    i : int
        Past the last cell means the last cell.
    playing : bool
        Whether the animation is running (False once the visitor pressed Stop).
    """
    r0, c0, rows, cols = block
    last = rows * cols - 1
    i = min(int(i), last)
    r, c = divmod(i, cols)
    playing = playing and i < last
    if playing:
        status = "The map fills in one cell per step, as the window reaches it."
    elif i == last:
        status = f"Done: all {rows * cols} cells filled in."
    else:
        status = f"Stopped at cell ({r0 + r}, {c0 + c}), {i + 1} of {rows * cols}."

    opts, shape = settings.options, np.shape(kernel)
    top, left, height, width = input_region(view.x.shape, shape, r0, c0, rows, cols, **opts)
    region = to_uint8(crop(view.x, top, left, height, width))
    factor_in = upscale_factor(region.shape, min_side=240, max_side=480)
    zoomed_in = zoom(region, factor_in)  # outline() draws in colour on gray pictures too
    cells = view.fmap[r0 : r0 + rows, c0 : c0 + cols]
    factor_out = upscale_factor(cells.shape, min_side=240, max_side=480)
    zoomed_out = zoom(colorize(cells, view.scale), factor_out)
    wt, wl, wh, ww = input_region(view.x.shape, shape, r0 + r, c0 + c, **opts)
    filled = reveal(zoomed_out, i + 1, factor=factor_out)
    return Frame(
        playing=playing,
        status=status,
        window=png_bytes(outline(zoomed_in, wt - top, wl - left, wh, ww, factor=factor_in)),
        cells=png_bytes(outline(filled, r, c, 1, 1, factor=factor_out)),
        cells_caption=f"Cell ({r0 + r}, {c0 + c}) = {float(cells[r, c]):.4g}",
    )


# --- section 6: the article's example -----------------------------------------------------------


@dataclass(frozen=True)
class EyeView:
    """The eye example at one threshold: its pictures (PNG) and what it found.

    Attributes
    ----------
    face, feature_map, colorbar, mask : bytes
        The cartoon face, the eye detector's map, its colour bar, the thresholded map.
    threshold : float
        ``percent`` % of the map's maximum.
    spots : tuple of (int, int)
        Centres of the white spots, in reading order.
    mask_caption : str
    found : bool
        Whether the spots are exactly the face's two eyes.
    verdict : str
    """

    face: bytes = field(repr=False)
    feature_map: bytes = field(repr=False)
    colorbar: bytes = field(repr=False)
    mask: bytes = field(repr=False)
    threshold: float
    spots: tuple[tuple[int, int], ...]
    mask_caption: str
    found: bool
    verdict: str


def eye_example(percent: int) -> EyeView:
    """The eye detector slid over the cartoon face ('same' padding), kept where ≥ ``percent`` %.

    Parameters
    ----------
    percent : int
        The threshold as a share of the strongest response, 0 to 100.

    Examples
    --------
    >>> eye = eye_example(40)
    >>> eye.found, eye.spots == tuple(sorted(FACE_EYES))
    (True, True)
    >>> eye_example(10).found
    False
    """
    if not 0 <= percent <= 100:
        raise ValueError(f"`percent` must be from 0 to 100. Received: percent={percent}.")
    face = cartoon_face()
    fmap = conv2d(face, KERNELS["Eye detector"].values, padding="same")  # (64, 64)
    threshold = percent / 100 * float(fmap.max())
    mask = threshold_map(fmap, threshold)
    spots = tuple(spot_centres(mask))
    factor = upscale_factor(face.shape, min_side=256)
    scale = scale_for(fmap)
    found = list(spots) == sorted(FACE_EYES)
    if found:
        where = " and ".join(f"({r}, {c})" for r, c in spots)
        verdict = f"Two white spots, centred at {where}: the map lights up exactly at the eyes."
    elif not spots:
        verdict = "Nothing passes this threshold: lower it to see the eyes."
    else:
        verdict = (
            f"{len(spots)} white spots: at this threshold more than the eyes passes (the "
            "head's outline responds a little too). Raise it until only the eyes remain."
        )
    return EyeView(
        face=png_bytes(zoom(to_uint8(face), factor)),
        feature_map=picture_bytes(zoom(colorize(fmap, scale), factor)),
        colorbar=png_bytes(colorbar_image(scale, label="map value")),
        mask=png_bytes(zoom(to_uint8(mask), factor)),
        threshold=threshold,
        spots=spots,
        mask_caption=f"Where the map ≥ {threshold:.3g}: white = eye found",
        found=found,
        verdict=verdict,
    )
