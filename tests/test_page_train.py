"""The Train page under AppTest: the real page, the sample data, one short epoch on a slice.

What the page shows is computed by :mod:`cnnviz.lessons.train` and checked in
``tests/test_lesson_train.py``; here, what only the page does: draw it, escape the visitor's
text, train, stop, keep the form across page switches.
"""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import cnnviz.learning.model
import cnnviz.lessons.train
from cnnviz.learning.model import RANGES, ModelSpec
from cnnviz.lessons.train import HELP, INTRO, SLIDERS
from tests.test_lesson_train import fake_trained

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "train.py")


@pytest.fixture
def app(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    return at


def _train_small(at, digits=64):
    at.number_input(key="train_limit").set_value(digits)
    at.slider(key="train_epochs").set_value(1)
    at.button(key="train_start").click().run()
    assert not at.exception
    return at


def test_page_opens_with_the_articles_model_and_its_code(app):
    """Data in use, the layer table, 1,387,594 parameters and the Keras code, before training."""
    assert app.title[0].value == "Train a CNN on handwritten digits"
    assert app.info[0].value.startswith("**Data: MNIST sample (5,000 digits)**, using 4,000")
    assert "You chose the sample" in app.info[0].value
    assert any("Parameters: **1,387,594**" in m.value for m in app.markdown)
    table = app.dataframe[0].value
    assert list(table["layer"]) == ["input", "conv_1", "pool_1", "flatten", "dense", "output"]
    assert list(table["output shape"])[1:3] == ["26 × 26 × 32", "13 × 13 × 32"]
    code = app.code[0].value
    assert 'layers.Conv2D(32, (3, 3), activation="relu", name="conv_1")' in code
    assert "model.fit(x_train, y_train, batch_size=32, epochs=5" in code
    assert "Press **Train**" in app.info[1].value
    assert not app.get("download_button")


@pytest.mark.slow
def test_one_short_epoch_shows_curves_results_and_the_download(app):
    """64 digits, one epoch: accuracy, metrics, four figures, the download; a rerun keeps it."""
    at = _train_small(app)
    assert not at.error
    assert at.success[0].value.startswith("Training finished: 1 of 1 epoch in ")
    accuracy = [m.value for m in at.markdown if m.value.startswith("Test accuracy: **")]
    assert accuracy and "(1,000 test digits the model never trained on)" in accuracy[0]
    assert accuracy[0].endswith("after 1 epoch on MNIST sample (5,000 digits).")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Epochs trained"] == "1 of 1"
    assert metrics["Test accuracy"].endswith("%")
    charts = [e for e in at.main if getattr(e, "type", None) == "plotly_chart"]
    assert len(charts) == 4  # curves, confusion matrix, mistakes, kernels
    assert any("first layer's 32 learned kernels" in m.value for m in at.markdown)
    download = at.get("download_button")[0]
    assert download.label == "Download the trained model (.keras)"
    trained = at.session_state["train_model"].trained
    assert trained.run.status == "finished"
    at.run()  # a plain rerun keeps the model and does not train again
    assert at.session_state["train_model"].trained is trained
    assert at.get("download_button") and not at.success
    assert not at.exception


def test_the_forms_ranges_and_help_are_the_lessons_and_the_cores(app):
    """No limit is written in the page: the sliders span the lesson's ranges (the kernel's is
    the core's), each box shows the lesson's help; test_lesson_train checks those against the
    core's checks."""
    assert app.markdown[0].value == INTRO
    kernel, epochs = app.slider(key="train_kernel"), app.slider(key="train_epochs")
    assert (kernel.min, kernel.max) == SLIDERS["kernel_size"] == RANGES["kernel_size"]
    assert (epochs.min, epochs.max) == SLIDERS["epochs"]
    assert epochs.min == RANGES["epochs"][0] and epochs.max <= RANGES["epochs"][1]
    for name in ("limit", "dense_units", "learning_rate", "batch_size", "seed"):
        assert app.number_input(key=f"train_{name}").help == HELP[name]
    assert app.text_input(key="train_filters").help == HELP["filters"]
    assert app.radio(key="train_pooling").help == HELP["pooling"]


def test_every_name_the_page_imports_from_the_core_is_public():
    """The lesson's and the model's ``__all__`` list what the page uses of them."""
    tree = ast.parse(Path(PAGE).read_text())
    for module in (cnnviz.lessons.train, cnnviz.learning.model):
        used = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == module.__name__
            for alias in node.names
        }
        assert used and used <= set(module.__all__), used - set(module.__all__)


