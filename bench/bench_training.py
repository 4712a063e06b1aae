"""Benchmark: the Train page's training loop against plain ``model.fit``, and the default model.

Part 1 prints the training throughput (training digits per second, wall time of the whole call,
first-call tracing included for every row alike) of three ways to train the article's model on
the MNIST sample with the same batch size, epochs and test-set evaluation after each epoch:

* ``plain fit, arrays``: ``model.fit(x, y, batch_size, epochs, validation_data=...)``, what a
  learner types (Keras shuffles the arrays);
* ``plain fit, page's batches``: ``model.fit`` on the page's seeded tf.data pipeline, no callback;
* ``page loop + live view``: ``cnnviz.learning.training.train`` with the page's live view as
  ``on_update`` (every 0.25 s): :func:`cnnviz.lessons.train.live_frame` builds the progress
  text, status line and (when something was learned) the Plotly curves, which are serialised
  to JSON as ``st.plotly_chart`` does. No Streamlit: only its protobuf wrapping and the
  websocket send are absent.

Rows run interleaved, ``--rounds`` times, each on a fresh model with the same seed; the table
shows medians and each row's ratio to the first (target: page loop >= 0.9x), by wall time and
by CPU time (the process's, all threads: steadier when other jobs share the machine).

Part 2 trains the default model (the article's spec on the sample, 5 epochs, seed 0) from
scratch into an empty cache, reports its test accuracy and seconds (target: >= 95%), then
times the warm start that only loads the cached weights.

Run: .venv/bin/python bench/bench_training.py [--epochs 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnnviz.learning.data import as_model_input, load_sample, one_hot  # noqa: E402
from cnnviz.learning.model import ModelSpec, build_model, keras_module  # noqa: E402
from cnnviz.learning.training import _shuffled_batches, default_model, train  # noqa: E402
from cnnviz.lessons.train import live_frame  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    keras_module()
    import plotly.io
    import tensorflow as tf

    warnings.filterwarnings("ignore")

    data = load_sample()
    spec = ModelSpec(epochs=args.epochs)
    x, y = as_model_input(data.x_train), one_hot(data.y_train)
    test = (as_model_input(data.x_test), one_hot(data.y_test))
    n = len(x) * spec.epochs
    updates = []

    def plain_arrays():
        build_model(spec).fit(
            x, y, batch_size=spec.batch_size, epochs=spec.epochs, validation_data=test, verbose=0
        )

    def plain_pipeline():
        steps = -(-len(x) // spec.batch_size)
        batches = _shuffled_batches(tf, data.x_train, data.y_train, spec)
        build_model(spec).fit(
            batches, epochs=spec.epochs, steps_per_epoch=steps, validation_data=test, verbose=0
        )

    def page_loop():
        calls, frames = [], [None]

        def on_update(run):  # what the Train page's live view computes, without drawing
            calls.append(run.step)
            frame = frames[0] = live_frame(run, frames[0])
            if frame.curves is not None:
                plotly.io.to_json(frame.curves, validate=False)

        train(build_model(spec), data, spec, on_update=on_update)
        updates.append(len(calls))

    rows = {
        "plain fit, arrays": plain_arrays,
        "plain fit, page's batches": plain_pipeline,
        "page loop + live view": page_loop,
    }
    times = {name: [] for name in rows}
    cpu = {name: [] for name in rows}
    for _ in range(args.rounds):
        for name, fn in rows.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)

    print(
        f"Training the article's model on {len(x):,} digits, batch {spec.batch_size}, "
        f"{spec.epochs} epochs, test set scored after each epoch; median of {args.rounds} rounds"
    )
    print(f"{'':28}{'seconds':>9}{'digits/s':>11}{'ratio':>8}{'CPU s':>9}{'CPU ratio':>11}")
    reference = n / statistics.median(times["plain fit, arrays"])
    cpu_reference = statistics.median(cpu["plain fit, arrays"])
    for name, seconds in times.items():
        rate = n / statistics.median(seconds)
        used = statistics.median(cpu[name])
        print(
            f"{name:28}{statistics.median(seconds):9.2f}{rate:11,.0f}{rate / reference:8.2f}"
            f"{used:9.2f}{cpu_reference / used:11.2f}"
        )
    print("ratio: throughput / plain fit's (>= 0.9 wanted); CPU ratio: the same by CPU seconds")
    print("used (all threads), which a busy shared machine disturbs less than wall time.")
    per_second = [u / t for u, t in zip(updates, times["page loop + live view"], strict=True)]
    print(f"live updates per second during the page loop: {statistics.median(per_second):.1f}")

    print()
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        cold = default_model(data, cache_dir=cache)
        cold_seconds = time.perf_counter() - started
        started = time.perf_counter()
        warm = default_model(data, cache_dir=cache)
        warm_seconds = time.perf_counter() - started
    print(f"Default model (article's spec, sample, {cold.spec.epochs} epochs, seed 0)")
    print(f"  trained from scratch: {cold.evaluation.accuracy:.1%} test accuracy, ", end="")
    print(f"{cold_seconds:.1f} s in all ({cold.run.elapsed:.1f} s of it in fit)")
    print(f"  per epoch, test accuracy: {', '.join(f'{a:.1%}' for a in cold.run.test_accuracy)}")
    print(f"  warm start from the cached weights: {warm_seconds:.2f} s, ", end="")
    print(f"{warm.evaluation.accuracy:.1%} test accuracy")


if __name__ == "__main__":
    main()
