"""Benchmark: the server's memory with visitors who train, and across repeated trainings.

Against one real ``streamlit run`` on loopback, driven by Debian's Chromium:

1. one visitor trains the default model (the article's CNN on the 5,000-digit sample);
2. two more visitors train at the same time (three trained sessions on the server);
3. the first visitor trains ``--repeats`` more times in a row (1 epoch each), and the server's
   resident memory is read after each: it should not keep growing (target: at most 10% above
   the figure after the second training).

Trainings run in worker processes (worker), so besides the server's own VmRSS (now) and
VmHWM (peak so far) it reports the server and its workers together: summed RSS (counts shared
libraries once per process) and summed PSS (shares them out: what the machine pays), sampled
every quarter second for the peaks. Compare with Streamlit Community Cloud's per-app memory
limit (2.7 GB at most, 690 MB guaranteed).

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
from bench._procs import TreeSampler, memory_mb, server_pid, tree_memory_mb  # noqa: E402
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
    rows: list[tuple[str, float, float, float, float]] = []
    with streamlit_server() as url, sync_playwright() as playwright:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        sampler = TreeSampler(pid)
        sampler.start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def record(label: str) -> None:
            rss, pss, count = tree_memory_mb(pid)
            rows.append((label, memory_mb(pid, "VmRSS"), memory_mb(pid, "VmHWM"), pss, count))
            print(f"{label:>44} {rows[-1][1]:8.0f} {rows[-1][2]:8.0f} {pss:9.0f} {count:5d}")

        print(f"{'after':>44} {'RSS MB':>8} {'peak MB':>8} {'+workers':>9} {'procs':>5}")
        print(f"{'':>44} {'server':>8} {'server':>8} {'PSS MB':>9}")
        home = browser.new_page()
        home.goto(url)
        wait_idle(home)
        record("server started, home page opened")

        first = _open_train(browser, url)
        record("Train page opened (a worker loads TensorFlow)")
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
            after.append(rows[-1])
        browser.close()
        sampler.stop()

    peak = max(r[2] for r in rows)
    print(f"server process peak (VmHWM): {peak:.0f} MB")
    print(
        f"server + workers, sampled peaks: RSS sum {sampler.max_rss:.0f} MB, PSS sum "
        f"{sampler.max_pss:.0f} MB, up to {sampler.max_processes} processes "
        "(Community Cloud: up to 2,700 MB per app)"
    )
    if len(after) >= 2:
        for name, column in (("server RSS", 1), ("server + workers PSS", 3)):
            first, last = after[0][column], after[-1][column]
            print(
                f"{name} after training 2 → after training {len(after) + 1}: "
                f"{first:.0f} → {last:.0f} MB ({last / first - 1:+.1%}; target at most +10%)"
            )


if __name__ == "__main__":
    main()
