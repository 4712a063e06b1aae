"""Inside the model: one digit through every layer; patterns compared; shifts; saliency."""

from __future__ import annotations

import html
import random
import weakref
from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnviz.learning.data import as_model_input
from cnnviz.learning.digits import DigitPreparation, check_digit, explain_digit
from cnnviz.learning.model import estimate_cost
from cnnviz.learning.probe import (
    LayerOutput,
    ShiftCurve,
    activation_pattern,
    compare_patterns,
    layer_activations,
    saliency,
    shift_curve,
)
from cnnviz.learning.training import TrainedModel, first_layer_kernels, format_duration
from cnnviz.learning.worker import TrainingError
from cnnviz.pictures.display import png_bytes, thumbnail
from cnnviz.pictures.figures import ColorScale, colorbar_image, heatmap_figure, scale_for
from cnnviz.pictures.images import ImageError, load_image, shift
from cnnviz.pictures.inside_figures import (
    map_grid,
    neuron_bars,
    pattern_figure,
    probability_bars,
    shift_figure,
    vector_strip,
)
from pages._models import get_current_model, get_dataset
from pages._registry import ensure_app_navigation
from pages._text import file_label, plain
from pages._twins import (
    get_twin_store,
    pooling_name,
    show_twin_notice,
    train_twin,
    twin_data,
    twin_key,
    twin_spec,
)
from pages._ui import UPLOAD_TYPES

SOURCES = {"test": "A test digit", "draw": "Draw one", "upload": "Upload a photo"}
CANVAS_SIDE = 280  # ten canvas pixels per MNIST pixel
STROKE = 20
MAX_MAPS = 64  # more feature maps than this are summarised, not drawn
MAP_TILE = 80  # pixels per conv map in the grids
AVERAGE_OVER = 200  # test digits in the averaged shift curves
GRAY = ColorScale("gray", 0.0, 1.0)
NOT_SAID = "not said (use the prediction)"
PREDICTION = "the prediction"
NAME_LIMIT = 60  # characters of an uploaded file's name kept in titles and captions


@dataclass(frozen=True)
class Digit:
    """The input a visitor chose, as the model sees it."""

    x: np.ndarray  # (28, 28) float32 in [0, 1], light ink on black
    label: int | None  # the true digit, when known
    name: str  # e.g. "test digit #12", "your drawing"; raw text: escape it where it is shown
    steps: DigitPreparation | None = None  # how a drawing or photo was prepared
    original: np.ndarray | None = None  # the drawing or photo before preparation


# --- controls -------------------------------------------------------------------------------


def input_ui() -> Digit | None:
    """The choice of input and its controls; None when there is nothing to show yet."""
    source = st.radio(
        "Which digit goes in?",
        list(SOURCES),
        format_func=SOURCES.get,
        horizontal=True,
        key="inside_source",
    )
    if source == "test":
        return test_digit_ui()
    if source == "draw":
        return drawn_digit_ui()
    return uploaded_digit_ui()


def _random_index(count: int) -> None:
    st.session_state["inside_index"] = random.randrange(count)


def test_digit_ui() -> Digit:
    """A test digit by number, or a random one; with its true label."""
    data = get_dataset("sample")
    count = len(data.x_test)
    number, button = st.columns([3, 1], vertical_alignment="bottom")
    index = number.number_input(
        f"Test digit number (0 to {count - 1})",
        min_value=0,
        max_value=count - 1,
        value=0,
        key="inside_index",
        help="The sample's test digits: the default model never trained on them.",
    )
    button.button(
        "Random digit", key="inside_random", on_click=_random_index, args=(count,), width="stretch"
    )
    x = as_model_input(data.x_test[index])[0, :, :, 0]  # (28, 28) in [0, 1]
    return Digit(x, int(data.y_test[index]), f"test digit #{index}")


def meant_ui(key: str) -> int | None:
    """Which digit the visitor meant to draw or photograph (None: not said)."""
    choice = st.selectbox(
        "Which digit is it?",
        [NOT_SAID, *range(10)],
        key=key,
        help="Used as the true digit in the shift experiment below.",
    )
    return None if choice == NOT_SAID else int(choice)


