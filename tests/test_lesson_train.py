"""The Train page's lesson without Streamlit: the form's spec and messages, the costs, the live
frames and the results, checked against numbers worked out independently here."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest

from cnnviz.learning.data import load_mnist
from cnnviz.learning.model import ModelSpec, parse_filters
from cnnviz.learning.training import Evaluation, TrainedModel, TrainingLimits, TrainingRun
from cnnviz.lessons.train import (
    EPOCHS_OFFERED,
    FORM_DEFAULTS,
    GROUPS,
    HELP,
    NO_MODEL_TEXT,
    SLIDERS,
    live_frame,
    plan,
    results,
    stopped_text,
)

SAMPLE = "MNIST sample (5,000 digits)"


@pytest.fixture(scope="module")
def sample():
    return load_mnist("sample")  # as the page gets it


def _plan(sample, limits=None, **changes):
    return plan(dict(FORM_DEFAULTS, **changes), sample, limits or TrainingLimits())


def fake_trained(step, steps_per_epoch=100, epochs=8, seed=0):
    """A stopped or finished model as a worker sends it: random weights, a made-up score."""
    rng = np.random.default_rng(seed)
    run = TrainingRun(epochs, steps_per_epoch, 32, 32 * steps_per_epoch, step=step)
    run.batch_loss = list(rng.uniform(0.1, 2, step))
    run.batch_accuracy = list(rng.uniform(0, 1, step))
    run.status = "finished" if step == run.total_steps else "stopped"
    run.elapsed, run.samples_seen = 12.0, 32 * step
    true = rng.integers(0, 10, 50)
    probabilities = rng.dirichlet(np.ones(10), 50)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != true)
    wrong = wrong[np.argsort(-probabilities[wrong].max(axis=1), kind="stable")]
    scores = Evaluation(
        probabilities,
        predicted,
        true,
        float(np.mean(predicted == true)),
        np.bincount(true * 10 + predicted, minlength=100).reshape(10, 10),
        wrong,
        rng.integers(0, 255, (len(wrong), 28, 28), dtype=np.uint8),
    )
    weights = [rng.normal(size=(3, 3, 1, 32)), np.zeros(32)]
    return TrainedModel(ModelSpec(), SAMPLE, weights, run, scores)


# --- the form -----------------------------------------------------------------------------------


def test_the_articles_settings_give_its_model_its_table_and_its_code(sample):
    """Moved from the page test: data in use, the layer table, 1,387,594 parameters, the code."""
    view = _plan(sample)
    assert view.spec == ModelSpec() and view.can_train and not view.errors
    assert view.data_text.startswith(f"**Data: {SAMPLE}**, using 4,000")
    assert "You chose the sample" in view.data_text and not view.data_fallback
    assert view.parameters_text == "Parameters: **1,387,594** (all trainable)"
    assert [row["layer"] for row in view.layers] == [
        "input",
        "conv_1",
        "pool_1",
        "flatten",
        "dense",
        "output",
    ]
    assert [row["output shape"] for row in view.layers][1:3] == ["26 × 26 × 32", "13 × 13 × 32"]
    assert 'layers.Conv2D(32, (3, 3), activation="relu", name="conv_1")' in view.code
    assert "model.fit(x_train, y_train, batch_size=32, epochs=5" in view.code
    assert "Press **Train**" in results(None).no_model


def test_changed_spec_updates_table_and_code(sample):
    """Moved from the page test; the parameter count worked out by hand here."""
    view = _plan(sample, filters="16, 32", pooling="average")
    assert [row["layer"] for row in view.layers][1:5] == ["conv_1", "pool_1", "conv_2", "pool_2"]
    assert 'layers.AveragePooling2D((2, 2), name="pool_2")' in view.code
    # conv 3×3×1×16+16; conv 3×3×16×32+32; 28→26→13→11→5: dense 5·5·32·256+256; out 256·10+10
    by_hand = (9 * 16 + 16) + (9 * 16 * 32 + 32) + (5 * 5 * 32 * 256 + 256) + (256 * 10 + 10)
    assert by_hand == 212_426
    assert view.parameters_text == "Parameters: **212,426** (all trainable)"
    assert sum(row["parameters"] for row in view.layers) == by_hand


@pytest.mark.parametrize("seed", range(5))
def test_table_rows_follow_the_maps_as_they_shrink(sample, seed):
    """Random specs: each row's shape from the textbook formula (n - k + 1, then halved)."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 6))
    filters = tuple(int(f) for f in rng.integers(1, 33, int(rng.integers(1, 3))))
    pooling = str(rng.choice(["max", "average", "none"]))
    view = _plan(sample, filters=", ".join(map(str, filters)), kernel_size=k, pooling=pooling)
    size, channels, shapes = 28, 1, []
    for count in filters:
        size = size - k + 1
        shapes.append(f"{size} × {size} × {count}")
        if pooling != "none":
            size //= 2
            shapes.append(f"{size} × {size} × {count}")
        channels = count
    conv_and_pool = [row["output shape"] for row in view.layers[1:-3]]
    assert conv_and_pool == shapes
    assert view.layers[-3]["output shape"] == str(size * size * channels)


