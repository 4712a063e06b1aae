"""Learn page, kernels becoming detectors and depth against difficulty: the lesson, no Streamlit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnnviz.learning.data import load_sample
from cnnviz.learning.model import ModelSpec, total_parameters
from cnnviz.learning.training import TrainedModel, TrainingRun, evaluation_of
from cnnviz.lessons import learn_progress as lesson
from cnnviz.pictures import number_text
from tests.training_kit import SMALL, keras_model


@pytest.fixture(scope="module")
def digit(small_sample):
    """The first 7 of the test digits, in [0, 1]."""
    index = lesson.digit_choices(small_sample)[7]
    return small_sample.x_test[index] / 255.0


def test_digit_choices_are_the_first_test_digit_of_each_class(sample):
    choices = lesson.digit_choices(sample)
    assert list(choices) == list(range(10))
    for label, index in choices.items():
        assert sample.y_test[index] == label
        pixels = lesson.digit_pixels(sample, label)  # what the page draws the maps of
        np.testing.assert_array_equal(pixels * 255.0, sample.x_test[index].astype(float))
        assert label not in sample.y_test[:index]


def test_without_a_model_or_snapshots_it_says_to_train_one_on_the_train_page(small_trained):
    nothing = lesson.progress(None)
    assert not nothing.ready and "Train page" in nothing.message and nothing.labels == ()
    unrecorded = TrainedModel(SMALL, "sample", small_trained.weights)  # loaded, no record
    assert not lesson.progress(unrecorded).ready
    old = dataclasses.replace(small_trained.run, snapshots=[])  # trained before snapshots
    old_model = TrainedModel(SMALL, "sample", small_trained.weights, old)
    state = lesson.progress(old_model)
    assert not state.ready and "Train it again on the Train page" in state.message


def test_a_trained_model_offers_its_16_snapshots_labelled_by_batch(small_trained):
    state = lesson.progress(small_trained)
    assert state.ready and len(state.labels) == 16
    assert state.labels[0] == "start" and state.labels[-1] == "batch 20 (end)"
    assert state.labels[1:-1] == tuple(
        f"batch {s}" for s in small_trained.run.snapshot_steps()[1:-1]
    )
    assert "8 kernels of 3×3" in state.message and "batch 20 of 20" in state.message


def test_maps_are_the_snapshots_kernels_cross_correlated_with_the_digit_plus_bias_then_relu(
    small_trained, digit
):
    """Against SciPy, for every kernel of three snapshots, with each kernel's numbers."""
    for index in (0, 7, 15):
        view = lesson.snapshot_view(small_trained, index, digit)
        snapshot = small_trained.run.snapshots[index]
        assert view.maps.shape == (26, 26, 8) and not view.maps.flags.writeable
        for f in range(8):
            kernel = snapshot.kernel[:, :, 0, f].astype(np.float64)
            expected = np.maximum(correlate2d(digit, kernel, mode="valid") + snapshot.bias[f], 0)
            np.testing.assert_allclose(view.maps[..., f], expected, rtol=1e-5, atol=1e-5)
            np.testing.assert_array_equal(view.kernels[f].weights, snapshot.kernel[:, :, 0, f])
            assert view.kernels[f].bias == pytest.approx(float(snapshot.bias[f]))
            assert view.kernels[f].number == f + 1


def test_the_last_snapshots_maps_are_what_the_trained_keras_model_makes_of_the_digit(
    small_trained, digit
):
    keras = pytest.importorskip("keras")
    model = keras_model(small_trained)
    first = keras.Model(model.inputs, model.get_layer("conv_1").output)
    expected = first.predict(digit[None, :, :, None].astype(np.float32), verbose=0)[0]
    view = lesson.snapshot_view(small_trained, 15, digit)
    np.testing.assert_allclose(view.maps, expected, rtol=1e-4, atol=1e-5)


def test_the_picked_kernels_numbers_are_shown_and_the_scales_are_shared_by_every_snapshot(
    small_trained, digit
):
    start = lesson.snapshot_view(small_trained, 0, digit, kernel=3)
    end = lesson.snapshot_view(small_trained, 15, digit, kernel=3)
    weights = small_trained.run.snapshots[15].kernel[:, :, 0, 3]
    shown = np.asarray(end.picked.data[0].text)
    assert shown.tolist() == [[number_text(v, 2, fixed=True) for v in row] for row in weights]
    assert end.picked.layout.title.text.startswith("Kernel 4: its weights (bias ")
    np.testing.assert_array_equal(start.kernel_bar, end.kernel_bar)  # one scale for all
    np.testing.assert_array_equal(start.map_bar, end.map_bar)
    assert start.picture != end.picture and start.picture.startswith(b"\x89PNG")


