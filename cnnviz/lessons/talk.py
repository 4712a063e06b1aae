"""The Talk page's lesson: the article as a presenter's path, one idea per screen.

The steps are data (:data:`STEPS`, one frozen :class:`TalkStep` each, in the article's order);
the rest are the small pure functions the page needs around them:

- :func:`step_index`, :func:`next_index`, :func:`previous_index`, :func:`position_text`:
  moving through the steps, clamped at both ends;
- :func:`preflight`: the title step's line saying whether the talk is ready to give;
- :func:`public_url`, :func:`short_address`, :func:`title_view`: the address the audience
  types or scans (a QR code);
- one function per live step that needs more than a call into its page's lesson
  (:func:`slide_view`, :func:`filter_view`, :func:`pooling_view`, :func:`dense_view`,
  :func:`reading_view`). Every number they show comes from the page lessons
  (:mod:`~cnnviz.lessons.convolution`, :mod:`~cnnviz.lessons.pooling`,
  :mod:`~cnnviz.lessons.inside`); these functions only pick what fits one projector screen.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from cnnviz.learning.data import Dataset
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.training import TrainedModel
from cnnviz.lessons import convolution, filters, inside, learn, own, pooling
from cnnviz.maths.kernels import KERNELS
from cnnviz.pictures import (
    colorbar_image,
    colorize,
    png_bytes,
    qr_png,
    sample_image,
    tile_grid,
    to_uint8,
    zoom,
)

__all__ = [
    "DEPTH_PICTURE",
    "DEPTH_STACK",
    "FILTER_KERNELS",
    "FILTER_PICTURE",
    "LEARN_RATES",
    "PUBLIC_URL_ENV",
    "SLIDE_CELLS",
    "SLIDE_KERNEL",
    "STEPS",
    "TALK_SPEC",
    "DenseView",
    "FilterView",
    "LearnView",
    "OwnView",
    "Preflight",
    "ReadingView",
    "SlideView",
    "TalkStep",
    "TitleView",
    "dense_view",
    "depth_view",
    "filter_view",
    "learn_view",
    "next_index",
    "own_view",
    "pooling_view",
    "position_text",
    "preflight",
    "previous_index",
    "public_url",
    "reading_view",
    "short_address",
    "slide_view",
    "step_index",
    "title_view",
    "train_intro",
]

#: The environment variable that gives the app's public address (else the browser's is used).
PUBLIC_URL_ENV = "CNNVIZ_PUBLIC_URL"


@dataclass(frozen=True)
class TalkStep:
    """One screen of the talk.

    Attributes
    ----------
    key : str
        Its name in the link (``?step=eyes``): lower-case letters and dashes.
    title : str
        The screen's heading.
    idea : str
        The one sentence the audience should leave with, shown in large type.
    notes : str
        The speaker's notes (Markdown), hidden until the speaker opens them.
    """

    key: str
    title: str
    idea: str
    notes: str = ""


STEPS: tuple[TalkStep, ...] = (
    TalkStep(
        "title",
        "See a convolutional neural network think",
        "How a small network learns to read handwritten digits, one idea per screen.",
        "Scan the code or type the address: everyone can follow on their own phone. "
        "→ or space for the next screen, ← to go back.",
    ),
    TalkStep(
        "slide",
        "A kernel slides over the picture",
        "At every position: multiply each weight by the pixel under it, add the products up.",
        "Drag the slider: the amber box moves one position, one more cell of the feature map "
        "fills in. The numbers on the right are the real ones for that cell. The kernel is not "
        "flipped: like Keras' Conv2D this is cross-correlation.",
    ),
    TalkStep(
        "eyes",
        "A feature map lights up where the feature is",
        "The eye detector, a bright ring around a dark centre, fires hardest at the two eyes.",
        "Raise the threshold until only the eyes are left; at 10 % the head's outline "
        "still passes. This is the article's example.",
    ),
    TalkStep(
        "filters",
        "Kernels are image filters",
        "The same multiply-and-add blurs, sharpens or finds edges: only the weights differ.",
        "Click through the kernels. A CNN does not get these weights from us: it learns its "
        "own, whichever make the answer right.",
    ),
    TalkStep(
        "pooling",
        "Pooling forgives a one-pixel shift",
        "Max pooling keeps each window's strongest answer, not where in the window it was.",
        "One pixel right: the eyes stay in their 2×2 windows, the pooled map is identical. "
        "Two pixels right: they cross into the next window and the pooled map moves.",
    ),
    TalkStep(
        "depth",
        "Depth adds tolerance",
        "Stack conv + pool stages and larger moves stop changing the answer.",
        "Measured, not drawn: each line is how much the output changes as the picture moves "
        "right, for one, two and three stages.",
    ),
    TalkStep(
        "dense",
        "Fully connected layers decide",
        "Every neuron weighs the whole pattern of features found; the largest score wins.",
        "The middle chart is the activation pattern of the hidden layer for this digit; the "
        "right one the ten probabilities, which add up to 100 %.",
    ),
    TalkStep(
        "learn",
        "Learning is small steps downhill",
        "The loss scores each answer; every weight steps against its gradient, and the loss falls.",
        "Take a step: the batch loss before and after are the real numbers, and the kernel's "
        "nine weights each move by −rate × their gradient. Then pick rate 3 and step again: "
        "the step jumps past the valley's floor and the loss goes up. Keras does this by "
        "automatic differentiation; the Learn page shows every number of it.",
    ),
    TalkStep(
        "train",
        "Training, live",
        "The network starts from random weights and learns from examples: watch the error fall.",
        "A small model (8 kernels, 32 neurons, 3 passes over 4,000 digits) trains in a worker "
        "process in well under a minute here. The Stop button keeps what it learned so far.",
    ),
    TalkStep(
        "inside",
        "Inside one digit",
        "Draw a digit: the trained network reads it and says how sure it is of each answer.",
        "Draw large, filling most of the square. A wrong answer is a good moment: the model "
        "only ever saw 4,000 digits.",
    ),
    TalkStep(
        "see",
        "Where the model looks",
        "Cover part of the digit: where its probability drops is what the answer rests on.",
        "A black 6×6 patch slides over the digit two pixels at a time; each position is a real "
        "forward pass (all at once). Dark in the middle picture: covering there hurts the "
        "answer. The right picture is gradient × input, red pixels pushing for the answer. "
        "The 'What the filters see' page adds receptive fields, each filter's favourite "
        "digits and the pictures a filter likes most.",
    ),
    TalkStep(
        "own",
        "Your own classes",
        "Give it pictures of your own things: the same kind of network learns to tell them apart.",
        "The sample shapes are drawn at random places, sizes and turns: the network must learn "
        "what a triangle is, not where it sits. On the 'Your own classes' page, anyone can "
        "teach it two to six classes from a webcam in a minute, then look inside. Train it on "
        "the sample shapes there before the talk and this screen shows it reading a shape it "
        "never saw; nothing trains on stage.",
    ),
    TalkStep(
        "audience",
        "Your turn",
        "Draw a digit on your phone and send it: the model reads every one, the room keeps score.",
        "Open the room, leave the code on screen for a minute. Hide a digit with the menu under "
        "the grid; clear the room to start again. Rooms close by themselves after 3 hours; "
        "nothing is stored on disk and no names are asked.",
    ),
)


# --- moving through the steps -----------------------------------------------------------------


def step_index(key: str) -> int:
    """The position of the step named ``key`` in :data:`STEPS`.

    >>> step_index("title"), step_index("eyes")
    (0, 2)
    """
    for i, step in enumerate(STEPS):
        if step.key == key:
            return i
    keys = ", ".join(s.key for s in STEPS)
    raise ValueError(f"`key` must be one of {keys}. Received: key={key!r}.")


def next_index(i: int) -> int:
    """The step after ``i``; the last step stays the last.

    >>> next_index(0), next_index(len(STEPS) - 1) == len(STEPS) - 1
    (1, True)
    """
    return min(max(int(i), 0) + 1, len(STEPS) - 1)


def previous_index(i: int) -> int:
    """The step before ``i``; the first step stays the first.

    >>> previous_index(3), previous_index(0)
    (2, 0)
    """
    return max(min(int(i), len(STEPS) - 1) - 1, 0)


def position_text(i: int) -> str:
    """Where the talk is, as the page shows it beside the buttons.

    >>> position_text(0) == f"1 / {len(STEPS)}"
    True
    """
    return f"{int(i) + 1} / {len(STEPS)}"


# --- the title step ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Preflight:
    """The pre-flight line: ``ok`` when the talk can start now; ``text`` says what is ready."""

    ok: bool
    text: str


def preflight(model_cached: bool, worker_ready: bool) -> Preflight:
    """The title step's pre-flight line from the facts the page found.

    Parameters
    ----------
    model_cached : bool
        The default model's weights are on disk (else the first model step trains it, ~15 s).
    worker_ready : bool
        A training worker has TensorFlow loaded (else **Train** waits a few seconds for one).

    Examples
    --------
    >>> print(preflight(True, True).text)
    Pre-flight: default model cached ✓ · training worker ready ✓ · network needed: no ✓
    >>> print(preflight(False, True).text)  # doctest: +NORMALIZE_WHITESPACE
    Pre-flight: default model not cached ✗ (run make warm, or wait ~15 s at the first model
    step) · training worker ready ✓ · network needed: no ✓
    """
    model = (
        "default model cached ✓"
        if model_cached
        else "default model not cached ✗ (run make warm, or wait ~15 s at the first model step)"
    )
    worker = (
        "training worker ready ✓"
        if worker_ready
        else "training worker starting… (ready in a few seconds; reload to check)"
    )
    return Preflight(
        model_cached and worker_ready,
        f"Pre-flight: {model} · {worker} · network needed: no ✓",
    )


def public_url(environ: Mapping[str, str], browser_url: str | None, page: str = "talk") -> str:
    """The app's address to show the audience.

    Parameters
    ----------
    environ : mapping
        The environment: :data:`PUBLIC_URL_ENV`, when set to an ``http(s)`` address, wins
        (a laptop on a projector sees ``localhost``; the audience needs the public address).
    browser_url : str or None
        The address the speaker's browser used (``st.context.url``), with this page's path.
    page : str
        This page's URL path, taken off the end so the address is the app's home.

    Raises
    ------
    ValueError
        When neither gives an ``http(s)`` address; the message names the variable to set.

    Examples
    --------
    >>> public_url({}, "http://localhost:8501/talk")
    'http://localhost:8501/'
    >>> public_url({"CNNVIZ_PUBLIC_URL": " https://cnnviz.streamlit.app "}, "http://x/talk")
    'https://cnnviz.streamlit.app/'
    """
    configured = (environ.get(PUBLIC_URL_ENV) or "").strip()
    browser = (browser_url or "").strip()
    for candidate, own_page in ((configured, False), (browser, True)):
        parts = urlsplit(candidate)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            continue
        path = parts.path
        if own_page:  # the browser is on this page: the audience gets the app's home
            path = re.sub(rf"(^|/){re.escape(page)}/?$", r"\1", path)
        path = path if path.endswith("/") else path + "/"
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    raise ValueError(
        f"No public address: set {PUBLIC_URL_ENV} to the app's http(s) address. "
        f"Received: {PUBLIC_URL_ENV}={configured!r}, browser address={browser_url!r}."
    )


def short_address(url: str) -> str:
    """``url`` as a person would type it: no scheme, no ``www.``, no trailing slash.

    >>> short_address("https://www.cnnviz.streamlit.app/"), short_address("http://localhost:8501/")
    ('cnnviz.streamlit.app', 'localhost:8501')
    """
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    return (host + parts.path).rstrip("/")


@dataclass(frozen=True)
class TitleView:
    """The title step: the address (full and short), its QR code (PNG) and the pre-flight line."""

    url: str
    address: str
    qr: bytes = field(repr=False)
    preflight: Preflight


def title_view(url: str, model_cached: bool, worker_ready: bool) -> TitleView:
    """Everything the title step shows beside the title, for the address ``url``."""
    return TitleView(
        url, short_address(url), qr_png(url, scale=10), preflight(model_cached, worker_ready)
    )


# --- a kernel slides --------------------------------------------------------------------------

#: The slide step: the Sobel x kernel (3×3: small numbers a room can read) on the cartoon face.
SLIDE_KERNEL = "Sobel x"
SLIDE_CELLS = convolution.PLAY_CELLS**2  # positions of the slide: a 6 × 6 block of cells
SLIDE_CELL = (21, 16)  # the block of output cells covers the face's left eye's edges


@dataclass(frozen=True)
class SlideView:
    """Position ``i`` of the window's slide over a block of output cells.

    Attributes
    ----------
    frame : convolution.Frame
        The window on the input and the map filling in (from :func:`convolution.animation_frame`).
    step : convolution.StepView
        The current cell's window, weights, products and sum (:func:`convolution.step_through`).
    cells : int
        How many positions the block has.
    """

    frame: convolution.Frame
    step: convolution.StepView
    cells: int


def slide_view(i: int) -> SlideView:
    """The window at position ``i`` (from 0, row by row) of a 6 × 6 block of the face's map.

    >>> v = slide_view(0)
    >>> v.cells, v.step.sums.splitlines()[0].startswith("**Sum of the products:**")
    (36, True)
    """
    face = sample_image("Cartoon face")
    kernel = KERNELS[SLIDE_KERNEL].values
    settings = convolution.Settings(1, "valid", 1)
    view = convolution.feature_map(face, kernel, settings, kernel_name=SLIDE_KERNEL)
    block = convolution.play_block(view.fmap.shape, *SLIDE_CELL)
    r0, c0, rows, cols = block
    i = min(max(int(i), 0), rows * cols - 1)
    frame = convolution.animation_frame(view, kernel, settings, block, i, playing=False)
    r, c = divmod(i, cols)
    step = convolution.step_through(view, kernel, settings, r0 + r, c0 + c)
    return SlideView(frame, step, rows * cols)


# --- depth adds tolerance --------------------------------------------------------------------

DEPTH_PICTURE, DEPTH_STACK = "Camera man", "Edges, then blur"


def depth_view() -> pooling.DepthView:
    """The Pooling page's depth curve on :data:`DEPTH_PICTURE` with :data:`DEPTH_STACK`."""
    return pooling.depth_view(sample_image(DEPTH_PICTURE), DEPTH_STACK)


