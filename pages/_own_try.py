"""The "Your own classes" page's last two sections: try the model, measure augmentation.

Kept in this session only: the picture to try (bytes) and its reading, and the measurement's
two models with what they were measured for (a change of pictures, classes or model clears it).
"""

from __future__ import annotations

import streamlit as st

from cnnviz.lessons import own as lesson
from cnnviz.pictures import ImageError
from pages import _own_controls as controls
from pages._models import train_with_stop
from pages._own_controls import OwnModel
from pages._text import plain
from pages._ui import show_image as show

MEASURE_KEY, TRY_KEY, TRY_VIEW_KEY = "own_measure", "own_try", "own_try_view"


def try_it(box: OwnModel) -> None:
    """A new snapshot or file through the model: probabilities, where it looks, its maps."""
    if box.trained is None:
        st.info(lesson.NO_MODEL_TEXT)
        return
    st.markdown(lesson.TRY_TEXT)
    camera, upload = st.columns(2, gap="large")
    if camera.toggle("Use my camera", key="own_try_camera_on", help=lesson.CAMERA_SWITCH):
        camera.camera_input("A new snapshot", key="own_try_camera", on_change=_pick,
                            args=("camera",))  # fmt: skip
    upload.file_uploader("…or a picture file", type=list(controls.UPLOAD_TYPES),
                         key="own_try_file", on_change=_pick, args=("file",),
                         max_upload_size=lesson.MAX_FILE_BYTES // 10**6)  # fmt: skip
    data = st.session_state.get(TRY_KEY)
    if data is None:
        return
    memo = st.session_state.get(TRY_VIEW_KEY)  # (model, picture, view): 0.6 s, once per pair
    if memo is not None and memo[0] is box.trained and memo[1] == data:
        view = memo[2]
    else:
        try:
            view = lesson.try_view(box.trained, box.classes, data)
        except ImageError as error:
            st.error(f"That picture could not be read: {plain(str(error), 200)}")
            return
        st.session_state[TRY_VIEW_KEY] = (box.trained, data, view)
    seen, bars = st.columns([1, 2], gap="large")
    show(seen, view.reading.picture, caption="What the network got")
    bars.markdown(f"{view.reading.headline} **{plain(view.reading.answer)}**")
    bars.plotly_chart(view.reading.probabilities, key="own_try_bars")
    st.markdown(view.inside_text)
    show(st, view.inside)
    st.markdown(view.maps_text)
    show(st, view.maps)


def _pick(source: str) -> None:
    """Keep the newest picture to try (a snapshot or a file) as bytes in the session."""
    chosen = st.session_state.get("own_try_camera" if source == "camera" else "own_try_file")
    if chosen is not None:
        st.session_state[TRY_KEY] = chosen.getvalue()


def measure(plan: lesson.TrainingPlan, pictures: lesson.PictureSet) -> None:
    """Train without and with shifts, test both on moved held-out pictures, show both."""
    st.markdown(lesson.MEASURE_TEXT.format(pixels=lesson.MEASURE_PIXELS))
    if plan.spec is None:
        st.caption("Add pictures first: the measurement needs a held-out split.")
        return
    done = st.session_state.setdefault(MEASURE_KEY, {})
    made_for = lesson.measured_for(pictures, plan.spec)
    if done and done.get("for") != made_for:  # measured for other pictures or another model
        done.clear()
        st.caption(lesson.MEASURE_STALE)
    if st.button("Measure augmentation", key="own_measure_start", icon=":material/science:"):
        done.clear()
        done["for"] = made_for
        data = lesson.dataset(plan)
        for name, shift in (("without", 0), ("with", lesson.MEASURE_SHIFT)):
            spec = plan.spec.replace(shift=shift, flip=False)
            status = train_with_stop(
                spec, data, lambda trained, n=name: done.update({n: trained}),
                lambda run, why: None, stop="Stop measuring", stop_key=f"own_measure_stop_{name}",
                failed="Training failed",
            )  # fmt: skip
            status.empty()
        done["data"] = data
        if {"without", "with"} <= done.keys():  # both trained (a Stop may have ended one)
            done["view"] = lesson.measure_view(done["without"], done["with"], data)
    if "view" in done:
        view = done["view"]
        for column, (label, value) in zip(st.columns(4), view.metrics, strict=True):
            column.metric(label, value)
        st.markdown(view.text)
    elif done:  # started for these pictures, but a Stop (or a failure) ended it
        st.warning(lesson.MEASURE_STOPPED, icon=":material/stop_circle:")
