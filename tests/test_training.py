"""training: live records, seeded reproducibility, stopping, slots, results, default."""

import dataclasses
import hashlib
import itertools
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cnnviz.learning.data import as_model_input, load_sample, one_hot
from cnnviz.learning.model import ModelSpec, build_model
from cnnviz.learning.training import (
    SNAPSHOTS,
    KernelSnapshot,
    LimitError,
    TrainedModel,
    TrainingLimits,
    TrainingRun,
    TrainingSlots,
    check_limits,
    confusion_matrix,
    default_model,
    evaluate,
    first_layer_kernels,
    max_trainings,
    model_bytes,
    train,
    training_limits,
)
from cnnviz.pictures import (
    confusion_figure,
    digit_grid,
    kernel_grid,
    tile_grid,
    training_curves,
)
from tests.training_kit import SMALL

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def small_data(small_sample):
    """300 training digits (10 batches of 32, the last one of 12) and 200 test digits."""
    assert (len(small_sample.x_train), len(small_sample.x_test)) == (300, 200)
    return small_sample


@pytest.fixture(scope="module")
def trained(small_trained, small_data):
    """SMALL trained on small_data by train_new_model (the session's shared model: read only)."""
    assert small_trained.spec == SMALL
    return small_trained


class _Interrupt(BaseException):
    """Stands in for Streamlit's StopException, which is a BaseException too."""


def test_run_records_every_batch_and_each_epoch(trained):
    """10 batches per epoch, test accuracy after each epoch, speed and status filled in."""
    run = trained.run
    assert (run.steps_per_epoch, run.total_steps, run.step) == (10, 20, 20)
    assert len(run.batch_loss) == len(run.batch_accuracy) == 20
    assert run.test_at == [1.0, 2.0] and len(run.test_accuracy) == 2
    assert run.samples_seen == 600 and run.elapsed > 0 and run.samples_per_second > 0
    assert run.status == "finished" and run.progress == 1.0
    assert run.summary().startswith("epoch 2 of 2, batch 20 of 20")


def test_single_batch_values_average_back_to_keras_epoch_loss(small_keras):
    """Weighted by batch size, the recovered per-batch losses average to Keras' epoch loss."""
    model, run = small_keras
    sizes = [32] * 9 + [12]
    for epoch in range(2):
        batch = slice(10 * epoch, 10 * (epoch + 1))
        for ours, theirs in [
            (run.batch_loss[batch], model.history.history["loss"][epoch]),
            (run.batch_accuracy[batch], model.history.history["accuracy"][epoch]),
        ]:
            assert np.average(ours, weights=sizes) == pytest.approx(theirs, rel=1e-4)
    assert all(0 <= a <= 1 for a in run.batch_accuracy)


def test_test_accuracy_after_the_last_epoch_matches_evaluate(trained, small_data):
    """Keras' own scoring after the last epoch (val_accuracy) equals evaluate()'s (the core's)."""
    accuracy = evaluate(trained.weights, SMALL, small_data).accuracy
    assert trained.run.test_accuracy[-1] == pytest.approx(accuracy, abs=1e-6)


