"""Sessions on one real server stay apart: two visitors at once, each with its own upload and
kernel, over Streamlit's websocket protocol (the client the load benchmark uses)."""

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

from bench.st_client import Session


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(width).integers(0, 256, (height, width), dtype=np.uint8)
    Image.fromarray(pixels, "L").save(buffer, "PNG")
    return buffer.getvalue()


def _output_line(session: Session) -> str:
    return next(t for t in session.texts() if t.startswith("**Output: "))


async def _two_visitors(url: str) -> tuple[list[str], list[str]]:
    async with Session(url, "convolution") as first, Session(url, "convolution") as second:
        await asyncio.gather(
            first.upload("conv_upload", "a.png", _png(120, 90), "image/png"),
            second.upload("conv_upload", "b.png", _png(150, 70), "image/png"),
        )
        await asyncio.gather(
            first.set_value("conv_preset", string_value="Sharpen"),
            second.set_value("conv_preset", string_value="Laplacian"),
        )
        lines = [_output_line(first), _output_line(second)]
        await first.set_value("conv_preset", string_value="Box blur")  # the other stays put
        await second.rerun([])
        lines += [_output_line(first), _output_line(second)]
        return lines, first.errors + second.errors


def test_two_sessions_never_see_each_others_picture_or_kernel(app_url):
    # In a thread of its own: Playwright's fixtures keep an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        lines, errors = thread.submit(asyncio.run, _two_visitors(app_url)).result(timeout=120)
    assert errors == []
    assert "(input 90 × 120, kernel Sharpen)" in lines[0]
    assert "(input 70 × 150, kernel Laplacian)" in lines[1]
    assert "(input 90 × 120, kernel Box blur)" in lines[2]
    assert "(input 70 × 150, kernel Laplacian)" in lines[3]