# --- kernels as image filters -----------------------------------------------------------------

FILTER_PICTURE = "Camera man"
#: The filters the step offers, in the order a speaker shows them.
FILTER_KERNELS = ("Box blur", "Sharpen", "Sobel x", "Sobel y", "Laplacian", "Emboss")


@dataclass(frozen=True)
class FilterView:
    """A sample picture and what one kernel makes of it ('same' padding, so one size)."""

    picture: bytes = field(repr=False)
    map: convolution.MapView
    description: str
    bar: bytes = field(repr=False)  # upright, for the room beside the map a projector has


def filter_view(kernel: str) -> FilterView:
    """:data:`FILTER_PICTURE` filtered by the named kernel (a key of ``KERNELS``).

    >>> filter_view("Sobel x").map.fmap.shape
    (512, 512)
    """
    if kernel not in KERNELS:
        raise ValueError(f"`kernel` must be a named kernel. Received: kernel={kernel!r}.")
    picture = sample_image(FILTER_PICTURE)
    settings = convolution.Settings(1, "same", 1)
    view = convolution.feature_map(
        picture, KERNELS[kernel].values, settings, clip=True, kernel_name=kernel
    )
    bar = png_bytes(colorbar_image(view.scale, height=320, label="map value"))
    return FilterView(png_bytes(to_uint8(picture)), view, KERNELS[kernel].description, bar)


