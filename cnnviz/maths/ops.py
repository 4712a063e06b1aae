"""Convolution and pooling, computed exactly as Keras computes them.

Letters used in shapes below: ``H, W`` image height and width, ``C`` channels, ``F`` filters,
``kh, kw`` kernel height and width, ``H_out, W_out`` output height and width.

A note on the word "convolution": like Keras' ``Conv2D`` (and every deep-learning library),
:func:`conv2d` computes a *cross-correlation* — the kernel slides over the image as it is, it is
not flipped. A textbook convolution is "flip the kernel, then correlate"; see :func:`flip`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from cnnviz._validate import Pair, as_choice, as_float_array, as_padding, as_pair
from cnnviz.maths.numbers import MINUS, number_text

__all__ = [
    "ConvExplanation",
    "PoolExplanation",
    "conv2d",
    "conv2d_per_channel",
    "explain_conv_at",
    "explain_output_size",
    "explain_pool_at",
    "flip",
    "format_products",
    "input_region",
    "output_size",
    "padding_amounts",
    "pool2d",
]

POOL_MODES = ("max", "average")

# OpenCV runs filter2D on several threads by default; one per call keeps a busy server fair to
# every visitor and is within a few percent on the image sizes the app uses.
cv2.setNumThreads(1)


def output_size(
    n: int, kernel: int, stride: int = 1, padding: str | int = "valid", dilation: int = 1
) -> int:
    """Number of output positions along one axis of a convolution or pooling.

    Parameters
    ----------
    n : int
        Input length along the axis (height or width).
    kernel : int
        Kernel (or pooling window) length along the axis.
    stride : int
        Step between neighbouring windows.
    padding : {"valid", "same"} or int
        ``"valid"`` adds nothing, ``"same"`` pads so that the output is ``ceil(n / stride)`` long
        (TensorFlow's rule), an int ``p`` adds ``p`` zeros on both sides.
    dilation : int
        Spacing between kernel taps; the kernel then spans ``dilation * (kernel - 1) + 1``.

    Returns
    -------
    int
        The output length; 0 when the kernel does not fit.

    Notes
    -----
    With padding ``p`` on each side the textbook formula is
    ``floor((n + 2p - dilation * (kernel - 1) - 1) / stride) + 1``; for ``"same"`` it is
    ``ceil(n / stride)``.

    Examples
    --------
    A 3-wide kernel fits 26 times across 28 pixels; padding 1 restores 28; stride 2 halves it.

    >>> output_size(28, 3)
    26
    >>> output_size(28, 3, padding=1)
    28
    >>> output_size(28, 3, stride=2, padding="same")
    14
    """
    n, kernel, stride, dilation, padding = _axis_args(n, kernel, stride, padding, dilation)
    if padding == "same":
        return math.ceil(n / stride)
    span = dilation * (kernel - 1) + 1
    pad = 0 if padding == "valid" else padding
    return max((n + 2 * pad - span) // stride + 1, 0)


def explain_output_size(
    n: int, kernel: int, stride: int = 1, padding: str | int = "valid", dilation: int = 1
) -> str:
    """The output-size formula with the numbers filled in, as the pages print it.

    Examples
    --------
    >>> explain_output_size(28, 3)
    '⌊(28 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = 26'
    >>> explain_output_size(28, 3, stride=2, padding="same")
    '⌈28 / 2⌉ = 14'
    """
    result = output_size(n, kernel, stride, padding, dilation)
    padding = as_padding(padding)
    if padding == "same":
        return f"⌈{n} / {stride}⌉ = {result}"
    pad = 0 if padding == "valid" else padding
    formula = f"⌊({n} + 2·{pad} − {dilation}·({kernel} − 1) − 1) / {stride}⌋ + 1"
    return f"{formula} = {result}"


def padding_amounts(
    n: int, kernel: int, stride: int = 1, padding: str | int = "valid", dilation: int = 1
) -> tuple[int, int]:
    """Zeros added ``(before, after)`` along one axis.

    For ``"same"`` TensorFlow puts the odd extra zero *after* (at the bottom or right), which is
    what makes even kernels and strides line up exactly as Keras does.

    Examples
    --------
    >>> padding_amounts(5, 3, padding="same")
    (1, 1)
    >>> padding_amounts(6, 3, stride=2, padding="same")
    (0, 1)
    """
    n, kernel, stride, dilation, padding = _axis_args(n, kernel, stride, padding, dilation)
    if padding == "valid":
        return 0, 0
    if padding != "same":
        return padding, padding
    span = dilation * (kernel - 1) + 1
    total = max((math.ceil(n / stride) - 1) * stride + span - n, 0)
    return total // 2, total - total // 2


def flip(kernel: np.ndarray) -> np.ndarray:
    """Rotate a kernel by 180° in its first two axes: ``conv2d(x, flip(k))`` is a true convolution.

    >>> flip(np.array([[1, 2], [3, 4]]))
    array([[4, 3],
           [2, 1]])
    """
    return np.asarray(kernel)[::-1, ::-1]


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    *,
    stride: int | Pair = 1,
    padding: str | int = "valid",
    dilation: int | Pair = 1,
) -> np.ndarray:
    """Slide ``kernel`` over ``x`` and, at each position, multiply cell by cell and sum.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
        The input image or feature maps.
    kernel : ndarray, shape (kh, kw), (kh, kw, C) or (kh, kw, C, F)
        ``(kh, kw)`` is applied to every channel separately; ``(kh, kw, C)`` sums over the
        channels to one map; ``(kh, kw, C, F)`` is a bank of ``F`` such filters (a Keras
        ``Conv2D`` layer's weights without the bias).
    stride : int or (int, int)
        Step between windows, as ``(row, col)``.
    padding : {"valid", "same"} or int
        See :func:`output_size`. Padded cells are zeros.
    dilation : int or (int, int)
        Spacing between kernel taps (Keras' ``dilation_rate``).

    Returns
    -------
    ndarray of float32, shape (H_out, W_out), (H_out, W_out, C) or (H_out, W_out, F)
        ``(H_out, W_out, C)`` for a 2-D kernel on a 3-D input, ``(H_out, W_out)`` for a 3-D
        kernel, ``(H_out, W_out, F)`` for a bank.

    Raises
    ------
    ValueError
        When an argument is malformed, channels do not match, or the output would be empty.

    Notes
    -----
    ``out[i, j] = sum over u, v of kernel[u, v] * xp[i*s_r + u*d_r, j*s_c + v*d_c]`` where ``xp``
    is ``x`` with its padding. This is cross-correlation, as in Keras: the kernel is not flipped.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> k = np.array([[1.0, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> conv2d(x, k)
    array([[-6., -6.],
           [-6., -6.]], dtype=float32)

    The top-left cell by hand: ``(0 + 4 + 8)·1 + (2 + 6 + 10)·(−1) = −6``. With zero padding the
    output keeps the 4×4 size, and the left column sees zeros where its kernel's +1 column falls:

    >>> conv2d(x, k, padding="same")[:, 0]
    array([ -6., -15., -27., -22.], dtype=float32)
    """
    x, kernel, stride, dilation, pads = _conv_args(x, kernel, stride, padding, dilation)
    if kernel.ndim == 2:
        return _correlate(x, kernel, pads, dilation, stride)  # (H_out, W_out[, C])
    bank = kernel[:, :, :, None] if kernel.ndim == 3 else kernel  # (kh, kw, C, F)
    x3 = x if x.ndim == 3 else x[:, :, None]  # (H, W, C)
    maps = []
    for f in range(bank.shape[3]):
        total = _correlate(x3[:, :, 0], bank[:, :, 0, f], pads, dilation, stride)
        for c in range(1, x3.shape[2]):
            total += _correlate(x3[:, :, c], bank[:, :, c, f], pads, dilation, stride)
        maps.append(total)
    result = np.stack(maps, axis=-1)  # (H_out, W_out, F)
    return result if kernel.ndim == 4 else result[:, :, 0]


def conv2d_per_channel(
    x: np.ndarray,
    kernel: np.ndarray,
    *,
    stride: int | Pair = 1,
    padding: str | int = "valid",
    dilation: int | Pair = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """One 2-D kernel on every channel of a colour image: each channel's map, and their sum.

    The sum is what one filter of a ``Conv2D`` layer computes on a colour image when its
    ``(kh, kw, C)`` kernel holds the same 2-D kernel for every channel.

    Parameters
    ----------
    x : ndarray, shape (H, W, C)
    kernel : ndarray, shape (kh, kw)
    stride, padding, dilation
        As for :func:`conv2d`.

    Returns
    -------
    maps : ndarray of float32, shape (H_out, W_out, C)
        ``maps[..., c]`` is the kernel applied to channel ``c`` alone.
    total : ndarray of float32, shape (H_out, W_out)
        ``maps.sum(axis=-1)``: the single feature map the filter outputs.

    Examples
    --------
    >>> x = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3)), np.zeros((3, 3))], axis=-1)
    >>> maps, total = conv2d_per_channel(x, np.ones((3, 3)))
    >>> maps[0, 0], total
    (array([ 9., 18.,  0.], dtype=float32), array([[27.]], dtype=float32))
    """
    x = as_float_array(x, "x", (3,))
    kernel = as_float_array(kernel, "kernel", (2,))
    maps = conv2d(x, kernel, stride=stride, padding=padding, dilation=dilation)
    return maps, maps.sum(axis=-1)  # (H_out, W_out, C), (H_out, W_out)


def input_region(
    shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    row: int,
    col: int,
    rows: int = 1,
    cols: int = 1,
    *,
    stride: int | Pair = 1,
    padding: str | int = "valid",
    dilation: int | Pair = 1,
) -> tuple[int, int, int, int]:
    """The input rectangle that output cells ``row…row+rows−1 × col…col+cols−1`` read.

    Parameters
    ----------
    shape : tuple
        The input's shape, ``(H, W)`` or ``(H, W, C)``.
    kernel_shape : tuple
        ``(kh, kw)`` or longer; only the first two entries count.
    row, col : int
        The top-left output cell.
    rows, cols : int
        How many output cells down and across.

    Returns
    -------
    (top, left, height, width) : tuple of int
        In input pixels; ``top`` and ``left`` are negative when the rectangle reaches into the
        padding, and it may run past the bottom or right edge for the same reason.

    Notes
    -----
    One window spans ``dilation·(k − 1) + 1`` pixels; neighbouring windows start ``stride``
    apart, so ``n`` windows cover ``(n − 1)·stride + dilation·(k − 1) + 1`` pixels.

    Examples
    --------
    Output cell (0, 0) of a 3×3 kernel reads the input's top-left 3×3 block; with
    ``padding="same"`` it starts one pixel up and left, in the zeros:

    >>> input_region((4, 4), (3, 3), 0, 0)
    (0, 0, 3, 3)
    >>> input_region((4, 4), (3, 3), 0, 0, padding="same")
    (-1, -1, 3, 3)
    >>> input_region((8, 8), (3, 3), 1, 0, rows=2, cols=2, stride=2)
    (2, 0, 5, 5)
    """
    stride = as_pair(stride, "stride")
    dilation = as_pair(dilation, "dilation")
    padding = as_padding(padding)
    spans = [d * (k - 1) + 1 for k, d in zip(kernel_shape[:2], dilation)]
    pads = [
        padding_amounts(n, k, s, padding, d)[0]
        for n, k, s, d in zip(shape[:2], kernel_shape[:2], stride, dilation)
    ]
    top = row * stride[0] - pads[0]
    left = col * stride[1] - pads[1]
    height = (rows - 1) * stride[0] + spans[0]
    width = (cols - 1) * stride[1] + spans[1]
    return top, left, height, width


def pool2d(
    x: np.ndarray,
    *,
    size: int | Pair = 2,
    stride: int | Pair | None = None,
    mode: str = "max",
    padding: str = "valid",
) -> np.ndarray:
    """Summarise each window of ``x`` by its maximum or its mean, channel by channel.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
        Feature map(s) to pool.
    size : int or (int, int)
        Window size (Keras' ``pool_size``).
    stride : int or (int, int), optional
        Step between windows; defaults to ``size`` (windows side by side), as in Keras.
    mode : {"max", "average"}
        ``"max"`` keeps the strongest response, ``"average"`` the mean.
    padding : {"valid", "same"}
        ``"same"`` pads so the output is ``ceil(H / stride)`` long; padded cells never win a max
        and are left out of an average (TensorFlow's rule).

    Returns
    -------
    ndarray of float32, shape (H_out, W_out) or (H_out, W_out, C)

    Examples
    --------
    >>> x = np.array([[1, 2, 0, 0], [3, 4, 0, 1], [0, 0, 5, 6], [0, 2, 7, 8]])
    >>> pool2d(x)
    array([[4., 1.],
           [2., 8.]], dtype=float32)

    The top-left window ``[[1, 2], [3, 4]]`` gives 4. Averaging the same windows instead:

    >>> pool2d(x, mode="average")
    array([[2.5 , 0.25],
           [0.5 , 6.5 ]], dtype=float32)
    """
    x = as_float_array(x, "x", (2, 3))
    size = as_pair(size, "size")
    stride = size if stride is None else as_pair(stride, "stride")
    mode = as_choice(mode, "mode", POOL_MODES)
    padding = as_choice(padding, "padding", ("valid", "same"))
    pads = [padding_amounts(n, k, s, padding) for n, k, s in zip(x.shape[:2], size, stride)]
    _check_fits(x.shape[:2], size, pads, (1, 1), kind="pooling window")
    x3 = x if x.ndim == 3 else x[:, :, None]
    if mode == "max":
        result = _window_reduce(_pad(x3, pads, -np.inf), size, stride, np.maximum)
    else:
        result = _window_reduce(_pad(x3, pads, 0.0), size, stride, np.add)
        if any(pads[0]) or any(pads[1]):  # padded cells are left out of the mean
            ones = _pad(np.ones(x3.shape[:2] + (1,), np.float32), pads, 0.0)
            result /= _window_reduce(ones, size, stride, np.add)
        else:
            result /= size[0] * size[1]
    return result if x.ndim == 3 else result[:, :, 0]  # (H_out, W_out, C) or (H_out, W_out)


@dataclass(frozen=True)
class ConvExplanation:
    """One output cell of :func:`conv2d`, worked out.

    Attributes
    ----------
    row, col : int
        The output position explained.
    top, left : int
        Input coordinates of the window's top-left tap (negative inside the padding).
    window : ndarray, shape (kh, kw) or (kh, kw, C)
        Input values under the kernel taps (zeros where the tap falls in the padding).
    kernel : ndarray, shape like ``window``
    products : ndarray, shape like ``window``
        ``window * kernel``, cell by cell.
    total : float
        ``products.sum()``: the value :func:`conv2d` puts at ``(row, col)``.
    """

    row: int
    col: int
    top: int
    left: int
    window: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    total: float

    @property
    def channel_totals(self) -> tuple[float, ...]:
        """The sum of the products on each channel (one entry for a 2-D window)."""
        if self.products.ndim == 2:
            return (float(self.total),)
        return tuple(float(v) for v in self.products.sum(axis=(0, 1)))  # (C,)

    def __repr__(self) -> str:
        return f"ConvExplanation({_where(self)}, shape {self.window.shape}, total={self.total:.6g})"


def _where(explanation) -> str:
    """Which output cell an explanation is about, and where its window sits in the input."""
    e = explanation
    return f"row={e.row}, col={e.col}, window at ({e.top}, {e.left})"


def explain_conv_at(
    x: np.ndarray,
    kernel: np.ndarray,
    row: int,
    col: int,
    *,
    stride: int | Pair = 1,
    padding: str | int = "valid",
    dilation: int | Pair = 1,
) -> ConvExplanation:
    """Show the multiply-and-sum that gives output cell ``(row, col)`` of :func:`conv2d`.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
    kernel : ndarray, shape (kh, kw) or (kh, kw, C)
        A 2-D kernel on a 3-D input is explained on every channel (the window and products
        gain a channel axis, and ``total`` is then their sum over all channels — for
        per-channel values take ``products[..., c].sum()``).
    row, col : int
        Output position, ``0 <= row < H_out``, ``0 <= col < W_out``.
    stride, padding, dilation
        As for :func:`conv2d`.

    Returns
    -------
    ConvExplanation

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> k = np.array([[1.0, 0, -1], [1, 0, -1], [1, 0, -1]])
    >>> e = explain_conv_at(x, k, 0, 0)
    >>> e.window
    array([[ 0.,  1.,  2.],
           [ 4.,  5.,  6.],
           [ 8.,  9., 10.]], dtype=float32)
    >>> float(e.total)
    -6.0

    With ``padding="same"`` the window of cell (0, 0) starts one pixel outside the image, so its
    +1 column reads zeros and only ``(0 + 1 + 5)·(−1) = −6`` remains:

    >>> e = explain_conv_at(x, k, 0, 0, padding="same")
    >>> (e.top, e.left, float(e.total))
    (-1, -1, -6.0)
    """
    x, kernel, stride, dilation, pads = _conv_args(x, kernel, stride, padding, dilation)
    if kernel.ndim == 4:
        raise ValueError("`kernel` must be (kh, kw) or (kh, kw, C) to explain one output cell.")
    out_h = output_size(x.shape[0], kernel.shape[0], stride[0], padding, dilation[0])
    out_w = output_size(x.shape[1], kernel.shape[1], stride[1], padding, dilation[1])
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(
            f"Output position must be inside the {out_h}×{out_w} output. "
            f"Received: row={row}, col={col}."
        )
    top = row * stride[0] - pads[0][0]
    left = col * stride[1] - pads[1][0]
    rr = top + dilation[0] * np.arange(kernel.shape[0])  # (kh,) input rows of the taps
    cc = left + dilation[1] * np.arange(kernel.shape[1])  # (kw,) input cols of the taps
    window = _gather(x, rr, cc)  # (kh, kw) or (kh, kw, C)
    weights = kernel[:, :, None] if (kernel.ndim == 2 and x.ndim == 3) else kernel
    weights = np.broadcast_to(weights, window.shape)
    products = window * weights
    return ConvExplanation(
        row, col, top, left, window, weights.copy(), products, float(products.sum())
    )


def format_products(
    explanation: ConvExplanation,
    *,
    channel: int | None = None,
    max_terms: int = 9,
    digits: int = 3,
) -> str:
    """The sum behind one output cell written out: ``window·kernel + … = total``.

    Parameters
    ----------
    explanation : ConvExplanation
        From :func:`explain_conv_at`.
    channel : int, optional
        On a colour window (kh, kw, C): write only channel ``channel``'s products and their
        partial sum ``explanation.channel_totals[channel]``. Without it the terms run over
        every channel, channel by channel within each tap.
    max_terms : int
        Longer sums show their first ``max_terms`` terms, then how many were left out.
    digits : int
        Significant digits per number.

    Raises
    ------
    ValueError
        ``channel`` on a grayscale window, or outside ``0 … C − 1``.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> k = np.array([[1.0, 0], [0, -1]])
    >>> format_products(explain_conv_at(x, k, 0, 0))
    '0·1 + 1·0 + 4·0 + 5·(−1) = −5'
    >>> format_products(explain_conv_at(x, k, 0, 0), max_terms=2)
    '0·1 + 1·0 + … (2 more products) = −5'

    On a two-channel picture (the second channel is the first plus 100) the same kernel gives
    one partial sum per channel; together they make the output value −5 + (−5) = −10:

    >>> e = explain_conv_at(np.stack([x, x + 100], axis=-1), k, 0, 0)
    >>> format_products(e, channel=1)
    '100·1 + 101·0 + 104·0 + 105·(−1) = −5'
    >>> e.total
    -10.0
    """
    window, kernel, total = explanation.window, explanation.kernel, explanation.total
    if channel is not None:
        channels = window.shape[2] if window.ndim == 3 else 0
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
            raise ValueError(f"`channel` must be a whole number. Received: channel={channel!r}.")
        if not 0 <= channel < channels:
            raise ValueError(
                f"`channel` must be from 0 to {channels - 1} for this window of shape "
                f"{window.shape}. Received: channel={channel}."
                if channels
                else f"`channel` needs a colour window (kh, kw, C). Received: a window of "
                f"shape {window.shape} and channel={channel}."
            )
        window, kernel = window[..., channel], kernel[..., channel]
        total = explanation.channel_totals[channel]
    window = window.ravel()
    kernel = kernel.ravel()
    terms = [
        f"{_number(w, digits)}·{_number(k, digits, brackets=True)}"
        for w, k in zip(window[:max_terms], kernel[:max_terms])
    ]
    if window.size > max_terms:
        terms.append(f"… ({window.size - max_terms} more products)")
    return f"{' + '.join(terms)} = {_number(total, digits)}"


def _number(value: float, digits: int, *, brackets: bool = False) -> str:
    text = number_text(float(value), digits)
    return f"({text})" if brackets and text.startswith(MINUS) else text


@dataclass(frozen=True)
class PoolExplanation:
    """One output cell of :func:`pool2d`, worked out.

    Attributes
    ----------
    window : ndarray, shape (ph, pw)
        The input values in the window; padded cells are NaN (they take no part).
    value : float
        The max or mean of the real cells: the value :func:`pool2d` puts at ``(row, col)``.
    argmax : (int, int) or None
        Window position of the winning cell for max pooling.
    """

    row: int
    col: int
    top: int
    left: int
    window: np.ndarray
    value: float
    argmax: tuple[int, int] | None

    def __repr__(self) -> str:
        return f"PoolExplanation({_where(self)}, value={self.value:.6g})"


def explain_pool_at(
    x: np.ndarray,
    row: int,
    col: int,
    *,
    size: int | Pair = 2,
    stride: int | Pair | None = None,
    mode: str = "max",
    padding: str = "valid",
) -> PoolExplanation:
    """Show the window behind output cell ``(row, col)`` of :func:`pool2d` on a 2-D map.

    Examples
    --------
    >>> x = np.array([[1, 2, 0, 0], [3, 4, 0, 1], [0, 0, 5, 6], [0, 2, 7, 8]])
    >>> e = explain_pool_at(x, 0, 1)
    >>> e.window, e.value, e.argmax
    (array([[0., 0.],
           [0., 1.]], dtype=float32), 1.0, (1, 1))
    """
    x = as_float_array(x, "x", (2,))
    size = as_pair(size, "size")
    stride = size if stride is None else as_pair(stride, "stride")
    mode = as_choice(mode, "mode", POOL_MODES)
    padding = as_choice(padding, "padding", ("valid", "same"))
    out_h, out_w = (output_size(n, k, s, padding) for n, k, s in zip(x.shape, size, stride))
    if not (0 <= row < out_h and 0 <= col < out_w):
        raise ValueError(
            f"Output position must be inside the {out_h}×{out_w} output. "
            f"Received: row={row}, col={col}."
        )
    top = row * stride[0] - padding_amounts(x.shape[0], size[0], stride[0], padding)[0]
    left = col * stride[1] - padding_amounts(x.shape[1], size[1], stride[1], padding)[0]
    window = _gather(x, top + np.arange(size[0]), left + np.arange(size[1]), fill=np.nan)
    if mode == "max":
        flat = int(np.nanargmax(window))
        argmax = (flat // size[1], flat % size[1])
        value = float(np.nanmax(window))
    else:
        argmax, value = None, float(np.nanmean(window))
    return PoolExplanation(row, col, top, left, window, value, argmax)


# --- helpers --------------------------------------------------------------------------------


def _axis_args(n, kernel, stride, padding, dilation):
    for name, value, low in (
        ("n", n, 1),
        ("kernel", kernel, 1),
        ("stride", stride, 1),
        ("dilation", dilation, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}.")
    return int(n), int(kernel), int(stride), int(dilation), as_padding(padding)


def _conv_args(x, kernel, stride, padding, dilation):
    x = as_float_array(x, "x", (2, 3))
    kernel = as_float_array(kernel, "kernel", (2, 3, 4))
    stride = as_pair(stride, "stride")
    dilation = as_pair(dilation, "dilation")
    padding = as_padding(padding)
    channels = x.shape[2] if x.ndim == 3 else 1
    if kernel.ndim >= 3 and kernel.shape[2] != channels:
        raise ValueError(
            f"`kernel` has {kernel.shape[2]} input channels but `x` has {channels}. "
            f"Received: x.shape={x.shape}, kernel.shape={kernel.shape}."
        )
    pads = [
        padding_amounts(n, k, s, padding, d)
        for n, k, s, d in zip(x.shape[:2], kernel.shape[:2], stride, dilation)
    ]
    _check_fits(x.shape[:2], kernel.shape[:2], pads, dilation, kind="kernel")
    return x, kernel, stride, dilation, pads


def _check_fits(shape, window, pads, dilation, *, kind):
    spans = [d * (k - 1) + 1 for k, d in zip(window, dilation)]
    if any(n + sum(p) < s for n, p, s in zip(shape, pads, spans)):
        size = "×".join(str(k) for k in window)
        span = "×".join(str(s) for s in spans)
        spread = f" (spread to {span} by the dilation)" if span != size else ""
        raise ValueError(
            f"Output would be empty: a {size} {kind}{spread} does not fit a "
            f"{shape[0]}×{shape[1]} image with this padding. Use padding='same', a smaller "
            f"{kind}{' or a smaller dilation' if spread else ''}."
        )


def _pad(x3, pads, fill=0.0):
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x3
    return np.pad(x3, ((top, bottom), (left, right), (0, 0)), constant_values=fill)


def _correlate(x, kernel, pads, dilation, stride):
    """Cross-correlate every channel of ``x`` (H, W[, C]) with one 2-D ``kernel``, with OpenCV.

    Zero padding that fits inside the kernel's reach is done by OpenCV's border handling
    (choosing the anchor), so no padded copy of a big image is made; wider padding is added
    with ``copyMakeBorder`` first.
    """
    if x.ndim == 3 and x.shape[2] > 4:  # OpenCV's multi-channel path is for images
        planes = [_correlate(x[:, :, c], kernel, pads, dilation, stride) for c in range(x.shape[2])]
        return np.stack(planes, axis=-1)
    dr, dc = dilation
    if dr > 1 or dc > 1:
        spread = np.zeros(
            ((kernel.shape[0] - 1) * dr + 1, (kernel.shape[1] - 1) * dc + 1), np.float32
        )
        spread[::dr, ::dc] = kernel  # taps dilation apart, zeros between
        kernel = spread
    kh, kw = kernel.shape
    (top, bottom), (left, right) = pads
    out_h = x.shape[0] + top + bottom - kh + 1
    out_w = x.shape[1] + left + right - kw + 1
    if top + bottom <= kh - 1 and left + right <= kw - 1:
        source, anchor = x, (left, top)
    else:
        source = cv2.copyMakeBorder(x, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
        source, anchor = source.reshape(source.shape[:2] + x.shape[2:]), (0, 0)
    # With the anchor at (left, top), filter2D computes
    # dst[i, j] = sum over u, v of k[u, v] * x[i + u - top, j + v - left], zeros outside:
    # exactly the padded cross-correlation; rows and columns past the output are cut off.
    full = cv2.filter2D(
        np.ascontiguousarray(source), cv2.CV_32F, np.ascontiguousarray(kernel),
        anchor=anchor, borderType=cv2.BORDER_CONSTANT,
    )  # fmt: skip
    full = full.reshape(source.shape)
    return full[: out_h : stride[0], : out_w : stride[1]]  # (H_out, W_out[, C])


def _window_reduce(padded, size, stride, op):
    """Combine every window of ``padded`` (H', W', C) with ``op`` (np.maximum or np.add).

    One pass per window position ``(u, v)``: the cells at offset ``(u, v)`` of every window
    form a strided slice of shape (H_out, W_out, C), folded into the result in place. This is
    ph·pw vectorised passes over whole maps instead of a reduction over a 5-D window view,
    which walks memory in small strided steps and is much slower on large maps.
    """
    h_out = (padded.shape[0] - size[0]) // stride[0] + 1
    w_out = (padded.shape[1] - size[1]) // stride[1] + 1
    result = None
    for u in range(size[0]):
        for v in range(size[1]):
            rows = slice(u, u + (h_out - 1) * stride[0] + 1, stride[0])
            cols = slice(v, v + (w_out - 1) * stride[1] + 1, stride[1])
            tap = padded[rows, cols]  # (H_out, W_out, C): cell (u, v) of every window
            if result is None:
                result = np.array(tap, dtype=np.float32)
            else:
                op(result, tap, out=result)
    return result


def _gather(x, rows, cols, fill=0.0):
    """Values of ``x`` at the grid ``rows × cols``; outside the image gives ``fill``."""
    inside_r = (rows >= 0) & (rows < x.shape[0])
    inside_c = (cols >= 0) & (cols < x.shape[1])
    out = np.full((len(rows), len(cols)) + x.shape[2:], fill, np.float32)
    out[np.ix_(inside_r, inside_c)] = x[np.ix_(rows[inside_r], cols[inside_c])]
    return out
