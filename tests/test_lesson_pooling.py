"""The Pooling page's lesson without Streamlit: every view against SciPy and NumPy references."""

from __future__ import annotations

import dataclasses
import io
import math
import re

import numpy as np
import pytest
import scipy.ndimage
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from scipy.spatial.distance import cosine

from cnnviz.lessons.pooling import (
    DISPLAY_SIDE,
    MOVED,
    PADDING_NOTE,
    WINDOW_SIDE,
    MapNote,
    Settings,
    article_view,
    change_text,
    depth_view,
    difference_scale,
    feature_caption,
    pooling_view,
    shift_view,
    stack_caption,
    verdict,
    window_view,
)
from cnnviz.maths.invariance import DEPTH_STACKS, compare_shift, depth_curve
from cnnviz.maths.kernels import KERNELS
from cnnviz.maths.ops import explain_output_size
from cnnviz.pictures import HOVER_LIMIT, WINDOW_COLOR, cell_at, colorize
from cnnviz.pictures.images import sample_image
from tests.test_invariance import reference_change

FACE = "Cartoon face"


def reference_feature(image: np.ndarray, kernel: str, relu: bool) -> np.ndarray:
    """SciPy's correlate with zeros outside (padding 'same' for the odd kernels), then ReLU."""
    feature = scipy.ndimage.correlate(
        np.asarray(image, np.float64), KERNELS[kernel].values, mode="constant", cval=0.0
    )
    return np.maximum(feature, 0) if relu else feature


