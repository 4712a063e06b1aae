"""data: the bundled sample, full MNIST from Keras' cache, and the quick offline fallback."""

import dataclasses
import socket
import threading
import time

import numpy as np
import pytest

from cnnviz.learning import data as mnist
from cnnviz.learning.data import (
    Dataset,
    as_model_input,
    load_full_mnist,
    load_mnist,
    load_sample,
    one_hot,
)


@pytest.fixture
def offline(monkeypatch):
    """Every new connection fails at once, as on a machine with no network."""

    def refuse(*args, **kwargs):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _write_small_mnist(folder, n_train=60, n_test=20):
    """A tiny mnist.npz in Keras' cache layout and format; returns the arrays written."""
    rng = np.random.default_rng(5)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }
    (folder / "datasets").mkdir(parents=True, exist_ok=True)
    np.savez(folder / "datasets" / "mnist.npz", **arrays)
    return arrays


def test_sample_is_split_4000_1000_stratified_and_disjoint():
    """400 training and 100 test digits of each class, no image in both sets."""
    data = load_sample()
    assert data.x_train.shape == (4000, 28, 28) and data.x_test.shape == (1000, 28, 28)
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.uint8
    assert np.bincount(data.y_train).tolist() == [400] * 10
    assert np.bincount(data.y_test).tolist() == [100] * 10
    train_rows = {row.tobytes() for row in data.x_train}
    assert not any(row.tobytes() in train_rows for row in data.x_test)
    assert data.x_train.max() == 255 and data.x_train.min() == 0


def test_sample_split_is_the_same_every_time():
    """Two parses of the file (the shared one and a fresh one) give identical arrays in
    identical order."""
    first = load_sample()
    names = ("x_train", "y_train", "x_test", "y_test")
    again = dict(zip(names, mnist._sample_split.__wrapped__(), strict=True))  # not the cached
    for name, array in again.items():
        assert getattr(first, name) is not array
        np.testing.assert_array_equal(getattr(first, name), array)
    assert first.fingerprint() == dataclasses.replace(first, **again).fingerprint()


def test_sample_is_parsed_once_and_shared_read_only():
    """Every call shares one parse of the file; writing into the shared arrays (or a subset's
    view of them) raises instead of changing what every other caller sees."""
    first, second = load_sample(), load_sample(reason="another reason")
    assert first.x_train is second.x_train and second.reason == "another reason"
    for array in (first.x_train, first.y_train, first.x_test, first.y_test):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        first.subset(10, 10).x_test[0, 0, 0] = 1
    copy = first.x_train.copy()
    copy[0] = 0  # a copy is the caller's own
    assert first.x_train[0].any()


def test_sample_order_is_mixed_so_a_prefix_holds_every_digit():
    """The first 100 training digits already contain all ten classes."""
    assert set(load_sample().y_train[:100].tolist()) == set(range(10))


def test_choosing_the_sample_says_so():
    """The reason names the choice, and no full-set attempt is made."""
    data = load_mnist("sample")
    assert data.source == "sample" and not data.fallback
    assert data.reason.startswith("You chose the sample")


def test_full_request_falls_back_to_the_sample_quickly_when_offline(offline, tmp_path):
    """No network, nothing cached: the sample within seconds, with the reason."""
    started = time.monotonic()
    data = load_mnist("full", cache_dir=str(tmp_path))
    assert time.monotonic() - started < 10
    assert data.source == "sample" and len(data.x_train) == 4000 and data.fallback
    assert "Full MNIST is not available here" in data.reason
    assert "cannot be reached" in data.reason and "Network is unreachable" in data.reason


def test_full_request_gives_up_on_a_server_that_never_answers(monkeypatch, tmp_path):
    """A server that accepts the connection but never replies costs about `timeout`, not more."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)  # connections complete in the backlog; nobody ever reads or answers
    port = server.getsockname()[1]
    monkeypatch.setattr(mnist, "MNIST_ORIGIN", f"https://127.0.0.1:{port}/mnist.npz")
    try:
        started = time.monotonic()
        data = load_mnist("full", cache_dir=str(tmp_path), timeout=1.0)
        took = time.monotonic() - started
    finally:
        server.close()
    assert data.source == "sample"
    assert "download from 127.0.0.1 failed" in data.reason and "timed out" in data.reason
    assert took < 5
    assert list((tmp_path / "datasets").iterdir()) == []  # no half-written file left behind


def test_download_lands_in_keras_cache_only_when_the_hash_matches(monkeypatch, tmp_path):
    """A local server stands in for Keras' address: right hash → cached and used; wrong → not."""
    import hashlib
    import http.server

    source = tmp_path / "served"
    _write_small_mnist(source)
    payload = (source / "datasets" / "mnist.npz").read_bytes()

    class Serve(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Serve)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(mnist, "MNIST_ORIGIN", f"http://127.0.0.1:{server.server_port}/mnist.npz")
    try:
        cache = tmp_path / "cache"
        wrong = load_mnist("full", cache_dir=str(cache))
        assert wrong.source == "sample" and "not the expected MNIST file" in wrong.reason
        assert list((cache / "datasets").iterdir()) == []
        monkeypatch.setattr(mnist, "MNIST_SHA256", hashlib.sha256(payload).hexdigest())
        data = load_mnist("full", cache_dir=str(cache))
        assert data.source == "full" and "downloaded just now" in data.reason
        assert (cache / "datasets" / "mnist.npz").read_bytes() == payload
    finally:
        server.shutdown()


