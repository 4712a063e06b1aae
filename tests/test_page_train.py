"""The Train page under AppTest: the real page, the sample data, one short epoch on a slice."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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


def test_one_short_epoch_shows_curves_results_and_the_download(app):
    """64 digits, one epoch: accuracy, metrics, four figures, the download; a rerun keeps it."""
    at = _train_small(app)
    assert not at.error
    assert at.success[0].value.startswith("Training finished: 1 of 1 epochs in ")
    accuracy = [m.value for m in at.markdown if m.value.startswith("Test accuracy: **")]
    assert accuracy and "(1,000 test digits the model never trained on)" in accuracy[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Epochs"] == "1 of 1"
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


def test_bad_filters_text_gets_a_clear_message_and_keeps_the_page(app):
    app.text_input(key="train_filters").set_value("32, lots")
    app.button(key="train_apply").click().run()
    assert app.error[0].value.startswith("`filters` must be 1 to 3 whole numbers")
    assert "Received: filters='32, lots'" in app.error[0].value
    assert app.info[0].value.startswith("**Data:")  # the rest of the page is still there
    assert not app.exception


def test_kernels_that_do_not_fit_get_a_clear_message(app):
    app.text_input(key="train_filters").set_value("8, 8, 8")
    app.slider(key="train_kernel").set_value(7)
    app.button(key="train_start").click().run()
    assert app.error[0].value.startswith(
        "Output would be empty: conv block 3's 7×7 kernel does not fit the 2×2 feature map"
    )
    assert "train_model" not in app.session_state  # nothing was trained
    assert not app.exception


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


def test_changed_spec_updates_table_and_code(app):
    app.text_input(key="train_filters").set_value("16, 32")
    app.radio(key="train_pooling").set_value("average")
    app.button(key="train_apply").click().run()
    assert list(app.dataframe[0].value["layer"])[1:5] == ["conv_1", "pool_1", "conv_2", "pool_2"]
    assert 'layers.AveragePooling2D((2, 2), name="pool_2")' in app.code[0].value
    assert any("Parameters: **212,426**" in m.value for m in app.markdown)


def _interrupted_training_script():
    """Runs as its own Streamlit script: a training whose live view is interrupted after three
    batches, as Streamlit interrupts it when the visitor clicks Stop or closes the tab."""
    import streamlit as st

    from cnnviz.data import load_sample
    from cnnviz.model import ModelSpec
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


def test_an_interrupted_training_keeps_its_model_and_frees_its_slot():
    """What a Stop click does to train_live: the worker stops after its batch, keep() gets the
    model as far as it got, the slot is free again and the session's next run may go on."""
    at = AppTest.from_function(_interrupted_training_script, default_timeout=120).run()
    assert not at.exception
    lines = [m.value for m in at.markdown]
    assert "kept=1 status=stopped step_ok=True" in lines
    assert "slots busy=0 finished=True" in lines
