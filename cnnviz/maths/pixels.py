"""Operations on a picture's pixel array: its brightness, and moving its content.

Shared by the maths (what pooling keeps when the picture moves), the model probes and the
pages; loading pictures is :mod:`cnnviz.pictures.images`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["shift", "to_grayscale"]

# ITU-R 601-2 luma weights: what Pillow's own "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def to_grayscale(x: np.ndarray) -> np.ndarray:
    """Luma of a colour image (``0.299 R + 0.587 G + 0.114 B``); grayscale passes through.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, 3)

    Returns
    -------
    ndarray of float32, shape (H, W)

    Examples
    --------
    >>> to_grayscale(np.ones((2, 2, 3))).round(3)
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        return x
    if x.ndim == 3 and x.shape[2] == 3:
        return x @ _LUMA
    raise ValueError(f"`x` must be (H, W) or (H, W, 3). Received: x.shape={x.shape}.")


def shift(x: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move the content of an image ``dx`` pixels right and ``dy`` pixels down, filling with 0.

    Negative values move left and up. What leaves the frame is lost.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
    dx, dy : int

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Examples
    --------
    >>> shift(np.array([[1, 2, 3], [4, 5, 6]]), 1, 0)
    array([[0, 1, 2],
           [0, 4, 5]])
    """
    x = np.asarray(x)
    for name, value in (("dx", dx), ("dy", dy)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"`{name}` must be a whole number of pixels. Received: {value!r}.")
    out = np.zeros_like(x)
    h, w = x.shape[:2]
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_r = slice(max(0, -dy), h - max(0, dy))
    dst_r = slice(max(0, dy), h - max(0, -dy))
    src_c = slice(max(0, -dx), w - max(0, dx))
    dst_c = slice(max(0, dx), w - max(0, -dx))
    out[dst_r, dst_c] = x[src_r, src_c]
    return out