# --- pooling and the one-pixel shift ----------------------------------------------------------

GRID_HEIGHT = 300  # pixels per number grid: four in a row fit a projector's screen


def pooling_view(choice: str) -> tuple[pooling.ArticleView, tuple[pooling.NumberGrid, ...]]:
    """The article's 8×8 example moved as ``choice`` says, and the four grids one screen holds.

    The grids are the feature map and the pooled map, original then shifted (the image itself,
    a lone 1 under each 8, is left out), titled for a row of four.

    >>> view, grids = pooling_view("1 pixel right")
    >>> view.comparison.identical, [g.title for g in grids]
    (True, ['Feature map', 'Feature map, shifted', 'Pooled 2×2', 'Pooled 2×2, shifted'])
    """
    view = pooling.article_view(choice)
    (_, (_, feature, pooled)), (_, (_, moved_feature, moved_pooled)) = view.rows
    titled = (
        (feature, "Feature map"),
        (moved_feature, "Feature map, shifted"),
        (pooled, "Pooled 2×2"),
        (moved_pooled, "Pooled 2×2, shifted"),
    )
    grids = tuple(
        dataclasses.replace(grid, title=title, height=GRID_HEIGHT) for grid, title in titled
    )
    return view, grids


# --- fully connected layers, inside one digit --------------------------------------------------


