"""Benchmark: the "What the filters see" page's server time against one batched prediction.

In one process, on the default model (``default_model()``: the article's CNN trained on the
sample, from the cache) and the sample's 1,000 test digits, the server's one BLAS thread (as
``app.py`` sets it), best of ``--repeats`` rounds after a warm-up, the calls taking turns:

* baseline: ``nn.predict`` of the 1,000 test digits, one batched call;
* ``occlusion_map`` (patch 4, stride 2: 169 covered copies in one batch) and the page's whole
  occlusion section (``occlusion_view``: the map, the saliency, the pictures);
* the top-9 grids: ``find_top`` for conv_1 and pool_1 (one pass over the 1,000 digits each;
  the page caches it per model and layer) and ``top_view`` (one filter's pictures, per click);
* the receptive field section (``field_view``), and Grad-CAM on a 3-block model of the same
  width (untrained, NumPy's Glorot weights: the time does not depend on the values);
* one feature picture (80 steps of gradient ascent; on request, cached per model).

Prints ms and the ratio to the baseline, and the load average (2 cores shared: above 2 the run
was starved; the ratios hold better than the ms).

Run: .venv/bin/python bench/bench_filters.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import race  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")  # as app.py does for the server

    from cnnviz.learning import explain, nn
    from cnnviz.learning.data import load_sample
    from cnnviz.learning.model import ModelSpec
    from cnnviz.learning.sgd import glorot_weights
    from cnnviz.learning.training import TrainedModel, default_model
    from cnnviz.lessons import filters as lesson

    data = load_sample()
    model = default_model(data)
    digits = lesson.searched_digits(data)  # (1000, 28, 28, 1)
    x, label = digits[0, :, :, 0], int(data.y_test[0])
    deep_spec = ModelSpec(filters=(32, 32, 32))
    deep = TrainedModel(deep_spec, "none", glorot_weights(deep_spec, 0))
    top0 = lesson.find_top(model, digits, 0)
    calls = {
        "nn.predict, 1,000 digits (baseline)": lambda: nn.predict(
            model.weights, digits, model.spec
        ),
        "occlusion_map, patch 4 stride 2": lambda: explain.occlusion_map(
            model.weights, model.spec, x, label, patch=4, stride=2
        ),
        "occlusion section (occlusion_view)": lambda: lesson.occlusion_view(
            model, x, label, 4, 2, 0.5
        ),
        "top 9 of conv_1 (find_top, 1,000 digits)": lambda: lesson.find_top(model, digits, 0),
        "top 9 of pool_1 (find_top, 1,000 digits)": lambda: lesson.find_top(model, digits, 1),
        "one filter's grids (top_view)": lambda: lesson.top_view(
            model, top0, digits, data.y_test, 5
        ),
        "receptive field section (field_view)": lambda: lesson.field_view(x, model.spec, 1, (5, 7)),
        "Grad-CAM section, 3 blocks of 32": lambda: lesson.grad_cam_view(deep, x, label),
        "one feature picture (80 steps)": lambda: lesson.make_feature(model, "filter", 0, 3),
    }
    best = race(calls, args.repeats)
    base = best["nn.predict, 1,000 digits (baseline)"]
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"best of {args.repeats}, BLAS on 1 thread, load average {load}")
    print(f"{'what':<44} {'ms':>9} {'× predict':>10}")
    for name, seconds in best.items():
        print(f"{name:<44} {seconds * 1000:>9.1f} {seconds / base:>10.2f}")


if __name__ == "__main__":
    main()