def test_probe_gives_up_after_timeout_even_if_name_lookup_hangs(monkeypatch):
    """A DNS lookup that hangs is abandoned after `timeout` seconds."""
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(10)
        raise OSError("late")

    monkeypatch.setattr(socket, "create_connection", hang)
    started = time.monotonic()
    with pytest.raises(mnist.DataError, match="did not answer within"):
        mnist._probe("example.invalid", 443, 0.5)
    release.set()
    assert time.monotonic() - started < 2


def test_full_mnist_is_read_from_keras_cache_without_network(offline, tmp_path):
    """A mnist.npz in <cache>/datasets/ is used as is: same arrays, source 'full'."""
    written = _write_small_mnist(tmp_path)
    data = load_mnist("full", cache_dir=str(tmp_path))
    assert data.source == "full"
    assert data.name == "MNIST (80 digits)"
    assert "read from Keras' cache" in data.reason
    for name, array in written.items():
        np.testing.assert_array_equal(getattr(data, name), array)


def test_keras_home_environment_variable_is_honoured(offline, tmp_path, monkeypatch):
    """With no cache_dir, the cache is $KERAS_HOME/datasets, as for Keras itself."""
    _write_small_mnist(tmp_path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert mnist.keras_cache_path() == str(tmp_path / "datasets" / "mnist.npz")
    assert load_full_mnist().source == "full"


def test_broken_cached_file_falls_back_with_the_reason(offline, tmp_path):
    """A cached file that is not an npz leads to the sample, and the reason says why."""
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"<html>not found</html>")
    data = load_mnist("full", cache_dir=str(tmp_path))
    assert data.source == "sample"
    assert "is not a readable MNIST file" in data.reason


def test_cached_file_with_wrong_shapes_is_rejected(tmp_path):
    """Images that are not 28×28 raise DataError naming the problem."""
    (tmp_path / "datasets").mkdir()
    np.savez(
        tmp_path / "datasets" / "mnist.npz",
        x_train=np.zeros((3, 32, 32), np.uint8),
        y_train=np.zeros(3, np.uint8),
        x_test=np.zeros((3, 32, 32), np.uint8),
        y_test=np.zeros(3, np.uint8),
    )
    with pytest.raises(mnist.DataError, match="does not hold 28×28 digits"):
        load_full_mnist(cache_dir=str(tmp_path))


def test_subset_keeps_a_prefix_and_validates_counts():
    """subset(n) keeps the first n; more than there are keeps all; 0 is refused."""
    data = load_sample()
    small = data.subset(50, 20)
    assert isinstance(small, Dataset) and len(small.x_train) == 50 and len(small.x_test) == 20
    np.testing.assert_array_equal(small.x_train, data.x_train[:50])
    assert len(data.subset(10**6).x_train) == 4000
    with pytest.raises(ValueError, match=r"`n_train` must be a positive integer or None"):
        data.subset(0)


@pytest.mark.parametrize(
    ("source", "message"),
    [("mnist", r"`source` must be one of 'full', 'sample'"), (3, "Received: source=3")],
)
def test_unknown_source_is_refused(source, message):
    with pytest.raises(ValueError, match=message):
        load_mnist(source)


def test_model_input_is_scaled_to_unit_range_with_a_channel_axis():
    """0..255 becomes 0..1 float32, shape (N, 28, 28, 1)."""
    x = as_model_input(np.array([[[0, 255], [51, 102]]], dtype=np.uint8))
    assert x.shape == (1, 2, 2, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, :, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)


def test_one_hot_rows_and_bad_labels():
    np.testing.assert_array_equal(one_hot(np.array([1, 9]))[:, [1, 9]], [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match=r"labels in 0\.\.9"):
        one_hot(np.array([10]))
