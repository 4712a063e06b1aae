"""Your own classes: name a few classes, give pictures of each, train the CNN on them, look inside.

The pictures live in this session only (``pages/_own_controls.py`` keeps and changes them);
everything shown comes from :mod:`cnnviz.lessons.own`; the trainings run in workers through
the Train page's helpers (``pages/_models.py``). This file only draws, top to bottom as the story
goes: classes → pictures → what the network sees → split → train → results → try → measure.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.learning.training import TrainedModel
from cnnviz.lessons import own as lesson
from cnnviz.lessons.train import slots_text
from pages import _own_controls as controls
from pages import _own_try as trying
from pages._models import get_trainer_pool, train_with_stop, wait_for_training_to_end
from pages._own_controls import OwnModel
from pages._registry import ensure_app_navigation
from pages._state import Setting, keep, on_off, one_of, to_link, whole_number
from pages._text import plain
from pages._ui import show_image as show

PAGE = "own"
SETTINGS = [
    Setting("own_channels", "grayscale", "channels", one_of(list(lesson.CHANNELS)), "channels"),
    Setting(
        "own_shift", lesson.DEFAULT_SPEC.shift, "shift", whole_number(0, lesson.MAX_SHIFT), "shift"
    ),
    Setting("own_flip", False, "flip", on_off, "mirroring switch"),
    Setting(
        "own_layers", next(iter(lesson.LAYERS)), "layers", one_of(list(lesson.LAYERS)), "layers"
    ),
    Setting("own_head", lesson.DEFAULT_SPEC.head, "head", one_of(list(lesson.HEADS)), "head"),
    Setting(
        "own_epochs", lesson.DEFAULT_SPEC.epochs, "epochs", whole_number(*lesson.EPOCHS), "epochs"
    ),
]


def main() -> None:
    ensure_app_navigation()
    st.title("Your own classes")
    st.markdown(lesson.INTRO)
    st.caption(f"{lesson.PRIVACY_TEXT} {lesson.limits_text(controls.upload_mb())}")
    keep(PAGE, SETTINGS)
    pictures = controls.picture_set()

    st.header("1. Name your classes", anchor=False)
    controls.classes_ui(pictures)
    st.header("2. Add pictures", anchor=False)
    controls.add_ui(pictures)
    controls.show_notes()
    st.header("3. Your pictures", anchor=False)
    controls.overview_ui(pictures)

    st.header("4. How the network sees them", anchor=False)
    settings = {name.removeprefix("own_"): st.session_state[name] for name in _keys()}
    show_preparation(pictures, settings)
    to_link({s.param: st.session_state[s.key] for s in SETTINGS})

    st.header("5. Train", anchor=False)
    plan = lesson.training_plan(pictures, settings)
    model_settings()
    box = st.session_state.setdefault(controls.MODEL_KEY, OwnModel())
    if plan.spec is None:
        st.warning(plain(plan.text, 600), icon=":material/photo_library:")  # names in it
    else:
        st.markdown(plan.text)
        st.caption(plan.summary)
        if st.button("Train", key="own_train", type="primary", icon=":material/play_arrow:"):
            train(box, plan, pictures.classes)
        else:
            wait_for_training_to_end()  # a training this session just stopped counts as ended
            pool = get_trainer_pool()
            pool.warm()  # TensorFlow loads in a worker while the visitor reads
            st.caption(slots_text(pool.slots.busy, pool.slots.limit))
    wait_for_training_to_end()  # never read a model that a stopped training still hands over
    show_results(box, pictures.classes)

    st.header("6. Try it", anchor=False)
    trying.try_it(box)
    st.header("7. Does augmentation help?", anchor=False)
    trying.measure(plan, pictures)


def _keys() -> list[str]:
    return [s.key for s in SETTINGS]


def show_preparation(pictures: lesson.PictureSet, settings: dict) -> None:
    """Channels, augmentation, and the pictures as the network gets them."""
    left, right = st.columns(2, gap="large")
    left.radio("The network sees", list(lesson.CHANNELS), key="own_channels", horizontal=True)
    right.slider("Random shifts while training (pixels, 0 = none)", 0, lesson.MAX_SHIFT,
                 key="own_shift")  # fmt: skip
    right.toggle("Mirror left to right at random", key="own_flip")
    view = lesson.prepared_view(
        pictures, lesson.CHANNELS[settings["channels"]], settings["shift"], settings["flip"]
    )
    st.markdown(view.text)
    row(view.pictures, plain_captions=True)
    st.markdown(lesson.AUGMENT_TEXT)
    row(view.augmented, plain_captions=False)


def row(pictures, *, plain_captions: bool) -> None:
    """Pictures in a row that wraps (on a phone too), each with its caption."""
    if pictures:
        captions = [plain(c, 30) if plain_captions else c for _, c in pictures]
        show(st, [png for png, _ in pictures], caption=captions, width=150)


def model_settings() -> None:
    """The model's layers, head and epochs (the rest are the Train page's defaults)."""
    layers, head, epochs = st.columns([1, 2, 1])
    layers.selectbox("Kernels per conv block", list(lesson.LAYERS), key="own_layers")
    head.radio("After the last conv block", list(lesson.HEADS), format_func=lesson.HEADS.get,
               key="own_head")  # fmt: skip
    epochs.slider("Epochs", *lesson.EPOCHS, key="own_epochs")


def train(box: OwnModel, plan: lesson.TrainingPlan, classes: tuple[str, ...]) -> None:
    """One training of the plan, live, under Stop; the model kept with the class names."""

    def keep_model(trained: TrainedModel) -> None:  # no Streamlit calls: see SessionModel
        box.trained, box.lost, box.classes = trained, None, classes

    def lost(run, why: str) -> None:  # no Streamlit calls either
        box.lost = (run, why)

    status = train_with_stop(
        plan.spec, lesson.dataset(plan), keep_model, lost,
        stop="Stop training", stop_key="own_stop", failed="Training failed",
    )  # fmt: skip
    status.empty()


def show_results(box: OwnModel, current: tuple[str, ...]) -> None:
    """Held-out accuracy, curves and the confusion matrix with the class names."""
    if box.lost is not None:
        st.warning(f"The last training kept nothing: {plain(box.lost[1], 200)}")
    if box.trained is None:
        st.info(lesson.NO_MODEL_TEXT)
        return
    view = lesson.results(box.trained, box.classes, current)
    for warning in (view.stale, view.stopped):
        if warning is not None:
            st.warning(warning, icon=":material/info:")
    st.markdown(view.accuracy)
    st.plotly_chart(view.curves, key="own_curves")
    words, confusion = st.columns([1, 2], gap="large")
    words.markdown(view.confusion_text)
    confusion.plotly_chart(view.confusion, key="own_confusion")


main()
