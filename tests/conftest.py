"""What every test shares: a temporary home for whatever the run writes, and read-only models.

* The run's writes stay in one temporary folder, made by the controlling pytest process before
  any xdist worker or streamlit server starts (they inherit its environment) and removed at the
  end: the default model's weights (``CNNVIZ_CACHE_DIR``), Keras' ``keras.json``
  (``KERAS_HOME``), Matplotlib's font cache and Chromium's settings and crash reports (the XDG
  folders). The default model is then trained once per run (the first process to need it trains
  it under a file lock, the others load it) and never read from, or left in, ``~/.cache``.
* Training workers run at the server's priority (``CNNVIZ_TRAINING_NICE=0``): at nice 10 they
  only got the CPU the other test processes left over, and the worker tests waited on them.
* The longest files are handed out first (by their seconds in ``tests/durations.json``), so
  that xdist starts the long files while the short ones fill the gaps, instead of starting a
  long file last (its own default order, by number of tests, put the three-test browser files
  at the end).
* Session fixtures for tests that only read them: ``sample`` (the MNIST sample),
  ``small_sample`` (300 + 200 of its digits), ``default_trained`` (the app's default model)
  and ``small_trained`` (a small model trained for two epochs on ``small_sample``, its Keras
  model included). Never change them.
* Streamlit's scan of every installed package for components, which each AppTest makes on its
  first run (about a second: it parses ~360 packages' metadata), is made once per process: the
  installed packages do not change during a run, and some 300 AppTests run in the suite.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DURATIONS = Path(__file__).with_name("durations.json")  # written by tests/durations.py
_RUN_FOLDER = "CNNVIZ_TEST_RUN_DIR"  # set by the controlling process, inherited by the rest


def _scan_components_once() -> None:
    """Keep the first result of Streamlit's installed-component scan for the whole process."""
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)


def pytest_configure(config: pytest.Config) -> None:
    if not (hasattr(config, "workerinput") or os.environ.get(_RUN_FOLDER)):
        _make_run_folder(config)  # else an xdist worker: the folder is in its environment
    _scan_components_once()  # in every process, once its environment is set


def _make_run_folder(config: pytest.Config) -> None:
    root = tempfile.mkdtemp(prefix="cnnviz-tests-")
    config._cnnviz_run_dir = root
    os.environ[_RUN_FOLDER] = root
    for name, folder in [
        ("CNNVIZ_CACHE_DIR", "cnnviz-cache"),
        ("KERAS_HOME", "keras"),
        ("MPLCONFIGDIR", "matplotlib"),
        ("XDG_CACHE_HOME", "xdg-cache"),
        ("XDG_CONFIG_HOME", "xdg-config"),
    ]:
        os.environ[name] = os.path.join(root, folder)
        os.makedirs(os.environ[name])
    os.environ["CNNVIZ_TRAINING_NICE"] = "0"


def pytest_unconfigure(config: pytest.Config) -> None:
    root = getattr(config, "_cnnviz_run_dir", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)
        del os.environ[_RUN_FOLDER]


def _expected_seconds(items: list[pytest.Item]) -> dict[Path, float]:
    """Each file's seconds in the last measured full run (tests/durations.json); a file not
    measured yet is guessed from its tests: 3 s for each marked slow, 0.1 s for the rest."""
    measured = json.loads(DURATIONS.read_text()) if DURATIONS.is_file() else {}
    guessed: dict[Path, float] = defaultdict(float)
    for item in items:
        guessed[item.path] += 3.0 if item.get_closest_marker("slow") else 0.1
    return {
        path: measured.get(path.as_posix().removeprefix(f"{ROOT.as_posix()}/"), guess)
        for path, guess in guessed.items()
    }


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (a stable sort: the order within a file is kept); xdist hands
    them out in this order (``--no-loadscope-reorder``), so no long file starts last."""
    expected = _expected_seconds(items)
    items.sort(key=lambda item: -expected[item.path])


@pytest.fixture(scope="session")
def sample():
    """The 5,000-digit MNIST sample (its arrays are read-only)."""
    from cnnviz.learning.data import load_sample

    return load_sample()


@pytest.fixture(scope="session")
def default_trained():
    """The app's default model (the article's CNN on the sample), from this run's cache."""
    from cnnviz.learning.training import default_model

    return default_model()


@pytest.fixture(scope="session")
def small_sample(sample):
    """The sample's first 300 training digits (10 batches of 32, the last of 12) and 200 test
    digits."""
    return sample.subset(300, 200)


@pytest.fixture(scope="session")
def small_keras(small_sample):
    """``tests.training_kit.SMALL`` as a Keras model trained on ``small_sample`` by ``train``
    (its ``.history`` is Keras' own record), and the ``TrainingRun`` of that training."""
    pytest.importorskip("keras")
    from cnnviz.learning.model import build_model
    from cnnviz.learning.training import train
    from tests.training_kit import SMALL

    model = build_model(SMALL)
    return model, train(model, small_sample, SMALL)


@pytest.fixture(scope="session")
def small_trained(small_keras, small_sample):
    """That training as the app keeps it: weights, record, score (by the core) and .keras file."""
    from cnnviz.learning.training import TrainedModel
    from tests.training_kit import SMALL

    model, run = small_keras
    return TrainedModel.from_keras(model, SMALL, small_sample, run)


@pytest.fixture(scope="session")
def worker_sample(sample):
    """The sample's first 512 training digits (16 batches of 32) and 200 test digits: what the
    worker tests train on."""
    return sample.subset(512, 200)


@pytest.fixture
def drawn(monkeypatch) -> dict[str, bytes]:
    """Every file the page hands to Streamlit, by file id: the bytes a browser would get."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files
