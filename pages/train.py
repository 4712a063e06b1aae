"""Train: build the article's CNN in Keras, train it live on MNIST, and see what it learned."""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.model import (
    LOSSES,
    OPTIMIZERS,
    POOLINGS,
    Cost,
    ModelSpec,
    architecture,
    keras_code,
    parse_filters,
    total_parameters,
    training_code,
)
from cnnviz.learning.training import (
    LimitError,
    TrainedModel,
    TrainingLimits,
    check_limits,
    first_layer_kernels,
    format_duration,
    model_bytes,
    training_limits,
)
from cnnviz.pictures.train_figures import confusion_figure, digit_grid, kernel_grid, training_curves
from pages._models import (
    LiveView,
    get_dataset,
    get_lost_training,
    get_session_model,
    get_trainer_pool,
    session_model_box,
    stopped_text,
    train_live,
    wait_for_training_to_end,
)
from pages._registry import ensure_app_navigation
from pages._text import plain

SOURCES = {
    "sample": "MNIST sample (5,000 digits, trains in seconds)",
    "full": "Full MNIST (70,000 digits, 11 MB download once)",
}
LOSS_NAMES = {
    "categorical_crossentropy": "cross-entropy",
    "mean_squared_error": "mean squared error",
}
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD (plain gradient descent)", "rmsprop": "RMSprop"}
MAX_WRONG_SHOWN = 16
MIN_DIGITS, MAX_DIGITS = 32, 60_000
MAX_MESSAGE = 300  # characters of a form error shown; a 10 KB filters text is not echoed whole
# The form's labels by setting name, to tell the visitor which box a message is about.
LABELS = {
    "limit": "Training digits to use",
    "filters": "Kernels per conv block",
    "dense_units": "Neurons in the dense layer",
    "learning_rate": "Learning rate",
    "batch_size": "Batch size",
    "seed": "Random seed",
}


def settings_form() -> tuple[dict, bool]:
    """The data, layer and training controls, applied together; returns them and "train?"."""
    with st.form("train_form"):
        data_col, layer_col, learn_col, plan_col = st.columns(4, gap="medium")
        with data_col:
            st.markdown("**Data**")
            source = st.radio(
                "Digits to learn from", list(SOURCES), format_func=SOURCES.get, key="train_source"
            )
            # No min_value/max_value on the number boxes: the browser would silently refuse an
            # out-of-range number (Train did nothing); the spec's checks say what is wrong.
            limit = st.number_input(
                "Training digits to use (at most)",
                value=MAX_DIGITS,
                step=500,
                key="train_limit",
                help=f"{MIN_DIGITS} to {MAX_DIGITS:,}. Fewer digits train faster and learn "
                "less. The test digits are all used.",
            )
        with layer_col:
            st.markdown("**Layers**")
            filters = st.text_input(
                "Kernels per conv block",
                value="32",
                key="train_filters",
                help="One number per conv block, 1 to 3 blocks. '32' is the article's model; "
                "'16, 32' adds a second conv block with 32 kernels.",
            )
            kernel_size = st.slider("Kernel size (pixels a side)", 1, 9, 3, key="train_kernel")
            pooling = st.radio(
                "Pooling after each conv layer",
                POOLINGS,
                horizontal=True,
                key="train_pooling",
                help="A 2×2 window moved in steps of 2: each side of the maps halves.",
            )
            dense_units = st.number_input(
                "Neurons in the dense layer", value=256, key="train_dense_units", help="1 to 4096."
            )
        with learn_col:
            st.markdown("**Learning**")
            optimizer = st.selectbox(
                "Optimizer", OPTIMIZERS, format_func=OPTIMIZER_NAMES.get, key="train_optimizer"
            )
            learning_rate = st.number_input(
                "Learning rate",
                value=0.001,
                step=0.0005,
                format="%.5f",
                key="train_learning_rate",
                help="Above 0, at most 1. Adam's default is 0.001.",
            )
            loss = st.radio(
                "Loss", LOSSES, format_func=LOSS_NAMES.get, horizontal=True, key="train_loss"
            )
        with plan_col:
            st.markdown("**Schedule**")
            batch_size = st.number_input(
                "Batch size", value=32, key="train_batch_size", help="1 to 4096."
            )
            epochs = st.slider("Epochs", 1, 20, 5, key="train_epochs")
            seed = st.number_input(
                "Random seed", value=0, key="train_seed", help="Same seed, same curves."
            )
        left, right = st.columns(2)
        with left:
            st.form_submit_button("Apply settings", key="train_apply", width="stretch")
        with right:
            start = st.form_submit_button(
                "Train", type="primary", key="train_start", width="stretch"
            )
    settings = {
        "source": source,
        "limit": int(limit),
        "filters": filters,
        "kernel_size": int(kernel_size),
        "pooling": pooling,
        "dense_units": int(dense_units),
        "optimizer": optimizer,
        "learning_rate": float(learning_rate),
        "loss": loss,
        "batch_size": int(batch_size),
        "epochs": int(epochs),
        "seed": int(seed),
    }
    return settings, start


