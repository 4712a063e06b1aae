"""A visitor's own labelled pictures: read from a zip or one by one, checked, made one size.

Everything here happens in memory: no picture is ever written to disk. Every file is decoded by
the app's one safe loader, :func:`cnnviz.pictures.load_image` (the header is checked before any
pixel is decoded), then *prepared*: the largest centred square is cut out and resized to
``size``×``size`` with Pillow's Lanczos filter (values clipped back to [0, 1]), in grayscale
(luma) or colour.

A zip's top-level folders are its classes, in alphabetical order (as Keras'
``image_dataset_from_directory`` orders them); pictures in a class folder's subfolders belong to
that class. When every file sits inside one folder (a zip made from the folder that holds the
class folders), that folder is opened first. A zip is never trusted:

* its directory is read first, and the pictures it would unpack are refused before anything is
  extracted if they add up to more than :data:`MAX_ZIP_BYTES` (a zip bomb) or there are more
  than :data:`MAX_ENTRIES` entries;
* names with path tricks (``..``, absolute paths, drive letters), archives inside the archive,
  files that are not pictures, encrypted, too large or corrupt members each get a message naming
  the file, and the good pictures are still taken;
* each member is read with a bounded read (never more than its directory entry declares nor
  :data:`MAX_FILE_BYTES`), so a lying header cannot make it unpack more.

Letters used in shapes: ``N`` pictures, ``S`` the side of the prepared pictures, ``C`` the
channels (1 for grayscale, 3 for colour).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from cnnviz.learning.data import Dataset
from cnnviz.learning.model import ModelSpec
from cnnviz.maths.pixels import to_grayscale
from cnnviz.pictures import ImageError, load_image
from cnnviz.pictures.images import UPLOAD_TYPES  # a constant the package does not re-export

__all__ = [
    "DEFAULT_SPEC",
    "MAX_CLASSES",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_PER_CLASS",
    "MAX_PICTURES",
    "MAX_ZIP_BYTES",
    "MIN_CLASSES",
    "SHAPES",
    "LabelledImages",
    "PictureSetError",
    "Split",
    "TooFewPictures",
    "as_dataset",
    "held_out_split",
    "labelled_images",
    "labelled_images_from_zip",
    "prepare_picture",
    "sample_shapes",
    "shifted",
    "spec_for",
]

MAX_PICTURES = 300  # in all
MAX_PER_CLASS = 100
MAX_FILE_BYTES = 10 * 10**6  # one picture (megabytes of 10**6 bytes, as the uploader counts)
MAX_ZIP_BYTES = 50 * 10**6  # the pictures a zip would unpack to, from its directory
MAX_ENTRIES = 2_000  # entries in a zip's directory (folders and system files included)
MIN_CLASSES = 2
MAX_CLASSES = 6
MIN_SIZE, MAX_SIZE = 4, 128  # the side: 300 colour pictures of 128² take 59 MB

#: The sample set's classes, in label order.
SHAPES = ("circle", "square", "triangle")

_ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar", ".cbz")
_PICTURES = tuple(f".{kind}" for kind in UPLOAD_TYPES)
# Files that operating systems leave in folders: skipped without a message.
_JUNK = {"__macosx", ".ds_store", "thumbs.db", "desktop.ini"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_OVERSAMPLE = 2  # the loader shrinks a file to a longest side of this many times the size
_TILE = 8  # the sample shapes are drawn this many times larger, then shrunk (smooth edges)


#: The model the page starts from for 64×64 grayscale pictures of 3 classes (see :func:`spec_for`
#: for other pictures): three small conv blocks of 5×5 kernels, a global max pooling head (a
#: shape is found wherever it sits) and shifts of up to 4 pixels while training. On the sample
#: shapes (60 a class, 12 held out a class), trained in a worker on a loaded 2-CPU host
#: (bench/bench_own.py --train): 97-100 % held out for seeds 0-2, 18-28 s. 3×3 kernels reached
#: 86-89 %, a Flatten head 65-68 %.
DEFAULT_SPEC = ModelSpec(
    filters=(8, 16, 32),
    kernel_size=5,
    pooling="max",
    dense_units=32,
    optimizer="adam",
    learning_rate=0.003,
    batch_size=16,
    epochs=25,
    seed=0,
    input_shape=(64, 64, 1),
    classes=3,
    head="global_max",
    shift=4,
)


class PictureSetError(ValueError):
    """A set of pictures that cannot be used; the message says what is wrong and what to do.

    Attributes
    ----------
    problems : tuple of str
        The per-file messages gathered before giving up (may be empty).
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class TooFewPictures(PictureSetError):
    """Some class has too few pictures to hold one out for testing.

    Attributes
    ----------
    missing : dict of str to int
        For each class short of pictures, how many more it needs.
    """

    def __init__(self, message: str, missing: dict[str, int]) -> None:
        super().__init__(message)
        self.missing = dict(missing)


