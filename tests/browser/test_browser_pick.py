"""Point to pick and one idea per screen (issue 14), in real Chromium.

At 1280 × 720 (a projector): on Convolution the kernel control, the picture and the feature map
are in the viewport together; on Pooling the shift control and the original and shifted pooled
maps are. A click on a feature-map cell steps through that cell, a click on the pooled map opens
that window, a click on a thumbnail picks that picture. At 390 × 844 (a phone, touch) the
Convolution page does not scroll sideways and each heading sits above its own controls.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from cnnviz.pictures import cell_at
from tests.browser.helpers import assert_no_errors, screenshot, wait_idle

PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
WAIT = 30_000  # ms for each expectation: a loaded 2-core machine draws frames slowly
#: Scroll an element to the top of the viewport, 80 px below it (clear of Streamlit's header).
SCROLL_TO_TOP = """(el) => {
    el.scrollIntoView({block: 'start'});
    let box = el.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight
                    && getComputedStyle(box).overflowY !== 'visible')) box = box.parentElement;
    (box || document.scrollingElement).scrollBy(0, -80);
}"""


@pytest.fixture
def sized(browser):
    """A page of a fresh browser context at the size asked for (``sized(PHONE)``)."""
    contexts = []

    def make(viewport: dict, **options) -> Page:
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield make
    for context in contexts:
        context.close()


def _open(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page, 120_000)  # a fresh server's first Pooling run works out the depth curve
    expect(page.get_by_role("heading").first).to_be_visible(timeout=WAIT)


def _in_view(page: Page, locator) -> dict:
    """The element's box, asserted to lie entirely inside the viewport as it is scrolled now."""
    # A rerun may be replacing the element (the live curves by the model's, as a training ends):
    # it can vanish between the visibility check and the measurement, so both are retried.
    box, deadline = None, time.monotonic() + 30
    while box is None and time.monotonic() < deadline:
        expect(locator).to_be_visible(timeout=30_000)
        box = locator.bounding_box()
        if box is None:
            page.wait_for_timeout(250)
    size = page.viewport_size
    assert box is not None, locator
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (locator, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (locator, box)
    return box


def _clickable(page: Page, container: str):
    """The picture inside the streamlit-image-coordinates frame in ``container``, laid out."""
    page.locator(f"{container} iframe").first.scroll_into_view_if_needed()  # frames load lazily
    image = page.frame_locator(f"{container} iframe").first.locator("img#image")
    expect(image).to_be_visible(timeout=WAIT)
    image.evaluate("(img) => img.decode()")
    return image


def _click_cell(page: Page, container: str, cell: tuple[int, int], shape: tuple[int, int]):
    """Click the middle of ``cell`` of a map of ``shape`` drawn in ``container``; return the cell
    that :func:`cell_at` gives for the point the click landed on (what the page must show)."""
    image = _clickable(page, container)
    image.scroll_into_view_if_needed()
    box = image.bounding_box()
    (rows, cols), (row, col) = shape, cell
    x, y = (col + 0.5) * box["width"] / cols, (row + 0.5) * box["height"] / rows
    image.click(position={"x": x, "y": y})
    wait_idle(page)
    return cell_at((x, y), (box["height"], box["width"]), shape)


def test_convolution_kernel_picture_and_map_fit_one_projector_screen(app_url, sized):
    page = sized(PROJECTOR)
    _open(page, f"{app_url}/convolution")
    page.locator(".st-key-conv_bench").evaluate(SCROLL_TO_TOP)  # one scroll, as a speaker would
    page.wait_for_timeout(300)
    preset = page.get_by_role("combobox", name="Preset kernel")
    _in_view(page, preset)
    _in_view(page, page.locator(".st-key-conv_bench [data-testid=stImage] img").first)
    frame = page.locator(".st-key-conv_maps iframe").first
    expect(frame).to_be_visible(timeout=WAIT)  # the map's frame is drawn after the page's run
    _in_view(page, frame)
    # Changing the kernel repaints the map in the same screen: no scroll in between.
    before = _clickable(page, ".st-key-conv_maps").get_attribute("src")
    preset.click()
    page.keyboard.type("Box blur")
    page.keyboard.press("Enter")
    wait_idle(page)
    image = _clickable(page, ".st-key-conv_maps")
    expect(image).not_to_have_attribute("src", before, timeout=WAIT)
    _in_view(page, page.locator(".st-key-conv_maps iframe").first)
    _in_view(page, preset)
    # The colour bar runs under the map, shown no smaller than drawn: its 14 px numbers stay so.
    bar = page.locator(".st-key-conv_maps [data-testid=stImage] img").first
    _in_view(page, bar)
    shown, drawn = bar.evaluate("(img) => [img.getBoundingClientRect().width, img.naturalWidth]")
    assert shown >= drawn, (shown, drawn)
    assert_no_errors(page)
    screenshot(page, "pick-convolution-projector")


def test_a_click_on_a_feature_map_cell_steps_through_that_cell(app_url, sized):
    page = sized(PROJECTOR)
    _open(page, f"{app_url}/convolution")  # the face, Sobel x, valid: a 62 × 62 map
    expect(page.get_by_text("Output: 62 × 62")).to_be_visible(timeout=WAIT)
    for cell in [(5, 50), (40, 9)]:
        row, col = _click_cell(page, ".st-key-conv_maps", cell, (62, 62))
        assert (row, col) == cell  # the middle of a cell: that cell, whatever the size shown
        expect(page.locator(".st-key-conv_row input")).to_have_value(str(row), timeout=WAIT)
        expect(page.locator(".st-key-conv_col input")).to_have_value(str(col), timeout=WAIT)
        expect(page.get_by_text(re.compile(rf"^Feature map at \({row}, {col}\): "))).to_be_visible(
            timeout=WAIT
        )
    # A rerun for something else does not fire the last click again.
    page.locator(".st-key-conv_row input").fill("3")
    page.locator(".st-key-conv_row input").press("Enter")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^Feature map at \(3, 9\): "))).to_be_visible(timeout=WAIT)
    page.get_by_role("combobox", name="Preset kernel").click()
    page.keyboard.type("Box blur")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^Feature map at \(3, 9\): "))).to_be_visible(timeout=WAIT)
    assert_no_errors(page)


def test_a_click_on_a_thumbnail_picks_that_picture(app_url, sized):
    page = sized(PROJECTOR)
    _open(page, f"{app_url}/convolution")
    expect(page.get_by_text("Input: 64 × 64 px")).to_be_visible(timeout=WAIT)
    thumbnails = page.locator(".st-key-conv_gallery iframe")
    expect(thumbnails).to_have_count(5, timeout=WAIT)
    page.frame_locator(".st-key-conv_gallery iframe").nth(3).locator("img#image").click()
    wait_idle(page)
    expect(page.get_by_text("Input: 512 × 512 px")).to_be_visible(timeout=WAIT)  # Camera man
    assert "sample=Camera+man" in page.url
    expect(page.get_by_role("radio", name="Camera man")).to_be_checked(timeout=WAIT)
    assert_no_errors(page)


def test_pooling_shift_control_and_pooled_maps_fit_one_projector_screen(app_url, sized):
    page = sized(PROJECTOR)
    _open(page, f"{app_url}/pooling")
    slider = page.get_by_test_id("stSlider").filter(has_text="Shift right")
    slider.evaluate(SCROLL_TO_TOP)  # as a speaker scrolls: the slider near the top
    page.wait_for_timeout(300)
    _in_view(page, slider)
    maps = page.locator(".st-key-pool_shift_maps [data-testid=stColumn]")
    for title in ("Pooled map: original", "Pooled map: shifted (1, 0)"):
        _in_view(page, maps.filter(has_text=title).locator(".js-plotly-plot").first)
    handle = slider.get_by_role("slider")
    handle.focus()
    handle.press("ArrowRight")
    wait_idle(page)
    expect(page.get_by_text("Pooled map: shifted (2, 0)")).to_be_visible(timeout=WAIT)
    _in_view(page, slider)
    _in_view(page, maps.filter(has_text="Pooled map: shifted (2, 0)").locator(".js-plotly-plot"))
    assert_no_errors(page)
    screenshot(page, "pick-pooling-projector")


def test_a_click_on_the_pooled_map_opens_that_window_outlined_on_both(app_url, sized):
    page = sized(PROJECTOR)
    _open(page, f"{app_url}/pooling")  # the face, eye detector, 2 × 2 max: 32 × 32 pooled
    row, col = _click_cell(page, ".st-key-pool_pick_box", (5, 27), (32, 32))
    assert (row, col) == (5, 27)
    expect(page.get_by_text(f"Pooled map: cell ({row}, {col}) outlined.")).to_be_visible(
        timeout=WAIT
    )
    top, left = 2 * row, 2 * col
    window = f"Window: feature rows {top}–{top + 1}, columns {left}–{left + 1}"
    expect(page.get_by_text(window)).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(re.compile(rf"So pooled cell \({row}, {col}\) = "))).to_be_visible(
        timeout=WAIT
    )
    expect(page.get_by_test_id("stSlider").filter(has_text="Pooled row")).to_contain_text(
        str(row), timeout=WAIT
    )
    assert_no_errors(page)


