"""The Talk page in real Chromium at a projector's 1280×720: keys move through the steps and the
link follows, the sidebar is hidden, the title step shows its QR code, each step fits one screen.

Streamlit scrolls its main area (``stMain``), not the document, so a step that does not fit
shows in ``stMain``'s scroll height; the document's is checked too.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cnnviz.lessons.talk import STEPS
from tests.browser.helpers import assert_no_errors, screenshot, wait_idle

PROJECTOR = {"width": 1280, "height": 720}
MARGIN = 12  # pixels a step may run past the screen (a border's shadow, rounding)
#: Whether a key pressed on the page is cancelled (its default action, typing, prevented).
PRESSED = """key => {
    const e = new KeyboardEvent("keydown", {key, bubbles: true, cancelable: true});
    document.body.dispatchEvent(e);
    return e.defaultPrevented;
}"""
HEIGHTS = """() => [document.documentElement.scrollHeight,
                  document.querySelector('[data-testid="stMain"]').scrollHeight]"""


@pytest.fixture
def projector(browser):
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def open_step(page, app_url: str, key: str) -> None:
    page.goto(f"{app_url}/talk?step={key}")
    wait_idle(page, 120_000)


def heading(page):
    return page.locator(".st-key-talk_title h1")


def test_keys_move_between_steps_and_the_link_follows(app_url, projector):
    page = projector
    open_step(page, app_url, "title")
    expect(heading(page)).to_have_text(STEPS[0].title)
    page.wait_for_timeout(1000)  # the shortcuts' script runs in its own frame
    page.keyboard.press("ArrowRight")
    expect(heading(page)).to_have_text(STEPS[1].title)
    expect(page).to_have_url(re.compile(r"[?&]step=slide\b"))
    wait_idle(page)
    # The shortcut left the focus on Next: space must move one step, not two (the shortcut's
    # click and the focused button's own).
    page.keyboard.press(" ")
    expect(heading(page)).to_have_text(STEPS[2].title)
    expect(page).to_have_url(re.compile(r"[?&]step=eyes\b"))
    wait_idle(page)
    page.wait_for_timeout(1000)
    expect(heading(page)).to_have_text(STEPS[2].title)  # still: not a second step
    page.mouse.click(640, 5)  # off any widget, as a speaker would
    page.keyboard.press("ArrowLeft")
    expect(heading(page)).to_have_text(STEPS[1].title)
    expect(page).to_have_url(re.compile(r"[?&]step=slide\b"))
    wait_idle(page)
    assert_no_errors(page)


def test_keys_on_a_focused_control_work_the_control_not_the_talk(app_url, projector):
    """→ on the threshold slider moves the slider only; space on a kernel's button picks it."""
    page = projector
    open_step(page, app_url, "eyes")
    page.wait_for_timeout(1000)  # the shortcuts' script runs in its own frame
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowRight")
    expect(slider).to_have_attribute("aria-valuetext", "45")
    slider.press(" ")  # space on a focused control is the control's
    wait_idle(page)
    page.wait_for_timeout(500)
    expect(heading(page)).to_have_text(STEPS[2].title)  # still the eyes
    page.mouse.click(640, 5)  # off any widget: the keys drive the talk again
    page.keyboard.press("ArrowRight")
    expect(heading(page)).to_have_text(STEPS[3].title)  # kernels as filters
    wait_idle(page)
    page.wait_for_timeout(1000)
    choice = page.get_by_test_id("stButtonGroup").locator("button").nth(1)
    choice.focus()
    page.keyboard.press(" ")
    wait_idle(page)
    page.wait_for_timeout(500)
    expect(heading(page)).to_have_text(STEPS[3].title)
    expect(choice).to_have_attribute("aria-checked", "true")
    assert_no_errors(page)


