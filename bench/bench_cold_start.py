"""Benchmark: time from `streamlit run app.py` to the home page painted in a real browser.

Measured against a one-line Streamlit app in the same run, alternating the two so that a
noisy neighbour hurts both alike. Prints the medians and the ratio (target: at most 2.0).

Run: .venv/bin/python bench/bench_cold_start.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

ONE_LINER = 'import streamlit as st\nst.title("Hello")\n'


def _time_to_paint(browser, script: str, heading: str) -> float:
    start = time.perf_counter()
    with streamlit_server(script) as url:
        page = browser.new_page()
        page.goto(url)
        expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=60_000)
        elapsed = time.perf_counter() - start
        page.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        one_liner = Path(tmp) / "one_liner.py"
        one_liner.write_text(ONE_LINER)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _time_to_paint(browser, str(one_liner), "Hello")  # warm the disk cache for both
        _time_to_paint(browser, "app.py", "See how a convolutional neural network works")
        app, base = [], []
        for _ in range(args.repeat):
            base.append(_time_to_paint(browser, str(one_liner), "Hello"))
            app.append(
                _time_to_paint(browser, "app.py", "See how a convolutional neural network works")
            )
        browser.close()
    m_app, m_base = statistics.median(app), statistics.median(base)
    print(f"{'':>22} {'median s':>9} {'runs':>40}")
    print(f"{'one-line app':>22} {m_base:9.2f}   {', '.join(f'{t:.2f}' for t in base)}")
    print(f"{'cnnviz home page':>22} {m_app:9.2f}   {', '.join(f'{t:.2f}' for t in app)}")
    print(f"ratio cnnviz / one-liner: {m_app / m_base:.2f} (target <= 2.00)")


if __name__ == "__main__":
    main()
