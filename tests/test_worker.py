"""worker: trainings in worker processes, checked against the same training done here."""

import dataclasses
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

from cnnviz.learning.data import load_sample
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.training import train_new_model
from cnnviz.learning.worker import Trainer, TrainerPool, TrainingError

pytest.importorskip("keras")

SMALL = ModelSpec(filters=(8,), dense_units=32, batch_size=32, epochs=2)


class _Interrupt(Exception):
    """Stands in for Streamlit's stop exception, raised from inside on_update."""


@pytest.fixture(scope="module")
def small_data():
    return load_sample().subset(512, 200)


@pytest.fixture(scope="module")
def in_worker(small_data):
    """One training of SMALL in a worker, with every update it reported."""
    updates = []
    trainer = Trainer()
    try:
        trained = trainer.train(  # under the server's default limits: they must not get in the way
            SMALL,
            small_data,
            on_update=lambda run: updates.append(dataclasses.replace(run)),
            timeout=600,
            memory_mb=1400,
        )
    finally:
        trainer.close()
    return trained, updates, trainer


def test_a_worker_trains_exactly_as_training_here(in_worker, small_data):
    """Same spec, same digits: the worker's curves, weights and test scores equal a training
    in this process (train_new_model), so moving trainings out changes nothing they learn."""
    trained, _, _ = in_worker
    here = train_new_model(SMALL, small_data)
    assert trained.run.status == "finished" and trained.run.step == here.run.step == 32
    np.testing.assert_allclose(trained.run.batch_loss, here.run.batch_loss, rtol=1e-4)
    np.testing.assert_allclose(trained.run.test_accuracy, here.run.test_accuracy)
    for theirs, ours in zip(trained.weights, here.weights, strict=True):
        np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        trained.evaluation.probabilities, here.evaluation.probabilities, rtol=1e-4, atol=1e-6
    )
    assert trained.data_name == small_data.name and trained.spec == SMALL


def test_updates_say_starting_then_follow_the_batches(in_worker):
    """While TensorFlow loads the caller hears "starting" (so a page can draw and be
    interrupted); then progress in order, and the finished record last."""
    trained, updates, trainer = in_worker
    statuses = [run.status for run in updates]
    assert statuses[0] == "starting" and statuses[-1] == "finished"
    running = [run for run in updates if run.status == "running"]
    assert [run.step for run in running] == sorted(run.step for run in running)
    # Reports carry only new batches; merged, every record holds one value per batch so far.
    assert all(len(run.batch_loss) == len(run.batch_accuracy) == run.step for run in running)
    assert updates[-1].batch_loss == trained.run.batch_loss
    assert trainer._process.returncode == 0  # it exited by itself, not killed by close()


def test_stopping_keeps_the_model_it_reached(small_data):
    """An exception from on_update (a click on the page) leaves the worker training; stop()
    ends it after the current batch and returns that model, scored on the test digits."""
    spec = SMALL.replace(epochs=20)
    trainer = Trainer()

    def interrupt(run):
        if run.step >= 3:
            raise _Interrupt

    try:
        with pytest.raises(_Interrupt):
            trainer.train(spec, small_data, on_update=interrupt, update_every=0)
        started = time.monotonic()
        stopped = trainer.stop()
        assert time.monotonic() - started < 10
    finally:
        trainer.close()
    assert stopped.run.status == "stopped"
    assert 3 <= stopped.run.step < stopped.run.total_steps
    assert stopped.evaluation is not None and len(stopped.evaluation.true) == 200
    assert trainer.stop() is stopped  # asking again changes nothing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_every_thread_of_a_worker_runs_at_nice_ten(small_data):
    """The whole training, TensorFlow's pools included, yields the CPU to page interactions."""
    seen, session = {}, []
    trainer = Trainer(niceness=10)

    def look(run):
        if run.status == "running" and not seen:
            tasks = f"/proc/{trainer.pid}/task"
            seen.update(
                {int(t): os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir(tasks)}
            )
            session.append(os.getsid(trainer.pid))

    try:
        trainer.train(SMALL.replace(epochs=1), small_data, on_update=look, update_every=0)
    finally:
        trainer.close()
    assert len(seen) > 3  # TensorFlow's threads, not only the main one
    assert set(seen.values()) == {10}
    assert os.getpriority(os.PRIO_PROCESS, 0) < 10  # this process is untouched
    # Same session as the server: Linux's autogroups share the CPU between sessions before nice
    # values count, so a worker in its own session would take as much as the whole server.
    assert session == [os.getsid(0)]


