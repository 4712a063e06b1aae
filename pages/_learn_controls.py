"""The Learn page's controls and its session: the model being taught, the step's settings.

Each function draws its controls and returns plain values. The settings are declared once
(:data:`SETTINGS`, all in the link) and kept (``pages._state.keep``) just before their
widgets are drawn. The model being taught and the steps it took (a
:class:`~cnnviz.lessons.learn.Learner`) live in ``st.session_state``: each visitor's own.
The buttons that take steps run as callbacks, before the page is drawn, so the page shows
the model after them.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.worker import TrainingError
from cnnviz.lessons import learn as lesson
from cnnviz.lessons.learn import Learner, Preview
from pages._models import get_dataset, get_default_model, get_session_model
from pages._state import Setting, keep, one_of, put, whole_number

PAGE = "learn"
LEARNER = "learn_learner"  # (source, seed, trained, Learner): the model taught, its steps
PREVIEW = "learn_preview"  # (learner, settings, Preview): the next step as shown, once per state
SLOPE = "learn_slope"  # (learner, batch digits, kernel, cell, SlopeView): the curve, once each
RATES = [lesson.rate_text(r) for r in lesson.RATES]

SETTINGS = {setting.key: setting for setting in [
    Setting("learn_model", "fresh", "model", one_of(list(lesson.SOURCES)), "model"),
    Setting("learn_seed", lesson.DEFAULT_SEED, "seed", whole_number(0, lesson.MAX_SEED), "seed"),
    Setting("learn_batch", lesson.DEFAULT_BATCH, "batch", whole_number(1, lesson.MAX_BATCH),
            "batch size"),
    Setting("learn_optimizer", "sgd", "optimizer", one_of(list(lesson.OPTIMIZERS)), "optimizer"),
    Setting("learn_rate", lesson.rate_text(lesson.DEFAULT_RATE["sgd"]), "rate", one_of(RATES),
            "learning rate"),
    Setting("learn_digit", 1, "digit", whole_number(1, lesson.MAX_BATCH), "digit of the batch"),
    Setting("learn_kernel", lesson.DEFAULT_KERNEL, "kernel", whole_number(1, 256), "kernel number"),
    Setting("learn_weight", lesson.DEFAULT_WEIGHT, "weight", whole_number(0, 80),
            "weight of the kernel"),
]}  # fmt: skip


def _keep(*keys: str) -> None:
    keep(PAGE, [SETTINGS[key] for key in keys])


def link_values() -> dict[str, object]:
    """The settings in use, by link parameter."""
    return {s.param: st.session_state.get(s.key, s.default) for s in SETTINGS.values()}


# --- the model being taught -----------------------------------------------------------------


def model_ui() -> Learner:
    """Choose the model to teach; reset it; return the session's learner for that choice."""
    _keep("learn_model", "learn_seed")
    source = st.radio(
        "Model to teach", list(lesson.SOURCES), format_func=lesson.SOURCES.get,
        key="learn_model", horizontal=True,
    )  # fmt: skip
    trained = None
    if source == "yours":
        trained = get_session_model()
        if trained is None:
            st.warning(
                "You have not trained a model on the Train page in this session yet, so a "
                "fresh one is taught instead.", icon=":material/info:",
            )  # fmt: skip
            source = "fresh"
        elif (refusal := lesson.too_large_to_teach(trained.spec)) is not None:
            st.warning(refusal, icon=":material/info:")
            trained, source = None, "fresh"
    elif source == "default":
        try:
            trained = get_default_model()
        except TrainingError as error:
            st.error(f"The default model could not be prepared: {error} A fresh one is taught.")
            source = "fresh"
    seed_place, reset_place = st.columns([2, 1], vertical_alignment="bottom")
    seed = seed_place.number_input(
        "Seed of the random starting weights", 0, lesson.MAX_SEED, key="learn_seed",
        disabled=source != "fresh", help="The same seed gives the same starting weights.",
    )  # fmt: skip
    reset_place.button(
        "Reset to random weights", key="learn_reset", icon=":material/restart_alt:",
        on_click=_reset, width="stretch",
    )  # fmt: skip
    seed = int(seed) if source == "fresh" else None
    kept = st.session_state.get(LEARNER)
    # The model itself is kept beside its learner, so a new training is a new model (`is`).
    if kept is None or kept[:2] != (source, seed) or kept[2] is not trained:
        learner = lesson.start(source, seed or 0, trained)
        kept = st.session_state[LEARNER] = (source, seed, trained, learner)
    return kept[3]


