"""The Inside-the-model lesson: one digit through every layer, two patterns, shifts, saliency.

The page ``pages/inside.py`` draws what these functions return; every number, sentence and
picture it shows is made here (or further down, in :mod:`cnnviz.learning.probe` and
:mod:`cnnviz.pictures`). Nothing here imports Streamlit, and no page touches a Keras object:
the model's maths sits behind :mod:`cnnviz.learning.probe`.

* :class:`Digit` is the input a visitor chose; :func:`numbered_digit`, :func:`drawn_digit`,
  :func:`photo_digit` and :func:`shifted_digit` make one.
* :func:`forward_pass` follows it through every layer: :class:`ForwardView`, one
  :class:`LayerSection` per layer.
* :func:`comparison` sets its activation pattern beside a second input's.
* :func:`shift_intro`, :func:`average_shift_curve`, :func:`shift_view` move it a few pixels;
  the *twin* (the same spec with pooling switched) measures what pooling buys, with its texts
  in :func:`twin_offer`, :func:`twin_caption` and friends.
* :func:`saliency_view` says which pixels the score depends on.

Letters used in shapes: ``H, W`` a map's height and width, ``F`` maps, ``n`` neurons,
``K = 10`` classes, ``N`` digits.
"""

from __future__ import annotations

import dataclasses
import html
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from cnnviz.learning import store
from cnnviz.learning.data import Dataset, as_model_input, load_sample
from cnnviz.learning.digits import DigitPreparation, check_digit, explain_digit
from cnnviz.learning.model import ModelSpec, estimate_cost
from cnnviz.learning.probe import (
    DEFAULT_SHIFTS,
    LayerOutput,
    Model,
    ShiftCurve,
    activation_pattern,
    compare_patterns,
    layer_activations,
    saliency,
    shift_curve,
)
from cnnviz.learning.training import (
    TrainedModel,
    TrainingRun,
    default_model,
    first_layer_kernels,
    format_duration,
)
from cnnviz.maths.pixels import shift
from cnnviz.pictures import (
    ColorScale,
    colorbar_image,
    heatmap_figure,
    load_image,
    map_grid,
    neuron_bars,
    pattern_figure,
    png_bytes,
    probability_bars,
    scale_for,
    shift_figure,
    thumbnail,
    vector_strip,
)

__all__ = [
    "AVERAGE_OVER",
    "COMPARISON_INTRO",
    "INTRO",
    "PREDICTION",
    "AverageCurves",
    "ComparisonView",
    "Digit",
    "ForwardView",
    "InputView",
    "LayerSection",
    "Picture",
    "SaliencyView",
    "ShiftView",
    "TwinOffer",
    "average_shift_curve",
    "comparison",
    "drawn_digit",
    "forward_pass",
    "model_in_use",
    "no_twin_data_text",
    "numbered_digit",
    "photo_digit",
    "pooling_name",
    "read_photo",
    "saliency_label",
    "saliency_target",
    "saliency_view",
    "shift_intro",
    "shift_view",
    "shifted_digit",
    "digit_number_label",
    "twin_caption",
    "twin_data",
    "twin_key",
    "twin_lost_text",
    "twin_offer",
    "twin_spec",
    "twin_stopped_text",
    "upload_label",
]

MAX_MAPS = 64  # more feature maps than this are summarised, not drawn
MAP_TILE = 80  # pixels per conv map in the grids
#: Type size of the map grids' tile numbers: beside their colour bars the grids are shown at
#: about 0.72 of their width on a 1280-pixel projector, so 20 reads as 14 there (issue 14).
TILE_NUMBER_PX = 20
AVERAGE_OVER = 200  # test digits in the averaged shift curves
NAME_LIMIT = 60  # characters of an uploaded file's name kept in titles and captions
GRAY = ColorScale("gray", 0.0, 1.0)
PREDICTION = "the prediction"  # the saliency choice that follows the model's answer
INTRO = (
    "Pick or draw a digit and watch the article's CNN read it: the kernels find local "
    "features, pooling makes them tolerant to small shifts, and the dense layers turn the "
    "pattern of features into a decision."
)
COMPARISON_INTRO = (
    "Different digits light up different neurons in the dense layer: that pattern is what "
    "the output layer reads. Compare this digit's pattern with another digit's, or with "
    "the same digit moved a few pixels."
)


# --- the model and the input --------------------------------------------------------------------