def drawn_digit_ui() -> Digit | None:
    """A canvas to draw on with the mouse or a finger."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception as error:  # the component failed to register: say so, offer the rest
        st.info(f"The drawing canvas is not available here ({error}). Upload a photo instead.")
        return None
    pad, notes = st.columns([1, 2], gap="large")
    with pad:
        st.caption("Draw here (the buttons undo, redo, or clear the square):")
        result = st_canvas(
            stroke_width=STROKE,
            stroke_color="#ffffff",
            background_color="#000000",
            height=CANVAS_SIDE,
            width=CANVAS_SIDE,
            drawing_mode="freedraw",
            key="inside_canvas",
            return_image_data=True,
        )
    with notes:
        st.markdown(
            "Draw one digit with the mouse or a finger, large, filling most of the black square: "
            "white ink on black, as in MNIST. The model reads it as soon as you lift the pen."
        )
        label = meant_ui("inside_meant_drawn")
    image = getattr(result, "image_data", None)
    if image is None:
        st.info("Draw a digit on the black square to see the model read it.")
        return None
    try:
        steps = explain_digit(image)
    except ValueError as error:  # an empty canvas
        st.info(str(error))
        return None
    return Digit(steps.digit, label, "your drawing", steps, image)


def _on_upload() -> None:
    """Read and prepare a new upload; on failure keep the previous one and say why."""
    uploaded = st.session_state.get("inside_upload")
    if uploaded is None:
        st.session_state["inside_upload_error"] = None
        return
    try:
        image = load_image(uploaded.getvalue()).array
        steps = explain_digit(image)
    except (ImageError, ValueError) as error:
        # Never Markdown: Pillow's messages quote the file's own bytes.
        message = f"{file_label(uploaded.name)}: {plain(str(error), 300)}"
        st.session_state["inside_upload_error"] = message
        return
    st.session_state["inside_upload_error"] = None
    st.session_state["inside_upload_digit"] = (uploaded.name, image, steps)


def uploaded_digit_ui() -> Digit | None:
    """An uploader for a photo or scan of one handwritten digit."""
    st.file_uploader(
        "A photo or scan of one handwritten digit (PNG, JPEG, WebP, BMP, GIF or TIFF)",
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
    name, image, steps = kept
    return Digit(steps.digit, label, f"your photo {_shorten(name)}", steps, image)


def _shorten(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chart_text(text: str) -> str:
    """Text for a Plotly title: Plotly reads tags (``<a href>``, ``<b>``) and entities in titles,
    so a visitor's file name in it is escaped to show as typed."""
    return html.escape(text, quote=False)


def second_input_ui(digit: Digit) -> Digit:
    """The second input of the comparison: this digit shifted, or another test digit."""
    kind = st.radio(
        "Compare with",
        ["another test digit", "this digit, shifted"],
        horizontal=True,
        key="inside_compare_kind",
    )
    if kind == "this digit, shifted":
        left, right = st.columns(2)
        dx = left.slider("Shift right (pixels)", -4, 4, 2, key="inside_compare_dx")
        dy = right.slider("Shift down (pixels)", -4, 4, 0, key="inside_compare_dy")
        return Digit(shift(digit.x, dx, dy), digit.label, f"{digit.name} moved ({dx}, {dy})")
    data = get_dataset("sample")
    index = st.number_input(
        "Test digit number", 0, len(data.x_test) - 1, 1, key="inside_compare_index"
    )
    x = as_model_input(data.x_test[index])[0, :, :, 0]  # (28, 28)
    return Digit(x, int(data.y_test[index]), f"test digit #{index}")


# --- computations shared by every visitor ----------------------------------------------------


@st.cache_resource
def _average_curves() -> weakref.WeakKeyDictionary:
    """Averaged shift curves by model, for every session; an entry goes when its model does."""
    return weakref.WeakKeyDictionary()


def average_shift_curve(model) -> ShiftCurve:
    """The shift curve averaged over the first test digits of the sample (computed once)."""
    curves = _average_curves()
    curve = curves.get(model)
    if curve is None:
        data = get_dataset("sample")
        x = as_model_input(data.x_test[:AVERAGE_OVER])[..., 0]  # (N, 28, 28)
        curve = curves[model] = shift_curve(model, x, data.y_test[:AVERAGE_OVER])
    return curve


