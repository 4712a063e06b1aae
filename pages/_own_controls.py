"""The "Your own classes" page's controls: the visitor's picture set and the ways to change it.

The set (:class:`cnnviz.lessons.own.PictureSet`) lives in ``st.session_state`` only: this
browser tab's session, never a file or a shared cache. Every change is a widget callback that
asks the lesson for the new set and keeps the lesson's messages for the page to show; visitor
text (class and file names) is shown with ``plain`` only.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.lessons import own as lesson
from cnnviz.pictures.images import UPLOAD_TYPES
from pages._models import SessionModel
from pages._text import plain
from pages._ui import show_image as show

SET_KEY = "own_set"
MODEL_KEY = "own_model"  # an OwnModel: the visitor's model for their classes (the talk reads it)
NOTES_KEY = "own_notes"  # (kind, message) of the last change: "error", "warning" or "success"
SEEN_KEY = "own_seen"  # file ids of uploads and snapshots already taken (each counted once)
MAX_SHOWN = 300  # characters of one message shown
MAX_NOTES = 8


class OwnModel(SessionModel):
    """The visitor's model for their classes: :class:`SessionModel` and the class names it
    was trained for (set by the training's callback, with the model: no Streamlit call)."""

    classes: tuple[str, ...] = ()


def upload_mb() -> int:
    """The server's upload limit in megabytes (``server.maxUploadSize``): no file is larger."""
    return int(st.get_option("server.maxUploadSize"))


def picture_set() -> lesson.PictureSet:
    """This visitor's pictures (an empty set with two classes on the first visit)."""
    return st.session_state.setdefault(SET_KEY, lesson.PictureSet())


def _put(pictures: lesson.PictureSet, notes: list[tuple[str, str]]) -> None:
    st.session_state[SET_KEY] = pictures
    st.session_state[NOTES_KEY] = notes
    for key in [k for k in st.session_state if str(k).startswith(("own_name_", "own_pick_"))]:
        del st.session_state[key]  # name boxes and remove menus start again from the new set


def _refused(error: lesson.ChangeRefused) -> None:
    text = str(error) if error.name is None else f"{error} {error.name}"
    st.session_state[NOTES_KEY] = [("error", text)]


def _taken(added: int, problems: tuple[str, ...]) -> list[tuple[str, str]]:
    notes = [("warning", problem) for problem in problems[:MAX_NOTES]]
    if len(problems) > MAX_NOTES:
        notes.append(("warning", f"… and {len(problems) - MAX_NOTES} more files not taken."))
    if added:
        notes.insert(0, ("success", f"Added {added} picture{'s' if added != 1 else ''}."))
    return notes


def show_notes() -> None:
    """The messages of the last change, each shown literally (they name the visitor's files)."""
    for kind, text in st.session_state.get(NOTES_KEY, []):
        getattr(st, kind)(plain(text, MAX_SHOWN))


# --- classes -------------------------------------------------------------------------------------


def classes_ui(pictures: lesson.PictureSet) -> None:
    """A name box per class (renamed on Enter), and a box and button to add a class."""
    columns = st.columns(3)
    for i, name in enumerate(pictures.classes):
        key = f"own_name_{i}"
        st.session_state.setdefault(key, name)
        columns[i % 3].text_input(
            f"Class {i + 1}", key=key, max_chars=lesson.MAX_NAME, on_change=_rename, args=(i,)
        )
    box, button = st.columns([3, 1], vertical_alignment="bottom")
    box.text_input(
        "New class",
        key="own_new_class",
        max_chars=lesson.MAX_NAME,
        placeholder="e.g. cup",
        disabled=len(pictures.classes) >= lesson.MAX_CLASSES,
    )
    button.button(
        "Add class",
        key="own_add_class",
        on_click=_add_class,
        width="stretch",
        icon=":material/add:",
        disabled=len(pictures.classes) >= lesson.MAX_CLASSES,
    )


def _rename(i: int) -> None:
    pictures = picture_set()
    try:
        _put(lesson.rename_class(pictures, i, st.session_state[f"own_name_{i}"]), [])
    except lesson.ChangeRefused as error:
        _refused(error)
        st.session_state[f"own_name_{i}"] = pictures.classes[i]


def _add_class() -> None:
    try:
        _put(lesson.add_class(picture_set(), st.session_state.get("own_new_class", "")), [])
        st.session_state["own_new_class"] = ""
    except lesson.ChangeRefused as error:
        _refused(error)


# --- adding pictures -----------------------------------------------------------------------------


def add_ui(pictures: lesson.PictureSet) -> None:
    """Camera, files, zip and the sample set, each in a tab; a class chooser for the first two."""
    names = list(pictures.classes)
    if st.session_state.get("own_target", 0) >= len(names):
        st.session_state["own_target"] = 0
    camera, files, archive, sample = st.tabs(["Camera", "Files", "A zip", "Sample shapes"])
    with camera:
        chooser, shutter = st.columns([1, 2], gap="medium")
        with chooser:
            _target(names, "own_target_camera")
            st.caption(lesson.CAMERA_TEXT)
        if shutter.toggle("Use my camera", key="own_camera_on", help=lesson.CAMERA_SWITCH):
            shutter.camera_input("Take a snapshot: each one is added to the class chosen",
                                 key="own_camera", on_change=_add_snapshot)  # fmt: skip
    with files:
        _target(names, "own_target_files")
        st.file_uploader(
            f"Pictures of that class ({', '.join(t.upper() for t in UPLOAD_TYPES)}), several at "
            "once", type=UPLOAD_TYPES, accept_multiple_files=True, key="own_files",
            on_change=_add_uploads, max_upload_size=lesson.MAX_FILE_BYTES // 10**6,
        )  # fmt: skip
    with archive:
        st.file_uploader("One zip whose top-level folders are the classes", type=["zip"],
                         key="own_zip", on_change=_add_zip, help=lesson.ZIP_HELP,
                         max_upload_size=lesson.zip_limit_mb(upload_mb()))  # fmt: skip
    with sample:
        st.markdown(lesson.SAMPLE_TEXT)
        replaces = lesson.sample_warning(pictures)  # a confirmation when pictures would go
        if replaces is None:
            st.button("Use the sample shapes", key="own_sample", on_click=_use_sample,
                      icon=":material/category:")  # fmt: skip
        else:
            with st.popover("Use the sample shapes", icon=":material/category:"):
                st.warning(replaces)
                st.button("Replace my pictures with them", key="own_sample",
                          on_click=_use_sample, type="primary")  # fmt: skip


def _target(names: list[str], key: str) -> None:
    """Which class new pictures go to (one choice, shared by the camera and the files tabs)."""
    st.session_state[key] = st.session_state.get("own_target", 0)
    st.selectbox(
        "Add to class",
        range(len(names)),
        key=key,
        format_func=lambda i: names[i],
        on_change=lambda: st.session_state.update(own_target=st.session_state[key]),
    )


def _new(files) -> list:
    seen = st.session_state.setdefault(SEEN_KEY, set())
    fresh = [f for f in files if f is not None and f.file_id not in seen]
    seen.update(f.file_id for f in fresh)
    return fresh


def _add(files, names: list[str]) -> None:
    if not files:
        return
    pictures = picture_set()
    label = min(st.session_state.get("own_target", 0), len(pictures.classes) - 1)
    added, problems = lesson.add_files(
        pictures, [(name, f.getvalue()) for name, f in zip(names, files, strict=True)], label
    )
    _put(added, _taken(len(added.pictures) - len(pictures.pictures), problems))


def _add_snapshot() -> None:
    shots = _new([st.session_state.get("own_camera")])
    count = picture_set().next_key + 1
    _add(shots, [f"snapshot {count}" for _ in shots])


def _add_uploads() -> None:
    files = _new(st.session_state.get("own_files") or [])
    _add(files, [f.name for f in files])


def _add_zip() -> None:
    files = _new([st.session_state.get("own_zip")])
    if not files:
        return
    pictures = picture_set()
    try:
        added, problems = lesson.add_zip(pictures, files[0].getvalue())
    except lesson.ChangeRefused as error:
        _refused(error)
        return
    _put(added, _taken(len(added.pictures) - len(pictures.pictures), problems))


def _use_sample() -> None:
    _put(lesson.sample_set(), [("success", lesson.SAMPLE_DONE)])
    st.session_state["own_target"] = 0


# --- the pictures, class by class ----------------------------------------------------------------


def overview_ui(pictures: lesson.PictureSet) -> None:
    """Each class: its name and count, its thumbnails, remove a picture, remove the class."""
    line, views = lesson.overview(pictures)
    st.markdown(line)
    for i, view in enumerate(views):
        with st.container(border=True, key=f"own_class_{i}"):
            head, drop = st.columns([4, 1], vertical_alignment="center")
            head.markdown(f"**{plain(view.name)}** · {view.count_text}")
            with drop.popover("Remove class", icon=":material/delete:", width="stretch"):
                st.markdown(f"{lesson.removal_text(pictures, i)} **{plain(view.name)}**")
                st.button("Remove it", key=f"own_drop_{i}", on_click=_remove_class, args=(i,),
                          type="primary")  # fmt: skip
            if view.thumbnails is None:
                continue
            show(st, view.thumbnails, width="content")
            choices = dict(view.choices)
            pick, remove = st.columns([4, 1], vertical_alignment="bottom")
            pick.selectbox("Picture to remove (numbered left to right, row by row)",
                           list(choices), key=f"own_pick_{i}",
                           format_func=choices.get)  # fmt: skip
            remove.button("Remove", key=f"own_remove_{i}", on_click=_remove_picture, args=(i,),
                          width="stretch")  # fmt: skip


def _remove_class(i: int) -> None:
    try:
        _put(lesson.remove_class(picture_set(), i), [])
    except lesson.ChangeRefused as error:
        _refused(error)
        return
    target = st.session_state.get("own_target", 0)  # "Add to class" keeps its class
    st.session_state["own_target"] = target - 1 if i < target else 0 if i == target else target


def _remove_picture(i: int) -> None:
    key = st.session_state.get(f"own_pick_{i}")
    if key is not None:
        _put(lesson.remove_picture(picture_set(), key), [])
