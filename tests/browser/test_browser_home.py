"""The home page in real Chromium: it paints, links every page and shows no error."""

from playwright.sync_api import expect

from pages._registry import PAGES
from tests.browser.helpers import assert_no_errors, screenshot, wait_idle


def test_home_page_paints_and_links_every_page(app_url, page):
    """The title shows, each registered page has a link, and nothing failed."""
    page.goto(app_url)
    wait_idle(page)
    expect(
        page.get_by_role("heading", name="See how a convolutional neural network works")
    ).to_be_visible()
    for info in PAGES:
        if info.url_path != "home":
            expect(page.get_by_text(info.title, exact=False).first).to_be_visible()
    assert_no_errors(page)
    screenshot(page, "home")
