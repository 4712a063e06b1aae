"""The Talk page's steps: one function per step draws that idea's live widget, nothing else.

Each takes no argument and draws into the page's body; what it shows comes from
:mod:`cnnviz.lessons.talk`, which picks it from the page lessons (convolution, pooling,
inside). Widgets' keys start with ``talk_``; settings here are not kept in the link (the
step is).
"""

from __future__ import annotations

import os

import streamlit as st

from cnnviz.learning.training import TrainedModel, default_model_cached
from cnnviz.learning.worker import TrainingError
from cnnviz.lessons import convolution, learn, pooling
from cnnviz.lessons import talk as lesson
from cnnviz.lessons.train import results
from pages._models import (
    SessionModel,
    get_dataset,
    get_default_model,
    get_trainer_pool,
    train_with_stop,
)
from pages._own_controls import MODEL_KEY as OWN_MODEL_KEY
from pages._room import speaker_room
from pages._ui import show_image as show

NO_BAR = {"displayModeBar": False}


def title() -> None:
    """The app's address, its QR code and the pre-flight line."""
    pool = get_trainer_pool()
    pool.warm()  # the training step's worker loads TensorFlow while the speaker talks
    try:
        url = lesson.public_url(os.environ, st.context.url)
    except ValueError as error:
        st.warning(str(error))
        return
    view = _title(url, default_model_cached(get_dataset("sample")), pool.ready)
    words, code = st.columns([3, 1], vertical_alignment="center")
    with words:
        st.markdown(f"## Follow along: **{view.address}**")
        st.markdown("Scan the code or type the address on a phone or a laptop.")
        (st.success if view.preflight.ok else st.warning)(view.preflight.text)
    show(code, view.qr, caption=view.url, width=260)


def slide() -> None:
    """The window moves one position per slider step; the real numbers of that cell."""
    i = st.slider("Window position", 1, lesson.SLIDE_CELLS, 1, key="talk_slide") - 1
    view = _slide(i)
    pictures, numbers = st.columns([2, 1.5], gap="medium")
    left, middle = pictures.columns(2)
    show(left, view.frame.window, caption="The window on the input", width=270)
    show(middle, view.frame.cells, caption=view.frame.cells_caption, width=270)
    pictures.markdown(view.step.sums.split("\n\n")[0])
    numbers.html(view.step.grids)


def eyes() -> None:
    """The eye detector on the cartoon face, and a threshold."""
    label = "Threshold: a share of the strongest response (%)"
    percent = st.slider(label, 0, 100, 40, step=5, key="talk_eye_threshold")
    eye = _eyes(int(percent))
    a, b, c, d = st.columns([1, 1, 0.4, 1])
    show(a, eye.face, caption="Cartoon face", width=230)
    show(b, eye.feature_map, caption="Eye-detector feature map", width=230)
    show(c, eye.colorbar, width="content")
    show(d, eye.mask, caption=eye.mask_caption, width=230)
    (st.success if eye.found else st.warning)(eye.verdict)


def filters() -> None:
    """One photo and what a chosen kernel makes of it."""
    kernels = list(lesson.FILTER_KERNELS)
    name = st.segmented_control("Kernel", kernels, default=kernels[0], key="talk_filter")
    view = _filter(name or kernels[0])
    left, right, bar = st.columns([1, 1, 0.35])
    show(left, view.picture, caption=f"{lesson.FILTER_PICTURE}, 512 × 512", width=330)
    show(right, view.map.map_picture, caption=f"{name or kernels[0]}: the feature map", width=330)
    show(bar, view.bar, width="content")
    st.caption(view.description)


def pooling_shift() -> None:
    """The article's 8×8 example, moved; the pooled map keeps or changes."""
    choices = list(pooling.ARTICLE_SHIFTS)
    choice = st.segmented_control("Move the picture", choices, default=choices[0], key="talk_shift")
    view, grids = _pooling(choice or choices[0])
    for where, grid, part in zip(st.columns(4), grids, "fgpq"):
        where.markdown(f"**{grid.title}**")
        where.plotly_chart(grid.figure, key=f"talk_art_{part}", config=NO_BAR)
    (st.success if view.comparison.identical else st.warning)(view.summary)


