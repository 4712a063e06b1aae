"""Benchmark: from picking a new kernel to the new feature map painted, on a 1024×1024 upload.

In real Chromium (Debian's), against ``streamlit run``: the Convolution page and a baseline page
(``bench/baseline_image_page.py``: the same uploader and selectbox, and one ``st.image``) both
get the same 1024×1024 colour photo. Then a preset is chosen with the keyboard, again and again,
alternating between the pages so a noisy neighbour hurts both alike. Each change is timed inside
the page: from the Enter key's event to the first animation frame after the new picture has
loaded (so it has been decoded and painted). The baseline runs twice: letting ``st.image``
encode the array (Streamlit's default), and sending ``png_bytes`` as the page does.

Prints the medians, every run and the ratios (target: at most 1.5).
Run: .venv/bin/python bench/bench_conv_page.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import add_baseline_option, baseline_env  # noqa: E402
from bench._common import make_upload as _make_upload  # noqa: E402
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle  # noqa: E402

# 3×3 presets in an order where no two neighbours are equal: the output stays 1022 × 1022.
CHOICES = ["Box blur", "Sharpen", "Laplacian", "Sobel y", "Emboss", "Prewitt x", "Sobel x"]

# Arms the timer: remembers the current picture, takes t0 from the next Enter key event and
# t1 from the first animation frame after a different picture has finished loading.
ARM = """([selector, index]) => {
    const picture = () => document.querySelectorAll(selector)[index];
    const before = picture() ? picture().src : null;
    window.__t0 = null;
    window.__t1 = null;
    if (!window.__armed) {
        document.addEventListener('keydown', (event) => {
            if (event.key === 'Enter' && window.__t0 === null) window.__t0 = event.timeStamp;
        }, true);
        window.__armed = true;
    }
    const tick = () => {
        const img = picture();
        if (img && img.src !== before && img.complete && img.naturalWidth > 0) {
            requestAnimationFrame(() => { window.__t1 = performance.now(); });
            return;
        }
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


class Target:
    """One page under test: where its selectbox and its timed picture are."""

    def __init__(self, page: Page, url: str, upload: Path, *, preset: str, picture, ready: str):
        self.page, self.preset, self.picture = page, preset, picture
        page.goto(url)
        wait_idle(page, timeout=60_000)
        page.locator("input[type=file]").first.set_input_files(str(upload))
        page.get_by_text(ready).first.wait_for(timeout=120_000)
        wait_idle(page, timeout=60_000)

    def change(self, name: str) -> float:
        """Pick preset ``name`` with the keyboard; milliseconds until the new picture is painted."""
        self.page.locator(self.preset).click()
        self.page.keyboard.type(name)
        self.page.evaluate(ARM, list(self.picture))
        self.page.keyboard.press("Enter")
        self.page.wait_for_function("window.__t1 !== null", timeout=60_000, polling=10)
        elapsed = self.page.evaluate("window.__t1 - window.__t0")
        wait_idle(self.page, timeout=60_000)  # the run has finished before the next change
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=12, help="kernel changes per page (max 40)")
    add_baseline_option(parser)
    args = parser.parse_args()
    repeat = min(args.repeat, 40)
    with tempfile.TemporaryDirectory() as tmp:
        upload = _make_upload(Path(tmp))
        env = baseline_env(args)
        with (
            streamlit_server("bench/baseline_image_page.py", env=env) as base_url,
            streamlit_server() as app_url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            viewport = {"width": 1400, "height": 1000}
            pages = [browser.new_page(viewport=viewport) for _ in range(3)]
            pages[2].goto(app_url)  # the entry first, so /convolution runs under st.navigation
            wait_idle(pages[2])
            baseline_picture = ("[data-testid=stImage] img", 0)
            targets = {
                "baseline: st.image(array)": Target(
                    pages[0], base_url, upload, preset=".st-key-base_preset",
                    picture=baseline_picture, ready="Identity",
                ),
                "baseline: st.image(png_bytes)": Target(
                    pages[1], f"{base_url}/?encode=png", upload, preset=".st-key-base_preset",
                    picture=baseline_picture, ready="Identity",
                ),
                "Convolution page": Target(
                    pages[2], f"{app_url}/convolution", upload, preset=".st-key-conv_preset",
                    picture=(".st-key-conv_maps [data-testid=stImage] img", 1),
                    ready="Output: 1022 × 1022",
                ),
            }  # fmt: skip
            times: dict[str, list[float]] = {name: [] for name in targets}
            for i in range(repeat + 1):  # the first change of each page warms up
                for name, target in targets.items():
                    elapsed = target.change(CHOICES[i % len(CHOICES)])
                    if i:
                        times[name].append(elapsed)
            browser.close()
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    print(f"{'1024×1024 upload, new kernel → painted':<40} {'median ms':>9}   runs (ms)")
    for name, runs in times.items():
        print(f"{name:<40} {medians[name]:9.0f}   {', '.join(f'{t:.0f}' for t in runs)}")
    page = medians["Convolution page"]
    for name in list(targets)[:2]:
        print(f"ratio Convolution page / {name}: {page / medians[name]:.2f} (target <= 1.50)")


if __name__ == "__main__":
    main()
