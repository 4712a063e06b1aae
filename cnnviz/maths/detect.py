"""From a feature map to "where is the feature": a threshold, then the bright spots' centres.

A kernel's feature map is high where its pattern appears. Keeping only the cells above a
threshold turns it into a black-and-white picture of where the pattern is, and each white
blob's centre is one place the pattern was found (the article's eye detector finds two eyes).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from cnnviz._validate import as_float_array

__all__ = ["spot_centres", "threshold_map"]


def threshold_map(feature_map: np.ndarray, threshold: float) -> np.ndarray:
    """1 where the map reaches ``threshold``, 0 elsewhere: the "where is the feature" picture.

    Parameters
    ----------
    feature_map : ndarray, shape (H, W)
    threshold : float

    Returns
    -------
    ndarray of float32, shape (H, W), values 0 or 1

    Examples
    --------
    >>> threshold_map(np.array([[0.0, 5.0], [9.0, 2.0]]), 5)
    array([[0., 1.],
           [1., 0.]], dtype=float32)
    """
    feature_map = as_float_array(feature_map, "feature_map", (2,))
    return (feature_map >= threshold).astype(np.float32)


def spot_centres(mask: np.ndarray) -> list[tuple[int, int]]:
    """Centres ``(row, col)`` of the separate white blobs of a 0/1 mask, in reading order.

    Blobs touching by an edge or a corner count as one. Each centre is the blob's mean position,
    rounded to a whole cell.

    Parameters
    ----------
    mask : ndarray, shape (H, W)
        Non-zero cells are white.

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> mask = np.zeros((5, 7))
    >>> mask[1:4, 1:4] = 1
    >>> mask[2, 6] = 1
    >>> spot_centres(mask)
    [(2, 2), (2, 6)]
    """
    mask = as_float_array(mask, "mask", (2,)) != 0
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count == 0:
        return []
    centres = ndimage.center_of_mass(mask, labels, range(1, count + 1))
    return sorted((int(round(r)), int(round(c))) for r, c in centres)
