"""Benchmark: a new kernel and a new upload on the Convolution page, 1024², to the map painted.

In real Chromium (Debian's), against ``streamlit run``: the Convolution page and a baseline page
(``bench/baseline_image_page.py``: the same uploader and selectbox, and one ``st.image``) both
get the same 1024×1024 colour photo. Then, round after round, alternating between the pages so
a noisy neighbour hurts both alike: a preset is chosen with the keyboard, and another
1024×1024 photo is uploaded. Each change is timed inside the page: from the Enter key's (or
the file's) event to the first animation frame after the new picture has loaded (so it has
been decoded and painted): the feature map, which the page draws in a clickable component
(a same-origin frame). The baseline's kernel pick runs twice: letting ``st.image`` encode the
array (Streamlit's default), and sending ``png_bytes``.

Prints the medians, every run, each server's CPU per interaction and the ratios (target: at
most 1.5, against ``st.image(array)`` with Streamlit's own settings; ``--same-config`` gives the
baseline the app's runner setting).
Run: .venv/bin/python bench/bench_conv_page.py [--repeat N] [--same-config]
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

# 3×3 presets in an order where no two neighbours are equal: the output stays 1022 × 1022.
CHOICES = ["Box blur", "Sharpen", "Laplacian", "Sobel y", "Emboss", "Prewitt x", "Sobel x"]
PICTURE = "[data-testid=stImage]"
MAP = ".st-key-conv_maps"  # the map (in its component's frame) and its colour bar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=12, help="rounds of changes (max 40)")
    add_baseline_option(parser)
    args = parser.parse_args()
    repeat = min(args.repeat, 40)
    with baseline_and_app(args, uploads=repeat + 2) as run:
        pages, photos = run.pages, run.uploads
        for page, url in ((pages[0], run.base_url), (pages[1], f"{run.base_url}/?encode=png")):
            open_page(page, url, photos[0], f"{PICTURE} img")
        pages[2].goto(run.app_url)  # the entry first, so /convolution runs under st.navigation
        open_page(pages[2], f"{run.app_url}/convolution", photos[0], f"{MAP} iframe")
        pages[2].get_by_text("Output: 1022 × 1022").first.wait_for(timeout=60_000)
        base = {"pid": run.base_pid, "box": PICTURE}
        timed = {
            "baseline: st.image(array)": Interaction(pages[0], **base),
            "baseline: st.image(png_bytes)": Interaction(pages[1], **base),
            "baseline: upload": Interaction(pages[0], **base),
            "Convolution page: kernel": Interaction(pages[2], run.app_pid, MAP),
            "Convolution page: upload": Interaction(pages[2], run.app_pid, MAP),
        }
        for i in range(repeat + 1):  # the first change of each kind warms up
            name, photo, warm = CHOICES[i % len(CHOICES)], photos[i + 1], {"record": i > 0}
            for key, page in (("baseline: st.image(array)", pages[0]),
                              ("baseline: st.image(png_bytes)", pages[1])):  # fmt: skip
                timed[key].timed(pick(page, "base_preset", name), name, **warm)
            timed["Convolution page: kernel"].timed(pick(pages[2], "conv_preset", name), **warm)
            timed["baseline: upload"].timed(upload(pages[0], photo), **warm)
            timed["Convolution page: upload"].timed(upload(pages[2], photo), **warm)
    report("1024×1024 upload, change → painted", timed, {
        "Convolution page: kernel": ["baseline: st.image(array)", "baseline: st.image(png_bytes)"],
        "Convolution page: upload": ["baseline: upload"],
    })  # fmt: skip


if __name__ == "__main__":
    main()
