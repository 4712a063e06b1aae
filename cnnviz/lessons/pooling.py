"""The Pooling page's lesson: from the visitor's settings to every number, sentence and picture.

The page tells one story in six sections; each section that computes something has one function
here that returns a frozen view:

- :func:`pooling_view`: the feature map and its pooled map, their sizes and the output-size
  formula, drawn on one colour scale (section 2);
- :func:`window_view`: one pooling window, its values and the max or mean it gives (section 3);
- :func:`shift_view`: the image moved by ``(dx, dy)``, what changed at each stage and what
  pooling took away (section 4);
- :func:`article_view`: the article's 8×8 example with two one-pixel eyes (section 5);
- :func:`depth_view`: how much 1, 2, 3 stacked stages change as the image moves (section 6).

Maps go out as hover heatmaps when small (at most ``HOVER_LIMIT`` cells) and as pictures
otherwise. Plotly figures are built when a view's ``figure`` is read, not stored: a page caches
views, and copying a figure out of a cache takes longer than building it.

Letters used in shapes: ``H, W`` the image's (and the feature map's) height and width,
``H_out, W_out`` the pooled map's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import plotly.graph_objects as go

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
from cnnviz.pictures import (
    HOVER_LIMIT,
    ColorScale,
    colorbar_image,
    colorize,
    heatmap_figure,
    number_grid_figure,
    outline,
    picture_bytes,
    png_bytes,
    scale_for,
    shift_change_figure,
    shift_grid,
    shrink,
    to_uint8,
    upscale,
    upscale_factor,
    zoom,
)

__all__ = [
    "ARTICLE_INTRO",
    "ARTICLE_SHIFTS",
    "DEFAULT_KERNEL",
    "DEPTH_INTRO",
    "DISPLAY_SIDE",
    "INTRO",
    "MAX_SHIFT",
    "MAX_WINDOW",
    "MOVED",
    "PADDING_NOTE",
    "PICKED",
    "SHIFT_INTRO",
    "SHIFT_LEGEND",
    "SHIFT_PANEL_SIDE",
    "WINDOW_SIDE",
    "ArticleView",
    "DepthView",
    "MapNote",
    "MapView",
    "NumberGrid",
    "PoolingView",
    "Settings",
    "ShiftView",
    "WindowView",
    "article_view",
    "change_text",
    "depth_view",
    "difference_scale",
    "feature_caption",
    "map_png",
    "outlined_png",
    "pooling_view",
    "shift_view",
    "stack_caption",
    "verdict",
    "window_view",
]

DEFAULT_KERNEL = "Eye detector"
MAX_WINDOW = 8
MAX_SHIFT = 16
#: Big maps are sent at most this many pixels wide: a column is narrower than that anyway.
DISPLAY_SIDE = 640
#: The window section's two maps (pooled map to click, feature map with the window) are drawn
#: at most this many pixels wide: two fit side by side on a projector.
WINDOW_SIDE = 400
#: Each map of the big shift comparison is drawn this many pixels square: three maps and two
#: colour bars then make 940 px, the page's width on a 1400-px screen, so nothing is rescaled.
SHIFT_PANEL_SIDE = 256
#: The article's shifts, by the words of the page's control: ``(dx, dy)``.
ARTICLE_SHIFTS = {
    "1 pixel right": ARTICLE_KEEPS,
    "2 pixels right": ARTICLE_CROSSES,
    "1 pixel left": (-1, 0),
}
#: The depth chart's choice that measures it on the picture the visitor picked.
PICKED = "The image picked above"
INTRO = (
    "A convolution tells you *where* a feature appears; pooling then summarises each small "
    "window of that map by its strongest (or average) response, so the map shrinks and a "
    "feature that moves by a pixel often gives exactly the same pooled answer."
)
SHIFT_INTRO = (
    "Shift the picture and compare, stage by stage, what the network sees before and after."
)
SHIFT_LEGEND = (
    "How the change is measured: each map is compared with itself after the shift, cell by "
    "cell at the same positions, as 1 − cosine similarity: 0 when the same cells light up "
    "in the same proportions, 1 when the two have nothing in common. It is the measure of "
    "the depth chart in section 6, and it does not depend on how many cells a map has, so "
    "the feature map and its smaller pooled map can be compared. The strip of black that "
    "the shift brings in at the edge changes the cells there whatever pooling does."
)
ARTICLE_INTRO = (
    "An 8×8 picture with two one-pixel eyes, a kernel that fires only on a lone bright "
    "pixel (centre × 8 minus its eight neighbours), ReLU, then 2×2 max pooling with stride 2."
)
DEPTH_INTRO = (
    "One pooling layer forgives a pixel or two. Stack several conv + pool stages and each "
    "cell covers a larger patch, so larger moves go unnoticed. Measured, not drawn:"
)
#: Beside the padding control: TensorFlow's rule, computed by :func:`cnnviz.maths.ops.output_size`
#: and written out with the numbers by :func:`~cnnviz.maths.ops.explain_output_size` in
#: :attr:`PoolingView.formula` (``⌈64 / 2⌉ = 32``); padding cells take no part in the max or mean.
PADDING_NOTE = "'same' pads so each side keeps ⌈length / stride⌉ cells; padding never wins."
MOVED = (
    "The image moved; black fills the uncovered edge. On the right: blue = lower after the "
    "shift, red = higher, white = unchanged."
)
_GRAY = ColorScale("gray", 0.0, 1.0)
_EXPLANATIONS = {
    "1 pixel right": "Each eye moves from the left to the right half of its 2×2 window: "
    "the window's maximum is still 8, so the pooled map cannot tell.",
    "2 pixels right": "Each eye crosses a window boundary into the next window: the 8s "
    "move one cell right in the pooled map. Pooling tolerates small moves, not any move.",
    "1 pixel left": "Also one pixel, but the eyes sat in the left half of their windows, "
    "so this move crosses a boundary: whether a shift survives depends on where the "
    "feature sits in the pooling grid.",
}


@dataclass(frozen=True)
class Settings:
    """What the visitor chose: the feature and how to pool it.

    Raises ``ValueError`` naming the setting for a kernel that is not in ``KERNELS`` or a mode
    that is not in ``POOL_MODES``; sizes, strides and padding are checked by the core.
    """

    kernel: str
    relu: bool
    mode: str
    size: int
    stride: int
    padding: str

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise ValueError(
                f"`kernel` must be one of the named kernels. Received: kernel={self.kernel!r}."
            )
        if self.mode not in POOL_MODES:
            raise ValueError(f"`mode` must be one of {POOL_MODES}. Received: mode={self.mode!r}.")

    def pool(self) -> dict:
        """The pooling options as :func:`cnnviz.maths.ops.pool2d` takes them."""
        return {"size": self.size, "stride": self.stride, "mode": self.mode}


def feature_caption(kernel: str) -> str:
    """What the feature kernel ``kernel`` finds, and how the page convolves with it."""
    return (
        f"**{kernel}**: {KERNELS[kernel].description} The convolution uses padding 'same', so "
        "the feature map has the image's size; colour images are turned to grayscale first."
    )


# --- one map, one grid of numbers ----------------------------------------------------------


@dataclass(frozen=True)
class MapView:
    """One map as the page shows it: a hover heatmap (``png`` is None) or a picture.

    Attributes
    ----------
    title : str
    array : ndarray, shape (h, w)
    scale : ColorScale
    png : bytes or None
        The map colour-mapped, at most ``DISPLAY_SIDE`` pixels wide, for a big map.
    """

    title: str
    array: np.ndarray = field(repr=False)
    scale: ColorScale
    png: bytes | None = field(default=None, repr=False)

    @property
    def kind(self) -> Literal["heatmap", "picture"]:
        """How the page draws it: ``figure`` as a hover heatmap, or ``png`` as a picture."""
        return "heatmap" if self.png is None else "picture"

    @property
    def figure(self) -> go.Figure:
        """The hover heatmap (built on each read: see the module's docstring)."""
        return heatmap_figure(self.array, self.scale, height=330)


@dataclass(frozen=True)
class MapNote:
    """A sentence shown in place of a map (the image has no difference map: :data:`MOVED`).

    >>> MapNote("The image moved.").kind
    'note'
    """

    text: str
    kind: ClassVar[Literal["note"]] = "note"


def _map(title: str, array: np.ndarray, scale: ColorScale, *, picture: bool) -> MapView:
    return MapView(title, array, scale, map_png(array, scale) if picture else None)


def map_png(array: np.ndarray, scale: ColorScale | None, side: int = DISPLAY_SIDE) -> bytes:
    """A map as PNG: shrunk to ``side`` pixels when bigger, zoomed to crisp cells when smaller.

    ``scale=None`` draws a picture with values in [0, 1] in gray.
    """
    shown = shrink(array, side)
    pixels = to_uint8(shown) if scale is None else colorize(shown, scale)
    return png_bytes(upscale(pixels, min_side=side // 2, max_side=side))


@dataclass(frozen=True)
class NumberGrid:
    """A small grid of numbers on coloured cells, with its title above it.

    ``mark`` outlines one cell; ``origin`` labels rows and columns from a bigger map's
    coordinates.
    """

    title: str
    array: np.ndarray = field(repr=False)
    scale: ColorScale | None
    digits: int
    height: int = 260
    mark: tuple[int, int] | None = None
    origin: tuple[int, int] = (0, 0)

    @property
    def figure(self) -> go.Figure:
        """The grid as a Plotly figure (built on each read)."""
        highlight = None if self.mark is None else (self.mark[0], self.mark[1], 1, 1)
        return number_grid_figure(
            self.array,
            scale=self.scale,
            digits=self.digits,
            height=self.height,
            origin=self.origin,
            highlight=highlight,
        )


# --- section 2: the feature map and its pooled map -----------------------------------------


@dataclass(frozen=True)
class PoolingView:
    """The feature map beside its pooled map.

    Attributes
    ----------
    stage : Stage
        Image, feature map (H, W) and pooled map (H_out, W_out).
    sizes : str
        ``"Feature map: H × W → pooled map: H_out × W_out"``.
    formula : str
        The output-size formula for rows and columns (Markdown).
    scale : ColorScale
        Shared by both maps (and the window's numbers).
    hover : bool
        True when the maps are small enough for hover heatmaps.
    feature, pooled : MapView
    bar : bytes or None
        A PNG colour bar for the two pictures; None beside heatmaps (they carry their own).
    caption : str
    """

    stage: Stage
    sizes: str
    formula: str
    scale: ColorScale
    hover: bool
    feature: MapView
    pooled: MapView
    bar: bytes | None = field(repr=False)
    caption: str


def pooling_view(image: np.ndarray, settings: Settings) -> PoolingView:
    """Convolve ``image`` with the chosen kernel, apply ReLU if asked, pool: the section's view.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3)
    settings : Settings

    Raises
    ------
    ValueError
        The core's message when the window does not fit (``Output would be empty: ...``).

    Examples
    --------
    >>> v = pooling_view(np.ones((6, 6)), Settings("Identity", True, "max", 2, 2, "valid"))
    >>> v.sizes, v.hover
    ('Feature map: 6 × 6 → pooled map: 3 × 3', True)
    >>> print(v.formula)
    Rows: `⌊(6 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = 3`
    Columns: `⌊(6 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = 3`
    """
    s = settings
    stage = run_stage(image, KERNELS[s.kernel].values, relu=s.relu, padding=s.padding, **s.pool())
    h, w = stage.feature.shape
    ph, pw = stage.pooled.shape
    formula = (
        f"Rows: `{explain_output_size(h, s.size, s.stride, s.padding)}`  \n"
        f"Columns: `{explain_output_size(w, s.size, s.stride, s.padding)}`"
    )
    scale = scale_for(stage.feature, stage.pooled)
    hover = stage.feature.size <= HOVER_LIMIT
    caption = (
        "Both maps use the same colours, so a cell in the pooled map can be compared with the "
        "window it summarises." + ("" if hover else " Hover values appear for maps up to 64×64.")
    )
    return PoolingView(
        stage=stage,
        sizes=f"Feature map: {h} × {w} → pooled map: {ph} × {pw}",
        formula=formula,
        scale=scale,
        hover=hover,
        feature=_map(
            f"Feature map {h}×{w} (pooling input)", stage.feature, scale, picture=not hover
        ),
        pooled=_map(
            f"{s.mode.title()}-pooled map {ph}×{pw}", stage.pooled, scale, picture=not hover
        ),
        bar=None if hover else png_bytes(colorbar_image(scale, height=260, label="value")),
        caption=caption,
    )


# --- section 3: one window ------------------------------------------------------------------


@dataclass(frozen=True)
class WindowView:
    """The window behind pooled cell ``(row, col)``: its numbers and what pooling made of them.

    Attributes
    ----------
    grid : NumberGrid
        The window's values (nan in the padding), its winner outlined for max pooling.
    text : str
        The max (with where it sits) or the mean, and the pooled cell it gives (Markdown).
    notes : tuple of str
        Padding cells, overlapping or skipped windows.
    pooled_picture, feature_picture : bytes
        The pooled map with cell ``(row, col)`` outlined (a click on it picks a cell: it shows
        the map edge to edge) and the feature map with the window outlined (PNG, see
        :func:`outlined_png`).
    """

    grid: NumberGrid
    text: str
    notes: tuple[str, ...]
    pooled_picture: bytes = field(default=b"", repr=False)
    feature_picture: bytes = field(default=b"", repr=False)


def outlined_png(
    array: np.ndarray, scale: ColorScale, box: tuple[int, int, int, int], side: int = WINDOW_SIDE
) -> bytes:
    """A map coloured with ``scale``, drawn edge to edge at most ``side`` pixels wide, with the
    cells ``box = (top, left, height, width)`` outlined (PNG).

    A big map is averaged down first (:func:`~cnnviz.pictures.shrink`), a small one enlarged
    to crisp cells; the outline follows either way and stays at least 2 pixels thick.

    >>> from PIL import Image; import io
    >>> png = outlined_png(np.zeros((4, 4)), scale_for(np.zeros(1)), (1, 1, 2, 2), side=40)
    >>> Image.open(io.BytesIO(png)).size
    (40, 40)
    """
    shown = shrink(array, side)  # (h, w), h/H = w/W = ratio
    ratio = shown.shape[0] / np.shape(array)[0]
    factor = upscale_factor(shown.shape, min_side=side, max_side=side)
    pixels = zoom(colorize(shown, scale), factor)
    top, left, height, width = (round(v * ratio * factor) for v in box)
    thick = max(2, pixels.shape[0] // 160)
    return png_bytes(outline(pixels, top, left, max(height, 1), max(width, 1), thickness=thick))


def window_view(
    stage: Stage, settings: Settings, row: int, col: int, scale: ColorScale
) -> WindowView:
    """Open the window of pooled cell ``(row, col)`` of ``stage.pooled``.

    Examples
    --------
    >>> s = Settings("Identity", False, "max", 2, 2, "valid")
    >>> v = pooling_view(np.arange(16.0).reshape(4, 4) / 16, s)
    >>> w = window_view(v.stage, s, 1, 0, v.scale)
    >>> w.grid.title
    'Window: feature rows 2–3, columns 0–1'
    >>> print(w.text)
    **max = 0.8125**: the largest of the 4 values, at feature row 3, column 1 (outlined). So pooled cell (1, 0) = 0.8125.
    """  # noqa: E501
    s = settings
    e = explain_pool_at(stage.feature, row, col, **s.pool(), padding=s.padding)
    rows = f"{e.top}–{e.top + s.size - 1}" if s.size > 1 else f"{e.top}"
    cols = f"{e.left}–{e.left + s.size - 1}" if s.size > 1 else f"{e.left}"
    grid = NumberGrid(
        f"Window: feature rows {rows}, columns {cols}",
        e.window,
        scale,
        digits=3,
        mark=e.argmax,
        origin=(e.top, e.left),
    )
    if s.mode == "max":
        r, c = e.argmax
        text = (
            f"**max = {e.value:.4g}**: the largest of the {e.window.size} values, at feature "
            f"row {e.top + r}, column {e.left + c} (outlined). So pooled cell ({row}, {col}) "
            f"= {e.value:.4g}."
        )
    else:
        text = (
            f"**mean = {e.value:.4g}**: the average of the window's real cells. So pooled "
            f"cell ({row}, {col}) = {e.value:.4g}."
        )
    notes = []
    if s.padding == "same":
        notes.append("Cells shown as nan lie in the padding: they take no part in the max or mean.")
    if s.stride < s.size:
        notes.append(f"Stride {s.stride} < window {s.size}: neighbouring windows overlap.")
    elif s.stride > s.size:
        notes.append(f"Stride {s.stride} > window {s.size}: cells are skipped.")
    pooled = outlined_png(stage.pooled, scale, (row, col, 1, 1))
    feature = outlined_png(stage.feature, scale, (e.top, e.left, s.size, s.size))
    return WindowView(grid, text, tuple(notes), pooled, feature)


# --- section 4: move the image --------------------------------------------------------------


def change_text(value: float) -> str:
    """A pattern change (1 − cosine) as the page prints it, small ones not shown as 0.

    >>> change_text(0.5), change_text(0.0), change_text(0.0123)
    ('0.50', '0.00', '0.012')
    """
    return f"{value:.2f}" if value == 0 or value >= 0.1 else f"{value:.2g}"


def verdict(c: ShiftComparison) -> str:
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


def difference_scale(scale: ColorScale) -> ColorScale:
    """A diverging scale for ``shifted − original`` on the maps' own range, white at 0.

    >>> difference_scale(ColorScale("gray", 0.0, 8.0))
    ColorScale(RdBu_r, -8 … 8)
    """
    bound = max(abs(scale.vmin), abs(scale.vmax)) or 1.0
    return ColorScale("RdBu_r", -bound, bound)


@dataclass(frozen=True)
class ShiftView:
    """The image and a copy moved by ``(dx, dy)`` through the same stage.

    Attributes
    ----------
    comparison : ShiftComparison
    summary : str
        The pattern change of both maps, the verdict, the largest change (Markdown).
    rows : tuple of 3 (name, tuple of 3)
        Small maps: per stage ("Image", "Feature map", "Pooled map") the original, the shifted
        copy and their difference as :class:`MapView`, or a :class:`MapNote` where the image
        row has none (each item's ``kind`` says which). Empty for big maps.
    picture : bytes or None
        Big maps: the whole comparison as one picture (JPEG or PNG); None for small maps.
    caption : str
        The picture's caption.
    """

    comparison: ShiftComparison
    summary: str
    rows: tuple[tuple[str, tuple[MapView | MapNote, ...]], ...]
    picture: bytes | None = field(repr=False)
    caption: str


def shift_view(stage: Stage, settings: Settings, dx: int, dy: int, scale: ColorScale) -> ShiftView:
    """Move the image of ``stage`` by ``(dx, dy)``, run the same stage, show what changed.

    ``scale`` colours the feature and pooled maps (the section above's); the differences use
    :func:`difference_scale` of it. ``stage`` is reused, not recomputed.

    Examples
    --------
    >>> s = Settings("Edge detection 3", True, "max", 2, 2, "valid")
    >>> x = np.zeros((4, 4)); x[1, 2] = 1.0
    >>> v = pooling_view(x, s)
    >>> print(shift_view(v.stage, s, 1, 0, v.scale).summary)
    Change of the pattern: feature map 1.00 → pooled map 0.00 (0 = the same, 1 = nothing in common)
    Pooling took away 100% of the change.
    Largest change of a pooled cell: 0 (the strongest pooled value is 8)
    """
    s = settings
    kernel = KERNELS[s.kernel].values
    c = compare_shift(
        stage.image, kernel, dx, dy, relu=s.relu, padding=s.padding, original=stage, **s.pool()
    )
    summary = (
        f"Change of the pattern: feature map {change_text(c.feature_change)} → pooled map "
        f"{change_text(c.pooled_change)} ({c.change_scale})  \n"
        f"{verdict(c)}  \n"
        f"Largest change of a pooled cell: {c.largest_change:.4g} (the strongest pooled value "
        f"is {c.peak:.4g})"
    )
    diff = difference_scale(scale)
    moved = f"({c.dx}, {c.dy})"
    if c.original.image.size > HOVER_LIMIT:
        # One picture: Streamlit pays per element and per picture, and a high-quality JPEG
        # keeps the text crisp at 4:4:4; the numbers are printed beside it.
        grid = shift_grid(c, scale, diff, side=SHIFT_PANEL_SIDE)
        caption = (
            "Top to bottom: the image, its feature map, the pooled map. Left to right: "
            f"original, shifted {moved}, shifted − original."
        )
        return ShiftView(c, summary, (), picture_bytes(grid.pixels), caption)
    stages = (
        ("Image", c.original.image, c.shifted.image, None, _GRAY),
        ("Feature map", c.original.feature, c.shifted.feature, c.feature_difference, scale),
        ("Pooled map", c.original.pooled, c.shifted.pooled, c.difference, scale),
    )
    rows = tuple(
        (
            name,
            (
                MapView(f"{name}: original", before, row_scale),
                MapView(f"{name}: shifted {moved}", after, row_scale),
                MapNote(MOVED)
                if change is None
                else MapView(f"{name}: shifted − original", change, diff),
            ),
        )
        for name, before, after, change, row_scale in stages
    )
    return ShiftView(c, summary, rows, None, "")


# --- section 5: the article's example -------------------------------------------------------


@dataclass(frozen=True)
class ArticleView:
    """The article's example moved by one of :data:`ARTICLE_SHIFTS`.

    Attributes
    ----------
    comparison : ShiftComparison
    rows : tuple of 2 (label, tuple of 3 NumberGrid)
        "Original" and "Shifted …": the 8×8 image, its feature map, the 4×4 pooled map.
    summary : str
        Whether the pooled maps are identical, how many cells changed, the pattern change.
    explanation : str
        Why this shift keeps or changes the pooled map.
    """

    comparison: ShiftComparison
    rows: tuple[tuple[str, tuple[NumberGrid, ...]], ...]
    summary: str
    explanation: str


def article_view(choice: str) -> ArticleView:
    """The article's example for the shift named ``choice`` (a key of :data:`ARTICLE_SHIFTS`).

    Examples
    --------
    >>> article_view("1 pixel right").summary
    'Pooled maps identical: yes (0 of 16 pooled cells changed). Change of the pattern: feature map 1.00 → pooled map 0.00'

    One pixel right, the eyes stay in their 2×2 windows; two pixels right, each crosses into the
    next window, and one of the two lit pooled cells is still lit (change 0.50):

    >>> article_view("2 pixels right").summary
    'Pooled maps identical: no (2 of 16 pooled cells changed). Change of the pattern: feature map 0.50 → pooled map 0.50'
    """  # noqa: E501
    if choice not in ARTICLE_SHIFTS:
        raise ValueError(
            f"`choice` must be one of {list(ARTICLE_SHIFTS)}. Received: choice={choice!r}."
        )
    c = article_example(*ARTICLE_SHIFTS[choice])
    scale = scale_for(c.original.feature, c.shifted.feature)
    rows = tuple(
        (
            label,
            (
                NumberGrid("image (8×8)", s.image, _GRAY, digits=0, height=300),
                NumberGrid("feature map: ReLU(conv)", s.feature, scale, digits=0, height=300),
                NumberGrid("2×2 max pool, stride 2", s.pooled, scale, digits=0, height=300),
            ),
        )
        for label, s in (("Original", c.original), (f"Shifted {choice}", c.shifted))
    )
    changed = c.unchanged.size - int(c.unchanged.sum())
    summary = (
        f"Pooled maps identical: {'yes' if c.identical else 'no'} ({changed} of "
        f"{c.unchanged.size} pooled cells changed). Change of the pattern: feature map "
        f"{change_text(c.feature_change)} → pooled map {change_text(c.pooled_change)}"
    )
    return ArticleView(c, rows, summary, _EXPLANATIONS[choice])


# --- section 6: depth adds tolerance --------------------------------------------------------


@dataclass(frozen=True)
class DepthView:
    """The depth chart measured on one image with one stack of stages.

    Attributes
    ----------
    curve : DepthCurve
    numbers : str
        The change for 1, 2, 3 stages at shifts of 1, 2, 4 and 8 pixels.
    finding : str
        Whether every extra stage changed less at every shift, in Markdown.
    caption : str
        How it is measured, with the margin and the cells compared.
    """

    curve: DepthCurve
    numbers: str
    finding: str
    caption: str

    @property
    def figure(self) -> go.Figure:
        """Change against shift, one line per depth (built on each read)."""
        return shift_change_figure(self.curve.shifts, self.curve.change)


def stack_caption(stack: str) -> str:
    """What the stack of stages named ``stack`` (a key of ``DEPTH_STACKS``) does.

    Shown under the stack's picker, before (and whether or not) its curve can be measured.

    >>> stack_caption("Edges, then blur") == DEPTH_STACKS["Edges, then blur"].description
    True
    """
    _check_stack(stack)
    return DEPTH_STACKS[stack].description


def _check_stack(stack: str) -> None:
    if stack not in DEPTH_STACKS:
        raise ValueError(f"`stack` must be one of {list(DEPTH_STACKS)}. Received: stack={stack!r}.")


def depth_view(image: np.ndarray, stack: str) -> DepthView:
    """Measure :func:`~cnnviz.maths.invariance.depth_curve` on ``image`` with a named stack.

    Raises
    ------
    ValueError
        ``stack`` unknown, or the image too small for three stages (the core's message).
    """
    _check_stack(stack)
    curve = depth_curve(image, kernels=DEPTH_STACKS[stack].kernels)
    at = [d for d in (1, 2, 4, 8) if d in curve.shifts]
    numbers = "; ".join(
        f"{d} px: "
        + ", ".join(f"{curve.change[s, curve.shifts.index(d)]:.2f}" for s in range(curve.stages))
        for d in at
    )
    if curve.holds:
        finding = "On this image, every extra stage changed less at every shift from 1 to 8 pixels."
    else:
        finding = (
            "On this image, an extra stage did **not** always change less: at shifts "
            f"{', '.join(map(str, curve.exceptions()))} px a deeper stack changed as much or more."
        )
    caption = (
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
    return DepthView(
        curve,
        f"Change for 1, 2, 3 stages at {numbers}",
        finding,
        caption,
    )
