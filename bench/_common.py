"""What the benchmarks share: timing by turns, the load, the baseline page's server, the upload,
and the page benchmarks' timed interactions in Chromium (with the server CPU each one took)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

#: The baseline is a plain Streamlit page: run it with Streamlit's own runner setting, not the
#: app's. The app switches off Streamlit's full garbage collection after every run
#: (.streamlit/config.toml) and freezes its startup heap (app.py) — its own tuning, which a
#: plain page does not have. Pass ``--same-config`` to give the baseline the app's setting too.
BASELINE_ENV = {"PYTHONPATH": str(ROOT), "STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"}
SAME_CONFIG_ENV = {"PYTHONPATH": str(ROOT)}
VIEWPORT = {"width": 1400, "height": 1000}


def race(functions: dict, repeats: int, pause: float = 0.0) -> dict:
    """Best wall time in seconds of each function over ``repeats`` rounds, after a warm-up.

    The functions take turns within each round, so a noisy neighbour slows them alike; a
    ``pause`` before each call lets the previous one's spinning threads (TensorFlow's,
    OpenBLAS') go to sleep first.
    """
    for function in functions.values():
        function()
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeats):
        for name, function in functions.items():
            time.sleep(pause)
            start = time.perf_counter()
            function()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def run_until_deadline(
    main_async: Callable[[argparse.Namespace], Awaitable[None]], args: argparse.Namespace
) -> None:
    """Run ``main_async(args)``; past ``args.deadline`` seconds, say so and exit with 1."""
    try:
        asyncio.run(asyncio.wait_for(main_async(args), timeout=args.deadline))
    except TimeoutError:
        print(f"stopped: the run took longer than --deadline {args.deadline:.0f} s")
        sys.exit(1)


def load_average() -> str:
    """The 1-minute load average: above the number of CPUs, the run was starved."""
    return Path("/proc/loadavg").read_text().split()[0]


def add_baseline_option(parser: argparse.ArgumentParser) -> None:
    """The ``--same-config`` switch of both page benchmarks."""
    parser.add_argument(
        "--same-config",
        action="store_true",
        help="run the baseline with the app's runner setting (no GC after each run)",
    )


def baseline_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the baseline page's server for these arguments."""
    return SAME_CONFIG_ENV if args.same_config else BASELINE_ENV


def make_upload(folder: Path, variant: int = 0) -> Path:
    """The astronaut enlarged to 1024×1024: a real colour photo at the largest size kept.

    ``variant`` > 0 rolls it sideways by that many 16-pixel steps: another file with other
    pixels (nothing cached for it), the same work for every page.
    """
    from cnnviz.pictures.images import sample_image

    astronaut = (sample_image("Astronaut") * 255).round().astype("uint8")
    path = folder / f"astronaut_1024_{variant}.png"
    photo = np.asarray(Image.fromarray(astronaut).resize((1024, 1024), Image.LANCZOS))
    Image.fromarray(np.roll(photo, 16 * variant, axis=1)).save(path)
    return path


@dataclass
class Servers:
    """What :func:`baseline_and_app` yields: both servers, their pids, tabs and uploads."""

    base_url: str
    app_url: str
    base_pid: int
    app_pid: int
    pages: list
    uploads: list[Path]  # uploads[0] first, then one new file per timed upload


