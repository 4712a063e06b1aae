"""Benchmark: from a shift change to the new maps painted, on the Pooling page with a 1024² upload.

In real Chromium (Debian's), against ``streamlit run``: the Pooling page and the baseline page
(``bench/baseline_image_page.py``, shared with the Convolution page's bench: an uploader, a
selectbox and one ``st.image``) both get the same 1024×1024 colour photo. Then, alternating
between the pages so a noisy neighbour hurts both alike:

- Pooling page: the "dx" slider moves one step right with the keyboard (a new shift every time,
  so nothing computed before is reused). Timed from the key's event to the first animation
  frame after the shift section shows the new shift's caption ("shifted (3, 0)") and every
  picture in it (one composite for a big upload) has loaded, i.e. decoded and painted.
- Baseline: a new preset is chosen; timed from the Enter key's event to the first animation
  frame after its one new picture, captioned with the preset, has loaded. It runs twice:
  letting ``st.image`` encode the array (Streamlit's default), and sending ``png_bytes``.

Prints the medians, every run and the ratios (target: at most 1.5).
Run: .venv/bin/python bench/bench_pool_page.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import add_baseline_option, baseline_and_app  # noqa: E402
from tests.browser.helpers import wait_idle  # noqa: E402

PRESETS = ["Box blur", "Sharpen", "Laplacian", "Sobel y", "Emboss", "Prewitt x", "Sobel x"]
FIRST_DX = 0  # then 1, 2, … 16: every step a new shift, and none of them 0 again

# Arms the timer: remembers the pictures under `selector`, takes t0 from the next Enter or
# ArrowRight key event and t1 from the first animation frame after the box `box` shows `text`
# (the new caption), at least one of its pictures is new and every one of them has loaded.
# (The caption, not a count of new addresses: a rerun may serve an unchanged picture anew.)
ARM = """([box, text]) => {
    const pictures = () => [...document.querySelectorAll(`${box} img`)];
    const before = new Set(pictures().map((img) => img.src));
    window.__t0 = null;
    window.__t1 = null;
    if (!window.__armed) {
        document.addEventListener('keydown', (event) => {
            const timed = event.key === 'Enter' || event.key === 'ArrowRight';
            if (timed && window.__t0 === null) window.__t0 = event.timeStamp;
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


def _open(page: Page, url: str, upload: Path, ready: str) -> None:
    """Open ``url``, upload the photo, wait until the picture ``ready`` (a selector) shows."""
    page.goto(url)
    wait_idle(page, timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(upload))
    page.locator(ready).first.wait_for(timeout=120_000)
    wait_idle(page, timeout=60_000)


def _timed(page: Page, box: str, text: str, act) -> float:
    page.evaluate(ARM, [box, text])
    act()
    page.wait_for_function("window.__t1 !== null", timeout=60_000, polling=10)
    elapsed = page.evaluate("window.__t1 - window.__t0")
    wait_idle(page, timeout=60_000)  # the run has finished before the next change
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=12, help="changes per page (max 15)")
    add_baseline_option(parser)
    args = parser.parse_args()
    repeat = min(args.repeat, 15)
    with baseline_and_app(args) as (base_url, app_url, pages, upload):
        for page, url in ((pages[0], base_url), (pages[1], f"{base_url}/?encode=png")):
            _open(page, url, upload, "[data-testid=stImage] img")
        shift_maps = ".st-key-pool_shift_maps img"
        _open(pages[2], f"{app_url}/pooling?dx={FIRST_DX}", upload, shift_maps)
        slider = pages[2].locator(".st-key-pool_dx").get_by_role("slider")

        def pick(page: Page, name: str):
            def act():
                page.locator(".st-key-base_preset").click()
                page.keyboard.type(name)
                page.keyboard.press("Enter")

            return act

        def step() -> None:
            slider.focus()
            slider.press("ArrowRight")

        names = ["baseline: st.image(array)", "baseline: st.image(png_bytes)", "Pooling page"]
        times: dict[str, list[float]] = {name: [] for name in names}
        for i in range(repeat + 1):  # the first change of each page warms up
            preset = PRESETS[(i + 1) % len(PRESETS)]
            caption = f"shifted ({FIRST_DX + i + 1}, 0)"
            runs = [
                _timed(pages[0], "[data-testid=stImage]", preset, pick(pages[0], preset)),
                _timed(pages[1], "[data-testid=stImage]", preset, pick(pages[1], preset)),
                _timed(pages[2], ".st-key-pool_shift_maps", caption, step),
            ]
            if i:
                for name, elapsed in zip(names, runs):
                    times[name].append(elapsed)
        shown = pages[2].locator(".st-key-pool_shift_maps").inner_text().strip()
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    print(f"{'1024×1024 upload, change → painted':<36} {'median ms':>9}   runs (ms)")
    for name, runs in times.items():
        print(f"{name:<36} {medians[name]:9.0f}   {', '.join(f'{t:.0f}' for t in runs)}")
    print(f"(last map shown: {shown!r}; every step was a new shift)")
    for name in names[:2]:
        ratio = medians["Pooling page"] / medians[name]
        print(f"ratio Pooling page / {name}: {ratio:.2f} (target <= 1.50)")


if __name__ == "__main__":
    main()
