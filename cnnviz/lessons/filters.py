"""The "What the filters see" lesson: receptive fields, occlusion, top examples, Grad-CAM,
feature pictures and the hierarchy from edges to parts.

The page ``pages/filters.py`` draws what these functions return: frozen view models holding
every number, sentence and picture (PNG bytes) it shows. The maths is
:mod:`cnnviz.learning.explain`'s (the core's own forward and backward pass, no TensorFlow).

* :func:`layer_options` — the layers with maps, as the page's picker names them.
* :func:`field_view` — one cell's receptive field outlined on the input, with its formula.
* :func:`occlusion_view` — the occlusion map beside the saliency, and where the model looks.
* :func:`find_top` / :func:`top_view` — the 9 test digits that excite a filter most.
* :func:`grad_cam_view` — Grad-CAM beside the saliency (two or more conv blocks).
* :func:`feature_view` — a picture optimised to excite a filter or a class.
* :func:`hierarchy_view` — the first conv layer's top examples beside the last one's.

Letters used in shapes: ``N`` digits, ``F`` filters, ``r`` a receptive field's side.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from cnnviz.learning import explain, store
from cnnviz.learning.data import Dataset, as_model_input
from cnnviz.learning.explain import conv_layers
from cnnviz.learning.model import ModelSpec, architecture
from cnnviz.learning.probe import Model, predict, saliency
from cnnviz.pictures import (
    ColorScale,
    colorize,
    outline,
    png_bytes,
    scale_for,
    tile_grid,
    zoom,
)

__all__ = [
    "FeatureView",
    "FieldView",
    "GradCamView",
    "HierarchyView",
    "OcclusionView",
    "TopView",
    "feature_view",
    "cell_for_pixel",
    "conv_layers",
    "feature_offer",
    "field_view",
    "filter_count",
    "make_feature",
    "model_key",
    "target_name",
    "digit_input",
    "find_top",
    "grad_cam_view",
    "hierarchy_view",
    "layer_options",
    "map_side",
    "occlusion_view",
    "searched_digits",
    "top_view",
]

GRAY = ColorScale("gray", 0.0, 1.0)
ZOOM = 10  # screen pixels per input pixel in the big pictures (280×280)
THUMB = 4  # per input pixel in the 3×3 grids of digits
TOP = 9
INTRO = (
    "The Inside page follows one digit through the layers. This page asks *why*: which input "
    "pixels a cell of a feature map can see, which parts of the digit the decision rests on, "
    "and what each filter is looking for, measured on the model itself."
)
FIELD_INTRO = (
    "A cell of a feature map depends on a square of input pixels, its **receptive field**. "
    "Each layer above widens it: a k×k kernel on a map whose cells are already fields adds "
    "k − 1 of those fields' steps in all (one on each side for 3×3), and pooling doubles the "
    "step."
)
OCCLUSION_INTRO = (
    "Cover part of the digit with a patch and see how sure the model still is. Where covering "
    "hurts most, the model was looking; the saliency map asks the same question with the "
    "gradient instead of a patch."
)
TOP_INTRO = (
    "For one filter, the test digits that make it respond most (its largest value anywhere in "
    "its map), with the cell's receptive field outlined, and the patch that field sees."
)
FEATURE_INTRO = (
    "Start from noise and change the pixels, step by step, in the direction that raises a "
    "filter's response (or a class's score): gradient ascent on the input, with a little blur, "
    "jitter and decay so it does not settle on pixel noise."
)


def _gray(x: np.ndarray, factor: int) -> np.ndarray:
    return zoom(colorize(np.asarray(x, np.float32), GRAY), factor)  # (H·f, W·f, 3)


def _layer_label(spec: ModelSpec, layer: int) -> str:
    row = architecture(spec)[layer]
    h, w, f = row.output_shape
    return f"{layer}: {row.name} ({h}×{w}, {f} filters)"


def layer_options(spec: ModelSpec) -> dict[int, str]:
    """The layers with maps (conv and pooling), numbered as Keras' ``model.layers``.

    >>> layer_options(ModelSpec())
    {0: '0: conv_1 (26×26, 32 filters)', 1: '1: pool_1 (13×13, 32 filters)'}
    """
    return {i: _layer_label(spec, i) for i in explain.spatial_layers(spec)}


def map_side(spec: ModelSpec, layer: int) -> int:
    """The side of ``layer``'s (square) map: the largest cell row or column is one less.

    >>> map_side(ModelSpec(), 1)
    13
    """
    return architecture(spec)[layer].output_shape[0]


def filter_count(spec: ModelSpec, layer: int) -> int:
    """How many filters (maps) ``layer`` has.

    >>> filter_count(ModelSpec(filters=(4, 6)), 2)
    6
    """
    return architecture(spec)[layer].output_shape[2]


def model_key(model: Model) -> str:
    """A short digest of the model's spec and weights: what a page's caches are keyed on."""
    return store.digest(repr(model.spec), *[np.asarray(w) for w in model.weights])


def digit_input(data: Dataset, index: int) -> np.ndarray:
    """Test digit ``index`` as the model sees it, (28, 28) float32 in [0, 1]."""
    if not 0 <= index < len(data.x_test):
        raise ValueError(
            f"`index` must be from 0 to {len(data.x_test) - 1}. Received: index={index}."
        )
    return as_model_input(data.x_test[index])[0, :, :, 0]


def searched_digits(data: Dataset) -> np.ndarray:
    """The test digits the top examples are searched in: ``(N, 28, 28, 1)`` float32 in [0, 1]."""
    return as_model_input(data.x_test)


# --- receptive field ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldView:
    """One cell's receptive field outlined on the input.

    Attributes
    ----------
    picture : bytes
        PNG: the input (280×280) with the field outlined.
    headline : str
        E.g. "conv_2 cell (4, 5) sees input rows 8–15, columns 10–17: 8×8 pixels."
    steps : tuple of str
        The formula's steps, one per layer from the input up.
    formula : str
    """

    picture: bytes = field(repr=False)
    headline: str
    steps: tuple[str, ...]
    formula: str


def field_view(x: np.ndarray, spec: ModelSpec, layer: int, cell: tuple[int, int]) -> FieldView:
    """Where cell ``cell`` of ``layer`` looks on the input ``x`` (28, 28).

    >>> view = field_view(np.zeros((28, 28)), ModelSpec(), 1, (5, 7))
    >>> view.headline
    'pool_1 cell (5, 7) sees input rows 10–13, columns 14–17: 4×4 pixels.'
    """
    r0, r1, c0, c1 = explain.receptive_field(spec, layer, cell)
    rule = explain.field_rule(spec, layer)
    framed = outline(_gray(x, ZOOM), r0, c0, r1 - r0, c1 - c0, factor=ZOOM, thickness=3)
    headline = (
        f"{rule.name} cell ({cell[0]}, {cell[1]}) sees input rows {r0}–{r1 - 1}, columns "
        f"{c0}–{c1 - 1}: {r1 - r0}×{c1 - c0} pixels."
    )
    return FieldView(png_bytes(framed), headline, rule.steps, rule.formula)


def cell_for_pixel(spec: ModelSpec, layer: int, pixel: tuple[int, int]) -> tuple[int, int]:
    """The cell of ``layer`` whose receptive field is centred nearest input ``pixel`` (a click).

    >>> cell_for_pixel(ModelSpec(), 0, (10, 0)), cell_for_pixel(ModelSpec(), 1, (27, 27))
    ((9, 0), (12, 12))
    """
    rule = explain.field_rule(spec, layer)
    side = map_side(spec, layer)

    def one(v: int) -> int:
        return int(min(max(round((v - (rule.size - 1) / 2) / rule.jump), 0), side - 1))

    return one(pixel[0]), one(pixel[1])


# --- occlusion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OcclusionView:
    """The occlusion map beside the saliency map, and a sentence on where the model looks.

    Attributes
    ----------
    occlusion : bytes
        PNG, 280×280: each pixel shows the lowest probability of the patch positions covering
        it, from black (the lowest of all) to white (the digit uncovered).
    legend : str
        What black and white stand for, in numbers.
    saliency : bytes
        PNG, 280×280: gradient × input for the same class (red for, blue against).
    sentence : str
    probabilities : ndarray of float32, shape (P, P)
    """

    occlusion: bytes = field(repr=False)
    legend: str
    saliency: bytes = field(repr=False)
    sentence: str
    probabilities: np.ndarray = field(repr=False)


#: Whose probability the occlusion map shows: the digit's true class or the model's answer.
CLASS_CHOICES = {"true": "the true digit", "predicted": "the model's answer"}


def occlusion_class(model: Model, x: np.ndarray, label: int, choice: str) -> int:
    """The class the occlusion map explains: ``label`` ("true") or the model's answer.

    >>> from cnnviz.learning.nn import weight_shapes
    >>> from cnnviz.learning.training import TrainedModel
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> zeros = TrainedModel(spec, "none", [np.zeros(s, np.float32) for s in weight_shapes(spec)])
    >>> occlusion_class(zeros, np.zeros((28, 28)), 7, "true")
    7
    """
    if choice not in CLASS_CHOICES:
        raise ValueError(f"`choice` must be one of {list(CLASS_CHOICES)}. Received: {choice!r}.")
    return int(label) if choice == "true" else int(np.argmax(predict(model, x)))


def occlusion_view(
    model: Model, x: np.ndarray, class_index: int, patch: int, stride: int, fill: float
) -> OcclusionView:
    """Slide a ``patch``×``patch`` square of value ``fill`` over ``x`` (28, 28) by ``stride``.

    >>> from cnnviz.learning.nn import weight_shapes
    >>> from cnnviz.learning.training import TrainedModel
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> zeros = TrainedModel(spec, "none", [np.zeros(s, np.float32) for s in weight_shapes(spec)])
    >>> occlusion_view(zeros, np.zeros((28, 28)), 3, 4, 2, 0.5).probabilities.shape
    (13, 13)
    """
    probabilities = explain.occlusion_map(
        model.weights, model.spec, x, class_index, patch=patch, stride=stride, fill=fill
    )
    whole = float(predict(model, x)[class_index])
    starts = explain.occlusion_positions(patch, stride)
    # Each input pixel shows the lowest probability of the patches that cover it.
    lowest = np.full((28, 28), whole, np.float32)  # pixels no patch covers: as uncovered
    for a, i in enumerate(starts):
        for b, j in enumerate(starts):
            block = lowest[i : i + patch, j : j + patch]
            np.minimum(block, probabilities[a, b], out=block)
    a, b = np.unravel_index(int(np.argmin(probabilities)), probabilities.shape)
    i, j = int(starts[a]), int(starts[b])
    worst = float(probabilities[a, b])
    if whole - worst < 0.05:
        sentence = (
            f"No {patch}×{patch} patch moves the model much: the probability of {class_index} "
            f"stays between {worst:.1%} and {whole:.1%} wherever the patch goes, so no single "
            "small area carries the decision."
        )
    else:
        sentence = (
            f"The model looks hardest at rows {i}–{i + patch - 1}, columns {j}–{j + patch - 1}: "
            f"covering them drops the probability of {class_index} from {whole:.0%} to "
            f"{worst:.0%}. Dark areas of the map are where covering hurts."
        )
    contribution = saliency(model, x, class_index, method="gradient_x_input")
    low = float(lowest.min())
    # Black: the lowest, or 10 points below the uncovered digit if the map moves less (so that
    # a 0.1-point wobble is not drawn black); white: the digit uncovered.
    low = min(low, whole - 0.1)
    scale = ColorScale("gray", low, whole)
    return OcclusionView(
        occlusion=png_bytes(zoom(colorize(lowest, scale), ZOOM)),
        legend=f"Black: {max(low, 0):.1%} or less, white: {whole:.1%} (the digit uncovered)",
        saliency=png_bytes(
            zoom(colorize(contribution, scale_for(contribution, signed=True)), ZOOM)
        ),
        sentence=sentence,
        probabilities=probabilities,
    )


# --- top examples ---------------------------------------------------------------------------


def find_top(model: Model, digits: np.ndarray, layer: int) -> explain.TopExamples:
    """:func:`cnnviz.learning.explain.top_examples` for every filter of ``layer`` (the slow
    part: one pass over ``digits``; a page caches it per model and layer)."""
    return explain.top_examples(model.weights, model.spec, digits, layer, count=TOP)


@dataclass(frozen=True)
class TopView:
    """One filter's top 9 test digits and their patches.

    Attributes
    ----------
    title : str
    digits : bytes
        PNG: the 9 digits, 3 by 3, each with the cell's receptive field outlined.
    patches : bytes
        PNG: the 9 patches those fields see, 3 by 3, enlarged.
    kernel : bytes or None
        PNG: the filter's kernel (first conv layer only), red positive, blue negative.
    caption : str
        Their activations and labels, and the mean over all the test digits.
    """

    title: str
    digits: bytes = field(repr=False)
    patches: bytes = field(repr=False)
    kernel: bytes | None = field(repr=False)
    caption: str


def _digits_grid(top: explain.TopExamples, f: int, digits: np.ndarray, spec: ModelSpec):
    tiles = []
    for n, cell in zip(top.indices[f], top.cells[f]):
        r0, r1, c0, c1 = explain.receptive_field(spec, top.layer, (int(cell[0]), int(cell[1])))
        tiles.append(outline(_gray(digits[n, :, :, 0], THUMB), r0, c0, r1 - r0, c1 - c0,
                             factor=THUMB, thickness=2))  # fmt: skip
    return tile_grid(np.stack(tiles), cols=3, gap=4, fill=255)


def _patch_grid(patches: np.ndarray, factor: int, cols: int) -> np.ndarray:
    """Patches (M, r, r) in [0, 1], each enlarged ``factor`` times, 4 grey pixels apart."""
    tiles = np.stack([_gray(p, factor) for p in patches])  # (M, r·f, r·f, 3)
    return tile_grid(tiles, cols=cols, gap=4, fill=110)  # grey gaps: patches may be all white


def top_view(
    model: Model, top: explain.TopExamples, digits: np.ndarray, labels: np.ndarray, f: int
) -> TopView:
    """Filter ``f`` of the layer ``top`` was found for: its 9 digits, patches and kernel."""
    spec = model.spec
    size = top.patches.shape[-1]
    factor = max(1, 96 // size)
    patches = _patch_grid(top.patches[f], factor, cols=3)
    kernel = None
    if top.layer == 0:
        weights = np.asarray(model.weights[0])[:, :, 0, f]  # (k, k)
        kernel = png_bytes(
            zoom(colorize(weights, scale_for(weights, signed=True)), 240 // len(weights))
        )
    values = ", ".join(f"{v:.2f}" for v in top.values[f])
    counts = Counter(int(labels[n]) for n in top.indices[f])
    label, times = counts.most_common(1)[0]
    return TopView(
        title=f"{top.name}, filter {f}",
        digits=png_bytes(_digits_grid(top, f, digits, spec)),
        patches=png_bytes(patches),
        kernel=kernel,
        caption=(
            f"Responses {values} (mean over all {len(digits)} test digits: "
            f"{top.mean[f]:.2f}). The digits: "
            + ", ".join(str(int(labels[n])) for n in top.indices[f])
            + f" ({times} of {TOP} are {label}s). Each patch is {size}×{size} pixels."
        ),
    )


# --- Grad-CAM -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradCamView:
    """Grad-CAM beside the saliency map, or why there is none.

    Attributes
    ----------
    available : bool
    text : str
    grad_cam : bytes or None
        PNG 280×280: Grad-CAM on the input's pixels (bright: evidence for the class).
    saliency : bytes or None
    """

    available: bool
    text: str
    grad_cam: bytes | None = field(default=None, repr=False)
    saliency: bytes | None = field(default=None, repr=False)


def grad_cam_view(model: Model, x: np.ndarray, class_index: int) -> GradCamView:
    """Grad-CAM for ``class_index`` on ``x`` (28, 28); for one conv block, why not."""
    blocks = len(model.spec.filters)
    if blocks < 2:
        return GradCamView(
            False,
            "Grad-CAM weighs the last conv layer's maps by how much the class score depends on "
            f"each. This model has {blocks} conv block, whose {map_side(model.spec, 0)}×"
            f"{map_side(model.spec, 0)} maps are nearly the input's own size: Grad-CAM would be a "
            "blurrier saliency map. Train a model with two or three "
            "conv blocks on the Train page to see it.",
        )
    cam = explain.grad_cam(model.weights, model.spec, x, class_index)
    name = architecture(model.spec)[cam.layer].name
    h, w = cam.map.shape
    top = float(cam.on_input.max())
    picture = cam.on_input / top if top > 0 else cam.on_input
    contribution = saliency(model, x, class_index, method="gradient_x_input")
    text = (
        f"Grad-CAM on {name} ({h}×{w} cells, {len(cam.weights)} maps): each map weighed by the "
        f"mean slope of the score for {class_index} along it; spread back over each cell's "
        "receptive field. Bright: the evidence for the class lies there."
    )
    if top == 0:
        text += f" Here every weighted sum is negative: no cell argues for {class_index}."
    return GradCamView(
        True,
        text,
        png_bytes(zoom(colorize(picture, GRAY), ZOOM)),
        png_bytes(zoom(colorize(contribution, scale_for(contribution, signed=True)), ZOOM)),
    )


# --- feature pictures -----------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureView:
    """A picture optimised to excite a filter or a class, with its numbers."""

    picture: bytes = field(repr=False)
    text: str


FEATURE_STEPS = 80


def target_name(spec: ModelSpec, target: str, layer: int, index: int) -> str:
    """How the page names what a feature picture excites.

    >>> target_name(ModelSpec(), "filter", 1, 4), target_name(ModelSpec(), "class", 1, 3)
    ('pool_1 filter 4', 'the score of the digit 3')
    """
    if target == "class":
        return f"the score of the digit {index}"
    return f"{architecture(spec)[layer].name} filter {index}"


def feature_offer(spec: ModelSpec, target: str, layer: int, index: int) -> str:
    """The line shown before a feature picture is asked for."""
    return (
        f"Press the button to optimise a picture for {target_name(spec, target, layer, index)}: "
        f"{FEATURE_STEPS} steps of gradient ascent, a few seconds; kept for this model."
    )


def make_feature(model: Model, target: str, layer: int, index: int, *, on_step=None):
    """:func:`cnnviz.learning.explain.feature_picture` for a filter of ``layer`` or a class."""
    if target == "class":
        return explain.feature_picture(
            model.weights, model.spec, class_index=index, steps=FEATURE_STEPS, on_step=on_step
        )
    return explain.feature_picture(
        model.weights, model.spec, layer=layer, filter_index=index, steps=FEATURE_STEPS,
        on_step=on_step,
    )  # fmt: skip


def feature_view(
    made: explain.FeaturePicture, target: str, typical: float | None = None
) -> FeatureView:
    """Describe ``made`` (for ``target``, e.g. "conv_1 filter 3" or "the digit 3").

    ``typical``: the mean response over the test digits, to compare with.

    >>> made = explain.FeaturePicture(np.zeros((28, 28), np.float32), 2.0, None, 0.5)
    >>> feature_view(made, "conv_1 filter 3", 1.0).text
    'conv_1 filter 3: 2.00 for this picture (0.50 for the noise it started from; 1.00 on an \
average test digit, so 2.0 times that).'
    """
    text = f"{target}: {made.activation:.2f} for this picture ({made.start:.2f} for the noise it"
    text += " started from"
    if typical is not None and typical > 0:
        ratio = made.activation / typical
        text += f"; {typical:.2f} on an average test digit, so {ratio:.1f} times that"
    text += ")."
    if typical is not None and typical > 0 and made.activation < 1.2 * typical:
        text += (
            " Ordinary digits excite this filter about as much. For a first-layer filter the "
            "best test digits already reach its largest possible response (a 3×3 field is "
            "small enough for one stroke to fill it), and the blur and jitter that keep a "
            "feature picture smooth hold it below that; deeper filters, with larger fields, "
            "gain more: try the last conv layer of a deeper model."
        )
    if made.probability is not None:
        text += f" The model gives it {made.probability:.0%}."
    return FeatureView(png_bytes(_gray(made.picture, ZOOM)), text)


# --- hierarchy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HierarchyView:
    """The first conv layer's top patches beside the last one's, and what they show."""

    available: bool
    text: str
    first: bytes | None = field(default=None, repr=False)
    last: bytes | None = field(default=None, repr=False)
    first_caption: str = ""
    last_caption: str = ""


def _purity(top: explain.TopExamples, labels: np.ndarray) -> float:
    """Mean share of a filter's top digits that are its most common digit."""
    shares = [
        Counter(int(labels[n]) for n in row).most_common(1)[0][1] / len(row) for row in top.indices
    ]
    return float(np.mean(shares))