@dataclass(frozen=True)
class DenseView:
    """One test digit through the model: its input, the hidden layer, the output layer."""

    forward: inside.ForwardView
    hidden: inside.LayerSection
    output: inside.LayerSection


def dense_view(trained: TrainedModel, data: Dataset, index: int) -> DenseView:
    """Test digit ``index`` of ``data`` through ``trained``: the two fully connected layers."""
    forward = inside.forward_pass(trained, inside.numbered_digit(data, index))
    hidden, output = _dense_sections(forward)
    return DenseView(forward, hidden, output)


def _dense_sections(forward: inside.ForwardView) -> tuple[inside.LayerSection, inside.LayerSection]:
    """The hidden dense layer's and the output layer's sections (the last two of the model)."""
    dense = [s for s in forward.sections if "· Dense" in s.title]
    return dense[-2], dense[-1]


#: The see step's patch: 6 pixels a side (about a stroke's width and length), every 2 pixels,
#: black (as if that part of the digit were not written).
SEE_PATCH, SEE_STRIDE, SEE_FILL = 6, 2, 0.0


@dataclass(frozen=True)
class SeeView:
    """A test digit, its occlusion map and saliency for its true class, and the captions."""

    digit: bytes = field(repr=False)
    caption: str
    occlusion: filters.OcclusionView


