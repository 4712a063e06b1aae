"""Shared Streamlit controls: the image picker and the kernel editor that every page uses.

Each control takes the page's name as ``page`` and starts every widget key with it
(``conv_image``, ``pool_upload``), so each page keeps its own settings and tests can find every
widget by key. Controls return plain values (arrays and small dataclasses); they never compute.

State: sample images are cached with ``st.cache_data`` (every caller gets its own copy);
what belongs to one visitor — the uploaded image, the last valid kernel — lives in
``st.session_state`` under the page's prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

from cnnviz.maths.kernels import (
    KERNELS,
    MAX_KERNEL_SIZE,
    KernelError,
    check_kernel,
    format_kernel,
    normalise_kernel,
    parse_kernel,
    random_kernel,
    resize_kernel,
)
from cnnviz.maths.pixels import to_grayscale
from cnnviz.pictures import cell_at, picture_bytes, png_bytes, thumbnail, to_uint8, zoom
from cnnviz.pictures.images import (
    SAMPLES,
    UPLOAD_TYPES,
    ImageError,
    load_image,
    sample_image,
)
from pages._state import Setting, keep, one_of, query_value, to_link
from pages._text import file_label, plain

__all__ = [
    "CUSTOM",
    "UPLOAD",
    "KernelChoice",
    "PickedImage",
    "choose_sample",
    "display_picture",
    "image_picker",
    "kernel_picker",
    "pick_cell",
    "set_kernel",
    "show_image",
]

UPLOAD = "Your upload"
DEFAULT_SAMPLE = "Cartoon face"
CUSTOM = "Custom"


@dataclass(frozen=True)
class PickedImage:
    """The image a visitor chose.

    Attributes
    ----------
    name : str
        The sample's name, or the uploaded file's name.
    array : ndarray of float32, shape (H, W) or (H, W, 3)
        Pixel values in [0, 1]; colour images keep their three channels.
    token : str
        Identifies this exact picture (``"sample:Cat"``, ``"upload:<file id>"``).
    notes : tuple of str
        What was done on the way that the visitor should know (shrunk, first frame, ...).
    """

    name: str
    array: np.ndarray = field(repr=False)
    token: str
    notes: tuple[str, ...] = ()

    @property
    def uploaded(self) -> bool:
        return self.token.startswith("upload:")

    @property
    def is_color(self) -> bool:
        return self.array.ndim == 3

    @cached_property
    def gray(self) -> np.ndarray:
        """The picture's brightness, shape (H, W); worked out once per picture."""
        return to_grayscale(self.array)

    def __repr__(self) -> str:
        kind = "upload" if self.uploaded else "sample"
        return f"PickedImage({kind} {self.name!r}, shape {self.array.shape})"


# --- pictures -------------------------------------------------------------------------------


def show_image(where, data: bytes | list[bytes], **kwargs) -> None:
    """``where.image(data)`` for encoded pictures, telling Streamlit the format they are in.

    Without ``output_format``, ``st.image`` re-encodes every PNG it is given as a JPEG
    (quality 90): slower on every run, and blurred edges on enlarged pixels.

    Parameters
    ----------
    where : streamlit module or a container/column
    data : bytes or list of bytes
        PNG or JPEG files (for a list, all in the same format).
    """
    first = data[0] if isinstance(data, list) else data
    fmt = "PNG" if first[:4] == b"\x89PNG" else "JPEG"
    where.image(data, output_format=fmt, **kwargs)


class _Encoded:
    """Encoded picture bytes handed to streamlit-image-coordinates as they are.

    The component re-encodes anything with a ``save`` method (a PIL image: PNG without
    compression by default, several times the bytes); this ``save`` writes the file we have.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    def save(self, fp, **_options) -> None:
        fp.write(self.data)


def _clicked(key: str) -> dict | None:
    """The component's click not handled yet, or None (it reports its last click on every
    rerun until a new one: the last handled click's time is kept in the session)."""
    click, handled = st.session_state.get(key), f"{key}_handled"
    if not click or "x" not in click or click.get("unix_time") == st.session_state.get(handled):
        return None
    st.session_state[handled] = click["unix_time"]
    return click


def _on_cell_click(key: str, shape: tuple[int, int], on_pick: Callable[[int, int], None]) -> None:
    click = _clicked(key)
    if click is not None:
        on_pick(*cell_at((click["x"], click["y"]), (click["height"], click["width"]), shape))