def test_the_change_sentence_gives_the_measured_movement_loss_and_top_kernel(small_trained, digit):
    snapshots, run = small_trained.run.snapshots, small_trained.run
    start_text = lesson.snapshot_view(small_trained, 0, digit).change
    bound = float(np.abs(snapshots[0].kernel).max())
    assert start_text.startswith("Keras drew these weights at random (seed 0), between")
    assert number_text(bound, 2) in start_text
    index = 5
    text = lesson.snapshot_view(small_trained, index, digit).change
    now, before, first = snapshots[index], snapshots[index - 1], snapshots[0]
    moved_last = np.mean(np.abs(now.kernel.astype(np.float64) - before.kernel))
    per_kernel = np.abs(now.kernel.astype(np.float64) - first.kernel).mean(axis=(0, 1, 2))
    assert text.startswith(f"After {now.step} batches ({now.step * 32} digits seen)")
    assert f"by {number_text(moved_last, 3)} on average since the previous" in text
    assert f"Kernel {int(per_kernel.argmax()) + 1} moved most" in text
    loss = np.mean(run.batch_loss[max(0, now.step - 20) : now.step])
    assert f"is {number_text(loss, 3)} (the first batch's" in text
    assert "These are the trained kernels" not in text
    assert lesson.snapshot_view(small_trained, 15, digit).change.endswith(
        "These are the trained kernels."
    )


def test_a_snapshot_digit_or_kernel_out_of_range_is_refused_with_the_range(small_trained, digit):
    with pytest.raises(
        ValueError, match=r"`index` must be a snapshot from 0 to 15. Received: index=16"
    ):
        lesson.snapshot_view(small_trained, 16, digit)
    with pytest.raises(ValueError, match=r"`kernel` must be from 0 to 7"):
        lesson.snapshot_view(small_trained, 0, digit, kernel=8)
    with pytest.raises(ValueError, match=r"`digit` must be \(28, 28\)"):
        lesson.snapshot_view(small_trained, 0, digit[:27])


def test_a_stopped_training_offers_the_snapshots_it_reached(small_trained, digit):
    run = dataclasses.replace(
        small_trained.run, status="stopped", step=5, snapshots=small_trained.run.snapshots[:5]
    )
    model = TrainedModel(SMALL, "sample", small_trained.weights, run)
    state = lesson.progress(model)
    assert len(state.labels) == 5 and state.labels[-1] == "batch 5"
    assert "(it was stopped there)" in state.message
    assert not lesson.snapshot_view(model, 4, digit).change.endswith("trained kernels.")


# --- depth ----------------------------------------------------------------------------------


def test_the_three_depths_differ_only_in_their_conv_blocks():
    specs = lesson.depth_specs()
    assert [s.filters for s in specs] == [(32,), (32, 32), (32, 32, 32)]
    article = ModelSpec()
    for spec in specs:
        assert spec.replace(filters=article.filters) == article