def test_bad_filters_text_gets_a_clear_message(sample):
    """Moved from the page test: the box's label first, the visitor's text echoed as typed."""
    view = _plan(sample, filters="32, lots")
    assert view.spec is None and not view.can_train
    assert view.errors[0].startswith("Kernels per conv block: filters must be 1 to 3 whole numbers")
    assert "Received: filters='32, lots'" in view.errors[0]
    assert view.data_text.startswith("**Data:")  # the digits are still explained
    assert view.layers == () and view.code == ""


def test_kernels_that_do_not_fit_get_a_clear_message(sample):
    view = _plan(sample, filters="8, 8, 8", kernel_size=7)
    assert view.spec is None and not view.can_train
    assert view.errors[0].startswith(
        "Output would be empty: conv block 3's 7×7 kernel does not fit the 2×2 feature map"
    )


def test_out_of_range_numbers_name_the_box_the_rule_and_the_value(sample):
    """Moved from the page test (issue 11: 5,000 dense neurons made Train do nothing)."""
    assert _plan(sample, dense_units=5000).errors == (
        "Neurons in the dense layer: dense_units must be a whole number from 1 to 4096. "
        "Received: dense_units=5000.",
    )
    view = _plan(sample, limit=70_000)
    assert view.errors == (
        "Training digits to use: must be a whole number from 32 to 60,000. Received: 70,000.",
    )
    assert len(view.data.x_train) == 4000  # the digits in use stay within the range


def test_every_wrong_box_is_named_not_only_the_first(sample):
    """Bug: only the first of several invalid boxes was shown; each is, in the form's order."""
    view = _plan(sample, limit=10, filters="x", dense_units=0, learning_rate=2.0, seed=-1)
    labels = [error.partition(":")[0] for error in view.errors]
    assert labels == [
        "Training digits to use",
        "Kernels per conv block",
        "Neurons in the dense layer",
        "Learning rate",
        "Random seed",
    ]


def test_each_group_button_names_the_boxes_to_fix_in_it(sample):
    """The settings sit behind four buttons: a wrong box's button says so, the others don't."""
    view = _plan(sample, limit=10, dense_units=0, seed=-1)
    assert view.groups == {
        "Data": "Data: fix Training digits to use",
        "Layers": "Layers: fix Neurons in the dense layer",
        "Learning": "Learning",
        "Schedule": "Schedule: fix Random seed",
    }
    assert view.summary == ""  # no model to sum up
    assert _plan(sample).groups == {group: group for group in GROUPS}