def model_in_use(trained: TrainedModel, own: bool) -> str:
    """The page's first line: which model reads the digits (``own``: the visitor's).

    >>> trained = TrainedModel(ModelSpec(epochs=3), "the MNIST sample", [])
    >>> print(model_in_use(trained, own=True))
    Model in use: Your own model from the Train page, trained on the MNIST sample.
    >>> "trained for 3 epochs on the MNIST sample" in model_in_use(trained, own=False)
    True
    """
    if own:
        return f"Model in use: Your own model from the Train page, trained on {trained.data_name}."
    return (
        f"Model in use: The default model: the article's CNN trained for {trained.spec.epochs} "
        f"epochs on {trained.data_name}. Train your own on the Train page to use it here instead."
    )


def digit_number_label(count: int) -> str:
    """The label of the test digit's number box, for a sample of ``count`` test digits.

    >>> digit_number_label(500)
    'Test digit number (0 to 499)'
    """
    return f"Test digit number (0 to {count - 1})"


@dataclass(frozen=True)
class Digit:
    """The input a visitor chose, as the model sees it.

    Attributes
    ----------
    x : ndarray of float32, shape (28, 28)
        Light ink on black, values in [0, 1].
    label : int or None
        The true digit, when known.
    name : str
        E.g. ``"test digit #12"``, ``"your drawing"``: raw text, escape it where it is shown.
    steps : DigitPreparation or None
        How a drawing or photo was prepared.
    original : ndarray or None
        The drawing or photo before preparation.
    """

    x: np.ndarray = field(repr=False)
    label: int | None
    name: str
    steps: DigitPreparation | None = field(default=None, repr=False)
    original: np.ndarray | None = field(default=None, repr=False)


def numbered_digit(data: Dataset, index: int) -> Digit:
    """Test digit number ``index`` of ``data``, with its true label.

    >>> from cnnviz.learning.data import load_sample
    >>> numbered_digit(load_sample(), 7).name
    'test digit #7'
    """
    if not 0 <= index < len(data.x_test):
        raise ValueError(
            f"`index` must be from 0 to {len(data.x_test) - 1}. Received: index={index}."
        )
    x = as_model_input(data.x_test[index])[0, :, :, 0]  # (28, 28) in [0, 1]
    return Digit(x, int(data.y_test[index]), f"test digit #{index}")


def drawn_digit(image: np.ndarray, label: int | None) -> Digit:
    """A drawing (the canvas' RGBA array), prepared like MNIST; ValueError if it is empty."""
    steps = explain_digit(image)
    return Digit(steps.digit, label, "your drawing", steps, image)


def read_photo(content: bytes) -> tuple[np.ndarray, DigitPreparation]:
    """An uploaded file's picture and its preparation; raises ImageError or ValueError."""
    image = load_image(content).array
    return image, explain_digit(image)


def photo_digit(name: str, image: np.ndarray, steps: DigitPreparation, label: int | None) -> Digit:
    """A prepared photo (see :func:`read_photo`), named after its file, shortened to
    ``NAME_LIMIT`` characters.

    >>> page = np.ones((60, 60), np.float32)
    >>> page[10:50, 25:35] = 0.0  # a dark bar on white paper
    >>> photo = photo_digit("x" * 70 + ".png", page, explain_digit(page), None)
    >>> len(photo.name), photo.name[-1], photo.x.shape
    (71, '…', (28, 28))
    """
    short = name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"
    return Digit(steps.digit, label, f"your photo {short}", steps, image)


_FORMAT_NAMES = {"jpg": "JPEG", "jpeg": "JPEG", "webp": "WebP", "tif": "TIFF", "tiff": "TIFF"}


def upload_label(types: Iterable[str]) -> str:
    """The uploader's label, naming the file ``types`` it accepts (extensions, e.g. the pages'
    ``UPLOAD_TYPES``) the way visitors know them.

    >>> upload_label(["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"])
    'A photo or scan of one handwritten digit (PNG, JPEG, WebP, BMP, GIF or TIFF)'
    """
    names = list(dict.fromkeys(_FORMAT_NAMES.get(t.lower(), t.upper()) for t in types))
    if not names:
        raise ValueError(f"`types` must name at least one file type. Received: types={types!r}.")
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"A photo or scan of one handwritten digit ({listed})"


def shifted_digit(digit: Digit, dx: int, dy: int) -> Digit:
    """``digit`` moved ``dx`` pixels right and ``dy`` down (see :func:`cnnviz.maths.pixels.shift`).

    >>> corner = np.zeros((28, 28), np.float32)
    >>> corner[0, 0] = 1.0
    >>> moved = shifted_digit(Digit(corner, 4, "test digit #5"), 2, 1)
    >>> moved.name, moved.x.shape, float(moved.x[1, 2]), float(moved.x.sum())
    ('test digit #5 moved (2, 1)', (28, 28), 1.0, 1.0)
    """
    return Digit(shift(digit.x, dx, dy), digit.label, f"{digit.name} moved ({dx}, {dy})")


