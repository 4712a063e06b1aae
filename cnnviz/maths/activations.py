"""Activation functions: the non-linear step after each layer's weighted sums.

Each takes an array of any shape and returns one of the same shape.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ACTIVATIONS", "relu", "sigmoid", "softmax", "tanh"]


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit: keep positive values, set negative ones to 0.

    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(np.asarray(x), 0)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Squash any number into (0, 1): ``1 / (1 + exp(-x))``.

    >>> sigmoid(np.array([0.0]))
    array([0.5])
    """
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # the same function, without overflow for large |x|


def tanh(x: np.ndarray) -> np.ndarray:
    """Squash any number into (-1, 1).

    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return np.tanh(np.asarray(x, dtype=np.float64))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Turn scores into probabilities that sum to 1 along ``axis``.

    >>> softmax(np.array([1.0, 1.0])).tolist()
    [0.5, 0.5]
    """
    x = np.asarray(x, dtype=np.float64)
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))  # subtracting the max avoids overflow
    return shifted / shifted.sum(axis=axis, keepdims=True)


#: The activations a page offers after a convolution, with a plain description each.
ACTIVATIONS = {
    "none": (lambda x: np.asarray(x), "Keep the raw sums, negative values included."),
    "ReLU": (relu, "Negative values become 0: only places where the feature is present remain."),
    "sigmoid": (sigmoid, "Squash every value into 0…1."),
    "tanh": (tanh, "Squash every value into −1…1."),
}