def test_a_failing_training_raises_with_the_workers_message(small_data):
    """A training error in the worker comes back as TrainingError naming the cause."""
    bad = dataclasses.replace(small_data, y_train=np.full_like(small_data.y_train, 12))
    trainer = Trainer()
    try:
        with pytest.raises(TrainingError, match=r"ValueError: `y` must be a 1-D array of labels"):
            trainer.train(SMALL, bad)
    finally:
        trainer.close()


def test_a_killed_worker_raises_instead_of_hanging(small_data):
    """A worker killed mid-training (out of memory, say) ends train() with a clear message."""
    trainer = Trainer()

    def kill(run):
        if run.status == "running":
            os.kill(trainer.pid, signal.SIGKILL)

    try:
        with pytest.raises(TrainingError, match="ended unexpectedly, exit code -9"):
            trainer.train(SMALL.replace(epochs=20), small_data, on_update=kill, update_every=0)
    finally:
        trainer.close()


def test_pool_hands_out_the_warm_worker_and_takes_back_an_unused_one(small_data):
    """warm() starts one worker ahead of time and take() hands it out; a caller interrupted
    while TensorFlow loads gives it back (no import wasted) and the next caller trains on it."""
    pool = TrainerPool(limit=2)
    try:
        pool.warm()
        warm = pool._spare
        pool.warm()  # one ready worker at most
        assert pool._spare is warm
        taken = pool.take()
        assert taken is warm and pool._spare is None

        def interrupt(run):
            assert run.status == "starting"
            raise _Interrupt

        with pytest.raises(_Interrupt):
            taken.train(SMALL, small_data, on_update=interrupt)
        assert not taken.sent
        pool.give_back(taken)
        assert pool._spare is taken
        again = pool.take()
        assert again is taken
        trained = again.train(SMALL.replace(epochs=1), small_data)
        assert trained.run.status == "finished"
        again.close()
        assert again._process.returncode == 0
    finally:
        pool.close()


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


def test_a_training_past_its_timeout_is_ended(small_data):
    """A deadline reached while TensorFlow still loads kills the worker and says so."""
    trainer = Trainer()
    try:
        with pytest.raises(TrainingError, match="took longer than the 0.5 s one training may"):
            trainer.train(SMALL.replace(epochs=20), small_data, timeout=0.5)
        trainer._process.wait(10)
        assert trainer._process.returncode == -signal.SIGKILL
    finally:
        trainer.close()


def test_a_training_at_its_deadline_stops_and_keeps_what_it_learned(small_data):
    """A training still running at its time limit is stopped as Stop would: its model is kept,
    scored, and its record says why it stopped (before, the worker was killed and all lost)."""
    trainer = Trainer()
    try:
        assert trainer.wait_ready(120)
        trained = trainer.train(SMALL.replace(epochs=50), small_data, timeout=3)
    finally:
        trainer.close()
    assert trained.run.status == "stopped" and 0 < trained.run.step < trained.run.total_steps
    assert trained.run.reason == "it reached the 3 s one training may take on this server"
    assert trained.evaluation is not None and len(trained.evaluation.true) == 200


