"""Benchmark: cnnviz.maths.ops.conv2d against OpenCV's filter2D and SciPy, measured in the same run.

Prints one row per case with the median time of each implementation and the ratio
conv2d / OpenCV (target: at most 2.0). Ratios, not absolute times, are what to compare:
these machines are shared and noisy. All three compute the same 'same'-padded
cross-correlation in float32; OpenCV runs single-threaded for all (cnnviz sets that, so one
visitor's convolution does not take every core of a shared server).

Run: .venv/bin/python bench/bench_conv2d.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import scipy.ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cnnviz.maths.ops import conv2d  # noqa: E402


def _median_seconds(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _opencv(x, k):
    planes = [x] if x.ndim == 2 else [x[:, :, c] for c in range(x.shape[2])]
    return [cv2.filter2D(p, cv2.CV_32F, k, borderType=cv2.BORDER_CONSTANT) for p in planes]


def _scipy(x, k):
    planes = [x] if x.ndim == 2 else [x[:, :, c] for c in range(x.shape[2])]
    return [scipy.ndimage.correlate(p, k, mode="constant") for p in planes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for side in (1024, 2048):
        for channels in (1, 3):
            shape = (side, side) if channels == 1 else (side, side, channels)
            x = rng.random(shape, dtype=np.float32)
            for ksize in (3, 7):
                k = rng.normal(size=(ksize, ksize)).astype(np.float32)
                ours = conv2d(x, k, padding="same")
                check = np.stack(_opencv(x, k), axis=-1).reshape(ours.shape)
                assert np.allclose(ours, check, atol=1e-3), "conv2d and OpenCV disagree"
                t_ours = _median_seconds(lambda x=x, k=k: conv2d(x, k, padding="same"), args.repeat)
                t_cv = _median_seconds(lambda x=x, k=k: _opencv(x, k), args.repeat)
                t_sp = _median_seconds(lambda x=x, k=k: _scipy(x, k), max(3, args.repeat // 3))
                rows.append((f"{side}×{side}×{channels}", f"{ksize}×{ksize}", t_ours, t_cv, t_sp))
    print(
        f"{'image':>14} {'kernel':>6} {'conv2d ms':>10} {'OpenCV ms':>10} {'SciPy ms':>10}"
        f" {'÷OpenCV':>8} {'÷SciPy':>7}"
    )
    worst = 0.0
    for image, kernel, ours, cv, sp in rows:
        worst = max(worst, ours / cv)
        print(
            f"{image:>14} {kernel:>6} {ours * 1e3:10.2f} {cv * 1e3:10.2f} {sp * 1e3:10.2f}"
            f" {ours / cv:8.2f} {ours / sp:7.2f}"
        )
    print(f"worst ratio conv2d/OpenCV: {worst:.2f} (target <= 2.00)")


if __name__ == "__main__":
    main()