def _ink(top: explain.TopExamples) -> float:
    return float(np.mean(top.patches > 0.5))


def _first_patches(top: explain.TopExamples, count: int = 8) -> bytes:
    """Each of the first ``count`` filters' top patch, in a row (enlarged to ~96 px each)."""
    size = top.patches.shape[-1]
    return png_bytes(_patch_grid(top.patches[:count, 0], max(1, 72 // size), cols=4))


def hierarchy_view(
    model: Model, first: explain.TopExamples, last: explain.TopExamples | None, labels
) -> HierarchyView:
    """Compare ``first`` (conv_1's top examples) with ``last`` (the last conv layer's)."""
    blocks = len(model.spec.filters)
    if last is None or blocks < 2:
        return HierarchyView(
            False,
            f"This model has {blocks} conv block. The claim that later layers respond to larger "
            "parts (first layer: edges and strokes) needs several: train a model with three "
            "blocks on the Train page and come back.",
        )
    p1, p2 = _purity(first, labels), _purity(last, labels)
    s1, s2 = first.patches.shape[-1], last.patches.shape[-1]
    shows = p2 >= p1 + 0.15
    verdict = (
        "That is the expected hierarchy: the last layer's filters pick out larger parts that "
        "belong to particular digits, the first layer's strokes that every digit has."
        if shows
        else "So on this model the comparison does not clearly show the textbook hierarchy: "
        "the last layer's filters are not much more particular to one digit than the first's."
    )
    text = (
        f"First layer ({first.name}): each filter sees {s1}×{s1} pixels; its 9 strongest digits "
        f"are on average {p1:.0%} one digit (ink in {_ink(first):.0%} of the patches' pixels). "
        f"Last conv layer ({last.name}): {s2}×{s2} pixels, {p2:.0%} one digit "
        f"(ink {_ink(last):.0%}). {verdict}"
    )
    return HierarchyView(
        True,
        text,
        _first_patches(first),
        _first_patches(last),
        f"{first.name}: the strongest patch of filters 0–7",
        f"{last.name}: the strongest patch of filters 0–7",
    )
