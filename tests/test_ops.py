"""ops against independent implementations: SciPy and TensorFlow/Keras on random inputs."""

import itertools

import numpy as np
import pytest
import scipy.signal

from cnnviz.maths.ops import (
    conv2d,
    explain_conv_at,
    explain_output_size,
    explain_pool_at,
    flip,
    output_size,
    pool2d,
)

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-4, 1e-4
rng = np.random.default_rng(20261126)

KERNEL_SHAPES = [(1, 1), (2, 2), (3, 3), (2, 3), (5, 4), (7, 7)]
STRIDES = [1, 2, (1, 3)]
PADDINGS = ["valid", "same", 1, 3]
DILATIONS = [1, 2, (2, 1)]


def _pair(v):
    return (v, v) if isinstance(v, int) else v


def _tf_padding(padding):
    if isinstance(padding, int):
        return [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    return padding.upper()


def _tf_conv(x, bank, stride, padding, dilation):
    """TensorFlow's own conv2d: x (H, W, C), bank (kh, kw, C, F) -> (H', W', F)."""
    out = tf.nn.conv2d(
        x[None].astype(np.float32),
        bank.astype(np.float32),
        strides=[1, *_pair(stride), 1],
        padding=_tf_padding(padding),
        dilations=[1, *_pair(dilation), 1],
    )
    return out.numpy()[0]


def _tf_allows(stride, dilation):
    # TensorFlow's CPU kernel rejects a stride and a dilation both above 1 (Keras does too).
    return max(_pair(stride)) == 1 or max(_pair(dilation)) == 1


CASES = [
    c
    for c in itertools.product(KERNEL_SHAPES, STRIDES, PADDINGS, DILATIONS)
    if _tf_allows(*c[1:2], c[3])
]


@pytest.mark.parametrize(("kshape", "stride", "padding", "dilation"), CASES)
def test_conv2d_bank_matches_tensorflow(kshape, stride, padding, dilation):
    """A (kh, kw, C, F) bank on a random (H, W, C) image equals tf.nn.conv2d."""
    h, w = rng.integers(15, 24, size=2)
    x = rng.normal(size=(h, w, 3)).astype(np.float32)
    bank = rng.normal(size=(*kshape, 3, 2)).astype(np.float32)
    ours = conv2d(x, bank, stride=stride, padding=padding, dilation=dilation)
    theirs = _tf_conv(x, bank, stride, padding, dilation)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    ("kshape", "stride", "padding"),
    list(itertools.product(KERNEL_SHAPES, STRIDES, ["valid", "same"])),  # Keras: no numeric pad
)
def test_conv2d_matches_keras_conv2d_layer(kshape, stride, padding):
    """A Keras Conv2D layer with its weights set equals conv2d plus the bias."""
    x = rng.normal(size=(19, 22, 2)).astype(np.float32)
    bank = rng.normal(size=(*kshape, 2, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    layer = keras.layers.Conv2D(4, kshape, strides=stride, padding=padding)
    layer.build((None, 19, 22, 2))
    layer.kernel.assign(bank)
    layer.bias.assign(bias)
    theirs = np.asarray(layer(x[None]))[0]
    ours = conv2d(x, bank, stride=stride, padding=padding) + bias
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    ("kshape", "padding"), list(itertools.product(KERNEL_SHAPES, ["valid", "same"]))
)
def test_conv2d_single_channel_matches_scipy_correlate2d(kshape, padding):
    """On a 2-D image, 'valid' and odd-kernel 'same' equal scipy.signal.correlate2d."""
    x = rng.normal(size=(17, 13))
    k = rng.normal(size=kshape)
    ours = conv2d(x, k, padding=padding)
    if padding == "valid" or all(n % 2 for n in kshape):
        np.testing.assert_allclose(
            ours, scipy.signal.correlate2d(x, k, mode=padding), rtol=RTOL, atol=ATOL
        )
    else:
        # SciPy centres even kernels the other way; TensorFlow is the reference there.
        np.testing.assert_allclose(
            ours,
            _tf_conv(x[:, :, None], k[:, :, None, None], 1, padding, 1)[:, :, 0],
            rtol=RTOL,
            atol=ATOL,
        )


@pytest.mark.parametrize("stride", [2, 3, (2, 3)])
@pytest.mark.parametrize("dilation", [2, 3])
def test_conv2d_stride_with_dilation_matches_scipy(stride, dilation):
    """Stride and dilation together (TensorFlow refuses this) equal SciPy on a spread kernel."""
    x = rng.normal(size=(30, 27))
    k = rng.normal(size=(3, 3))
    spread = np.zeros((2 * dilation + 1,) * 2)
    spread[::dilation, ::dilation] = k
    sr, sc = _pair(stride)
    expected = scipy.signal.correlate2d(x, spread, mode="valid")[::sr, ::sc]
    np.testing.assert_allclose(
        conv2d(x, k, stride=stride, dilation=dilation), expected, rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("padding", ["valid", "same", 2])
def test_conv2d_2d_kernel_on_rgb_is_depthwise(padding):
    """A (kh, kw) kernel on (H, W, C) equals tf.nn.depthwise_conv2d with that kernel per channel."""
    x = rng.normal(size=(20, 16, 3)).astype(np.float32)
    k = rng.normal(size=(3, 4)).astype(np.float32)
    depthwise = np.repeat(k[:, :, None, None], 3, axis=2)
    pad = _tf_padding(padding)
    xin = x[None]
    if isinstance(pad, list):
        xin, pad = np.pad(xin, pad), "VALID"
    theirs = tf.nn.depthwise_conv2d(xin, depthwise, strides=[1, 1, 1, 1], padding=pad).numpy()[0]
    ours = conv2d(x, k, padding=padding)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


def test_conv2d_3d_kernel_sums_channels_to_one_map():
    """A (kh, kw, C) kernel gives one map equal to the sum of per-channel correlations."""
    x = rng.normal(size=(12, 12, 3))
    k = rng.normal(size=(3, 3, 3))
    expected = sum(scipy.signal.correlate2d(x[:, :, c], k[:, :, c], mode="valid") for c in range(3))
    np.testing.assert_allclose(conv2d(x, k), expected, rtol=RTOL, atol=ATOL)


def test_conv2d_large_kernel_uses_exact_arithmetic():
    """Kernels of 11x11 and more (OpenCV switches to a DFT) still match SciPy closely."""
    x = rng.random((64, 80))
    k = rng.normal(size=(15, 13))
    np.testing.assert_allclose(
        conv2d(x, k), scipy.signal.correlate2d(x, k, mode="valid"), rtol=1e-3, atol=1e-3
    )


def test_flip_turns_correlation_into_convolution():
    """conv2d with a flipped kernel equals scipy.signal.convolve2d."""
    x = rng.normal(size=(10, 9))
    k = rng.normal(size=(3, 2))
    np.testing.assert_allclose(
        conv2d(x, flip(k)), scipy.signal.convolve2d(x, k, mode="valid"), rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "d"),
    [
        c
        for c in itertools.product([7, 28, 31], [1, 2, 3, 5], [1, 2, 3], ["valid", "same"], [1, 2])
        if c[2] == 1 or c[4] == 1  # Keras refuses stride > 1 with dilation > 1
    ],
)
def test_output_size_matches_keras_shapes(n, k, s, p, d):
    """output_size equals the shape a Keras Conv2D layer computes."""
    layer = keras.layers.Conv2D(1, k, strides=s, padding=p, dilation_rate=d)
    try:
        expected = layer.compute_output_shape((None, n, n, 1))[1]
    except ValueError as error:  # Keras refuses an empty output; we report 0
        assert "zero or negative" in str(error)
        expected = 0
    assert output_size(n, k, s, p, d) == expected


def test_explain_output_size_states_the_result_of_output_size():
    """The printed formula ends with the number output_size returns."""
    for args in [(28, 3), (28, 3, 2, "same"), (100, 7, 3, 2, 2), (5, 9)]:
        assert explain_output_size(*args).endswith(f"= {output_size(*args)}")


@pytest.mark.parametrize(
    ("size", "stride", "padding", "mode"),
    list(
        itertools.product(
            [2, 3, (2, 3)], [None, 1, 2, (3, 1)], ["valid", "same"], ["max", "average"]
        )
    ),
)
def test_pool2d_matches_keras_pooling_layers(size, stride, padding, mode):
    """pool2d equals Keras MaxPooling2D / AveragePooling2D on random multi-channel maps."""
    x = rng.normal(size=(13, 16, 3)).astype(np.float32)
    layer_cls = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    layer = layer_cls(pool_size=size, strides=stride, padding=padding)
    theirs = np.asarray(layer(x[None]))[0]
    ours = pool2d(x, size=size, stride=stride, mode=mode, padding=padding)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


def test_pool2d_default_stride_is_the_window():
    """As in Keras: a 2x2 window steps by 2, so a 10x10 map pools to 5x5."""
    assert pool2d(np.zeros((10, 10))).shape == (5, 5)


@pytest.mark.parametrize("padding", ["valid", "same", 1])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("dilation", [1, 2])
def test_explain_conv_at_total_equals_feature_map(padding, stride, dilation):
    """Every cell's worked multiply-and-sum equals the value conv2d put there."""
    x = rng.normal(size=(9, 11))
    k = rng.normal(size=(3, 2))
    fmap = conv2d(x, k, stride=stride, padding=padding, dilation=dilation)
    for r, c in np.ndindex(fmap.shape):
        e = explain_conv_at(x, k, r, c, stride=stride, padding=padding, dilation=dilation)
        np.testing.assert_allclose(e.total, fmap[r, c], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(e.products, e.window * e.kernel)


def test_explain_conv_at_rgb_with_3d_kernel_sums_channels():
    """On RGB with a (kh, kw, 3) kernel the total over channels is the single map's value."""
    x = rng.random((8, 8, 3))
    k = rng.normal(size=(3, 3, 3))
    fmap = conv2d(x, k)
    e = explain_conv_at(x, k, 2, 4)
    assert e.window.shape == (3, 3, 3)
    np.testing.assert_allclose(e.total, fmap[2, 4], rtol=RTOL, atol=ATOL)


def test_explain_conv_at_2d_kernel_on_rgb_gives_each_channel():
    """A 2-D kernel on RGB: products[..., c].sum() is channel c of the depthwise map."""
    x = rng.random((8, 8, 3))
    k = rng.normal(size=(3, 3))
    fmap = conv2d(x, k)
    e = explain_conv_at(x, k, 1, 3)
    for c in range(3):
        np.testing.assert_allclose(e.products[..., c].sum(), fmap[1, 3, c], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("mode", ["max", "average"])
def test_explain_pool_at_value_equals_pooled_map(padding, mode):
    """Every pooled cell's window summary equals pool2d's value."""
    x = rng.normal(size=(7, 9))
    pooled = pool2d(x, size=3, stride=2, mode=mode, padding=padding)
    for r, c in np.ndindex(pooled.shape):
        e = explain_pool_at(x, r, c, size=3, stride=2, mode=mode, padding=padding)
        np.testing.assert_allclose(e.value, pooled[r, c], rtol=RTOL, atol=ATOL)


BAD_CALLS = [
    (lambda: conv2d(np.zeros((5, 5)), np.ones((3, 3)), stride=0), r"`stride` must be .*stride=0"),
    (lambda: conv2d(np.zeros((5, 5)), np.ones((9, 9))), r"Output would be empty: a 9×9 kernel"),
    (lambda: conv2d(np.zeros((5, 5)), np.ones((3, 3)), padding="full"), r"`padding` must be"),
    (lambda: conv2d(np.zeros((5, 5)), np.ones((3, 3)), padding=-1), r"padding=-1"),
    (lambda: conv2d(np.zeros((5, 5)), np.ones((3, 3)), dilation=(1, 0)), r"`dilation` must"),
    (lambda: conv2d(np.zeros((5, 5, 3)), np.ones((3, 3, 2))), r"2 input channels but `x` has 3"),
    (lambda: conv2d(np.zeros(5), np.ones((3, 3))), r"`x` must be 2-D or 3-D"),
    (lambda: conv2d(np.zeros((5, 5)), np.full((3, 3), np.nan)), r"finite numbers"),
    (
        lambda: conv2d(np.zeros((5, 5)), np.ones((3, 3)), dilation=3),
        r"spread to 7×7 by the dilation",
    ),
    (lambda: pool2d(np.zeros((5, 5)), mode="median"), r"`mode` must be one of 'max', 'average'"),
    (lambda: pool2d(np.zeros((1, 5)), size=2), r"2×2 pooling window does not fit a 1×5"),
    (lambda: explain_conv_at(np.zeros((5, 5)), np.ones((3, 3)), 3, 0), r"inside the 3×3 output"),
]


@pytest.mark.parametrize(("call", "message"), BAD_CALLS)
def test_bad_arguments_raise_messages_that_name_them(call, message):
    """Errors name the argument and what was received, as the pages show them verbatim."""
    with pytest.raises(ValueError, match=message):
        call()
