"""The Convolution page's lesson, without Streamlit: every number, sentence and picture it makes.

Each view is checked against an independent reference: a direct multiply-and-sum over windows
(NumPy, zero padding placed as TensorFlow places it), SciPy's ``ndimage.correlate`` and
``ndimage.label``, and NumPy percentiles for the colour scales.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from cnnviz.lessons.convolution import (
    CHANNELS,
    MAX_DILATION,
    MAX_PADDING,
    MAX_STRIDE,
    Settings,
    animation_frame,
    clips_by_default,
    colorbar_png,
    eye_example,
    feature_map,
    number_in_use,
    output_size_text,
    padding_choice,
    play_block,
    start_cell,
    step_through,
)
from cnnviz.maths.kernels import KERNELS
from cnnviz.pictures import (
    FACE_EYES,
    SAMPLES,
    ColorScale,
    Legend,
    Panel,
    cartoon_face,
    cell_at,
    colorize,
    panel_grid,
    sample_image,
)

rng = np.random.default_rng(12)
SOBEL = KERNELS["Sobel x"].values
MINUS = "−"

# (input shape, kernel shape, stride, padding, dilation): odd and even kernels, every padding.
CASES = [
    ((9, 11), (3, 3), 1, "valid", 1),
    ((9, 11), (3, 3), 2, "same", 1),
    ((10, 7), (4, 2), 1, "same", 1),
    ((10, 7), (2, 5), 3, "same", 2),
    ((8, 12), (3, 3), 1, 2, 2),
    ((13, 9, 3), (3, 3), 2, 1, 1),
    ((7, 8, 3), (5, 3), 1, "same", 1),
]


def zeros_before_after(n: int, k: int, stride: int, padding, dilation: int) -> tuple[int, int]:
    """Zeros (before, after) along one axis, as TensorFlow's documentation gives 'same' padding:
    max(span − stride, 0) when stride divides n, else max(span − n mod stride, 0); the odd
    extra zero goes after."""
    if padding in ("valid", "same"):
        span = dilation * (k - 1) + 1
        total = max(span - (n % stride or stride), 0) if padding == "same" else 0
        return total // 2, total - total // 2
    return padding, padding


def reference(x: np.ndarray, kernel: np.ndarray, stride: int, padding, dilation: int):
    """The multiply-and-sum of every window, written out: (H_out, W_out) or (H_out, W_out, C)."""
    kh, kw = kernel.shape
    pads = [zeros_before_after(n, k, stride, padding, dilation) for n, k in zip(x.shape, (kh, kw))]
    padded = np.pad(x.astype(np.float64), pads + [(0, 0)] * (x.ndim - 2))
    spans = (dilation * (kh - 1) + 1, dilation * (kw - 1) + 1)
    oh = (padded.shape[0] - spans[0]) // stride + 1
    ow = (padded.shape[1] - spans[1]) // stride + 1
    out = np.zeros((oh, ow) + x.shape[2:])
    for r in range(oh):
        for c in range(ow):
            window = padded[
                r * stride : r * stride + spans[0] : dilation,
                c * stride : c * stride + spans[1] : dilation,
            ]
            out[r, c] = np.tensordot(window, kernel, axes=([0, 1], [0, 1]))
    return out


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def number(text: str) -> float:
    return float(text.replace(MINUS, "-"))


def diverging_level(rgb: np.ndarray) -> np.ndarray:
    """Where each colour sits on the blue-white-red bar: 0 (blue end) … 255 (red end)."""
    bar = colorize(np.linspace(-1, 1, 256)[None], ColorScale("RdBu_r", -1, 1))[0]  # (256, 3)
    colours, index = np.unique(rgb.reshape(-1, 3), axis=0, return_inverse=True)  # (n, 3)
    distance = ((colours[:, None, :].astype(int) - bar.astype(int)) ** 2).sum(axis=-1)
    return distance.argmin(axis=-1)[index.ravel()].reshape(rgb.shape[:2])


def scipy_channel_maps(name: str, kernel: np.ndarray) -> np.ndarray:
    """SciPy's 'valid' cross-correlation of each channel (odd kernel): (H_out, W_out, 3)."""
    x = sample_image(name).astype(np.float64)
    (kh, kw), (h, w) = kernel.shape, x.shape[:2]
    maps = [ndimage.correlate(x[..., c], kernel, mode="constant") for c in range(3)]
    return np.stack(maps, axis=-1)[kh // 2 : kh // 2 + h - kh + 1, kw // 2 : kw // 2 + w - kw + 1]


# --- section 4: the feature map -----------------------------------------------------------------


@pytest.mark.parametrize(("shape", "kshape", "stride", "padding", "dilation"), CASES)
def test_feature_map_is_the_sum_over_every_window(shape, kshape, stride, padding, dilation):
    """Random picture and kernel: the map (per channel and summed) is the direct sum over
    windows; the headline names both sizes and the kernel."""
    x = rng.random(shape).astype(np.float32)
    kernel = rng.normal(size=kshape)
    settings = Settings(stride, padding, dilation)
    view = feature_map(x, kernel, settings, per_channel=x.ndim == 3, kernel_name="Mine")
    expected = reference(x, kernel, stride, padding, dilation)
    if x.ndim == 3:
        np.testing.assert_allclose(view.maps, expected, rtol=1e-5, atol=1e-5)
        expected = expected.sum(axis=-1)
    np.testing.assert_allclose(view.raw, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(view.fmap, expected, rtol=1e-5, atol=1e-5)
    (h, w), (oh, ow) = shape[:2], expected.shape
    assert view.headline.startswith(f"**Output: {oh} × {ow}** (input {h} × {w}, kernel Mine)\n\n")
    assert view.input_caption == f"Input: {h} × {w} px"


@pytest.mark.parametrize(("shape", "kshape", "stride", "padding", "dilation"), CASES)
def test_output_size_text_fills_the_formula_with_this_pictures_numbers(
    shape, kshape, stride, padding, dilation
):
    """Each line ends in the size the windows really make; 'same' says where its zeros go."""
    settings = Settings(stride, padding, dilation)
    text = output_size_text(shape, kshape, settings)
    oh, ow = reference(np.zeros(shape[:2]), np.zeros(kshape), stride, padding, dilation).shape
    lines = text.splitlines()
    assert lines[1].startswith("- height: `") and lines[1].endswith(f" = {oh}`")
    assert lines[2].startswith("- width: `") and lines[2].endswith(f" = {ow}`")
    if padding == "same":
        assert lines[0] == "With 'same' padding the output size is ⌈input / stride⌉:"
        top, bottom = zeros_before_after(shape[0], kshape[0], stride, padding, dilation)
        left, right = zeros_before_after(shape[1], kshape[1], stride, padding, dilation)
        assert lines[3].startswith(
            f"- 'same' adds {top} row(s) of zeros above, {bottom} below, {left} column(s) left "
            f"and {right} right"
        )
    else:
        pad = 0 if padding == "valid" else padding
        assert f"`⌊({shape[0]} + 2·{pad} − {dilation}·({kshape[0]} − 1) − 1) / {stride}⌋" in text
        assert len(lines) == 3


def test_grayscale_mode_slides_over_the_luma_of_a_colour_picture():
    """Not per channel: the kernel meets 0.299 R + 0.587 G + 0.114 B, and the caption says so."""
    x = rng.random((12, 10, 3)).astype(np.float32)
    view = feature_map(x, SOBEL, Settings(1, "valid", 1))
    luma = x.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(view.fmap, reference(luma, SOBEL, 1, "valid", 1), atol=1e-5)
    assert view.maps is None and view.channels_picture is None
    assert view.input_caption == "Input (brightness): 12 × 10 px"


@pytest.mark.parametrize(
    ("name", "reference_activation"),
    [
        ("ReLU", lambda v: np.maximum(v, 0)),
        ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
        ("tanh", np.tanh),
    ],
)
def test_the_activation_is_applied_to_the_sums_and_named_in_the_caption(name, reference_activation):
    """The map drawn is the activation of the sums; the sums themselves stay in ``raw``."""
    x = rng.random((9, 9)).astype(np.float32)
    view = feature_map(x, SOBEL, Settings(1, "valid", 1), activation=name)
    sums = reference(x, SOBEL, 1, "valid", 1)
    np.testing.assert_allclose(view.raw, sums, atol=1e-5)
    np.testing.assert_allclose(view.fmap, reference_activation(sums), atol=1e-5)
    assert view.map_caption.startswith(f"Feature map (after {name}): 7 × 7, at the same scale.")


def test_clipping_ends_the_colour_bar_at_the_995th_percentile_and_says_the_full_range():
    """Clipped: the bar ends at the 99.5th percentile of |value| and the caption gives the full
    bar's range; unclipped: the bar spans ± the largest |value| and no range is mentioned."""
    x = rng.random((40, 40)).astype(np.float32)
    x[20, 20] = 40.0  # one extreme pixel
    sums = reference(x, SOBEL, 1, "valid", 1)
    full = feature_map(x, SOBEL, Settings(1, "valid", 1), clip=False)
    clipped = feature_map(x, SOBEL, Settings(1, "valid", 1), clip=True)
    bound = float(np.abs(sums).max())
    assert (full.scale.name, full.scale.vmin, full.scale.vmax) == pytest.approx(
        ("RdBu_r", -bound, bound)
    )
    assert clipped.scale.vmax == pytest.approx(np.percentile(np.abs(sums), 99.5), rel=1e-4)
    assert clipped.scale.vmin == -clipped.scale.vmax
    assert "Red cells are positive, blue negative, white zero" in full.map_caption
    assert "The values run from" not in full.map_caption
    # The full range is the unclipped bar's: symmetric about zero for a signed map.
    assert f"The values run from {-bound:.3g} to {bound:.3g};" in clipped.map_caption


def test_a_non_negative_map_is_gray_from_its_minimum_to_its_maximum():
    """A blur of a positive picture: a gray scale, darker for smaller values, said in words."""
    x = rng.random((20, 16)).astype(np.float32) + 0.5
    view = feature_map(x, np.ones((3, 3)) / 9, Settings(1, "same", 1))
    sums = reference(x, np.ones((3, 3)) / 9, 1, "same", 1)
    assert view.scale.name == "gray"
    assert (view.scale.vmin, view.scale.vmax) == pytest.approx((sums.min(), sums.max()), rel=1e-5)
    assert "Darker cells are smaller values, brighter ones larger." in view.map_caption


@pytest.mark.parametrize("shape", [(64, 64), (20, 30), (512, 512), (300, 451)])
def test_the_map_picture_is_the_coloured_map_enlarged_by_the_shared_factor(shape):
    """The input and its map share one whole factor that brings the shorter side to ≥ 320
    pixels (longer side ≤ 2048); the map's picture is each cell as a factor × factor block."""
    x = rng.random(shape).astype(np.float32)
    view = feature_map(x, SOBEL, Settings(1, "same", 1))
    factor = max(1, min(math.ceil(320 / min(shape)), 2048 // max(shape)))
    assert view.factor == factor and view.pixelated == (factor > 1)
    assert view.widths == (shape[1], shape[1])
    rgb = decoded(view.map_picture)
    assert rgb.shape == (shape[0] * factor, shape[1] * factor, 3)
    if max(shape) * factor <= 512:  # small pictures travel as exact PNG
        centres = rgb[factor // 2 :: factor, factor // 2 :: factor]
        np.testing.assert_array_equal(centres, colorize(view.fmap, view.scale))


def test_channel_maps_are_drawn_on_a_scale_of_their_own_range():
    """Regression: the channel maps were drawn on the sum's scale, about three times wider,
    so they looked washed out. Each is now coloured on the channel maps' own range (the
    99.5th percentile of |value|, as the map above when clipping), the sum on its own."""
    cat = sample_image("Cat")
    view = feature_map(cat, SOBEL, Settings(1, "valid", 1), per_channel=True, clip=True)
    maps = scipy_channel_maps("Cat", SOBEL)
    total = maps.sum(axis=-1)
    bound = float(np.percentile(np.abs(maps), 99.5))
    sum_bound = float(np.percentile(np.abs(total), 99.5))
    assert bound < 0.5 * sum_bound  # on the sum's scale the channels would stay pale
    channels = ColorScale("RdBu_r", -bound, bound)
    summed = ColorScale("RdBu_r", -sum_bound, sum_bound)
    rows = [
        [Panel(f"{n} channel", maps[..., c], channels) for c, n in enumerate(CHANNELS)]
        + [Legend(channels, "channels")],
        [
            Panel("= red + green + blue", total, summed),
            Legend(summed, "sum"),
            Panel("How to read this", note=""),
        ],
    ]
    expected = panel_grid(rows, side=280)
    shown = decoded(view.channels_picture)
    assert shown.shape == expected.pixels.shape
    for top, left, h, w in [*expected.boxes[0], *expected.boxes[1][:2]]:  # maps and bars
        drawn_box = shown[top : top + h, left : left + w].astype(int)
        expected_box = expected.pixels[top : top + h, left : left + w].astype(int)
        off = np.abs(drawn_box - expected_box).max(axis=-1) > 3
        assert off.mean() < 0.002, off.mean()
    for top, left, h, w in expected.boxes[0][:3]:  # not washed out: strong cells in each map
        level = diverging_level(shown[top : top + h, left : left + w])
        assert (np.abs(level - 127.5) > 64).mean() > 0.01


@pytest.mark.parametrize("name", SAMPLES)
def test_maps_of_drawings_start_unclipped_and_of_photos_clipped(name):
    """The cartoon face is a drawing (a handful of tones); the photos have hundreds."""
    image = sample_image(name)
    levels = np.unique(image).size
    assert clips_by_default(image) == (levels > 32)
    assert clips_by_default(image) == (name != "Cartoon face")


# --- section 5: one output cell -----------------------------------------------------------------


def sums_total(line: str) -> float:
    """The number after the last "= " of a sum-of-products line."""
    return number(line.rsplit("= ", 1)[1])


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation", "cell"),
    [
        ("Sobel x", 1, "valid", 1, (20, 17)),
        ("Eye detector", 1, "same", 1, (24, 21)),
        ("Gaussian blur 5×5", 2, "same", 2, (0, 31)),
    ],
)
def test_step_through_sum_equals_the_feature_map_value(kernel, stride, padding, dilation, cell):
    """The printed sum of products equals the shown map value and the direct sum."""
    face, weights = sample_image("Cartoon face"), KERNELS[kernel].values
    settings = Settings(stride, padding, dilation)
    step = step_through(feature_map(face, weights, settings), weights, settings, *cell)
    lines = step.sums.split("\n\n")
    expected = reference(face, weights, stride, padding, dilation)[cell]
    assert lines[1] == f"Feature map at ({cell[0]}, {cell[1]}): {step.value:.6g}"
    assert step.value == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert lines[0].startswith("**Sum of the products:** ")
    assert sums_total(lines[0]) == pytest.approx(step.value, abs=1e-3)


@pytest.mark.parametrize(("shape", "kshape", "stride", "padding", "dilation"), CASES)
def test_a_random_cell_is_explained_where_its_window_is(shape, kshape, stride, padding, dilation):
    """A random cell: its value, where its window starts (in the padding or not), and the
    rows and columns the zoom shows around it."""
    x = rng.random(shape).astype(np.float32)
    kernel = rng.normal(size=kshape)
    settings = Settings(stride, padding, dilation)
    view = feature_map(x, kernel, settings, per_channel=x.ndim == 3)
    row, col = (int(rng.integers(n)) for n in view.fmap.shape)
    step = step_through(view, kernel, settings, row, col, channel="green")
    expected = reference(x, kernel, stride, padding, dilation)[row, col]
    assert step.value == pytest.approx(float(np.sum(expected)), rel=1e-5, abs=1e-5)
    top = row * stride - zeros_before_after(shape[0], kshape[0], stride, padding, dilation)[0]
    left = col * stride - zeros_before_after(shape[1], kshape[1], stride, padding, dilation)[0]
    where = "starts in the zero padding" if min(top, left) < 0 else "starts"
    assert f"The window {where} at input row {top}, column {left}." in step.sums
    plane = "green channel" if x.ndim == 3 else "brightness"
    assert step.caption.startswith(f"Left: the input around the window (amber box), {plane}, ")
    near_rows = f"rows {max(0, row - 8)}…{min(view.fmap.shape[0], row + 9) - 1}"
    assert f"Right: the feature map around the cell (amber square), {near_rows}, " in step.caption
    assert step.picture[:4] == b"\x89PNG"


@pytest.mark.parametrize("channel", CHANNELS)
def test_per_channel_sum_line_writes_the_channel_in_the_grids_and_its_partial_sum(channel):
    """Regression: the sum line mixed 27 R, G and B products while the grids showed red only.
    Now it writes the chosen channel's 9 products and their sum, which is SciPy's value; the
    three channel sums add up to the map's value."""
    cat = sample_image("Cat")
    settings = Settings(1, "valid", 1)
    view = feature_map(cat, SOBEL, settings, per_channel=True)
    step = step_through(view, SOBEL, settings, 100, 37, channel=channel)
    line, per_channel = step.sums.split("\n\n")[:2]
    assert line.startswith(f"**Sum of the products, {channel} channel**")
    assert line.count("·") == 9 and "more products" not in line
    expected = scipy_channel_maps("Cat", SOBEL)[100, 37]
    c = CHANNELS.index(channel)
    assert sums_total(line) == pytest.approx(expected[c], rel=1e-2, abs=1e-3)
    first = f"{float(cat[100, 37, c]):.3g}·(−1)"  # the window starts at (100, 37); Sobel x at −1
    assert line.split("** (the grids above): ")[1].startswith(first)
    parts = [number(v) for v in re.findall(r"(?:red|green|blue) (\S+)", per_channel)]
    np.testing.assert_allclose(parts, expected, rtol=1e-3, atol=1e-4)
    assert sum(parts) == pytest.approx(step.value, abs=1e-3)


def test_after_relu_gives_the_activated_value_of_the_cell():
    """With ReLU the step-through says what the activation turned the sum into."""
    face = sample_image("Cartoon face")
    settings = Settings(1, "valid", 1)
    view = feature_map(face, SOBEL, settings, activation="ReLU")
    negative = np.argwhere(reference(face, SOBEL, 1, "valid", 1) < -0.1)[0]
    step = step_through(view, SOBEL, settings, *negative)
    assert step.value < 0
    assert step.sums.split("\n\n")[2] == "After ReLU: 0"


# --- the Play animation -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_the_play_block_is_inside_the_map_and_holds_the_chosen_cell(seed):
    """At most 6 × 6 cells, never past the map's edge, starting at the cell where it fits."""
    generator = np.random.default_rng(seed)
    oh, ow = (int(n) for n in generator.integers(1, 30, size=2))
    row, col = int(generator.integers(oh)), int(generator.integers(ow))
    r0, c0, rows, cols = play_block((oh, ow), row, col)
    assert (rows, cols) == (min(6, oh), min(6, ow))
    assert 0 <= r0 <= row < r0 + rows <= oh and 0 <= c0 <= col < c0 + cols <= ow
    assert r0 == row or r0 + rows == oh
    assert c0 == col or c0 + cols == ow


@pytest.mark.parametrize(
    ("i", "playing", "status", "still_playing"),
    [
        (0, True, "The map fills in one cell per step, as the window reaches it.", True),
        (13, False, "Stopped at cell (12, 4), 14 of 36.", False),
        (35, True, "Done: all 36 cells filled in.", False),
        (99, True, "Done: all 36 cells filled in.", False),
    ],
)
def test_a_frame_fills_the_map_in_up_to_its_cell(i, playing, status, still_playing):
    """Frame i shows cells 0…i in their colours and the rest blank; its caption gives the
    value of cell i; the last frame ends the animation."""
    x = rng.random((30, 30)).astype(np.float32)
    settings = Settings(1, "valid", 1)
    view = feature_map(x, SOBEL, settings)
    block = (10, 3, 6, 6)
    frame = animation_frame(view, SOBEL, settings, block, i, playing=playing)
    assert (frame.status, frame.playing) == (status, still_playing)
    shown = min(i, 35)
    r, c = divmod(shown, 6)
    value = reference(x, SOBEL, 1, "valid", 1)[10 + r, 3 + c]
    assert frame.cells_caption == f"Cell ({10 + r}, {3 + c}) = {value:.4g}"
    cells = decoded(frame.cells)
    factor = cells.shape[0] // 6
    centres = cells[factor // 2 :: factor, factor // 2 :: factor].reshape(36, 3)
    blank = np.all(centres == 235, axis=-1)
    assert blank.tolist() == [k > shown for k in range(36)]


# --- section 6: the article's example -----------------------------------------------------------


@pytest.mark.parametrize("percent", [10, 20, 30, 40, 60, 100])
def test_eye_example_finds_the_spots_scipy_finds_at_each_threshold(percent):
    """The mask keeps the cells ≥ percent % of the maximum; its spots are SciPy's blob centres;
    the verdict says the eyes are found exactly when the spots are the two eyes."""
    face = cartoon_face()
    fmap = ndimage.correlate(
        face.astype(np.float64), KERNELS["Eye detector"].values, mode="constant"
    )
    threshold = percent / 100 * fmap.max()
    mask = fmap >= threshold * (1 - 1e-6)  # float32 and float64 sums may differ in the last bit
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    centres = ndimage.center_of_mass(mask, labels, range(1, count + 1))
    spots = sorted((round(r), round(c)) for r, c in centres)
    eye = eye_example(percent)
    assert eye.threshold == pytest.approx(threshold, rel=1e-5)
    assert list(eye.spots) == spots
    assert eye.mask_caption == f"Where the map ≥ {eye.threshold:.3g}: white = eye found"
    factor = decoded(eye.mask).shape[0] // 64
    np.testing.assert_array_equal(
        decoded(eye.mask)[factor // 2 :: factor, factor // 2 :: factor, 0] > 127, mask
    )
    if spots == sorted(FACE_EYES):
        assert eye.found
        where = " and ".join(f"({r}, {c})" for r, c in spots)
        assert eye.verdict == (
            f"Two white spots, centred at {where}: the map lights up exactly at the eyes."
        )
    else:
        assert not eye.found and eye.verdict.startswith(f"{len(spots)} white spots: ")


# --- the boxes: the value in use, the refusal, the cell shown ---------------------------------


@pytest.mark.parametrize(
    ("typed", "last", "low", "high", "name", "used", "message"),
    [
        (3, 1, 1, MAX_STRIDE, "stride", 3, None),
        (
            9, 3, 1, MAX_STRIDE, "stride", 3,
            "Stride must be a whole number from 1 to 8. Received: stride=9. Still using stride 3.",
        ),
        (0, 3, 1, MAX_STRIDE, "stride", 3, "Received: stride=0. Still using stride 3."),
        (
            7, 1, 1, MAX_DILATION, "dilation", 1,
            "Dilation must be a whole number from 1 to 6. Received: dilation=7. Still using "
            "dilation 1.",
        ),
        (25, 2, 0, MAX_PADDING, "padding", 2, "Received: padding=25. Still using padding 2."),
        (
            40, 20, 0, 20, "row", 20,
            "Row must be a whole number from 0 to 20. Received: row=40. Still using row 20.",
        ),
        (None, 4, 0, 20, "column", 4, "Received: an empty box. Still using column 4."),
        (None, None, 1, MAX_STRIDE, "stride", 1, "Still using stride 1."),  # none accepted yet
        (-1, 30, 0, 20, "row", 20, "Still using row 20."),  # the range shrank under it
        (2.0, 5, 0, 20, "row", 2, None),  # Streamlit may hand over a float
    ],
)  # fmt: skip
def test_a_box_uses_a_value_in_range_and_refuses_the_rest_naming_the_one_in_use(
    typed, last, low, high, name, used, message
):
    """The refusal's words are the page's, word for word (its AppTest checks they are shown)."""
    value, refusal = number_in_use(typed, last, low, high, name)
    assert value == used and isinstance(value, int)
    if message is None:
        assert refusal is None
    else:
        assert refusal.endswith(message)
        assert refusal.startswith(
            f"{name.capitalize()} must be a whole number from {low} to {high}."
        )


@pytest.mark.parametrize("seed", range(20))
def test_a_random_typed_value_is_used_exactly_when_it_is_in_range(seed):
    """Against the plain rule: in range, used as typed; else the last one, clipped to the range."""
    r = np.random.default_rng(seed)
    low, high = int(r.integers(0, 3)), int(r.integers(3, 30))
    typed, last = int(r.integers(-10, 40)), int(r.integers(-10, 40))
    value, refusal = number_in_use(typed, last, low, high, "stride")
    assert (refusal is None) == (low <= typed <= high)
    assert value == (typed if refusal is None else int(np.clip(last, low, high)))


def test_a_links_padding_number_means_the_pixels_choice_with_that_many_zeros():
    assert padding_choice(2) == ("pixels", 2)
    assert padding_choice(0) == ("pixels", 0)
    assert padding_choice("valid") == ("valid", None)
    assert padding_choice("same") == ("same", None)


@pytest.mark.parametrize("seed", range(30))
def test_the_cell_shown_is_the_middle_first_then_kept_or_moved_inside_a_resized_map(seed):
    """Against the rule in words: no cell, the middle; a new size moves an outside cell to the
    nearest edge; the same size leaves a typed cell alone (its box refuses it instead)."""
    r = np.random.default_rng(seed)
    shape = tuple(int(n) for n in r.integers(1, 70, size=2))
    last = None if seed % 5 == 0 else tuple(int(n) for n in r.integers(1, 70, size=2))
    if seed % 3 == 0:
        last = shape
    cell = tuple(None if r.random() < 0.2 else int(v) for v in r.integers(-5, 90, size=2))
    placed = start_cell(cell, shape, last)
    for value, n, got in zip(cell, shape, placed):
        if value is None:
            assert got == n // 2
        elif last == shape or 0 <= value < n:
            assert got == value
        else:
            assert got == (0 if value < 0 else n - 1)


def test_the_map_view_carries_its_colour_bar():
    """The bar drawn under the map is the map's own scale's (its ends are the scale's colours),
    narrow enough that its 14 px numbers are not shrunk under a map 220 px wide or wider."""
    view = feature_map(cartoon_face(), SOBEL, Settings(1, "valid", 1))
    assert view.colorbar == colorbar_png(view.scale)
    bar = np.asarray(Image.open(io.BytesIO(view.colorbar)).convert("RGB"))
    assert bar.shape[1] <= 220 and bar.shape[0] < bar.shape[1] / 3  # a strip, shown stretched
    ends = colorize(np.array([[view.scale.vmin, view.scale.vmax]]), view.scale)[0]
    colours = {tuple(int(v) for v in px) for px in bar.reshape(-1, 3)}
    assert {tuple(int(v) for v in end) for end in ends} <= colours
    clipped = feature_map(sample_image("Cat"), SOBEL, Settings(1, "valid", 1), clip=True)
    assert clipped.colorbar == colorbar_png(clipped.scale) != view.colorbar


# --- errors name the argument and the value received ------------------------------------------


def test_wrong_arguments_are_refused_naming_what_was_received():
    """Activation, per-channel on a gray picture, a channel name, a threshold, a kernel too big."""
    gray, settings = rng.random((8, 8)), Settings(1, "valid", 1)
    with pytest.raises(ValueError, match=r"`activation` must be one of .* activation='relu'"):
        feature_map(gray, SOBEL, settings, activation="relu")
    with pytest.raises(ValueError, match=r"`per_channel` needs a colour picture.*\(8, 8\)"):
        feature_map(gray, SOBEL, settings, per_channel=True)
    with pytest.raises(ValueError, match=r"`channel` must be one of red, green, blue\. .*'alpha'"):
        step_through(feature_map(gray, SOBEL, settings), SOBEL, settings, 0, 0, channel="alpha")
    with pytest.raises(ValueError, match=r"`percent` must be from 0 to 100\. .*percent=101"):
        eye_example(101)
    with pytest.raises(ValueError, match="Output would be empty"):
        feature_map(gray, np.ones((9, 9)), settings)


# --- a click on the feature map picks a cell (cnnviz.pictures.cell_at) -----------------------


def test_a_click_anywhere_in_a_cells_square_picks_that_cell_at_any_sizes():
    """Random map shapes and on-screen sizes (not multiples of each other): a click at a random
    point inside the cell's on-screen rectangle, found with NumPy's digitize over the cell
    edges, picks that cell."""
    rng = np.random.default_rng(14)
    for _ in range(200):
        rows, cols = (int(n) for n in rng.integers(1, 300, size=2))
        height, width = (float(n) for n in rng.uniform(40, 900, size=2))
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        row = int(np.digitize(y, np.linspace(0, height, rows + 1))) - 1
        col = int(np.digitize(x, np.linspace(0, width, cols + 1))) - 1
        assert cell_at((x, y), (height, width), (rows, cols)) == (row, col)


def test_a_click_on_an_edge_or_past_it_picks_the_edge_cell():
    """The browser can report the last pixel row or a point just outside: the nearest cell."""
    for point, cell in [((-2, -1), (0, 0)), ((330, 330), (61, 61)), ((400, 5), (0, 61))]:
        assert cell_at(point, (330, 330), (62, 62)) == cell


def test_cell_at_refuses_an_empty_picture_in_words():
    with pytest.raises(ValueError, match=r"`shown` must be a positive.*shown=\(0, 10\)"):
        cell_at((1, 1), (0, 10), (4, 4))


@pytest.mark.parametrize("shape", [(64, 64), (31, 47), (300, 200)])
def test_the_colour_under_a_click_on_the_drawn_map_is_the_picked_cells(shape):
    """End to end on the page's own picture: the feature map is drawn zoomed (view.factor),
    then shown at a random size; the colour of the drawn pixel under a random click is the
    colour of the cell cell_at picks."""
    rng = np.random.default_rng(sum(shape))
    view = feature_map(rng.random(shape, dtype=np.float32), KERNELS["Sobel x"].values,
                       Settings(1, "valid", 1))  # fmt: skip
    drawn = np.asarray(Image.open(io.BytesIO(view.map_picture)).convert("RGB"))
    colours = colorize(view.fmap, view.scale)  # (H_out, W_out, 3)
    assert drawn.shape[:2] == tuple(n * view.factor for n in view.fmap.shape)
    for _ in range(50):
        height = float(rng.uniform(100, 700))
        width = height * drawn.shape[1] / drawn.shape[0]  # the browser keeps the aspect
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        pixel = drawn[int(y / height * drawn.shape[0]), int(x / width * drawn.shape[1])]
        row, col = cell_at((x, y), (height, width), view.fmap.shape)
        assert np.abs(pixel.astype(int) - colours[row, col]).max() <= 2  # PNG: exact; JPEG: ±2
