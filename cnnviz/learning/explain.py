"""Why a trained model answers as it does: receptive fields, occlusion, top examples, Grad-CAM,
feature pictures.

* :func:`receptive_field` — the input rows and columns one cell of a conv or pooling layer's map
  depends on; :func:`field_rule` — the field's size, the step between neighbouring cells'
  fields, and the formula that gives them from the layers below.
* :func:`occlusion_map` — slide a grey patch over a digit and keep the probability of a class
  at every position: where covering the digit hurts, the model was looking.
* :func:`top_examples` — for every filter of a layer, the digits that excite it most, where,
  and the input patch its receptive field sees there.
* :func:`grad_cam` — Grad-CAM on the last (or a chosen) conv layer: its maps weighted by how
  much the class score depends on each.
* :func:`feature_picture` — an input optimised by gradient ascent to excite a filter or a
  class (with a little blur, jitter and decay, as the Deep Visualization Toolbox does).

All of it is :mod:`cnnviz.learning.nn`'s forward and backward pass, in NumPy: no TensorFlow.
Layers are numbered as Keras' ``model.layers`` (see :func:`~cnnviz.learning.model.architecture`):
for the article's model 0 is ``conv_1``, 1 ``pool_1``, 2 ``flatten``, 3 ``dense``, 4 ``output``.

Every function takes pictures of the spec's ``input_shape`` (MNIST's 28×28×1 by default; a
one-channel picture may come as (H, W)), and any class count.

Letters used in shapes: ``N`` pictures, ``H, W`` a map's height and width (28×28 for MNIST's
input), ``C`` the input's channels, ``F`` filters, ``P, Q`` patch positions down and across,
``k`` kernel size, ``K`` classes (10 for MNIST).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from cnnviz._validate import as_float_array, as_whole
from cnnviz.learning import nn
from cnnviz.learning.model import INPUT_SHAPE, ModelSpec, architecture
from cnnviz.learning.probe import as_picture

__all__ = [
    "FieldRule",
    "FeaturePicture",
    "GradCam",
    "TopExamples",
    "conv_layers",
    "feature_picture",
    "field_rule",
    "grad_cam",
    "layer_gradient",
    "layer_maxima",
    "occlusion_map",
    "occlusion_positions",
    "receptive_field",
    "spatial_layers",
    "top_examples",
]

SIDE = INPUT_SHAPE[0]  # 28: MNIST's input is SIDE × SIDE
POOL, POOL_STRIDE = 2, 2  # every spec pools 2×2 with stride 2 (or not at all)
_SPATIAL = ("Conv2D", "MaxPool2D", "AveragePooling2D")


# --- receptive fields -----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    """How big one cell's receptive field is in a layer, and why.

    Attributes
    ----------
    layer : int
        The layer, numbered as Keras' ``model.layers``.
    name : str
        Its name, e.g. ``"conv_2"``.
    size : int
        Side of the square of input pixels one cell depends on.
    jump : int
        Input pixels between the fields of two neighbouring cells (the product of the strides
        below).
    steps : tuple of str
        One line per layer from the input up: its kernel, stride, and the field after it.
    formula : str
        The rule, ``r = r_prev + (k − 1)·d·j_prev`` and ``j = j_prev·s``, in words a learner
        can check.
    """

    layer: int
    name: str
    size: int
    jump: int
    steps: tuple[str, ...]
    formula: str


def spatial_layers(spec: ModelSpec | None = None) -> list[int]:
    """The layers whose output is a map (conv and pooling): those with receptive fields.

    >>> spatial_layers(), spatial_layers(ModelSpec(filters=(8, 8), pooling="none"))
    ([0, 1], [0, 1])
    """
    return [i for i, row in enumerate(architecture(spec)) if row.kind in _SPATIAL]


def _kernel_stride(spec: ModelSpec, kind: str) -> tuple[int, int]:
    return (spec.kernel_size, 1) if kind == "Conv2D" else (POOL, POOL_STRIDE)


def _as_layer(spec: ModelSpec, layer: object) -> int:
    rows = architecture(spec)
    allowed = spatial_layers(spec)
    if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) or layer not in allowed:
        names = ", ".join(f"{i} ({rows[i].name})" for i in allowed)
        raise ValueError(
            f"`layer` must be a conv or pooling layer of this model: one of {names}. "
            f"Received: layer={layer!r}."
        )
    return int(layer)


def field_rule(spec: ModelSpec | None = None, layer: int = 0) -> FieldRule:
    """The receptive field's size and step in ``layer``, and the formula that gives them.

    Parameters
    ----------
    spec : ModelSpec, optional
        Defaults to the article's model.
    layer : int
        A conv or pooling layer (see :func:`spatial_layers`).

    Returns
    -------
    FieldRule

    Notes
    -----
    Going up one layer with kernel ``k``, stride ``s`` and dilation ``d`` (every layer here has
    ``d = 1``), a cell sees ``k`` cells of the layer below, whose fields are ``j_prev`` input
    pixels apart, so ``r = r_prev + (k − 1)·d·j_prev`` and ``j = j_prev·s``, starting from the
    input's ``r = 1, j = 1``. Convolutions here are "valid" (no padding), so no field ever runs
    past the input.

    Examples
    --------
    >>> rule = field_rule(ModelSpec(filters=(8, 8)), layer=2)  # conv_2 of a 2-block model
    >>> rule.size, rule.jump
    (8, 2)
    >>> for line in rule.steps:
    ...     print(line)
    conv_1: 3×3 kernel, stride 1: r = 1 + (3 − 1)·1 = 3, j = 1
    pool_1: 2×2 window, stride 2: r = 3 + (2 − 1)·1 = 4, j = 2
    conv_2: 3×3 kernel, stride 1: r = 4 + (3 − 1)·2 = 8, j = 2
    """
    spec = spec or ModelSpec()
    layer = _as_layer(spec, layer)
    rows = architecture(spec)
    size, jump, steps = 1, 1, []
    for row in rows[: layer + 1]:
        k, s = _kernel_stride(spec, row.kind)
        what = "kernel" if row.kind == "Conv2D" else "window"
        new_size, new_jump = size + (k - 1) * jump, jump * s
        steps.append(
            f"{row.name}: {k}×{k} {what}, stride {s}: "
            f"r = {size} + ({k} − 1)·{jump} = {new_size}, j = {new_jump}"
        )
        size, jump = new_size, new_jump
    formula = (
        "Each layer with a k×k kernel (or window) and stride s widens the field by (k − 1) "
        "times the step j between the fields below: r = r_prev + (k − 1)·d·j_prev, "
        "j = j_prev·s, from r = 1, j = 1 at the input (every dilation d here is 1). "
        f"So one cell of {rows[layer].name} sees {size}×{size} input pixels, and its "
        f"neighbour's field starts {jump} pixel{'s' if jump > 1 else ''} further on."
    )
    return FieldRule(layer, rows[layer].name, size, jump, tuple(steps), formula)


def receptive_field(
    spec: ModelSpec | None = None, layer: int = 0, cell: tuple[int, int] = (0, 0)
) -> tuple[int, int, int, int]:
    """The input pixels one cell of a layer's map depends on.

    Parameters
    ----------
    spec : ModelSpec, optional
        Defaults to the article's model.
    layer : int
        A conv or pooling layer, numbered as Keras' ``model.layers``.
    cell : (row, col)
        The cell in that layer's map, ``0 ≤ row < H``, ``0 ≤ col < W``.

    Returns
    -------
    (row_start, row_stop, col_start, col_stop)
        Inclusive-exclusive, clipped to the spec's input (28×28 for MNIST):
        ``x[row_start:row_stop, col_start:col_stop]`` is every pixel the cell can see.

    Notes
    -----
    Walk down from the cell: a layer with kernel ``k`` and stride ``s`` maps output rows
    ``a…b`` to input rows ``a·s … b·s + k − 1`` (valid padding: no offset).

    Examples
    --------
    >>> receptive_field(layer=0, cell=(5, 7))  # conv_1, 3×3: rows 5-7, columns 7-9
    (5, 8, 7, 10)
    >>> receptive_field(layer=1, cell=(5, 7))  # pool_1 covers conv cells 10-11, 14-15
    (10, 14, 14, 18)
    """
    spec = spec or ModelSpec()
    layer = _as_layer(spec, layer)
    rows = architecture(spec)
    height, width = rows[layer].output_shape[:2]
    ok = (
        isinstance(cell, (tuple, list))
        and len(cell) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in cell)
        and 0 <= cell[0] < height
        and 0 <= cell[1] < width
    )
    if not ok:
        raise ValueError(
            f"`cell` must be a (row, col) pair inside {rows[layer].name}'s {height}×{width} map: "
            f"0 to {height - 1}, 0 to {width - 1}. Received: cell={cell!r}."
        )
    r0 = r1 = int(cell[0])
    c0 = c1 = int(cell[1])
    for row in reversed(rows[: layer + 1]):
        k, s = _kernel_stride(spec, row.kind)
        r0, r1, c0, c1 = r0 * s, r1 * s + k - 1, c0 * s, c1 * s + k - 1
    return max(r0, 0), min(r1 + 1, spec.side), max(c0, 0), min(c1 + 1, spec.side)


# --- occlusion ------------------------------------------------------------------------------


def occlusion_positions(patch: int, stride: int, side: int = SIDE) -> np.ndarray:
    """The top-left rows (and columns) where a ``patch`` slid by ``stride`` is placed on a
    picture ``side`` pixels wide (28 for MNIST).

    >>> occlusion_positions(4, 2)[:3], len(occlusion_positions(4, 2))
    (array([0, 2, 4]), 13)
    >>> len(occlusion_positions(8, 4, side=64))
    15
    """
    return np.arange(0, side - patch + 1, stride)


def occlusion_map(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    x: np.ndarray,
    class_index: int,
    *,
    patch: int = 4,
    stride: int = 2,
    fill: float = 0.5,
) -> np.ndarray:
    """The probability of ``class_index`` with a square patch of the digit covered, everywhere.

    Parameters
    ----------
    weights : list of ndarray
        In Keras' ``model.get_weights()`` order.
    spec : ModelSpec or None
        The model the weights belong to; None for the article's.
    x : ndarray, shape (H, W, C) (MNIST: (28, 28, 1)); (H, W) for one channel
        One picture of the spec's input shape, pixels in [0, 1].
    class_index : int
        The class whose probability is kept, 0 to ``K − 1``.
    patch : int
        Side of the square patch, 1 to the picture's side ``S``.
    stride : int
        Pixels between two patch positions, 1 to ``S``.
    fill : float
        The value the covered pixels get (in every channel), 0 (background) to 1 (ink); 0.5 is
        grey.

    Returns
    -------
    ndarray of float32, shape (P, P)
        ``P = (S − patch) // stride + 1``; cell ``(i, j)`` holds the probability with the patch's
        top-left pixel at ``(i·stride, j·stride)``.

    Notes
    -----
    The ``P²`` covered copies are built and scored one memory-bounded chunk at a time (the
    chunk :func:`cnnviz.learning.nn.predict` uses), not one prediction per position and never
    all at once (all ``P²`` copies of a 128×128×3 picture, patch 1, stride 1, would be 3.2 GB).

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> zeros = [np.zeros(s, np.float32) for s in nn.weight_shapes(spec)]
    >>> occlusion_map(zeros, spec, np.zeros((28, 28, 1)), 3, patch=4, stride=2).shape
    (13, 13)
    >>> float(occlusion_map(zeros, spec, np.zeros((28, 28, 1)), 3, patch=28, stride=1)[0, 0])
    0.1
    """
    spec = spec or ModelSpec()
    picture = as_picture(x, spec)  # (H, W, C)
    class_index = as_whole(class_index, "class_index", 0, spec.classes - 1)
    patch = as_whole(patch, "patch", 1, spec.side)
    stride = as_whole(stride, "stride", 1, spec.side)
    if isinstance(fill, bool) or not isinstance(fill, numbers.Real) or not 0 <= fill <= 1:
        raise ValueError(f"`fill` must be a number from 0 to 1. Received: fill={fill!r}.")
    starts = occlusion_positions(patch, stride, spec.side)
    count = len(starts)
    corners = [(i, j) for i in starts for j in starts]  # P·P, row by row
    step = nn._chunk(spec)  # nn.predict's own chunk: the same batches, the same numbers
    kept = []
    for first in range(0, len(corners), step):
        part = corners[first : first + step]
        covered = np.repeat(picture[None], len(part), axis=0)  # (≤ step, H, W, C)
        for n, (i, j) in enumerate(part):
            covered[n, i : i + patch, j : j + patch] = fill
        kept.append(nn.predict(weights, covered, spec)[:, class_index])
    return np.concatenate(kept).reshape(count, count).astype(np.float32)


# --- top examples ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TopExamples:
    """For every filter of one layer, the digits that excite it most.

    A digit's *activation* for a filter is the largest value in that filter's map (after the
    ReLU, or after pooling for a pooling layer): how strongly the feature is found anywhere.

    Attributes
    ----------
    layer : int
    name : str
    indices : ndarray of int, shape (F, count)
        Per filter, the digits' indices into the ``x`` given, strongest first (ties: the lower
        index first).
    values : ndarray of float32, shape (F, count)
        Their activations.
    cells : ndarray of int, shape (F, count, 2)
        Where in the map each was largest (row, col): the first such cell in reading order.
    patches : ndarray of float32, shape (F, count, r, r), or (F, count, r, r, C) for C > 1
        The input each of those cells sees (its receptive field, ``r × r``).
    mean : ndarray of float32, shape (F,)
        Each filter's activation averaged over all the digits: what "high" is measured against.
    """

    layer: int
    name: str
    indices: np.ndarray
    values: np.ndarray
    cells: np.ndarray
    patches: np.ndarray
    mean: np.ndarray

    def __repr__(self) -> str:
        f, count = self.indices.shape
        return f"TopExamples({self.name}: {f} filters × top {count})"


def layer_maxima(
    weights: Sequence[np.ndarray], spec: ModelSpec | None, x: np.ndarray, layer: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every digit's activation for every filter of ``layer``, and where it was.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)
        Pictures of the spec's input shape.

    Returns
    -------
    values : ndarray of float32, shape (N, F)
        The largest value in each filter's map.
    cells : ndarray of int, shape (N, F, 2)
        Its (row, col), the first in reading order.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> zeros = [np.zeros(s, np.float32) for s in nn.weight_shapes(spec)]
    >>> values, cells = layer_maxima(zeros, spec, np.zeros((3, 28, 28, 1)), 0)
    >>> values.shape, cells.shape
    ((3, 2), (3, 2, 2))
    """
    spec = spec or ModelSpec()
    layer = _as_layer(spec, layer)
    x = as_float_array(x, "x", (4,))
    weights = nn._check(weights, x, spec)  # float32 weights of the spec's shapes
    values, cells = [], []
    step = nn._chunk(spec)  # the patch matrices of a wide model's chunk stay within budget
    for i in range(0, len(x), step):
        maps = nn._forward_all(weights, x[i : i + step], spec, last=layer)[0][-1]  # (n,H,W,F)
        n, h, w, f = maps.shape
        flat = maps.transpose(0, 3, 1, 2).reshape(n, f, h * w)  # (n, F, H·W)
        where = flat.argmax(axis=2)  # (n, F)
        values.append(np.take_along_axis(flat, where[..., None], axis=2)[..., 0])
        cells.append(np.stack([where // w, where % w], axis=-1))
    return np.concatenate(values), np.concatenate(cells)


def top_examples(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    x: np.ndarray,
    layer: int,
    *,
    count: int = 9,
) -> TopExamples:
    """The ``count`` digits of ``x`` that excite each filter of ``layer`` most.

    Parameters
    ----------
    weights : list of ndarray
    spec : ModelSpec or None
    x : ndarray, shape (N, H, W, C)
        The pictures to search (the page uses the test digits).
    layer : int
        A conv or pooling layer (see :func:`spatial_layers`).
    count : int
        How many per filter, 1 to N.

    Returns
    -------
    TopExamples

    Examples
    --------
    >>> spec = ModelSpec(filters=(1,), dense_units=4)
    >>> weights = [np.ones(s, np.float32) for s in nn.weight_shapes(spec)]  # sums 3×3 windows
    >>> x = np.zeros((4, 28, 28, 1)); x[2, 10, 10] = 1; x[3, 5:7, 5:7] = 1
    >>> top = top_examples(weights, spec, x, 0, count=2)
    >>> top.indices.tolist(), top.values.tolist(), top.cells.tolist()  # 4 ink pixels, then 1
    ([[3, 2]], [[5.0, 2.0]], [[[4, 4], [8, 8]]])
    """
    spec = spec or ModelSpec()
    layer = _as_layer(spec, layer)
    x = as_float_array(x, "x", (4,))
    count = as_whole(count, "count", 1, len(x))
    values, cells = layer_maxima(weights, spec, x, layer)  # (N, F), (N, F, 2)
    order = np.argsort(-values, axis=0, kind="stable")[:count].T  # (F, count)
    filters = np.arange(values.shape[1])[:, None]
    chosen_cells = cells[order, filters]  # (F, count, 2)
    size = field_rule(spec, layer).size
    patches = np.zeros((*order.shape, size, size, spec.channels), np.float32)
    for f, n in np.ndindex(order.shape):
        r0, r1, c0, c1 = receptive_field(spec, layer, tuple(int(v) for v in chosen_cells[f, n]))
        patches[f, n, : r1 - r0, : c1 - c0] = x[order[f, n], r0:r1, c0:c1]
    if spec.channels == 1:
        patches = patches[..., 0]  # (F, count, r, r), as MNIST's pages show them
    return TopExamples(
        layer=layer,
        name=architecture(spec)[layer].name,
        indices=order,
        values=values[order, filters].astype(np.float32),
        cells=chosen_cells,
        patches=patches,
        mean=values.mean(axis=0).astype(np.float32),
    )


# --- Grad-CAM -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradCam:
    """Grad-CAM of one digit for one class.

    Attributes
    ----------
    layer : int
        The conv layer whose maps are weighed.
    map : ndarray of float32, shape (H, W)
        ``ReLU(Σ_f α_f · A_f)``, ``α_f`` the mean over the map of ``∂z_class / ∂A_f``.
    on_input : ndarray of float32, shape (H, W), the input's (28×28 for MNIST)
        Each input pixel's share: the mean of ``map`` over the cells whose receptive field
        holds that pixel (0 where none does).
    weights : ndarray of float32, shape (F,)
        The ``α_f``.
    """

    layer: int
    map: np.ndarray
    on_input: np.ndarray
    weights: np.ndarray


def conv_layers(spec: ModelSpec) -> list[int]:
    """The conv layers, numbered as Keras' ``model.layers``.

    >>> conv_layers(ModelSpec(filters=(4, 6, 8)))
    [0, 2, 4]
    """
    return [i for i, row in enumerate(architecture(spec)) if row.kind == "Conv2D"]


def layer_gradient(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    x: np.ndarray,
    class_index: int,
    layer: int,
) -> tuple[np.ndarray, np.ndarray]:
    """A layer's output and the gradient of a class score (before softmax) with respect to it.

    Parameters
    ----------
    x : ndarray, shape (N, H, W, C)

    Returns
    -------
    output, gradient : ndarray of float32, shape of the layer's output ``(N, ...)``

    Notes
    -----
    :mod:`~cnnviz.learning.nn`'s backward steps (``dense_backward``, ``conv_backward``,
    ``pool_backward``), from the output layer's scores down to ``layer``: the same chain rule
    as :func:`~cnnviz.learning.nn.gradients`, stopped before it reaches the input.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2,), dense_units=4)
    >>> ones = [np.ones(s, np.float32) for s in nn.weight_shapes(spec)]
    >>> output, d = layer_gradient(ones, spec, np.zeros((1, 28, 28, 1)), 3, 2)  # flatten
    >>> output.shape, float(d[0, 0])  # each flattened value reaches 4 units, each weighs 1
    ((1, 338), 4.0)
    """
    spec = spec or ModelSpec()
    x = np.asarray(x, dtype=np.float32)
    outputs, sums = nn.forward_with_sums(weights, x, spec)
    weights = [np.asarray(w, np.float32) for w in weights]
    d = np.zeros_like(outputs[-1])
    d[:, class_index] = 1.0  # ∂z/∂z for the class's score: no softmax in between
    return outputs[layer], nn.backward(
        weights, spec, x, outputs, sums, d, len(outputs) - 1, layer, from_sums=True
    )


def grad_cam(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    x: np.ndarray,
    class_index: int,
    *,
    layer: int | None = None,
) -> GradCam:
    """Grad-CAM: where in the last conv layer's maps the evidence for a class lies.

    Parameters
    ----------
    weights : list of ndarray
    spec : ModelSpec or None
        Must have at least two conv blocks: with one, the maps are nearly the input's size
        (26×26 for 3×3 kernels) and Grad-CAM is a blurrier saliency map (use
        :func:`cnnviz.learning.probe.saliency`).
    x : ndarray, shape (H, W, C) (MNIST: (28, 28, 1)); (H, W) for one channel
        One picture of the spec's input shape.
    class_index : int
    layer : int, optional
        A conv layer; defaults to the last one.

    Returns
    -------
    GradCam

    Raises
    ------
    ValueError
        For a model with one conv block, or a layer that is not a conv layer.

    Examples
    --------
    >>> spec = ModelSpec(filters=(2, 2), dense_units=4)
    >>> zeros = [np.zeros(s, np.float32) for s in nn.weight_shapes(spec)]
    >>> cam = grad_cam(zeros, spec, np.zeros((28, 28)), 3)
    >>> cam.layer, cam.map.shape, cam.on_input.shape, float(cam.map.max())
    (2, (11, 11), (28, 28), 0.0)
    """
    spec = spec or ModelSpec()
    if len(spec.filters) < 2:
        raise ValueError(
            "Grad-CAM needs a model with at least two conv blocks: this one has one, whose "
            "maps, nearly the input's size, would give a blurrier copy of the saliency map. "
            "Train a model with two or three blocks on the Train page."
        )
    convs = conv_layers(spec)
    layer = convs[-1] if layer is None else layer
    if layer not in convs:
        raise ValueError(
            f"`layer` must be a conv layer: one of {convs}. Received: layer={layer!r}."
        )
    picture = as_picture(x, spec)  # (H, W, C)
    class_index = as_whole(class_index, "class_index", 0, spec.classes - 1)
    maps, d = layer_gradient(weights, spec, picture[None], class_index, layer)
    alpha = d[0].mean(axis=(0, 1))  # (F,)
    cam = np.maximum(maps[0] @ alpha, 0).astype(np.float32)  # (H, W)
    total = np.zeros(spec.input_shape[:2], np.float64)
    seen = np.zeros(spec.input_shape[:2], np.float64)
    for r, c in np.ndindex(cam.shape):
        r0, r1, c0, c1 = receptive_field(spec, layer, (r, c))
        total[r0:r1, c0:c1] += cam[r, c]
        seen[r0:r1, c0:c1] += 1
    on_input = np.divide(total, seen, out=np.zeros_like(total), where=seen > 0)
    return GradCam(layer, cam, on_input.astype(np.float32), alpha.astype(np.float32))


# --- feature pictures -----------------------------------------------------------------------


@dataclass(frozen=True)
class FeaturePicture:
    """An input optimised to excite one filter or one class.

    Attributes
    ----------
    picture : ndarray of float32, shape (H, W) for one channel (28×28 for MNIST), (H, W, C) for
        colour
        Pixels in [0, 1].
    activation : float
        For a filter: its activation for the picture (the largest value in its map); for a
        class: its score before softmax.
    probability : float or None
        For a class: the probability the model gives it for the picture.
    start : float
        The same measure for the starting picture (noise).
    """

    picture: np.ndarray
    activation: float
    probability: float | None
    start: float


def _activation(weights, spec, x, layer, filter_index, class_index):
    """The measure feature_picture reports, for a batch (N, H, W, C): (N,)."""
    if class_index is not None:
        return nn.forward_with_sums(weights, x, spec)[1][-1][:, class_index]
    return layer_maxima(weights, spec, x, layer)[0][:, filter_index]


def _ascent_gradient(weights, spec, x, layer, cell) -> np.ndarray:
    """Gradient of one sum before its activation (a conv cell's, or a class score) w.r.t. the
    input (H, W, C): before the ReLU, so that a filter silent on the start still has a slope."""
    batch = x[None]
    outputs, sums = nn.forward_with_sums(weights, batch, spec)
    d = np.zeros_like(outputs[layer])
    d[(0, *cell)] = 1.0
    return nn.backward(weights, spec, batch, outputs, sums, d, layer, from_sums=True)[0]


def feature_picture(
    weights: Sequence[np.ndarray],
    spec: ModelSpec | None,
    *,
    layer: int | None = None,
    filter_index: int | None = None,
    class_index: int | None = None,
    steps: int = 80,
    rate: float = 0.1,
    blur: float = 0.4,
    blur_every: int = 8,
    jitter: int = 1,
    decay: float = 0.005,
    seed: int = 0,
    on_step=None,
) -> FeaturePicture:
    """Gradient ascent on the input: a picture the model finds very much like a feature.

    Give ``layer`` and ``filter_index`` (a conv or pooling layer's filter), or ``class_index``.

    Parameters
    ----------
    weights : list of ndarray
    spec : ModelSpec or None
    layer, filter_index : int
        The filter: its centre cell's sum before the ReLU is raised (for a pooling layer, the
        conv filter below it: pooling keeps what a filter found, it finds nothing new).
    class_index : int
        The class: its score before softmax is raised ("what the model thinks a 3 looks like").
    steps : int
        Gradient steps, 1 to 500.
    rate : float
        Each step moves the pixels by ``rate`` times the gradient divided by its largest value.
    blur, blur_every : float, int
        Every ``blur_every`` steps the picture is blurred (Gaussian, ``sigma = blur`` pixels):
        without it the ascent finds pixel noise.
    jitter : int
        Each step's gradient is taken on the picture shifted by up to ``jitter`` pixels, so no
        single pixel position is relied on.
    decay : float
        Each step the pixels shrink by this share: ink only where it helps.
    seed : int
        The starting picture (noise, pixels up to 0.5) and the jitter: same seed, same picture.
    on_step : callable, optional
        ``on_step(done, steps)`` after every step (a progress bar).

    Returns
    -------
    FeaturePicture

    Examples
    --------
    >>> spec = ModelSpec(filters=(1,), dense_units=4)
    >>> weights = [np.ones(s, np.float32) for s in nn.weight_shapes(spec)]  # sums 3×3 windows
    >>> made = feature_picture(weights, spec, layer=0, filter_index=0, steps=10)
    >>> made.start < made.activation <= 10.0  # 9 white pixels + bias 1 is the most there is
    True
    """
    spec = spec or ModelSpec()
    if (class_index is None) == (layer is None or filter_index is None):
        raise ValueError(
            "Give either `layer` and `filter_index` (a filter) or `class_index` (a class)."
        )
    steps = as_whole(steps, "steps", 1, 500)
    weights = [np.asarray(w, np.float32) for w in weights]
    if class_index is not None:
        class_index = as_whole(class_index, "class_index", 0, spec.classes - 1)
        target, cell = len(architecture(spec)) - 1, (class_index,)
    else:
        layer = _as_layer(spec, layer)
        h, w, f = architecture(spec)[layer].output_shape
        filter_index = as_whole(filter_index, "filter_index", 0, f - 1)
        target = max(i for i in conv_layers(spec) if i <= layer)  # a pool's filter: its conv's
        h, w, _ = architecture(spec)[target].output_shape
        cell = (h // 2, w // 2, filter_index)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 0.5, spec.input_shape).astype(np.float32)  # noise: some units active
    start = float(_activation(weights, spec, x[None], layer, filter_index, class_index)[0])
    for step in range(steps):
        dy, dx = rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0)
        moved = np.roll(x, (dy, dx), axis=(0, 1))
        g = _ascent_gradient(weights, spec, moved, target, cell)
        g = np.roll(g, (-dy, -dx), axis=(0, 1))
        largest = float(np.abs(g).max())
        if largest > 0:
            x = x + rate * g / largest
        x = x * (1 - decay)
        if blur and blur_every and (step + 1) % blur_every == 0:
            x = gaussian_filter(x, (blur, blur, 0))  # within each channel
        x = np.clip(x, 0, 1).astype(np.float32)
        if on_step is not None:
            on_step(step + 1, steps)
    batch = x[None]
    activation = float(_activation(weights, spec, batch, layer, filter_index, class_index)[0])
    probability = None
    if class_index is not None:
        probability = float(nn.predict(weights, batch, spec)[0, class_index])
    picture = x[:, :, 0] if spec.channels == 1 else x
    return FeaturePicture(picture, activation, probability, start)
