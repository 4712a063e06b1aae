"""Benchmark: one Learn-page step of batch 32 on the article's model against Keras' train_on_batch.

In one process, on the same batch (the 32 sample training digits of the Learn page's first
batch, ``cnnviz.lessons.learn.batch_indices``) and the same starting weights (Glorot uniform,
the page's default seed), each the best of ``--repeats`` rounds after a warm-up, taking turns
within a round:

* baseline: Keras ``model.train_on_batch(x, y)`` on the model ``build_model`` makes, compiled
  with plain SGD (the page's default optimizer), and with Adam;
* ``gradient_step`` alone (loss, gradients, the step, the loss after: ``cnnviz.learning.sgd``);
* everything one click of "Take one step" costs: ``take`` (the step, computed again: the
  session keeps only what the page shows of the preview), ``preview`` of the next step and the
  batch, answer, step (the kernel's grids, the output layer's four pictures) and history
  views — target ≤ 2× the SGD ``train_on_batch``;
* the same with Adam (its rule written out for one weight); and a changed setting, which
  previews and draws without taking a step;
* the loss-vs-weight curve (``slope_view``: 21 points and the finite difference, 24 forward
  passes of the batch), reported against the same baseline (no target); the page keeps it per
  learner, batch and weight, so other controls do not recompute it.

Threads, as in the app: the server's NumPy BLAS runs on one thread (``app.py`` sets it with
threadpoolctl); TensorFlow keeps its defaults (``CNNVIZ_TF_INTRA_THREADS``, default the CPUs).
``--threads N`` gives TensorFlow N intra-op threads instead.

Run: .venv/bin/python bench/bench_learn.py [--repeats 7] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import race  # noqa: E402

BATCH = 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs after the warm-up")
    parser.add_argument("--threads", type=int, help="TensorFlow's intra-op threads")
    args = parser.parse_args()
    if args.threads is not None:
        os.environ["CNNVIZ_TF_INTRA_THREADS"] = str(args.threads)

    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    from cnnviz.learning.data import as_model_input, load_sample
    from cnnviz.learning.model import ModelSpec, build_model
    from cnnviz.learning.sgd import gradient_step
    from cnnviz.lessons import learn

    threadpool_limits(limits=1, user_api="blas")  # as app.py does for the server
    data = load_sample()
    learner = learn.start("fresh", learn.DEFAULT_SEED)
    index = learn.batch_indices(0, BATCH, len(data.x_train))
    x = as_model_input(data.x_train[index])
    y = np.asarray(data.y_train[index]).astype(int)
    onehot = np.eye(10, dtype=np.float32)[y]
    weights = list(learner.weights)

    sgd_model = build_model(ModelSpec(optimizer="sgd", learning_rate=0.1))
    sgd_model.set_weights(weights)
    adam_model = build_model(ModelSpec(optimizer="adam", learning_rate=0.001))
    adam_model.set_weights(weights)
    import tensorflow as tf

    kernel, cell = learn.DEFAULT_KERNEL - 1, learn.DEFAULT_WEIGHT

    def shown(learner, optimizer: str, rate: float):
        p = learn.preview(learner, data, BATCH, rate, optimizer)
        learn.batch_view(p, learner.spec)
        learn.answer_view(p, 0)
        learn.step_view(learner, p, kernel, cell)
        learn.history_view(learner)

    def page(optimizer: str, rate: float):
        shown(learn.take(learner, data, BATCH, rate, optimizer), optimizer, rate)

    shared = learn.preview(learner, data, BATCH, 0.1)
    contestants = {
        "Keras train_on_batch, SGD": lambda: sgd_model.train_on_batch(x, onehot),
        "Keras train_on_batch, Adam": lambda: adam_model.train_on_batch(x, onehot),
        "gradient_step alone": lambda: gradient_step(weights, None, x, y, 0.1),
        "the page's step, SGD (all it shows)": lambda: page("sgd", 0.1),
        "the page's step, Adam (all it shows)": lambda: page("adam", 0.001),
        "a setting changed (preview + views), SGD": lambda: shown(learner, "sgd", 0.1),
        "loss-vs-weight curve (slope_view)": lambda: learn.slope_view(
            learner, shared, kernel, cell
        ),
    }
    load = Path("/proc/loadavg").read_text().split()[0]
    best = race(contestants, args.repeats, pause=0.2)
    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())
    print(f"CPUs: {os.cpu_count()} · NumPy BLAS threads: {pools} (as the server)")
    print(
        f"TensorFlow {tf.__version__} intra-op threads "
        f"{tf.config.threading.get_intra_op_parallelism_threads()}"
    )
    print(f"batch {BATCH}, article's model, best of {args.repeats} after a warm-up\n")
    base = best["Keras train_on_batch, SGD"]
    for name, seconds in best.items():
        print(f"{name:<40} {seconds * 1000:8.1f} ms   {seconds / base:5.2f}× train_on_batch (SGD)")
    ratio = best["the page's step, SGD (all it shows)"] / base
    print(f"\nthe page's step: {ratio:.2f}× Keras' train_on_batch (target ≤ 2×)")
    print(f"load average at the start: {load} (above {os.cpu_count()}: the run was starved)")


if __name__ == "__main__":
    main()
