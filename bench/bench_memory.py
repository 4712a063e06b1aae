"""Benchmark: the server's memory with visitors who train, and across repeated trainings.

Against one real ``streamlit run`` on loopback, driven by Debian's Chromium:

1. one visitor trains the default model (the article's CNN on the 5,000-digit sample);
2. two more visitors train at the same time (three trained sessions on the server);
3. the first visitor trains ``--repeats`` more times in a row (1 epoch each), and the server's
   resident memory is read after each: it should not keep growing (target: at most 10% above
   the figure after the second training).

Reads VmRSS (now) and VmHWM (peak so far) of the server from /proc. Compare the peak with
Streamlit Community Cloud's per-app memory limit (2.7 GB at most, 690 MB guaranteed).

Run: .venv/bin/python bench/bench_memory.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_load import _memory_mb, _server_pid  # noqa: E402
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle  # noqa: E402

TRAINED = "Test accuracy:"


def _open_train(browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(600_000)
    page.goto(f"{url}/train")
    wait_idle(page)
    return page


def _start(page: Page, epochs: int | None = None) -> None:
    if epochs is not None:
        slider = page.locator(".st-key-train_epochs").get_by_role("slider")
        slider.focus()
        slider.press("Home")
        for _ in range(epochs - 1):
            slider.press("ArrowRight")
    page.locator(".st-key-train_start button").click()


def _finished(page: Page) -> None:
    wait_idle(page, timeout=600_000)
    expect(page.get_by_text(TRAINED).first).to_be_visible(timeout=600_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    rows: list[tuple[str, float, float]] = []
    with streamlit_server() as url, sync_playwright() as playwright:
        pid = _server_pid(int(url.rsplit(":", 1)[1]))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def record(label: str) -> None:
            rows.append((label, _memory_mb(pid, "VmRSS"), _memory_mb(pid, "VmHWM")))
            print(f"{label:>44} {rows[-1][1]:8.0f} {rows[-1][2]:8.0f}", flush=True)

        print(f"{'after':>44} {'RSS MB':>8} {'peak MB':>8}")
        home = browser.new_page()
        home.goto(url)
        wait_idle(home)
        record("server started, home page opened")

        first = _open_train(browser, url)
        record("Train page opened (TensorFlow imported)")
        start = time.perf_counter()
        _start(first)
        _finished(first)
        record(f"1 session trained ({time.perf_counter() - start:.0f} s)")

        others = [_open_train(browser, url) for _ in range(2)]
        for page in others:
            _start(page)
        for page in others:
            _finished(page)
        record("3 sessions trained (2 at the same time)")

        after: list[float] = []
        for i in range(args.repeats):
            _start(first, epochs=1 if i == 0 else None)
            _finished(first)
            record(f"session 1: training {i + 2} (1 epoch)")
            after.append(rows[-1][1])
        browser.close()

    peak = max(r[2] for r in rows)
    print(f"peak resident memory: {peak:.0f} MB (Community Cloud: up to 2,700 MB per app)")
    if len(after) >= 2:
        growth = after[-1] / after[0] - 1
        print(
            f"RSS after training 2 → after training {len(after) + 1}: "
            f"{after[0]:.0f} → {after[-1]:.0f} MB ({growth:+.1%}; target at most +10%)"
        )


if __name__ == "__main__":
    main()
