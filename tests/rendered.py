"""What a Markdown string shows a visitor, read with an independent CommonMark parser.

Streamlit draws ``st.markdown``, ``st.error``, ``st.warning`` and captions with a CommonMark
renderer in the browser; markdown-it-py follows the same specification, so a test can check
that text built from visitor input renders as that text and nothing more: no bold, link,
image, code span or HTML tag.
"""

import html
import re

from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark")
FORMATTING = ("<a", "<img", "<strong", "<em", "<code", "<script", "<b>", "<h1", "<li", "<ol")


def to_html(markdown: str) -> str:
    """The HTML that ``markdown`` renders to."""
    return _PARSER.render(markdown)


def shown(markdown: str) -> str:
    """The text a visitor reads: the rendered HTML without its tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", to_html(markdown))).strip()


def assert_literal(markdown: str, text: str) -> None:
    """``markdown`` shows ``text`` character for character, and renders no formatting at all."""
    rendered = to_html(markdown)
    assert text in shown(markdown), (text, shown(markdown))
    for tag in FORMATTING:
        assert tag not in rendered, (tag, rendered)
