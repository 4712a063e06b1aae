"""The Train page in real Chromium: live training, Stop, the slot limit, leaving mid-training.

The server here allows one training at a time (CNNVIZ_MAX_TRAININGS=1), so the second visitor
must wait, and starts only once the first visitor's training has really ended.
"""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    assert_no_errors,
    heavy_libraries,
    screenshot,
    server_pid,
    streamlit_server,
    wait_idle,
)

STOPPED = "The model keeps what it learned so far"
WAITING = "Waiting for a free training slot: 1 of 1"


@pytest.fixture(scope="module")
def train_url(cache_env):
    with streamlit_server(env={**cache_env, "CNNVIZ_MAX_TRAININGS": "1"}) as url:
        yield f"{url}/train"


def _open(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page, timeout=60_000)
    expect(page.get_by_role("heading", name="Train a CNN on handwritten digits")).to_be_visible()


def _group(page: Page, name: str) -> None:
    """Open the button that holds a group of settings ("Layers", or "Layers: fix …")."""
    page.get_by_role("button", name=re.compile(rf"^{name}")).click()


def _start_long_training(page: Page) -> None:
    """20 epochs on the sample: far longer than any test waits."""
    _group(page, "Schedule")
    epochs = page.get_by_test_id("stSlider").filter(has_text="Epochs").get_by_role("slider")
    epochs.focus()
    epochs.press("End")
    expect(epochs).to_have_attribute("aria-valuetext", "20")
    page.get_by_role("button", name="Train", exact=True).click()


def _progress(page: Page):
    return page.get_by_test_id("stProgress")


def _curve(page: Page):
    """The live chart's loss line (its SVG path grows as batches come in)."""
    return page.get_by_test_id("stPlotlyChart").first.locator("path.js-line").nth(1)


def _stop(page: Page) -> float:
    page.get_by_test_id("stButton").filter(has_text="Stop training").click()
    clicked = time.monotonic()
    expect(page.get_by_text(STOPPED)).to_be_visible(timeout=30_000)
    return time.monotonic() - clicked


def test_train_watch_the_curve_move_stop_and_see_results(train_url, page, tmp_path):
    """Progress and curves update while training; Stop ends it and shows what it learned. The
    .keras file the worker wrote, loaded into Keras here, reads the sample's test digits with
    the test accuracy the page shows (computed by the core's forward pass)."""
    from cnnviz.learning.data import as_model_input, load_sample

    _open(page, train_url)
    _start_long_training(page)
    expect(_progress(page)).to_have_text(re.compile(r"Epoch 1 of 20 · batch [1-9]"), timeout=60_000)
    first_text = _progress(page).inner_text()
    first_path = _curve(page).get_attribute("d")
    expect(_progress(page)).not_to_have_text(first_text, timeout=10_000)
    expect(_curve(page)).not_to_have_attribute("d", first_path, timeout=10_000)
    screenshot(page, "train-live")
    # Some learning first (30 batches), so that the accuracy is not a guess's.
    expect(_progress(page)).to_have_text(re.compile(r"batch ([3-9]\d|\d{3})"), timeout=60_000)

    seconds = _stop(page)
    wait_idle(page)
    stopped = page.get_by_text(STOPPED).inner_text()
    batches = int(re.search(r"batch ([\d,]+) of 2,500", stopped).group(1).replace(",", ""))
    assert 0 < batches < 2500
    print(f"Stop → 'stopped' message shown: {seconds:.1f} s (after batch {batches})")
    expect(page.get_by_text(re.compile(r"Test accuracy: \d+\.\d%"))).to_be_visible()
    expect(page.get_by_text("Confusion matrix")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile("Download the trained model"))
    ).to_be_visible()
    expect(page.get_by_test_id("stButton").filter(has_text="Stop training")).to_have_count(0)
    expect(_progress(page)).to_have_count(0)
    assert_no_errors(page)
    screenshot(page, "train-stopped")
    assert heavy_libraries(server_pid(train_url)) == []  # it trained in a worker process

    # The download, read by Keras (the tests' reference; the page never loads it).
    shown = page.get_by_text(re.compile(r"^Test accuracy: \d+\.\d%")).first.inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("Download the trained model")).click()
    path = tmp_path / "model.keras"
    download.value.save_as(path)
    keras = pytest.importorskip("keras")
    data = load_sample()
    probabilities = keras.models.load_model(path).predict(as_model_input(data.x_test), verbose=0)
    accuracy = float((probabilities.argmax(axis=1) == data.y_test).mean())
    assert shown.startswith(f"Test accuracy: {accuracy:.1%} (")


def test_second_visitor_waits_and_leaving_mid_training_frees_the_slot(train_url, browser):
    """Visitor B waits while A trains; A reloads, B starts at once; B closes the tab, A sees 0."""
    a_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    b_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    a, b = a_context.new_page(), b_context.new_page()
    for page in (a, b):
        page.set_default_timeout(30_000)
    try:
        _open(a, train_url)
        _start_long_training(a)
        expect(_progress(a)).to_have_text(re.compile(r"batch [1-9]"), timeout=60_000)

        _open(b, train_url)
        _start_long_training(b)
        expect(b.get_by_text(WAITING)).to_be_visible()
        screenshot(b, "train-waiting")

        a.reload()  # A leaves its training: it must end, and B's must start
        # B's worker may still be loading TensorFlow: the same 60 s as A's first batch above.
        expect(_progress(b)).to_have_text(re.compile(r"batch [1-9]"), timeout=60_000)
        wait_idle(a)

        b_context.close()  # B leaves mid-training: the server must not train on for nobody
        b_context = None
        deadline = time.monotonic() + 20
        while True:
            a.get_by_role("button", name="Apply settings").click()
            wait_idle(a)
            idle = a.get_by_text("Trainings running on this server right now: 0 of at most 1")
            if idle.count() or time.monotonic() > deadline:
                break
            a.wait_for_timeout(500)
        expect(idle).to_be_visible()
        assert_no_errors(a)
    finally:
        a_context.close()
        if b_context is not None:
            b_context.close()


def test_an_out_of_range_number_gets_a_message_instead_of_a_silent_train(train_url, page):
    """Issue 11: 5000 typed as dense neurons (at most 4096) made Train do nothing at all, as the
    browser refused the number. Now Train answers with a message naming the box and the rule."""
    _open(page, train_url)
    _group(page, "Layers")
    box = page.get_by_role("spinbutton", name="Neurons in the dense layer")
    box.fill("5000")
    page.get_by_role("button", name="Train", exact=True).click()
    wait_idle(page)
    expect(
        page.get_by_text(
            "Neurons in the dense layer: dense_units must be a whole number from 1 to 4096. "
            "Received: dense_units=5000."
        )
    ).to_be_visible()  # no stray backticks: the core's are dropped, the rest shows as written
    expect(_progress(page)).to_have_count(0)
    screenshot(page, "train-out-of-range")
    # Bug: 2.5 typed as the batch size reached the server as 2 (an int box rounds it down).
    _group(page, "Layers")
    box.fill("256")
    _group(page, "Schedule")
    page.get_by_role("spinbutton", name="Batch size").fill("2.5")
    page.get_by_role("button", name="Train", exact=True).click()
    wait_idle(page)
    expect(
        page.get_by_text(
            "Batch size: batch_size must be a whole number from 1 to 4096. "
            "Received: batch_size=2.5."
        )
    ).to_be_visible()
    expect(_progress(page)).to_have_count(0)