@dataclass(frozen=True)
class LabelledImages:
    """Pictures ready for a model, with their labels.

    Attributes
    ----------
    x : ndarray of float32, shape (N, S, S, C), read-only
        The prepared pictures, values in [0, 1].
    y : ndarray of int64, shape (N,), read-only
        Each picture's class, an index into ``classes``.
    classes : tuple of str
        The class names in label order.
    problems : tuple of str
        One message per file (or group of files) that was not taken, naming it.
    sources : tuple of str
        Where each picture came from (its file name), in the order of ``x``.
    """

    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]
    problems: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def counts(self) -> tuple[int, ...]:
        """How many pictures each class has, in the order of ``classes``."""
        return tuple(int(n) for n in np.bincount(self.y, minlength=len(self.classes)))

    def __repr__(self) -> str:
        counts = ", ".join(f"{c}: {n}" for c, n in zip(self.classes, self.counts))
        return f"LabelledImages(x.shape={self.x.shape}, {counts}, problems={len(self.problems)})"


@dataclass(frozen=True)
class Split:
    """A held-out split made per class: indices into the pictures.

    Attributes
    ----------
    train, test : ndarray of int64, read-only
        Sorted indices of the pictures to train on and of those held out for testing.
    train_counts, test_counts : tuple of int
        How many of each class train and how many are held out, in label order.
    """

    train: np.ndarray
    test: np.ndarray
    train_counts: tuple[int, ...]
    test_counts: tuple[int, ...]

    def __repr__(self) -> str:
        return f"Split(train={self.train_counts}, test={self.test_counts})"


def prepare_picture(data: bytes, size: int = 64, channels: int = 1) -> np.ndarray:
    """Decode one picture file and make it ``size``×``size``, as the model will see it.

    Parameters
    ----------
    data : bytes
        The file's contents (any format :func:`cnnviz.pictures.load_image` reads).
    size : int
        The side ``S`` of the result, from 4 to 128.
    channels : {1, 3}
        1 for grayscale (luma), 3 for colour (a grayscale file gets its value in all three).

    Returns
    -------
    ndarray of float32, shape (S, S, C)
        Values in [0, 1].

    Raises
    ------
    ImageError
        The loader's message: not a picture, damaged, too large, ...

    Notes
    -----
    The largest centred square is cut out (the longer side loses equal parts at both ends;
    nothing is stretched), then resized to ``S``×``S`` with Pillow's Lanczos filter, each
    channel as 32-bit floats, and clipped to [0, 1] (Lanczos overshoots a little at sharp
    edges). The loader first shrinks a large file to a longest side of ``2 S`` (a JPEG is
    decoded at a reduced scale, which is what makes a large photo cheap): a 4:3 photo still
    gives 1.5 source pixels to every output pixel; a picture more than twice as wide as it is
    tall (or tall as wide) is enlarged a little.

    Examples
    --------
    A 6×4 picture, white on its left half: the centred 4×4 square keeps columns 1 to 4.

    >>> buffer = io.BytesIO()
    >>> picture = np.zeros((4, 6), np.uint8)
    >>> picture[:, :3] = 255
    >>> Image.fromarray(picture).save(buffer, format="PNG")
    >>> prepare_picture(buffer.getvalue(), size=4)[..., 0]
    array([[1., 1., 0., 0.],
           [1., 1., 0., 0.],
           [1., 1., 0., 0.],
           [1., 1., 0., 0.]], dtype=float32)
    """
    size, channels = _check_size(size), _check_channels(channels)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"`data` must be the file's bytes. Received: {type(data).__name__}.")
    loaded = load_image(bytes(data), max_side=_OVERSAMPLE * size, max_bytes=MAX_FILE_BYTES)
    return _square(loaded.array, size, channels)


