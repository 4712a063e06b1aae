"""The list of pages: one home for their titles, icons, URLs and one-line summaries.

`app.py` builds the navigation from it and the home page links every entry, so a page is
added in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the app's root
    title: str
    icon: str
    url_path: str
    summary: str


PAGES: list[PageInfo] = [
    PageInfo("pages/home.py", "Home", ":material/home:", "home", "What this app teaches."),
]