def _resident_mb(pid):
    with open(f"/proc/{pid}/statm") as file:
        return int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_beyond_its_memory_limit_is_ended_with_a_clear_message(small_data):
    """A training whose worker grows 100 MB past its loaded size under a 100 MB margin (batches
    of 1024 hold ~0.4 GB) is killed by the watchdog and reported in words, not a crash."""
    trainer = Trainer()
    try:
        assert trainer.wait_ready(120)
        limit = round(_resident_mb(trainer.pid)) + 100
        with pytest.raises(TrainingError, match=rf"^the training used more than {limit:,} MB of"):
            trainer.train(ModelSpec(batch_size=1024, epochs=5), small_data, memory_mb=limit)
        assert trainer._process.wait(10) == -signal.SIGKILL
    finally:
        trainer.close()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_training_never_outgrows_its_own_memory_estimate(small_data):
    """The estimate is an upper bound of the measured worker: a training watched with its own
    estimate as the memory limit (RSS read ten times a second) is never killed."""
    from cnnviz.learning.model import estimate_cost

    spec = ModelSpec(batch_size=1024, epochs=1)  # the biggest term: 0.4 GB of activations
    estimate = estimate_cost(spec, len(small_data.x_train), len(small_data.x_test))
    trainer = Trainer()
    try:
        trained = trainer.train(spec, small_data, memory_mb=estimate.peak_bytes // 2**20)
    finally:
        trainer.close()
    assert trained.run.status == "finished"


def test_stop_kills_a_worker_that_does_not_answer_within_seconds(small_data):
    """A worker stuck in one long batch (frozen here with SIGSTOP) does not hold Stop for a
    minute: stop() kills it after its grace, keeps the last reported record and says why."""
    trainer = Trainer()

    def freeze(run):
        if run.status == "running" and run.step >= 2:
            os.kill(trainer.pid, signal.SIGSTOP)
            raise _Interrupt

    try:
        with pytest.raises(_Interrupt):
            trainer.train(SMALL.replace(epochs=20), small_data, on_update=freeze, update_every=0)
        started = time.monotonic()
        assert trainer.stop(grace=2) is None
        took = time.monotonic() - started
        assert trainer._process.wait(10) == -signal.SIGKILL
    finally:
        trainer.close()
    assert 2 <= took < 5
    assert trainer.note.startswith("it did not end its batch within 2 s of Stop")  # not 5
    assert "what it learned could not be kept" in trainer.note
    assert trainer.last_run.step >= 2 and len(trainer.last_run.batch_loss) == trainer.last_run.step


def test_stop_while_the_worker_scores_waits_for_the_score_and_keeps_the_model(small_data):
    """Bug: a worker scoring the test digits sent nothing, so Stop (or the time limit) killed it
    after the batch grace and the finished model was lost. Frozen while scoring for longer
    than the grace, it is now waited for, and its model kept."""
    trainer = Trainer()
    seen = []  # the worker scores at the epoch's end, then once more when its batches are over

    def freeze(run):
        if trainer.scoring and not (seen and seen[-1]):
            seen.append(True)
        elif not trainer.scoring:
            seen.append(False)
        if seen.count(True) == 2:  # the final score: no "scoring done" message can follow it
            os.kill(trainer.pid, signal.SIGSTOP)
            raise _Interrupt

    thaw = threading.Timer(2.5, os.kill, (trainer.pid, signal.SIGCONT))
    try:
        with pytest.raises(_Interrupt):
            trainer.train(SMALL.replace(epochs=1), small_data, on_update=freeze, update_every=0)
        thaw.start()
        kept = trainer.stop(grace=1)
    finally:
        thaw.cancel()
        os.kill(trainer.pid, signal.SIGCONT)
        trainer.close()
    assert kept is not None, trainer.note
    assert kept.run.step == kept.run.total_steps and kept.run.status == "finished"
    assert kept.evaluation is not None and len(kept.evaluation.true) == 200


def test_stop_says_why_when_the_worker_died(small_data):
    """Bug: stop() returned None with no note when the worker had died, so a training ended at
    its deadline said "..., and None."."""
    trainer = Trainer()

    def kill(run):
        if run.status == "running":
            os.kill(trainer.pid, signal.SIGKILL)
            raise _Interrupt

    try:
        with pytest.raises(_Interrupt):
            trainer.train(SMALL.replace(epochs=20), small_data, on_update=kill, update_every=0)
        assert trainer.stop() is None
    finally:
        trainer.close()
    assert trainer.note.startswith("the training process ended unexpectedly, exit code -9")
    assert trainer.note.endswith("so what it learned could not be kept")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_given_back_gets_one_memory_watcher(small_data):
    """Bug: the memory watcher started before the worker was ready, so a worker given back
    after an interrupted start had two watcher threads on its next training."""
    trainer = Trainer()
    watchers = []

    def interrupt(run):
        raise _Interrupt

    def count(run):
        names = [t.name for t in threading.enumerate()]
        watchers.append(names.count(f"cnnviz-watch-{trainer.pid}"))

    try:
        with pytest.raises(_Interrupt):
            trainer.train(SMALL, small_data, on_update=interrupt, memory_mb=4000)
        trainer.train(SMALL.replace(epochs=1), small_data, on_update=count, memory_mb=4000)
    finally:
        trainer.close()
    assert max(watchers) == 1


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


def test_pool_run_is_a_trainings_whole_life_under_the_limits(small_data):
    """run(): a spec beyond the limits is refused before any worker starts; a good one is
    trained in a worker, handed to keep(), and its slot and process are freed."""
    from cnnviz.learning.training import LimitError, TrainingLimits

    pool = TrainerPool(limit=1)
    tight = TrainingLimits(max_parameters=1_000, max_memory_mb=4000, max_seconds=600)
    with pytest.raises(LimitError, match="parameters"):
        pool.run(SMALL, small_data, keep=pytest.fail, limits=tight)
    assert pool.slots.busy == 0 and pool._spare is None  # nothing was started
    kept, updates = [], []
    roomy = TrainingLimits(max_parameters=10**7, max_memory_mb=4000, max_seconds=600)
    pool.run(
        SMALL.replace(epochs=1), small_data, on_update=updates.append, keep=kept.append,
        limits=roomy,
    )  # fmt: skip
    (trained,) = kept
    assert trained.run.status == "finished" and trained.run.epochs_done == 1
    assert updates[0].status == "starting" and updates[-1] is trained.run
    assert pool.slots.busy == 0
    pool.close()
