"""invariance against conv2d/pool2d/shift composed here, the article's example in numbers,
and the depth curve's trend on the sample photos."""

import numpy as np
import pytest
import scipy.ndimage
import scipy.spatial.distance

from cnnviz.maths.activations import relu
from cnnviz.maths.invariance import (
    ARTICLE_CROSSES,
    ARTICLE_EYES,
    ARTICLE_KEEPS,
    ARTICLE_KERNEL,
    DEPTH_STACKS,
    RTOL,
    article_example,
    article_image,
    compare_shift,
    cosine_change,
    depth_curve,
    run_stage,
    stack_outputs,
)
from cnnviz.maths.kernels import KERNELS
from cnnviz.maths.ops import conv2d, pool2d
from cnnviz.maths.pixels import shift, to_grayscale
from cnnviz.pictures.images import SAMPLES, sample_image

ATOL = 1e-6
rng = np.random.default_rng(4)
PHOTOS = [name for name in SAMPLES if name != "Cartoon face"]


def _stage(x, kernel, relu_on=True, **pool):
    feature = conv2d(x, kernel, padding="same")
    if relu_on:
        feature = relu(feature)
    return feature, pool2d(feature, **pool)


@pytest.mark.parametrize(
    ("shape", "kernel", "relu_on", "pool"),
    [
        ((12, 10), "Sobel x", True, {"size": 2}),
        ((12, 10), "Laplacian", False, {"size": 3, "stride": 2, "padding": "same"}),
        ((9, 9, 3), "Gaussian blur 3×3", True, {"size": 2, "mode": "average"}),
        ((16, 16), "Eye detector", True, {"size": 4, "stride": 1}),
    ],
)
def test_run_stage_is_conv_relu_pool(shape, kernel, relu_on, pool):
    """run_stage equals conv2d('same') → ReLU → pool2d on the grayscale image."""
    x = rng.random(shape).astype(np.float32)
    k = KERNELS[kernel].values
    stage = run_stage(x, k, relu=relu_on, **pool)
    feature, pooled = _stage(to_grayscale(x), k, relu_on, **pool)
    np.testing.assert_allclose(stage.feature, feature, atol=ATOL)
    np.testing.assert_allclose(stage.pooled, pooled, atol=ATOL)


@pytest.mark.parametrize(("dx", "dy"), [(0, 0), (1, 0), (-3, 2), (5, -4), (0, -1)])
@pytest.mark.parametrize("mode", ["max", "average"])
def test_compare_shift_matches_a_hand_composed_pipeline(dx, dy, mode):
    """Maps, difference, share unchanged and largest change agree with shift → conv → pool."""
    x = rng.random((20, 24)).astype(np.float32)
    k = KERNELS["Sobel x"].values
    c = compare_shift(x, k, dx, dy, mode=mode)
    _, before = _stage(x, k, mode=mode)
    moved_feature, after = _stage(shift(x, dx, dy), k, mode=mode)
    np.testing.assert_allclose(c.shifted.image, shift(x, dx, dy))
    np.testing.assert_allclose(c.shifted.feature, moved_feature, atol=ATOL)
    np.testing.assert_allclose(c.difference, after - before, atol=ATOL)
    peak = max(np.abs(before).max(), np.abs(after).max())
    unchanged = np.abs(after - before) <= RTOL * peak
    assert c.share_unchanged == pytest.approx(unchanged.mean())
    assert c.largest_change == pytest.approx(np.abs(after - before).max(), abs=ATOL)
    assert c.tolerance == pytest.approx(RTOL * peak)


def test_no_shift_changes_nothing():
    """dx = dy = 0: every cell unchanged, largest change 0."""
    c = compare_shift(sample_image("Cartoon face"), KERNELS["Sobel x"].values, 0, 0)
    assert c.identical and c.share_unchanged == 1.0 and c.largest_change == 0.0


def test_compare_shift_reuses_a_given_original_stage():
    """Passing the original stage gives the same result as computing it."""
    x, k = rng.random((16, 16)), KERNELS["Sobel y"].values
    given = compare_shift(x, k, 2, 1, original=run_stage(x, k))
    fresh = compare_shift(x, k, 2, 1)
    np.testing.assert_array_equal(given.difference, fresh.difference)


def test_one_pixel_shift_leaves_pooled_map_unchanged():
    """The article: a 1-pixel x-shift gives the identical 2×2, stride-2 max-pooled map."""
    c = article_example(*ARTICLE_KEEPS)
    assert ARTICLE_KEEPS == (1, 0)
    expected = np.zeros((4, 4), np.float32)
    expected[1, 1] = expected[1, 2] = 8.0  # eyes at (3, 2) and (3, 4): windows (1, 1), (1, 2)
    np.testing.assert_array_equal(c.original.pooled, expected)
    np.testing.assert_array_equal(c.shifted.pooled, expected)
    assert c.identical and c.share_unchanged == 1.0 and c.largest_change == 0.0
    # ...while the feature map itself did change: each eye left its cell and lit another.
    assert c.feature_change == 1.0 and c.pooled_change == 0.0 and c.change_removed == 1.0


