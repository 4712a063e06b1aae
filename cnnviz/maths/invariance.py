"""Translation invariance: what survives when the picture moves a few pixels.

A feature pipeline here is one stage of a CNN: convolve with a kernel, apply ReLU, pool. This
module runs it on an image and on a shifted copy and measures what changed: at one stage
(:func:`compare_shift`), in the article's tiny example (:func:`article_example`), and for one,
two and three stages stacked (:func:`depth_curve`).

Letters used in shapes below: ``H, W`` image height and width, ``H_out, W_out`` pooled height
and width, ``S`` number of stages, ``D`` number of shifts.

The convolution always uses ``padding="same"``, so feature-map pixel ``(r, c)`` sits over image
pixel ``(r, c)`` and a shift of the image is the same shift of the feature map. Colour images
are turned to grayscale (luma) first, so there is exactly one feature map to look at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz._validate import Pair, as_float_array
from cnnviz.maths.activations import relu as _relu
from cnnviz.maths.kernels import KERNELS
from cnnviz.maths.ops import conv2d, pool2d
from cnnviz.maths.pixels import shift, to_grayscale

__all__ = [
    "ARTICLE_CROSSES",
    "ARTICLE_EYES",
    "ARTICLE_KERNEL",
    "ARTICLE_KEEPS",
    "DEPTH_STACKS",
    "RTOL",
    "DepthCurve",
    "DepthStack",
    "ShiftComparison",
    "Stage",
    "article_example",
    "article_image",
    "compare_shift",
    "cosine_change",
    "depth_curve",
    "run_stage",
    "stack_outputs",
]

#: A pooled cell counts as unchanged when it moved by at most this share of the largest pooled
#: value of the two maps: float32 rounding, a million times below anything a colour can show.
RTOL = 1e-5


@dataclass(frozen=True)
class Stage:
    """One pass through convolution, ReLU and pooling, every step kept.

    Attributes
    ----------
    image : ndarray of float32, shape (H, W)
        The grayscale input.
    feature : ndarray of float32, shape (H, W)
        The convolution (``padding="same"``), after ReLU when it was asked for.
    pooled : ndarray of float32, shape (H_out, W_out)
        The pooled feature map.
    """

    image: np.ndarray
    feature: np.ndarray
    pooled: np.ndarray

    def __repr__(self) -> str:
        shapes = f"{self.image.shape} → feature {self.feature.shape} → pooled {self.pooled.shape}"
        return f"Stage(image {shapes})"


def run_stage(
    x: np.ndarray,
    kernel: np.ndarray,
    *,
    relu: bool = True,
    size: int | Pair = 2,
    stride: int | Pair | None = None,
    mode: str = "max",
    padding: str = "valid",
) -> Stage:
    """Convolve ``x`` with ``kernel`` (``padding="same"``), apply ReLU, then pool.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, 3)
        Image; colour is turned to grayscale first.
    kernel : ndarray, shape (kh, kw)
    relu : bool
        Set negative responses to 0 before pooling, as a CNN layer does.
    size, stride, mode, padding
        Pooling options, as for :func:`cnnviz.maths.ops.pool2d` (stride defaults to ``size``).

    Returns
    -------
    Stage
        ``feature`` has shape (H, W); ``pooled`` has shape (H_out, W_out) with
        ``H_out = output_size(H, size, stride, padding)``.

    Raises
    ------
    ValueError
        When an argument is malformed or the pooling window does not fit.

    Examples
    --------
    A 4×4 image with one bright pixel, the spot detector "centre minus its eight neighbours":

    >>> x = np.zeros((4, 4)); x[1, 2] = 1.0
    >>> k = KERNELS["Edge detection 3"].values
    >>> s = run_stage(x, k)
    >>> s.feature[0]
    array([0., 0., 0., 0.], dtype=float32)
    >>> s.pooled
    array([[0., 8.],
           [0., 0.]], dtype=float32)

    By hand: at the spot the kernel gives ``8·1 − (eight neighbours, all 0) = 8``; next to it the
    centre tap sees 0 and one neighbour tap sees the spot, ``−1``, which ReLU turns into 0. The
    top-right 2×2 window (rows 0–1, columns 2–3) holds the 8. Without ReLU the −1s survive, and
    averaging mixes them in: that window becomes ``(−1 − 1 + 8 − 1) / 4 = 1.25``.

    >>> run_stage(x, k, relu=False, mode="average").pooled
    array([[-0.5 ,  1.25],
           [-0.25, -0.5 ]], dtype=float32)
    """
    image = _gray(x)
    kernel = as_float_array(kernel, "kernel", (2,))
    feature = conv2d(image, kernel, padding="same")  # (H, W)
    if relu:
        feature = _relu(feature)
    pooled = pool2d(feature, size=size, stride=stride, mode=mode, padding=padding)
    return Stage(image, feature, pooled)


@dataclass(frozen=True)
class ShiftComparison:
    """The same stage run on an image and on a copy shifted by ``(dx, dy)``.

    Attributes
    ----------
    dx, dy : int
        The shift: right and down are positive.
    original, shifted : Stage
    difference : ndarray of float32, shape (H_out, W_out)
        ``shifted.pooled - original.pooled``, cell by cell at the same position.
    feature_difference : ndarray of float32, shape (H, W)
        ``shifted.feature - original.feature``: the change before pooling.
    unchanged : ndarray of bool, shape (H_out, W_out)
        ``|difference| <= tolerance``.
    share_unchanged : float
        Share of pooled cells that did not change, in [0, 1]. Telling on drawings (a black
        background stays black), not on photos, where almost every cell moves a little.
    feature_change, pooled_change : float
        How much the feature map and the pooled map changed as patterns:
        :func:`cosine_change` of the map before and after the shift, the measure of
        :func:`depth_curve`. ``pooled_change < feature_change`` is pooling at work.
    largest_change : float
        ``max |difference|``.
    peak : float
        Largest absolute value in the two pooled maps (the scale of a change).
    tolerance : float
        ``RTOL * peak``: a cell counts as unchanged within this.
    """

    dx: int
    dy: int
    original: Stage
    shifted: Stage
    difference: np.ndarray
    feature_difference: np.ndarray
    unchanged: np.ndarray
    share_unchanged: float
    feature_change: float
    pooled_change: float
    largest_change: float
    peak: float
    tolerance: float

    @property
    def identical(self) -> bool:
        """True when every pooled cell is unchanged."""
        return bool(self.unchanged.all())

    @property
    def change_scale(self) -> str:
        """How to read :attr:`feature_change` and :attr:`pooled_change` for these maps.

        ``1 − cosine`` stays within [0, 1] for maps without negative values (ReLU on); with
        negative values it reaches 2 when one map is the other's negative.
        """
        if min(self.original.feature.min(), self.shifted.feature.min()) >= 0:
            return "0 = the same, 1 = nothing in common"
        return "0 = the same, 1 = unrelated, 2 = opposite"

    @property
    def change_removed(self) -> float | None:
        """Share of the feature map's change that pooling took away, ``1 − pooled / feature``.

        Negative when pooling made the change larger; None when the feature map did not change
        at all (nothing to take away).
        """
        if self.feature_change == 0.0:
            return None
        return 1.0 - self.pooled_change / self.feature_change

    def __repr__(self) -> str:
        return (
            f"ShiftComparison(dx={self.dx}, dy={self.dy}, change feature map "
            f"{self.feature_change:.3f} → pooled map {self.pooled_change:.3f}, "
            f"largest change {self.largest_change:.4g})"
        )


def compare_shift(
    x: np.ndarray,
    kernel: np.ndarray,
    dx: int,
    dy: int,
    *,
    relu: bool = True,
    size: int | Pair = 2,
    stride: int | Pair | None = None,
    mode: str = "max",
    padding: str = "valid",
    rtol: float = RTOL,
    original: Stage | None = None,
) -> ShiftComparison:
    """Run one stage on ``x`` and on ``x`` shifted by ``(dx, dy)``; measure what changed.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, 3)
    kernel : ndarray, shape (kh, kw)
    dx, dy : int
        Pixels to move the image right and down (negative: left and up); the uncovered border
        is filled with 0, as :func:`cnnviz.maths.pixels.shift` does.
    relu, size, stride, mode, padding
        As for :func:`run_stage`.
    rtol : float
        A cell is unchanged when ``|after − before| <= rtol · peak``; see :data:`RTOL`.
    original : Stage, optional
        ``run_stage(x, kernel, ...)`` if the caller has it already (it is not recomputed).

    Returns
    -------
    ShiftComparison
        Pooled maps of shape (H_out, W_out), compared cell by cell at the same position.

    Notes
    -----
    Maps are compared at the same cells, without moving anything back: that is what invariance
    means, the output does not notice the move. A max-pooled cell survives a shift when its
    winning value stays inside the same window. The zero fill brings a strip of black in at one
    edge, so cells there change whatever the pooling.

    Two measures. ``share_unchanged`` counts pooled cells that did not move at all; on a photo
    nearly every cell moves a little, and on a drawing the black background counts as
    "unchanged" in the feature map too, so the share says little about pooling. The pattern
    change ``1 − cos(before, after)`` (:func:`cosine_change`, as :func:`depth_curve` measures
    it) of the feature map and of the pooled map asks the article's question: do the strong
    responses still light up the same cells? It does not depend on how many cells a map has,
    so the two maps can be compared with each other.

    Examples
    --------
    >>> x = np.zeros((4, 4)); x[1, 2] = 1.0
    >>> k = KERNELS["Edge detection 3"].values
    >>> c = compare_shift(x, k, 1, 0)
    >>> c.shifted.pooled
    array([[0., 8.],
           [0., 0.]], dtype=float32)
    >>> c.share_unchanged, c.largest_change
    (1.0, 0.0)
    >>> c.feature_change, c.pooled_change
    (1.0, 0.0)

    The spot moved from column 2 to column 3, inside the same 2×2 window: the feature map lights
    a different cell (nothing in common, change 1), the pooled map is the same (change 0). Moved
    left instead, it lands in column 1, the window next door, and two of the four pooled cells
    change by 8:

    >>> c = compare_shift(x, k, -1, 0)
    >>> c.difference
    array([[ 8., -8.],
           [ 0.,  0.]], dtype=float32)
    >>> c.share_unchanged, c.largest_change, c.pooled_change
    (0.5, 8.0, 1.0)
    """
    dx, dy = _shift_amount(dx, "dx"), _shift_amount(dy, "dy")
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float)) or not 0 <= rtol < 1:
        raise ValueError(f"`rtol` must be a number in [0, 1). Received: rtol={rtol!r}.")
    options = {"relu": relu, "size": size, "stride": stride, "mode": mode, "padding": padding}
    if original is None:
        original = run_stage(x, kernel, **options)
    moved = run_stage(shift(original.image, dx, dy), kernel, **options)
    difference = moved.pooled - original.pooled  # (H_out, W_out)
    peak = float(max(np.abs(original.pooled).max(), np.abs(moved.pooled).max()))
    tolerance = rtol * peak
    unchanged = np.abs(difference) <= tolerance
    return ShiftComparison(
        dx=dx,
        dy=dy,
        original=original,
        shifted=moved,
        difference=difference,
        feature_difference=moved.feature - original.feature,  # (H, W)
        unchanged=unchanged,
        share_unchanged=float(unchanged.mean()),
        feature_change=cosine_change(original.feature, moved.feature),
        pooled_change=cosine_change(original.pooled, moved.pooled),
        largest_change=float(np.abs(difference).max()),
        peak=peak,
        tolerance=tolerance,
    )


# --- the article's example ------------------------------------------------------------------

#: ``(row, col)`` of the two one-pixel "eyes" in :func:`article_image`: both in even columns,
#: so each sits in the left half of a 2×2 pooling window.
ARTICLE_EYES = ((3, 2), (3, 4))
#: The spot detector: centre ×8 minus each of its eight neighbours. On a lone bright pixel it
#: gives 8 there and −1 around it, which ReLU removes: the feature map lights up only at eyes.
ARTICLE_KERNEL = KERNELS["Edge detection 3"].values
#: ``(dx, dy)`` that keeps the 2×2, stride-2 max-pooled map identical: each eye moves from the
#: left to the right half of its window.
ARTICLE_KEEPS = (1, 0)
#: ``(dx, dy)`` that moves each eye across a window boundary, into the next window.
ARTICLE_CROSSES = (2, 0)


def article_image() -> np.ndarray:
    """An 8×8 black picture with two bright one-pixel "eyes" at :data:`ARTICLE_EYES`.

    Returns
    -------
    ndarray of float32, shape (8, 8)

    Examples
    --------
    >>> img = article_image()
    >>> img.shape, float(img.sum()), float(img[3, 2])
    ((8, 8), 2.0, 1.0)
    """
    image = np.zeros((8, 8), np.float32)
    for r, c in ARTICLE_EYES:
        image[r, c] = 1.0
    return image


def article_example(dx: int = ARTICLE_KEEPS[0], dy: int = ARTICLE_KEEPS[1]) -> ShiftComparison:
    """The article's demonstration: spot detector, ReLU, 2×2 max pooling with stride 2.

    Parameters
    ----------
    dx, dy : int
        Shift of :func:`article_image`; :data:`ARTICLE_KEEPS` leaves the pooled map identical,
        :data:`ARTICLE_CROSSES` changes it.

    Returns
    -------
    ShiftComparison
        Pooled maps of shape (4, 4).

    Examples
    --------
    >>> article_example(1, 0).original.pooled
    array([[0., 0., 0., 0.],
           [0., 8., 8., 0.],
           [0., 0., 0., 0.],
           [0., 0., 0., 0.]], dtype=float32)
    >>> c = article_example(1, 0)
    >>> c.identical, c.feature_change, c.pooled_change
    (True, 1.0, 0.0)

    One pixel right: the eyes move to columns 3 and 5, still in windows 1 and 2, so the pooled
    map is the same although the feature map lights none of the cells it lit before. Two pixels
    right, they land in columns 4 and 6, windows 2 and 3: one of the two lit pooled cells is
    still lit, so half the pattern survives (``1 − 64 / (√128 · √128) = 0.5``):

    >>> c = article_example(2, 0)
    >>> c.identical, c.shifted.pooled[1].tolist(), c.pooled_change
    (False, [0.0, 0.0, 8.0, 8.0], 0.5)
    """
    return compare_shift(article_image(), ARTICLE_KERNEL, dx, dy, size=2, stride=2, mode="max")


# --- depth adds tolerance -------------------------------------------------------------------


@dataclass(frozen=True)
class DepthStack:
    """A fixed stack of stages for the depth chart: one 2-D kernel per stage and why."""

    name: str
    kernels: tuple[np.ndarray, ...]
    description: str

    def __repr__(self) -> str:
        return f"DepthStack({self.name!r}, {len(self.kernels)} stages: {self.description})"


#: The stacks the depth chart offers. Every stage is conv (``"same"``) → ReLU → 2×2 max pool.
DEPTH_STACKS: dict[str, DepthStack] = {
    s.name: s
    for s in [
        DepthStack(
            "Edges, then blur",
            (
                KERNELS["Sobel x"].values,
                KERNELS["Gaussian blur 3×3"].values,
                KERNELS["Gaussian blur 3×3"].values,
            ),
            "Stage 1 finds vertical edges (Sobel x); stages 2 and 3 add up neighbouring "
            "responses (Gaussian blur), as later layers of a CNN combine what earlier ones found.",
        ),
        DepthStack(
            "Edges, then pooling only",
            (
                KERNELS["Sobel x"].values,
                KERNELS["Identity"].values,
                KERNELS["Identity"].values,
            ),
            "Stage 1 finds vertical edges; stages 2 and 3 copy their input (identity kernel), "
            "so all they add is another 2×2 max pool: any extra tolerance is pooling's doing.",
        ),
        DepthStack(
            "Edges at every stage",
            (KERNELS["Sobel x"].values,) * 3,
            "Sobel x at every stage: each stage looks for edges in the edges. A counter-example: "
            "differencing again undoes much of what pooling gained.",
        ),
    ]
}


def stack_outputs(x: np.ndarray, kernels: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The output of each stage of conv (``"same"``) → ReLU → 2×2 max pool, stacked.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, 3)
    kernels : sequence of S arrays, each of shape (kh, kw)

    Returns
    -------
    list of S ndarrays of float32
        Stage ``s`` (counting from 1) has shape ``(H // 2**s, W // 2**s)``.

    Examples
    --------
    >>> outs = stack_outputs(np.ones((8, 8)), [np.ones((1, 1))] * 3)
    >>> [o.shape for o in outs]
    [(4, 4), (2, 2), (1, 1)]
    """
    image = _gray(x)
    if len(kernels) == 0:
        raise ValueError("`kernels` must hold at least one kernel. Received: kernels=[].")
    outputs = []
    for kernel in kernels:
        image = run_stage(image, kernel, size=2, mode="max").pooled  # (H / 2, W / 2)
        outputs.append(image)
    return outputs


