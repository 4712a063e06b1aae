"""The audience's room in real Chromium: the speaker opens it in the talk, a phone sends a digit."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import assert_no_errors, draw_stroke, screenshot, wait_idle


def test_a_phone_sends_a_digit_and_the_talk_shows_it_with_the_score(app_url, browser):
    """Speaker at 1280×720 opens a room on the talk's last step; a phone (390×844, touch) opens
    the room's link, says 1, draws a 1 and sends it; the phone hears how the model read it and
    the speaker's screen shows the digit and "Read 1 of 1 right" without a reload."""
    speaker = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    speaker.set_default_timeout(60_000)
    speaker.goto(app_url)
    wait_idle(speaker)
    speaker.goto(f"{app_url}/talk?step=audience")
    wait_idle(speaker)
    speaker.get_by_role("button", name="Open a room").click()
    wait_idle(speaker)
    heading = speaker.get_by_role("heading", name=re.compile(r"^Room [A-Z0-9]{5}$"))
    expect(heading).to_be_visible()
    code = heading.inner_text().split()[-1]
    link = speaker.locator("code").filter(has_text="/audience?room=").inner_text().strip()
    assert link == f"{app_url}/audience?room={code}"
    expect(speaker.get_by_text("No digits yet")).to_be_visible()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    ).new_page()
    phone.set_default_timeout(60_000)
    phone.goto(link)
    wait_idle(phone, timeout=120_000)
    expect(phone.get_by_label("Room code (on the speaker's screen)")).to_have_value(code)
    phone.get_by_test_id("stButtonGroup").get_by_text("1", exact=True).click()
    wait_idle(phone)
    draw_stroke(phone)
    sent = phone.get_by_text(re.compile(r"^Sent \(digit 1 of the room\)\. The model read your 1"))
    for _ in range(10):  # the canvas hands its drawing over a moment after the finger lifts:
        phone.get_by_role("button", name="Send").click()  # a quick tap may find none yet
        wait_idle(phone, timeout=120_000)
        if sent.is_visible():
            break
    expect(sent).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_errors(phone)
    screenshot(phone, "audience-phone")

    right = "right!" in sent.inner_text()
    score = "Read 1 of 1 right (100%)." if right else "Read 0 of 1 right (0%)."
    expect(speaker.get_by_text(score)).to_be_visible(timeout=20_000)  # redrawn every 3 s
    expect(speaker.locator("[data-testid=stImage] img")).to_have_count(2)  # QR code and grid
    speaker.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stImage] img')]"
        ".every(i => i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 50)"
    )
    assert_no_errors(speaker)
    screenshot(speaker, "audience-talk")