@pytest.mark.parametrize("seed", range(4))
def test_the_summary_line_says_the_values_the_model_is_built_with(sample, seed):
    """The line under the buttons: every value of a random valid spec, as its spec has it."""
    rng = np.random.default_rng(seed)
    filters = tuple(int(n) for n in rng.integers(1, 40, rng.integers(1, 3)))
    values = dict(
        filters=", ".join(map(str, filters)),
        kernel_size=int(rng.choice([3, 5])),
        pooling=str(rng.choice(["max", "average", "none"])),
        dense_units=int(rng.integers(1, 500)),
        learning_rate=float(rng.choice([0.01, 0.0005])),
        batch_size=int(rng.integers(1, 200)),
        epochs=int(rng.integers(1, 20)),
        seed=int(rng.integers(0, 10**6)),
        limit=int(rng.integers(32, 4000)),
    )
    view = _plan(sample, **values)
    line = view.summary.replace("\N{NO-BREAK SPACE}", " ")
    k, spec = values["kernel_size"], view.spec
    assert spec.filters == filters
    pooling = "no pooling" if values["pooling"] == "none" else f"{values['pooling']} pooling"
    for part in (
        f"{len(view.data.x_train):,} training digits",
        f"{values['filters']} kernels {k}×{k}, {pooling}",
        f"{values['dense_units']} neurons",
        f"rate {values['learning_rate']:g}",
        f"batch {values['batch_size']}, {values['epochs']} epochs, seed {values['seed']}",
    ):
        assert part in line, (part, line)
    assert len(view.data.x_train) == values["limit"]


def test_a_fraction_in_a_whole_number_box_is_refused_not_rounded_down(sample):
    """Bug: 2.5 typed in a whole-number box was read as 2; it is refused, 32.0 is 32."""
    assert _plan(sample, batch_size=2.5).errors == (
        "Batch size: batch_size must be a whole number from 1 to 4096. Received: batch_size=2.5.",
    )
    assert _plan(sample, limit=100.5).errors[0].endswith("Received: 100.5.")
    view = _plan(sample, batch_size=32.0, limit=500.0)
    assert view.spec.batch_size == 32 and len(view.data.x_train) == 500


def test_core_messages_lose_their_backticks_but_not_the_visitors(sample):
    """Moved from the page test: the rule without `code marks`, what was typed as typed."""
    rule, _, received = _plan(sample, filters="8, **`x`**").errors[0].partition("Received")
    assert rule.startswith("Kernels per conv block: filters must be") and "`" not in rule
    assert "**`x`**" in received


def test_the_estimate_is_shown_and_a_spec_beyond_the_limits_is_refused(sample):
    """Moved from the page test: the issue's every-control-at-maximum spec is refused."""
    cost = _plan(sample).cost
    assert cost.startswith(
        "Estimated cost of this training: **1,387,594 parameters** (at most 10,000,000)"
    )
    assert "MB** of memory (at most 1,400 MB)" in cost and "(at most 10 min)" in cost
    view = _plan(
        sample,
        filters="256, 256, 256",
        kernel_size=9,
        pooling="none",
        dense_units=4096,
        batch_size=4096,
        epochs=20,
    )
    assert view.refusal.startswith(
        "This training is beyond what this server allows. This model has 27,460,618 parameters;"
    )
    assert view.refusal.endswith("Change the settings above, then press **Train**.")
    assert view.cost is None and not view.can_train
    assert view.parameters_text == "Parameters: **27,460,618** (all trainable)"  # still explained


def test_the_cost_caption_and_the_limit_message_write_durations_alike(sample):
    """Bug: the page wrote "150 min" where the limit message wrote "2 h 30 min"."""
    limits = TrainingLimits(max_seconds=9000)
    assert "(at most 2 h 30 min)" in _plan(sample, limits).cost


def test_a_missing_form_value_is_named(sample):
    settings = dict(FORM_DEFAULTS)
    del settings["seed"]
    with pytest.raises(ValueError, match=r"`settings` must hold every form value.*'seed'"):
        plan(settings, sample, TrainingLimits())


# --- a training as it runs ----------------------------------------------------------------------


def test_live_frames_redraw_the_curves_only_when_something_was_learned():
    run = TrainingRun(epochs=2, steps_per_epoch=10, batch_size=32, n_train=320, status="starting")
    starting = live_frame(run)
    assert starting.starting and starting.curves is None and starting.progress == 0
    run.status = "running"
    first = live_frame(run, starting)
    assert first.curves is not None and first.progress_text == "Epoch 1 of 2 · batch 0 of 20"
    assert live_frame(run, first).curves is None  # the same record again: nothing to redraw
    run.step, run.batch_loss, run.batch_accuracy = 10, [1.0] * 10, [0.5] * 10
    moved = live_frame(run, first)
    assert moved.curves is not None and moved.progress == Fraction(10, 20)
    run.test_accuracy, run.test_at, run.elapsed, run.samples_seen = [0.875], [1.0], 2.0, 320
    scored = live_frame(run, moved)
    assert scored.curves is not None
    assert scored.status == "2.0 s · 160 digits/s · test accuracy after epoch 1: 87.5%"
    run.status = "stopped"
    assert live_frame(run, scored).curves is not None