def cosine_change(a: np.ndarray, b: np.ndarray) -> float:
    """How different two maps are as patterns: ``1 − cosine similarity``.

    Parameters
    ----------
    a, b : ndarray, same shape

    Returns
    -------
    float
        0 when ``b`` is a positive multiple of ``a``; for non-negative maps (after ReLU and max
        pooling) at most 1, reached when they have no lit cell in common. Two all-zero maps
        give 0; one all-zero map against a lit one gives 1.

    Examples
    --------
    >>> cosine_change(np.array([1.0, 0.0]), np.array([2.0, 0.0]))
    0.0
    >>> cosine_change(np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    1.0
    >>> round(cosine_change(np.array([1.0, 1.0]), np.array([1.0, 0.0])), 4)
    0.2929
    """
    # Sums in float64 without float64 copies of the maps: a 1024×1024 map's two 8 MB copies
    # made this 12-40 ms of every shift on the Pooling page; einsum casts as it goes (5 ms).
    a, b = (_float_array(m).ravel() for m in (a, b))
    if a.shape != b.shape:
        raise ValueError(
            f"`a` and `b` must have the same shape. Received: {a.shape} and {b.shape}."
        )
    if np.array_equal(a, b):
        return 0.0  # exactly, not 1e-16 of rounding
    na, nb = (float(np.sqrt(np.einsum("i,i->", m, m, dtype=np.float64))) for m in (a, b))
    if na == 0.0 or nb == 0.0:
        return 0.0 if na == nb else 1.0
    return float(max(0.0, 1.0 - np.einsum("i,i->", a, b, dtype=np.float64) / (na * nb)))