def depth() -> None:
    """The measured curve: change against shift for 1, 2 and 3 stages."""
    view = _depth()
    chart, words = st.columns([2, 1], vertical_alignment="center")
    figure = view.figure
    figure.update_layout(height=400)
    chart.plotly_chart(figure, key="talk_depth_chart", config=NO_BAR)
    words.markdown(view.finding)
    words.caption(f"Measured on {lesson.DEPTH_PICTURE} with the stages “{lesson.DEPTH_STACK}”.")


def dense() -> None:
    """A test digit, the hidden layer's activation pattern, the ten probabilities."""
    trained = _default_model()
    data = get_dataset("sample")
    count = len(data.x_test)
    index = st.number_input("Test digit number", 0, count - 1, 0, key="talk_digit", width=220)
    view = lesson.dense_view(trained, data, int(index))
    digit, hidden, output = st.columns([1, 1.4, 1.4])
    figure = view.forward.input.figure
    figure.update_layout(height=330)
    digit.plotly_chart(figure, key="talk_digit_input", config=NO_BAR)
    for where, section in ((hidden, view.hidden), (output, view.output)):
        key, chart = section.charts[-1]
        chart.update_layout(height=330)
        where.plotly_chart(chart, key=f"talk_{key}", config=NO_BAR)
    st.markdown(view.forward.input.headline.removeprefix("### "))


def learning() -> None:
    """One SGD step at a time on a fresh model: the kernel's weights move, the loss falls."""
    rates = [learn.rate_text(r) for r in lesson.LEARN_RATES]
    rate = st.segmented_control("Learning rate", rates, default=rates[0], key="talk_rate")
    if "talk_learner" not in st.session_state:
        st.session_state["talk_learner"] = learn.start("fresh")
    learner = st.session_state["talk_learner"]
    view = lesson.learn_view(learner, get_dataset("sample"), float(rate or rates[0]))
    grids, chart = st.columns([2, 1], gap="small")
    for place, (title, table) in zip(grids.columns(3), view.step.grids[:2] + view.step.grids[3:]):
        place.markdown(f"**{title}**")
        place.html(table)
    grids.markdown(view.step.losses)
    if view.step.too_large is not None:
        grids.warning(view.step.too_large.split(": ")[0] + ".", icon=":material/trending_up:")
    step, reset = grids.columns(2)
    step.button(
        "Take one step",
        key="talk_learn_step",
        type="primary",
        icon=":material/footprint:",
        on_click=_learn_step,
        args=(view.preview.step,),
        width="stretch",
    )
    reset.button(
        "Start again",
        key="talk_learn_reset",
        icon=":material/restart_alt:",
        on_click=st.session_state.pop,
        args=("talk_learner", None),
        width="stretch",
    )
    if view.history.figure is None:
        chart.markdown(view.history.text)
    else:
        view.history.figure.update_layout(height=330)
        chart.plotly_chart(view.history.figure, key="talk_learn_history", config=NO_BAR)


def _learn_step(step) -> None:
    st.session_state["talk_learner"] = learn.advance(st.session_state["talk_learner"], step)


def train() -> None:
    """A small model trained live, under a Stop button; its score when done."""
    get_trainer_pool().warm()
    box = st.session_state.setdefault("talk_model", SessionModel())
    if st.button("Train live", key="talk_train", icon=":material/play_arrow:", type="primary"):
        status = train_with_stop(
            lesson.TALK_SPEC, get_dataset("sample"), lambda trained: _keep(box, trained),
            lambda run, why: setattr(box, "lost", (run, why)),
            stop="Stop training", stop_key="talk_stop", failed="Training failed",
        )  # fmt: skip
        status.empty()
    if box.trained is None and box.lost is None:
        st.markdown(lesson.train_intro(lesson.TALK_SPEC, len(get_dataset("sample").x_train)))
        return
    view = results(box.trained, box.lost)
    for warning in (view.lost, view.stopped):
        if warning is not None:
            st.warning(warning, icon=":material/stop_circle:")
    if view.curves is not None:
        st.markdown(view.accuracy)
        view.curves.update_layout(height=360)
        st.plotly_chart(view.curves, key="talk_train_curves", config=NO_BAR)


