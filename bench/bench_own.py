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

``--train`` measures training instead (issue 17): the sample shapes as the page makes them
(``--per-class`` of each shape, 64×64 grayscale, seed 0), the page's held-out split (20 % of
each class, seed 0), and for each spec seed in ``--seeds`` and each shift in ``--shifts``,
``own.DEFAULT_SPEC`` with that seed and shift trained in a worker
(:class:`~cnnviz.learning.worker.TrainerPool`, one at a time, each in a worker warmed before
the clock starts, as the page's pool keeps one ready). For each: held-out accuracy, held-out
accuracy with every held-out picture moved ``--pixels`` pixels (``own.shifted``, seed 0), the
wall time from asking the pool to the model handed back, and the time inside ``fit``.

Run: .venv/bin/python bench/bench_own.py --train [--seeds 0 1 2] [--shifts 4 0 6] [--pixels 6]
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


def _measure_training(args) -> None:
    from cnnviz.learning import own
    from cnnviz.learning.data import as_model_input
    from cnnviz.learning.nn import predict
    from cnnviz.learning.worker import TrainerPool

    shapes = own.sample_shapes(args.per_class, 64, 0, channels=1)
    split = own.held_out_split(shapes.y, 0.2, 0, classes=shapes.classes)
    data = own.as_dataset(shapes, split)
    moved = as_model_input(own.shifted(data.x_test, args.pixels, 0))
    print(f"{data.reason} Moved test pictures: {args.pixels} px.")
    pool = TrainerPool(limit=1)
    pool.warm()
    rows = []
    try:
        for seed in args.seeds:
            for shift in args.shifts:
                spec = own.spec_for(shapes).replace(seed=seed, shift=shift)
                kept = []
                pool.warm()
                while not pool.ready:
                    time.sleep(0.2)
                started = time.perf_counter()
                pool.run(spec, data, keep=kept.append)
                seconds = time.perf_counter() - started
                trained = kept[0]
                still = trained.evaluation.accuracy
                answers = predict(trained.weights, moved, spec).argmax(axis=1)
                on_moved = float(np.mean(answers == data.y_test))
                rows.append((seed, shift, still, on_moved, seconds))
                print(
                    f"seed {seed} shift {shift}: held out {still:.1%}, moved {on_moved:.1%}, "
                    f"{seconds:.1f} s ({trained.run.elapsed:.1f} s fitting)",
                    flush=True,
                )
    finally:
        pool.close()
    for shift in sorted({row[1] for row in rows}):
        mine = [row for row in rows if row[1] == shift]
        print(
            f"shift {shift}: held out mean {np.mean([r[2] for r in mine]):.1%} "
            f"(min {min(r[2] for r in mine):.1%}), moved mean {np.mean([r[3] for r in mine]):.1%}"
            f" (min {min(r[3] for r in mine):.1%}), wall time max {max(r[4] for r in mine):.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="measure training (see above)")
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--shifts", type=int, nargs="+", default=[4, 0, 6])
    parser.add_argument("--pixels", type=int, default=6, help="how far test pictures move")
    parser.add_argument("--side", type=int, default=640, help="the photos' width in pixels")
    parser.add_argument("--size", type=int, default=64, help="the prepared pictures' side")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.train:
        _measure_training(args)
        return
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