def _float_array(m: np.ndarray) -> np.ndarray:
    """``m`` as float32 or float64, whichever it is (anything else as float64)."""
    m = np.asarray(m)
    return m if m.dtype in (np.float32, np.float64) else m.astype(np.float64)


@dataclass(frozen=True)
class DepthCurve:
    """Output change against shift, for 1 … S stages.

    Attributes
    ----------
    shifts : tuple of int, length D
        Shifts along x, in pixels.
    change : ndarray of float, shape (S, D)
        ``change[s - 1, i]``: :func:`cosine_change` between the stage-``s`` outputs of the
        image and of the image shifted by ``shifts[i]``.
    margin : int
        Input pixels left out at every edge before comparing.
    compared : tuple of (int, int), length S
        ``(rows, cols)`` of the cells compared at each depth, after leaving out the margin:
        few cells (a small image) make a jagged curve.
    """

    shifts: tuple[int, ...]
    change: np.ndarray
    margin: int
    compared: tuple[tuple[int, int], ...] = ()

    @property
    def stages(self) -> int:
        return self.change.shape[0]

    def exceptions(self) -> list[int]:
        """Non-zero shifts at which a deeper stack did *not* change less than a shallower one."""
        return [
            d
            for i, d in enumerate(self.shifts)
            if d != 0 and not (np.diff(self.change[:, i]) < 0).all()
        ]

    @property
    def holds(self) -> bool:
        """True when, at every non-zero shift, each extra stage made the change smaller."""
        return not self.exceptions()

    def __repr__(self) -> str:
        rows = "; ".join(
            f"{s + 1} stage{'s' if s else ''}: " + " ".join(f"{v:.2f}" for v in self.change[s])
            for s in range(self.stages)
        )
        return f"DepthCurve(shifts {self.shifts[0]}…{self.shifts[-1]} px; {rows})"


