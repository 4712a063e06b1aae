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
from typing import TypeVar

import numpy as np
import streamlit as st

from cnnviz.display import png_bytes, thumbnail, to_uint8, zoom
from cnnviz.images import SAMPLES, ImageError, load_image, sample_image, to_grayscale

__all__ = [
    "UPLOAD",
    "PickedImage",
    "image_picker",
    "picture_png",
    "query_value",
]

UPLOAD = "Your upload"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
DEFAULT_SAMPLE = "Cartoon face"

T = TypeVar("T")


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

    def __repr__(self) -> str:
        kind = "upload" if self.uploaded else "sample"
        return f"PickedImage({kind} {self.name!r}, shape {self.array.shape})"


# --- query parameters -----------------------------------------------------------------------


def query_value(name: str, parse: Callable[[str], T], default: T, what: str) -> T:
    """The value of query parameter ``name`` read with ``parse``, or ``default`` with a warning.

    ``parse`` raises ``ValueError`` for text it cannot use; the visitor then sees which part of
    the link was ignored and the page carries on with ``default``.
    """
    raw = st.query_params.get(name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError as error:
        st.warning(
            f"The link's `{name}={raw}` is not a valid {what}, so the default is used. ({error})"
        )
        return default


def _parse_sample(text: str) -> str:
    if text not in SAMPLES:
        raise ValueError(f"Samples are: {', '.join(SAMPLES)}.")
    return text


# --- the image picker -----------------------------------------------------------------------


@st.cache_data(show_spinner=False)
def _sample(name: str) -> np.ndarray:
    return sample_image(name)


@st.cache_data(show_spinner=False)
def _thumbnails() -> list[np.ndarray]:
    return [thumbnail(sample_image(name), size=96) for name in SAMPLES]


def _on_upload(page: str) -> None:
    """Read a new upload; on failure keep the previous image and remember the message."""
    uploaded = st.session_state.get(f"{page}_upload")
    if uploaded is None:  # the visitor removed the file: keep using the image already read
        st.session_state[f"{page}_upload_error"] = None
        return
    try:
        loaded = load_image(uploaded.getvalue())
    except ImageError as error:
        st.session_state[f"{page}_upload_error"] = f"{uploaded.name}: {error}"
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
    if key not in st.session_state:
        start = query_value("sample", _parse_sample, default, "sample name") if url else default
        st.session_state[key] = start
    st.image(_thumbnails(), caption=list(SAMPLES), width=96)
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
        if picked.uploaded:
            st.query_params.pop("sample", None)  # an upload cannot travel in a link
        elif st.query_params.get("sample") != choice:
            st.query_params["sample"] = choice
    for note in picked.notes:
        st.caption(f"ℹ️ {note}")
    return picked


@st.cache_data(show_spinner=False, max_entries=32)
def _sample_png(name: str, gray: bool, factor: int) -> bytes:
    image = sample_image(name)
    return png_bytes(zoom(to_uint8(to_grayscale(image) if gray else image), factor))


def picture_png(page: str, picked: PickedImage, *, gray: bool = False, factor: int = 1) -> bytes:
    """The picked image as PNG bytes for ``st.image``, encoded once and then reused.

    Parameters
    ----------
    gray : bool
        Show a colour image as the grayscale a grayscale convolution sees.
    factor : int
        Enlarge each pixel to a ``factor × factor`` block (see :func:`upscale_factor`).
    """
    if not picked.uploaded:
        return _sample_png(picked.name, gray, factor)
    memo = st.session_state.setdefault(f"{page}_upload_png", {})
    wanted = (picked.token, gray, factor)
    if wanted not in memo:
        if len(memo) >= 4:
            memo.clear()
        image = to_grayscale(picked.array) if gray else picked.array
        memo[wanted] = png_bytes(zoom(to_uint8(image), factor))
    return memo[wanted]
