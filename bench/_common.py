"""What the benchmarks share: timing by turns, the load, the baseline page's server, the upload."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def make_upload(folder: Path) -> Path:
    """The astronaut enlarged to 1024×1024: a real colour photo at the largest size kept."""
    from cnnviz.pictures.images import sample_image

    astronaut = (sample_image("Astronaut") * 255).round().astype("uint8")
    path = folder / "astronaut_1024.png"
    Image.fromarray(astronaut).resize((1024, 1024), Image.LANCZOS).save(path)
    return path


@contextmanager
def baseline_and_app(args: argparse.Namespace, tabs: int = 3) -> Iterator[tuple]:
    """Both servers, the 1024×1024 upload and ``tabs`` Chromium tabs of 1400×1000.

    Yields ``(baseline_url, app_url, pages, upload)``; everything is closed on the way out.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, streamlit_server

    with tempfile.TemporaryDirectory() as tmp:
        upload = make_upload(Path(tmp))
        with (
            streamlit_server("bench/baseline_image_page.py", env=baseline_env(args)) as base_url,
            streamlit_server() as app_url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield (
                    base_url,
                    app_url,
                    [browser.new_page(viewport=VIEWPORT) for _ in range(tabs)],
                    upload,
                )
            finally:
                browser.close()