# --- the forward pass ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InputView:
    """The 28×28 the model sees, how it was made, and the prediction as plain text."""

    figure: go.Figure = field(repr=False)  # the input heatmap
    headline: str  # "### Prediction: 7 (98.2%)"
    caution: str | None  # when the input looks unlike the training digits
    verdict: str | None  # "True digit: 7 · the model is **right**."
    name: str  # the input's name: raw text, escape it where it is shown
    about_pixels: str  # the caption after "Input: <name>."
    original: np.ndarray | None = field(repr=False)  # a thumbnail of what the visitor gave
    preparation: str | None = field(repr=False)  # the steps, a numbered Markdown list

    def caption(self, escape: Callable[[str], str]) -> str:
        """The caption under the input, its name made literal Markdown by ``escape`` (the page
        passes ``pages._text.plain``: the visitor chose a photo's name).

        >>> view = InputView(None, "", None, None, "test digit #3", "Every pixel…", None, None)
        >>> view.caption(str.upper)
        'Input: TEST DIGIT #3. Every pixel…'
        """
        return f"Input: {escape(self.name)}. {self.about_pixels}"


@dataclass(frozen=True)
class Picture:
    """A picture in a layer's section: PNG bytes, caption, the colour bars drawn beside it."""

    png: bytes = field(repr=False)
    caption: str
    bars: tuple[np.ndarray, ...] = field(default=(), repr=False)  # (h, w, 3) colour bars
    note: str | None = None  # a caption under it


