"""A crafted link in real Chromium: the app's warnings show the visitor's text as characters.

AppTest sees the Markdown string; only the browser shows what Streamlit's renderer (CommonMark
plus its own extensions: colours, icons, emoji, maths) makes of it.
"""

from urllib.parse import quote

from playwright.sync_api import expect

from tests.browser.helpers import assert_no_errors, screenshot, wait_idle

INJECTION = "1` **Session expired.** [Click here](http://x/) ![img](http://x/i.png) `"
EXTENSIONS = "1 :red[x] $x^2$ :material/home: :smile: <b>b</b> &amp;"


def test_a_crafted_link_shows_its_markdown_as_plain_characters(app_url, page):
    """No bold, link, image, code, colour, icon, emoji, maths or HTML from a link's values."""
    page.goto(f"{app_url}/convolution?stride={quote(INJECTION)}&kernel={quote(EXTENSIONS)}")
    wait_idle(page)
    alerts = page.get_by_test_id("stAlertContentWarning")
    expect(alerts).to_have_count(2)
    texts = " ".join(alerts.all_inner_texts())
    assert f"stride={INJECTION}" in " ".join(texts.split())
    assert ":red[x] $x^2$ :material/home: :smile: <b>b</b> &amp;" in texts
    for selector in ("a", "strong", "img", "code", "b", "span[data-testid=stIconMaterial]"):
        expect(alerts.locator(selector)).to_have_count(0)
    expect(alerts.locator(".katex")).to_have_count(0)
    assert_no_errors(page)
    screenshot(page, "hostile-link")
