"""The "Your own classes" page in real Chromium with a fake camera: snapshots, train, try.

Chromium's fake capture device (``--use-fake-device-for-media-stream``) plays a moving test
pattern, and ``--use-fake-ui-for-media-stream`` grants the camera without asking: the page's
camera widget works as with a webcam, once its "Use my camera" switch is on (until then the
page never asks for the camera: a counter around ``getUserMedia`` checks it). Snapshots go
into two classes, a short training runs in a worker, and a new snapshot gets the model's
probabilities. Screenshots at laptop, projector and phone sizes land in artifacts/screenshots/.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    assert_no_errors,
    heavy_libraries,
    screenshot,
    server_pid,
    streamlit_server,
    wait_idle,
)
from tests.browser.test_browser_legible import _too_wide  # the legibility test's own check
from tests.browser.test_browser_talk import HEIGHTS  # what 'fits one screen' measures

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
SIZES = {"1440x900": (1440, 900), "1280x720": (1280, 720), "390x844": (390, 844)}
SNAPSHOTS = 3  # per class: enough for a held-out split (at least 2)


#: Counts the page's requests for the camera (``window.cameraAsked``): the browser's prompt.
COUNT_CAMERA = """
window.cameraAsked = 0;
const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (c) => { window.cameraAsked += 1; return ask(c); };
"""


def _camera_on(page: Page, which: int) -> None:
    """Turn on the page's ``which``-th "Use my camera" switch (0: adding, 1: Try it)."""
    switch = page.get_by_test_id("stCheckbox").filter(has_text="Use my camera").nth(which)
    switch.scroll_into_view_if_needed()
    switch.get_by_text("Use my camera").click()
    wait_idle(page)


@pytest.fixture(scope="module")
def own_url(cache_env):
    with streamlit_server(env=cache_env) as url:
        yield url


@pytest.fixture(scope="module")
def camera_browser(browser):
    """Chromium with a fake camera, granted without a prompt (same Playwright as ``browser``)."""
    launched = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *FAKE_CAMERA]
    )
    yield launched
    launched.close()


def _open(browser, url: str, size: str) -> Page:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["camera"])
    context.add_init_script(COUNT_CAMERA)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)  # the app's entry first: a fresh server then knows every page's URL
    wait_idle(page, 120_000)
    page.goto(f"{url}/own")
    wait_idle(page, 120_000)
    expect(page.get_by_role("heading", name="Your own classes")).to_be_visible()
    return page


def _snapshot(page: Page, camera, total: int | None = None) -> None:
    """Press the camera's shutter once (clearing the last photo first) and wait until the page
    counts ``total`` pictures, if given: a Clear pressed before the snapshot's run has begun
    would replace that run (a loaded machine took over 150 ms to start it: one was lost)."""
    clear = camera.get_by_role("button", name="Clear photo")
    if clear.count():
        clear.click()
        wait_idle(page)
    take = camera.get_by_role("button", name="Take Photo")
    expect(take).to_be_enabled(timeout=30_000)  # the fake stream has started
    take.click()
    if total is not None:
        expect(_text(page, f"{total} of 300 pictures")).to_be_visible(timeout=60_000)
    wait_idle(page, 60_000)


def _text(page: Page, text):
    """The first paragraph of Markdown holding ``text`` (a string or a pattern)."""
    return page.get_by_test_id("stMarkdownContainer").filter(has_text=text).first


def _choose_class(page: Page, name: str) -> None:
    box = page.get_by_test_id("stSelectbox").filter(has_text="Add to class").first
    box.get_by_role("combobox").click()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(box.get_by_role("combobox")).to_have_value(name)


def test_snapshots_into_two_classes_train_and_try(own_url, camera_browser):
    page = _open(camera_browser, own_url, "1440x900")
    screenshot(page, "own-empty-1440x900")
    expect(page.get_by_test_id("stCameraInput")).to_have_count(0)  # off until asked for
    assert page.evaluate("window.cameraAsked") == 0, "the page asked for the camera unasked"
    _camera_on(page, 0)
    camera = page.get_by_test_id("stCameraInput").first
    for i, name in enumerate(("Class A", "Class B")):
        _choose_class(page, name)
        for j in range(SNAPSHOTS):
            _snapshot(page, camera, total=i * SNAPSHOTS + j + 1)
    expect(_text(page, f"{2 * SNAPSHOTS} of 300 pictures in 2 classes")).to_be_visible()
    expect(_text(page, f"Class A · {SNAPSHOTS} pictures")).to_be_visible()
    expect(_text(page, f"Class B · {SNAPSHOTS} pictures")).to_be_visible()
    expect(_text(page, "4 pictures train, 2 are held out")).to_be_visible()
    epochs = page.get_by_test_id("stSlider").filter(has_text="Epochs").get_by_role("slider")
    epochs.focus()
    epochs.press("Home")  # one epoch: the fake camera's frames differ in little but the clock
    expect(epochs).to_have_attribute("aria-valuetext", "1")
    wait_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    expect(_text(page, "Held-out accuracy: ")).to_be_visible(timeout=180_000)
    wait_idle(page, 60_000)
    _camera_on(page, 1)
    trying = page.get_by_test_id("stCameraInput").filter(has_text="A new snapshot")
    trying.scroll_into_view_if_needed()
    _snapshot(page, trying)
    expect(_text(page, re.compile(r"The model says [\d.]+%"))).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3)  # curves, confusion, bars
    assert_no_errors(page)
    assert heavy_libraries(server_pid(own_url)) == []  # trained in a worker, read in NumPy
    screenshot(page, "own-trained-1440x900")
    for size in ("1280x720", "390x844"):
        width, height = SIZES[size]
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(800)
        screenshot(page, f"own-trained-{size}")
    page.context.close()


@pytest.mark.parametrize("size", ["1280x720", "390x844"])
def test_the_sample_set_page_at_projector_and_phone_size(own_url, camera_browser, size):
    page = _open(camera_browser, own_url, size)
    assert _too_wide(page) == [], "the empty page reaches past the screen's edge"
    assert page.evaluate("window.cameraAsked") == 0, "the page asked for the camera unasked"
    page.get_by_role("tab", name="Sample shapes").click()
    page.get_by_role("button", name="Use the sample shapes").click()
    wait_idle(page)
    expect(_text(page, "144 pictures train, 36 are held out")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size][0], f"{width} px wide: the page scrolls sideways"
    assert _too_wide(page) == [], "the thumbnails or previews reach past the screen's edge"
    assert_no_errors(page)
    screenshot(page, f"own-sample-{size}")
    page.context.close()


def test_the_talk_step_fits_one_projector_screen(own_url, camera_browser):
    context = camera_browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(own_url)
    wait_idle(page, 120_000)
    page.goto(f"{own_url}/talk?step=own")
    wait_idle(page, 120_000)
    expect(page.get_by_role("heading", name="Your own classes")).to_be_visible()
    page.wait_for_timeout(1500)
    document, main = page.evaluate(HEIGHTS)
    assert document <= 720 + 12 and main <= 720 + 12, f"{document} and {main} px tall"
    assert_no_errors(page)
    screenshot(page, "talk-own-1280x720")
    context.close()