# --- drawing ----------------------------------------------------------------------------------


def show_digit(digit: Digit, probabilities: np.ndarray, predicted: int) -> None:
    """The 28×28 the model sees, how it was made, and the prediction as plain text."""
    picture, words = st.columns([1, 2], gap="large")
    with picture:
        st.plotly_chart(
            heatmap_figure(digit.x, GRAY, title="What the model sees: 28×28", height=380),
            key="inside_input_figure",
        )
    with words:
        st.markdown(f"### Prediction: {predicted} ({probabilities[predicted]:.1%})")
        caution = check_digit(digit.x).caution()
        if caution is not None:
            st.warning(caution, icon=":material/help:")
        if digit.label is not None:
            verdict = "right" if digit.label == predicted else "wrong"
            st.markdown(f"True digit: {digit.label} · the model is **{verdict}**.")
        st.caption(
            f"Input: {plain(digit.name)}. Every pixel is a number from 0 (black) to 1 (white); "
            "hover over the picture to read them."
        )
        if digit.steps is not None:
            st.image(thumbnail(digit.original, 120), caption="What you gave")
            st.markdown(
                "Prepared the way MNIST's digits were:\n"
                + "\n".join(f"1. {note}" for note in digit.steps.notes())
            )


def show_colour_bars(*scales: tuple[ColorScale, str]) -> None:
    for scale, label in scales:
        st.image(colorbar_image(scale, height=200, label=label))


def show_conv(
    layer: LayerOutput, incoming: np.ndarray, kernels: np.ndarray | None, size: int
) -> ColorScale:
    """A conv layer: its maps before ReLU with their kernels, then after ReLU."""
    h, w, count = layer.output.shape
    shown = min(count, MAX_MAPS)
    what = "picture" if incoming.ndim == 2 or incoming.shape[-1] == 1 else "maps"
    st.subheader(f"{layer.name} · Conv2D: {count} kernels, {count} feature maps")
    st.markdown(
        f"Each kernel ({size}×{size} weights per incoming map) slides over the "
        f"{incoming.shape[0]}×{incoming.shape[1]} {what}; at each position it multiplies the "
        "values under it by its weights and adds them up (a cross-correlation, as Keras "
        f"computes it), plus a bias. That gives one {h}×{w} feature map per kernel: large where "
        "the kernel's local pattern is present."
    )
    scale = scale_for(layer.before_activation[..., :shown], layer.output[..., :shown], signed=True)
    grid, bars = st.columns([6, 1])
    with grid:
        if kernels is not None:
            kernel_scale = scale_for(kernels[:shown], signed=True)
            image = map_grid(
                layer.before_activation[..., :shown],
                scale,
                kernels=kernels[:shown],
                kernel_scale=kernel_scale,
                tile=MAP_TILE,
            )
            caption = (
                "Weighted sums before ReLU, each map with its kernel on its left (the kernel on "
                "its own colour scale: red weights reward bright pixels, blue ones penalise "
                "them)."
            )
        else:
            kernel_scale = None
            image = map_grid(layer.before_activation[..., :shown], scale, tile=MAP_TILE)
            caption = (
                "Weighted sums before ReLU. Each kernel here spans every incoming map "
                f"({incoming.shape[-1]} slices), too many to draw beside it."
            )
        st.image(png_bytes(image), caption=caption)
    with bars:
        show_colour_bars((scale, "map value"))
        if kernel_scale is not None:
            show_colour_bars((kernel_scale, "kernel weight"))
    if shown < count:
        st.caption(f"Showing the first {shown} of {count} maps.")
    grid, bars = st.columns([6, 1])
    with grid:
        image = map_grid(
            layer.output[..., :shown],
            scale,
            kernels=None if kernels is None else kernels[:shown],
            kernel_scale=kernel_scale,
            tile=MAP_TILE,
        )
        st.image(png_bytes(image), caption="The same maps after ReLU, on the same colour scale.")
    with bars:
        show_colour_bars((scale, "map value"))
        if kernel_scale is not None:
            show_colour_bars((kernel_scale, "kernel weight"))
    st.markdown(
        f"After ReLU: {layer.zeroed:.0%} of the values were negative and became 0 (blue turned "
        "white). What is left marks where each kernel's pattern was found."
    )
    return scale