def see_view(trained: TrainedModel, data: Dataset, index: int) -> SeeView:
    """Test digit ``index`` of ``data`` covered patch by patch: where ``trained`` looks.

    The occlusion and saliency are the filters page's own (:func:`filters.occlusion_view`) for
    the digit's true class, with the patch :data:`SEE_PATCH` × :data:`SEE_PATCH`.
    """
    x = filters.digit_input(data, index)
    label = int(data.y_test[index])
    view = filters.occlusion_view(trained, x, label, SEE_PATCH, SEE_STRIDE, SEE_FILL)
    picture = png_bytes(zoom(colorize(x, filters.GRAY), filters.ZOOM))
    return SeeView(picture, f"Test digit #{index}: a {label}", view)


@dataclass(frozen=True)
class ReadingView:
    """A drawn digit read by the model: the headline and the probabilities chart."""

    headline: str
    caution: str | None
    probabilities: tuple[str, object] = field(repr=False)  # (widget key, Plotly figure)


def reading_view(trained: TrainedModel, digit: inside.Digit) -> ReadingView:
    """What the model reads in ``digit``: the prediction and its ten probabilities."""
    forward = inside.forward_pass(trained, digit)
    _, output = _dense_sections(forward)
    return ReadingView(forward.input.headline, forward.input.caution, output.charts[-1])


# --- learning is small steps downhill ----------------------------------------------------------

#: The learning step's rates: one that learns, one too large (the loss jumps up).
LEARN_RATES = (0.1, 3.0)
LEARN_KERNEL = learn.DEFAULT_KERNEL - 1  # the first-layer kernel the step shows (0-based)