def labelled_images_from_zip(data: bytes, size: int = 64, channels: int = 1) -> LabelledImages:
    """Read a zip whose top-level folders are the classes into pictures and labels.

    Parameters
    ----------
    data : bytes
        The zip file's contents.
    size : int
        The side ``S`` of the prepared pictures, from 4 to 128.
    channels : {1, 3}
        1 for grayscale, 3 for colour.

    Returns
    -------
    LabelledImages
        ``x`` of shape ``(N, S, S, C)``, ``y``, the classes (folder names, alphabetical), and a
        message for every file not taken, naming it.

    Raises
    ------
    PictureSetError
        Not a zip; more than :data:`MAX_ENTRIES` entries; pictures adding up to more than
        :data:`MAX_ZIP_BYTES` unpacked; fewer than 2 classes or more than 6 with pictures left
        once the bad files are set aside. Its ``problems`` holds the per-file messages.

    Notes
    -----
    Limits: :data:`MAX_FILE_BYTES` per picture, :data:`MAX_PER_CLASS` per class and
    :data:`MAX_PICTURES` in all. A class folder with more pictures gives its first ones by name
    and says which were left out; when the classes together have more than allowed, each gets
    an equal share (a class with fewer than its share gives the rest to the others). A picture
    that fails to decode lets the next one in its folder take its place. Each picture is
    prepared as :func:`prepare_picture` says.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as archive:
    ...     for name, value in [("cup/1.png", 0), ("cup/2.png", 9), ("pen/a.png", 255)]:
    ...         png = io.BytesIO()
    ...         Image.new("L", (5, 5), value).save(png, format="PNG")
    ...         archive.writestr(name, png.getvalue())
    ...     archive.writestr("notes.txt", "hello")
    >>> pictures = labelled_images_from_zip(buffer.getvalue(), size=8)
    >>> pictures.x.shape, pictures.y.tolist(), pictures.classes
    ((3, 8, 8, 1), [0, 0, 1], ('cup', 'pen'))
    >>> pictures.problems
    ("'notes.txt' is not in a class folder: put each picture in its class's folder.",)
    """
    size, channels = _check_size(size), _check_channels(channels)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(f"`data` must be the zip's bytes. Received: {type(data).__name__}.")
    data = bytes(data)
    if len(data) > MAX_ZIP_BYTES:
        raise PictureSetError(
            f"The zip is larger than {MAX_ZIP_BYTES / 10**6:g} MB ({len(data):,} bytes); "
            "please upload fewer or smaller pictures."
        )
    entries = _entry_count(data)
    if entries > MAX_ENTRIES:
        raise PictureSetError(
            f"The zip lists {entries:,} entries, more than the {MAX_ENTRIES:,} allowed (at most "
            f"{MAX_PICTURES} pictures are used). Zip only the class folders."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise PictureSetError(
            f"This file is not a zip archive that can be read ({error}). Make one by "
            "compressing the class folders (one folder per class, pictures inside)."
        ) from None
    with archive:
        return _read_archive(archive, size, channels)


def labelled_images(
    files: Sequence[tuple[str, bytes, int]],
    classes: Sequence[str],
    size: int = 64,
    channels: int = 1,
) -> LabelledImages:
    """Prepare pictures added one by one (uploads, camera snapshots) with their classes.

    Parameters
    ----------
    files : sequence of (name, bytes, class_index)
        Each picture's file name (used in messages), contents, and index into ``classes``.
    classes : sequence of str
        The class names, 1 to 6 of them (only classes with pictures are kept).
    size : int
        The side ``S`` of the prepared pictures, from 4 to 128.
    channels : {1, 3}
        1 for grayscale, 3 for colour.

    Returns
    -------
    LabelledImages
        The classes that have pictures, in the given order, labels renumbered to match; a
        message for each file not taken and each class left empty.

    Raises
    ------
    PictureSetError
        Fewer than 2 classes with pictures left once the bad files are set aside.

    Notes
    -----
    The same limits and preparation as :func:`labelled_images_from_zip`; files in a class
    beyond its share are left out in the order given (the first ones are kept).

    Examples
    --------
    >>> def png(value):
    ...     buffer = io.BytesIO()
    ...     Image.new("L", (3, 3), value).save(buffer, format="PNG")
    ...     return buffer.getvalue()
    >>> files = [("a.png", png(0), 0), ("b.png", png(255), 2), ("c.txt", b"hi", 2)]
    >>> pictures = labelled_images(files, ["cup", "pen", "key"], size=8)
    >>> pictures.classes, pictures.y.tolist()
    (('cup', 'key'), [0, 1])
    >>> len(pictures.problems)
    2
    """
    size, channels = _check_size(size), _check_channels(channels)
    names = [str(name) for name in classes]
    if not 1 <= len(names) <= MAX_CLASSES:
        raise ValueError(
            f"`classes` must name 1 to {MAX_CLASSES} classes. Received: {len(names)} classes."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"`classes` must be different names. Received: {names!r}.")
    groups: dict[str, list[tuple[str, bytes | None]]] = {name: [] for name in names}
    problems: list[str] = []
    for item in files:
        if not (isinstance(item, (tuple, list)) and len(item) == 3):
            raise ValueError(f"Each file must be (name, bytes, class_index). Received: {item!r}.")
        name, content, index = item
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"A class index must be a whole number. Received: {index!r}.")
        if not 0 <= index < len(names):
            raise ValueError(
                f"A class index must be from 0 to {len(names) - 1}. Received: {index} for {name!r}."
            )
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise ValueError(f"A file's contents must be bytes. Received: {type(content)}.")
        if len(content) > MAX_FILE_BYTES:
            problems.append(_too_large(str(name), len(content)))
            continue
        groups[names[index]].append((str(name), bytes(content)))
    return _prepare(groups, problems, size, channels, lambda _name, content: content)