def show_pooling(layer: LayerOutput, incoming: np.ndarray, scale: ColorScale) -> None:
    h_in, w_in = incoming.shape[:2]
    h, w, count = layer.output.shape
    shown = min(count, MAX_MAPS)
    rule = "largest" if layer.kind.startswith("Max") else "average"
    st.subheader(f"{layer.name} · {layer.kind}: {h_in}×{w_in} → {h}×{w}")
    st.markdown(
        f"Pooling keeps the {rule} value of each 2×2 window and moves 2 pixels at a time, so "
        "every map shrinks to half its width and height. A feature that moves by a pixel often "
        "stays in the same window: the pooled value does not change. That is the small "
        "translation invariance the article describes."
    )
    tile = max(8, round(MAP_TILE * max(h, w) / max(h_in, w_in)))
    grid, bars = st.columns([6, 1])
    with grid:
        st.image(
            png_bytes(map_grid(layer.output[..., :shown], scale, tile=tile)),
            caption="The pooled maps, drawn at their real size relative to the maps above.",
        )
    with bars:
        show_colour_bars((scale, "map value"))


def show_flatten(layer: LayerOutput, incoming: np.ndarray, scale: ColorScale) -> None:
    h, w, count = incoming.shape
    st.subheader(f"{layer.name} · Flatten: {h}×{w}×{count} → {layer.output.size:,} numbers")
    st.markdown(
        f"The dense layer takes a plain list of numbers, so the {count} maps are read row by "
        f"row into one vector of {layer.output.size:,} values. In the strip below, each column "
        f"is one of the {h * w} positions and holds that position's {count} values, one per "
        "map, in the order Flatten reads them."
    )
    st.image(png_bytes(vector_strip(layer.output, count, scale)), caption="The flattened vector.")


def show_dense(
    layer: LayerOutput,
    incoming: np.ndarray,
    probabilities: np.ndarray,
    predicted: int,
    digit: Digit,
) -> None:
    n = layer.output.size
    if layer.activation == "softmax":
        st.subheader(f"{layer.name} · Dense + softmax: {n} scores, {n} probabilities")
        st.markdown(
            "Each output neuron weighs the whole activation pattern and adds a bias: a score "
            "for its digit. Softmax turns the scores into probabilities that add up to 100%; "
            "the largest score wins."
        )
        scores, probs = st.columns(2)
        scores.plotly_chart(
            neuron_bars(
                layer.before_activation,
                title="Scores before softmax",
                x_title="digit",
                y_title="score",
                highlight=predicted,
            ),
            key=f"inside_{layer.name}_scores",
        )
        probs.plotly_chart(
            probability_bars(probabilities, predicted=predicted, true=digit.label),
            key=f"inside_{layer.name}_probabilities",
        )
        st.markdown(f"Prediction: {predicted} ({probabilities[predicted]:.1%})")
        return
    st.subheader(f"{layer.name} · Dense + ReLU: {n} neurons")
    st.markdown(
        f"Every neuron weighs all {incoming.size:,} incoming values, adds a bias and applies "
        "ReLU. The neurons that fire together form this digit's activation "
        "pattern: the compact summary of which local features were found where, from which "
        "the output layer decides."
    )
    st.plotly_chart(
        neuron_bars(layer.output, title="The activation pattern"), key=f"inside_{layer.name}"
    )
    st.markdown(f"{layer.active} of {n} neurons fire (output above 0).")


def show_forward_pass(trained: TrainedModel, outputs: list[LayerOutput], digit: Digit) -> None:
    """Every layer in order, each drawn the way that suits its kind."""
    probabilities = outputs[-1].output
    predicted = int(probabilities.argmax())
    incoming, scale = digit.x, scale_for(digit.x)
    for layer in outputs:
        if layer.kind == "Conv2D":
            kernels = first_layer_kernels(trained.weights) if layer.name == "conv_1" else None
            scale = show_conv(layer, incoming, kernels, trained.spec.kernel_size)
        elif "Pooling" in layer.kind:
            show_pooling(layer, incoming, scale)
        elif layer.kind == "Flatten":
            show_flatten(layer, incoming, scale)
        elif layer.kind == "Dense":
            show_dense(layer, incoming, probabilities, predicted, digit)
        incoming = layer.output