def pick_cell(
    where,
    data: bytes,
    shape: tuple[int, int],
    *,
    key: str,
    on_pick: Callable[[int, int], None],
    width: int | str = "stretch",
) -> None:
    """Show the picture of a map of ``shape`` (H, W); a click on it calls ``on_pick(row, col)``.

    ``data`` is a PNG or JPEG showing exactly the map, edge to edge (any zoom). ``on_pick``
    runs once per click, before the next run draws anything, so it may set the values of
    widgets drawn later (a step-through's row and column boxes).
    """
    with where.container(key=f"{key}_box"):
        streamlit_image_coordinates(
            _Encoded(data),
            width=width,
            key=key,
            image_format="PNG" if data[:4] == b"\x89PNG" else "JPEG",
            on_click=partial(_on_cell_click, key, tuple(shape), on_pick),
            cursor="pointer",
        )


# --- the image picker -----------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _sample(name: str) -> np.ndarray:
    return sample_image(name)


@st.cache_data(show_spinner=False)
def _thumbnails() -> list[bytes]:
    return [png_bytes(thumbnail(sample_image(name), size=96)) for name in SAMPLES]


def _on_thumbnail(page: str, number: int) -> None:
    if _clicked(f"{page}_thumb_{number}") is not None:
        st.session_state[f"{page}_image"] = list(SAMPLES)[number]


def _gallery(page: str) -> None:
    """The samples' thumbnails, each a button: a click chooses that picture."""
    with st.container(horizontal=True, gap="small", key=f"{page}_gallery"):
        for number, (name, data) in enumerate(zip(SAMPLES, _thumbnails())):
            with st.container(width=96, gap=None):
                streamlit_image_coordinates(
                    _Encoded(data),
                    width=96,
                    key=f"{page}_thumb_{number}",
                    on_click=partial(_on_thumbnail, page, number),
                    cursor="pointer",
                )
                st.caption(name)


def _on_upload(page: str) -> None:
    """Read a new upload; on failure keep the previous image and remember the message."""
    uploaded = st.session_state.get(f"{page}_upload")
    if uploaded is None:  # the visitor removed the file: keep using the image already read
        st.session_state[f"{page}_upload_error"] = None
        return
    try:
        loaded = load_image(uploaded.getvalue())
    except ImageError as error:
        # Pillow's messages can quote the file's own bytes: shown as text too.
        message = f"{file_label(uploaded.name)}: {plain(str(error), 300)}"
        st.session_state[f"{page}_upload_error"] = message
        return
    st.session_state[f"{page}_upload_error"] = None
    st.session_state[f"{page}_upload_image"] = PickedImage(
        uploaded.name, loaded.array, f"upload:{uploaded.file_id}", tuple(loaded.notes)
    )
    st.session_state[f"{page}_image"] = UPLOAD


def image_picker(page: str, *, default: str = DEFAULT_SAMPLE, url: bool = True) -> PickedImage:
    """A gallery of the samples, a choice among them and an uploader; returns the chosen image.

    Parameters
    ----------
    page : str
        The page's name; every widget key starts with it (``f"{page}_image"``,
        ``f"{page}_upload"``).
    default : str
        The sample shown first.
    url : bool
        Read the first choice from the ``sample`` query parameter and keep it there, so a
        link reproduces the choice.

    Returns
    -------
    PickedImage

    Notes
    -----
    A file that cannot be read shows ``st.error`` with the reason; the image in use and every
    other setting stay as they were. When "Your upload" is chosen before any file was read,
    the page stops with a hint.
    """
    key = f"{page}_image"
    link = ("sample", one_of(SAMPLES), "sample name") if url else (None, None, "")
    keep(page, [Setting(key, default, *link)])
    _gallery(page)
    choice = st.radio("Image", [*SAMPLES, UPLOAD], key=key, horizontal=True)
    st.file_uploader(
        "…or upload your own picture (PNG, JPEG, WebP, BMP, GIF or TIFF)",
        type=UPLOAD_TYPES,
        key=f"{page}_upload",
        on_change=_on_upload,
        args=(page,),
    )
    error = st.session_state.get(f"{page}_upload_error")
    if error:
        st.error(error)
    if choice == UPLOAD:
        picked = st.session_state.get(f"{page}_upload_image")
        if picked is None:
            st.info("Choose a file with the uploader above to use your own picture.")
            st.stop()
    else:
        picked = PickedImage(choice, _sample(choice), f"sample:{choice}")
    if url:
        to_link({"sample": None if picked.uploaded else choice})  # an upload cannot travel
    for note in picked.notes:
        st.caption(f"ℹ️ {note}")
    return picked


def choose_sample(page: str, name: str) -> None:
    """Make sample ``name`` the page's picture, as if the visitor had chosen it.

    Call it from a widget callback or before :func:`image_picker` runs (Streamlit lets a
    widget's value be set only before the widget is drawn).
    """
    if name not in SAMPLES:
        raise ValueError(f"`name` must be one of {', '.join(SAMPLES)}. Received: name={name!r}.")
    st.session_state[f"{page}_image"] = name


