"""Small picture files the page tests upload."""

import io

from PIL import Image


def png(size=(40, 30), mode="RGB", color=(200, 30, 30)) -> bytes:
    """A PNG file of one flat colour: ``size`` is (width, height)."""
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()