def make_spec(settings: dict) -> ModelSpec:
    """The model spec for the form's values; raises ValueError with a message to show.

    The message starts with the control's label, so the visitor knows which box to change.
    """
    limit = settings["limit"]
    if not MIN_DIGITS <= limit <= MAX_DIGITS:
        raise ValueError(
            f"{LABELS['limit']}: must be a whole number from {MIN_DIGITS} to {MAX_DIGITS:,}. "
            f"Received: {limit:,}."
        )
    fields = {k: v for k, v in settings.items() if k not in ("source", "limit")}
    try:
        fields["filters"] = parse_filters(settings["filters"])
        return ModelSpec(**fields)
    except ValueError as error:
        name = str(error).partition("`")[2].partition("`")[0]
        if name not in LABELS:
            raise
        raise ValueError(f"{LABELS[name]}: {error}") from None


def without_code_marks(message: str) -> str:
    """A core message without the backticks around argument names, which ``plain`` would show.

    Only before "Received:": what follows echoes the visitor's text, shown as typed.

    >>> without_code_marks("`filters` must be numbers. Received: filters='`8`'.")
    "filters must be numbers. Received: filters='`8`'."
    """
    rule, mark, received = message.partition(" Received: ")
    return rule.replace("`", "") + mark + received


def show_cost(cost: Cost, limits: TrainingLimits) -> None:
    """The estimate of what training this spec costs, beside the limits it must stay under."""
    st.caption(
        f"Estimated cost of this training: **{cost.parameters:,} parameters** (at most "
        f"{limits.max_parameters:,}) · about **{cost.peak_bytes / 2**20:,.0f} MB** of memory "
        f"(at most {limits.max_memory_mb:,} MB) · about "
        f"**{format_duration(cost.seconds_per_epoch)} per epoch**, "
        f"{format_duration(cost.seconds)} in all (at most {format_duration(limits.max_seconds)})."
        " Estimates from the layer sizes, for this server."
    )


def show_data(data) -> None:
    """Say which digits are in use, how many, and why."""
    text = (
        f"**Data: {data.name}**, using {len(data.x_train):,} training and "
        f"{len(data.x_test):,} test digits. {data.reason}"
    )
    if data.fallback:
        st.warning(text, icon=":material/wifi_off:")
    else:
        st.info(text, icon=":material/dataset:")


def show_architecture(spec: ModelSpec) -> None:
    """The layer table and the Keras code that builds this model."""
    st.subheader("The model these settings build")
    st.markdown(
        "Each conv layer slides its kernels over the image (a cross-correlation, as Keras "
        "computes it), pooling keeps the strongest response in each 2×2 window, and the dense "
        "layers turn the flattened maps into ten probabilities, one per digit."
    )
    rows = [
        {
            "layer": row.name,
            "type": row.kind,
            "output shape": " × ".join(str(n) for n in row.output_shape),
            "parameters": row.params,
        }
        for row in architecture(spec)
    ]
    st.dataframe(
        [
            {
                "layer": "input",
                "type": "28×28 grey pixels",
                "output shape": "28 × 28 × 1",
                "parameters": 0,
            }
        ]
        + rows,
        hide_index=True,
        column_config={"parameters": st.column_config.NumberColumn(format="localized")},
    )
    st.markdown(f"Parameters: **{total_parameters(spec):,}** (all trainable)")
    with st.expander("The Keras code for this model: copy it, run it, get the same model"):
        st.code(keras_code(spec) + "\n" + training_code(spec), language="python")


def run_training(spec: ModelSpec, data) -> None:
    """Train a fresh model for ``spec``, live; keep it in the session even if stopped early."""
    stop_area = st.empty()
    stop_area.button("Stop training", key="train_stop", icon=":material/stop_circle:")
    view = LiveView(st.empty(), st.empty(), st.empty())
    box = session_model_box()
    outcome: list[TrainedModel] = []

    def keep(trained: TrainedModel) -> None:  # no Streamlit calls: see SessionModel
        outcome.append(trained)
        box.trained, box.lost = trained, None

    def lost(run, why: str) -> None:  # no Streamlit calls either
        box.lost = (run, why)

    try:
        train_live(spec, data, view, keep, lost=lost)
    except Exception as error:  # a failed training: say it, keep the page and the old model
        st.error(f"Training failed: {plain(str(error), MAX_MESSAGE)}")  # the worker's text
    stop_area.empty()
    view.progress.empty()
    view.chart.empty()
    run = outcome[0].run if outcome else None
    if run is not None and run.status == "finished":
        view.status.success(
            f"Training finished: {run.epochs} of {run.epochs_text()} in {run.elapsed:.1f} s. "
            "The results are below."
        )
    else:
        view.status.empty()


def show_lost(run, why: str, *, earlier: bool) -> None:
    """Say plainly that the last training ended without a model, and show how far it got."""
    kept = (
        "Your earlier model, below, stays in use."
        if earlier
        else "The other pages keep using the default model."
    )
    where = stopped_text(run) if run is not None and run.step else "Stopped before any batch"
    st.warning(f"{where}, but nothing could be kept: {why}. {kept}", icon=":material/error:")
    if run is not None and run.step:
        st.plotly_chart(training_curves(run), key="train_lost_curves")