@pytest.mark.parametrize("seed", range(4))
def test_stopped_text_numbers_agree_with_each_other(seed):
    """Random stops: the epoch, batch and epochs-trained figures all follow from one step."""
    rng = np.random.default_rng(seed)
    per_epoch, epochs = int(rng.integers(1, 300)), int(rng.integers(1, 20))
    for step in rng.integers(1, per_epoch * epochs, 20):
        run = TrainingRun(epochs, per_epoch, 32, 32 * per_epoch, step=int(step))
        text = stopped_text(run)
        trained = math.floor(Fraction(int(step), per_epoch) * 100) / 100
        number = re.search(r": (under )?([\d.]+) epochs? trained$", text)
        assert number, text
        if number.group(1):
            assert trained == 0
        else:
            assert float(number.group(2)) == trained
        assert f"batch {int(step):,} of {per_epoch * epochs:,}" in text
        if step % per_epoch == 0:
            assert text.startswith(f"Stopped after epoch {step // per_epoch} of {epochs} (")
        else:
            assert text.startswith(f"Stopped during epoch {step // per_epoch + 1} of {epochs},")


def test_stopped_text_names_its_subject_and_reason():
    run = TrainingRun(8, 100, 32, 3200, step=126, reason="it reached the time limit")
    assert stopped_text(run, what="The comparison model", why=True) == (
        "The comparison model stopped during epoch 2 of 8, after batch 126 of 800: 1.26 epochs "
        "trained (it reached the time limit)"
    )
    assert stopped_text(run).endswith("1.26 epochs trained")  # no reason unless asked


# --- what the model learned ---------------------------------------------------------------------


def test_a_stopped_training_gives_the_same_numbers_everywhere():
    """Issue 11: "Stopped at epoch 2 of 8 · batch 126" beside "Epochs 1 of 8" and "after 1
    epochs". Batch 126 of 100-batch epochs is 1.26 epochs trained, in every sentence and metric."""
    view = results(fake_trained(step=126))
    assert view.stopped.startswith(
        "Stopped during epoch 2 of 8, after batch 126 of 800: 1.26 epochs trained. The model "
        "keeps what it learned so far."
    )
    assert view.accuracy.endswith(f"after 1.26 epochs on {SAMPLE}.")
    assert dict(view.metrics)["Epochs trained"] == "1.26 of 8"


def test_a_training_stopped_at_an_epochs_end_says_one_epoch():
    view = results(fake_trained(step=100))
    assert view.stopped.startswith(
        "Stopped after epoch 1 of 8 (batch 100 of 800): 1 epoch trained."
    )
    assert dict(view.metrics)["Epochs trained"] == "1 of 8"


def test_results_numbers_match_the_evaluation(tmp_path):
    """Accuracy, mistakes and confusion counts recomputed here from the raw answers."""
    trained = fake_trained(step=800, seed=3)
    scores = trained.evaluation
    view = results(trained)
    accuracy = np.mean(scores.predicted == scores.true)
    assert dict(view.metrics)["Test accuracy"] == f"{accuracy:.1%}"
    assert view.accuracy.startswith(f"Test accuracy: **{accuracy:.1%}** (50 test digits")
    assert view.stopped is None and view.lost is None and view.no_model is None
    wrong = int(np.sum(scores.predicted != scores.true))
    assert view.mistakes_text.startswith(f"**Mistakes**: {wrong:,} test digits read wrong; the ")
    assert f"the {min(wrong, 16)} most confident" in view.mistakes_text
    counts = np.zeros((10, 10), int)
    np.add.at(counts, (scores.true, scores.predicted), 1)
    assert np.array_equal(np.asarray(view.confusion.data[0].text, dtype=int), counts)
    assert "first layer's 32 learned kernels** (3×3 weights each)" in view.kernels_text
    assert dict(view.metrics)["Speed"] == f"{32 * 800 / 12.0:,.0f} digits/s"