def test_phone_convolution_headings_sit_above_their_own_controls(app_url, sized):
    page = sized(PHONE, is_mobile=True, has_touch=True)
    _open(page, f"{app_url}/convolution")
    page.wait_for_timeout(1_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _clickable(page, ".st-key-conv_maps")  # the map drawn in its frame, not an empty box
    kernel = page.get_by_role("heading", name="2 · Pick or write a kernel").bounding_box()
    preset = page.get_by_role("combobox", name="Preset kernel").bounding_box()
    feature = page.get_by_role("heading", name="3 · The feature map").bounding_box()
    map_frame = page.locator(".st-key-conv_maps iframe").first.bounding_box()
    assert kernel["y"] + kernel["height"] <= preset["y"] < feature["y"] <= map_frame["y"]
    assert map_frame["height"] > 200 and map_frame["x"] + map_frame["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # all drawn
    assert_no_errors(page)
    screenshot(page, "pick-convolution-phone")


def test_train_stop_and_the_live_curves_fit_one_projector_screen(app_url, sized):
    """Train, Stop and the curves they drive share the first screen: no scroll to watch."""
    page = sized(PROJECTOR)
    _open(page, f"{app_url}/train")
    page.get_by_role("button", name="Data", exact=True).click()  # settings behind buttons
    page.get_by_role("spinbutton", name="Training digits to use (at most)").fill("2000")
    page.get_by_role("button", name="Schedule", exact=True).click()
    epochs = page.get_by_test_id("stSlider").filter(has_text="Epochs").get_by_role("slider")
    epochs.focus()
    epochs.press("End")  # 20 epochs: longer than the test watches
    expect(epochs).to_have_attribute("aria-valuetext", "20")
    page.keyboard.press("Escape")  # the settings closed; the values go with the form's Train
    train = page.get_by_role("button", name="Train", exact=True)
    train.click()
    progress = page.get_by_test_id("stProgress")
    expect(progress).to_have_text(re.compile(r"Epoch 1 of 20 · batch [1-9]"), timeout=120_000)
    curves = page.get_by_test_id("stPlotlyChart").first
    expect(curves.locator("path.js-line").first).to_be_attached(timeout=WAIT)
    stop = page.get_by_test_id("stButton").filter(has_text="Stop training")
    # The first screen holds them all (the click may have scrolled the page: back to the top).
    page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop = 0")
    for element in (train, stop, progress, curves):
        _in_view(page, element)
    expect(page.get_by_text("2,000 training digits · 32 kernels 3×3")).to_be_visible()
    screenshot(page, "pick-train-projector")
    stop.click()
    final = page.locator(".st-key-train_curves")
    expect(final).to_be_visible(timeout=WAIT)  # the model's curves stay where the live ones were
    _in_view(page, final)
    _in_view(page, train)
    assert_no_errors(page)


def test_on_a_phone_the_canvas_buttons_show_without_hovering(app_url, sized):
    """A finger never hovers: undo, redo and clear stay shown over the canvas, and clear works."""
    page = sized(PHONE, is_mobile=True, has_touch=True)
    _open(page, f"{app_url}/inside?source=draw")
    toolbar = page.locator(".dc-toolbar").first
    expect(toolbar).to_have_css("opacity", "1", timeout=WAIT)
    canvas = page.locator("canvas").last
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(toolbar).to_have_css("opacity", "1")
    clear = page.get_by_role("button", name=re.compile("^Reset canvas"))
    _in_view(page, clear)
    assert clear.bounding_box()["y"] + clear.bounding_box()["height"] <= box["y"] + 4
    assert_no_errors(page)


def test_with_a_mouse_the_canvas_buttons_wait_for_the_pointer(app_url, sized):
    page = sized(PROJECTOR)
    _open(page, f"{app_url}/inside?source=draw")
    toolbar = page.locator(".dc-toolbar").first
    expect(toolbar).to_be_attached(timeout=WAIT)
    page.wait_for_timeout(1500)  # the pinning script has had its turns
    expect(toolbar).to_have_css("opacity", "0")