def test_bad_filters_text_gets_a_clear_message_and_keeps_the_page(app):
    app.text_input(key="train_filters").set_value("32, lots")
    app.button(key="train_apply").click().run()
    shown = app.error[0].value.replace("\\", "")  # punctuation is escaped: shown as typed
    assert shown.startswith("Kernels per conv block: filters must be 1 to 3 whole numbers")
    assert "Received: filters='32, lots'" in shown
    assert app.info[0].value.startswith("**Data:")  # the rest of the page is still there
    assert not app.exception


def test_filters_text_is_echoed_as_text_not_markdown_and_shortened(app):
    """The filters box's text comes back in the error: as characters (no bold, no link), and
    a 10 KB text is not echoed whole."""
    app.text_input(key="train_filters").set_value("**Session expired.** [Click here](http://x/) `")
    app.button(key="train_apply").click().run()
    shown = app.error[0].value
    assert r"\*\*Session expired\.\*\* \[Click here\]\(http\:\/\/x\/\) \`" in shown
    app.text_input(key="train_filters").set_value("9" * 10_000 + "x")
    app.button(key="train_apply").click().run()
    assert len(app.error[0].value) < 600 and "characters" in app.error[0].value
    assert not app.exception


def test_kernels_that_do_not_fit_get_a_clear_message(app):
    app.text_input(key="train_filters").set_value("8, 8, 8")
    app.slider(key="train_kernel").set_value(7)
    app.button(key="train_start").click().run()
    shown = app.error[0].value.replace("\\", "")
    assert shown.startswith(
        "Output would be empty: conv block 3's 7×7 kernel does not fit the 2×2 feature map"
    )
    assert "train_model" not in app.session_state  # nothing was trained
    assert not app.exception


def test_every_wrong_box_gets_its_own_message(app):
    """Bug: only the first of several invalid boxes was shown."""
    app.number_input(key="train_dense_units").set_value(5000)
    app.number_input(key="train_seed").set_value(-1)
    app.button(key="train_start").click().run()
    shown = [e.value.replace("\\", "") for e in app.error]
    assert [s.partition(":")[0] for s in shown] == ["Neurons in the dense layer", "Random seed"]
    assert shown[1].endswith("Received: seed=-1.")
    assert not app.get("stProgress") and not app.exception


def test_a_fraction_in_a_whole_number_box_is_refused_not_read_as_a_smaller_number(app):
    """Bug: 2.5 typed as the batch size was trained as 2 (the box and the page rounded down)."""
    app.number_input(key="train_batch_size").set_value(2.5)
    app.button(key="train_start").click().run()
    assert app.error[0].value.replace("\\", "") == (
        "Batch size: batch_size must be a whole number from 1 to 4096. Received: batch_size=2.5."
    )
    assert not app.get("stProgress") and not app.exception


def test_full_mnist_offline_falls_back_and_says_why(app, monkeypatch, tmp_path):
    """Choosing full MNIST with no network and nothing cached: a warning naming the sample."""
    import socket

    def refuse(*args, **kwargs):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    app.radio(key="train_source").set_value("full")
    app.button(key="train_apply").click().run()
    warning = app.warning[0].value
    assert warning.startswith("**Data: MNIST sample (5,000 digits)**")
    assert "Full MNIST is not available here" in warning and "Using the sample." in warning
    assert not app.exception


def _interrupted_training_script():
    """Runs as its own Streamlit script: a training whose live view is interrupted after three
    batches, as Streamlit interrupts it when the visitor clicks Stop or closes the tab."""
    import streamlit as st

    from cnnviz.learning.data import load_sample
    from cnnviz.learning.model import ModelSpec
    from pages._models import LiveView, get_trainer_pool, train_live

    class Interrupt(Exception):
        pass

    class View(LiveView):
        def update(self, run):
            super().update(run)
            if run.status == "running" and run.step >= 3:
                raise Interrupt

    kept = []
    spec = ModelSpec(filters=(8,), dense_units=32, epochs=20)
    try:
        train_live(
            spec,
            load_sample().subset(512, 200),
            View(st.empty(), st.empty(), st.empty()),
            kept.append,
        )
    except Interrupt:
        pass
    finished = st.session_state["train_finished"].is_set()
    run = kept[0].run
    st.write(f"kept={len(kept)} status={run.status} step_ok={3 <= run.step < run.total_steps}")
    st.write(f"slots busy={get_trainer_pool().slots.busy} finished={finished}")


@pytest.mark.slow
def test_an_interrupted_training_keeps_its_model_and_frees_its_slot():
    """What a Stop click does to train_live: the worker stops after its batch, keep() gets the
    model as far as it got, the slot is free again and the session's next run may go on."""
    at = AppTest.from_function(_interrupted_training_script, default_timeout=120).run()
    assert not at.exception
    lines = [m.value for m in at.markdown]
    assert "kept=1 status=stopped step_ok=True" in lines
    assert "slots busy=0 finished=True" in lines


