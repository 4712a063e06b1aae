"""Fixtures for real-browser tests: one streamlit server per test module, one page per test."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

# Playwright's 5 s default for expect() is for a quiet machine; a full run keeps 2 cores busy
# with 2 test workers, their servers, trainings and Chromiums, and a page's run can take longer.
# A longer wait only matters when the page is slow: what is expected stays the same.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    """Every test here is a browser test, and slow: its module starts a server (3-5 s)."""
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def app_url():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def cache_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a server with a cache folder of its own (a pytest temporary folder):
    the models and curves other modules' servers saved are not there."""
    return {"CNNVIZ_CACHE_DIR": str(tmp_path_factory.mktemp("cnnviz-cache"))}


@pytest.fixture(scope="module")
def entered_url(app_url, browser):
    """``app_url`` once the app's entry has run there: a fresh server whose very first request is
    a page URL runs that page on its own until app.py has called st.navigation (the first-visit
    test checks that case); after one visit of the entry, every page URL can be opened directly
    (one page load per test instead of two)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(app_url)
    wait_idle(page, timeout=120_000)
    context.close()
    return app_url


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