@pytest.mark.slow
def test_same_seed_gives_the_same_curves_and_weights(trained, small_data):
    """Two trainings with one seed agree exactly; another seed differs."""
    runs, weights = [trained.run], [trained.weights]
    for seed in (SMALL.seed, SMALL.seed + 1):
        spec = SMALL.replace(seed=seed)
        model = build_model(spec)
        runs.append(train(model, small_data, spec))
        weights.append(model.get_weights())
    assert runs[0].batch_loss == runs[1].batch_loss
    assert runs[0].test_accuracy == runs[1].test_accuracy
    for a, b in zip(weights[0], weights[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert runs[0].batch_loss != runs[2].batch_loss


@pytest.mark.slow
def test_same_seed_gives_the_same_curves_while_another_training_runs(trained, small_data):
    """A training in another thread (other seed, other data) does not change this one's curve."""
    alone = trained.run.batch_loss
    other_spec = SMALL.replace(seed=99, epochs=3)
    other = threading.Thread(
        target=train, args=(build_model(other_spec), small_data.subset(200), other_spec)
    )
    other.start()
    together = train(build_model(SMALL), small_data, SMALL).batch_loss
    other.join()
    assert together == alone


def test_should_stop_ends_training_after_that_batch_and_keeps_the_weights(small_data):
    model = build_model(SMALL)
    before = model.get_weights()[0].copy()
    polls = []
    run = train(model, small_data, SMALL, should_stop=lambda: polls.append(1) or len(polls) >= 3)
    assert run.step == 3 and run.status == "stopped"
    assert run.test_accuracy == []  # no scoring pass for the cut epoch: Stop answers at once
    assert not np.array_equal(before, model.get_weights()[0])


def test_on_scoring_brackets_each_epochs_test_scoring(small_data):
    """Keras scores the test digits at each epoch's end without a batch, so should_stop is not
    polled then; on_scoring says when that starts and ends (a worker tells Stop to wait)."""
    run = TrainingRun(SMALL.epochs, 10, SMALL.batch_size, 300)
    calls = []

    def on_scoring(now):
        calls.append((now, run.step, len(run.test_accuracy)))

    train(build_model(SMALL), small_data, SMALL, on_scoring=on_scoring, run=run)
    assert calls == [(True, 10, 0), (False, 10, 0), (True, 20, 1), (False, 20, 1)]


def test_exception_from_on_update_ends_training_at_once(small_data):
    """As Streamlit does on Stop or when the visitor leaves: fit ends, the record says stopped."""
    spec = SMALL.replace(epochs=5)
    model = build_model(spec)
    run = TrainingRun(spec.epochs, 10, spec.batch_size, 300)
    calls = []

    def on_update(current):
        calls.append(current.step)
        if current.step >= 4:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        train(model, small_data, spec, on_update=on_update, update_every=0, run=run)
    assert run.status == "stopped" and run.step == 4 and calls[-1] == 4
    weights = model.get_weights()
    assert np.isfinite(model.predict(as_model_input(small_data.x_test[:5]), verbose=0)).all()
    time.sleep(0.3)  # nothing goes on training in the background
    for a, b in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_updates_are_throttled(small_data):
    """With updates at most every hour, a training gets the first and last update only (with
    10 s, a training slowed down by a loaded machine got a third one)."""
    calls = []

    def on_update(run):
        calls.append((run.step, run.status))

    train(build_model(SMALL), small_data, SMALL, on_update=on_update, update_every=3600)
    assert calls == [(0, "running"), (20, "finished")]


def test_slots_let_a_second_training_wait_until_the_first_releases():
    slots = TrainingSlots(1)
    order, waits = [], []

    def second():
        with slots.slot(on_wait=lambda busy, limit: waits.append((busy, limit)), poll=0.05):
            order.append("second")

    with slots.slot():
        worker = threading.Thread(target=second)
        worker.start()
        time.sleep(0.3)
        order.append("first done")
    worker.join(5)
    assert order == ["first done", "second"]
    assert waits and waits[0] == (1, 1)
    assert slots.busy == 0


def test_slot_is_released_when_the_block_raises_or_waiting_is_interrupted():
    slots = TrainingSlots(1)
    with pytest.raises(_Interrupt), slots.slot():
        raise _Interrupt
    assert slots.busy == 0
    assert slots.try_acquire()

    def interrupt(busy, limit):
        raise _Interrupt

    with pytest.raises(_Interrupt), slots.slot(on_wait=interrupt, poll=0.01):
        pass
    assert slots.busy == 1  # only the slot taken above
    slots.release()
    with pytest.raises(RuntimeError, match="release"):
        slots.release()


def test_max_trainings_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "3")
    assert max_trainings() == 3
    monkeypatch.delenv("CNNVIZ_MAX_TRAININGS")
    assert max_trainings() == min(2, os.cpu_count() or 1)  # two workers fit 2.7 GB, more don't
    monkeypatch.setenv("CNNVIZ_MAX_TRAININGS", "zero")
    with pytest.raises(ValueError, match="`CNNVIZ_MAX_TRAININGS` must be a positive integer"):
        max_trainings()
    with pytest.raises(ValueError, match="`limit` must be a positive integer"):
        TrainingSlots(0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_matrix_counts_like_a_loop(seed):
    rng = np.random.default_rng(seed)
    true, predicted = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
    expected = np.zeros((10, 10), int)
    for t, p in zip(true, predicted, strict=True):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(true, predicted), expected)


def test_evaluate_and_kernels_agree_with_keras(trained, small_keras, small_data):
    """evaluate() (the core's forward pass) against Keras' predict on the trained model;
    first_layer_kernels against the conv layer's kernel."""
    model, scores = small_keras[0], trained.evaluation
    probabilities = model.predict(as_model_input(small_data.x_test), verbose=0)
    np.testing.assert_allclose(scores.probabilities, probabilities, rtol=1e-5, atol=1e-6)
    assert scores.accuracy == np.mean(probabilities.argmax(1) == small_data.y_test)
    assert scores.confusion.sum() == 200 and np.trace(scores.confusion) == round(
        scores.accuracy * 200
    )
    confidence = scores.probabilities[scores.wrong, scores.predicted[scores.wrong]]
    assert np.all(np.diff(confidence) <= 0)  # most confidently wrong first
    np.testing.assert_array_equal(scores.wrong_images, small_data.x_test[scores.wrong])
    kernels = first_layer_kernels(model.get_weights())
    assert kernels.shape == (8, 3, 3)
    np.testing.assert_array_equal(
        kernels[5], model.get_layer("conv_1").get_weights()[0][:, :, 0, 5]
    )


def test_model_bytes_load_back_into_the_same_model(tmp_path, small_data):
    model = build_model(SMALL)
    model.train_on_batch(as_model_input(small_data.x_train[:8]), one_hot(small_data.y_train[:8]))
    path = tmp_path / "model.keras"
    path.write_bytes(model_bytes(model))
    loaded = keras.models.load_model(path)
    x = as_model_input(small_data.x_test[:8])
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.slow
def test_default_model_reaches_95_percent_and_is_cached(default_trained):
    """The article's model on the sample: >= 95% after its 5 epochs; a later call only loads.

    ``default_trained`` comes from this run's cache (``$CNNVIZ_CACHE_DIR``, a temporary folder):
    trained by whichever test process asked first, loaded by the others.
    """
    first = default_trained
    if first.run is not None:  # this process trained it
        assert first.run.epochs == 5 and first.run.status == "finished"
    assert first.evaluation.accuracy >= 0.95
    folder = Path(os.environ["CNNVIZ_CACHE_DIR"])
    assert len(list(folder.glob("default-model-*.npz"))) == 1
    started = time.monotonic()
    second = default_model()
    assert second.run is None and time.monotonic() - started < 5
    assert second.evaluation.accuracy == first.evaluation.accuracy
    scored_now = evaluate(second.weights, ModelSpec(), load_sample())  # not the file's
    np.testing.assert_allclose(second.evaluation.probabilities, scored_now.probabilities, atol=1e-6)
    np.testing.assert_array_equal(second.evaluation.confusion, scored_now.confusion)
    for a, b in zip(first.weights, second.weights, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.keras_file is None  # shared to be looked into: no download bytes kept


_TRAIN_WHILE_LOCKED = """
import hashlib
import sys
from cnnviz.learning.data import load_sample
from cnnviz.learning.model import keras_module
from cnnviz.learning.training import default_model

keras_module()  # the slow import first, so that what follows reaches the lock at once
sys.stdin.readline()  # the test process holds the lock now
trained = []

def trainer(spec, data):
    trained.append(spec)
    raise SystemExit("trained here, although another process was training it")

print("asking", flush=True)
model = default_model(load_sample().subset(300, 200), cache_dir=sys.argv[1], trainer=trainer)
digest = hashlib.sha256(model.weights[0].tobytes()).hexdigest()
print("trained" if trained else "loaded", digest, flush=True)
"""


@pytest.mark.slow
def test_two_processes_asking_at_once_train_the_default_model_once(tmp_path, small_data):
    """A process asking while another trains waits for it and loads its weights (a file lock):
    the test suite's workers, or replicas of a server sharing a disk, train it once, not twice.
    Here this process trains (a stand-in trainer that waits until the other has asked)."""
    other = subprocess.Popen(
        [sys.executable, "-c", _TRAIN_WHILE_LOCKED, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    calls = []

    def trainer(spec, data):
        calls.append(spec)
        other.stdin.write("go\n")
        other.stdin.flush()
        assert other.stdout.readline() == "asking\n"
        time.sleep(1.0)  # it now waits on the lock (without one, it would find no weights)
        return TrainedModel(spec, data.name, build_model(spec).get_weights())

    try:
        ours = default_model(small_data, cache_dir=str(tmp_path), trainer=trainer)
        said = other.stdout.read()
        assert other.wait(120) == 0
    finally:
        other.kill()
    assert calls == [ModelSpec()]
    assert said.split() == ["loaded", hashlib.sha256(ours.weights[0].tobytes()).hexdigest()]


def test_default_model_trains_with_the_given_trainer_once(tmp_path, small_data):
    """A server passes its own trainer (a worker process); it is called only when not cached."""
    calls = []

    def trainer(spec, data):
        calls.append(spec)
        return TrainedModel(spec, data.name, build_model(spec).get_weights())

    first = default_model(small_data, cache_dir=str(tmp_path), trainer=trainer)
    second = default_model(small_data, cache_dir=str(tmp_path), trainer=trainer)
    assert calls == [ModelSpec()]
    assert first.evaluation is not None and second.evaluation.accuracy == first.evaluation.accuracy


@pytest.mark.parametrize("written_by", ["no scores", "an older core"])
def test_a_weights_file_without_current_scores_is_scored_once_and_kept(
    tmp_path, small_data, monkeypatch, written_by
):
    """A cache written before the test probabilities were kept, or scored by a core of another
    CACHE_VERSION, still loads without training: the model is scored then, and the file keeps
    the new scores, so the next start does not score again."""
    from cnnviz.learning import store

    calls = []

    def trainer(spec, data):
        calls.append(spec)
        return TrainedModel(spec, data.name, build_model(spec).get_weights())

    first = default_model(small_data, cache_dir=str(tmp_path), trainer=trainer)
    [path] = tmp_path.glob("default-model-*.npz")
    with np.load(path) as saved:
        assert saved["probabilities"].shape == (200, 10)
        assert int(saved["version"]) == store.CACHE_VERSION
        arrays = {k: saved[k] for k in saved.files}
    if written_by == "no scores":
        del arrays["probabilities"], arrays["version"]
    else:
        arrays["probabilities"] = np.full((200, 10), 0.1, np.float32)  # stale numbers
        arrays["version"] = np.array(store.CACHE_VERSION - 1)
    np.savez(path, **arrays)
    second = default_model(small_data, cache_dir=str(tmp_path), trainer=trainer)
    assert calls == [ModelSpec()]
    np.testing.assert_allclose(
        second.evaluation.probabilities, first.evaluation.probabilities, atol=1e-6
    )
    with np.load(path) as saved:
        assert int(saved["version"]) == store.CACHE_VERSION
        np.testing.assert_allclose(
            saved["probabilities"], first.evaluation.probabilities, atol=1e-6
        )
    scorings = []
    monkeypatch.setattr(
        "cnnviz.learning.training.evaluate", lambda *a: scorings.append(a) or first.evaluation
    )
    default_model(small_data, cache_dir=str(tmp_path), trainer=trainer)
    assert scorings == []  # read from the file now


_UNPICKLE_WITHOUT_TENSORFLOW = """
import pickle, sys
trained = pickle.loads(sys.stdin.buffer.read())
print(len(trained.weights), len(trained.keras_file), trained.evaluation.accuracy)
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""


def test_trained_model_travels_as_weights_and_a_keras_file(small_data, tmp_path):
    """What a worker process sends: weights, records and the .keras file's bytes. A process
    without TensorFlow unpickles it without importing TensorFlow; the core predicts from the
    weights what Keras predicts, and the file loads back into the very model."""
    model = build_model(SMALL)
    model.train_on_batch(as_model_input(small_data.x_train[:8]), one_hot(small_data.y_train[:8]))
    trained = TrainedModel.from_keras(model, SMALL, small_data)
    sent = pickle.dumps(trained)
    fresh = subprocess.run(
        [sys.executable, "-c", _UNPICKLE_WITHOUT_TENSORFLOW],
        input=sent,
        capture_output=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    counts, heavy = fresh.stdout.decode().splitlines()
    assert counts == f"6 {len(trained.keras_file)} {trained.evaluation.accuracy}"  # 3 layers
    assert heavy == "[]"
    copy = pickle.loads(sent)
    x = as_model_input(small_data.x_test)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(copy.evaluation.probabilities, expected, rtol=1e-4, atol=1e-6)
    path = tmp_path / "model.keras"
    path.write_bytes(copy.keras_file)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    assert copy.without_file().keras_file is None and copy.keras_file is not None


def test_figures_draw_a_run_and_results(small_data):
    """The figure builders accept real results and keep long curves short."""
    run = TrainingRun(epochs=5, steps_per_epoch=1875, batch_size=32, n_train=60000)
    run.batch_loss = list(np.linspace(2, 0.1, 9375))
    run.batch_accuracy = list(np.linspace(0.1, 0.99, 9375))
    run.test_accuracy, run.test_at, run.step = [0.97], [1.0], 9375
    curves = training_curves(run, max_points=400)
    assert all(len(trace.x) <= 400 for trace in curves.data)
    assert curves.data[-1].y == (0.97,)
    assert confusion_figure(np.eye(10, dtype=int)).data[0].z.shape == (10, 10)
    assert len(digit_grid(small_data.x_test[:5], ["a"] * 5).layout.annotations) == 5
    assert kernel_grid(np.ones((32, 3, 3))).data[0].z.shape == (4 * 4 - 1, 8 * 4 - 1)
    assert tile_grid(np.zeros((1, 2, 2)), cols=8).shape == (2, 2)


# The "every control at its maximum": 27.5 M parameters, 4.3 GB and no batch in 93 s.
EVERYTHING_AT_MAXIMUM = ModelSpec(
    filters=(256, 256, 256),
    kernel_size=9,
    pooling="none",
    dense_units=4096,
    batch_size=4096,
    epochs=20,
)


def test_limits_accept_the_articles_model_on_full_mnist_and_refuse_the_maximum():
    """The default limits let the article's training run on all 60,000 digits and refuse the
    issue's two specs (27.5 M and 822 M parameters) before anything starts."""
    cost = check_limits(ModelSpec(), 60_000, 10_000, TrainingLimits())
    assert cost.parameters == 1_387_594 and cost.peak_bytes < 1400 * 2**20
    assert cost.seconds < 600
    for spec in (EVERYTHING_AT_MAXIMUM, EVERYTHING_AT_MAXIMUM.replace(kernel_size=1)):
        with pytest.raises(LimitError, match=r"at most 10,000,000 \(the server keeps"):
            check_limits(spec, 60_000, 10_000, TrainingLimits())


@pytest.mark.parametrize(
    ("spec", "n_train", "message"),
    [
        (
            ModelSpec(dense_units=4096),
            4000,
            r"^This model has 22,196,554 parameters; a model trained on this server may have at "
            r"most 10,000,000 .* Use fewer kernels or dense neurons, or pooling\.$",
        ),
        (
            ModelSpec(filters=(128,), batch_size=4096),
            4000,
            r"^Training this model would need about [\d,]+ MB of memory; one training on this "
            r"server may use at most 1,400 MB .* Use a smaller batch size",
        ),
        (
            ModelSpec(filters=(64, 64), pooling="none", dense_units=64, epochs=20),
            60_000,
            r"^Training this model would take about \d+ h \d+ min \(\d+ min per epoch × 20\); "
            r"one training on this server may take at most 10 min, so that other visitors get "
            r"their turn\. Use fewer epochs",
        ),
    ],
)
def test_each_limit_refuses_with_its_name_the_estimate_and_a_fix(spec, n_train, message):
    with pytest.raises(LimitError, match=message):
        check_limits(spec, n_train, 10_000, TrainingLimits())


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_PARAMETERS", "1000")
    monkeypatch.setenv("CNNVIZ_MAX_WORKER_MB", "900")
    monkeypatch.setenv("CNNVIZ_MAX_TRAINING_SECONDS", "30")
    assert training_limits() == TrainingLimits(1000, 900, 30)
    with pytest.raises(LimitError, match="at most 1,000"):
        check_limits(ModelSpec(), 4000, 1000)
    monkeypatch.setenv("CNNVIZ_MAX_WORKER_MB", "lots")
    with pytest.raises(ValueError, match="`CNNVIZ_MAX_WORKER_MB` must be a positive integer"):
        training_limits()


def test_stopped_run_counts_its_epochs_without_rounding_up():
    """Batch 126 of 100-batch epochs is 1.26 epochs, batch 99 is 0.99 (never "1"), and one
    whole epoch is singular: the numbers the Train page shows for a stopped training."""
    run = TrainingRun(epochs=8, steps_per_epoch=100, batch_size=32, n_train=3200)
    texts = [
        dataclasses.replace(run, step=step).epochs_text() for step in (0, 1, 99, 100, 126, 800)
    ]
    assert texts == [
        "0 epochs",
        "0.01 epochs",
        "0.99 epochs",
        "1 epoch",
        "1.26 epochs",
        "8 epochs",
    ]
    odd = TrainingRun(epochs=3, steps_per_epoch=3, batch_size=1, n_train=3, step=1)
    assert odd.epochs_text() == "0.33 epochs"
    long = TrainingRun(epochs=1, steps_per_epoch=1875, batch_size=32, n_train=60000, step=1)
    assert long.epochs_text() == "under 0.01 epochs"


@pytest.mark.parametrize("seed", [0, 1])
def test_confusion_figure_colours_row_percentages_and_says_so(seed):
    """The colour is each count's share of its row (true digit), the text the counts, and the
    hover names both; checked against NumPy on a random matrix with unequal rows."""
    rng = np.random.default_rng(seed)
    confusion = rng.integers(0, 50, (10, 10)) * rng.integers(1, 5, (10, 1))
    trace = confusion_figure(confusion).data[0]
    expected = 100 * confusion / confusion.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(np.asarray(trace.z), expected)
    np.testing.assert_array_equal(np.asarray(trace.text), confusion)
    assert (trace.zmin, trace.zmax) == (0, 100)
    assert "%{z:.1f}% of the %{y}s" in trace.hovertemplate


def test_evaluate_scores_big_models_in_small_chunks(small_data, monkeypatch):
    """Scoring a model with large maps runs the core on chunks whose activations stay under the
    budget (1000 digits at once would hold 1.8 GB for three no-pooling 256-kernel blocks)."""
    from cnnviz.learning import nn

    spec = ModelSpec(filters=(64,), pooling="none", dense_units=8)
    weights = build_model(spec).get_weights()
    sizes = []
    original = nn._forward_all

    def counting(weights, x, spec):
        sizes.append(len(x))
        return original(weights, x, spec)

    monkeypatch.setattr(nn, "_forward_all", counting)
    scores = evaluate(weights, spec, small_data)
    numbers = 2 * (26 * 26 * 64) + 26 * 26 * 9 + 26 * 26 * 64 + 2 * 8 + 2 * 10  # z, a, patches
    assert 1 < max(sizes) < 1000 and max(sizes) * numbers * 4 <= 32 * 2**20
    assert sum(sizes) == len(small_data.x_test) == len(scores.predicted)


# --- first-layer kernel snapshots (issue 15: kernels becoming detectors) ---------------------


def _first_layer(model_or_weights):
    weights = model_or_weights
    if not isinstance(weights, list):
        weights = weights.get_weights()
    return weights[0], weights[1]


def test_a_run_keeps_16_snapshots_from_the_seeds_random_start_to_the_trained_kernel(trained):
    """The first snapshot is what build_model(SMALL) starts from (its seed), the last the trained
    model's conv_1; 16 of them, taken at the planned steps, as float32 copies."""
    snapshots = trained.run.snapshots
    assert len(snapshots) == SNAPSHOTS == 16
    assert [s.step for s in snapshots] == trained.run.snapshot_steps()
    assert snapshots[0].step == 0 and snapshots[-1].step == trained.run.total_steps == 20
    start_kernel, start_bias = _first_layer(build_model(SMALL))
    np.testing.assert_array_equal(snapshots[0].kernel, start_kernel)
    np.testing.assert_array_equal(snapshots[0].bias, start_bias)
    end_kernel, end_bias = _first_layer(trained.weights)
    np.testing.assert_array_equal(snapshots[-1].kernel, end_kernel)
    np.testing.assert_array_equal(snapshots[-1].bias, end_bias)
    assert all(s.kernel.dtype == np.float32 and s.kernel.shape == (3, 3, 1, 8) for s in snapshots)
    changes = [np.abs(b.kernel - a.kernel).max() for a, b in itertools.pairwise(snapshots)]
    assert min(changes) > 0  # every snapshot is a moment of its own, not one array shared
    numbers = sum(s.kernel.size + s.bias.size for s in snapshots)  # 16 · (72 + 8)
    assert len(pickle.dumps(snapshots)) < 4 * numbers + 16 * 400  # small: float32 and a header


def test_snapshot_steps_are_spread_evenly_for_long_and_short_trainings():
    for epochs, per_epoch in [(5, 125), (1, 15), (50, 1875)]:
        steps = TrainingRun(epochs, per_epoch, 32, 32 * per_epoch).snapshot_steps()
        total = epochs * per_epoch
        assert len(steps) == 16 and steps[0] == 0 and steps[-1] == total
        gaps = np.diff(steps)
        assert gaps.max() - gaps.min() <= 1  # evenly spaced, to the batch
    assert TrainingRun(1, 3, 32, 96).snapshot_steps() == [0, 1, 2, 3]  # one per batch


def test_a_stopped_training_keeps_the_snapshots_it_reached(small_data):
    model = build_model(SMALL)
    run = TrainingRun(SMALL.epochs, 10, SMALL.batch_size, 300)
    train(model, small_data, SMALL, should_stop=lambda: run.step >= 5, run=run)
    assert run.status == "stopped" and run.step == 5
    assert [s.step for s in run.snapshots] == [0, 1, 3, 4, 5]
    np.testing.assert_array_equal(run.snapshots[-1].kernel, model.get_weights()[0])


def test_merging_reports_keeps_earlier_snapshots_and_adds_the_new_ones():
    """The worker sends only the snapshots taken since its last report; the server's record
    holds them all, and a report sent twice does not count twice."""
    from cnnviz.learning.worker import _merged

    def snap(step):
        return KernelSnapshot(step, np.full((3, 3, 1, 2), step, np.float32), np.zeros(2))

    run = TrainingRun(1, 10, 32, 320)
    first = dataclasses.replace(run, step=2, batch_loss=[1.0, 0.9], snapshots=[snap(0), snap(1)])
    run = _merged(run, first, 0)
    second = dataclasses.replace(run, step=4, batch_loss=[0.8, 0.7], snapshots=[snap(3)])
    run = _merged(run, second, 2)
    assert [s.step for s in run.snapshots] == [0, 1, 3] and run.batch_loss == [1.0, 0.9, 0.8, 0.7]
    assert [s.step for s in _merged(run, second, 2).snapshots] == [0, 1, 3]
    quiet = dataclasses.replace(run, step=5, batch_loss=[0.6], snapshots=[])
    assert [s.step for s in _merged(run, quiet, 4).snapshots] == [0, 1, 3]


@pytest.mark.slow
def test_a_worker_reports_snapshots_as_they_come_and_hands_all_16_back(small_data):
    """Through a real worker: the live record grows snapshot by snapshot (each report carries
    only the new ones) and ends equal to the returned model's, whose last is its conv_1."""
    from cnnviz.learning.worker import Trainer

    seen = []
    trainer = Trainer()
    try:
        trained = trainer.train(
            SMALL, small_data, update_every=0, on_update=lambda run: seen.append(run)
        )
    finally:
        trainer.close()
    final = trained.run.snapshots
    assert len(final) == 16 and final[0].step == 0 and final[-1].step == 20
    np.testing.assert_array_equal(final[0].kernel, _first_layer(build_model(SMALL))[0])
    np.testing.assert_array_equal(final[-1].kernel, trained.weights[0])
    counts = sorted({len(run.snapshots) for run in seen if run.status != "starting"})
    assert len(counts) > 3 and counts[-1] == 16  # reported as they came, not at the end only
    live = trainer.last_run.snapshots  # merged from the partial reports
    assert [s.step for s in live] == [s.step for s in final]
    for a, b in zip(live, final, strict=True):
        np.testing.assert_array_equal(a.kernel, b.kernel)
        np.testing.assert_array_equal(a.bias, b.bias)
    assert trainer.last_run.snapshots == final  # runs compare, snapshots by their numbers
    assert final[1] != final[2] and final[1] != "a snapshot"