def _reset() -> None:
    """Fresh random weights with the seed shown, no steps taken."""
    put(PAGE, {"learn_model": "fresh"})
    st.session_state.pop(LEARNER, None)


# --- the step's settings --------------------------------------------------------------------


def step_settings_ui() -> tuple[int, float, str]:
    """Digits per batch, optimizer and learning rate."""
    _keep("learn_batch", "learn_optimizer", "learn_rate")
    size_place, optimizer_place, rate_place = st.columns([1, 1, 1.4])
    size = size_place.slider("Digits per batch", 1, lesson.MAX_BATCH, key="learn_batch")
    optimizer = optimizer_place.radio(
        "Optimizer", list(lesson.OPTIMIZERS), format_func=lesson.OPTIMIZERS.get,
        key="learn_optimizer", on_change=_optimizer_changed, horizontal=True,
    )  # fmt: skip
    rate = rate_place.select_slider(
        "Learning rate", RATES, key="learn_rate",
        help="Too large and a step jumps past the valley's floor: the loss goes up.",
    )  # fmt: skip
    return int(size), float(rate), optimizer


def _optimizer_changed() -> None:
    """Each optimizer starts at its own usual rate (SGD 0.1 here, Adam's default 0.001)."""
    rate = lesson.DEFAULT_RATE[st.session_state["learn_optimizer"]]
    put(PAGE, {"learn_rate": lesson.rate_text(rate)})


def preview(learner: Learner, size: int, rate: float, optimizer: str) -> Preview:
    """The next step for these settings, computed once per learner and settings."""
    settings = (size, rate, optimizer)
    kept = st.session_state.get(PREVIEW)
    if kept is None or kept[0] is not learner or kept[1] != settings:
        data = get_dataset("sample")
        next_step = lesson.preview(learner, data, size, rate, optimizer)
        kept = st.session_state[PREVIEW] = (learner, settings, next_step)
    return kept[2]


def slope_curve(learner: Learner, p: Preview, kernel: int, cell: int) -> lesson.SlopeView:
    """The loss-vs-weight curve (24 forward passes of the batch), computed once per learner,
    batch and weight: not again when the visitor moves an unrelated control."""
    key = (tuple(p.indices.tolist()), kernel, cell)
    kept = st.session_state.get(SLOPE)
    if kept is None or kept[0] is not learner or kept[1] != key:
        kept = st.session_state[SLOPE] = (learner, key, lesson.slope_view(learner, p, kernel, cell))
    return kept[2]


def step_buttons() -> None:
    """Take one step, take ten: callbacks, so the page is then drawn after them."""
    one, ten = st.columns(2)
    one.button(
        "Take one step", key="learn_step", icon=":material/footprint:", type="primary",
        on_click=_take, args=(1,), width="stretch",
    )  # fmt: skip
    ten.button(
        "Take ten steps", key="learn_ten", icon=":material/fast_forward:",
        on_click=_take, args=(10,), width="stretch",
    )  # fmt: skip


def _take(count: int) -> None:
    state = st.session_state
    *origin, learner = state[LEARNER]
    size, rate, optimizer = (
        int(state["learn_batch"]),
        float(state["learn_rate"]),
        state["learn_optimizer"],
    )
    data = get_dataset("sample")
    for _ in range(count):  # each step computed once; the page then previews the next
        learner = lesson.take(learner, data, size, rate, optimizer)
    state[LEARNER] = (*origin, learner)


# --- what to look at ------------------------------------------------------------------------


def digit_ui(size: int) -> int:
    """Which digit of the batch (1 to ``size``) whose answer is scored; returns 0-based."""
    _keep("learn_digit")
    if st.session_state["learn_digit"] > size:
        put(PAGE, {"learn_digit": size})
    if size == 1:
        return 0
    return int(st.slider("Digit of the batch", 1, size, key="learn_digit")) - 1


def weight_ui(learner: Learner) -> tuple[int, int]:
    """Which first-layer kernel (0-based) and which of its weights (row by row)."""
    k, _, _, count = learner.weights[0].shape
    _keep("learn_kernel", "learn_weight")
    for key, high in {"learn_kernel": count, "learn_weight": k * k - 1}.items():
        if st.session_state[key] > high:
            put(PAGE, {key: high})
    kernel_place, weight_place = st.columns(2)
    kernel = kernel_place.number_input(
        f"First-layer kernel (1 to {count})", 1, count, key="learn_kernel"
    )
    weight = weight_place.selectbox(
        "One of its weights", list(range(k * k)), key="learn_weight",
        format_func=lambda i: f"row {i // k}, column {i % k}",
    )  # fmt: skip
    return int(kernel) - 1, int(weight)