def test_shift_across_a_window_boundary_changes_pooled_map():
    """Two pixels right, each eye crosses into the next window: the pooled map changes."""
    c = article_example(*ARTICLE_CROSSES)
    expected = np.zeros((4, 4), np.float32)
    expected[1, 2] = expected[1, 3] = 8.0
    np.testing.assert_array_equal(c.shifted.pooled, expected)
    assert not c.identical
    assert c.share_unchanged == pytest.approx(14 / 16)
    assert c.largest_change == 8.0
    assert c.pooled_change == pytest.approx(0.5)  # one of the two lit cells is still lit


def test_one_pixel_left_also_crosses_a_boundary():
    """The same distance the other way crosses a boundary: it depends on the window grid."""
    assert not article_example(-1, 0).identical


def test_article_image_and_kernel():
    """Two lit pixels; the spot detector lights exactly those in the feature map."""
    image = article_image()
    assert image.shape == (8, 8) and image.sum() == 2
    feature = relu(conv2d(image, ARTICLE_KERNEL, padding="same"))
    assert sorted(zip(*np.nonzero(feature))) == sorted(ARTICLE_EYES)


def test_stack_outputs_compose_conv_relu_max_pool():
    """Each stage of stack_outputs is conv('same') → ReLU → 2×2 max pool of the previous one."""
    x = rng.random((32, 40)).astype(np.float32)
    kernels = DEPTH_STACKS["Edges, then blur"].kernels
    outputs = stack_outputs(x, kernels)
    current = x
    for kernel, output in zip(kernels, outputs):
        current = pool2d(relu(conv2d(current, kernel, padding="same")), size=2, mode="max")
        np.testing.assert_allclose(output, current, atol=ATOL)
    assert [o.shape for o in outputs] == [(16, 20), (8, 10), (4, 5)]


def test_depth_curve_values_match_a_hand_computation():
    """Each point is 1 − cosine similarity of the cropped stage outputs, computed here."""
    x = to_grayscale(sample_image("Coins"))
    kernels = DEPTH_STACKS["Edges, then blur"].kernels
    curve = depth_curve(x, kernels=kernels, shifts=[0, 3, 8], margin=16)
    base = stack_outputs(x, kernels)
    for i, d in enumerate([0, 3, 8]):
        moved = stack_outputs(shift(x, d, 0), kernels)
        for s in range(3):
            m = int(np.ceil(16 / 2 ** (s + 1)))
            a = base[s][m:-m, m:-m].ravel().astype(np.float64)
            b = moved[s][m:-m, m:-m].ravel().astype(np.float64)
            expected = 1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
            assert curve.change[s, i] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("name", PHOTOS)
def test_more_stages_tolerate_larger_shifts(name):
    """On every sample photo, at every shift 1…8 px, each extra stage changes less."""
    curve = depth_curve(sample_image(name))
    assert curve.holds, curve
    assert (curve.change[:, 0] == 0).all()
    # and the change grows with the shift for the single stage up to 4 px
    assert (np.diff(curve.change[0, :5]) > 0).all()


def test_pooling_alone_adds_tolerance():
    """With identity kernels after stage 1, extra stages add only a max pool: still monotone."""
    curve = depth_curve(
        sample_image("Camera man"), kernels=DEPTH_STACKS["Edges, then pooling only"].kernels
    )
    assert curve.holds, curve


def test_edges_at_every_stage_is_the_counter_example():
    """Differencing at every stage gives back the gain at large shifts (documented, pinned)."""
    curve = depth_curve(
        sample_image("Camera man"), kernels=DEPTH_STACKS["Edges at every stage"].kernels
    )
    assert not curve.holds and 8 in curve.exceptions()