def _page_with(box):
    from pages._models import SESSION_KEY

    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state[SESSION_KEY] = box
    at.run()
    assert not at.exception
    return at


def test_a_stop_that_kept_nothing_says_so_with_the_curves_it_reached():
    """When Stop had to kill a worker stuck in a long batch, the page says plainly that
    nothing could be kept, how far it got, and that the earlier model stays in use."""
    from pages._models import SessionModel

    earlier = fake_trained(step=800)
    box = SessionModel(earlier)
    box.lost = (fake_trained(step=37).run, "it did not end its batch within 5 s of Stop")
    at = _page_with(box)
    warning = at.warning[0].value
    assert warning.startswith("Stopped during epoch 1 of 8, after batch 37 of 800: 0.37 epochs")
    assert "but nothing could be kept: it did not end its batch within 5 s of Stop." in warning
    assert "Your earlier model, below, stays in use." in warning
    assert at.session_state["train_model"].trained is earlier
    charts = [e for e in at.main if getattr(e, "type", None) == "plotly_chart"]
    assert len(charts) == 5  # the lost training's curves, then the earlier model's four


def test_an_out_of_range_number_says_what_is_wrong_next_to_the_form(app):
    """Issue 11: 5,000 dense neurons typed in made Train do nothing. Now the number reaches the
    spec's checks and the message names the box, the rule and the value."""
    app.number_input(key="train_dense_units").set_value(5000)
    app.button(key="train_start").click().run()
    assert app.error[0].value.replace("\\", "") == (
        "Neurons in the dense layer: dense_units must be a whole number from 1 to 4096. "
        "Received: dense_units=5000."
    )
    assert (
        "train_model" not in app.session_state or app.session_state["train_model"].trained is None
    )
    app.number_input(key="train_dense_units").set_value(256)
    app.number_input(key="train_limit").set_value(70_000)
    app.button(key="train_apply").click().run()
    assert app.error[0].value.replace("\\", "") == (
        "Training digits to use: must be a whole number from 32 to 60,000. Received: 70,000."
    )
    assert not app.exception


def test_the_estimate_is_shown_and_a_spec_beyond_the_limits_is_refused(app):
    """The form shows what a training will cost; the issue's every-control-at-maximum spec
    (27.5 M parameters) is refused before anything starts, naming the limit."""
    caption = [c.value for c in app.caption if c.value.startswith("Estimated cost")][0]
    assert caption.startswith(
        "Estimated cost of this training: **1,387,594 parameters** (at most 10,000,000)"
    )
    assert "MB** of memory (at most 1,400 MB)" in caption and "(at most 10 min)" in caption
    app.text_input(key="train_filters").set_value("256, 256, 256")
    app.slider(key="train_kernel").set_value(9)
    app.radio(key="train_pooling").set_value("none")
    app.number_input(key="train_dense_units").set_value(4096)
    app.number_input(key="train_batch_size").set_value(4096)
    app.slider(key="train_epochs").set_value(20)
    app.button(key="train_start").click().run()
    assert app.error[0].value.startswith(
        "This training is beyond what this server allows. This model has 27,460,618 parameters;"
    )
    assert (
        "train_model" not in app.session_state or app.session_state["train_model"].trained is None
    )
    assert not app.get("stProgress") and not app.exception
    assert any("Parameters: **27,460,618**" in m.value for m in app.markdown)  # still explained
    # Bug: the "Training" header still offered Train, which then did nothing.
    assert app.error[0].value.endswith("Change the settings above, then press **Train**.")
    assert "Training" not in [h.value for h in app.subheader]
    assert not any("to start yours" in c.value for c in app.caption)


def test_the_core_messages_show_without_backticks_and_escaped(app):
    r"""Bug: plain() escaped the core's backticks, so visitors read \`dense_units\`; they are
    dropped, and everything else the visitor typed stays literal (never Markdown)."""
    app.text_input(key="train_filters").set_value("8, **`x`**")
    app.button(key="train_start").click().run()
    assert not app.exception
    rule, _, received = app.error[0].value.partition("Received")
    assert rule.startswith("Kernels per conv block\\: filters must be") and "`" not in rule
    assert r"\*\*\`x\`\*\*" in received, received  # the visitor's own text, as typed


def test_a_failed_training_shows_the_workers_text_literally(app, monkeypatch):
    """Bug: the worker's "Type: message" was shown as Markdown; now it is escaped."""
    import pages._models
    from cnnviz.learning.worker import TrainingError

    def failing(*args, **kwargs):
        raise TrainingError("ValueError: **bad** [x](http://y)")

    monkeypatch.setattr(pages._models, "train_live", failing)
    at = _train_small(app)
    assert at.error[0].value == r"Training failed: ValueError\: \*\*bad\*\* \[x\]\(http\:\/\/y\)"