def sample_shapes(
    n_per_class: int = 60, size: int = 64, seed: int = 0, channels: int = 1
) -> LabelledImages:
    """A labelled set that ships with the app: circles, squares and triangles.

    Each shape has a random centre, size, rotation and stroke (filled, or outlined with a
    random line width), light on a dark background of random levels, with a little noise.

    Parameters
    ----------
    n_per_class : int
        Pictures of each shape, 1 to :data:`MAX_PER_CLASS`.
    size : int
        The pictures' side ``S``, from 4 to 128.
    seed : int
        The same seed draws the same pictures.
    channels : {1, 3}
        1 for grayscale, 3 for colour (the same gray in all three).

    Returns
    -------
    LabelledImages
        ``3 n_per_class`` pictures, class by class in the order of :data:`SHAPES`.

    Notes
    -----
    Each shape is drawn with Pillow at 8 times the size and shrunk with a box filter, so its
    edges are smooth. The whole shape always lies inside the picture: its circumscribed
    circle, of radius 25 % to 40 % of the side, is placed so that it fits.

    Examples
    --------
    >>> shapes = sample_shapes(2, size=16, seed=1)
    >>> shapes.x.shape, shapes.y.tolist(), shapes.classes
    ((6, 16, 16, 1), [0, 0, 1, 1, 2, 2], ('circle', 'square', 'triangle'))
    """
    size, channels = _check_size(size), _check_channels(channels)
    n_per_class = _whole(n_per_class, "n_per_class", 1, MAX_PER_CLASS)
    seed = _whole(seed, "seed", 0, 2**63 - 1)
    rng = np.random.default_rng(seed)
    pictures, sources = [], []
    for label, shape in enumerate(SHAPES):
        for k in range(n_per_class):
            pictures.append(_draw_shape(rng, label, size))
            sources.append(f"{shape} {k + 1}")
    x = np.stack(pictures)[..., None]  # (N, S, S, 1)
    if channels == 3:
        x = np.repeat(x, 3, axis=3)  # (N, S, S, 3)
    y = np.repeat(np.arange(len(SHAPES)), n_per_class)
    return _result(x, y, SHAPES, (), sources)