def depth_curve(
    x: np.ndarray,
    *,
    kernels: Sequence[np.ndarray] = DEPTH_STACKS["Edges, then blur"].kernels,
    shifts: Sequence[int] = tuple(range(9)),
    margin: int = 16,
) -> DepthCurve:
    """Measure how much 1, 2, … S stacked stages change when ``x`` moves right by each shift.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, 3)
        A real picture works best; colour is turned to grayscale. Each side must be at least
        ``2 · margin + 2**S`` pixels.
    kernels : sequence of S arrays, shape (kh, kw)
        One kernel per stage; see :data:`DEPTH_STACKS`.
    shifts : sequence of D non-negative ints
        Shifts along x, in pixels.
    margin : int
        Input pixels to leave out at every edge before comparing (see Notes).

    Returns
    -------
    DepthCurve
        ``change`` has shape (S, D).

    Raises
    ------
    ValueError
        Bad shifts or margin, or an image too small for S stages.

    Notes
    -----
    For each shift ``d`` and depth ``s`` the image and ``shift(x, d, 0)`` go through the same
    ``s`` stages (:func:`stack_outputs`) and the two outputs are compared cell by cell at the
    same position, without moving anything back: invariance means the output does not notice.

    The measure is :func:`cosine_change`, ``1 − a·b / (|a| |b|)``. It is fair across depths:
    it does not depend on how many cells a map has (a stage-3 map has 64 times fewer) or on
    its overall size (values grow or shrink from stage to stage); it asks only whether the
    same cells light up in the same proportions.

    The zero fill of the shift and the zero padding of every convolution change the cells near
    the edges whatever the pooling does, so both maps lose the cells that cover the outer
    ``margin`` input pixels: ``ceil(margin / 2**s)`` cells at depth ``s``. The default 16 covers
    the largest default shift (8) plus the reach of a 3-stage stack beyond its own cells (7).

    Why depth helps: stage ``s`` has one cell per ``2**s × 2**s`` block of pixels, so a
    ``d``-pixel move is only ``d / 2**s`` of a cell, and each max pool keeps its winner wherever
    it sits inside the window. That holds when later stages combine neighbouring responses
    (blur, or just pooling); a later stage that takes differences again (an edge kernel on an
    edge map, see ``DEPTH_STACKS["Edges at every stage"]``) can give the gain back.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((64, 64))
    >>> curve = depth_curve(x, shifts=[0, 1, 2])
    >>> curve.change.shape, float(curve.change[0, 0])
    ((3, 3), 0.0)
    >>> curve.compared
    ((16, 16), (8, 8), (4, 4))
    >>> bool(curve.change[2, 1] < curve.change[0, 1])
    True
    """
    image = _gray(x)
    kernels = [as_float_array(k, "kernels", (2,)) for k in kernels]
    if not kernels:
        raise ValueError("`kernels` must hold at least one kernel. Received: kernels=[].")
    shifts = tuple(_shift_amount(d, "shifts") for d in shifts)
    if not shifts or min(shifts) < 0:
        raise ValueError(
            f"`shifts` must be a non-empty list of pixels >= 0. Received: shifts={list(shifts)}."
        )
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < 0:
        raise ValueError(f"`margin` must be an integer >= 0. Received: margin={margin!r}.")
    stages = len(kernels)
    smallest = 2 * margin + 2**stages
    if min(image.shape) < smallest:
        raise ValueError(
            f"The image is too small for {stages} stages: each side needs at least "
            f"{smallest} pixels (2·margin + 2**{stages}), this one is "
            f"{image.shape[0]}×{image.shape[1]}. Use a larger image or a smaller margin."
        )
    base = stack_outputs(image, kernels)
    inner = []
    for s, a in enumerate(base):
        m = -(-margin // 2 ** (s + 1))  # cells covering the outer `margin` pixels
        inner.append((slice(m, a.shape[0] - m), slice(m, a.shape[1] - m)))
    change = np.zeros((stages, len(shifts)))  # (S, D)
    for i, d in enumerate(shifts):
        moved = stack_outputs(shift(image, d, 0), kernels)
        for s, (a, b) in enumerate(zip(base, moved)):
            change[s, i] = cosine_change(a[inner[s]], b[inner[s]])
    compared = tuple(a[cut].shape for a, cut in zip(base, inner))
    return DepthCurve(shifts, change, int(margin), compared)


# --- helpers --------------------------------------------------------------------------------


def _gray(x):
    x = as_float_array(x, "x", (2, 3))
    if x.ndim == 3 and x.shape[2] != 3:
        raise ValueError(f"`x` must be (H, W) or (H, W, 3). Received: x.shape={x.shape}.")
    return to_grayscale(x)


def _shift_amount(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"`{name}` must be a whole number of pixels. Received: {name}={value!r}.")
    return int(value)
