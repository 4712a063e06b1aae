"""The Convolution page in real Chromium: a new kernel repaints the feature map, with no error."""

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_no_errors, screenshot, wait_idle

TOOLS = "Paste, resize, normalise, random"  # the kernel's popover
SLIDE = "Stride, padding, dilation, activation"  # the settings' popover


def _feature_map(page: Page):
    """The feature map: a picture in streamlit-image-coordinates' frame (a click picks a cell)."""
    return page.frame_locator(".st-key-conv_maps iframe").first.locator("img#image")


def _popover(page: Page, label: str) -> None:
    """Open the popover whose button says ``label`` (its widgets are drawn only when open)."""
    page.get_by_role("button", name=label).click()


def _open(app_url: str, page: Page, query: str = "") -> None:
    page.goto(f"{app_url}/convolution{query}")
    wait_idle(page)
    expect(
        page.get_by_role("heading", name="Convolution: slide a kernel, multiply, add up")
    ).to_be_visible()


def _painted_src(page: Page) -> str:
    """The feature map's image address (a data URL: the picture itself), once the browser has
    decoded and laid it out."""
    image = _feature_map(page)
    expect(image).to_be_visible()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    return image.get_attribute("src")


def test_changing_the_kernel_repaints_the_feature_map(app_url, page):
    """Sobel x → preset Box blur → pasted kernel → grid edit: a new map image each time."""
    _open(app_url, page, "?sample=Camera+man")
    expect(page.get_by_text("Output: 510 × 510")).to_be_visible()
    first = _painted_src(page)

    page.get_by_role("combobox", name="Preset kernel").click()
    page.keyboard.type("Box blur")
    page.keyboard.press("Enter")
    wait_idle(page)
    expect(_feature_map(page)).not_to_have_attribute("src", first)
    blurred = _painted_src(page)
    assert "kernel=Box+blur" in page.url

    _popover(page, TOOLS)
    box = page.locator(".st-key-conv_kernel_text textarea")
    box.fill("0 1 0; 1 -4 1; 0 1 0")
    box.press("Control+Enter")
    wait_idle(page)
    page.keyboard.press("Escape")  # close the popover: the grid is under it
    expect(_feature_map(page)).not_to_have_attribute("src", blurred)
    pasted = _painted_src(page)
    expect(page.get_by_role("combobox", name="Preset kernel")).to_have_value("Custom")

    # The grid is a canvas: double-click the centre cell (row 1, column 1) and type a number.
    editor = page.get_by_test_id("stDataFrameResizable").first
    editor.scroll_into_view_if_needed()
    grid = editor.bounding_box()
    page.mouse.dblclick(grid["x"] + 48 * 1.5, grid["y"] + 35 * 2.5)
    cell = page.locator("input.gdg-input")  # the grid's cell editor, open on the clicked cell
    expect(cell).to_have_value("-4")
    cell.fill("7")
    cell.press("Enter")
    expect(cell).to_have_count(0)
    page.mouse.click(1300, 60)  # a click on blank page leaves the grid, which sends the edit
    wait_idle(page)
    _popover(page, TOOLS)
    expect(page.locator(".st-key-conv_kernel_text textarea")).to_have_value("0 1 0\n1 7 1\n0 1 0")
    page.keyboard.press("Escape")
    expect(_feature_map(page)).not_to_have_attribute("src", pasted)
    _painted_src(page)
    assert_no_errors(page)
    page.set_viewport_size({"width": 1400, "height": 4600})
    wait_idle(page)
    screenshot(page, "convolution")


def test_a_bad_kernel_shows_a_message_and_keeps_the_map(app_url, page):
    """Text that is not a kernel: the reason beside the editor, the old map stays."""
    _open(app_url, page)
    before = _painted_src(page)
    _popover(page, TOOLS)
    box = page.locator(".st-key-conv_kernel_text textarea")
    box.fill("1 2; 3")
    box.press("Control+Enter")
    wait_idle(page)
    expect(page.get_by_text("Still using the last valid kernel")).to_be_visible()
    assert _painted_src(page) == before  # a data URL: the same picture
    expect(page.get_by_test_id("stException")).to_have_count(0)


PLAY = ".st-key-conv_play button"
STOP = ".st-key-conv_stop button"
CELL = re.compile(r"^Cell \((\d+), (\d+)\) = ")


def _cell(page: Page) -> str:
    """The animation's current cell, from the caption under its map: "Cell (r, c) = v"."""
    return page.get_by_text(CELL).inner_text()


def test_stop_stops_the_animation_at_once_and_goes_away(app_url, page):
    """Regression: Stop did not stop (the animation ran ~3.6 s to its end) and stayed on the
    page after. Play, let a few cells pass, Stop: the cell no longer advances, Stop is gone,
    and the page says where it stopped."""
    _open(app_url, page)
    page.locator(PLAY).click()
    expect(page.locator(STOP)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Cell \(\d+, \d+\) = "))).to_be_visible()
    first = _cell(page)
    page.wait_for_function(  # two more cells drawn: the animation is running
        "(first) => [...document.querySelectorAll('[data-testid=stImageCaption]')]"
        ".some((c) => c.innerText.startsWith('Cell (') && c.innerText !== first)",
        arg=first,
    )
    page.locator(STOP).click()
    expect(page.locator(STOP)).to_have_count(0, timeout=2_000)  # within a frame or two
    stopped = page.get_by_text(re.compile(r"^Stopped at cell \((\d+), (\d+)\), (\d+) of 36\."))
    expect(stopped).to_be_visible()
    wait_idle(page)
    cell = _cell(page)
    r, c = map(int, CELL.match(cell).groups())
    assert f"Stopped at cell ({r}, {c})," in stopped.inner_text()
    assert int(re.search(r"(\d+) of 36", stopped.inner_text())[1]) < 36  # before the end
    page.wait_for_timeout(1_500)  # ten frames' time: a running animation would have moved
    assert _cell(page) == cell
    expect(page.locator(STOP)).to_have_count(0)
    expect(page.locator(PLAY)).to_be_visible()
    assert_no_errors(page)


def test_stop_goes_away_when_the_animation_ends(app_url, page):
    """Regression: Stop stayed after the last frame. A 4 × 4 map plays to its end: the last
    cell is shown, the page says so, and only Play remains."""
    _open(app_url, page, "?kernel=Eye+detector&stride=8&dilation=6&padding=valid")
    expect(page.get_by_text("Output: 4 × 4")).to_be_visible()
    page.locator(PLAY).click()
    expect(page.locator(STOP)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Cell \(3, 3\) = "))).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.locator(STOP)).to_have_count(0)
    expect(page.locator(PLAY)).to_be_visible()
    expect(page.get_by_text("Done: all 16 cells filled in.")).to_be_visible()
    assert_no_errors(page)


def test_a_stride_the_box_refuses_is_said_in_words(app_url, page):
    """Regression: stride 9 typed stayed in the box with only a red icon while the old stride
    was used. The browser sends it; the page says it is refused and which stride is in use."""
    _open(app_url, page)
    _popover(page, SLIDE)
    box = page.locator(".st-key-conv_stride input")
    box.fill("3")
    box.press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Output: 21 × 21")).to_be_visible()
    box.fill("9")
    box.press("Enter")
    wait_idle(page)
    expect(
        page.get_by_text(
            "Stride must be a whole number from 1 to 8. Received: stride=9. Still using stride 3."
        )
    ).to_be_visible()
    expect(page.get_by_text("Output: 21 × 21")).to_be_visible()
    assert "stride=3" in page.url
