"""Benchmark: shift, kernel and upload on the Pooling page with a 1024² upload, to new maps painted.

In real Chromium (Debian's), against ``streamlit run``: the Pooling page and the baseline page
(``bench/baseline_image_page.py``, shared with the Convolution page's bench: an uploader, a
selectbox and one ``st.image``) both get the same 1024×1024 colour photo. Then, alternating
between the pages so a noisy neighbour hurts both alike, round after round:

- Pooling page, shift: the "dx" slider moves one step right with the keyboard (a new shift
  every time, so nothing computed before is reused); kernel: a new feature kernel is chosen (a
  run of the whole page); upload: another 1024×1024 photo. Each is timed from the key's (or the
  file's) event to the first animation frame after the shift section shows its caption and
  every picture in it (one composite for a big upload) has loaded, i.e. decoded and painted:
  the section comes after the feature and pooled maps and the window, which all change first.
- Baseline: a new preset is chosen, timed to its one new picture painted; it runs twice,
  letting ``st.image`` encode the array (Streamlit's default) and sending ``png_bytes``. And
  the first of them gets the same new photos as the Pooling page.

Prints the medians, every run, each server's CPU per interaction and the ratios (target: at
most 1.5, against ``st.image(array)`` with Streamlit's own settings; ``--same-config`` gives the
baseline the app's runner setting).
Run: .venv/bin/python bench/bench_pool_page.py [--repeat N] [--same-config]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import (  # noqa: E402
    Interaction,
    add_baseline_option,
    baseline_and_app,
    open_page,
    pick,
    report,
    upload,
)

PRESETS = ["Box blur", "Sharpen", "Laplacian", "Sobel y", "Emboss", "Prewitt x", "Sobel x"]
FIRST_DX = 0  # then 1, 2, … 16: every step a new shift, and none of them 0 again
PICTURE = "[data-testid=stImage]"
MAPS = ".st-key-pool_shift_maps"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=12, help="rounds of changes (max 15)")
    add_baseline_option(parser)
    args = parser.parse_args()
    repeat = min(args.repeat, 15)
    with baseline_and_app(args, uploads=repeat + 2) as run:
        pages, photos = run.pages, run.uploads
        for page, url in ((pages[0], run.base_url), (pages[1], f"{run.base_url}/?encode=png")):
            open_page(page, url, photos[0], f"{PICTURE} img")
        open_page(pages[2], f"{run.app_url}/pooling?dx={FIRST_DX}", photos[0], f"{MAPS} img")
        slider = pages[2].locator(".st-key-pool_dx").get_by_role("slider")

        def step() -> None:
            slider.focus()
            slider.press("ArrowRight")

        base = {"pid": run.base_pid, "box": PICTURE}
        timed = {
            "baseline: st.image(array)": Interaction(pages[0], **base),
            "baseline: st.image(png_bytes)": Interaction(pages[1], **base),
            "baseline: upload": Interaction(pages[0], **base),
            "Pooling page: shift": Interaction(pages[2], run.app_pid, MAPS),
            "Pooling page: kernel": Interaction(pages[2], run.app_pid, MAPS),
            "Pooling page: upload": Interaction(pages[2], run.app_pid, MAPS),
        }
        for i in range(repeat + 1):  # the first change of each kind warms up
            preset, kernel, photo = PRESETS[(i + 1) % 7], PRESETS[(i + 3) % 7], photos[i + 1]
            warm = {"record": i > 0}
            timed["baseline: st.image(array)"].timed(
                pick(pages[0], "base_preset", preset), preset, **warm
            )
            timed["baseline: st.image(png_bytes)"].timed(
                pick(pages[1], "base_preset", preset), preset, **warm
            )
            timed["Pooling page: shift"].timed(step, f"shifted ({FIRST_DX + i + 1}, 0)", **warm)
            timed["baseline: upload"].timed(upload(pages[0], photo), **warm)
            timed["Pooling page: kernel"].timed(pick(pages[2], "pool_kernel", kernel), **warm)
            timed["Pooling page: upload"].timed(upload(pages[2], photo), **warm)
        shown = pages[2].locator(MAPS).inner_text().strip()
    report("1024×1024 upload, change → painted", timed, {
        "Pooling page: shift": ["baseline: st.image(array)", "baseline: st.image(png_bytes)"],
        "Pooling page: kernel": ["baseline: st.image(array)", "baseline: st.image(png_bytes)"],
        "Pooling page: upload": ["baseline: upload"],
    })  # fmt: skip
    print(f"(last map shown: {shown!r}; every step was a new shift)")


if __name__ == "__main__":
    main()
