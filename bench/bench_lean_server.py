"""Benchmark: the server's memory and CPU over every page, and whether it ever loads TensorFlow.

One real ``streamlit run app.py`` on loopback, one Chromium tab (Playwright) that opens Home,
Convolution, Pooling, Train and Inside the model through the sidebar, as a visitor does; on
Inside it waits for the prediction of the default test digit, then draws a stroke on the canvas
(the mouse moves of ``tests/browser/test_browser_inside.py``) and waits for "Prediction: 1".

After each step it reads, for the server process alone: VmRSS (now) and VmHWM (peak so far),
its CPU seconds (``/proc/<pid>/stat``, user + system) and those the step took, and the step's
wall time as felt in the browser (click → page settled; on Inside: → the prediction is shown
and the script has finished). The baseline is the server's memory right after its first Home
page. Worker processes are separate processes (the Train page starts one with TensorFlow,
``TrainerPool.warm``): their summed RSS and PSS are reported in their own columns, never in the
server's. Before Inside is opened the bench waits until the workers' CPU time stops growing
(the spare worker has loaded TensorFlow), so its import does not share the two cores with the
server's first Inside run.

TensorFlow check: after every step the server's ``/proc/<pid>/maps`` is searched for a mapped
file whose path names ``tensorflow`` or ``keras`` (TensorFlow's shared objects; Keras is pure
Python, so it shows only through them); the target is none.

Cache: by default the server gets a fresh, empty ``CNNVIZ_CACHE_DIR``, so the default model is
trained (in a worker) on the first visit to Inside: a cold first visit. With ``--warm`` the
default model is put in that fresh cache first — the weights file is copied from the user's
cache (``~/.cache/cnnviz``) if there, then ``make warm``'s ``cnnviz.lessons.inside.warm`` runs in
a separate process (it trains or computes only what is missing or stale) — so the server finds
the model and its averaged shift curve on disk: the
case the targets are for (server ≤ 350 MB after every page; first Inside visit < 1 s of server
CPU).

Run: .venv/bin/python bench/bench_lean_server.py [--warm]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._procs import cpu_seconds, memory_mb, process_tree, server_pid  # noqa: E402
from tests.browser.helpers import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    assert_no_errors,
    draw_stroke,
    streamlit_server,
    wait_idle,
)

PAGES = ["Convolution", "Pooling", "Train", "Inside the model"]  # after Home, in this order
PREDICTION = re.compile(r"^Prediction: \d \(\d+\.\d%\)$")
HEAVY = re.compile(r"tensorflow|keras", re.IGNORECASE)
TIMEOUT = 600_000  # ms: a cold cache trains the default model on the first Inside visit


def _rollup(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of one process in MB from smaps_rollup; (0, 0) if it is gone."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    except OSError:
        return 0.0, 0.0
    values = {line.split(":")[0]: int(line.split()[1]) for line in lines if ":" in line}
    return values.get("Rss", 0) / 1024, values.get("Pss", 0) / 1024


def _workers(pid: int) -> list[int]:
    return [member for member in process_tree(pid) if member != pid]


def _worker_cpu(pid: int) -> float:
    total = 0.0
    for member in _workers(pid):
        try:
            total += cpu_seconds(member)
        except OSError:
            pass
    return total


def _heavy_maps(pid: int) -> list[str]:
    """Mapped files of ``pid`` whose path names TensorFlow or Keras."""
    found = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and HEAVY.search(parts[5]):
            found.add(parts[5])
    return sorted(found)


def _settle_workers(pid: int, quiet: float = 0.05, limit: float = 120.0) -> float:
    """Wait until the workers' CPU time grows by less than ``quiet`` s in a second; waited s."""
    start = time.monotonic()
    before = _worker_cpu(pid)
    while time.monotonic() - start < limit:
        time.sleep(1.0)
        now = _worker_cpu(pid)
        if now - before < quiet:
            break
        before = now
    return time.monotonic() - start


