"""Training on a visitor's pictures (issue 17): the sample shapes as the page makes them, its
held-out split, own.DEFAULT_SPEC trained in a worker through a TrainerPool, as the page does."""

import time

import numpy as np
import pytest

from cnnviz.learning import own
from cnnviz.learning.data import as_model_input
from cnnviz.learning.nn import predict
from cnnviz.learning.worker import TrainerPool

pytest.importorskip("keras")

#: Measured (bench/bench_own.py --train, seeds 0-2 on a loaded 2-CPU host): see the commit log.
#: The test asserts a margin below the worst seed.
REACHED = 0.90
SECONDS = 90


@pytest.mark.slow
def test_default_spec_learns_the_sample_shapes_in_a_worker():
    """60 shapes a class, 64×64 grayscale, 20 % held out per class (36 pictures): the default
    model, trained in a worker, reads at least REACHED of the held-out pictures right within
    SECONDS; its answers come back for 3 classes, and it still reads most of them moved by
    2 pixels (its shift augmentation reaches 4)."""
    shapes = own.sample_shapes(60, 64, 0, channels=1)
    split = own.held_out_split(shapes.y, 0.2, 0, classes=shapes.classes)
    data = own.as_dataset(shapes, split)
    spec = own.spec_for(shapes)
    assert spec == own.DEFAULT_SPEC
    pool = TrainerPool(limit=1)
    kept = []
    try:
        started = time.monotonic()
        pool.run(spec, data, keep=kept.append)
        seconds = time.monotonic() - started
    finally:
        pool.close()
    (trained,) = kept
    assert trained.run.status == "finished" and trained.complete
    assert trained.evaluation.probabilities.shape == (36, 3)
    assert trained.evaluation.confusion.sum() == 36
    assert trained.evaluation.accuracy >= REACHED, trained.evaluation
    assert seconds < SECONDS
    assert trained.run.snapshots[-1].kernel.shape == (5, 5, 1, 8)
    moved = as_model_input(own.shifted(data.x_test, 2, 0))
    answers = predict(trained.weights, moved, spec).argmax(axis=1)
    assert np.mean(answers == data.y_test) >= REACHED - 0.1