def test_the_confusion_matrix_says_its_colour_is_the_row_percentage():
    view = results(fake_trained(step=800))
    assert view.confusion_text.startswith("**Confusion matrix**")
    assert "the colour is each count's share of its row, the row percentage" in view.confusion_text


def test_a_stop_that_kept_nothing_says_so_with_the_curves_it_reached():
    """Moved from the page test: the lost training's text and curves, the earlier model kept."""
    earlier = fake_trained(step=800)
    lost = (fake_trained(step=37).run, "it did not end its batch within 5 s of Stop")
    view = results(earlier, lost)
    assert view.lost.startswith("Stopped during epoch 1 of 8, after batch 37 of 800: 0.37 epochs")
    assert "but nothing could be kept: it did not end its batch within 5 s of Stop." in view.lost
    assert "Your earlier model, below, stays in use." in view.lost
    assert view.lost_curves is not None and view.curves is not None
    alone = results(None, (None, "it failed"))
    assert alone.lost == (
        "Stopped before any batch, but nothing could be kept: it failed. The other pages keep "
        "using the default model."
    )
    assert alone.lost_curves is None and alone.no_model == NO_MODEL_TEXT


# --- the form's limits: the core's, stated once ------------------------------------------------


def _accepts(**field) -> bool:
    """Whether ModelSpec takes this one field (the others at the article's values)."""
    try:
        ModelSpec(**field)
    except ValueError:
        return False
    return True


def _numbers(text: str) -> list[int]:
    """The whole numbers a help text states, in order: "32 to 60,000." gives [32, 60000]."""
    return [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)]


@pytest.mark.parametrize("name", ["dense_units", "batch_size"])
def test_a_boxs_help_states_the_range_the_core_accepts(name):
    """Found by asking ModelSpec at each end, not by reading its constants."""
    low, high = _numbers(HELP[name])
    assert _accepts(**{name: low}) and _accepts(**{name: high})
    assert not _accepts(**{name: low - 1}) and not _accepts(**{name: high + 1})


def test_the_filters_help_states_the_blocks_the_core_accepts():
    low, high = _numbers(HELP["filters"])[:2]  # "One number per conv block, 1 to 3 blocks."
    assert low == 1
    assert parse_filters(" ".join(["8"] * high)) and _accepts(filters=(8,) * high)
    with pytest.raises(ValueError, match="filters"):
        parse_filters(" ".join(["8"] * (high + 1)))
    assert not _accepts(filters=(8,) * (high + 1))


def test_the_learning_rate_help_states_the_rates_the_core_accepts():
    assert HELP["learning_rate"].startswith("Above 0, at most ")
    high = _numbers(HELP["learning_rate"])[1]
    assert _accepts(learning_rate=high) and _accepts(learning_rate=1e-300)
    assert not _accepts(learning_rate=math.nextafter(high, 2)) and not _accepts(learning_rate=0.0)


def test_the_digits_help_states_the_range_the_form_accepts(sample):
    low, high = _numbers(HELP["limit"])[:2]
    assert not _plan(sample, limit=low).errors and not _plan(sample, limit=high).errors
    assert _plan(sample, limit=low - 1).errors and _plan(sample, limit=high + 1).errors


def test_the_kernel_slider_spans_the_sizes_the_core_accepts():
    low, high = SLIDERS["kernel_size"]
    assert _accepts(kernel_size=low) and _accepts(kernel_size=high)
    assert not _accepts(kernel_size=low - 1) and not _accepts(kernel_size=high + 1)


def test_the_epochs_slider_stops_below_the_core_where_the_sample_still_trains(sample):
    """The slider starts where the core does and stops at the lesson's EPOCHS_OFFERED, below
    the most epochs the core accepts; the article's model on the sample trains that long."""
    low, high = SLIDERS["epochs"]
    assert high == EPOCHS_OFFERED
    assert _accepts(epochs=low) and not _accepts(epochs=low - 1) and _accepts(epochs=high)
    assert _accepts(epochs=high + 1)  # the core takes more: the slider's end is the lesson's
    assert _plan(sample, epochs=high).refusal is None
