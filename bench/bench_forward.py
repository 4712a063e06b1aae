"""Benchmark: the core's forward pass (``cnnviz.learning.nn``) against Keras' ``model.predict``.

In one process, on the same weights (the default model's trained weights from
``default_model()``, or with ``--untrained`` the starting weights of ``build_model(ModelSpec())``)
and the same 1,000 test digits of the sample (``load_sample()``, ``as_model_input``):

1. ``nn.predict`` (probabilities only) and ``nn.forward`` (every layer's output) against
   ``model.predict(x, verbose=0)`` with Keras' default batch size (32) and with
   ``batch_size=1000``; each the best of ``--repeats`` rounds after one warm-up run, the four
   taking turns within a round (a pause of 0.3 s before each call). Prints the
   ratios core / Keras (target: at most 1.5×) and the largest difference between the two
   sides' probabilities.
2. One digit's full inspection as the Inside page makes it (``pages/inside.py``):
   ``forward_pass``, ``comparison`` with the digit shifted, ``shift_view`` (this digit's shift
   curves; the averaged curve is computed once per model and cached by the page, so it is
   passed in) and ``saliency_view``, in ms, and the same maths without the pictures
   (``layer_activations`` ×2, ``shift_curve``, ``saliency`` ×2), against one ``nn.predict`` of the
   same digit (target: "a few milliseconds"). The one-off work of a first visit (loading the
   cached default model and scoring its test set, the averaged shift curve over 200 digits) is
   printed too.

Threads: by default each side uses what it would in the app. NumPy's BLAS (OpenBLAS in the
NumPy wheel) starts one thread per CPU; TensorFlow's intra-op pool is ``CNNVIZ_TF_INTRA_THREADS``
(``cnnviz.learning.model.keras_module``; default: the number of CPUs) with 2 inter-op threads.
The figures printed at the start say what each side got. ``--threads N`` gives both sides N:
it sets ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and
``CNNVIZ_TF_INTRA_THREADS`` before NumPy or TensorFlow is imported.

Run: .venv/bin/python bench/bench_forward.py [--repeats 7] [--threads N] [--untrained]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._common import load_average, race  # noqa: E402

DIGITS = 1000


def _best(function, repeats: int) -> float:
    """Best wall time in seconds of ``repeats`` calls, after one warm-up call."""
    return race({"": function}, repeats)[""]


def _blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()]
    return ", ".join(pools) or "none found"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs after the warm-up")
    parser.add_argument("--threads", type=int, help="threads for both NumPy's BLAS and TF")
    parser.add_argument(
        "--untrained", action="store_true", help="starting weights instead of the trained ones"
    )
    args = parser.parse_args()
    if args.threads is not None:  # before NumPy and TensorFlow read them
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.threads)
        os.environ["CNNVIZ_TF_INTRA_THREADS"] = str(args.threads)

    load = load_average()
    import numpy as np

    from cnnviz.learning import nn
    from cnnviz.learning.data import as_model_input, load_sample
    from cnnviz.learning.model import ModelSpec, build_model
    from cnnviz.learning.probe import layer_activations, saliency, shift_curve
    from cnnviz.learning.training import TrainedModel, default_model
    from cnnviz.lessons import inside

    data = load_sample()
    spec = ModelSpec()
    model = build_model(spec)  # imports TensorFlow, sets its thread pools
    import tensorflow as tf

    if args.untrained:
        trained = TrainedModel(spec, data.name, model.get_weights())
        load_time = float("nan")
    else:
        start = time.perf_counter()
        trained = default_model(data)  # from the weights cache (trains here if missing)
        load_time = time.perf_counter() - start
        model.set_weights(trained.weights)
    weights = trained.weights
    x = as_model_input(data.x_test[:DIGITS])  # (1000, 28, 28, 1) float32

    print(f"CPUs: {os.cpu_count()} · NumPy BLAS threads: {_blas_threads()}")
    print(
        f"TensorFlow {tf.__version__} threads: intra-op "
        f"{tf.config.threading.get_intra_op_parallelism_threads()}, inter-op "
        f"{tf.config.threading.get_inter_op_parallelism_threads()}"
        + (f" (--threads {args.threads})" if args.threads else " (app defaults)")
    )
    print(f"weights: {'starting (untrained)' if args.untrained else 'default model, trained'}")
    print(f"best of {args.repeats} after a warm-up\n")

    # --- 1. 1,000 digits -------------------------------------------------------------------
    keras_32 = model.predict(x, verbose=0)
    keras_1000 = model.predict(x, batch_size=DIGITS, verbose=0)
    core = nn.predict(weights, x, spec)
    layers = nn.forward(weights, x, spec)
    contestants = {
        "Keras model.predict (batch 32)": lambda: model.predict(x, verbose=0),
        "Keras model.predict (batch 1000)": lambda: model.predict(x, batch_size=DIGITS, verbose=0),
        "core nn.predict": lambda: nn.predict(weights, x, spec),
        "core nn.forward (every layer)": lambda: nn.forward(weights, x, spec),
    }
    times = race(contestants, args.repeats, pause=0.3)
    print(f"{DIGITS} test digits through the article's model:")
    for name, seconds in times.items():
        print(f"  {name:<34} {1000 * seconds:8.1f} ms")
    for core_name in ("core nn.predict", "core nn.forward (every layer)"):
        for keras_name in ("Keras model.predict (batch 32)", "Keras model.predict (batch 1000)"):
            ratio = times[core_name] / times[keras_name]
            print(f"  ratio {core_name} / {keras_name}: {ratio:.2f}× (target ≤ 1.5×)")
    differences = {
        "nn.predict vs predict(batch 32)": np.abs(core - keras_32).max(),
        "nn.predict vs predict(batch 1000)": np.abs(core - keras_1000).max(),
        "nn.forward[-1] vs nn.predict": np.abs(layers[-1] - core).max(),
    }
    for name, value in differences.items():
        print(f"  max |Δ probability| {name}: {value:.2e}")
    same = int((core.argmax(1) == keras_32.argmax(1)).sum())
    print(f"  same predicted digit: {same} of {DIGITS}\n")

    # --- 2. one digit, as the Inside page inspects it ---------------------------------------
    digit = inside.numbered_digit(data, 0)
    one = digit.x[None, :, :, None]  # (1, 28, 28, 1)
    moved = inside.shifted_digit(digit, 2, 0)  # the comparison's default kind: this digit, shifted
    first = {}
    first["default_model() from cache + test-set scoring"] = load_time
    average = None

    def compute_average() -> None:
        nonlocal average
        average = inside.average_shift_curve(trained, data)

    label = f"average_shift_curve ({inside.AVERAGE_OVER} digits, best of 3)"
    first[label] = _best(compute_average, 2)

    def page_views() -> None:
        view = inside.forward_pass(trained, digit)
        inside.comparison(trained, digit, view, moved)
        inside.shift_view(trained, digit, view.predicted, average)
        target = inside.saliency_target(inside.PREDICTION, view.predicted)
        inside.saliency_view(trained, digit, target)

    def core_maths() -> None:
        outputs = layer_activations(trained, digit.x)
        layer_activations(trained, moved.x)
        predicted = int(outputs[-1].output.argmax())
        shift_curve(trained, digit.x, digit.label)
        saliency(trained, digit.x, predicted, method="gradient")
        saliency(trained, digit.x, predicted, method="gradient_x_input")

    view = inside.forward_pass(trained, digit)
    parts = {
        "forward_pass": lambda: inside.forward_pass(trained, digit),
        "comparison (digit shifted)": lambda: inside.comparison(trained, digit, view, moved),
        "shift_view (average cached)": lambda: inside.shift_view(
            trained, digit, view.predicted, average
        ),
        "saliency_view": lambda: inside.saliency_view(trained, digit, view.predicted),
    }
    maths_parts = {
        "layer_activations (every layer)": lambda: layer_activations(trained, digit.x),
        "saliency (one backward pass)": lambda: saliency(trained, digit.x, view.predicted),
        "shift_curve (18 shifted copies)": lambda: shift_curve(trained, digit.x, digit.label),
    }

    def layers_and_saliency() -> None:
        layer_activations(trained, digit.x)
        saliency(trained, digit.x, view.predicted)

    repeats = max(args.repeats, 20)
    wholes = {
        "all layers + saliency": layers_and_saliency,
        "all the page's maths": core_maths,
        "whole inspection": page_views,
    }
    best = race(
        {"nn.predict": lambda: nn.predict(weights, one, spec), **maths_parts, **parts, **wholes},
        repeats,
    )
    single = best["nn.predict"]

    def show(name: str, what: str = "") -> None:
        ratio = f" = {best[name] / single:4.0f}× one nn.predict" if name in wholes else ""
        print(f"  {name:<40} {1000 * best[name]:8.2f} ms{ratio}{what}")

    print("one digit (test digit #0), as the Inside page inspects it:")
    print(f"  one nn.predict of that digit             {1000 * single:8.2f} ms")
    print(" the maths (cnnviz.learning.probe):")
    for name in maths_parts:
        show(name)
    show("all layers + saliency", "  (the issue's 'full inspection')")
    show("all the page's maths", "  (activations ×2, shift curve, saliency ×2)")
    print(" the lesson's views (maths + pictures, as pages/inside.py calls them):")
    for name in parts:
        show(name)
    show("whole inspection")
    print("once per server and model (a first visit):")
    for name, seconds in first.items():
        print(f"  {name:<48} {1000 * seconds:8.1f} ms")
    print(f"\nload average at the start: {load}, at the end: {load_average()}")


if __name__ == "__main__":
    main()
