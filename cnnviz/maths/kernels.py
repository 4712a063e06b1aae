"""Named kernels and the reading of kernels that people type.

Every preset is data: a :class:`Kernel` with its values and one plain sentence on what it does.
The classic ones are built from their parts where that teaches something — a Sobel filter is a
smoothing column times a difference row; its y version is the x version transposed.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np

__all__ = [
    "KERNELS",
    "MAX_KERNEL_SIZE",
    "MAX_KERNEL_TEXT",
    "MAX_KERNEL_VALUE",
    "Kernel",
    "KernelError",
    "check_kernel",
    "eye_detector",
    "format_kernel",
    "normalise_kernel",
    "parse_kernel",
    "random_kernel",
    "resize_kernel",
]

MAX_KERNEL_SIZE = 15
#: Largest magnitude of a kernel entry. Maps are computed in float32 (largest ~3.4e38); with
#: pixels in [0, 1] and at most 15×15 entries, this keeps every map value, every colour-bar
#: range and every step-through sum a finite, readable number.
MAX_KERNEL_VALUE = 1e6
#: Longest kernel text read: a 15×15 kernel of long decimals fits in a few thousand characters.
MAX_KERNEL_TEXT = 20_000


class KernelError(ValueError):
    """A kernel the user typed cannot be used; the message says why and how to fix it."""


@dataclass(frozen=True)
class Kernel:
    """A named kernel with a one-sentence description a newcomer can read."""

    name: str
    values: np.ndarray
    description: str

    def __repr__(self) -> str:
        h, w = self.values.shape
        return f"Kernel({self.name!r}, {h}×{w}: {self.description})"


_SMOOTH = np.array([1.0, 2.0, 1.0])  # a 1-2-1 blur along one axis
_DIFF = np.array([-1.0, 0.0, 1.0])  # right minus left
_FLAT = np.ones(3)
_BINOMIAL5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0])

_SOBEL_X = np.outer(_SMOOTH, _DIFF)
_PREWITT_X = np.outer(_FLAT, _DIFF)
_GAUSS3 = np.outer(_SMOOTH, _SMOOTH) / 16
_GAUSS5 = np.outer(_BINOMIAL5, _BINOMIAL5) / 256
_IDENTITY3 = np.zeros((3, 3))
_IDENTITY3[1, 1] = 1
_IDENTITY5 = np.zeros((5, 5))
_IDENTITY5[2, 2] = 1
_LAPLACIAN = np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]])


def eye_detector(pupil_radius: float = 1.5, eye_radius: float = 3.5) -> np.ndarray:
    """A kernel that responds to a dark round pupil inside a bright round eye.

    Taps on the bright ring weigh +1, taps on the pupil weigh enough below zero that the kernel
    sums to 0: a flat patch of any brightness scores 0, an eye scores high.

    Parameters
    ----------
    pupil_radius, eye_radius : float
        Radii in pixels of the dark centre and of the whole eye.

    Returns
    -------
    ndarray, shape (2n + 1, 2n + 1) with ``n = floor(eye_radius)``

    Examples
    --------
    >>> k = eye_detector()
    >>> k.shape, round(float(k.sum()), 9), round(float(k[3, 3]), 2), float(k[0, 3])
    ((7, 7), 0.0, -3.11, 1.0)

    The 28 ring taps at +1 balance the 9 pupil taps at −28/9 each.
    """
    n = math.floor(eye_radius)
    rr, cc = np.mgrid[-n : n + 1, -n : n + 1]
    distance = np.hypot(rr, cc)
    pupil = distance <= pupil_radius
    ring = (distance <= eye_radius) & ~pupil
    kernel = ring.astype(float)
    kernel[pupil] = -ring.sum() / pupil.sum()
    return kernel


KERNELS: dict[str, Kernel] = {
    k.name: k
    for k in [
        Kernel("Identity", _IDENTITY3, "Copies the image unchanged: only the centre tap counts."),
        Kernel(
            "Box blur", np.full((3, 3), 1 / 9), "Replaces each pixel by the mean of its 3×3 block."
        ),
        Kernel(
            "Gaussian blur 3×3",
            _GAUSS3,
            "A gentle blur that weighs near neighbours more than far ones (1-2-1 each way).",
        ),
        Kernel(
            "Gaussian blur 5×5",
            _GAUSS5,
            "A stronger, smoother blur over a 5×5 neighbourhood (1-4-6-4-1 in each direction).",
        ),
        Kernel(
            "Sharpen",
            np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
            "Adds the difference from the neighbours back to each pixel, so edges look crisper.",
        ),
        Kernel(
            "Unsharp masking 5×5",
            2 * _IDENTITY5 - _GAUSS5,
            "Subtracts a blurred copy from twice the image: a sharpen that is kinder to noise.",
        ),
        Kernel(
            "Edge detection 1",
            np.array([[1.0, 0, -1], [0, 0, 0], [-1, 0, 1]]),
            "Compares opposite corners: lights up on diagonal edges and corners.",
        ),
        Kernel(
            "Edge detection 2",
            -_LAPLACIAN,
            "Centre minus its four direct neighbours: zero on flat areas, strong on any edge.",
        ),
        Kernel(
            "Edge detection 3",
            9 * _IDENTITY3 - np.ones((3, 3)),
            "Centre minus all eight neighbours: outlines every edge in every direction.",
        ),
        Kernel(
            "Sobel x",
            _SOBEL_X,
            "Right minus left, smoothed down the column: finds vertical edges (brightness "
            "changing along x).",
        ),
        Kernel(
            "Sobel y",
            _SOBEL_X.T,
            "Below minus above (Sobel x turned on its side): finds horizontal edges.",
        ),
        Kernel(
            "Prewitt x",
            _PREWITT_X,
            "Like Sobel x but with a flat average down the column: finds vertical edges.",
        ),
        Kernel(
            "Prewitt y",
            _PREWITT_X.T,
            "Prewitt x turned on its side: finds horizontal edges.",
        ),
        Kernel(
            "Laplacian",
            _LAPLACIAN,
            "Sum of second differences: zero on flat areas and smooth ramps, ±on edges and spots.",
        ),
        Kernel(
            "Emboss",
            np.array([[-2.0, -1, 0], [-1, 1, 1], [0, 1, 2]]),
            "Lights edges from the top-left so the picture looks pressed into metal.",
        ),
        Kernel(
            "Eye detector",
            eye_detector(),
            "A bright ring around a dark centre: scores high where an eye is, 0 on flat areas "
            "(try it on the cartoon face).",
        ),
    ]
}

# ASCII digits only: Python's float() also reads other scripts' digits ("٣" is 3).
_NUMBER = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def parse_kernel(text: str) -> np.ndarray:
    """Read a kernel typed or pasted by a person.

    Accepted: rows separated by ``;`` or new lines, numbers in a row separated by spaces and/or
    commas, simple fractions (``1/16``), or a JSON list of lists.

    Parameters
    ----------
    text : str

    Returns
    -------
    ndarray of float64, shape (kh, kw), ``1 <= kh, kw <= 15``

    Raises
    ------
    KernelError
        Empty or overlong text, something that is not a number, rows of different lengths,
        NaN or infinity, an entry beyond ±``MAX_KERNEL_VALUE``, or more than 15×15. Every
        failure to read the text is a KernelError (JSON too deep or with a huge integer too).

    Examples
    --------
    >>> parse_kernel("1 0 -1; 2 0 -2; 1 0 -1")
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.],
           [ 1.,  0., -1.]])
    >>> parse_kernel("[[0.5, 0.5]]")
    array([[0.5, 0.5]])
    >>> parse_kernel("1e38 0; 0 1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnnviz.maths.kernels.KernelError: Row 1, entry 1 is 1e+38; kernel entries must lie between ...
    """
    if not isinstance(text, str) or not text.strip():
        raise KernelError(
            "The kernel is empty. Type rows of numbers, for example: 1 0 -1; 2 0 -2; 1 0 -1"
        )
    text = text.strip()
    if len(text) > MAX_KERNEL_TEXT:
        raise KernelError(
            f"The kernel text is {len(text):,} characters long; at most {MAX_KERNEL_TEXT:,} "
            f"are read (a {MAX_KERNEL_SIZE}×{MAX_KERNEL_SIZE} kernel needs far fewer)."
        )
    rows = _parse_json(text) if text.startswith("[") else _parse_rows(text)
    if not rows:  # only separators, e.g. ";;;"
        raise KernelError(
            "The kernel has no numbers. Type rows of numbers, for example: 1 0 -1; 2 0 -2; 1 0 -1"
        )
    widths = [len(row) for row in rows]
    h, w = len(rows), max(widths)
    if h > MAX_KERNEL_SIZE or w > MAX_KERNEL_SIZE:
        raise KernelError(
            f"A kernel can be at most {MAX_KERNEL_SIZE}×{MAX_KERNEL_SIZE}. Received: {h}×{w}."
        )
    if len(set(widths)) > 1:
        detail = ", ".join(f"row {i} has {w}" for i, w in enumerate(widths, 1))
        raise KernelError(f"Every row needs the same number of entries, but {detail}.")
    return check_kernel(np.array([[_as_float(v) for v in row] for row in rows]))


def check_kernel(kernel: np.ndarray) -> np.ndarray:
    """Return ``kernel`` as float64 if every entry is a number within ±``MAX_KERNEL_VALUE``.

    The one check for kernels from any editor: typed text (:func:`parse_kernel`), a grid cell,
    or the result of normalising.

    Raises
    ------
    KernelError
        NaN, or an entry beyond the range (infinity included), naming the first such cell.

    Examples
    --------
    >>> check_kernel(np.array([[1, -2]]))
    array([[ 1., -2.]])
    >>> check_kernel(np.array([[0.0, 2e6]]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cnnviz.maths.kernels.KernelError: Row 1, entry 2 is 2e+06; kernel entries must lie between ...
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if np.isnan(kernel).any():
        raise KernelError("The kernel holds NaN or infinity; use ordinary numbers only.")
    too_big = ~(np.abs(kernel) <= MAX_KERNEL_VALUE)
    if too_big.any():
        i, j = (int(n) for n in np.argwhere(too_big)[0])
        value = kernel[i, j]
        shown = f"is {value:.3g}" if np.isfinite(value) else "is too large to compute with"
        raise KernelError(
            f"Row {i + 1}, entry {j + 1} {shown}; kernel entries must lie between "
            f"{-MAX_KERNEL_VALUE:g} and {MAX_KERNEL_VALUE:g}."
        )
    return kernel


def _as_float(value: float | int) -> float:
    """``float(value)``, or ±infinity for a (JSON) integer too large for a float."""
    try:
        return float(value)
    except OverflowError:
        return np.inf if value > 0 else -np.inf


def _excerpt(text: str, limit: int = 24) -> str:
    """``repr(text)``, cut to about ``limit`` characters: an error echoes, never floods."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 1] + "…")


def format_kernel(kernel: np.ndarray, digits: int = 4) -> str:
    """Write a kernel as text that :func:`parse_kernel` reads back, one row per line.

    >>> print(format_kernel(np.array([[1, 0.5], [-2, 0]])))
    1 0.5
    -2 0
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    return "\n".join(" ".join(f"{v:.{digits}g}" for v in row) for row in kernel)


def normalise_kernel(kernel: np.ndarray) -> np.ndarray:
    """Scale a kernel so its entries sum to 1 (the image keeps its overall brightness).

    Raises
    ------
    KernelError
        When the entries sum to (almost) zero, as edge detectors do: there is nothing to scale.

    Examples
    --------
    >>> normalise_kernel(np.ones((2, 2)))
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    total = kernel.sum()
    if abs(total) < 1e-9 * max(1.0, np.abs(kernel).sum()):
        raise KernelError(
            "This kernel sums to 0 (like an edge detector), so it cannot be scaled to sum 1."
        )
    return check_kernel(kernel / total)  # a sum near 0 could push entries out of range


def random_kernel(size: int | tuple[int, int] = 3, seed: int | None = None) -> np.ndarray:
    """A kernel of normally distributed weights rounded to 1 decimal: what a layer starts from.

    >>> random_kernel(3, seed=0).shape
    (3, 3)
    """
    shape = (size, size) if isinstance(size, int) else tuple(size)
    if not all(1 <= n <= MAX_KERNEL_SIZE for n in shape):
        raise KernelError(
            f"A kernel can be at most {MAX_KERNEL_SIZE}×{MAX_KERNEL_SIZE}. Received: {shape}."
        )
    return np.round(np.random.default_rng(seed).normal(size=shape), 1)


def resize_kernel(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Grow or shrink a kernel to ``shape`` around its centre: new taps are 0, cut taps are lost.

    Growing a 3×3 kernel to 5×5 puts a ring of zeros around it, which leaves what it computes
    unchanged at every position it reaches (only the output size changes).

    Parameters
    ----------
    kernel : ndarray, shape (kh, kw)
    shape : (int, int)
        The new ``(kh, kw)``, each between 1 and 15. When a size changes by an odd amount, the
        extra row or column goes at the bottom or right.

    Returns
    -------
    ndarray of float64, shape ``shape``

    Examples
    --------
    >>> resize_kernel(np.array([[1.0, 2], [3, 4]]), (3, 3))
    array([[1., 2., 0.],
           [3., 4., 0.],
           [0., 0., 0.]])
    >>> resize_kernel(np.arange(9.0).reshape(3, 3), (1, 1))
    array([[4.]])
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if not all(isinstance(n, int) and 1 <= n <= MAX_KERNEL_SIZE for n in shape):
        raise KernelError(
            f"A kernel can be 1×1 to {MAX_KERNEL_SIZE}×{MAX_KERNEL_SIZE}. Received: {shape}."
        )
    out = np.zeros(shape)
    # Centre-aligned copy: for each axis, where the old taps start in the new grid (or vice versa).
    spans = []
    for old, new in zip(kernel.shape, shape):
        offset = (new - old) // 2 if new >= old else -((old - new) // 2)
        src = slice(max(0, -offset), max(0, -offset) + min(old, new))
        dst = slice(max(0, offset), max(0, offset) + min(old, new))
        spans.append((src, dst))
    (src_r, dst_r), (src_c, dst_c) = spans
    out[dst_r, dst_c] = kernel[src_r, src_c]
    return out


def _parse_json(text: str) -> list[list[float]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise KernelError(f"This looks like JSON but is not valid: {error.msg}.") from None
    except RecursionError:
        raise KernelError("This JSON is nested too deeply; a kernel is a list of rows.") from None
    except ValueError:  # an integer of more digits than Python converts (over 4,300)
        raise KernelError("This JSON holds a number too long to read.") from None
    if not (isinstance(data, list) and data and all(isinstance(r, list) and r for r in data)):
        raise KernelError("A JSON kernel must be a list of rows, e.g. [[1, 0, -1], [2, 0, -2]].")
    for i, row in enumerate(data, 1):
        for j, value in enumerate(row, 1):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise KernelError(f"Row {i}, entry {j} is not a number: {_excerpt(repr(value))}.")
    return data


def _parse_rows(text: str) -> list[list[float]]:
    lines = [line for line in re.split(r"[;\n]", text) if line.strip()]
    return [
        [_parse_number(token, i, j) for j, token in enumerate(re.split(r"[\s,]+", line.strip()), 1)]
        for i, line in enumerate(lines, 1)
    ]


def _parse_number(token: str, row: int, col: int) -> float:
    if token.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise KernelError("The kernel holds NaN or infinity; use ordinary numbers only.")
    parts = token.split("/")
    if len(parts) <= 2 and all(_NUMBER.match(p) for p in parts):
        value = float(parts[0])
        if len(parts) == 2:
            if float(parts[1]) == 0:
                raise KernelError(f"Row {row}, entry {col} divides by zero: {_excerpt(token)}.")
            value /= float(parts[1])
        return value
    raise KernelError(f"Row {row}, entry {col} is not a number: {_excerpt(token)}.")