def held_out_split(
    y: Sequence[int] | np.ndarray,
    fraction: float = 0.2,
    seed: int = 0,
    *,
    classes: Sequence[str] | None = None,
) -> Split:
    """Hold out the same share of every class for testing, picked at random.

    Parameters
    ----------
    y : array-like of int, shape (N,)
        Each picture's class.
    fraction : float
        The share of each class held out, strictly between 0 and 1.
    seed : int
        The same seed picks the same pictures.
    classes : sequence of str, optional
        The class names, for messages; also says how many classes there are (a class with no
        pictures then counts as short of two).

    Returns
    -------
    Split

    Raises
    ------
    TooFewPictures
        A class has fewer than 2 pictures (one to train on, one to test); the message says how
        many more to add to which class.

    Notes
    -----
    A class of ``n`` pictures holds out ``round(n × fraction)``, but at least 1 and at most
    ``n − 1``, so every class is both trained on and tested.

    Examples
    --------
    >>> split = held_out_split([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], 0.2, seed=0)
    >>> split.train_counts, split.test_counts
    ((4, 4), (1, 1))
    >>> held_out_split([0, 0, 1], classes=["cup", "pen"])
    Traceback (most recent call last):
    ...
    cnnviz.learning.own.TooFewPictures: Too few pictures to hold some out for testing: add 1 more to 'pen'. Each class needs at least 2 pictures: one to train on, one to test.
    """  # noqa: E501
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.size == 0 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"`y` must be a 1-D array of class indices. Received: {y!r:.80}.")
    if labels.min() < 0:
        raise ValueError(f"`y` must hold class indices from 0. Received: min {labels.min()}.")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        raise ValueError(f"`fraction` must be a number. Received: fraction={fraction!r}.")
    if not 0 < fraction < 1:
        raise ValueError(
            f"`fraction` must be between 0 and 1 (not included). Received: fraction={fraction}."
        )
    seed = _whole(seed, "seed", 0, 2**63 - 1)
    n_classes = int(labels.max()) + 1
    if classes is not None:
        names = [str(c) for c in classes]
        if len(names) < n_classes:
            raise ValueError(
                f"`classes` names {len(names)} classes but `y` holds class {n_classes - 1}."
            )
    else:
        names = [f"class {k}" for k in range(n_classes)]
    counts = np.bincount(labels, minlength=len(names))
    missing = {names[k]: 2 - int(n) for k, n in enumerate(counts) if n < 2}
    if missing:
        adds = " and ".join(f"{k} more to {name!r}" for name, k in missing.items())
        raise TooFewPictures(
            f"Too few pictures to hold some out for testing: add {adds}. Each class needs at "
            "least 2 pictures: one to train on, one to test.",
            missing,
        )
    rng = np.random.default_rng(seed)
    test_parts = []
    test_counts = []
    for k, n in enumerate(counts):
        held = min(max(1, round(int(n) * fraction)), int(n) - 1)
        members = np.flatnonzero(labels == k)
        test_parts.append(rng.choice(members, size=held, replace=False))
        test_counts.append(held)
    test = np.sort(np.concatenate(test_parts)).astype(np.int64)
    train = np.setdiff1d(np.arange(labels.size), test).astype(np.int64)
    for array in (train, test):
        array.setflags(write=False)
    train_counts = tuple(int(n) - t for n, t in zip(counts, test_counts))
    return Split(train, test, train_counts, tuple(test_counts))


def as_dataset(images: LabelledImages, split: Split, name: str = "Your pictures") -> Dataset:
    """The pictures as a :class:`~cnnviz.learning.data.Dataset` to train on, split by ``split``.

    Parameters
    ----------
    images : LabelledImages
        Pictures (N, S, S, C) in [0, 1] with their labels and class names.
    split : Split
        Which pictures train and which are held out (:func:`held_out_split`).
    name : str
        What the page calls the data set.

    Returns
    -------
    Dataset
        ``x_train``, ``x_test`` uint8 (n, S, S, C) (``round(255 x)``), in the split's order
        (``x_test[i]`` is ``images.x[split.test[i]]``); ``y_*`` uint8; ``class_names`` the
        images' classes; ``source`` ``"own"``.

    Examples
    --------
    >>> shapes = sample_shapes(5, size=16)
    >>> data = as_dataset(shapes, held_out_split(shapes.y, 0.2))
    >>> data, data.x_train.shape, data.class_names
    (Dataset('Your pictures', source='own', train=12, test=3), (12, 16, 16, 1), \
('circle', 'square', 'triangle'))
    """
    if not isinstance(images, LabelledImages) or not isinstance(split, Split):
        raise ValueError("`images` must be LabelledImages and `split` a Split.")
    top = max(int(split.train.max(initial=-1)), int(split.test.max(initial=-1)))
    if top >= len(images.y):
        raise ValueError(
            f"`split` holds indices beyond the {len(images.y)} pictures: make it from these "
            "pictures' labels."
        )
    pixels = np.round(np.clip(images.x, 0.0, 1.0) * 255).astype(np.uint8)  # (N, S, S, C)
    labels = images.y.astype(np.uint8)
    train, test = split.train, split.test
    shown = ", ".join(
        f"{c}: {a} + {b}" for c, a, b in zip(images.classes, split.train_counts, split.test_counts)
    )
    return Dataset(
        name=str(name),
        source="own",
        reason=(
            f"{len(train)} pictures to train on and {len(test)} held out for testing, "
            f"per class ({shown})."
        ),
        x_train=pixels[train],
        y_train=labels[train],
        x_test=pixels[test],
        y_test=labels[test],
        class_names=tuple(images.classes),
    )


def spec_for(images: LabelledImages, spec: ModelSpec = DEFAULT_SPEC) -> ModelSpec:
    """``spec`` with the input shape and class count of these pictures.

    >>> spec_for(sample_shapes(2, size=48, channels=3)).input_shape
    (48, 48, 3)

    Raises
    ------
    ValueError
        From :class:`~cnnviz.learning.model.ModelSpec` when ``spec``'s blocks do not fit the
        pictures (``DEFAULT_SPEC``'s three 5×5 blocks need a side of at least 36).
    """
    return spec.replace(input_shape=tuple(images.x.shape[1:]), classes=len(images.classes))