def test_the_buttons_move_too(app_url, projector):
    page = projector
    open_step(page, app_url, "depth")
    page.locator(".st-key-talk_next button").click()
    expect(heading(page)).to_have_text(STEPS[6].title, timeout=120_000)
    expect(page).to_have_url(re.compile(r"[?&]step=dense\b"))
    wait_idle(page, 120_000)
    page.locator(".st-key-talk_prev button").click()
    expect(heading(page)).to_have_text(STEPS[5].title)


def test_the_sidebar_and_toolbar_are_hidden(app_url, projector):
    page = projector
    open_step(page, app_url, "eyes")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_test_id("stToolbar")).to_be_hidden()
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_hidden()
    expect(page.locator(".st-key-talk_body")).to_be_visible()


def test_the_title_step_shows_a_qr_code_the_address_and_the_preflight(app_url, projector):
    page = projector
    open_step(page, app_url, "title")
    qr = page.locator(".st-key-talk_body img").first
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 200 and abs(box["width"] - box["height"]) < 2  # a square, scannable
    assert box["y"] + box["height"] <= PROJECTOR["height"]
    host = app_url.split("://", 1)[1]
    expect(page.get_by_text(f"Follow along: {host}")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Pre-flight: .*network needed: no"))).to_be_visible()


def test_title_and_idea_are_large_type(app_url, projector):
    page = projector
    open_step(page, app_url, "eyes")
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    assert heading(page).evaluate(size) >= 40
    assert page.locator(".st-key-talk_idea p").evaluate(size) >= 28


@pytest.mark.parametrize(
    "key", ["title", "slide", "eyes", "filters", "pooling", "depth", "learn", "train", "see"]
)
def test_each_step_fits_one_projector_screen(app_url, projector, key):
    page = projector
    open_step(page, app_url, key)
    page.wait_for_timeout(1500)  # pictures and charts take their size after the run
    document, main = page.evaluate(HEIGHTS)
    assert document <= PROJECTOR["height"] + MARGIN, document
    assert main <= PROJECTOR["height"] + MARGIN, f"step {key}: {main} px tall"
    assert_no_errors(page)
    screenshot(page, f"talk-{key}-1280x720")


def test_the_speaker_notes_are_closed_until_opened(app_url, projector):
    page = projector
    open_step(page, app_url, "pooling")
    notes = page.get_by_text(STEPS[4].notes[:30])
    expect(notes).to_be_hidden()
    page.get_by_text("Speaker notes").click()
    expect(notes).to_be_visible()


def test_after_the_talk_the_arrow_keys_work_on_other_pages_again(app_url, browser):
    """streamlit-shortcuts' listener cancels → ← and space; it must not outlive the talk and
    cancel them on other pages (a space typed into the kernel's text box, a caret moved). It
    does not: it lives in the shortcut's frame, which goes with the page (checked: on the talk
    page the same test press is cancelled)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/pooling")
    wait_idle(page, 120_000)
    page.locator("[data-testid=stSidebarNavLink]", has_text="Talk").click()
    expect(heading(page)).to_have_text(STEPS[0].title)
    wait_idle(page)
    page.wait_for_timeout(1500)  # the shortcuts' script runs in its own frame
    assert page.evaluate(PRESSED, "ArrowRight")  # the test press is cancelled here: bound
    expect(heading(page)).to_have_text(STEPS[1].title)
    wait_idle(page)
    # Out of the talk inside the app (no reload): the hidden sidebar's own link to Pooling.
    page.evaluate(
        "document.querySelector('[data-testid=stSidebarNavLink][href$=\"/pooling\"]').click()"
    )
    expect(page.locator(".st-key-pool_size")).to_be_visible(timeout=60_000)
    wait_idle(page)
    assert page.evaluate("window.__streamlitShortcutsInitialized === true")  # no reload
    for key in ("ArrowRight", "ArrowLeft", " "):  # a space typed in a text box, say
        assert not page.evaluate(PRESSED, key), f"{key!r} is cancelled on the Pooling page"
    context.close()
