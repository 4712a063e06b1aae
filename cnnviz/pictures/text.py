"""Words and numbers drawn into pictures: one number formatter, fonts, text as pixels.

Every picture that writes a number (colour-bar ticks, a table of kernel weights, a worked
sum) formats it with :func:`~cnnviz.maths.numbers.number_text`, so a negative number always
reads with a real minus sign (−), never a hyphen. The rest are the package's own helpers:
the fonts, and text drawn once as a small tile of pixels that a picture pastes wherever it
needs it.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cnnviz.maths.numbers import MINUS, number_text

__all__ = ["INK", "NUMBER_PX", "TEXT_PX", "number_text"]

#: Type readable from the back of a room (issue 14), in CSS pixels as a page shows it: text in
#: figures (titles, legends, axis titles) 16, tick labels and the numbers of a grid 14, all in
#: the theme's dark text colour (``.streamlit/config.toml``). Plotly figures
#: (:data:`~cnnviz.pictures.charts.FONT`), HTML tables and the pictures' own text use these.
TEXT_PX = 16
NUMBER_PX = 14
INK = "#111111"


#: A font with the symbols the titles use (−, ×); Pillow's own font lacks them.
_LABEL_FONT = "DejaVuSans.ttf"


@functools.lru_cache(maxsize=4)
def _default_font(size: int) -> ImageFont.ImageFont:
    """Pillow's own font (always there; it has no − nor ×)."""
    return ImageFont.load_default(size)


@functools.lru_cache(maxsize=1)
def _has_label_font() -> bool:
    try:
        ImageFont.truetype(_LABEL_FONT, 10)
    except OSError:
        return False
    return True


@functools.lru_cache(maxsize=4)
def _label_font(size: int) -> ImageFont.ImageFont:
    if _has_label_font():
        return ImageFont.truetype(_LABEL_FONT, size)
    return _default_font(size)  # and _drawable spells the symbols out


def _drawable(text: str) -> str:
    """``text`` with − and × spelt in ASCII when the font in use lacks them."""
    if _has_label_font():
        return text
    return text.replace(MINUS, "-").replace("×", "x")


@functools.lru_cache(maxsize=512)
def _text_tile(text: str, size: int, ink: tuple[int, int, int]) -> np.ndarray:
    """``text`` drawn on white as pixels (h, w, 3), from the pen's origin; cached, as titles,
    ticks and notes repeat from one picture to the next and drawing text is the slow part."""
    font = _label_font(size)
    _, _, right, bottom = font.getbbox(text or " ")
    tile = Image.new("RGB", (max(1, int(right)), max(1, int(bottom))), "white")
    ImageDraw.Draw(tile).text((0, 0), text, fill=ink, font=font)
    pixels = np.asarray(tile)
    pixels.flags.writeable = False
    return pixels


def _paste_text(canvas: np.ndarray, tile: np.ndarray, top: int, left: int) -> None:
    """A :func:`_text_tile` onto ``canvas`` at ``(top, left)``, cut at the canvas's edge."""
    h = min(tile.shape[0], canvas.shape[0] - top)
    w = min(tile.shape[1], canvas.shape[1] - left)
    if h <= 0 or w <= 0:
        return
    region = canvas[top : top + h, left : left + w]
    np.minimum(region, tile[:h, :w], out=region)  # dark ink over white: keep the darker


@functools.lru_cache(maxsize=64)
def _wrapped(text: str, size: int, width: int) -> tuple[str, ...]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide."""
    font = _label_font(size)
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and font.getlength(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return (*lines, line)


@functools.lru_cache(maxsize=256)
def _fit_text(text: str, size: int, width: int) -> str:
    """``text``, cut short with an ellipsis if it is wider than ``width`` pixels."""
    font = _label_font(size)
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
