"""The "What the filters see" page in real Chromium: on a projector (1280×720) a control changes
the picture, on a phone (390×844, touch) nothing is wider than the screen and a feature
picture is made on a tap; the server never loads TensorFlow."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import (
    assert_no_errors,
    heavy_libraries,
    screenshot,
    server_pid,
    wait_idle,
)

PROJECTOR = {"viewport": {"width": 1280, "height": 720}}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
WIDTHS = (
    "() => [document.documentElement.scrollWidth,"
    " document.querySelector('[data-testid=stMain]').scrollWidth]"
)


def _open(browser, url, device):
    context = browser.new_context(**device)
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{url}/filters")
    wait_idle(page, timeout=300_000)
    expect(page.get_by_role("heading", name="What the filters see")).to_be_visible()
    return context, page


def _field(page):
    """The input with the field outlined: streamlit-image-coordinates' picture (clickable)."""
    return page.frame_locator(".st-key-filters_field_click_box iframe").first.locator("img#image")


def _field_picture(page) -> str:
    image = _field(page)
    expect(image).to_be_visible()
    return image.get_attribute("src")


def test_projector_a_cell_number_moves_the_outlined_field(entered_url, browser):
    """Row 0 → 9 on conv_1, then a click on input pixel (20, 15): the headline, the outlined
    picture and the link follow."""
    context, page = _open(browser, entered_url, PROJECTOR)
    try:
        expect(
            page.get_by_text("conv_1 cell (0, 0) sees input rows 0–2, columns 0–2")
        ).to_be_visible()
        before = _field_picture(page)
        row = page.get_by_label(re.compile(r"^Row \(0 to 25\)"))
        row.fill("9")
        row.press("Enter")
        wait_idle(page)
        expect(
            page.get_by_text("conv_1 cell (9, 0) sees input rows 9–11, columns 0–2")
        ).to_be_visible()
        assert _field_picture(page) != before
        assert "row=9" in page.url
        box = _field(page).bounding_box()
        scale = box["width"] / 28  # screen pixels per input pixel
        _field(page).click(position={"x": 15.5 * scale, "y": 20.5 * scale})  # pixel (20, 15)
        wait_idle(page)
        expect(
            page.get_by_text("conv_1 cell (19, 14) sees input rows 19–21, columns 14–16")
        ).to_be_visible()
        assert "row=19" in page.url and "col=14" in page.url
        widths = page.evaluate(WIDTHS)
        assert max(widths) <= 1280, widths
        assert_no_errors(page)
        screenshot(page, "filters-projector")
        assert heavy_libraries(server_pid(entered_url)) == []
    finally:
        context.close()


def test_phone_fits_the_screen_and_makes_a_feature_picture_on_a_tap(entered_url, browser):
    context, page = _open(browser, entered_url, PHONE)
    try:
        widths = page.evaluate(WIDTHS)
        assert max(widths) <= 390, widths
        page.get_by_role("button", name=re.compile("Make the feature picture")).tap()
        wait_idle(page, timeout=120_000)
        expect(
            page.get_by_text(re.compile(r"^conv_1 filter 0: [\d.]+ for this picture"))
        ).to_be_visible()
        widths = page.evaluate(WIDTHS)
        assert max(widths) <= 390, widths
        assert_no_errors(page)
        screenshot(page, "filters-phone")
    finally:
        context.close()