def shifted(x: np.ndarray, pixels: int, seed: int = 0) -> np.ndarray:
    """Every picture moved by ``pixels`` pixels in a random direction, zero fill: new places.

    Parameters
    ----------
    x : ndarray, shape (N, H, W) or (N, H, W, C)
        Pictures, any dtype (uint8 0..255 or floats).
    pixels : int
        How far each picture moves, 0 to ``min(H, W) − 1``: along one axis (drawn at random)
        exactly ``pixels`` up or down (or left or right), along the other any whole number
        from ``−pixels`` to ``pixels``. What leaves the frame is lost; what comes in is 0.
    seed : int
        The same seed moves the same pictures the same way.

    Returns
    -------
    ndarray, like ``x``

    Examples
    --------
    >>> x = np.zeros((1, 5, 5), np.uint8); x[0, 2, 2] = 9
    >>> moved = shifted(x, 2, seed=0)
    >>> [int(v) for v in np.argwhere(moved[0])[0]], int(moved.sum())  # 2 down, 1 right
    ([4, 3], 9)
    """
    x = np.asarray(x)
    if x.ndim not in (3, 4) or x.shape[0] == 0:
        raise ValueError(
            f"`x` must be pictures (N, H, W) or (N, H, W, C). Received: x.shape={x.shape}."
        )
    h, w = x.shape[1:3]
    pixels = _whole(pixels, "pixels", 0, min(h, w) - 1)
    seed = _whole(seed, "seed", 0, 2**63 - 1)
    rng = np.random.default_rng(seed)
    out = np.zeros_like(x)
    for n in range(len(x)):
        far = int(rng.choice([-pixels, pixels]))
        near = int(rng.integers(-pixels, pixels + 1))
        dy, dx = (far, near) if rng.integers(2) else (near, far)
        rows_to = slice(max(dy, 0), h + min(dy, 0))
        rows_from = slice(max(-dy, 0), h + min(-dy, 0))
        cols_to = slice(max(dx, 0), w + min(dx, 0))
        cols_from = slice(max(-dx, 0), w + min(-dx, 0))
        out[n, rows_to, cols_to] = x[n, rows_from, cols_from]
    return out


# -- reading a zip ---------------------------------------------------------------------------


def _entry_count(data: bytes) -> int:
    """How many entries a zip's directory lists, read from its end record before parsing it.

    Opening a zip builds an object per entry, so a small zip listing millions of entries is
    refused here first. A ZIP64 end record (0xFFFF entries) is counted by its directory
    entries' signatures instead: an upper bound.
    """
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return 0  # not a zip: zipfile says so
    count = int.from_bytes(data[end + 10 : end + 12], "little")
    return data.count(b"PK\x01\x02") if count == 0xFFFF else count


def _read_archive(archive: zipfile.ZipFile, size: int, channels: int) -> LabelledImages:
    problems: list[str] = []
    files: list[tuple[list[str], zipfile.ZipInfo]] = []
    folders: set[tuple[str, ...]] = set()
    for info in archive.infolist():
        name = info.filename
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
        bad = _path_problem(name, parts)
        if bad:
            problems.append(bad)
            continue
        if any(part.lower() in _JUNK or part.startswith(".") for part in parts):
            continue  # system files (macOS resource forks, .DS_Store, Thumbs.db)
        if info.is_dir():
            folders.add(tuple(parts))
            continue
        folders.update(tuple(parts[:k]) for k in range(1, len(parts)))
        files.append((parts, info))
    # A zip of the folder that holds the class folders: open that folder.
    while files and all(len(p) >= 3 for p, _ in files) and len({p[0] for p, _ in files}) == 1:
        files = [(p[1:], info) for p, info in files]
        folders = {f[1:] for f in folders if len(f) > 1}
    groups: dict[str, list[tuple[str, zipfile.ZipInfo]]] = {}
    for parts, info in sorted(files, key=lambda item: item[0]):
        name = info.filename
        bad = _member_problem(name, parts, info)
        if bad:
            problems.append(bad)
            continue
        groups.setdefault(parts[0], []).append((name, info))
    for folder in sorted({f[0] for f in folders} - set(groups)):
        problems.append(f"Folder '{folder}/' holds no pictures; it is not used as a class.")
    groups = {name: groups[name] for name in sorted(groups)}
    # The zip bomb check: what the pictures would unpack to, from the directory alone.
    declared = sum(info.file_size for members in groups.values() for _, info in members)
    if declared > MAX_ZIP_BYTES:
        raise PictureSetError(
            f"The pictures in this zip would unpack to {declared / 10**6:,.0f} MB, more than the "
            f"{MAX_ZIP_BYTES / 10**6:g} MB allowed; nothing was unpacked. Zip fewer or smaller "
            "pictures.",
            problems,
        )

    def read(name: str, info: zipfile.ZipInfo) -> bytes:
        limit = min(info.file_size, MAX_FILE_BYTES)
        with archive.open(info) as member:
            content = member.read(limit + 1)  # bounded, whatever the stream holds
        if len(content) > limit:
            raise ImageError("it unpacks to more bytes than the zip's directory says")
        return content

    return _prepare(groups, problems, size, channels, read)


