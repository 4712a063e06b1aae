"""worker: trainings in worker processes, checked against the same training done here, and
stopping them. Their limits and the pool: test_worker_pool.py."""

import dataclasses
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

from cnnviz.learning.worker import Trainer, TrainingError
from tests.training_kit import SMALL, Interrupt

pytest.importorskip("keras")


@pytest.fixture(scope="module")
def in_worker(small_sample):
    """One training of SMALL in a worker (on 300 digits), with every update it reported."""
    updates = []
    trainer = Trainer()  # a fresh one: its first updates say "starting"
    try:
        trained = trainer.train(  # under the server's default limits: they must not get in the way
            SMALL,
            small_sample,
            on_update=lambda run: updates.append(dataclasses.replace(run)),
            timeout=600,
            memory_mb=1400,
        )
    finally:
        trainer.close()
    return trained, updates, trainer


@pytest.mark.slow
def test_a_worker_trains_exactly_as_training_here(in_worker, small_trained, small_sample):
    """Same spec, same digits: the worker's curves, weights and test scores equal a training
    in this process (the session's small model), so moving trainings out
    changes nothing they learn."""
    trained, _, _ = in_worker
    here = small_trained
    assert here.spec == SMALL and here.data_name == small_sample.name
    assert trained.run.status == "finished" and trained.run.step == here.run.step == 20
    np.testing.assert_allclose(trained.run.batch_loss, here.run.batch_loss, rtol=1e-4)
    np.testing.assert_allclose(trained.run.test_accuracy, here.run.test_accuracy)
    for theirs, ours in zip(trained.weights, here.weights, strict=True):
        np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        trained.evaluation.probabilities, here.evaluation.probabilities, rtol=1e-4, atol=1e-6
    )
    assert trained.data_name == small_sample.name and trained.spec == SMALL


