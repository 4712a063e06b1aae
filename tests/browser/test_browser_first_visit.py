"""A bookmark opened on a freshly started server gets the real app, not a bare page.

Regression: with a folder called pages/, Streamlit ran the bookmarked file on its own until
app.py had run once, with a sidebar listing internal modules (ui, models, registry...).
"""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from pages._registry import PAGES
from tests.browser.helpers import assert_no_errors, streamlit_server, wait_idle

#: Bookmarks with settings in their query string, and what the page then shows: they must keep
#: them when app.py takes over (checked on the same fresh server as the page's navigation).
SETTINGS = {"pooling": ("?dx=3&dy=-2", "shifted (3, -2)")}


@pytest.mark.parametrize("url_path", [p.url_path for p in PAGES if p.url_path != "home"])
def test_bookmark_as_first_request_shows_the_app_navigation(browser, url_path):
    """First request of a new server goes to a page: the sidebar lists exactly our pages. A
    bookmark with settings in its query string (SETTINGS) keeps them when app.py takes over."""
    query, shown = SETTINGS.get(url_path, ("", None))
    with streamlit_server() as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{url}/{url_path}{query}")
        nav = page.get_by_test_id("stSidebarNav")
        menu = nav.get_by_role("link", include_hidden=True)  # the Talk page hides the sidebar
        # The bare page may show for a moment before app.py takes over: wait for the real menu.
        expect(menu).to_have_count(len(PAGES), timeout=60_000)
        wait_idle(page, timeout=120_000)
        # Each link's text is "<icon ligature><title>": the title ends it.
        links = [t.strip() for t in menu.all_text_contents()]
        assert len(links) == len(PAGES), links
        assert all(link.endswith(p.title) for link, p in zip(links, PAGES)), links
        assert urlparse(page.url).path.rstrip("/").endswith(url_path)
        if shown is not None:
            expect(page.get_by_text(shown).first).to_be_attached()
            assert all(setting in page.url for setting in query[1:].split("&")), page.url
        assert_no_errors(page)
        page.close()


def test_a_bookmark_with_settings_is_checked():
    """The settings check above runs: its page is one of those opened as a first request."""
    assert set(SETTINGS) <= {p.url_path for p in PAGES if p.url_path != "home"}