def _frozen_training_script():
    """A training whose worker freezes mid-batch (SIGSTOP) when the visitor's click arrives."""
    import os
    import signal

    import streamlit as st

    from cnnviz.learning.data import load_sample
    from cnnviz.learning.model import ModelSpec
    from pages._models import LiveView, get_trainer_pool, train_live

    class Interrupt(Exception):
        pass

    pool = get_trainer_pool()
    pool.warm()
    worker = pool._spare  # the ready worker: train_live's pool.take() hands out this one

    class View(LiveView):
        def update(self, run):
            super().update(run)
            if run.status == "running" and run.step >= 2:
                os.kill(worker.pid, signal.SIGSTOP)  # as if stuck in one long batch
                raise Interrupt

    kept, lost = [], []
    spec = ModelSpec(filters=(8,), dense_units=32, epochs=20)
    try:
        train_live(
            spec,
            load_sample().subset(512, 200),
            View(st.empty(), st.empty(), st.empty()),
            kept.append,
            lost=lambda run, why: lost.append((run, why)),
        )
    except Interrupt:
        pass
    run, why = lost[0]
    st.write(f"kept={len(kept)} lost={len(lost)} step_ok={run.step >= 2}")
    st.write(f"why={why[:31]}")
    st.write(f"slots busy={get_trainer_pool().slots.busy}")


@pytest.mark.slow
def test_a_stop_on_a_frozen_worker_ends_within_seconds_and_reports_what_was_lost():
    """Issue 11: Stop on a slow batch waited out 60 s, then kept nothing without a word. Now
    the worker is killed after its grace, lost() hears why, and the slot is free again."""
    import time

    started = time.monotonic()
    at = AppTest.from_function(_frozen_training_script, default_timeout=120).run()
    assert not at.exception
    lines = [m.value for m in at.markdown]
    assert "kept=0 lost=1 step_ok=True" in lines
    assert "why=it did not end its batch within" in lines
    assert "slots busy=0" in lines
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_the_form_keeps_its_values_across_a_visit_to_another_page(monkeypatch, tmp_path):
    """Streamlit forgets a form's widgets on other pages; coming back keeps every value."""
    monkeypatch.setenv("CNNVIZ_CACHE_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/train.py").run()
    changed = {
        "train_filters": "16, 32",
        "train_kernel": 5,
        "train_pooling": "average",
        "train_dense_units": 128,
        "train_optimizer": "sgd",
        "train_learning_rate": 0.01,
        "train_loss": "mean_squared_error",
        "train_batch_size": 64,
        "train_epochs": 2,
        "train_seed": 7,
        "train_limit": 1000,
    }
    for key, value in changed.items():
        next(w for w in _widgets(at) if w.key == key).set_value(value)
    at.button(key="train_apply").click().run()
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert {key: next(w for w in _widgets(at) if w.key == key).value for key in changed} == changed
    assert list(at.dataframe[0].value["layer"])[1:5] == ["conv_1", "pool_1", "conv_2", "pool_2"]
    assert at.info[0].value.startswith("**Data: MNIST sample (5,000 digits)**, using 1,000")


def _widgets(at):
    return [*at.text_input, *at.number_input, *at.slider, *at.radio, *at.selectbox]


@pytest.mark.parametrize("ending", ["finished", "stopped", "lost"])
def test_the_default_model_trains_through_the_pool_and_is_never_cached_half_done(
    monkeypatch, ending
):
    """_train_quietly is one TrainerPool.run under the default model's own time limit; a model
    stopped early (at that limit) or lost is refused rather than cached for every session."""
    import pages._models
    from cnnviz.learning.worker import TrainingError

    calls = []

    class Pool:
        def run(self, spec, data, *, keep, lost, limits):
            calls.append(limits)
            trained = fake_trained(step=800 if ending == "finished" else 126)
            if ending == "lost":
                lost(trained.run, "it did not end its batch within 5 s of Stop")
            else:
                trained.run.reason = "it reached the 10 min one training may take"
                keep(trained)

    monkeypatch.setattr(pages._models, "get_trainer_pool", Pool)
    monkeypatch.setenv("CNNVIZ_MAX_WORKER_MB", "1234")
    if ending == "finished":
        assert pages._models._train_quietly(ModelSpec(), None).run.status == "finished"
    else:
        expected = "stopped early: it reached" if ending == "stopped" else "kept nothing: it did"
        with pytest.raises(TrainingError, match=expected):
            pages._models._train_quietly(ModelSpec(), None)
    assert (calls[0].max_seconds, calls[0].max_memory_mb) == (600, 1234)