def _warm_cache(folder: str) -> None:
    """Put the default model and its averaged shift curve in ``folder``: copy them, then let
    ``make warm``'s function check (and compute whatever is missing)."""
    user = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for pattern in ("default-model-*.npz", "shift-curve-*.npz"):
        for path in glob.glob(os.path.join(user, "cnnviz", pattern)):
            shutil.copy(path, folder)
    subprocess.run(
        [sys.executable, "-c", "from cnnviz.lessons.inside import warm; print(warm())"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CNNVIZ_CACHE_DIR": folder},
    )


def _draw_a_one(page: Page) -> None:
    """Choose drawing on the Inside page, then a vertical stroke on the canvas."""
    page.get_by_text("Draw one").click()
    wait_idle(page)
    expect(page.get_by_text("Draw a digit on the black square")).to_be_visible()
    draw_stroke(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warm", action="store_true", help="put the default model in the fresh cache first"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cnnviz-cache-") as cache:
        if args.warm:
            start = time.perf_counter()
            _warm_cache(cache)
            print(f"cache warmed in {time.perf_counter() - start:.1f} s: {os.listdir(cache)}")
        env = {"CNNVIZ_CACHE_DIR": cache}
        with streamlit_server(env=env) as url, sync_playwright() as playwright:
            pid = server_pid(int(url.rsplit(":", 1)[1]))
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(TIMEOUT)
            cpu = [cpu_seconds(pid)]
            heavy_first: list[str] = []

            def record(label: str, wall: float) -> None:
                time.sleep(0.3)  # let the server finish sending
                now = cpu_seconds(pid)
                rss, pss = zip(*(_rollup(w) for w in _workers(pid))) if _workers(pid) else ((), ())
                heavy = _heavy_maps(pid)
                if heavy and not heavy_first:
                    heavy_first.extend([label, *heavy])
                rows.append(
                    (label, memory_mb(pid, "VmRSS"), memory_mb(pid, "VmHWM"), now - cpu[0], wall)
                )
                print(
                    f"{label:<30} {rows[-1][1]:7.0f} {rows[-1][2]:7.0f} {now:7.2f} "
                    f"{now - cpu[0]:7.2f} {wall:7.2f} {len(rss):4d} {sum(rss):7.0f} "
                    f"{sum(pss):7.0f}  {'yes' if heavy else 'no'}"
                )
                cpu[0] = now

            print(f"server pid {pid}; cache {'warm' if args.warm else 'fresh (cold)'}")
            print(
                f"{'after':<30} {'RSS MB':>7} {'HWM MB':>7} {'CPU s':>7} {'step s':>7} "
                f"{'wall s':>7} {'wrk':>4} {'wrk RSS':>7} {'wrk PSS':>7}  TF mapped"
            )
            start = time.perf_counter()
            page.goto(url)
            wait_idle(page)
            expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
            record("Home (first page: baseline)", time.perf_counter() - start)
            nav = page.get_by_test_id("stSidebarNav")
            for title in PAGES:
                if title == "Inside the model":
                    waited = _settle_workers(pid)
                    print(f"  (waited {waited:.0f} s for the workers to settle)")
                    cpu[0] = cpu_seconds(pid)
                start = time.perf_counter()
                nav.get_by_role("link", name=title).click()
                if title == "Inside the model":
                    heading = page.get_by_role("heading", name=re.compile(r"^Prediction: \d"))
                    expect(heading).to_have_text(PREDICTION, timeout=TIMEOUT)
                    expect(page.locator(IDLE)).to_be_attached(timeout=TIMEOUT)
                else:
                    wait_idle(page, timeout=TIMEOUT)
                wall = time.perf_counter() - start
                assert_no_errors(page)
                record(f"{title} (first visit)", wall)
            start = time.perf_counter()
            _draw_a_one(page)
            expect(heading).to_have_text(re.compile(r"^Prediction: 1 "), timeout=TIMEOUT)
            expect(page.get_by_text("Input: your drawing.", exact=False)).to_be_visible()
            wait_idle(page, timeout=TIMEOUT)
            record("Inside: a drawn 1 predicted", time.perf_counter() - start)
            browser.close()

    base, last = rows[0], rows[-1]
    inside = next(row for row in rows if row[0].startswith("Inside the model"))
    print()
    print(f"server RSS after Home (baseline): {base[1]:.0f} MB; after every page: {last[1]:.0f} "
          f"MB (+{last[1] - base[1]:.0f} MB), peak {last[2]:.0f} MB; target ≤ 350 MB")  # fmt: skip
    print(f"first Inside visit: {inside[3]:.2f} s of server CPU (target < 1 s on a warm cache), "
          f"{inside[4]:.2f} s wall in the browser")  # fmt: skip
    if heavy_first:
        print(f"TensorFlow/Keras mapped in the server, first after {heavy_first[0]}:")
        for path in heavy_first[1:]:
            print(f"  {path}")
    else:
        print("TensorFlow/Keras mapped in the server: none, after every step")


if __name__ == "__main__":
    main()
