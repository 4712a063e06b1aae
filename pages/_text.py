"""Text a visitor wrote (a link's value, a file's name, a kernel): shown as itself, not Markdown."""

from __future__ import annotations

import re

__all__ = ["file_label", "plain"]

#: Every ASCII punctuation character: each one means something to Markdown or to Streamlit's
#: extensions of it (``:red[...]``, ``$math$``, ``:emoji:``), and a backslash makes any of them
#: a plain character.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: str, limit: int = 80) -> str:
    """``text`` from a visitor, ready to place inside Markdown so it shows as itself, shortened.

    Every punctuation mark is backslash-escaped, so backticks, ``**``, links, images and HTML
    tags stay characters; line breaks become spaces (they would start new paragraphs); text
    longer than ``limit`` characters is cut, saying how long it was.

    >>> plain("a` **b** [c](http://x/)")
    'a\\` \\*\\*b\\*\\* \\[c\\]\\(http\\:\\/\\/x\\/\\)'
    >>> plain("1 2 3 4 5 6 7 8 9", limit=8)
    '1 2 3 4… \\(17 characters\\)'
    """
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = f"{text[: limit - 1].rstrip()}… ({len(text):,} characters)"
    return _PUNCTUATION.sub(r"\\\1", text)


def file_label(name: str) -> str:
    """An uploaded file's name for a message, shown literally (never read as Markdown).

    A visitor chooses the name: `*`, `[...](...)`, a backtick or `<b>` in it stay characters
    instead of formatting, links or code; a very long name is shortened.
    """
    return f"“{plain(name, 60)}”"
