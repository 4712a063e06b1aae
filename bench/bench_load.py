"""Benchmark: many visitors at once on one server, against one idle visitor, in the same run.

Against one real ``streamlit run`` on loopback, in Debian's Chromium (one browser context per
visitor, so each is its own Streamlit session):

1. **Idle**: a single visitor uploads its own picture on the Convolution page, changes the
   kernel a few times, goes to the Pooling page (same session, through the menu), uploads
   again and moves the shift slider a few times. Each interaction is timed from the action to
   the page showing the expected new text with the script finished.
2. **Load**: ``--trainers`` visitors start training on the Train page, then ``--viewers``
   visitors do the same as the idle visitor, all at once, with a short random pause between
   interactions (people read before they click).

Every visitor uploads a picture of its own size, picks its own kernel, and checks after every
interaction that the page shows *its* picture's size and *its* kernel: a session that ever sees
another's state is counted as a leak. The server's resident memory is sampled throughout and
its peak (VmHWM) read at the end.

Prints median and 95th-percentile latency for both phases, their ratio (target: p95 under
load within 3× of idle), errors, leaks and peak memory. Loopback only; every loop is bounded
and the whole run stops by itself (``--deadline`` seconds).

Run: .venv/bin/python bench/bench_load.py [--viewers 20] [--trainers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.async_api import Page, async_playwright, expect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, IDLE, streamlit_server  # noqa: E402

KERNELS = ["Box blur", "Sharpen", "Laplacian", "Sobel y", "Emboss", "Prewitt x", "Sobel x"]
ERROR_BOX = "[data-testid=stException], [data-testid=stAlertContentError]"


@dataclass
class Visitor:
    """One simulated visitor: its own picture size and kernel, and what it measured."""

    index: int
    folder: Path
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of this visitor's picture: unique per visitor."""
        return 180 + 6 * self.index, 140 + 4 * self.index

    def picture(self) -> Path:
        w, h = self.size
        rng = np.random.default_rng(self.index)
        pixels = (rng.random((h, w)) * 255).astype(np.uint8)
        path = self.folder / f"visitor-{self.index}.png"
        Image.fromarray(pixels, "L").save(path)
        return path


async def _idle(page: Page) -> None:
    await page.wait_for_timeout(120)
    await expect(page.locator(IDLE)).to_be_attached(timeout=120_000)


async def _timed(visitor: Visitor, page: Page, action, pattern: str) -> None:
    """Run `action`, then wait until `pattern` shows and the script is done; record the time."""
    start = time.perf_counter()
    await action()
    await expect(page.get_by_text(re.compile(pattern)).first).to_be_visible(timeout=120_000)
    await _idle(page)
    visitor.latencies.append(time.perf_counter() - start)


async def _upload(visitor: Visitor, page: Page, page_name: str, pattern: str) -> None:
    """Upload this visitor's own picture on `page_name` and wait until `pattern` shows."""
    uploader = page.locator(f".st-key-{page_name}_upload input[type=file]")
    await _timed(visitor, page, lambda: uploader.set_input_files(str(visitor.picture())), pattern)


async def _output_line(page: Page) -> str:
    # The paragraph "**Output: H' × W'** (input H × W, kernel NAME)", read whole.
    return await page.get_by_text(re.compile(r"\(input \d+ × \d+, kernel ")).first.inner_text()


async def run_visitor(
    browser, url: str, visitor: Visitor, *, rounds: int, pause: float, lean: bool = False
) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    if lean:
        # Skip downloading and painting the pictures: on a 2-core machine twenty renderers
        # decoding megapixel images would starve the server we mean to measure. The server
        # still computes and encodes every picture; the checks read text only.
        await context.route("**/media/**", lambda route: route.abort())
    page = await context.new_page()
    page.set_default_timeout(120_000)
    w, h = visitor.size
    try:
        await page.goto(f"{url}/convolution")
        await _idle(page)
        await _upload(visitor, page, "conv", rf"^Output: {h - 2} × {w - 2} \(input {h} × {w}")
        for step in range(rounds):
            kernel = KERNELS[(visitor.index + step) % len(KERNELS)]
            await page.wait_for_timeout(pause * 1000 * random.random())

            async def choose(kernel=kernel):
                await page.locator(".st-key-conv_preset").click()
                await page.get_by_role("option", name=kernel, exact=True).click()

            await _timed(visitor, page, choose, rf"input {h} × {w}, kernel {kernel}\)")
            line = await _output_line(page)
            if f"input {h} × {w}" not in line or kernel not in line:
                visitor.leaks.append(f"conv step {step}: {line!r}")
        # Same session, next page, through the menu.
        await page.get_by_test_id("stSidebarNav").get_by_role("link", name="Pooling").click()
        await _idle(page)
        await _upload(visitor, page, "pool", rf"^Feature map: {h} × {w} →")
        slider = page.locator(".st-key-pool_dx").get_by_role("slider")
        for step in range(rounds):
            await page.wait_for_timeout(pause * 1000 * random.random())
            dx = 2 + step

            async def move(slider=slider):
                await slider.focus()
                await slider.press("ArrowRight")

            await _timed(visitor, page, move, rf"shifted \({dx}, 0\)")
            text = await page.get_by_text(re.compile(r"^Feature map: ")).first.inner_text()
            if not text.startswith(f"Feature map: {h} × {w}"):
                visitor.leaks.append(f"pool step {step}: {text!r}")
        if await page.locator(ERROR_BOX).count():
            visitor.errors.append(await page.locator(ERROR_BOX).first.inner_text())
    except Exception as error:  # a failed visitor is reported, not fatal to the benchmark
        visitor.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        await context.close()