@dataclass(frozen=True)
class LearnView:
    """The learning step's screen: the next step's kernel grids and losses, the loss so far."""

    preview: learn.Preview = field(repr=False)
    step: learn.StepView = field(repr=False)
    history: learn.HistoryView = field(repr=False)


def learn_view(learner: learn.Learner, data: Dataset, rate: float) -> LearnView:
    """The next SGD step of ``learner`` on a batch of 8 of ``data``'s digits, at ``rate``.

    >>> from cnnviz.learning.data import load_sample
    >>> v = learn_view(learn.start("fresh"), load_sample(), 3.0)
    >>> v.step.too_large is not None, v.history.figure is None
    (True, True)
    """
    p = learn.preview(learner, data, learn.DEFAULT_BATCH, rate)
    return LearnView(p, learn.step_view(learner, p, LEARN_KERNEL), learn.history_view(learner))


#: The model trained live on the training step: small enough for well under a minute.
TALK_SPEC = ModelSpec(filters=(8,), dense_units=32, epochs=3, batch_size=64)


def train_intro(spec: ModelSpec, digits: int) -> str:
    """The training step's sentence on the model it trains, in words a room can read.

    >>> train_intro(TALK_SPEC, 4000)
    'A small model: 8 kernels of 3×3, max pooling, 32 hidden neurons; 3 passes over 4,000 digits.'
    """
    kernels = " then ".join(str(n) for n in spec.filters)
    pooling_words = "no pooling" if spec.pooling == "none" else f"{spec.pooling} pooling"
    return (
        f"A small model: {kernels} kernels of {spec.kernel_size}×{spec.kernel_size}, "
        f"{pooling_words}, {spec.dense_units} hidden neurons; {spec.epochs} passes over "
        f"{digits:,} digits."
    )


# --- your own classes ---------------------------------------------------------------------------

OWN_SHOWN = 6  # sample shapes of each class on the screen
OWN_SEED = 2026  # a new shape the model never saw (the page's sample set uses seed 0)


@dataclass(frozen=True)
class OwnView:
    """The sample shapes, and a model's probabilities for a new shape if one is ready.

    Attributes
    ----------
    shapes : bytes
        PNG: :data:`OWN_SHOWN` pictures of each sample class, a row per class.
    caption : str
    picture : bytes or None
        The new shape as the model takes it (PNG), when a model for the shapes is ready.
    reading : str
        What the model says about it, or how to get a model before the talk.
    probabilities : plotly Figure or None
    """

    shapes: bytes = field(repr=False)
    caption: str
    picture: bytes | None = field(repr=False)
    reading: str
    probabilities: object = field(default=None, repr=False)


def own_view(trained: TrainedModel | None, classes: tuple[str, ...] = ()) -> OwnView:
    """The shapes; and, if ``trained`` was trained on them (``classes``), a new one read.

    >>> view = own_view(None)
    >>> view.picture is None, view.reading.startswith("No model for the shapes yet")
    (True, True)
    """
    sample = own.sample_set()
    rows = [[p.pixels for p in sample.pictures if p.label == k][:OWN_SHOWN] for k in range(3)]
    grid = png_bytes(tile_grid(np.stack(sum(rows, [])), cols=OWN_SHOWN, gap=4, fill=255))
    caption = f"The sample set: {', '.join(sample.classes)}, {own.SAMPLE_PER_CLASS} of each"
    if trained is None or tuple(classes) != sample.classes:
        return OwnView(grid, caption, None, OWN_NO_MODEL)
    new = own.new_shape(trained.spec, OWN_SEED)
    seen = own.reading(trained, classes, new)
    text = f"A shape it never saw. {seen.headline} {seen.answer}"
    return OwnView(grid, caption, seen.picture, text, seen.probabilities)


OWN_NO_MODEL = (
    "No model for the shapes yet: train one on the sample shapes on the 'Your own classes' "
    "page before the talk, and this screen shows it reading a shape it never saw."
)