def _keep(box: SessionModel, trained: TrainedModel) -> None:  # no Streamlit calls here
    box.trained, box.lost = trained, None


def inside() -> None:
    """Draw a digit; the default model reads it, beside the canvas."""
    from pages._inside_controls import drawn_digit_ui  # its settings read the MNIST sample

    drawn = drawn_digit_ui()
    # (digit, the place beside the canvas) since issue 14's Inside layout; a digit before it
    digit, slot = drawn if isinstance(drawn, tuple) else (drawn, None)
    if digit is None:
        return
    view = lesson.reading_view(_default_model(), digit)
    with slot or st.container():
        st.markdown(view.headline)
        if view.caution is not None:
            st.warning(view.caution, icon=":material/help:")
        key, chart = view.probabilities
        chart.update_layout(height=260)
        st.plotly_chart(chart, key=f"talk_{key}", config=NO_BAR)


def see() -> None:
    """A test digit covered patch by patch: the occlusion map and the saliency beside it."""
    data = get_dataset("sample")
    count = len(data.x_test)
    index = st.number_input("Test digit number", 0, count - 1, 0, key="talk_see_digit", width=220)
    view = lesson.see_view(_default_model(), data, int(index))
    digit, covered, pushed = st.columns(3)
    show(digit, view.digit, caption=view.caption, width=270)
    show(covered, view.occlusion.occlusion, caption=view.occlusion.legend, width=270)
    show(pushed, view.occlusion.saliency, caption="Gradient × input", width=270)
    st.markdown(view.occlusion.sentence)


def own() -> None:
    """The sample shapes; a new shape read by the visitor's shapes model, if one is ready."""
    box = st.session_state.get(OWN_MODEL_KEY)
    trained = None if box is None else box.trained
    view = lesson.own_view(trained, () if box is None else box.classes)
    shapes, reading = st.columns([3, 2], gap="large")
    show(shapes, view.shapes, caption=view.caption, width=560)
    if view.picture is not None:
        show(reading, view.picture, width=150)
    reading.markdown(view.reading)
    if view.probabilities is not None:
        view.probabilities.update_layout(height=230)
        reading.plotly_chart(view.probabilities, key="talk_own_bars", config=NO_BAR)


def audience() -> None:
    """The room: its code and QR code, then the digits the audience sends, with the score."""
    try:
        url = lesson.public_url(os.environ, st.context.url)
    except ValueError as error:
        st.warning(str(error))
        return
    speaker_room(url)


def _default_model() -> TrainedModel:
    try:
        return get_default_model()
    except TrainingError as error:
        st.error(f"The default model could not be prepared: {error} Reload the page to try again.")
        st.stop()


_title = st.cache_data(show_spinner=False, max_entries=8)(lesson.title_view)
_slide = st.cache_data(show_spinner=False, max_entries=40)(lesson.slide_view)
_eyes = st.cache_data(show_spinner=False, max_entries=32)(convolution.eye_example)
_filter = st.cache_data(show_spinner=False, max_entries=8)(lesson.filter_view)
_pooling = st.cache_data(show_spinner=False)(lesson.pooling_view)
_depth = st.cache_data(show_spinner=False)(lesson.depth_view)

#: Each step's renderer, by the step's key.
RENDERERS = {
    "title": title,
    "slide": slide,
    "eyes": eyes,
    "filters": filters,
    "pooling": pooling_shift,
    "depth": depth,
    "dense": dense,
    "learn": learning,
    "train": train,
    "inside": inside,
    "see": see,
    "own": own,
    "audience": audience,
}