@dataclass(frozen=True)
class LayerSection:
    """One layer of the forward pass, as the page draws it, top to bottom.

    Attributes
    ----------
    title, text : str
        Subheader and the Markdown under it.
    pictures : tuple of Picture
        Big pictures (map grids, the flattened vector).
    charts : tuple of (str, Figure)
        Plotly charts with their widget keys; several are drawn side by side.
    notes : tuple of str
        Markdown after the pictures.
    """

    title: str
    text: str
    pictures: tuple[Picture, ...] = field(default=(), repr=False)
    charts: tuple[tuple[str, go.Figure], ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForwardView:
    """One digit through the model: the input section and one section per layer."""

    input: InputView
    sections: tuple[LayerSection, ...]
    predicted: int
    probabilities: np.ndarray = field(repr=False)  # (K,)
    pattern: LayerOutput = field(repr=False)  # the activation pattern, for the comparison


def forward_pass(trained: TrainedModel, digit: Digit) -> ForwardView:
    """Run ``digit`` through ``trained`` and describe every layer the way that suits its role.

    Parameters
    ----------
    trained : TrainedModel
        The model in use (the default one or the visitor's).
    digit : Digit
        Its ``x`` has shape (28, 28), values in [0, 1].

    Returns
    -------
    ForwardView
        The input section, one :class:`LayerSection` per conv, pooling, flatten and dense
        layer (a conv layer's maps on one signed colour scale that the pooling and flatten
        sections reuse), the prediction, the ``K`` probabilities and the activation pattern.

    Examples
    --------
    >>> from cnnviz.learning.nn import weight_shapes
    >>> spec = ModelSpec(filters=(4,), dense_units=8)
    >>> trained = TrainedModel(spec, "none", [np.full(s, 0.01) for s in weight_shapes(spec)])
    >>> view = forward_pass(trained, Digit(np.zeros((28, 28), np.float32), None, "zeros"))
    >>> [s.title for s in view.sections][:2]
    ['conv_1 · Conv2D: 4 kernels, 4 feature maps', 'pool_1 · MaxPool2D: 26×26 → 13×13']
    """
    outputs = layer_activations(trained, digit.x)
    probabilities = outputs[-1].output
    predicted = int(probabilities.argmax())
    sections = []
    incoming, scale = digit.x, scale_for(digit.x)
    for layer in outputs:
        if layer.role == "conv":
            kernels = first_layer_kernels(trained.weights) if layer.name == "conv_1" else None
            section, scale = _conv(layer, incoming, kernels, trained.spec.kernel_size)
        elif layer.role in ("max_pool", "average_pool"):
            section = _pooling(layer, incoming, scale)
        elif layer.role == "flatten":
            section = _flatten(layer, incoming, scale)
        elif layer.role == "dense" and layer.activation == "softmax":
            section = _output(layer, probabilities, predicted, digit.label)
        elif layer.role == "dense":
            section = _dense(layer, incoming)
        else:
            section = None
        if section is not None:
            sections.append(section)
        incoming = layer.output
    return ForwardView(
        _input_view(digit, probabilities, predicted),
        tuple(sections),
        predicted,
        probabilities,
        activation_pattern(outputs),
    )


def _input_view(digit: Digit, probabilities: np.ndarray, predicted: int) -> InputView:
    verdict = None
    if digit.label is not None:
        right = "right" if digit.label == predicted else "wrong"
        verdict = f"True digit: {digit.label} · the model is **{right}**."
    steps = digit.steps
    return InputView(
        figure=heatmap_figure(digit.x, GRAY, title="What the model sees: 28×28", height=380),
        headline=f"### Prediction: {predicted} ({probabilities[predicted]:.1%})",
        caution=check_digit(digit.x).caution(),
        verdict=verdict,
        name=digit.name,
        about_pixels="Every pixel is a number from 0 (black) to 1 (white); hover over the "
        "picture to read them.",
        original=None if steps is None else thumbnail(digit.original, 120),
        preparation=None
        if steps is None
        else "Prepared the way MNIST's digits were:\n"
        + "\n".join(f"1. {note}" for note in steps.notes()),
    )


def _bar(scale: ColorScale, label: str) -> np.ndarray:
    return colorbar_image(scale, height=200, label=label)


def _conv(
    layer: LayerOutput, incoming: np.ndarray, kernels: np.ndarray | None, size: int
) -> tuple[LayerSection, ColorScale]:
    """A conv layer: its maps before ReLU with their kernels, then after ReLU; and its scale."""
    h, w, count = layer.output.shape
    shown = min(count, MAX_MAPS)
    what = "picture" if incoming.ndim == 2 or incoming.shape[-1] == 1 else "maps"
    before, after = layer.before_activation[..., :shown], layer.output[..., :shown]
    scale = scale_for(before, after, signed=True)
    bars = (_bar(scale, "map value"),)
    if kernels is not None:
        kernels = kernels[:shown]
        kernel_scale = scale_for(kernels, signed=True)
        bars += (_bar(kernel_scale, "kernel weight"),)
        caption = (
            "Weighted sums before ReLU, each map with its kernel on its left (the kernel on its "
            "own colour scale: red weights reward bright pixels, blue ones penalise them)."
        )
    else:
        kernel_scale = None
        caption = (
            "Weighted sums before ReLU. Each kernel here spans every incoming map "
            f"({incoming.shape[-1]} slices), too many to draw beside it."
        )

    def grid(maps: np.ndarray) -> bytes:
        return png_bytes(
            map_grid(
                maps,
                scale,
                kernels=kernels,
                kernel_scale=kernel_scale,
                tile=MAP_TILE,
                number_px=TILE_NUMBER_PX,
            )
        )

    section = LayerSection(
        title=f"{layer.name} · Conv2D: {count} kernels, {count} feature maps",
        text=f"Each kernel ({size}×{size} weights per incoming map) slides over the "
        f"{incoming.shape[0]}×{incoming.shape[1]} {what}; at each position it multiplies the "
        "values under it by its weights and adds them up (a cross-correlation, as Keras "
        f"computes it), plus a bias. That gives one {h}×{w} feature map per kernel: large where "
        "the kernel's local pattern is present.",
        pictures=(
            Picture(
                grid(before),
                caption,
                bars,
                f"Showing the first {shown} of {count} maps." if shown < count else None,
            ),
            Picture(grid(after), "The same maps after ReLU, on the same colour scale.", bars),
        ),
        notes=(
            f"After ReLU: {layer.zeroed:.0%} of the values were negative and became 0 (blue "
            "turned white). What is left marks where each kernel's pattern was found.",
        ),
    )
    return section, scale


def _pooling(layer: LayerOutput, incoming: np.ndarray, scale: ColorScale) -> LayerSection:
    h_in, w_in = incoming.shape[:2]
    h, w, count = layer.output.shape
    rule = "largest" if layer.role == "max_pool" else "average"
    tile = max(8, round(MAP_TILE * max(h, w) / max(h_in, w_in)))  # real size relative to above
    maps = layer.output[..., : min(count, MAX_MAPS)]
    grid = map_grid(maps, scale, tile=tile, number_px=TILE_NUMBER_PX)
    return LayerSection(
        title=f"{layer.name} · {layer.kind}: {h_in}×{w_in} → {h}×{w}",
        text=f"Pooling keeps the {rule} value of each 2×2 window and moves 2 pixels at a time, "
        "so every map shrinks to half its width and height. A feature that moves by a pixel "
        "often stays in the same window: the pooled value does not change. That is the small "
        "translation invariance the article describes.",
        pictures=(
            Picture(
                png_bytes(grid),
                "The pooled maps, drawn at their real size relative to the maps above.",
                (_bar(scale, "map value"),),
            ),
        ),
    )


def _flatten(layer: LayerOutput, incoming: np.ndarray, scale: ColorScale) -> LayerSection:
    h, w, count = incoming.shape
    size = layer.output.size
    return LayerSection(
        title=f"{layer.name} · Flatten: {h}×{w}×{count} → {size:,} numbers",
        text=f"The dense layer takes a plain list of numbers, so the {count} maps are read row "
        f"by row into one vector of {size:,} values. In the strip below, each column is one of "
        f"the {h * w} positions and holds that position's {count} values, one per map, in the "
        "order Flatten reads them.",
        pictures=(
            Picture(png_bytes(vector_strip(layer.output, count, scale)), "The flattened vector."),
        ),
    )


def _dense(layer: LayerOutput, incoming: np.ndarray) -> LayerSection:
    n = layer.output.size
    return LayerSection(
        title=f"{layer.name} · Dense + ReLU: {n} neurons",
        text=f"Every neuron weighs all {incoming.size:,} incoming values, adds a bias and "
        "applies ReLU. The neurons that fire together form this digit's activation "
        "pattern: the compact summary of which local features were found where, from which "
        "the output layer decides.",
        charts=(
            (f"inside_{layer.name}", neuron_bars(layer.output, title="The activation pattern")),
        ),
        notes=(f"{layer.active} of {n} neurons fire (output above 0).",),
    )


def _output(
    layer: LayerOutput, probabilities: np.ndarray, predicted: int, label: int | None
) -> LayerSection:
    n = layer.output.size
    scores = neuron_bars(
        layer.before_activation,
        title="Scores before softmax",
        x_title="digit",
        y_title="score",
        highlight=predicted,
    )
    return LayerSection(
        title=f"{layer.name} · Dense + softmax: {n} scores, {n} probabilities",
        text="Each output neuron weighs the whole activation pattern and adds a bias: a score "
        "for its digit. Softmax turns the scores into probabilities that add up to 100%; "
        "the largest score wins.",
        charts=(
            (f"inside_{layer.name}_scores", scores),
            (
                f"inside_{layer.name}_probabilities",
                probability_bars(probabilities, predicted=predicted, true=label),
            ),
        ),
        notes=(f"Prediction: {predicted} ({probabilities[predicted]:.1%})",),
    )


# --- two inputs, two patterns -------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonView:
    """Two inputs side by side, how much their activation patterns agree, and both patterns."""

    figure_a: go.Figure = field(repr=False)
    figure_b: go.Figure = field(repr=False)
    cosine: str
    neurons: str
    caption: str
    patterns: go.Figure = field(repr=False)


def comparison(model: Model, digit: Digit, view: ForwardView, other: Digit) -> ComparisonView:
    """Compare ``digit``'s activation pattern (from ``view``) with ``other``'s.

    Parameters
    ----------
    model : TrainedModel
        The model ``view`` came from, passed on to
        :func:`~cnnviz.learning.probe.layer_activations`.
    digit, other : Digit
        Inputs A and B, each ``x`` of shape (28, 28).
    view : ForwardView
        :func:`forward_pass` of ``digit``: its pattern, shape (n,), and prediction.

    Returns
    -------
    ComparisonView
        The two inputs titled with their names (escaped for Plotly) and predictions, the
        cosine similarity of the patterns, the neurons firing for both or one, both patterns.
    """
    other_outputs = layer_activations(model, other.x)
    other_pattern = activation_pattern(other_outputs)
    other_predicted = int(other_outputs[-1].output.argmax())
    result = compare_patterns(view.pattern.output, other_pattern.output)
    names = (
        _chart_text(f"A: {digit.name} → {view.predicted}"),
        _chart_text(f"B: {other.name} → {other_predicted}"),
    )
    return ComparisonView(
        figure_a=heatmap_figure(digit.x, GRAY, title=names[0], height=250),
        figure_b=heatmap_figure(other.x, GRAY, title=names[1], height=250),
        cosine=f"Cosine similarity of the two patterns: {result.cosine:.2f}",
        neurons=f"Neurons firing for both: {result.both} · only for A: {result.only_a} · "
        f"only for B: {result.only_b} (of {view.pattern.output.size})",
        caption="Cosine similarity is 1 when the two patterns point the same way and 0 when no "
        "neuron fires for both.",
        patterns=pattern_figure(view.pattern.output, other_pattern.output, names=names),
    )


def _chart_text(text: str) -> str:
    """Text for a Plotly title: Plotly reads tags (``<a href>``, ``<b>``) and entities in
    titles, so a visitor's file name in it is escaped to show as typed.

    >>> _chart_text("A: <b>x</b>.png")
    'A: &lt;b&gt;x&lt;/b&gt;.png'
    """
    return html.escape(text, quote=False)


# --- shifts and what pooling buys ---------------------------------------------------------------


def shift_intro(digit: Digit, predicted: int) -> str:
    """What the shift experiment does, for this digit's true (or else predicted) class."""
    label = digit.label if digit.label is not None else predicted
    said = "its true digit" if digit.label is not None else "the digit it predicts unshifted"
    return (
        f"The digit is moved up to 4 pixels left, right, up and down, and the model asked "
        f"again each time. The curves show the probability it gives {said}, {label}. One 2×2 "
        "pooling layer forgives a feature that moves within its window, about one pixel. "
        "Whether that makes the whole network more tolerant is what the comparison with the "
        "same model without pooling measures. The article's answer: one layer buys a little; "
        "several stacked layers buy more."
    )


def average_shift_curve(model: Model, data: Dataset, count: int = AVERAGE_OVER) -> ShiftCurve:
    """The shift curve averaged over the first ``count`` test digits of ``data``.

    Its arrays (``shifts``, ``along_x``, ``along_y``: shape ``(D,)``) are read-only, so the
    curve can be shared between sessions (:class:`AverageCurves`).
    """
    x = as_model_input(data.x_test[:count])[..., 0]  # (N, 28, 28)
    curve = shift_curve(model, x, data.y_test[:count])
    for array in (curve.shifts, curve.along_x, curve.along_y):
        array.setflags(write=False)
    return curve


class AverageCurves:
    """Each model's :func:`average_shift_curve`, computed once for every session.

    Call it with a model and the digits to average over; the first call for a model computes
    the curve under a lock (two sessions asking at once get the same object, computed once),
    later calls return it. The curve's arrays are read-only, so no session can change what the
    others see; an entry goes when its model does (weak keys).

    With ``on_disk=True`` (the shared default model) the curve is also kept in the cache folder
    (:func:`cnnviz.learning.store.remembered`), keyed by the weights, the digits and the shifts:
    a server that starts with the model on disk finds its curve there too, instead of running
    thousands of shifted digits through the model on its first visitor's time.
    """

    def __init__(self, count: int = AVERAGE_OVER) -> None:
        self.count = count  # test digits averaged over
        self._curves: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AverageCurves({len(self._curves)} models, {self.count} digits)"

    def __call__(self, model: Model, data: Dataset, *, on_disk: bool = False) -> ShiftCurve:
        with self._lock:
            curve = self._curves.get(model)
            if curve is None:
                curve = self._curves[model] = (
                    self._remembered(model, data) if on_disk else self._computed(model, data)
                )
            return curve

    def _computed(self, model: Model, data: Dataset) -> ShiftCurve:
        return average_shift_curve(model, data, self.count)

    def _remembered(self, model: Model, data: Dataset) -> ShiftCurve:
        key = store.digest(
            repr(model.spec), data.fingerprint(), str(self.count), repr(DEFAULT_SHIFTS),
            *model.weights,
        )  # fmt: skip

        def compute() -> dict[str, np.ndarray]:
            return dataclasses.asdict(self._computed(model, data))

        arrays = store.remembered("shift-curve", key, compute)
        for array in arrays.values():
            array.setflags(write=False)
        return ShiftCurve(arrays["shifts"], arrays["along_x"], arrays["along_y"])


def warm(data: Dataset | None = None) -> str:
    """Prepare what the page's first visitor would otherwise wait for, on disk: the default
    model (trained once) and its averaged shift curve. ``make warm`` runs it before a talk.

    Returns the line to print: the model's test accuracy and where the files are.
    """
    data = data or load_sample()
    trained = default_model(data)
    AverageCurves()(trained, data, on_disk=True)
    return (
        f"Default model ready (test accuracy {trained.evaluation.accuracy:.1%}); it and its "
        f"shift curve are kept in {store.cache_dir()}."
    )


@dataclass(frozen=True)
class ShiftView:
    """The shift curves of one digit and of many, for this model and (if trained) its twin."""

    figure: go.Figure = field(repr=False)
    mean: str
    average_title: str
    average_figure: go.Figure = field(repr=False)
    average_mean: str
    gain: str | None  # what pooling buys, when the twin is there


def shift_view(
    trained: TrainedModel,
    digit: Digit,
    predicted: int,
    average: ShiftCurve,
    twin: TrainedModel | None = None,
    twin_average: ShiftCurve | None = None,
) -> ShiftView:
    """This digit's shift curves and the averaged ones (``average``, ``twin_average``: from
    :func:`average_shift_curve`), for ``trained`` and its ``twin`` when there is one.

    ``digit.x`` has shape (28, 28); each curve holds the probability of the digit's label (or
    ``predicted`` when it has none) at every shift, shape (D,) along each axis. The gain is the
    pooled model's averaged mean minus the other's, in percentage points.
    """
    label = digit.label if digit.label is not None else predicted
    ours = f"this model ({pooling_name(trained.spec)})"
    curves = {ours: shift_curve(trained, digit.x, label)}
    averages = {ours: average}
    gain = None
    if twin is not None:
        theirs = f"same model, {pooling_name(twin.spec)}"
        curves[theirs] = shift_curve(twin, digit.x, label)
        averages[theirs] = twin_average
        pooled, flat = (ours, theirs) if trained.spec.pooling != "none" else (theirs, ours)
        points = 100 * (averages[pooled].mean - averages[flat].mean)
        gain = f"What pooling buys here: {points:+.1f} percentage points on that mean."

    def means(found: dict[str, ShiftCurve]) -> str:
        return " · ".join(f"{name}: {curve.mean:.1%}" for name, curve in found.items())

    return ShiftView(
        figure=shift_figure(curves),
        mean=f"Mean probability over all shifts of this digit: {means(curves)}",
        average_title=f"**Averaged over the first {AVERAGE_OVER} test digits**, each with its "
        "label:",
        average_figure=shift_figure(averages),
        average_mean=f"Mean probability over all shifts of {AVERAGE_OVER} test digits: "
        + means(averages),
        gain=gain,
    )


def twin_data(trained: TrainedModel, candidates: Iterable[Dataset]) -> Dataset | None:
    """The digits ``trained`` learned from: the first of ``candidates`` with its data set's name,
    cut to as many training digits as its run used; None if none has that name.

    ``candidates`` may be a generator, so that a large data set is loaded only when the ones
    before it do not match.

    >>> from cnnviz.learning.data import load_sample
    >>> sample = load_sample()
    >>> trained = TrainedModel(ModelSpec(), sample.name, [])
    >>> len(twin_data(trained, [sample]).x_train) == len(sample.x_train)
    True
    >>> twin_data(TrainedModel(ModelSpec(), "elsewhere", []), [sample]) is None
    True
    """
    for data in candidates:
        if data.name == trained.data_name:
            n_train = trained.run.n_train if trained.run is not None else len(data.x_train)
            return data.subset(min(n_train, len(data.x_train)))
    return None


def twin_key(trained: TrainedModel, data: Dataset) -> str:
    """What identifies a twin: its spec (:func:`twin_spec`) and the digits it learns from."""
    return f"{twin_spec(trained.spec)!r}|{data.name}|{len(data.x_train)}"


def twin_spec(spec: ModelSpec) -> ModelSpec:
    """The same spec with pooling switched: off if it was on, max if it was off."""
    return spec.replace(pooling="none" if spec.pooling != "none" else "max")


def pooling_name(spec: ModelSpec) -> str:
    """E.g. "max pooling", "no pooling".

    >>> pooling_name(ModelSpec()), pooling_name(ModelSpec(pooling="none"))
    ('max pooling', 'no pooling')
    """
    return "no pooling" if spec.pooling == "none" else f"{spec.pooling} pooling"


@dataclass(frozen=True)
class TwinOffer:
    """The invitation to train the twin: the text, the button's label and its help."""

    text: str
    button: str
    help: str


def twin_offer(trained: TrainedModel, data: Dataset) -> TwinOffer:
    """What the page says to offer training ``trained``'s twin on ``data``.

    The help gives the time :func:`~cnnviz.learning.model.estimate_cost` estimates from the
    twin's layer sizes.
    """
    spec = twin_spec(trained.spec)
    name = pooling_name(spec)
    seconds = estimate_cost(spec, len(data.x_train), len(data.x_test)).seconds
    weights = "four times" if spec.pooling == "none" else "a quarter of"
    return TwinOffer(
        text=f"To compare, train the same model with {name}: same layers, seed and "
        f"{spec.epochs} epochs on the same {len(data.x_train):,} digits. It is trained once "
        "and then kept for every visitor.",
        button=f"Train the same model with {name}",
        help=f"With {name} the dense layer has about {weights} the weights. Estimated from the "
        f"layer sizes: training it takes about {format_duration(seconds)}.",
    )


def twin_caption(trained: TrainedModel, twin: TrainedModel) -> str:
    """The line under the shift section's header once the twin exists."""
    accuracy = (
        f"test accuracy {twin.evaluation.accuracy:.1%}, this model's "
        f"{trained.evaluation.accuracy:.1%}"
        if twin.evaluation is not None and trained.evaluation is not None
        else "trained"
    )
    return (
        f"Compared with the same spec with {pooling_name(twin.spec)}, trained the same way on "
        f"{twin.data_name} ({accuracy})."
    )


def no_twin_data_text(trained: TrainedModel) -> str:
    """Why no twin can be offered: the digits ``trained`` learned from are not available."""
    return (
        f"This model was trained on {trained.data_name}, which is not available right now, "
        "so its twin without pooling cannot be trained on the same digits."
    )


def twin_stopped_text(run: TrainingRun) -> str:
    """Why a twin stopped early (at the time limit, or by a click) is not kept."""
    why = f" ({run.reason})" if run.reason else ""
    return (
        f"The comparison model stopped after {run.epochs_text()} of {run.epochs}{why} and is "
        "not kept: only a fully trained twin is compared with this model."
    )


def twin_lost_text(why: str) -> str:
    """Why a twin whose worker did not answer Stop left nothing."""
    return f"The comparison model's training was ended and nothing was kept: {why}."


# --- saliency -----------------------------------------------------------------------------------


def saliency_label(choice: str | int, predicted: int) -> str:
    """How the class picker shows ``choice``: :data:`PREDICTION` names the predicted digit.

    >>> saliency_label(PREDICTION, 7), saliency_label(3, 7)
    ('7 (the prediction)', '3')
    """
    return f"{predicted} (the prediction)" if choice == PREDICTION else str(choice)


def saliency_target(choice: str | int, predicted: int) -> int:
    """The digit whose score is explained: ``predicted`` for :data:`PREDICTION`, else ``choice``.

    >>> saliency_target(PREDICTION, 7), saliency_target(3, 7), saliency_target("3", 7)
    (7, 3, 3)
    """
    return predicted if choice == PREDICTION else int(choice)


@dataclass(frozen=True)
class SaliencyView:
    """The input, the gradient of a class score, and gradient × input, side by side."""

    target: int
    text: str
    panels: tuple[tuple[str, go.Figure], ...] = field(repr=False)  # (title, figure), left to right
    caption: str


def saliency_view(model: Model, digit: Digit, target: int) -> SaliencyView:
    """Which pixels the score for ``target`` (0 to 9) depends on, in which direction.

    Three panels of shape ``(28, 28)``: ``digit.x``, the gradient of the score before softmax,
    and gradient × input. A ``target`` that is not a whole number from 0 to 9 raises ValueError.
    """
    if isinstance(target, bool) or not isinstance(target, int | np.integer) or not 0 <= target <= 9:
        raise ValueError(
            f"`target` must be a whole number from 0 to 9. Received: target={target!r}."
        )
    gradient = saliency(model, digit.x, target, method="gradient")
    contribution = saliency(model, digit.x, target, method="gradient_x_input")
    panels = [
        (digit.x, GRAY, "input", "value"),
        (gradient, scale_for(gradient, signed=True), "gradient", "slope"),
        (contribution, scale_for(contribution, signed=True), "gradient × input", "share"),
    ]
    return SaliencyView(
        target=target,
        text=f"The gradient of the score for {target} (before softmax) with respect to every "
        "pixel is its slope: red where a brighter pixel would raise the score, blue where it "
        "would lower it, also where there is no ink yet. Multiplied by the input it keeps only "
        "the ink: each pixel's share of the score, for (red) or against (blue) the digit.",
        panels=tuple(
            (title, heatmap_figure(array, scale, title=title, colorbar_title=bar, height=320))
            for array, scale, title, bar in panels
        ),
        caption="Saliency method: gradient × input, computed by this app's own backward pass "
        "through the network (the chain rule, layer by layer; checked against TensorFlow's "
        "automatic differentiation in the tests).",
    )
