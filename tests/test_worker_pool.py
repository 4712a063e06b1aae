"""worker: a worker's limits (time, memory, its own backstops) and the pool that hands workers
out (a warm spare, idle exits, a training's whole life under the limits).

Split from test_worker.py so that xdist runs the two files' worker processes side by side.
"""

import os
import signal
import sys
import threading
import time

import pytest

from cnnviz.learning.model import ModelSpec
from cnnviz.learning.worker import Trainer, TrainerPool, TrainingError
from tests.training_kit import SMALL, Interrupt

pytest.importorskip("keras")


@pytest.mark.slow
def test_pool_hands_out_the_warm_worker_and_takes_back_an_unused_one(worker_sample):
    """warm() starts one worker ahead of time and take() hands it out; a caller interrupted
    while TensorFlow loads gives it back (no import wasted) and the next caller trains on it.

    Bug: the memory watcher started before the worker was ready, so a worker given back after
    an interrupted start had two watcher threads on its next training: it has one."""
    pool = TrainerPool(limit=2)
    watchers = []

    def count(run):
        names = [t.name for t in threading.enumerate()]
        watchers.append(names.count(f"cnnviz-watch-{again.pid}"))

    try:
        pool.warm()
        warm = pool._spare
        pool.warm()  # one ready worker at most
        assert pool._spare is warm
        taken = pool.take()
        assert taken is warm and pool._spare is None

        def interrupt(run):
            assert run.status == "starting"
            raise Interrupt

        with pytest.raises(Interrupt):
            taken.train(SMALL, worker_sample, on_update=interrupt, memory_mb=4000)
        assert not taken.sent
        pool.give_back(taken)
        assert pool._spare is taken
        again = pool.take()
        assert again is taken
        trained = again.train(
            SMALL.replace(epochs=1), worker_sample, on_update=count, memory_mb=4000
        )
        assert trained.run.status == "finished"
        again.close()
        assert again._process.returncode == 0
    finally:
        pool.close()
    assert watchers and max(watchers) == 1


@pytest.mark.slow
def test_an_idle_worker_exits_by_itself_and_an_old_one_is_not_handed_out():
    """No job within idle_timeout: the worker exits. A ready worker close to that moment is
    replaced by a new one rather than handed out (it could exit before its job arrives)."""
    pool = TrainerPool(limit=1, idle_timeout=1.0)
    try:
        pool.warm()
        idle = pool._spare
        assert idle.wait_ready(60)
        started = time.monotonic()
        while idle.alive and time.monotonic() - started < 30:
            time.sleep(0.1)
        assert idle._process.returncode == 0  # it left by itself
        fresh = pool.take()
        assert fresh is not idle and fresh.alive
        started = time.monotonic()
        fresh.close()  # still loading TensorFlow: let go within about a second
        assert time.monotonic() - started < 5 and not fresh.alive
    finally:
        pool.close()


def test_a_training_past_its_timeout_is_ended(worker_sample):
    """A deadline reached while TensorFlow still loads kills the worker and says so."""
    trainer = Trainer()
    try:
        with pytest.raises(TrainingError, match="took longer than the 0.5 s one training may"):
            trainer.train(SMALL.replace(epochs=20), worker_sample, timeout=0.5)
        trainer._process.wait(10)
        assert trainer._process.returncode == -signal.SIGKILL
    finally:
        trainer.close()


@pytest.mark.slow
def test_a_training_at_its_deadline_stops_and_keeps_what_it_learned(worker_sample):
    """A training still running at its time limit is stopped as Stop would: its model is kept,
    scored, and its record says why it stopped (before, the worker was killed and all lost)."""
    trainer = Trainer()
    try:
        assert trainer.wait_ready(120)
        trained = trainer.train(SMALL.replace(epochs=50), worker_sample, timeout=3)
    finally:
        trainer.close()
    assert trained.run.status == "stopped" and 0 < trained.run.step < trained.run.total_steps
    assert trained.run.reason == "it reached the 3 s one training may take on this server"
    assert trained.evaluation is not None and len(trained.evaluation.true) == 200


