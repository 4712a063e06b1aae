"""Training yields the CPU to page interactions: its threads run at a higher nice value."""

import os
import sys
import threading

import pytest

from cnnviz.data import load_sample
from cnnviz.model import ModelSpec, build_model
from cnnviz.training import lower_training_priority, train

pytest.importorskip("keras")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="per-thread nice values are a Linux feature"
)


def _nice(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def _threads_python_did_not_start() -> list[int]:
    """TensorFlow's pools (and any other library's): threads outside threading.enumerate()."""
    python_threads = {thread.native_id for thread in threading.enumerate()}
    tids = [int(tid) for tid in os.listdir("/proc/self/task")]
    return [tid for tid in tids if tid not in python_threads and tid != os.getpid()]


def test_training_thread_and_tensorflow_workers_get_nice_ten():
    """After one training in a worker thread, it and every thread TensorFlow started (named
    tf_... or not) run at nice 10; Python's other threads, where pages run, keep theirs."""
    data = load_sample().subset(256, 64)
    spec = ModelSpec(filters=(4,), dense_units=8, batch_size=64, epochs=1)
    seen = {}

    def work():
        model = build_model(spec)
        train(model, data, spec, should_stop=lambda: True)  # one batch is enough
        seen["tid"] = threading.get_native_id()
        seen["nice"] = _nice(seen["tid"])

    caller_before = _nice(threading.get_native_id())
    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=120)
    assert seen["nice"] == 10
    workers = _threads_python_did_not_start()
    assert workers and all(_nice(tid) >= 10 for tid in workers)
    assert _nice(threading.get_native_id()) == caller_before  # the caller's thread is untouched


def test_niceness_zero_changes_nothing():
    """CNNVIZ_TRAINING_NICE=0 (or niceness=0) turns the feature off."""
    assert lower_training_priority(0) == 0