def reference_change(x, kernel, dx, dy, *, size=2):
    """(feature change, pooled change) of a shift, computed without cnnviz's conv, shift or pool.

    SciPy's correlate with zeros outside (padding 'same'), ReLU, a size×size max pool by
    reshaping, and SciPy's cosine distance, which is 1 − cosine similarity.
    """
    gray = to_grayscale(np.asarray(x, np.float64)).astype(np.float64)
    h, w = gray.shape
    moved = np.zeros_like(gray)
    moved[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = gray[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]

    def feature(image):
        return np.maximum(scipy.ndimage.correlate(image, kernel, mode="constant", cval=0.0), 0)

    def pooled(f):
        rows, cols = h // size, w // size
        return f[: rows * size, : cols * size].reshape(rows, size, cols, size).max(axis=(1, 3))

    before, after = feature(gray), feature(moved)
    cosine = scipy.spatial.distance.cosine
    return cosine(before.ravel(), after.ravel()), cosine(
        pooled(before).ravel(), pooled(after).ravel()
    )


def _random_crop(x, generator, smallest=96):
    h, w = x.shape[:2]
    side = int(generator.integers(min(smallest, h, w), min(h, w) + 1))
    top, left = generator.integers(0, h - side + 1), generator.integers(0, w - side + 1)
    return x[top : top + side, left : left + side]


@pytest.mark.parametrize("name", SAMPLES)
def test_pattern_change_before_and_after_pooling_matches_scipy(name):
    """feature_change and pooled_change are 1 − cosine of the maps, recomputed with SciPy on
    random crops, random shifts and random window sizes."""
    generator = np.random.default_rng(list(SAMPLES).index(name))
    for _ in range(3):
        x = _random_crop(sample_image(name), generator)
        dx, dy = (int(v) for v in generator.integers(-6, 7, size=2))
        size = int(generator.integers(2, 5))
        kernel = KERNELS[str(generator.choice(["Sobel x", "Eye detector", "Laplacian"]))].values
        c = compare_shift(x, kernel, dx, dy, size=size)
        feature, pooled = reference_change(x, kernel, dx, dy, size=size)
        assert c.feature_change == pytest.approx(feature, abs=1e-5), (dx, dy, size)
        assert c.pooled_change == pytest.approx(pooled, abs=1e-5), (dx, dy, size)


@pytest.mark.parametrize("name", SAMPLES)
def test_headline_change_agrees_with_the_depth_chart(name):
    """Bug: the Pooling page's headline said pooling hurt (on the face, 1 px: 72 % of pooled cells
    unchanged against 76 % of feature-map cells) while the depth chart below it said each stage
    changes less. The headline's pooled change is the chart's first stage, measured the same way,
    and at every shift the chart shows within pooling's reach it is below the feature map's."""
    generator = np.random.default_rng(11)
    kernel = DEPTH_STACKS["Edges, then blur"].kernels[0]  # the chart's first stage
    shifts = [1, 2, 3, 4]
    for x in (sample_image(name), _random_crop(sample_image(name), generator)):
        curve = depth_curve(x, kernels=[kernel], shifts=shifts, margin=0)
        for i, d in enumerate(shifts):
            c = compare_shift(x, kernel, d, 0)  # the page's stage: ReLU, 2×2 max, stride 2
            assert c.pooled_change == pytest.approx(curve.change[0, i], abs=1e-12)
            feature, pooled = reference_change(x, kernel, d, 0)
            assert pooled < feature, (d, feature, pooled)
            assert c.pooled_change < c.feature_change and c.change_removed > 0


def test_cosine_change_edge_cases():
    """Identical → 0, disjoint non-negative → 1, zero maps handled."""
    a = np.array([[0.0, 2.0], [1.0, 0.0]])
    assert cosine_change(a, 3 * a) == pytest.approx(0.0, abs=1e-12)
    assert cosine_change(a, np.array([[1.0, 0], [0, 1]])) == pytest.approx(1.0)
    assert cosine_change(np.zeros(3), np.zeros(3)) == 0.0
    assert cosine_change(np.zeros(3), np.ones(3)) == 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: compare_shift(np.ones((8, 8)), np.ones((3, 3)), 1.5, 0), "`dx` must be a whole"),
        (lambda: compare_shift(np.ones((8, 8)), np.ones((3, 3)), 0, True), "`dy` must be a whole"),
        (lambda: compare_shift(np.ones((8, 8)), np.ones((3, 3)), 0, 0, rtol=2), "`rtol`"),
        (lambda: run_stage(np.ones((8, 8, 2)), np.ones((3, 3))), r"\(H, W\) or \(H, W, 3\)"),
        (lambda: run_stage(np.ones((8, 8)), np.ones((3, 3, 1))), "`kernel` must be 2-D"),
        (lambda: run_stage(np.ones((8, 8)), np.ones((3, 3)), mode="min"), "`mode` must be one"),
        (lambda: run_stage(np.ones((3, 3)), np.ones((3, 3)), size=4), "Output would be empty"),
        (lambda: depth_curve(np.ones((30, 30))), "too small for 3 stages"),
        (lambda: depth_curve(np.ones((64, 64)), shifts=[-1]), "`shifts` must be"),
        (lambda: depth_curve(np.ones((64, 64)), margin=-2), "`margin` must be"),
        (lambda: depth_curve(np.ones((64, 64)), kernels=[]), "`kernels` must hold"),
        (lambda: cosine_change(np.ones(2), np.ones(3)), "same shape"),
    ],
)
def test_bad_arguments_get_actionable_messages(call, message):
    """Every refusal names the argument and the rule."""
    with pytest.raises(ValueError, match=message):
        call()
