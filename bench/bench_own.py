"""Benchmark: reading a 300-picture zip against decoding the same pictures one by one.

In one process, on the same 300 pictures (3 classes of 100: smooth photo-like JPEGs with a
shape on a gradient, ``--side`` pixels wide at 4:3, as a webcam takes them):

1. ``labelled_images_from_zip(data, size)``: the whole zip, checked, unpacked in memory,
   decoded and prepared (``size``×``size``);
2. the baseline: ``load_image`` on each file's bytes, as an upload is decoded today, with
   its default arguments (no preparation);
3. ``prepare_picture`` on each file's bytes: the same decoding and preparation as the zip
   reader, without the zip;

each the best of ``--repeats`` rounds after one warm-up, taking turns within a round. Prints
the times, the ratios zip / baseline and zip / one-by-one preparation, and the zip's size.
Target: the zip costs no more than decoding its pictures one by one (ratio ≤ 1.1 against
``prepare_picture`` one by one).

Run: .venv/bin/python bench/bench_own.py [--side 640] [--size 64] [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from cnnviz.learning.own import labelled_images_from_zip, prepare_picture  # noqa: E402
from cnnviz.pictures import load_image  # noqa: E402

CLASSES = ("circle", "square", "triangle")


def _photo(rng: np.random.Generator, label: int, side: int) -> bytes:
    """A JPEG ``side``×``3 side / 4``: a coloured gradient with one light shape on it."""
    width, height = side, side * 3 // 4
    ramp = np.linspace(0, 1, width)[None, :, None] * rng.uniform(40, 120, 3)
    base = (rng.uniform(20, 80, 3) + ramp + np.zeros((height, 1, 1))).astype(np.uint8)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    r = rng.uniform(0.15, 0.3) * height
    cx, cy = rng.uniform(r, width - r), rng.uniform(r, height - r)
    colour = tuple(int(v) for v in rng.integers(180, 256, 3))
    if label == 0:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    elif label == 1:
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=colour)
    else:
        draw.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _best(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=640, help="the photos' width in pixels")
    parser.add_argument("--size", type=int, default=64, help="the prepared pictures' side")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    files = [
        (f"{name}/{k:03d}.jpg", _photo(rng, label, args.side))
        for label, name in enumerate(CLASSES)
        for k in range(100)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    data = buffer.getvalue()
    contents = [content for _, content in files]

    def zip_reader():
        result = labelled_images_from_zip(data, args.size)
        assert result.x.shape[0] == 300 and not result.problems

    def loader():
        for content in contents:
            load_image(content)

    def prepared():
        for content in contents:
            prepare_picture(content, args.size)

    runs = {"zip": zip_reader, "loader": loader, "prepared": prepared}
    for run in runs.values():
        run()  # warm-up
    best = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            best[name].append(_best(run, 1))
    t = {name: min(times) for name, times in best.items()}
    print(
        f"300 JPEGs {args.side}×{args.side * 3 // 4}, zip {len(data) / 1e6:.1f} MB, "
        f"prepared to {args.size}×{args.size}; best of {args.repeats}"
    )
    print(f"  labelled_images_from_zip      {t['zip']:.3f} s ({t['zip'] / 300 * 1e3:.2f} ms each)")
    print(f"  load_image one by one (base)  {t['loader']:.3f} s")
    print(f"  prepare_picture one by one    {t['prepared']:.3f} s")
    print(f"  ratio zip / load_image        {t['zip'] / t['loader']:.2f}×")
    print(f"  ratio zip / prepare_picture   {t['zip'] / t['prepared']:.2f}× (target ≤ 1.1×)")


if __name__ == "__main__":
    main()
