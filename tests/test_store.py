"""cnnviz.learning.store: files written whole, read back only if intact, computed once."""

import os
import threading
import time

import numpy as np
import pytest

from cnnviz.learning.store import (
    CACHE_VERSION,
    Busy,
    cache_dir,
    digest,
    load_arrays,
    locked,
    remembered,
    save_arrays,
)


def test_arrays_come_back_exactly_and_a_broken_file_reads_as_missing(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"w0": rng.random((3, 4)).astype(np.float32), "labels": np.arange(5)}
    path = str(tmp_path / "sub" / "x.npz")
    save_arrays(path, arrays)
    back = load_arrays(path)
    assert back.keys() == arrays.keys()
    for name, array in arrays.items():
        np.testing.assert_array_equal(back[name], array)
        assert back[name].dtype == array.dtype
    with open(path, "r+b") as file:
        file.truncate(40)  # a file cut short, as by a full disk
    assert load_arrays(path) is None
    assert load_arrays(str(tmp_path / "missing.npz")) is None
    assert [n for n in os.listdir(tmp_path / "sub") if n.startswith(".partial-")] == []


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path):
    """A cache "folder" that is a file (as unwritable as a read-only disk, even for root): the
    result is computed and returned, nothing is kept, nothing raises."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    save_arrays(str(blocked / "x.npz"), {"a": np.zeros(2)})
    assert load_arrays(str(blocked / "x.npz")) is None
    got = remembered("thing", "k", lambda: {"a": np.ones(2)}, folder=str(blocked))
    np.testing.assert_array_equal(got["a"], np.ones(2))


def test_remembered_computes_once_across_threads_and_later_reads_the_file(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"curve": np.linspace(0, 1, 9)}

    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(remembered("c", "key1", compute, folder=str(tmp_path)))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(results) == 3
    for got in results:
        np.testing.assert_array_equal(got["curve"], np.linspace(0, 1, 9))
    remembered("c", "key2", compute, folder=str(tmp_path))
    assert len(calls) == 2
    version = f"v{CACHE_VERSION}"  # a core that computes other numbers uses other files
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == [
        f"c-key1-{version}.npz",
        f"c-key2-{version}.npz",
    ]


def test_digest_tells_apart_values_shapes_and_types():
    a = np.arange(6, dtype=np.float32)
    assert digest("x", a) == digest("x", a.copy())
    assert len({digest("x", a), digest("x", a.reshape(2, 3)), digest("x", a.astype(np.float64)),
                digest("y", a), digest("x", a + 1)}) == 5  # fmt: skip


def test_cache_dir_prefers_the_argument_then_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path))
    assert cache_dir("/elsewhere") == "/elsewhere" and cache_dir() == str(tmp_path)
    monkeypatch.delenv("CNNVIZ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert cache_dir() == "/xdg/cnnviz"


def test_without_waiting_a_held_lock_says_busy_at_once_and_computes_nothing(tmp_path):
    """A visitor's thread must not hang on another's hour-long computation: while one thread
    computes under the lock, another asking with wait=False gets Busy at once; afterwards it
    reads the saved result (and a free lock is simply taken)."""
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(10)
        return {"a": np.ones(3)}

    worker = threading.Thread(target=lambda: remembered("d", "k", slow, folder=str(tmp_path)))
    worker.start()
    assert started.wait(10)
    calls = []
    try:
        begin = time.monotonic()
        with pytest.raises(Busy):
            remembered("d", "k", lambda: calls.append(1) or {}, folder=str(tmp_path), wait=False)
        assert time.monotonic() - begin < 1 and calls == []
        with (
            pytest.raises(Busy),
            locked(str(tmp_path / f"d-k-v{CACHE_VERSION}.npz.lock"), wait=False),
        ):
            pass
    finally:
        release.set()
        worker.join()
    got = remembered("d", "k", lambda: calls.append(1) or {}, folder=str(tmp_path), wait=False)
    np.testing.assert_array_equal(got["a"], np.ones(3))
    assert calls == []
    with locked(str(tmp_path / "free.lock"), wait=False):
        pass