def _resident_mb(pid):
    with open(f"/proc/{pid}/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_beyond_its_memory_limit_is_ended_with_a_clear_message(worker_sample):
    """A training whose worker grows 100 MB past its loaded size under a 100 MB margin (batches
    of 1024 hold ~0.4 GB) is killed by the watchdog and reported in words, not a crash."""
    trainer = Trainer()
    try:
        assert trainer.wait_ready(120)
        limit = round(_resident_mb(trainer.pid)) + 100
        with pytest.raises(TrainingError, match=rf"^the training used more than {limit:,} MB of"):
            trainer.train(ModelSpec(batch_size=1024, epochs=5), worker_sample, memory_mb=limit)
        assert trainer._process.wait(10) == -signal.SIGKILL
    finally:
        trainer.close()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_training_never_outgrows_its_own_memory_estimate(worker_sample):
    """The estimate is an upper bound of the measured worker: a training watched with its own
    estimate as the memory limit (RSS read ten times a second) is never killed."""
    from cnnviz.learning.model import estimate_cost

    spec = ModelSpec(batch_size=1024, epochs=1)  # the biggest term: 0.4 GB of activations
    estimate = estimate_cost(spec, len(worker_sample.x_train), len(worker_sample.x_test))
    trainer = Trainer()
    try:
        trained = trainer.train(spec, worker_sample, memory_mb=estimate.peak_bytes // 2**20)
    finally:
        trainer.close()
    assert trained.run.status == "finished"


def test_the_workers_own_limits_end_it_without_the_server(tmp_path):
    """The backstops inside a worker: alarm() ends the process at its wall time even with no
    server watching, and RLIMIT_DATA makes a larger allocation fail instead of growing."""
    probe = (
        "from cnnviz.learning.worker import _bound_self\n"
        "_bound_self(None, 64)\n"  # RLIMIT_DATA at 128 MB
        "try:\n"
        "    bytearray(512 * 2**20)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('refused')\n"
        "_bound_self(1, None)\n"
        "import time; time.sleep(30)\n"
    )
    import subprocess

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert result.stdout.strip() == "refused"
    assert result.returncode == -signal.SIGALRM
    assert time.monotonic() - started < 20


def test_pool_keeps_no_worker_ready_while_every_slot_trains():
    """At most `limit` loaded workers exist: with every slot busy, warm() starts none."""
    pool = TrainerPool(limit=1)
    assert pool.slots.try_acquire()
    try:
        pool.warm()
        assert pool._spare is None
    finally:
        pool.slots.release()
        pool.close()


def test_pool_run_refuses_data_that_does_not_fit_the_spec_before_any_worker_starts(
    worker_sample,
):
    """Digits (labels 0..9) for a 3-class spec, or for a 64×64×3 spec: ValueError from
    check_data, and no slot taken, no worker started."""
    pool = TrainerPool(limit=1)
    try:
        with pytest.raises(ValueError, match="labels go up to 9 but the model has 3 classes"):
            pool.run(SMALL.replace(classes=3), worker_sample, keep=pytest.fail)
        with pytest.raises(ValueError, match="the model takes 64×64×3"):
            pool.run(ModelSpec(input_shape=(64, 64, 3)), worker_sample, keep=pytest.fail)
        assert pool.slots.busy == 0 and pool._spare is None
    finally:
        pool.close()


@pytest.mark.slow
def test_pool_run_is_a_trainings_whole_life_under_the_limits(worker_sample):
    """run(): a spec beyond the limits is refused before any worker starts; a good one is
    trained in a worker, handed to keep(), and its slot and process are freed."""
    from cnnviz.learning.training import LimitError, TrainingLimits

    pool = TrainerPool(limit=1)
    tight = TrainingLimits(max_parameters=1_000, max_memory_mb=4000, max_seconds=600)
    with pytest.raises(LimitError, match="parameters"):
        pool.run(SMALL, worker_sample, keep=pytest.fail, limits=tight)
    assert pool.slots.busy == 0 and pool._spare is None  # nothing was started
    kept, updates = [], []
    roomy = TrainingLimits(max_parameters=10**7, max_memory_mb=4000, max_seconds=600)
    pool.run(
        SMALL.replace(epochs=1), worker_sample, on_update=updates.append, keep=kept.append,
        limits=roomy,
    )  # fmt: skip
    (trained,) = kept
    assert trained.run.status == "finished" and trained.run.epochs_done == 1
    assert updates[0].status == "starting" and updates[-1] is trained.run
    assert pool.slots.busy == 0
    pool.close()