def _fake_trainer(calls, losses, accuracies, *, stop_at=None):
    """Stands in for the worker: a record with the given loss level per depth, no TensorFlow."""
    data = load_sample().subset(320, 100)

    def trainer(spec, data_given, seconds):
        blocks = len(spec.filters)
        calls.append((blocks, seconds, data_given.fingerprint()))
        run = TrainingRun.plan(spec, len(data_given.x_train))
        steps = run.total_steps if blocks != stop_at else run.total_steps // 2
        run.step, run.elapsed = steps, 10.0 * blocks
        run.batch_loss = list(np.linspace(losses[blocks - 1], losses[blocks - 1] / 4, steps))
        run.test_at = [float(e) for e in range(1, steps // run.steps_per_epoch + 1)]
        run.test_accuracy = [0.5] * len(run.test_at)
        run.status = "finished" if blocks != stop_at else "stopped"
        right = int(accuracies[blocks - 1] * 100)
        probabilities = np.full((100, 10), 0.01)
        predicted = np.where(np.arange(100) < right, data.y_test, (data.y_test + 1) % 10)
        probabilities[np.arange(100), predicted] = 0.91
        return TrainedModel(spec, data_given.name, [], run, evaluation_of(probabilities, data))

    return data, trainer


def test_depth_results_train_each_depth_once_and_the_next_visitor_reads_them(tmp_path):
    calls = []
    data, trainer = _fake_trainer(calls, [2.0, 2.2, 2.4], [0.97, 0.95, 0.9])
    assert lesson.depth_kept(data, folder=str(tmp_path)) is None
    arrays = lesson.depth_results(data, trainer, folder=str(tmp_path))
    assert [c[:2] for c in calls] == [(1, lesson.DEPTH_SECONDS)] * 1 + [
        (2, lesson.DEPTH_SECONDS),
        (3, lesson.DEPTH_SECONDS),
    ]
    assert {c[2] for c in calls} == {data.fingerprint()}  # the same digits for every depth
    kept = lesson.depth_kept(data, folder=str(tmp_path))
    assert kept is not None and set(kept) == set(arrays)
    again = lesson.depth_results(data, trainer, folder=str(tmp_path))
    assert len(calls) == 3  # read from disk: nothing trained again
    np.testing.assert_array_equal(again["loss_3"], arrays["loss_3"])
    assert float(kept["accuracy_2"]) == pytest.approx(0.95)
    assert int(kept["parameters_3"]) == total_parameters(lesson.depth_specs()[2])
    other = load_sample().subset(352, 100)  # other digits: another file
    assert lesson.depth_kept(other, folder=str(tmp_path)) is None


def test_a_failed_training_keeps_no_comparison(tmp_path):
    calls = []
    data, trainer = _fake_trainer(calls, [2.0, 2.2, 2.4], [0.97, 0.95, 0.9])

    def failing(spec, data_given, seconds):
        if len(spec.filters) == 3:
            raise RuntimeError("the worker died")
        return trainer(spec, data_given, seconds)

    with pytest.raises(RuntimeError, match="the worker died"):
        lesson.depth_results(data, failing, folder=str(tmp_path))
    assert lesson.depth_kept(data, folder=str(tmp_path)) is None


def test_depth_view_writes_the_figures_in_plain_text_and_reads_the_curves(tmp_path):
    data, trainer = _fake_trainer([], [2.0, 2.2, 2.4], [0.97, 0.95, 0.9], stop_at=3)
    view = lesson.depth_view(lesson.depth_results(data, trainer, folder=str(tmp_path)), data)
    assert view.summary == (
        "1 block: 97.0% in 10 s; 2 blocks: 95.0% in 20 s; "
        "3 blocks: 90.0% in 30 s (stopped at the time limit after 2.50 epochs)."
    )
    assert "the more blocks, the slower the start" in view.reading
    assert (
        "in the same budget, the 3-block model learned the training digits least well"
        in view.reading
    )
    assert "The best test accuracy: 1 block (97.0%)" in view.reading
    assert "320 training digits" in view.budget and "100 test digits" in view.budget
    assert [trace.name for trace in view.figure.data if trace.showlegend is not False] == [
        "1 block",
        "2 blocks",
        "3 blocks",
    ]
    faster = lesson.depth_view(
        lesson.depth_results(
            data,
            _fake_trainer([], [2.4, 2.2, 2.0], [0.9, 0.95, 0.97])[1],
            folder=str(tmp_path / "b"),
        ),
        data,
    )
    assert "deeper models started faster" in faster.reading
    assert "least well" not in faster.reading
    assert "The best test accuracy: 3 blocks (97.0%)" in faster.reading


def test_depth_progress_counts_the_models_and_says_when_a_worker_loads():
    run = TrainingRun(5, 125, 32, 4000, status="starting")
    assert lesson.depth_progress(1, run) == (
        0.0,
        "Model 1 of 3 (1 conv block): a training worker is loading TensorFlow…",
    )


def test_the_depth_limit_never_passes_the_servers_and_a_busy_measurement_is_not_waited_for(
    tmp_path, monkeypatch
):
    """A server whose trainings may last 60 s gives each depth 60 s, not 300 (and keys its file
    on it); while another process measures, wait=False raises Busy at once, training nothing."""
    from cnnviz.learning import store

    monkeypatch.setenv("CNNVIZ_MAX_TRAINING_SECONDS", "60")
    calls = []
    data, trainer = _fake_trainer(calls, [2.0, 2.2, 2.4], [0.97, 0.95, 0.9])
    assert lesson.depth_seconds() == 60
    key_60 = lesson.depth_key(data)
    lesson.depth_results(data, trainer, folder=str(tmp_path / "a"))
    assert [c[1] for c in calls] == [60, 60, 60]
    assert "1 min each" in lesson.depth_offer(data) or "60 s each" in lesson.depth_offer(data)
    monkeypatch.setenv("CNNVIZ_MAX_TRAINING_SECONDS", "600")
    assert lesson.depth_seconds() == lesson.DEPTH_SECONDS and lesson.depth_key(data) != key_60
    folder = str(tmp_path / "b")
    path = store._remembered_path(lesson.DEPTH_NAME, lesson.depth_key(data), folder)
    with store.locked(f"{path}.lock"):  # another visitor's measurement, under way
        with pytest.raises(store.Busy):
            lesson.depth_results(data, trainer, folder=folder, wait=False)
    assert len(calls) == 3