async def run_trainer(browser, url: str, index: int, stop: asyncio.Event) -> list[str]:
    """Start a training on the Train page and keep the session open until `stop`."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    try:
        await page.goto(f"{url}/train")
        await _idle(page)
        await page.locator(".st-key-train_seed input").fill(str(index + 1))
        await page.locator(".st-key-train_start button").click()
        await expect(page.get_by_text(re.compile("Training|Waiting")).first).to_be_visible()
        await stop.wait()
        if await page.locator(ERROR_BOX).count():
            errors.append(await page.locator(ERROR_BOX).first.inner_text())
    except Exception as error:
        errors.append(f"trainer {index}: {type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        await context.close()
    return errors


def _server_pid(port: int) -> int:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(cmdline) and str(port).encode() in cmdline:
                return int(proc.name)
    raise RuntimeError(f"no streamlit server on port {port}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def main_async(args) -> None:
    with tempfile.TemporaryDirectory() as tmp, streamlit_server() as url:
        pid = _server_pid(int(url.rsplit(":", 1)[1]))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # Warm-up: first visit builds caches (samples, thumbnails) for everyone.
            lean = args.lean
            await run_visitor(browser, url, Visitor(99, Path(tmp)), rounds=1, pause=0, lean=lean)
            idle = Visitor(0, Path(tmp))
            await run_visitor(browser, url, idle, rounds=args.rounds, pause=args.pause, lean=lean)
            memory_before = _memory_mb(pid, "VmRSS")

            stop = asyncio.Event()
            trainers = [
                asyncio.create_task(run_trainer(browser, url, i, stop))
                for i in range(args.trainers)
            ]
            await asyncio.sleep(3 if args.trainers else 0)  # let the trainings get going
            visitors = [Visitor(i + 1, Path(tmp)) for i in range(args.viewers)]
            samples: list[float] = []

            async def sample_memory():
                while not stop.is_set():
                    samples.append(_memory_mb(pid, "VmRSS"))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample_memory())
            started, cpu_started = time.perf_counter(), _cpu_seconds(pid)
            await asyncio.gather(
                *(
                    run_visitor(browser, url, v, rounds=args.rounds, pause=args.pause, lean=lean)
                    for v in visitors
                )
            )
            load_seconds = time.perf_counter() - started
            server_cpu = _cpu_seconds(pid) - cpu_started
            stop.set()
            trainer_errors = [e for errors in await asyncio.gather(*trainers) for e in errors]
            await sampler
            await browser.close()
        peak = _memory_mb(pid, "VmHWM")

    loaded = [t for v in visitors for t in v.latencies]
    errors = [e for v in visitors for e in v.errors] + idle.errors + trainer_errors
    leaks = [e for v in visitors for e in v.leaks] + idle.leaks
    print(f"{'phase':>28} {'n':>4} {'median s':>9} {'p95 s':>7}")
    print(
        f"{'idle: 1 visitor':>28} {len(idle.latencies):4d} "
        f"{_median(idle.latencies):9.2f} {_p95(idle.latencies):7.2f}"
    )
    label = f"load: {args.viewers} visitors + {args.trainers} training"
    print(f"{label:>28} {len(loaded):4d} {_median(loaded):9.2f} {_p95(loaded):7.2f}")
    ratio = _p95(loaded) / _p95(idle.latencies)
    print(
        f"p95 ratio load / idle: {ratio:.2f} (target <= 3.00); load phase took {load_seconds:.0f} s"
    )
    print(
        f"server CPU during the load: {server_cpu:.0f} s in {load_seconds:.0f} s "
        f"({server_cpu / load_seconds:.2f} of {os.cpu_count()} cores; the rest went to the browser)"
    )
    print(
        f"server memory: {memory_before:.0f} MB before the load, "
        f"max sampled {max(samples, default=float('nan')):.0f} MB, peak (VmHWM) {peak:.0f} MB"
    )
    print(f"errors: {len(errors)}; sessions that saw another's picture or kernel: {len(leaks)}")
    for line in (errors + leaks)[:20]:
        print("  ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interactions per page")
    parser.add_argument("--pause", type=float, default=2.0, help="max seconds between clicks")
    parser.add_argument("--deadline", type=float, default=900, help="stop after this long")
    parser.add_argument(
        "--lean", action="store_true", help="visitors skip downloading pictures (less browser CPU)"
    )
    args = parser.parse_args()
    try:
        asyncio.run(asyncio.wait_for(main_async(args), timeout=args.deadline))
    except TimeoutError:
        print(f"stopped: the run took longer than --deadline {args.deadline:.0f} s")
        sys.exit(1)


if __name__ == "__main__":
    main()