def reference_windows(feature: np.ndarray, size: int, stride: int, padding: str) -> np.ndarray:
    """Every pooling window, shape (H_out, W_out, size, size), nan where it covers padding.

    'valid': ``⌊(n − size) / stride⌋ + 1`` windows; 'same': ``⌈n / stride⌉``, padded as
    TensorFlow pads (the smaller half before).
    """
    pads, counts = [], []
    for n in feature.shape:
        if padding == "valid":
            count, total = (n - size) // stride + 1, 0
        else:
            count = math.ceil(n / stride)
            total = max((count - 1) * stride + size - n, 0)
        counts.append(count)
        pads.append((total // 2, total - total // 2))
    padded = np.pad(feature, pads, constant_values=np.nan)
    windows = sliding_window_view(padded, (size, size))[::stride, ::stride]
    return windows[: counts[0], : counts[1]]


def reference_pool(feature, size, stride, mode, padding) -> np.ndarray:
    windows = reference_windows(feature, size, stride, padding)
    return (np.nanmax if mode == "max" else np.nanmean)(windows, axis=(2, 3))


def random_image(seed: int, shape=(23, 31)) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype(np.float32)


CASES = [
    # kernel, relu, mode, size, stride, padding, image shape
    ("Sobel x", True, "max", 2, 2, "valid", (23, 31)),
    ("Sobel y", False, "average", 3, 2, "same", (23, 31)),
    ("Laplacian", True, "max", 3, 1, "valid", (17, 12)),
    ("Gaussian blur 5×5", False, "max", 4, 5, "same", (29, 20)),
    ("Eye detector", True, "average", 1, 1, "valid", (9, 9)),
    ("Emboss", False, "max", 5, 3, "same", (70, 90)),  # above the hover limit: pictures
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}-{c[3]}/{c[4]}-{c[5]}" for c in CASES])
def test_pooling_view_matches_scipy_and_numpy(case):
    """Feature map, pooled map, the sizes line and the formula's results, and how maps are sent."""
    kernel, relu, mode, size, stride, padding, shape = case
    image = random_image(len(kernel), shape) - (0 if relu else 0.5)
    view = pooling_view(image, Settings(kernel, relu, mode, size, stride, padding))
    feature = reference_feature(image, kernel, relu)
    pooled = reference_pool(feature, size, stride, mode, padding)
    np.testing.assert_allclose(view.stage.feature, feature, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(view.stage.pooled, pooled, rtol=1e-5, atol=1e-5)
    (h, w), (ph, pw) = feature.shape, pooled.shape
    assert view.sizes == f"Feature map: {h} × {w} → pooled map: {ph} × {pw}"
    rows, cols = re.fullmatch(r"Rows: `.* = (\d+)`  \nColumns: `.* = (\d+)`", view.formula).groups()
    assert (int(rows), int(cols)) == (ph, pw)
    low, high = min(feature.min(), pooled.min()), max(feature.max(), pooled.max())
    assert view.scale.vmin <= low + 1e-6 and view.scale.vmax >= high - 1e-6
    assert view.hover == (h * w <= HOVER_LIMIT)
    assert (view.feature.png is None, view.pooled.png is None, view.bar is None) == (
        view.hover,
    ) * 3
    assert view.pooled.title == f"{mode.title()}-pooled map {ph}×{pw}"
    if not view.hover:
        picture = Image.open(io.BytesIO(view.feature.png))
        assert picture.format == "PNG" and DISPLAY_SIDE // 2 <= picture.width <= DISPLAY_SIDE
        assert "Hover values appear for maps up to 64×64." in view.caption


def test_the_default_page_pools_the_face_to_32_by_32_with_the_keras_formula():
    """Moved from the page test: cartoon face, eye detector, 2×2 max pool, stride = window."""
    view = pooling_view(sample_image(FACE), Settings("Eye detector", True, "max", 2, 2, "valid"))
    assert view.sizes == "Feature map: 64 × 64 → pooled map: 32 × 32"
    assert view.formula.startswith("Rows: `⌊(64 + 2·0 − 1·(2 − 1) − 1) / 2⌋ + 1 = 32`")
    assert view.hover and view.feature.figure.data[0].z.shape == (64, 64)


@pytest.mark.parametrize(
    ("size", "stride", "padding", "expected"),
    [(3, 3, "valid", (21, 21)), (3, 2, "same", (32, 32)), (4, 4, "valid", (16, 16))],
)
def test_window_and_stride_change_the_sizes_and_the_formula(size, stride, padding, expected):
    """Moved from the page test: window 3 stride 3 gives 21; stride 2 with 'same' gives ⌈64/2⌉."""
    settings = Settings("Eye detector", True, "average", size, stride, padding)
    view = pooling_view(sample_image(FACE), settings)
    assert view.stage.pooled.shape == expected
    if padding == "same":
        assert "⌈64 / 2⌉ = 32" in view.formula


def test_a_window_that_does_not_fit_names_the_fix_and_same_padding_fits():
    tiny = random_image(0, (5, 5))
    with pytest.raises(ValueError, match="Output would be empty"):
        pooling_view(tiny, Settings("Eye detector", True, "max", 8, 8, "valid"))
    view = pooling_view(tiny, Settings("Eye detector", True, "max", 8, 8, "same"))
    assert view.sizes == "Feature map: 5 × 5 → pooled map: 1 × 1"


@pytest.mark.parametrize(
    ("mode", "size", "stride", "padding"),
    [
        ("max", 2, 2, "valid"),
        ("max", 3, 2, "same"),
        ("average", 2, 3, "valid"),
        ("max", 1, 1, "same"),
    ],
)
def test_window_view_finds_the_max_or_mean_numpy_finds(mode, size, stride, padding):
    """On random maps: the window's cells, its value and (for max) where the winner sits."""
    image = random_image(size + stride, (14, 17))
    settings = Settings("Sobel x", False, mode, size, stride, padding)
    view = pooling_view(image, settings)
    windows = reference_windows(reference_feature(image, "Sobel x", False), size, stride, padding)
    rng = np.random.default_rng(7)
    for _ in range(5):
        row, col = (int(rng.integers(n)) for n in windows.shape[:2])
        w = window_view(view.stage, settings, row, col, view.scale)
        np.testing.assert_allclose(w.grid.array, windows[row, col], rtol=1e-5, atol=1e-5)
        value = float(
            np.nanmax(windows[row, col]) if mode == "max" else np.nanmean(windows[row, col])
        )
        shown = re.match(rf"\*\*{mode if mode == 'max' else 'mean'} = (\S+)\*\*", w.text)
        assert float(shown[1]) == pytest.approx(value, rel=1e-3, abs=1e-4)
        assert w.text.endswith(f"So pooled cell ({row}, {col}) = {shown[1]}.")
        if mode == "max":
            r, c = np.unravel_index(np.nanargmax(windows[row, col]), (size, size))
            top, left = w.grid.origin
            assert f"at feature row {top + r}, column {left + c} (outlined)" in w.text
            assert w.grid.mark == (r, c)
        overlap = ["overlap" in n for n in w.notes], ["skipped" in n for n in w.notes]
        assert any(overlap[0]) == (stride < size) and any(overlap[1]) == (stride > size)
        assert any("nan" in n for n in w.notes) == (padding == "same")


def test_window_on_the_face_names_its_max_at_feature_coordinates():
    """Moved from the page test: pooled cell (12, 10) is feature rows 24–25, columns 20–21."""
    settings = Settings("Eye detector", True, "max", 2, 2, "valid")
    view = pooling_view(sample_image(FACE), settings)
    w = window_view(view.stage, settings, 12, 10, view.scale)
    assert w.grid.title == "Window: feature rows 24–25, columns 20–21"
    m = re.search(
        r"\*\*max = ([\d.]+)\*\*.*row (\d+), column (\d+).*pooled cell \(12, 10\)", w.text
    )
    assert int(m[2]) in (24, 25) and int(m[3]) in (20, 21)
    assert float(m[1]) == pytest.approx(float(view.stage.pooled[12, 10]), rel=1e-3)


CHANGE = r"Change of the pattern: feature map ([\d.e-]+) → pooled map ([\d.e-]+)"


def _shift(image, kernel="Eye detector", dx=1, dy=0, relu=True):
    settings = Settings(kernel, relu, "max", 2, 2, "valid")
    view = pooling_view(image, settings)
    return shift_view(view.stage, settings, dx, dy, view.scale)


def test_shift_headline_says_pooling_helps_as_the_chart_does():
    """Moved from the page test. Bug: on the face moved 1 px the headline read "72 % of pooled
    cells unchanged" against "76 % of feature-map cells", as if pooling hurt. Now it gives the
    depth chart's measure for both maps, recomputed with SciPy, and how much pooling took away."""
    face, kernel = sample_image(FACE), KERNELS["Eye detector"].values
    feature, pooled = reference_change(face, kernel, 1, 0)
    summary = _shift(face).summary
    m = re.search(CHANGE, summary)
    assert float(m[1]) == pytest.approx(feature, abs=0.005)
    assert float(m[2]) == pytest.approx(pooled, abs=0.005)
    assert float(m[2]) < float(m[1])
    assert "(0 = the same, 1 = nothing in common)" in summary  # the scale, read where it is
    taken = re.search(r"Pooling took away (\d+)% of the change\.", summary)
    assert int(taken[1]) == round(100 * (1 - pooled / feature))
    c = compare_shift(face, kernel, 1, 0)
    assert f"Largest change of a pooled cell: {c.largest_change:.4g}" in summary
    assert "Unchanged" not in summary


@pytest.mark.parametrize("seed", range(4))
def test_shift_summary_agrees_with_scipy_on_random_pictures(seed):
    rng = np.random.default_rng(seed)
    image = rng.random((int(rng.integers(20, 60)), int(rng.integers(20, 60))))
    kernel = ["Sobel x", "Laplacian", "Box blur", "Edge detection 2"][seed]
    dx, dy = (int(v) for v in rng.integers(-3, 4, 2))
    feature, pooled = reference_change(image, KERNELS[kernel].values, dx, dy)
    m = re.search(CHANGE, _shift(image, kernel, dx, dy).summary)
    assert float(m[1]) == pytest.approx(feature, rel=0.05, abs=0.005)
    assert float(m[2]) == pytest.approx(pooled, rel=0.05, abs=0.005)


def test_without_relu_the_change_scale_reaches_two():
    """Moved from the page test: Sobel x without ReLU has negative values, 1 − cosine up to 2."""
    face = sample_image(FACE)
    view = _shift(face, "Sobel x", -3, 2, relu=False)
    c = compare_shift(face, KERNELS["Sobel x"].values, -3, 2, relu=False)
    assert c.original.feature.min() < 0
    assert f"Largest change of a pooled cell: {c.largest_change:.4g}" in view.summary
    m = re.search(CHANGE, view.summary)
    assert float(m[1]) == pytest.approx(c.feature_change, abs=0.005)
    assert float(m[2]) == pytest.approx(c.pooled_change, abs=0.005)
    assert "(0 = the same, 1 = unrelated, 2 = opposite)" in view.summary
    assert "(0 = the same, 1 = nothing in common)" in _shift(face, "Sobel x", -3, 2).summary


def test_zero_shift_leaves_every_cell_unchanged():
    summary = _shift(sample_image(FACE), dx=0).summary
    assert "feature map 0.00 → pooled map 0.00" in summary
    assert "The feature map did not change, so neither did the pooled map." in summary
    assert "Largest change of a pooled cell: 0 " in summary


def test_a_shift_beyond_the_window_is_not_called_a_gain():
    """Moved from the page test: where the pooled map changes more, the text says so."""
    face = sample_image(FACE)
    c = compare_shift(face, KERNELS["Sobel y"].values, -5, 0)
    assert c.pooled_change > c.feature_change  # pinned: the case this test is about
    summary = _shift(face, "Sobel y", -5).summary
    more = re.search(
        r"Here the pooled map changed more than the feature map \((\d+)% more\)", summary
    )
    assert int(more[1]) == round(100 * (c.pooled_change / c.feature_change - 1))
    assert "took away" not in summary


@pytest.mark.parametrize(
    ("feature", "pooled", "expected"),
    [
        (0.0, 0.0, "The feature map did not change, so neither did the pooled map."),
        (0.5, 0.25, "Pooling took away 50% of the change."),
        (0.5, 0.499, "Pooling left the change as it was."),
        (0.5, 0.501, "Pooling left the change as it was."),
        (0.2, 0.3, "Here the pooled map changed more than the feature map (50% more)"),
    ],
)
def test_verdict_follows_the_two_changes(feature, pooled, expected):
    c = compare_shift(random_image(1), KERNELS["Box blur"].values, 1, 0)
    said = verdict(dataclasses.replace(c, feature_change=feature, pooled_change=pooled))
    assert said.startswith(expected)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0.00"), (0.1, "0.10"), (0.456, "0.46"), (0.0123, "0.012"), (3e-5, "3e-05")],
)
def test_small_changes_are_not_printed_as_zero(value, text):
    assert change_text(value) == text


def test_difference_scale_is_centred_on_zero_and_white_there():
    settings = Settings("Sobel x", False, "max", 2, 2, "valid")
    scale = pooling_view(random_image(3), settings).scale
    diff = difference_scale(scale)
    assert scale.vmin < 0 < scale.vmax  # without ReLU: both signs, the larger one is the bound
    assert diff.vmax == max(-scale.vmin, scale.vmax) == -diff.vmin and diff.diverging
    assert colorize(np.zeros((1, 1)), diff)[0, 0].min() >= 240  # white-ish: no change


def test_small_maps_are_nine_heatmaps_with_a_note_where_the_image_has_no_difference():
    view = _shift(sample_image(FACE), dx=2, dy=-1)
    assert view.picture is None
    names = [name for name, _ in view.rows]
    assert names == ["Image", "Feature map", "Pooled map"]
    assert view.rows[0][1][2] == MapNote(MOVED) and view.rows[0][1][2].text == MOVED
    kinds = [[item.kind for item in row] for _, row in view.rows]
    assert kinds == [["heatmap", "heatmap", "note"]] + [["heatmap"] * 3] * 2  # what to draw
    original, shifted, change = view.rows[2][1]
    assert shifted.title == "Pooled map: shifted (2, -1)"
    np.testing.assert_array_equal(change.array, shifted.array - original.array)
    assert change.scale.diverging and change.png is None


def test_big_maps_become_one_picture_whose_caption_follows_the_shift():
    """Moved from the page test: 300×300 is above the hover limit; the comparison is one JPEG of
    3 panels of 256 px and two colour bars per row, 3 rows."""
    noise = random_image(0, (300, 300))
    view = _shift(noise, "Eye detector", 4, 0)
    assert view.rows == ()
    picture = Image.open(io.BytesIO(view.picture))
    assert picture.format == "JPEG" and picture.size == (964, 862)  # legends 76 px (5d22e3d)
    assert "the image, its feature map, the pooled map" in view.caption
    assert "original, shifted (4, 0), shifted − original" in view.caption


def reference_article(dx: int) -> tuple[np.ndarray, ...]:
    """The article's feature and pooled maps before and after: SciPy, a reshape max-pool."""
    image = np.zeros((8, 8))
    image[3, 2] = image[3, 4] = 1.0
    moved = np.roll(image, dx, axis=1)  # the eyes are far from the edge: a roll is a shift
    maps = []
    for picture in (image, moved):
        feature = reference_feature(picture, "Edge detection 3", True)
        maps += [feature, feature.reshape(4, 2, 4, 2).max(axis=(1, 3))]
    return tuple(maps)


@pytest.mark.parametrize(
    ("choice", "dx"), [("1 pixel right", 1), ("2 pixels right", 2), ("1 pixel left", -1)]
)
def test_article_example_counts_the_pooled_cells_that_changed(choice, dx):
    """Moved from the page test: 1 px right identical; 2 px right and 1 px left change 2 of 16."""
    feature_before, before, feature_after, after = reference_article(dx)
    changed = int((before != after).sum())
    feature = f"{cosine(feature_before.ravel(), feature_after.ravel()):.2f}"
    pooled = f"{cosine(before.ravel(), after.ravel()):.2f}"
    view = article_view(choice)
    same = "yes" if changed == 0 else "no"
    assert view.summary == (
        f"Pooled maps identical: {same} ({changed} of 16 pooled cells changed). Change of the "
        f"pattern: feature map {feature} → pooled map {pooled}"
    )
    assert changed == (0 if dx == 1 else 2)
    (label, grids), (shifted_label, shifted_grids) = view.rows
    assert (label, shifted_label) == ("Original", f"Shifted {choice}")
    np.testing.assert_array_equal(grids[2].array, before)
    np.testing.assert_array_equal(shifted_grids[2].array, after)
    assert [g.title for g in grids] == [
        "image (8×8)",
        "feature map: ReLU(conv)",
        "2×2 max pool, stride 2",
    ]
    assert ("cannot tell" in view.explanation) == (dx == 1)


def test_depth_view_prints_the_curve_and_says_whether_depth_helped():
    """Moved from the page test: the printed changes are depth_curve's, and the trend holds."""
    camera = sample_image("Camera man")
    view = depth_view(camera, "Edges, then blur")
    curve = depth_curve(camera)
    np.testing.assert_array_equal(view.curve.change, curve.change)
    m = re.match(r"Change for 1, 2, 3 stages at 1 px: ([\d.]+), ([\d.]+), ([\d.]+);", view.numbers)
    assert [float(g) for g in m.groups()] == [round(v, 2) for v in curve.change[:, 1]]
    assert [part.split(":")[0] for part in view.numbers.split("; ")] == [
        "Change for 1, 2, 3 stages at 1 px",
        "2 px",
        "4 px",
        "8 px",
    ]
    assert "every extra stage changed less at every shift" in view.finding
    assert f"outer {curve.margin} pixels" in view.caption
    assert "Cells compared: " + ", ".join(f"{r}×{c}" for r, c in curve.compared) in view.caption
    assert len(view.figure.data) == 3


def test_depth_view_says_when_depth_did_not_help():
    """Moved from the page test: edges at every stage on the face, with the shifts it failed at."""
    face = sample_image(FACE)
    view = depth_view(face, "Edges at every stage")
    curve = depth_curve(face, kernels=DEPTH_STACKS["Edges at every stage"].kernels)
    m = re.search(r"at 1 px: ([\d.]+), ([\d.]+), ([\d.]+)", view.numbers)
    assert [float(g) for g in m.groups()] == [round(v, 2) for v in curve.change[:, 1]]
    assert "did **not** always change less" in view.finding
    assert f"at shifts {', '.join(map(str, curve.exceptions()))} px" in view.finding
    assert view.caption.endswith("; so few cells make a jagged curve.")  # 64 px: 4×4 cells


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: Settings("Blur", True, "max", 2, 2, "valid"),
            r"`kernel` must be .* kernel='Blur'",
        ),
        (lambda: Settings("Sobel x", True, "median", 2, 2, "valid"), r"`mode` .* mode='median'"),
        (lambda: article_view("3 pixels up"), r"`choice` must be one of .* choice='3 pixels up'"),
        (lambda: depth_view(random_image(0, (64, 64)), "Deep"), r"`stack` .* stack='Deep'"),
        (lambda: depth_view(random_image(0, (20, 20)), "Edges, then blur"), "too small"),
    ],
)
def test_bad_arguments_are_named_with_the_value_received(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_feature_caption_describes_the_kernel():
    caption = feature_caption("Sobel y")
    assert caption.startswith(f"**Sobel y**: {KERNELS['Sobel y'].description} ")
    assert "padding 'same'" in caption


def test_map_kind_says_whether_it_is_drawn_as_heatmap_or_picture():
    """Regression: the page sniffed types (``isinstance(item, str)``); each item now says."""
    small = pooling_view(random_image(5, (12, 12)), Settings("Sobel x", True, "max", 2, 2, "valid"))
    big = pooling_view(random_image(5, (90, 90)), Settings("Sobel x", True, "max", 2, 2, "valid"))
    assert (small.feature.kind, small.pooled.kind) == ("heatmap", "heatmap")
    assert small.feature.png is None
    assert (big.feature.kind, big.pooled.kind) == ("picture", "picture")
    assert big.feature.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("seed", range(5))
def test_padding_note_states_the_rule_the_formula_computes(seed):
    """The note's ⌈length / stride⌉ is what 'same' gives (against math.ceil on random sizes),
    written as the formula line writes it with numbers."""
    rng = np.random.default_rng(seed)
    n, size, stride = int(rng.integers(5, 80)), int(rng.integers(1, 9)), int(rng.integers(1, 9))
    view = pooling_view(
        random_image(seed, (n, n)), Settings("Identity", True, "max", size, stride, "same")
    )
    assert view.stage.pooled.shape == (math.ceil(n / stride),) * 2
    rule = re.search(r"⌈(\w+) / (\w+)⌉", PADDING_NOTE)
    assert rule.groups() == ("length", "stride")
    numbers = f"⌈{n} / {stride}⌉ = {math.ceil(n / stride)}"
    assert explain_output_size(n, size, stride, "same") == numbers
    assert view.formula == f"Rows: `{numbers}`  \nColumns: `{numbers}`"


def test_stack_caption_is_the_stacks_description_and_refuses_unknown_names():
    for name, stack in DEPTH_STACKS.items():
        assert stack_caption(name) == stack.description
    with pytest.raises(ValueError, match=r"`stack` must be one of .*Received: stack='deep'"):
        stack_caption("deep")


# --- section 3's pictures: a click on the pooled map opens a window, outlined on both maps ---


def _outline_centre(png: bytes) -> tuple[tuple[float, float], tuple[int, int]]:
    """The centre (x, y) of the window colour's pixels in a picture, and the picture's size."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    ys, xs = np.nonzero(np.all(rgb == WINDOW_COLOR, axis=-1))
    assert ys.size, "no outline drawn"
    return ((xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2), rgb.shape[:2]


@pytest.mark.parametrize(
    ("shape", "size", "stride", "padding"),
    [((64, 64), 2, 2, "valid"), ((37, 52), 3, 2, "same"), ((700, 500), 2, 2, "valid")],
)
def test_the_window_pictures_outline_the_pooled_cell_and_its_window(shape, size, stride, padding):
    """Random cells of random maps (small, odd, and big enough to be shrunk): the outline on the
    pooled map is centred on the chosen cell, the one on the feature map on that cell's window
    (reference: the window's rows and columns from the stride and TensorFlow's padding), found
    back from the drawn pixels with the same cell_at a click uses."""
    image = random_image(sum(shape), shape)
    settings = Settings("Sobel x", False, "max", size, stride, padding)
    view = pooling_view(image, settings)
    ph, pw = view.stage.pooled.shape
    rng = np.random.default_rng(3)
    for _ in range(4):
        row, col = int(rng.integers(ph)), int(rng.integers(pw))
        w = window_view(view.stage, settings, row, col, view.scale)
        centre, (height, width) = _outline_centre(w.pooled_picture)
        assert max(height, width) <= WINDOW_SIDE
        assert cell_at(centre, (height, width), (ph, pw)) == (row, col)
        centre, (height, width) = _outline_centre(w.feature_picture)
        r, c = cell_at(centre, (height, width), view.stage.feature.shape)
        (fh, fw), same = view.stage.feature.shape, padding == "same"
        pad_top = max((ph - 1) * stride + size - fh, 0) // 2 if same else 0  # TensorFlow's
        pad_left = max((pw - 1) * stride + size - fw, 0) // 2 if same else 0
        top, left = row * stride - pad_top, col * stride - pad_left
        slack = math.ceil(max(view.stage.feature.shape) / WINDOW_SIDE)  # a shrunk map's cells
        assert top - slack <= r <= top + size - 1 + slack
        assert left - slack <= c <= left + size - 1 + slack
