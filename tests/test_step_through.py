"""The core behind the Convolution page: step-through, colour view, kernel sizes, eye example."""

import numpy as np
import pytest

from cnnviz.maths.detect import spot_centres, threshold_map
from cnnviz.maths.kernels import KERNELS, KernelError, resize_kernel
from cnnviz.maths.ops import (
    conv2d,
    conv2d_per_channel,
    explain_conv_at,
    format_products,
    input_region,
    output_size,
)
from cnnviz.pictures import FACE_EYES, cartoon_face

rng = np.random.default_rng(11)


@pytest.mark.parametrize(
    ("kernel_shape", "stride", "padding", "dilation"),
    [
        ((3, 3), 1, "valid", 1),
        ((3, 3), 2, "same", 1),
        ((4, 2), 1, "same", 1),
        ((3, 3), 1, 2, 2),
        ((5, 3), (2, 3), "same", (1, 2)),
    ],
)
def test_input_region_is_where_explain_conv_at_puts_the_windows(
    kernel_shape, stride, padding, dilation
):
    """The region of a 2×3 block of output cells starts at the first window's corner and ends
    at the last window's far tap."""
    x = rng.random((13, 11)).astype(np.float32)
    kernel = rng.normal(size=kernel_shape)
    opts = {"stride": stride, "padding": padding, "dilation": dilation}
    top, left, height, width = input_region(x.shape, kernel_shape, 1, 1, 2, 3, **opts)
    first = explain_conv_at(x, kernel, 1, 1, **opts)
    last = explain_conv_at(x, kernel, 2, 3, **opts)
    d = (dilation, dilation) if isinstance(dilation, int) else dilation
    assert (top, left) == (first.top, first.left)
    assert top + height - 1 == last.top + d[0] * (kernel_shape[0] - 1)
    assert left + width - 1 == last.left + d[1] * (kernel_shape[1] - 1)


def test_per_channel_maps_sum_to_one_filter_with_the_kernel_on_every_channel():
    """The sum of the three channel maps is conv2d with a (kh, kw, 3) kernel of three copies."""
    x = rng.random((9, 10, 3)).astype(np.float32)
    kernel = rng.normal(size=(3, 3))
    maps, total = conv2d_per_channel(x, kernel, stride=2, padding="same")
    stacked = np.stack([kernel] * 3, axis=-1)
    np.testing.assert_allclose(total, conv2d(x, stacked, stride=2, padding="same"), atol=1e-5)
    np.testing.assert_allclose(maps[..., 1], conv2d(x[..., 1], kernel, stride=2, padding="same"))


def test_channel_totals_add_up_to_the_feature_map_value():
    """Per-channel sums of the products add to the total, which is the summed map's value."""
    x = rng.random((6, 6, 3)).astype(np.float32)
    kernel = rng.normal(size=(3, 3))
    e = explain_conv_at(x, kernel, 2, 1)
    _, total = conv2d_per_channel(x, kernel)
    assert len(e.channel_totals) == 3
    assert sum(e.channel_totals) == pytest.approx(e.total, abs=1e-5)
    assert e.total == pytest.approx(float(total[2, 1]), abs=1e-5)


def test_format_products_writes_every_term_and_the_total():
    """A 3×3 sum shows its nine products; negative weights are bracketed; the total is last."""
    x = np.arange(16.0).reshape(4, 4)
    text = format_products(explain_conv_at(x, KERNELS["Sobel x"].values, 0, 0))
    assert text.count("·") == 9 and "·(−1)" in text and text.endswith("= 8")


def test_resize_kernel_keeps_the_centre_and_pads_with_zeros():
    """3×3 → 5×5 → 3×3 gives the kernel back; the grown one computes the same values inside."""
    kernel = KERNELS["Sharpen"].values
    grown = resize_kernel(kernel, (5, 5))
    np.testing.assert_array_equal(resize_kernel(grown, (3, 3)), kernel)
    x = rng.random((9, 9))
    np.testing.assert_allclose(
        conv2d(x, grown, padding="same")[2:-2, 2:-2], conv2d(x, kernel, padding="same")[2:-2, 2:-2]
    )


def test_resize_kernel_refuses_sizes_outside_1_to_15():
    """The message names the allowed range and what was asked for."""
    with pytest.raises(KernelError, match=r"1×1 to 15×15. Received: \(16, 3\)"):
        resize_kernel(np.ones((3, 3)), (16, 3))


def test_eye_detector_map_thresholded_lights_up_exactly_at_the_eyes():
    """The article's example: on the cartoon face, only the two eyes pass half the maximum."""
    face = cartoon_face()
    fmap = conv2d(face, KERNELS["Eye detector"].values, padding="same")
    mask = threshold_map(fmap, 0.5 * fmap.max())
    assert spot_centres(mask) == sorted(FACE_EYES)
    assert output_size(64, 7, padding="same") == 64


def test_format_products_of_one_channel_writes_its_products_and_scipys_partial_sum():
    """Per channel: the kh·kw products of channel c and their sum, SciPy's value on that
    channel; the channel sums add up to the output value."""
    from scipy import ndimage

    x = rng.random((7, 8, 3)).astype(np.float32)
    kernel = rng.normal(size=(3, 3))
    e = explain_conv_at(x, kernel, 2, 4)
    partials = []
    for c in range(3):
        text = format_products(e, channel=c, digits=6)
        assert text.count("·") == 9
        assert text.startswith(f"{float(x[2, 4, c]):.6g}·")  # window of (2, 4) starts there
        partials.append(float(text.rsplit("= ", 1)[1].replace("−", "-")))
        expected = ndimage.correlate(x[..., c].astype(np.float64), kernel, mode="constant")[3, 5]
        assert partials[-1] == pytest.approx(expected, rel=1e-4, abs=1e-5)
    assert sum(partials) == pytest.approx(float(conv2d_per_channel(x, kernel)[1][2, 4]), abs=1e-4)


@pytest.mark.parametrize(
    ("shape", "channel", "message"),
    [
        ((5, 5, 3), 3, r"`channel` must be from 0 to 2 .* Received: channel=3\."),
        ((5, 5, 3), 1.0, r"`channel` must be a whole number\. Received: channel=1\.0\."),
        ((5, 5), 0, r"`channel` needs a colour window \(kh, kw, C\)\. Received: .*channel=0\."),
    ],
)
def test_format_products_refuses_a_channel_it_does_not_have(shape, channel, message):
    """The message names the argument, the rule and what was received."""
    e = explain_conv_at(rng.random(shape), np.ones((3, 3)), 0, 0)
    with pytest.raises(ValueError, match=message):
        format_products(e, channel=channel)