def _path_problem(name: str, parts: list[str]) -> str | None:
    """A message if a member's name tries to leave the folder it is unpacked into."""
    plain = name.replace("\\", "/")
    if "\x00" in name:
        return f"{name!r} has a NUL character in its name; it was not unpacked."
    if plain.startswith("/") or _DRIVE.match(plain):
        return f"{name!r} has an absolute path (a path trick); it was not unpacked."
    if ".." in parts:
        return f"{name!r} points outside the zip's folders (a '..' path trick); not unpacked."
    return None


def _member_problem(name: str, parts: list[str], info: zipfile.ZipInfo) -> str | None:
    """A message if a file in the zip is not a picture this reader takes."""
    lower = parts[-1].lower()
    if len(parts) == 1:
        return f"{name!r} is not in a class folder: put each picture in its class's folder."
    if lower.endswith(_ARCHIVES):
        return (
            f"{name!r} is an archive inside the archive; it was not opened. Unpack it and zip "
            "its folders instead."
        )
    if not lower.endswith(_PICTURES):
        kinds = ", ".join(kind.upper() for kind in UPLOAD_TYPES)
        return f"{name!r} is not a picture (pictures end in one of {kinds})."
    if (info.external_attr >> 16) & 0o170000 == 0o120000:  # Unix file type: a symbolic link
        return f"{name!r} is a link to another file; links are not followed."
    if info.flag_bits & 0x1:
        return f"{name!r} is encrypted; zip the pictures without a password."
    if info.file_size > MAX_FILE_BYTES:
        return _too_large(name, info.file_size)
    return None


def _too_large(name: str, n_bytes: int) -> str:
    return (
        f"{name!r} is {n_bytes / 10**6:.1f} MB, more than the {MAX_FILE_BYTES / 10**6:g} MB a "
        "picture may have."
    )


# -- shared by the zip and the one-by-one reader ----------------------------------------------


def _prepare(groups, problems, size, channels, read) -> LabelledImages:
    """Decode and prepare each class's files within the limits; gather the messages.

    ``groups`` maps each class name to its ``(name, source)`` pairs in order; ``read(name,
    source)`` gives a file's bytes or raises :class:`ImageError`.
    """
    problems = list(problems)
    shares = _shares({c: len(members) for c, members in groups.items()})
    pictures: list[np.ndarray] = []
    labels: list[int] = []
    sources: list[str] = []
    classes: list[str] = []
    for cls, members in groups.items():
        taken = 0
        left_out: list[str] = []
        for name, source in members:
            if taken == shares[cls]:
                left_out.append(name)
                continue
            try:
                content = read(name, source)
                pictures.append(prepare_picture(content, size, channels))
            except ImageError as error:
                problems.append(f"{name!r} could not be read as a picture: {error}")
                continue
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as error:
                problems.append(f"{name!r} is damaged in the zip and was not unpacked ({error}).")
                continue
            labels.append(len(classes))
            sources.append(name)
            taken += 1
        if left_out:
            rule = (
                f"the {MAX_PER_CLASS} a class may have"
                if shares[cls] == MAX_PER_CLASS
                else f"its share of the {MAX_PICTURES} pictures allowed in all"
            )
            problems.append(
                f"Class '{cls}' has {len(left_out)} more pictures than {rule}; left out: "
                f"{_names(left_out)}."
            )
        if taken:
            classes.append(cls)
        elif members:
            problems.append(f"Class '{cls}' has no picture that could be read; it is left out.")
        else:
            problems.append(f"Class '{cls}' has no pictures; it is left out.")
    if not pictures:
        raise PictureSetError(
            "No picture could be used."
            + (f" The first of {len(problems)} problems: {problems[0]}" if problems else ""),
            problems,
        )
    if len(classes) < MIN_CLASSES:
        raise PictureSetError(
            f"Only one class has pictures ('{classes[0]}'); a model needs at least "
            f"{MIN_CLASSES} classes to tell apart. Add pictures of another class.",
            problems,
        )
    if len(classes) > MAX_CLASSES:
        raise PictureSetError(
            f"There are {len(classes)} classes ({', '.join(repr(c) for c in classes)}); at most "
            f"{MAX_CLASSES} are allowed. Keep {MAX_CLASSES} class folders or fewer.",
            problems,
        )
    x = np.stack(pictures)  # (N, S, S, C)
    return _result(x, np.asarray(labels), classes, problems, sources)


