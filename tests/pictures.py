"""Small picture files the page tests upload."""

import io
import zipfile

from PIL import Image


def png(size=(40, 30), mode="RGB", color=(200, 30, 30)) -> bytes:
    """A PNG file of one flat colour: ``size`` is (width, height)."""
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip file holding ``members`` (name → content), as the zip uploaders take it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()
