"""Opening and rerunning a page under Streamlit's AppTest the way every page test does."""

from streamlit.testing.v1 import AppTest


def open_page(path: str, *, timeout: float, **query: str) -> AppTest:
    """Run the page at `path` (relative to the repository) with `query` in its URL.

    Fails at once if the first run raised, so every test starts from a page that works.
    """
    at = AppTest.from_file(f"../{path}", default_timeout=timeout)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def rerun(at: AppTest) -> AppTest:
    """Run the page again after a widget changed; fail at once if that run raised."""
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    """The text of every markdown element, in page order."""
    return [m.value for m in at.markdown]