@contextmanager
def baseline_and_app(args: argparse.Namespace, tabs: int = 3, uploads: int = 1) -> Iterator:
    """Both servers, ``uploads`` 1024×1024 photos and ``tabs`` Chromium tabs of 1400×1000.

    Yields a :class:`Servers`; everything is closed on the way out.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, server_pid, streamlit_server

    with tempfile.TemporaryDirectory() as tmp:
        files = [make_upload(Path(tmp), variant) for variant in range(uploads)]
        with (
            streamlit_server("bench/baseline_image_page.py", env=baseline_env(args)) as base_url,
            streamlit_server() as app_url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pages = [browser.new_page(viewport=VIEWPORT) for _ in range(tabs)]
                pids = server_pid(base_url), server_pid(app_url)
                yield Servers(base_url, app_url, *pids, pages, files)
            finally:
                browser.close()


# --- timed interactions in Chromium ----------------------------------------------------------

#: Arms the timer: remembers the pictures in the boxes ``box`` (a selector; pictures inside a
#: component's same-origin iframe count too), takes t0 from the next Enter or ArrowRight key or
#: the next file chosen in an uploader, and t1 from the first animation frame after a box
#: shows ``text``, at least one of its pictures is new and every one of them has loaded
#: (decoded and painted). The text, not a count of new addresses: a rerun may serve an
#: unchanged picture anew.
ARM = """([box, text]) => {
    const inFrames = (b) => [...b.querySelectorAll('iframe')].flatMap(
        (f) => (f.contentDocument ? [...f.contentDocument.querySelectorAll('img')] : []));
    const pictures = () => [...document.querySelectorAll(box)].flatMap(
        (b) => [...b.querySelectorAll('img'), ...inFrames(b)]);
    const before = new Set(pictures().map((img) => img.src));
    window.__t0 = null;
    window.__t1 = null;
    if (!window.__armed) {
        const start = (event) => { if (window.__t0 === null) window.__t0 = event.timeStamp; };
        document.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' || event.key === 'ArrowRight') start(event);
        }, true);
        document.addEventListener('change', (event) => {
            if (event.target.type === 'file') start(event);
        }, true);
        window.__armed = true;
    }
    const tick = () => {
        const shown = [...document.querySelectorAll(box)].some((b) => b.innerText.includes(text));
        const now = pictures();
        const fresh = now.some((img) => !before.has(img.src));
        if (shown && fresh && now.every((img) => img.complete && img.naturalWidth > 0)) {
            requestAnimationFrame(() => { window.__t1 = performance.now(); });
            return;
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


def open_page(page, url: str, upload: Path, ready: str) -> None:
    """Open ``url``, upload the photo, wait until the picture ``ready`` (a selector) shows."""
    from tests.browser.helpers import wait_idle

    page.goto(url)
    wait_idle(page, timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(upload))
    page.locator(ready).first.wait_for(timeout=120_000)
    wait_idle(page, timeout=60_000)


def pick(page, key: str, name: str) -> Callable[[], None]:
    """The action of choosing ``name`` in the selectbox made with ``key=key``, by keyboard."""

    def act() -> None:
        page.locator(f".st-key-{key}").click()
        page.keyboard.type(name)
        page.keyboard.press("Enter")

    return act


def upload(page, path: Path) -> Callable[[], None]:
    """The action of choosing the file ``path`` in the page's (first) uploader."""
    return lambda: page.locator("input[type=file]").first.set_input_files(str(path))


@dataclass
class Interaction:
    """One kind of timed change on one page, with what it measured."""

    page: object
    pid: int  # the server's
    box: str  # where its new pictures appear (see ARM)
    times: list[float] = field(default_factory=list)  # ms, change → painted
    cpu: list[float] = field(default_factory=list)  # server CPU seconds, change → run finished

    def timed(self, act: Callable[[], None], text: str = "", record: bool = True) -> None:
        """Do ``act`` and time it (see ARM); the run has finished before it returns."""
        from bench._procs import cpu_seconds
        from tests.browser.helpers import wait_idle

        self.page.evaluate(ARM, [self.box, text])
        cpu = cpu_seconds(self.pid)
        act()
        self.page.wait_for_function("window.__t1 !== null", timeout=60_000, polling=10)
        elapsed = self.page.evaluate("window.__t1 - window.__t0")
        wait_idle(self.page, timeout=60_000)  # the run has finished before the next change
        if record:
            self.times.append(elapsed)
            self.cpu.append(cpu_seconds(self.pid) - cpu)


def report(title: str, timed: dict[str, Interaction], against: dict[str, list[str]]) -> None:
    """Medians and every run, then each interaction's ratios to its baselines (target ≤ 1.5):
    painted time and the server's CPU per interaction."""
    print(f"{title:<40} {'median ms':>9} {'CPU ms':>7}   runs (ms)")
    median = {name: statistics.median(i.times) for name, i in timed.items()}
    cpu = {name: statistics.median(i.cpu) * 1000 for name, i in timed.items()}
    for name, interaction in timed.items():
        runs = ", ".join(f"{t:.0f}" for t in interaction.times)
        print(f"{name:<40} {median[name]:9.0f} {cpu[name]:7.0f}   {runs}")
    print(f"(server CPU: median over the runs, {load_average()} load; clock ticks of 10 ms)")
    for name, baselines in against.items():
        for base in baselines:
            print(
                f"ratio {name} / {base}: {median[name] / median[base]:.2f} (target <= 1.50); "
                f"server CPU {cpu[name] / max(cpu[base], 1e-9):.2f}x"
            )