@st.cache_data(show_spinner=False, max_entries=32)
def _sample_picture(name: str, gray: bool, factor: int) -> bytes:
    image = sample_image(name)
    return picture_bytes(zoom(to_uint8(to_grayscale(image) if gray else image), factor))


def display_picture(
    page: str, picked: PickedImage, *, gray: bool = False, factor: int = 1
) -> bytes:
    """The picked image encoded for ``st.image`` (PNG or JPEG), once, then reused.

    Parameters
    ----------
    gray : bool
        Show a colour image as the grayscale a grayscale convolution sees.
    factor : int
        Enlarge each pixel to a ``factor × factor`` block (see :func:`upscale_factor`).
    """
    if not picked.uploaded:
        return _sample_picture(picked.name, gray, factor)
    memo = st.session_state.setdefault(f"{page}_upload_pictures", {})
    wanted = (picked.token, gray, factor)
    if wanted not in memo:
        if len(memo) >= 4:
            memo.clear()
        image = picked.gray if gray else picked.array
        memo[wanted] = picture_bytes(zoom(to_uint8(image), factor))
    return memo[wanted]


# --- the kernel picker ----------------------------------------------------------------------


@dataclass(frozen=True)
class KernelChoice:
    """The kernel in use: a preset's name (or ``"Custom"``), its values and what it does."""

    name: str
    values: np.ndarray = field(repr=False)
    description: str

    @property
    def query_text(self) -> str:
        """How the kernel travels in a link: the preset's name, or its rows joined by ``;``."""
        return self.name if self.name in KERNELS else format_kernel(self.values).replace("\n", "; ")

    def __repr__(self) -> str:
        h, w = self.values.shape
        return f"KernelChoice({self.name!r}, {h}×{w})"


def _parse_kernel_query(text: str) -> tuple[str, np.ndarray]:
    if text in KERNELS:
        return text, KERNELS[text].values
    return CUSTOM, parse_kernel(text)  # KernelError is a ValueError: query_value catches it


def set_kernel(page: str, values: np.ndarray, name: str) -> None:
    """Make ``values`` the kernel in use and show it in every editor.

    Call it from a widget callback or before :func:`kernel_picker` runs (Streamlit lets a
    widget's value be set only before the widget is drawn).
    """
    state = st.session_state
    state[f"{page}_kernel"] = np.array(values, dtype=np.float64)
    state[f"{page}_kernel_name"] = name
    state[f"{page}_preset"] = name
    state[f"{page}_kernel_text"] = format_kernel(values)
    state[f"{page}_kh"], state[f"{page}_kw"] = (int(n) for n in np.shape(values))
    state[f"{page}_grid_base"] = state[f"{page}_kernel"]
    state[f"{page}_grid_version"] = state.get(f"{page}_grid_version", 0) + 1
    state[f"{page}_kernel_msg"] = None


def _keep_last(page: str, message: str) -> None:
    st.session_state[f"{page}_kernel_msg"] = f"{message} Still using the last valid kernel."


def _on_preset(page: str) -> None:
    name = st.session_state[f"{page}_preset"]
    if name in KERNELS:
        set_kernel(page, KERNELS[name].values, name)


def _on_size(page: str) -> None:
    state = st.session_state
    shape = (int(state[f"{page}_kh"]), int(state[f"{page}_kw"]))
    current = state[f"{page}_kernel"]
    if shape != current.shape:
        set_kernel(page, resize_kernel(current, shape), CUSTOM)


def _on_text(page: str) -> None:
    try:
        values = parse_kernel(st.session_state[f"{page}_kernel_text"])
    except KernelError as error:
        _keep_last(page, str(error))
        return
    set_kernel(page, values, CUSTOM)


def _on_normalise(page: str) -> None:
    state = st.session_state
    try:
        values = normalise_kernel(state[f"{page}_kernel"])
    except KernelError as error:
        _keep_last(page, str(error))
        return
    unchanged = np.allclose(values, state[f"{page}_kernel"])  # it already summed to 1
    set_kernel(page, values, state[f"{page}_preset"] if unchanged else CUSTOM)


def _on_random(page: str) -> None:
    set_kernel(page, random_kernel(st.session_state[f"{page}_kernel"].shape), CUSTOM)


def _grid_key(page: str) -> str:
    """The grid's widget key; a new version (see :func:`set_kernel`) makes a fresh grid."""
    return f"{page}_grid_{st.session_state[f'{page}_grid_version']}"