def show_comparison(model, digit: Digit, pattern: LayerOutput, predicted: int) -> None:
    st.header("Two inputs, two activation patterns")
    st.markdown(
        "Different digits light up different neurons in the dense layer: that pattern is what "
        "the output layer reads. Compare this digit's pattern with another digit's, or with "
        "the same digit moved a few pixels."
    )
    other = second_input_ui(digit)
    other_outputs = layer_activations(model, other.x)
    other_pattern = activation_pattern(other_outputs)
    other_predicted = int(other_outputs[-1].output.argmax())
    result = compare_patterns(pattern.output, other_pattern.output)
    names = (
        _chart_text(f"A: {digit.name} → {predicted}"),
        _chart_text(f"B: {other.name} → {other_predicted}"),
    )
    small_a, small_b, numbers = st.columns([1, 1, 2])
    small_a.plotly_chart(
        heatmap_figure(digit.x, GRAY, title=names[0], height=250), key="inside_compare_a"
    )
    small_b.plotly_chart(
        heatmap_figure(other.x, GRAY, title=names[1], height=250), key="inside_compare_b"
    )
    with numbers:
        st.markdown(f"Cosine similarity of the two patterns: {result.cosine:.2f}")
        st.markdown(
            f"Neurons firing for both: {result.both} · only for A: {result.only_a} · "
            f"only for B: {result.only_b} (of {pattern.output.size})"
        )
        st.caption(
            "Cosine similarity is 1 when the two patterns point the same way and 0 when no "
            "neuron fires for both."
        )
    st.plotly_chart(pattern_figure(pattern.output, other_pattern.output, names=names))


def show_shift(trained: TrainedModel, digit: Digit, predicted: int) -> None:
    st.header("Move the digit: what pooling buys")
    label = digit.label if digit.label is not None else predicted
    said = "its true digit" if digit.label is not None else "the digit it predicts unshifted"
    st.markdown(
        f"The digit is moved up to 4 pixels left, right, up and down, and the model asked "
        f"again each time. The curves show the probability it gives {said}, {label}. One 2×2 "
        "pooling layer forgives a feature that moves within its window, about one pixel. "
        "Whether that makes the whole network more tolerant is what the comparison with the "
        "same model without pooling measures. The article's answer: one layer buys a little; "
        "several stacked layers buy more."
    )
    model = trained.model
    ours = f"this model ({pooling_name(trained.spec)})"
    curves = {ours: shift_curve(model, digit.x, label)}
    averages = {ours: average_shift_curve(model)}
    twin = twin_ui(trained)
    if twin is not None:
        theirs = f"same model, {pooling_name(twin.spec)}"
        curves[theirs] = shift_curve(twin.model, digit.x, label)
        averages[theirs] = average_shift_curve(twin.model)
    st.plotly_chart(shift_figure(curves), key="inside_shift_one")
    st.markdown(
        "Mean probability over all shifts of this digit: "
        + " · ".join(f"{name}: {curve.mean:.1%}" for name, curve in curves.items())
    )
    st.markdown(f"**Averaged over the first {AVERAGE_OVER} test digits**, each with its label:")
    st.plotly_chart(shift_figure(averages), key="inside_shift_average")
    st.markdown(
        f"Mean probability over all shifts of {AVERAGE_OVER} test digits: "
        + " · ".join(f"{name}: {curve.mean:.1%}" for name, curve in averages.items())
    )
    if twin is not None:
        pooled, plain = (ours, theirs) if trained.spec.pooling != "none" else (theirs, ours)
        gain = 100 * (averages[pooled].mean - averages[plain].mean)
        st.markdown(f"What pooling buys here: {gain:+.1f} percentage points on that mean.")


