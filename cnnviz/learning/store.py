"""Files kept between runs: the default model's weights, and what is computed from them once.

Everything here is a plain ``.npz`` of named arrays in one folder (:func:`cache_dir`), written
whole or not at all, and read back only if intact: a missing, stale or broken file costs a
recomputation, never an error. Several processes may share the folder (the test suite's workers,
replicas of a server on one disk); :func:`locked` lets one of them compute while the others wait.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import numpy as np

__all__ = [
    "CACHE_VERSION",
    "Busy",
    "cache_dir",
    "digest",
    "load_arrays",
    "locked",
    "recalled",
    "remembered",
    "save_arrays",
]

#: The version of what the core computes into cached files (test scores, shift curves): raise it
#: when a change to the model maths (``nn``, ``probe``, ``maths.pixels``) changes those numbers,
#: so no server keeps serving the old ones from disk. Trained weights do not depend on it.
CACHE_VERSION = 1


class Busy(RuntimeError):
    """Another process (or thread) holds the lock and the caller chose not to wait for it."""


def cache_dir(folder: str | None = None) -> str:
    """The cache folder: ``folder``, else ``$CNNVIZ_CACHE_DIR``, else ``$XDG_CACHE_HOME/cnnviz``
    or ``~/.cache/cnnviz``."""
    if folder:
        return folder
    if os.environ.get("CNNVIZ_CACHE_DIR"):
        return os.environ["CNNVIZ_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cnnviz")


def digest(*parts: str | bytes | np.ndarray) -> str:
    """A short hash of strings, bytes and arrays (shape, type and values), to name a file.

    >>> digest("a", np.zeros(2)) == digest("a", np.zeros(2)) != digest("a", np.zeros(3))
    True
    """
    hashed = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            hashed.update(f"{part.shape}{part.dtype}".encode())
            part = np.ascontiguousarray(part).tobytes()
        hashed.update(part.encode() if isinstance(part, str) else part)
        hashed.update(b"|")
    return hashed.hexdigest()[:16]


@contextmanager
def locked(path: str, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) for the ``with`` block.

    Waits while another process (or thread) holds it; with ``wait=False`` raises :class:`Busy`
    at once instead (a visitor's script thread must not hang on another's long computation).
    Where no lock can be had (no ``fcntl`` on Windows, a read-only disk) the block runs
    unlocked: at worst two processes both compute.
    """
    try:
        import fcntl

        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle = open(path, "a")  # closed below, after the block: that releases the lock
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy(f"{path} is held by another process.") from None
        yield
    finally:
        handle.close()


def load_arrays(path: str) -> dict[str, np.ndarray] | None:
    """The arrays :func:`save_arrays` wrote to ``path``, or None if missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {name: saved[name] for name in saved.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # cut short, garbled
        return None


def save_arrays(path: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` next to ``path`` first, then move them in place (no half-written file).

    A read-only or full disk is not an error: the file is simply not there next time.
    """
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".partial-")
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(partial, path)
    except OSError:
        pass


def remembered(
    name: str,
    key: str,
    compute: Callable[[], Mapping[str, np.ndarray]],
    *,
    folder: str | None = None,
    wait: bool = True,
) -> dict[str, np.ndarray]:
    """``compute()``'s arrays, from ``<cache dir>/<name>-<key>.npz`` if an earlier run kept them.

    ``key`` must change whenever the result would (see :func:`digest`); :data:`CACHE_VERSION` is
    part of the file name too. The first process to ask computes under a lock and saves; the
    others wait and then read what it saved, or with ``wait=False`` get :class:`Busy` at once
    while it computes.
    """
    path = _remembered_path(name, key, folder)
    arrays = load_arrays(path)
    if arrays is None:
        with locked(f"{path}.lock", wait=wait):
            arrays = load_arrays(path)  # another process may have computed it meanwhile
            if arrays is None:
                arrays = dict(compute())
                save_arrays(path, arrays)
    return arrays


def recalled(name: str, key: str, *, folder: str | None = None) -> dict[str, np.ndarray] | None:
    """What :func:`remembered` kept for ``name`` and ``key``, or None if nothing is kept yet.

    Never computes and never waits for a process that is computing it: a page asks this to show
    a result at once if there is one, and offers to compute it otherwise.
    """
    return load_arrays(_remembered_path(name, key, folder))


def _remembered_path(name: str, key: str, folder: str | None) -> str:
    return os.path.join(cache_dir(folder), f"{name}-{key}-v{CACHE_VERSION}.npz")