def _apply_grid_edits(page: str) -> None:
    """Take the cell edits the grid reported into the kernel in use.

    Read from the grid's state before any editor is drawn, so that the preset box and the
    text box, drawn above and beside the grid, can still show the edited kernel in this run.
    """
    state = st.session_state
    edits = state.get(_grid_key(page)) or {}
    changed = edits.get("edited_rows") or {}
    values = np.array(state[f"{page}_grid_base"], dtype=np.float64)  # (kh, kw)
    for row, cells in changed.items():
        for column, value in cells.items():
            values[int(row), int(column)] = np.nan if value is None else float(value)
    if np.array_equal(values, state[f"{page}_kernel"]):
        return
    if np.isnan(values).any():
        _keep_last(page, "Every cell of the grid needs a number.")
        return
    try:
        values = check_kernel(values)
    except KernelError as error:
        _keep_last(page, str(error))
        return
    state[f"{page}_kernel"] = values
    state[f"{page}_kernel_name"] = CUSTOM
    state[f"{page}_preset"] = CUSTOM
    state[f"{page}_kernel_text"] = format_kernel(values)
    state[f"{page}_kernel_msg"] = None


def _grid(page: str) -> None:
    """The editable grid (its edits are read by :func:`_apply_grid_edits`)."""
    state = st.session_state
    base = state[f"{page}_grid_base"]
    columns = [str(j) for j in range(base.shape[1])]
    st.data_editor(
        pd.DataFrame(base, columns=columns),
        key=_grid_key(page),
        hide_index=True,
        width="content",
        column_config={c: st.column_config.NumberColumn(c, width=48) for c in columns},
    )


def kernel_picker(page: str, *, default: str = "Sobel x", url: bool = True) -> KernelChoice:
    """Presets with their descriptions, an editable grid, a text box, normalise and random.

    Parameters
    ----------
    page : str
        The page's name; every widget key starts with it (``f"{page}_preset"``,
        ``f"{page}_kernel_text"``, ``f"{page}_kh"``, ...).
    default : str
        The preset used first (a key of :data:`cnnviz.maths.kernels.KERNELS`).
    url : bool
        Read the first kernel from the ``kernel`` query parameter (a preset's name or rows of
        numbers) and keep the one in use there.

    Returns
    -------
    KernelChoice
        Always a valid kernel: an invalid entry shows its message beside the editor and the last
        valid kernel stays in use.
    """
    state = st.session_state
    if f"{page}_kernel" not in state:
        start = (default, KERNELS[default].values)
        name, values = query_value("kernel", _parse_kernel_query, start, "kernel") if url else start
        set_kernel(page, values, name)
    elif any(f"{page}_{k}" not in state for k in ("preset", "kernel_text", "kh", "kw")):
        # Streamlit forgets a widget's value while another page is shown: refill the editors
        # from the kernel in use, which is plain session state and survives.
        set_kernel(page, state[f"{page}_kernel"], state[f"{page}_kernel_name"])
    _apply_grid_edits(page)
    name = state[f"{page}_preset"]
    description = (
        KERNELS[name].description
        if name in KERNELS
        else "Your own kernel: change any number and watch the feature map follow."
    )
    # Rows of widgets sit in horizontal containers, not columns: every block is one more
    # message for the browser to draw on each kernel change (one container vs 1 + n columns).
    st.selectbox(
        "Preset kernel",
        [*KERNELS, CUSTOM],
        key=f"{page}_preset",
        on_change=_on_preset,
        args=(page,),
    )
    st.caption(f"{description} Double-click a cell of the grid to change it.")
    _grid(page)
    message = state.get(f"{page}_kernel_msg")
    if message:
        st.error(plain(message, 300))  # it may quote the visitor's own text
    with st.popover("Paste, resize, normalise, random", key=f"{page}_kernel_tools"):
        st.text_area(
            "Paste a kernel: one row per line (or rows split by `;`), numbers split by "
            "spaces or commas; 1/16 and JSON lists work too",
            key=f"{page}_kernel_text",
            height=120,
            on_change=_on_text,
            args=(page,),
            help="Press Ctrl+Enter (or click outside the box) to use it.",
        )
        with st.container(horizontal=True, vertical_alignment="bottom"):
            size = {"min_value": 1, "max_value": MAX_KERNEL_SIZE, "step": 1, "on_change": _on_size}
            st.number_input("Rows", key=f"{page}_kh", args=(page,), width=110, **size)
            st.number_input("Columns", key=f"{page}_kw", args=(page,), width=110, **size)
        with st.container(horizontal=True):
            label, normalise = "Normalise to sum 1", {"on_click": _on_normalise, "args": (page,)}
            st.button(label, key=f"{page}_normalise", **normalise)
            st.button("Random kernel", key=f"{page}_random", on_click=_on_random, args=(page,))
    choice = KernelChoice(name, state[f"{page}_kernel"].copy(), description)
    if url:
        to_link({"kernel": choice.query_text})
    return choice