@pytest.mark.slow
def test_a_worker_trained_model_predicts_the_same_served_by_the_core_as_by_keras(
    in_worker, small_sample, tmp_path
):
    """The worker sends the .keras file with the weights: loaded into Keras here, it gives the
    probabilities the core computes from the weights (the page's scores and every digit it
    inspects)."""
    import keras

    from cnnviz.learning.data import as_model_input
    from cnnviz.learning.nn import predict

    trained, _, _ = in_worker
    path = tmp_path / "model.keras"
    path.write_bytes(trained.keras_file)
    x = as_model_input(small_sample.x_test)
    by_keras = keras.models.load_model(path).predict(x, verbose=0)
    np.testing.assert_allclose(predict(trained.weights, x, SMALL), by_keras, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(trained.evaluation.probabilities, by_keras, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
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


@pytest.mark.slow
def test_stopping_keeps_the_model_it_reached(worker_sample):
    """An exception from on_update (a click on the page) leaves the worker training; stop()
    ends it after the current batch and returns that model, scored on the test digits."""
    spec = SMALL.replace(epochs=20)
    trainer = Trainer()

    def interrupt(run):
        if run.step >= 3:
            raise Interrupt

    try:
        with pytest.raises(Interrupt):
            trainer.train(spec, worker_sample, on_update=interrupt, update_every=0)
        started = time.monotonic()
        stopped = trainer.stop()
        assert time.monotonic() - started < 10
    finally:
        trainer.close()
    assert stopped.run.status == "stopped"
    assert 3 <= stopped.run.step < stopped.run.total_steps
    assert stopped.evaluation is not None and len(stopped.evaluation.true) == 200
    assert trainer.stop() is stopped  # asking again changes nothing


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_every_thread_of_a_worker_runs_at_nice_ten(worker_sample):
    """The whole training, TensorFlow's pools included, yields the CPU to page interactions."""
    seen, session = {}, []
    trainer = Trainer(niceness=10)

    def look(run):
        if run.status == "running":
            tasks = f"/proc/{trainer.pid}/task"
            seen.update(
                {int(t): os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir(tasks)}
            )
            session.append(os.getsid(trainer.pid))
            raise Interrupt  # seen while it trains: no need for the rest of its epoch at nice 10

    try:
        with pytest.raises(Interrupt):
            trainer.train(SMALL.replace(epochs=1), worker_sample, on_update=look, update_every=0)
    finally:
        trainer.close()
    assert len(seen) > 3  # TensorFlow's threads, not only the main one
    assert set(seen.values()) == {10}
    assert os.getpriority(os.PRIO_PROCESS, 0) < 10  # this process is untouched
    # Same session as the server: Linux's autogroups share the CPU between sessions before nice
    # values count, so a worker in its own session would take as much as the whole server.
    assert session == [os.getsid(0)]


@pytest.mark.slow
def test_a_failing_training_raises_with_the_workers_message(worker_sample):
    """A training error in the worker comes back as TrainingError naming the cause. (A Trainer
    sends the job as it is: the worker's check of the labels is what fails here; TrainerPool.run
    would refuse the same data before starting a worker, see test_worker_pool.)"""
    bad = dataclasses.replace(worker_sample, y_train=np.full_like(worker_sample.y_train, 12))
    trainer = Trainer()
    try:
        with pytest.raises(TrainingError, match=r"ValueError: The labels go up to 12 but the"):
            trainer.train(SMALL, bad)
    finally:
        trainer.close()


@pytest.mark.slow
def test_a_killed_worker_raises_instead_of_hanging(worker_sample):
    """A worker killed mid-training (out of memory, say) ends train() with a clear message."""
    trainer = Trainer()

    def kill(run):
        if run.status == "running":
            os.kill(trainer.pid, signal.SIGKILL)

    try:
        with pytest.raises(TrainingError, match="ended unexpectedly, exit code -9"):
            trainer.train(SMALL.replace(epochs=20), worker_sample, on_update=kill, update_every=0)
    finally:
        trainer.close()


@pytest.mark.slow
def test_stop_kills_a_worker_that_does_not_answer_within_seconds(worker_sample):
    """A worker stuck in one long batch (frozen here with SIGSTOP) does not hold Stop for a
    minute: stop() kills it after its grace, keeps the last reported record and says why."""
    trainer = Trainer()

    def freeze(run):
        if run.status == "running" and run.step >= 2:
            os.kill(trainer.pid, signal.SIGSTOP)
            raise Interrupt

    try:
        with pytest.raises(Interrupt):
            trainer.train(SMALL.replace(epochs=20), worker_sample, on_update=freeze, update_every=0)
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


@pytest.mark.slow
def test_stop_while_the_worker_scores_waits_for_the_score_and_keeps_the_model(worker_sample):
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
            raise Interrupt

    thaw = threading.Timer(2.5, os.kill, (trainer.pid, signal.SIGCONT))
    try:
        with pytest.raises(Interrupt):
            trainer.train(SMALL.replace(epochs=1), worker_sample, on_update=freeze, update_every=0)
        thaw.start()
        kept = trainer.stop(grace=1)
    finally:
        thaw.cancel()
        os.kill(trainer.pid, signal.SIGCONT)
        trainer.close()
    assert kept is not None, trainer.note
    assert kept.run.step == kept.run.total_steps and kept.run.status == "finished"
    assert kept.evaluation is not None and len(kept.evaluation.true) == 200


@pytest.mark.slow
def test_stop_says_why_when_the_worker_died(worker_sample):
    """Bug: stop() returned None with no note when the worker had died, so a training ended at
    its deadline said "..., and None."."""
    trainer = Trainer()

    def kill(run):
        if run.status == "running":
            os.kill(trainer.pid, signal.SIGKILL)
            raise Interrupt

    try:
        with pytest.raises(Interrupt):
            trainer.train(SMALL.replace(epochs=20), worker_sample, on_update=kill, update_every=0)
        assert trainer.stop() is None
    finally:
        trainer.close()
    assert trainer.note.startswith("the training process ended unexpectedly, exit code -9")
    assert trainer.note.endswith("so what it learned could not be kept")