def show_results(trained: TrainedModel | None, data) -> None:
    """Accuracy, curves, confusion matrix, mistakes, kernels and a download of the model."""
    st.subheader("What your model learned")
    lost = get_lost_training()
    if lost is not None:
        show_lost(*lost, earlier=trained is not None)
    if trained is None:
        st.info(
            "Press **Train** to train your own model. Until you do, the other pages use a "
            "default model: the article's CNN trained on the sample."
        )
        return
    run = trained.run
    if run.status == "stopped":
        why = f" ({run.reason})" if run.reason else ""
        st.warning(
            f"{stopped_text(run)}{why}. The model keeps what it learned so far.",
            icon=":material/stop_circle:",
        )
    scores = trained.evaluation
    st.markdown(
        f"Test accuracy: **{scores.accuracy:.1%}** ({len(scores.true):,} test digits the model "
        f"never trained on), after {run.epochs_text()} on {trained.data_name}."
    )
    cols = st.columns(4)
    cols[0].metric("Test accuracy", f"{scores.accuracy:.1%}")
    trained_epochs = run.epochs_text().removesuffix(" epochs").removesuffix(" epoch")
    cols[1].metric("Epochs trained", f"{trained_epochs} of {run.epochs}")
    cols[2].metric("Training time", f"{run.elapsed:.1f} s")
    cols[3].metric("Speed", f"{run.samples_per_second:,.0f} digits/s")
    st.plotly_chart(training_curves(run), key="train_curves")

    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(
            "**Confusion matrix**: how often each digit (row) was read as each (column). The "
            "numbers are counts of test digits; the colour is each count's share of its row, "
            "the row percentage (hover for it), so a digit with fewer test images is not paler."
        )
        st.plotly_chart(confusion_figure(scores.confusion), key="train_confusion")
    with right:
        wrong = scores.wrong[:MAX_WRONG_SHOWN]
        st.markdown(
            f"**Mistakes**: {len(scores.wrong):,} test digits read wrong; the "
            f"{len(wrong)} most confident shown as true → predicted (probability)"
        )
        titles = [
            f"{scores.true[i]} → {scores.predicted[i]} ({scores.probabilities[i].max():.0%})"
            for i in wrong
        ]
        if titles:
            images = scores.wrong_images[: len(wrong)]
            st.plotly_chart(digit_grid(images, titles, cols=4), key="train_mistakes")

    kernels = first_layer_kernels(trained.weights)
    size = kernels.shape[1]
    st.markdown(
        f"**The first layer's {len(kernels)} learned kernels** ({size}×{size} weights each). "
        "Red weights add where the digit's ink is, blue ones subtract: many turn into small "
        "edge and stroke detectors, the local features of the article."
    )
    st.plotly_chart(kernel_grid(kernels), key="train_kernels")
    st.download_button(
        "Download the trained model (.keras)",
        data=lambda: model_bytes(trained.model),
        file_name="cnnviz-model.keras",
        mime="application/octet-stream",
        on_click="ignore",
        key="train_download",
        icon=":material/download:",
        help="Load it with keras.models.load_model('cnnviz-model.keras') to predict or to "
        "train further (the optimizer starts its running averages afresh).",
    )


ensure_app_navigation()
st.title("Train a CNN on handwritten digits")
st.markdown(
    "Build the article's network in Keras, train it on MNIST and watch it learn: the loss falls, "
    "the accuracy climbs, and the first layer's kernels become stroke detectors. The layers and "
    "the exact Keras code of your model are at the bottom of the page."
)
settings, start = settings_form()
limits = training_limits()
try:
    spec = make_spec(settings)
    data = get_dataset(settings["source"]).subset(settings["limit"])
    show_cost(check_limits(spec, len(data.x_train), len(data.x_test), limits), limits)
    refused = False
except LimitError as error:  # a valid spec, too big for this server: still show its layers
    st.error(
        f"This training is beyond what this server allows. {error} Change the settings above, "
        "then press **Train**."
    )
    start, refused = False, True
except ValueError as error:  # next to the form, so that Train never silently does nothing
    st.error(plain(without_code_marks(str(error)), MAX_MESSAGE))  # it may echo the visitor's text
    spec, refused = None, False
if spec is None:
    data = get_dataset(settings["source"]).subset(
        max(MIN_DIGITS, min(settings["limit"], MAX_DIGITS))
    )
show_data(data)
if spec is not None and not refused:  # a refused spec is not offered Train: the error says why
    st.subheader("Training")
    if start:
        run_training(spec, data)
    else:
        wait_for_training_to_end()  # a training this session just stopped counts as ended
        pool = get_trainer_pool()
        pool.warm()  # TensorFlow loads in a worker while the visitor reads: Train starts at once
        slots = pool.slots
        st.caption(
            f"Trainings running on this server right now: {slots.busy} of at most {slots.limit}. "
            "Press **Train** to start yours; **Stop** ends it early and keeps what it learned."
        )
show_results(get_session_model(), data)
if spec is not None:
    show_architecture(spec)
