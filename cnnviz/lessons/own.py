"""The "Your own classes" page's lesson: a visitor's pictures in, everything the page shows out.

The visitor's pictures are a :class:`PictureSet` (frozen: every change makes a new one), kept by
the page in the visitor's session only. Pictures are stored as the core prepares them
(:func:`cnnviz.learning.own.prepare_picture`: the centred square, :data:`SIZE`×:data:`SIZE`), in
colour, as 8-bit values; the grayscale the network may see instead is their luma.

* Changing the set: :func:`add_class`, :func:`rename_class`, :func:`remove_class`,
  :func:`add_files` (uploads and camera snapshots), :func:`add_zip`, :func:`sample_set`,
  :func:`remove_picture`. Each refuses with a :class:`ChangeRefused` whose message says why, or
  returns the new set and a message per file it did not take.
* Showing it: :func:`overview` (thumbnails and counts per class), :func:`prepared_view` (a
  picture as the network sees it, and what augmentation does to it), :func:`split_view` (the
  held-out split, or how many more pictures each class needs).
* Training: :func:`training_plan` (the spec and the data for a training), :func:`results`
  (held-out accuracy and the confusion matrix with the class names), :func:`try_view` (a new
  picture's probabilities and what the model saw inside), :func:`measure_view` (augmentation's
  effect on shifted pictures).

No Streamlit. Texts are Markdown written here; class names and file names come from the
visitor and are kept apart (:attr:`ClassView.name`, :attr:`ChangeRefused.name`, the
``problems``) for the page to show literally with ``pages._text.plain``.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from cnnviz.learning import explain, nn, own, probe
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.own import (
    DEFAULT_SPEC,
    MAX_CLASSES,
    MAX_FILE_BYTES,
    MAX_PER_CLASS,
    MAX_PICTURES,
    MAX_ZIP_BYTES,
    MIN_CLASSES,
    LabelledImages,
    PictureSetError,
    TooFewPictures,
)
from cnnviz.lessons.train import stopped_text  # the sentence every training page uses
from cnnviz.maths.pixels import shift as shift_picture
from cnnviz.maths.pixels import to_grayscale
from cnnviz.pictures import (
    ColorScale,
    ImageError,
    Legend,
    Panel,
    confusion_figure,
    map_grid,
    panel_grid,
    png_bytes,
    probability_bars,
    scale_for,
    tile_grid,
    training_curves,
    zoom,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_CLASSES",
    "DEFAULT_SPEC",
    "INTRO",
    "MAX_NAME",
    "SIZE",
    "ChangeRefused",
    "ClassView",
    "Picture",
    "PictureSet",
    "PreparedView",
    "SplitView",
    "add_class",
    "add_files",
    "add_zip",
    "limits_text",
    "overview",
    "prepared_view",
    "remove_class",
    "remove_picture",
    "rename_class",
    "sample_set",
    "split_view",
]

SIZE = 64  # the side of every picture the network sees
CHANNELS = {"grayscale": 1, "colour": 3}
DEFAULT_CLASSES = ("Class A", "Class B")
MAX_NAME = 30  # characters in a class name
SAMPLE_PER_CLASS = 60
SAMPLE_SEED = 0
HOLD_OUT = 0.2  # the share of each class held out for testing
SPLIT_SEED = 0
MAX_SHIFT = 8  # pixels the augmentation may move a picture
THUMB = 32  # the side of a thumbnail: every 2×2 block of a picture averaged
THUMBS_PER_ROW = 20
PREVIEW_ZOOM = 3  # a 64×64 picture shown at 192×192

INTRO = (
    "Teach the network **your own classes**: name two to six kinds of thing, give it pictures "
    "of each (from your camera, your files or one zip), train, and see what it learned and "
    "where it looks. The same small CNN as on the other pages, now on pictures of "
    f"{SIZE}×{SIZE} pixels."
)
PRIVACY_TEXT = (
    "Your pictures stay in this browser tab's session on the server's memory: never written to "
    "disk, never shown to anyone else, gone when you close the tab."
)


def limits_text(upload_mb: int) -> str:
    """The limits, stated as they hold on a server taking uploads of ``upload_mb`` megabytes.

    >>> limits_text(25)[-89:]
    'a zip of up to 25 MB (the most this server takes) whose pictures unpack to at most 50 MB.'
    """
    zip_mb = zip_limit_mb(upload_mb)
    where = " (the most this server takes)" if zip_mb < MAX_ZIP_BYTES / 10**6 else ""
    return (
        f"Limits: {MIN_CLASSES} to {MAX_CLASSES} classes, at most {MAX_PER_CLASS} pictures a "
        f"class and {MAX_PICTURES} in all, {MAX_FILE_BYTES / 10**6:g} MB a picture, a zip of "
        f"up to {zip_mb:g} MB{where} whose pictures unpack to at most "
        f"{MAX_ZIP_BYTES / 10**6:g} MB."
    )


def zip_limit_mb(upload_mb: int) -> int:
    """The largest zip, in megabytes: the core's limit or the server's, whichever is lower."""
    return int(min(MAX_ZIP_BYTES // 10**6, upload_mb))


CAMERA_TEXT = (
    "Hold each thing in front of the camera and press Take Photo, then Clear photo and again: "
    "move it a little between snapshots (nearer, turned, another place in the frame). Ten or "
    "more a class is a good start."
)
CAMERA_SWITCH = (
    "Off until you turn it on: only then does the browser ask to use your camera. The "
    "snapshots stay in this tab's session."
)
ZIP_HELP = (
    "One folder per class at the top of the zip, its pictures inside: the folder names become "
    "the class names. Files that are not pictures, or that try tricks, are named and skipped."
)
SAMPLE_TEXT = (
    f"No camera and no pictures at hand? The sample set: {SAMPLE_PER_CLASS} circles, squares and "
    "triangles each, drawn at random positions, sizes and rotations. It replaces your classes."
)
AUGMENT_TEXT = (
    "**Augmentation** shows the network each training picture moved by a few random pixels "
    "(and mirrored, if you choose), a new move every epoch, so it cannot learn *where* a thing "
    "was, only *what* it looks like. That is the tolerance the Pooling page measures by moving "
    "a picture under a 2×2 max pool, here taught by example instead of built into the layers."
)
SAMPLE_DONE = (
    f"The sample set is in: {SAMPLE_PER_CLASS} circles, squares and triangles each. Train on "
    "it as it is, or add your own pictures to its classes."
)
EMPTY_TEXT = (
    "No pictures yet: each class needs at least 2 (one to train on, one to test), and a model "
    "learns better from 20 or more a class."
)
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # unicode categories refused in a name


class ChangeRefused(ValueError):
    """A change to the picture set that cannot be made; the message says why.

    Attributes
    ----------
    name : str or None
        The visitor's class name the message is about, to be shown literally after it.
    """

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Picture:
    """One of the visitor's pictures.

    Attributes
    ----------
    key : int
        Its number in the set, never reused (removal and widget keys use it).
    name : str
        Its file name, or e.g. "snapshot 3" (the visitor's text).
    label : int
        Its class, an index into :attr:`PictureSet.classes`.
    pixels : ndarray of uint8, shape (SIZE, SIZE, 3), read-only
        As prepared by the core, in colour.
    """

    key: int
    name: str
    label: int
    pixels: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class PictureSet:
    """The visitor's classes and pictures.

    Attributes
    ----------
    classes : tuple of str
        The class names, in label order (2 to 6).
    pictures : tuple of Picture
        In the order they were added.
    next_key : int
        The key the next picture gets.
    """

    classes: tuple[str, ...] = DEFAULT_CLASSES
    pictures: tuple[Picture, ...] = ()
    next_key: int = 0

    @property
    def counts(self) -> tuple[int, ...]:
        """Pictures per class, in label order."""
        counts = [0] * len(self.classes)
        for picture in self.pictures:
            counts[picture.label] += 1
        return tuple(counts)

    def __repr__(self) -> str:
        counts = ", ".join(f"{c}: {n}" for c, n in zip(self.classes, self.counts, strict=True))
        return f"PictureSet({counts})"


# --- changing the set ---------------------------------------------------------------------------


def check_name(name: object, classes: Sequence[str], index: int | None = None) -> str:
    """A class name made tidy (spaces trimmed), or :class:`ChangeRefused` saying what is wrong.

    ``index`` is the class being renamed (its own name is no duplicate of itself).

    >>> check_name("  red cup ", ["pen"])
    'red cup'
    >>> check_name("Pen", ["pen"])
    Traceback (most recent call last):
    ...
    cnnviz.lessons.own.ChangeRefused: There is already a class with this name (capitals aside):
    """
    text = " ".join(str(name).split()) if name is not None else ""
    if not text:
        raise ChangeRefused("A class needs a name: type one.")
    if len(text) > MAX_NAME:
        raise ChangeRefused(f"A class name may have at most {MAX_NAME} characters; this has:", text)
    if any(unicodedata.category(c) in _CONTROL for c in text):
        raise ChangeRefused("A class name may not hold control characters:", text)
    for k, other in enumerate(classes):
        if k != index and other.casefold() == text.casefold():
            raise ChangeRefused("There is already a class with this name (capitals aside):", text)
    return text


def add_class(pictures: PictureSet, name: object) -> PictureSet:
    """The set with one more, empty class at the end."""
    if len(pictures.classes) >= MAX_CLASSES:
        raise ChangeRefused(f"At most {MAX_CLASSES} classes: remove one before adding another.")
    text = check_name(name, pictures.classes)
    return PictureSet((*pictures.classes, text), pictures.pictures, pictures.next_key)


def rename_class(pictures: PictureSet, index: int, name: object) -> PictureSet:
    """The set with class ``index`` renamed; its pictures stay."""
    text = check_name(name, pictures.classes, index)
    classes = list(pictures.classes)
    classes[index] = text
    return PictureSet(tuple(classes), pictures.pictures, pictures.next_key)


def remove_class(pictures: PictureSet, index: int) -> PictureSet:
    """The set without class ``index`` and its pictures (the later classes move up)."""
    if len(pictures.classes) <= MIN_CLASSES:
        raise ChangeRefused(
            f"A model needs at least {MIN_CLASSES} classes to tell apart: add another class "
            "before removing this one, or remove its pictures."
        )
    kept = tuple(
        Picture(p.key, p.name, p.label - (p.label > index), p.pixels)
        for p in pictures.pictures
        if p.label != index
    )
    classes = pictures.classes[:index] + pictures.classes[index + 1 :]
    return PictureSet(classes, kept, pictures.next_key)


def remove_picture(pictures: PictureSet, key: int) -> PictureSet:
    """The set without the picture numbered ``key`` (unchanged if there is none)."""
    kept = tuple(p for p in pictures.pictures if p.key != key)
    return PictureSet(pictures.classes, kept, pictures.next_key)


def add_files(
    pictures: PictureSet, files: Sequence[tuple[str, bytes]], label: int
) -> tuple[PictureSet, tuple[str, ...]]:
    """Prepare uploaded files or camera snapshots and add them to class ``label``.

    Parameters
    ----------
    pictures : PictureSet
    files : sequence of (name, bytes)
        Each file's name (for messages) and contents.
    label : int
        The class they go to.

    Returns
    -------
    (PictureSet, tuple of str)
        The new set, and one message per file not taken, each starting with the file's name
        in quotes (the visitor's text: show it literally).
    """
    if not 0 <= label < len(pictures.classes):
        raise ValueError(f"`label` must be from 0 to {len(pictures.classes) - 1}. Got {label}.")
    room = _room(pictures, label)
    added: list[Picture] = []
    problems: list[str] = []
    key = pictures.next_key
    for name, content in files:
        if len(content) > MAX_FILE_BYTES:
            problems.append(
                f"'{name}' is {len(content) / 10**6:.1f} MB, more than the "
                f"{MAX_FILE_BYTES / 10**6:g} MB a picture may have."
            )
            continue
        if len(added) >= room:
            problems.append(f"'{name}' was not added: {_full(pictures, label, len(added))}")
            continue
        try:
            prepared = own.prepare_picture(content, SIZE, 3)
        except ImageError as error:
            problems.append(f"'{name}' could not be read as a picture: {error}")
            continue
        added.append(Picture(key, name, label, _stored(prepared)))
        key += 1
    return PictureSet(pictures.classes, pictures.pictures + tuple(added), key), tuple(problems)


def add_zip(pictures: PictureSet, data: bytes) -> tuple[PictureSet, tuple[str, ...]]:
    """Add a zip's pictures, its top-level folders being the classes.

    A folder named like one of the visitor's classes (capitals aside) adds to it; others become
    new classes while there is room. When the visitor has no pictures yet, the zip's classes
    replace the (empty) classes they had. Folder names are checked as typed names are
    (:func:`check_name`): one too long is cut to :data:`MAX_NAME` characters, one with control
    characters is left out, and folders differing only in capitals make one class; each said
    in the problems.

    Returns
    -------
    (PictureSet, tuple of str)
        The new set, and the core's per-file messages plus any class or limit left out.

    Raises
    ------
    ChangeRefused
        Nothing usable in the zip: the core's message, its first problems after it.
    """
    try:
        read = own.labelled_images_from_zip(data, SIZE, 3)
    except PictureSetError as error:
        raise ChangeRefused(_with_problems(str(error), error.problems)) from None
    problems = list(read.problems)
    if not pictures.pictures:  # the zip's folders replace the empty classes, checked as typed
        pictures = PictureSet((), (), pictures.next_key)
    folded = [c.casefold() for c in pictures.classes]
    result = pictures
    for k, cls in enumerate(read.classes):
        name = " ".join(cls.split())
        if len(name) > MAX_NAME:
            name = name[:MAX_NAME].rstrip()
            problems.append(f"Folder '{cls}' became class '{name}': a class name has at most "
                            f"{MAX_NAME} characters.")  # fmt: skip
        if name.casefold() in folded:
            label = folded.index(name.casefold())
            if result.classes[label] != name:
                problems.append(f"Folder '{cls}' went into class '{result.classes[label]}': "
                                "names that differ only in capitals are one class.")  # fmt: skip
        else:
            try:
                result = add_class(result, name)
            except ChangeRefused as refused:
                shown = "".join("\ufffd" if unicodedata.category(c) in _CONTROL else c for c in cls)
                problems.append(f"Folder '{shown}' was not added: {str(refused).rstrip(':')}.")
                continue
            folded.append(name.casefold())
            label = len(folded) - 1
        chosen = np.flatnonzero(read.y == k)
        room = _room(result, label)
        if len(chosen) > room:
            problems.append(f"{len(chosen) - room} pictures of '{cls}' were not added: "
                            f"{_full(result, label, room)}")  # fmt: skip
        new = tuple(
            Picture(result.next_key + n, read.sources[i], label, _stored(read.x[i]))
            for n, i in enumerate(chosen[:room])
        )
        result = PictureSet(result.classes, result.pictures + new, result.next_key + len(new))
    if len(result.classes) < MIN_CLASSES:
        raise ChangeRefused(
            _with_problems(
                f"The zip has fewer than {MIN_CLASSES} folders usable as classes.", problems
            )  # fmt: skip
        )
    return result, tuple(problems)


def sample_set(n_per_class: int = SAMPLE_PER_CLASS, seed: int = SAMPLE_SEED) -> PictureSet:
    """The shipped circles, squares and triangles as a fresh picture set."""
    shapes = own.sample_shapes(n_per_class, SIZE, seed, channels=3)
    found = tuple(
        Picture(k, shapes.sources[k], int(shapes.y[k]), _stored(shapes.x[k]))
        for k in range(len(shapes.y))
    )
    return PictureSet(shapes.classes, found, len(found))


def _stored(x: np.ndarray) -> np.ndarray:
    """A prepared (S, S, 3) float picture in [0, 1] as read-only uint8."""
    pixels = np.round(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)
    pixels.setflags(write=False)
    return pixels


def _room(pictures: PictureSet, label: int) -> int:
    """How many more pictures class ``label`` may take."""
    return max(
        0, min(MAX_PER_CLASS - pictures.counts[label], MAX_PICTURES - len(pictures.pictures))
    )


def _full(pictures: PictureSet, label: int, adding: int = 0) -> str:
    """Why class ``label`` takes no more, once ``adding`` more pictures are in it."""
    if pictures.counts[label] + adding >= MAX_PER_CLASS:
        return f"this class has the {MAX_PER_CLASS} pictures a class may have."
    return f"the set has the {MAX_PICTURES} pictures allowed in all."


def _with_problems(message: str, problems: Sequence[str], shown: int = 3) -> str:
    if not problems:
        return message
    more = f" (and {len(problems) - shown} more)" if len(problems) > shown else ""
    return f"{message} Problems: {' '.join(problems[:shown])}{more}"


# --- showing the set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassView:
    """One class in the overview.

    Attributes
    ----------
    name : str
        The visitor's class name (show it literally).
    count_text : str
        E.g. "12 pictures".
    thumbnails : bytes or None
        A PNG of its pictures in rows, oldest first; None if it has none.
    choices : tuple of (int, str)
        Each picture's key and a label for the remove menu ("3 · cup.jpg": visitor text).
    """

    name: str
    count_text: str
    thumbnails: bytes | None
    choices: tuple[tuple[int, str], ...]


def overview(pictures: PictureSet) -> tuple[str, tuple[ClassView, ...]]:
    """The totals line and each class's thumbnails, count and remove menu."""
    views = []
    for label, (name, count) in enumerate(zip(pictures.classes, pictures.counts, strict=True)):
        members = [p for p in pictures.pictures if p.label == label]
        grid = None
        if members:
            tiles = np.stack([p.pixels for p in members]).astype(np.float32)  # (M, S, S, 3)
            f = SIZE // THUMB
            tiles = tiles.reshape(len(members), THUMB, f, THUMB, f, 3).mean(axis=(2, 4))
            tiles = np.round(tiles).astype(np.uint8)  # (M, THUMB, THUMB, 3)
            grid = png_bytes(tile_grid(tiles, cols=THUMBS_PER_ROW, gap=2, fill=255))
        choices = tuple((p.key, f"{n + 1} · {p.name}") for n, p in enumerate(members))
        views.append(ClassView(name, _count(count), grid, choices))
    total = len(pictures.pictures)
    line = (
        f"**{total} of {MAX_PICTURES} pictures** in {len(pictures.classes)} classes "
        f"(at most {MAX_PER_CLASS} a class)."
    )
    return line, tuple(views)


def _count(n: int, what: str = "picture") -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


@dataclass(frozen=True)
class PreparedView:
    """How the network sees the pictures.

    Attributes
    ----------
    text : str
        The size and channels, in a sentence.
    pictures : tuple of (bytes, str)
        For each class with pictures, its first picture as the network sees it (PNG, enlarged)
        and the class name (visitor text).
    augmented : tuple of (bytes, str)
        One picture moved and mirrored as the augmentation may do, each with its caption;
        empty when augmentation is off or there is no picture.
    """

    text: str
    pictures: tuple[tuple[bytes, str], ...]
    augmented: tuple[tuple[bytes, str], ...]


def network_input(pixels: np.ndarray, channels: int) -> np.ndarray:
    """Stored (..., S, S, 3) uint8 pictures as the network takes them: (..., S, S, C) in [0, 1].

    >>> network_input(np.full((1, 1, 3), 255, np.uint8), 1).tolist()
    [[[1.0]]]
    """
    x = np.asarray(pixels, np.float32) / 255.0
    if channels == 1:
        x = to_grayscale(x.reshape(-1, 1, 3)).reshape(*x.shape[:-1], 1)  # luma, pixel by pixel
    return np.clip(x, 0.0, 1.0)


def _shown(x: np.ndarray) -> bytes:
    """An (S, S, C) picture in [0, 1], enlarged, as PNG."""
    picture = x[..., 0] if x.shape[-1] == 1 else x
    return png_bytes(zoom(np.round(picture * 255).astype(np.uint8), PREVIEW_ZOOM))


def prepared_view(pictures: PictureSet, channels: int, shift: int, flip: bool) -> PreparedView:
    """The first picture of each class as the network sees it, and one augmented."""
    colour = "colour (red, green and blue: 3 numbers a pixel)"
    gray = "grayscale (one brightness a pixel)"
    text = (
        f"Every picture is cut to its centred square and resized to **{SIZE}×{SIZE} pixels**, in "
        f"{colour if channels == 3 else gray}: {SIZE * SIZE * channels:,} numbers from 0 to 1 "
        "go into the network. Here is what it gets, one picture per class:"
    )
    firsts = []
    for label, name in enumerate(pictures.classes):
        first = next((p for p in pictures.pictures if p.label == label), None)
        if first is not None:
            firsts.append((_shown(network_input(first.pixels, channels)), name))
    augmented: list[tuple[bytes, str]] = []
    if pictures.pictures and (shift or flip):
        x = network_input(pictures.pictures[0].pixels, channels)
        if shift:
            augmented.append((_shown(shift_picture(x, shift, 0)), f"moved {shift} px right"))
            augmented.append((_shown(shift_picture(x, -shift, -shift)), f"{shift} px up-left"))
        if flip:
            augmented.append((_shown(x[:, ::-1]), "mirrored"))
    return PreparedView(text, tuple(firsts), tuple(augmented))


@dataclass(frozen=True)
class SplitView:
    """The held-out split, or why there is none yet.

    Attributes
    ----------
    split : own.Split or None
        None when some class has too few pictures.
    text : str
        "N train, M held out", per class too; or the too-few message.
    """

    split: own.Split | None
    text: str


def split_view(pictures: PictureSet) -> SplitView:
    """Hold out :data:`HOLD_OUT` of each class for testing, and say so in numbers."""
    if not pictures.pictures:
        return SplitView(None, EMPTY_TEXT)
    labels = np.array([p.label for p in pictures.pictures], np.int64)
    try:
        split = own.held_out_split(labels, HOLD_OUT, SPLIT_SEED, classes=pictures.classes)
    except TooFewPictures as error:
        return SplitView(None, str(error))
    counts = set(zip(split.train_counts, split.test_counts, strict=True))
    if len(counts) == 1:
        ((n, m),) = counts
        each = f"{n} + {m} in every class"
    else:
        each = "per class, trained + held out: " + ", ".join(
            f"{n} + {m}" for n, m in zip(split.train_counts, split.test_counts, strict=True)
        )
    text = (
        f"**{len(split.train)} pictures train, {len(split.test)} are held out** to test the model "
        f"on pictures it never saw ({HOLD_OUT:.0%} of each class, picked at random: {each})."
    )
    return SplitView(split, text)


def images(pictures: PictureSet, channels: int) -> LabelledImages:
    """The set as the core's labelled pictures, ``x`` (N, S, S, C) in [0, 1]."""
    x = network_input(np.stack([p.pixels for p in pictures.pictures]), channels)
    y = np.array([p.label for p in pictures.pictures], np.int64)
    return LabelledImages(x, y, pictures.classes, (), tuple(p.name for p in pictures.pictures))


# --- reading a confusion matrix with the class names --------------------------------------------


def confusion_with_names(confusion: np.ndarray, classes: Sequence[str]) -> go.Figure:
    """The core's confusion heat map with the class names on its axes (escaped for Plotly)."""
    names = plotly_names(classes)
    figure = confusion_figure(np.asarray(confusion))
    figure.update_traces(
        x=names,
        y=names,
        hovertemplate="true %{y}, predicted %{x}: %{text} pictures<extra></extra>",
    )
    figure.update_layout(
        height=140 + 60 * len(names),
        xaxis_title_text="predicted class",
        yaxis_title_text="true class",
    )
    return figure


def _short(name: str, limit: int = 16) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def plotly_names(classes: Sequence[str]) -> list[str]:
    """Class names for Plotly's text (which reads a few HTML tags): escaped, shortened, and
    each one different (Plotly draws equal names as one category), numbered if shortening
    made two alike.

    >>> plotly_names(["a <b>", "pen"])
    ['a &lt;b&gt;', 'pen']
    >>> plotly_names(["the red cup on the left", "the red cup on the right"])
    ['1 the red cup on…', '2 the red cup on…']
    """
    short = [_short(c) for c in classes]
    if len(set(short)) < len(short):
        short = [f"{k + 1} {_short(c, 15)}" for k, c in enumerate(classes)]
    return [html.escape(name, quote=False) for name in short]


# --- training -----------------------------------------------------------------------------------

#: The model's choices offered on the page: the layers (kernels per conv block) and the head.
LAYERS = {
    ", ".join(str(f) for f in own.DEFAULT_SPEC.filters): own.DEFAULT_SPEC.filters,
    "8, 16": (8, 16),
    "16, 32, 64": (16, 32, 64),
    "32": (32,),
}
HEADS = {
    "global_max": "Global max: each map's strongest answer, wherever it is",
    "flatten": "Flatten: every cell of every map gets its own weights (the article's)",
}
EPOCHS = (1, 30)
NO_MODEL_TEXT = "No model yet: press **Train** to train one on your pictures."
TRY_TEXT = (
    "Take a new snapshot or upload a picture the model has never seen: it says how sure it is "
    "of each class, and shows what it saw inside."
)
MEASURE_TEXT = (
    "Train the same model twice on the same pictures, once without shifts and once with "
    "them, then test both on the held-out pictures **moved by "
    "{pixels} pixels**: pictures neither model saw, in places they were not taught."
)
MEASURE_STALE = (
    "Your pictures, classes or model settings changed since the last measurement, so its "
    "numbers were cleared: measure again."
)
MEASURE_STOPPED = (
    "The last measurement stopped before both trainings ended, so it has no numbers: press "
    "**Measure augmentation** to run it again."
)
MEASURE_PIXELS = 6  # how far the test pictures are moved
MEASURE_SHIFT = 6  # the shifts of the augmented training


@dataclass(frozen=True)
class TrainingPlan:
    """What Train would train, or why it cannot yet.

    Attributes
    ----------
    spec : ModelSpec or None
    images : LabelledImages or None
        The pictures as the network takes them.
    split : own.Split or None
    text : str
        The split in numbers, or how many more pictures which class needs.
    summary : str
        The model in a line.
    """

    spec: ModelSpec | None
    images: LabelledImages | None
    split: own.Split | None
    text: str
    summary: str = ""


def training_plan(pictures: PictureSet, settings: Mapping[str, object]) -> TrainingPlan:
    """The spec and the pictures for a training with the page's ``settings``.

    ``settings`` holds ``channels`` ("grayscale" or "colour"), ``shift`` (0 to
    :data:`MAX_SHIFT`), ``flip`` (bool), ``epochs``, ``layers`` (a key of :data:`LAYERS`) and
    ``head`` (a key of :data:`HEADS`).
    """
    view = split_view(pictures)
    if view.split is None:
        return TrainingPlan(None, None, None, view.text)
    channels = CHANNELS[str(settings["channels"])]
    spec = DEFAULT_SPEC.replace(
        input_shape=(SIZE, SIZE, channels),
        classes=len(pictures.classes),
        filters=LAYERS[str(settings["layers"])],
        head=str(settings["head"]),
        shift=int(settings["shift"]),  # type: ignore[call-overload]
        flip=bool(settings["flip"]),
        epochs=int(settings["epochs"]),  # type: ignore[call-overload]
    )
    augment = (f"shifted up to {spec.shift} px" if spec.shift else "not shifted") + (
        ", mirrored at random" if spec.flip else ""
    )
    summary = (
        f"Conv blocks of {', '.join(str(f) for f in spec.filters)} kernels "
        f"({spec.kernel_size}×{spec.kernel_size}, {spec.pooling} pooling), "
        f"{'global max' if spec.head == 'global_max' else 'flatten'}, a dense layer of "
        f"{spec.dense_units}, {len(pictures.classes)} outputs; {_count(spec.epochs, 'epoch')}, "
        "pictures "
        f"{augment}."
    )
    return TrainingPlan(spec, images(pictures, channels), view.split, view.text, summary)


def dataset(plan: TrainingPlan):
    """The plan's pictures as the core's :class:`~cnnviz.learning.data.Dataset`."""
    assert plan.images is not None and plan.split is not None
    return own.as_dataset(plan.images, plan.split, "your pictures")


@dataclass(frozen=True)
class OwnResults:
    """What the visitor's model learned, on the held-out pictures.

    Attributes
    ----------
    accuracy : str
        The held-out accuracy in a sentence.
    stopped : str or None
        Where a stopped training stopped.
    stale : str or None
        A warning when the classes changed since the model was trained.
    curves, confusion : plotly Figure
    confusion_text : str
    """

    accuracy: str
    stopped: str | None
    stale: str | None
    curves: go.Figure
    confusion: go.Figure
    confusion_text: str


def results(trained, classes: Sequence[str], current: Sequence[str]) -> OwnResults:
    """The held-out accuracy and confusion matrix of ``trained``, made for ``classes``.

    ``current`` are the page's classes now: if they differ, a sentence says the model still
    knows the old ones.
    """
    run, scores = trained.run, trained.evaluation
    n = len(scores.true)
    stopped = None
    if run.status == "stopped":
        stopped = f"{stopped_text(run, why=True)}. The model keeps what it learned so far."
    stale = None
    if tuple(classes) != tuple(current):
        stale = (
            "Your classes changed since this model was trained: it still knows only the "
            "classes below. Train again to teach it the new ones."
        )
    right = int(np.trace(scores.confusion))
    return OwnResults(
        accuracy=(
            f"Held-out accuracy: **{scores.accuracy:.1%}**: {right} of {n} pictures the model "
            f"never trained on are read right, after {run.epochs_text()} in {run.elapsed:.1f} s."
        ),
        stopped=stopped,
        stale=stale,
        curves=training_curves(run),
        confusion=confusion_with_names(scores.confusion, classes),
        confusion_text=(
            "**Confusion matrix** of the held-out pictures: each row is a true class, each "
            "column what the model said. The diagonal is right; anything else is a mix-up."
        ),
    )


# --- trying the model ---------------------------------------------------------------------------

OCCLUSION_PATCH, OCCLUSION_STRIDE, OCCLUSION_FILL = 16, 4, 0.5
PANEL_SIDE = 220


@dataclass(frozen=True)
class Reading:
    """A picture read by the model.

    Attributes
    ----------
    picture : bytes
        The picture as the network took it (PNG, enlarged).
    headline : str
        How sure the model is, e.g. "The model says **97%**:", followed on the page by
        :attr:`answer` (the visitor's class name: shown literally).
    answer : str
    index : int
        The class it picked.
    probabilities : plotly Figure
        One bar per class, named.
    """

    picture: bytes = field(repr=False)
    headline: str
    answer: str
    index: int
    probabilities: go.Figure = field(repr=False)


def reading(trained, classes: Sequence[str], x: np.ndarray) -> Reading:
    """What ``trained`` says about ``x`` (S, S, C) in [0, 1]: the answer and every probability."""
    p = nn.predict(trained.weights, x[None], trained.spec)[0]  # (K,)
    k = int(np.argmax(p))
    bars = probability_bars(p, predicted=k, height=280)
    bars.update_traces(x=plotly_names(classes), hovertemplate="%{x}: %{y:.2%}<extra></extra>")
    bars.update_layout(xaxis_title_text="class")
    return Reading(_shown(x), f"The model says **{p[k]:.1%}**:", classes[k], k, bars)


def new_shape(spec: ModelSpec, seed: int) -> np.ndarray:
    """A sample shape drawn with ``seed`` (not the sample set's), sized for ``spec``: (S, S, C).

    >>> new_shape(DEFAULT_SPEC, 5).shape
    (64, 64, 1)
    """
    shapes = own.sample_shapes(1, spec.side, seed, channels=spec.channels)
    return shapes.x[seed % len(shapes.x)]


@dataclass(frozen=True)
class TryView:
    """A new picture through the visitor's model.

    Attributes
    ----------
    reading : Reading
        The answer and the probabilities.
    inside : bytes
        The occlusion map and gradient × input, with their colour bars, as one PNG.
    inside_text : str
    maps : bytes
        The first conv layer's feature maps for this picture, as one PNG.
    maps_text : str
    """

    reading: Reading
    inside: bytes = field(repr=False)
    inside_text: str
    maps: bytes = field(repr=False)
    maps_text: str


def try_view(trained, classes: Sequence[str], data: bytes) -> TryView:
    """Prepare ``data`` as the model's spec says and show what the model makes of it.

    Raises
    ------
    ImageError
        The loader's message when the file is not a picture it can read.
    """
    spec = trained.spec
    x = own.prepare_picture(data, spec.side, spec.channels)  # (S, S, C)
    read = reading(trained, classes, x)
    k = read.index
    covered = explain.occlusion_map(
        trained.weights, spec, x, k,
        patch=OCCLUSION_PATCH, stride=OCCLUSION_STRIDE, fill=OCCLUSION_FILL,
    )  # fmt: skip
    share = probe.saliency(trained, x, k, method="gradient_x_input")
    share = share.sum(axis=-1) if share.ndim == 3 else share  # (S, S): summed over channels
    whole = float(nn.predict(trained.weights, x[None], spec)[0, k])
    gray = ColorScale("gray", min(float(covered.min()), whole - 0.1), whole)
    signed = scale_for(share, signed=True)
    inside = panel_grid(
        [[
            Panel(f"covered by a {OCCLUSION_PATCH}-px patch", covered, gray),
            Legend(gray, "probability"),
            Panel("gradient × input", share, signed),
            Legend(signed, "share"),
        ]],
        side=PANEL_SIDE,
    ).pixels  # fmt: skip
    maps = probe.layer_activations(trained, x)[0].output  # (H, W, F): the first conv layer
    return TryView(
        reading=read,
        inside=png_bytes(inside),
        inside_text=(
            f"**Where it looks.** Left: the probability of its answer with a gray "
            f"{OCCLUSION_PATCH}×{OCCLUSION_PATCH} patch over the picture, one cell per place of "
            f"the patch ({OCCLUSION_STRIDE} pixels apart, left to right and top to bottom as in "
            "the picture): dark where covering hurts the answer. Right: gradient × input, red "
            "pixels pushing for the answer, blue against. Both from this app's own forward and "
            "backward pass."
        ),
        maps=png_bytes(map_grid(maps, scale_for(maps), cols=8, tile=96)),
        maps_text=(
            f"**What the first layer saw**: its {maps.shape[-1]} feature maps for this picture "
            f"({maps.shape[0]}×{maps.shape[1]} each, one per learned kernel), bright where its "
            "feature is. The Inside page follows a digit through every layer the same way."
        ),
    )


# --- measuring augmentation ---------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureView:
    """Augmentation's effect, measured: held-out accuracy on moved pictures, without and with.

    Attributes
    ----------
    metrics : tuple of (label, value)
    text : str
    """

    metrics: tuple[tuple[str, str], ...]
    text: str


def measured_for(pictures: PictureSet, spec: ModelSpec) -> tuple:
    """What a measurement depends on: the classes, which pictures, and the model (its shifts
    and mirroring aside: the measurement sets those). A measurement made for another is stale.
    """
    return (
        pictures.classes,
        tuple(p.key for p in pictures.pictures),
        spec.replace(shift=0, flip=False),
    )


def removal_text(pictures: PictureSet, index: int) -> str:
    """What removing class ``index`` takes away, for its confirmation (the name comes after)."""
    return f"Remove this class and its {_count(pictures.counts[index])}? It cannot be undone:"


def sample_warning(pictures: PictureSet) -> str | None:
    """What the sample set would replace, or None when there are no pictures to lose."""
    if not pictures.pictures:
        return None
    return (
        f"The sample set replaces your {len(pictures.classes)} classes and "
        f"{_count(len(pictures.pictures))}: they cannot be brought back."
    )


def shifted_accuracy(trained, x: np.ndarray, y: np.ndarray, pixels: int, seed: int = 0) -> float:
    """The share of pictures ``x`` (uint8, as a Dataset holds them) read right when each is
    moved by ``pixels`` in a random direction (the core's :func:`own.shifted`)."""
    batch = np.asarray(x, np.float32) / 255.0
    if batch.ndim == 3:
        batch = batch[..., None]  # (N, S, S, 1)
    moved = own.shifted(batch, pixels, seed)
    predicted = nn.predict(trained.weights, moved, trained.spec).argmax(axis=1)
    return float(np.mean(predicted == np.asarray(y)))


def measure_view(without, with_shifts, data, pixels: int = MEASURE_PIXELS) -> MeasureView:
    """Both models' held-out accuracy, as the pictures are and moved by ``pixels``."""
    a_still = without.evaluation.accuracy
    b_still = with_shifts.evaluation.accuracy
    a = shifted_accuracy(without, data.x_test, data.y_test, pixels)
    b = shifted_accuracy(with_shifts, data.x_test, data.y_test, pixels)
    n = len(data.y_test)
    gain = b - a
    verdict = (
        f"Augmentation gained {gain:.0%} on moved pictures"
        if gain > 0.005
        else "Augmentation made no clear difference here"
        if abs(gain) <= 0.005
        else f"Augmentation lost {-gain:.0%} on moved pictures"
    )
    return MeasureView(
        metrics=(
            (f"Without shifts, moved {pixels} px", f"{a:.1%}"),
            (f"With shifts, moved {pixels} px", f"{b:.1%}"),
            ("Without shifts, as they are", f"{a_still:.1%}"),
            ("With shifts, as they are", f"{b_still:.1%}"),
        ),
        text=(
            f"{verdict} ({n} held-out pictures, each moved {pixels} pixels in a random "
            f"direction; the model trained with shifts saw its pictures moved up to "
            f"{with_shifts.spec.shift} px). One training each: with few pictures a second run "
            "can differ by a few points."
            + (
                ""
                if without.complete and with_shifts.complete
                else " One of the trainings stopped early, so this comparison is not a fair one."
            )
        ),
    )