def _shares(counts: dict[str, int]) -> dict[str, int]:
    """Each class's most pictures: :data:`MAX_PER_CLASS`, and an equal share of
    :data:`MAX_PICTURES` when there are more in all (a small class gives its rest to others)."""
    shares = {c: min(n, MAX_PER_CLASS) for c, n in counts.items()}
    room = MAX_PICTURES
    waiting = sorted(shares, key=lambda c: shares[c])
    while waiting:
        fair = room // len(waiting)
        cls = waiting.pop(0)
        shares[cls] = min(shares[cls], fair)
        room -= shares[cls]
    return shares


def _names(names: list[str], shown: int = 3) -> str:
    listed = ", ".join(repr(n) for n in names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _square(array: np.ndarray, size: int, channels: int) -> np.ndarray:
    """The largest centred square of ``array`` (H, W) or (H, W, 3), resized to (S, S, C)."""
    if channels == 1:
        planes = [to_grayscale(array)]
    elif array.ndim == 2:
        planes = [array] * 3
    else:
        planes = [array[..., k] for k in range(3)]
    h, w = planes[0].shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    out = np.empty((size, size, channels), np.float32)  # (S, S, C)
    for k, plane in enumerate(planes):
        square = np.ascontiguousarray(plane[top : top + side, left : left + side], np.float32)
        if side != size:
            image = Image.fromarray(square, mode="F")
            square = np.asarray(image.resize((size, size), Image.Resampling.LANCZOS))
        out[..., k] = square
    return np.clip(out, 0.0, 1.0, out=out)


def _draw_shape(rng: np.random.Generator, label: int, size: int) -> np.ndarray:
    """One sample shape (0 circle, 1 square, 2 triangle) as an (S, S) float32 picture."""
    big = size * _TILE
    radius = rng.uniform(0.25, 0.4) * big  # of the circumscribed circle
    cy, cx = rng.uniform(radius + _TILE, big - radius - _TILE, size=2)
    angle = rng.uniform(0, 2 * np.pi)
    filled = rng.random() < 0.5
    stroke = max(1, round(rng.uniform(0.04, 0.1) * big))
    background, ink = rng.uniform(0.0, 0.3), rng.uniform(0.7, 1.0)
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    if label == 0:
        box = (cx - radius, cy - radius, cx + radius, cy + radius)
        draw.ellipse(box, fill=255 if filled else None, outline=255, width=stroke)
    else:
        corners = 4 if label == 1 else 3
        points = [
            (
                cx + radius * math.cos(angle + 2 * math.pi * k / corners),
                cy + radius * math.sin(angle + 2 * math.pi * k / corners),
            )
            for k in range(corners)
        ]
        if filled:
            draw.polygon(points, fill=255)
        else:
            draw.line([*points, points[0], points[1]], fill=255, width=stroke, joint="curve")
    shape = np.asarray(canvas.resize((size, size), Image.Resampling.BOX), np.float32) / 255.0
    picture = background + (ink - background) * shape
    picture += rng.normal(0.0, 0.03, size=picture.shape)
    return np.clip(picture, 0.0, 1.0).astype(np.float32)


def _result(x, y, classes, problems, sources) -> LabelledImages:
    x = np.ascontiguousarray(x, np.float32)
    y = np.asarray(y, np.int64)
    for array in (x, y):
        array.setflags(write=False)
    return LabelledImages(x, y, tuple(classes), tuple(problems), tuple(sources))


def _check_size(size: object) -> int:
    return _whole(size, "size", MIN_SIZE, MAX_SIZE)


def _check_channels(channels: object) -> int:
    if isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(
            f"`channels` must be 1 (grayscale) or 3 (colour). Received: channels={channels!r}."
        )
    return int(channels)  # type: ignore[call-overload]


def _whole(value: object, name: str, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not (low <= value <= high)
    ):
        raise ValueError(
            f"`{name}` must be a whole number from {low} to {high:,}. Received: {name}={value!r}."
        )
    return int(value)