def twin_ui(trained: TrainedModel) -> TrainedModel | None:
    """The comparison model if it exists; else a button that trains it, once for everybody."""
    spec = twin_spec(trained.spec)
    data = twin_data(trained)
    if data is None:
        st.info(
            f"This model was trained on {trained.data_name}, which is not available right now, "
            "so its twin without pooling cannot be trained on the same digits."
        )
        return None
    twin = get_twin_store().get(twin_key(trained, data))
    if twin is not None:
        accuracy = (
            f"test accuracy {twin.evaluation.accuracy:.1%}, this model's "
            f"{trained.evaluation.accuracy:.1%}"
            if twin.evaluation is not None and trained.evaluation is not None
            else "trained"
        )
        st.caption(
            f"Compared with the same spec with {pooling_name(spec)}, trained the same way on "
            f"{twin.data_name} ({accuracy})."
        )
        return twin
    show_twin_notice()  # why the last twin training of this session left no twin
    st.markdown(
        f"To compare, train the same model with {pooling_name(spec)}: same layers, seed and "
        f"{spec.epochs} epochs on the same {len(data.x_train):,} digits. It is trained once and "
        "then kept for every visitor."
    )
    if not st.button(
        f"Train the same model with {pooling_name(spec)}",
        key="inside_twin_train",
        icon=":material/model_training:",
        help=_twin_time(spec, data),
    ):
        return None
    if train_twin(trained, data) is not None:
        st.rerun()  # draw the page again, now with the twin
    return None


def _twin_time(spec, data) -> str:
    """How long the twin will train, estimated from its layer sizes (model.estimate_cost)."""
    seconds = estimate_cost(spec, len(data.x_train), len(data.x_test)).seconds
    weights = "four times" if spec.pooling == "none" else "a quarter of"
    return (
        f"With {pooling_name(spec)} the dense layer has about {weights} the weights. Estimated "
        f"from the layer sizes: training it takes about {format_duration(seconds)}."
    )


def show_saliency(model, digit: Digit, predicted: int) -> None:
    st.header("What the model looks at")
    choice = st.selectbox(
        "Explain the score of digit",
        [PREDICTION, *range(10)],
        format_func=lambda d: f"{predicted} (the prediction)" if d == PREDICTION else str(d),
        key="inside_saliency_class",
    )
    target = predicted if choice == PREDICTION else int(choice)
    gradient = saliency(model, digit.x, target, method="gradient")
    contribution = saliency(model, digit.x, target, method="gradient_x_input")
    st.markdown(
        f"The gradient of the score for {target} (before softmax) with respect to every "
        "pixel is its slope: red where a brighter pixel would raise the score, blue where it "
        "would lower it, also where there is no ink yet. Multiplied by the input it keeps only "
        "the ink: each pixel's share of the score, for (red) or against (blue) the digit."
    )
    columns = st.columns(3)
    figures = [
        (digit.x, GRAY, "input", "value"),
        (gradient, scale_for(gradient, signed=True), "gradient", "slope"),
        (contribution, scale_for(contribution, signed=True), "gradient × input", "share"),
    ]
    for column, (array, scale, title, bar) in zip(columns, figures):
        column.plotly_chart(
            heatmap_figure(array, scale, title=title, colorbar_title=bar, height=320),
            key=f"inside_saliency_{title}",
        )
    st.caption(
        "Saliency method: gradient × input (computed by TensorFlow's automatic differentiation)."
    )


# --- the page ---------------------------------------------------------------------------------

ensure_app_navigation()
st.title("Inside the model: follow one digit through the network")
st.markdown(
    "Pick or draw a digit and watch the article's CNN read it: the kernels find local "
    "features, pooling makes them tolerant to small shifts, and the dense layers turn the "
    "pattern of features into a decision."
)
try:
    trained, which = get_current_model()
except TrainingError as error:  # only when the default model had to be trained and failed
    st.error(f"The default model could not be prepared: {error} Reload the page to try again.")
    st.stop()
st.info(f"Model in use: {which}", icon=":material/neurology:")
digit = input_ui()
if digit is None:
    st.stop()

outputs = layer_activations(trained.model, digit.x)
probabilities = outputs[-1].output
predicted = int(probabilities.argmax())
show_digit(digit, probabilities, predicted)

st.header("The forward pass, layer by layer")
show_forward_pass(trained, outputs, digit)
show_comparison(trained.model, digit, activation_pattern(outputs), predicted)
show_shift(trained, digit, predicted)
show_saliency(trained.model, digit, predicted)
