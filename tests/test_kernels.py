"""Named kernels and parse_kernel: presets behave as described, bad text gets a usable message."""

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

from cnnviz.maths.kernels import (
    KERNELS,
    KernelError,
    format_kernel,
    normalise_kernel,
    parse_kernel,
    random_kernel,
)
from cnnviz.maths.ops import conv2d
from cnnviz.pictures.images import FACE_EYES, cartoon_face, sample_image

rng = np.random.default_rng(7)


@pytest.mark.parametrize("name", list(KERNELS))
def test_every_preset_is_a_finite_small_kernel_with_a_sentence(name):
    """Each preset is finite, at most 15x15, and described in one sentence."""
    kernel = KERNELS[name]
    assert kernel.values.ndim == 2 and max(kernel.values.shape) <= 15
    assert np.isfinite(kernel.values).all()
    assert kernel.description.endswith((".", ")")) and len(kernel.description) < 140


@pytest.mark.parametrize("name", list(KERNELS))
def test_every_preset_round_trips_through_text(name):
    """What the text box shows for a preset parses back to the same kernel."""
    values = KERNELS[name].values
    np.testing.assert_allclose(parse_kernel(format_kernel(values, digits=17)), values)


def test_blurs_keep_brightness_and_edges_ignore_flat_areas():
    """Blur and identity kernels sum to 1; edge detectors and the eye detector sum to 0."""
    for name in [
        "Identity",
        "Box blur",
        "Gaussian blur 3×3",
        "Gaussian blur 5×5",
        "Sharpen",
        "Unsharp masking 5×5",
    ]:
        assert KERNELS[name].values.sum() == pytest.approx(1.0)
    for name in [
        "Edge detection 1",
        "Edge detection 2",
        "Edge detection 3",
        "Sobel x",
        "Sobel y",
        "Prewitt x",
        "Prewitt y",
        "Laplacian",
        "Eye detector",
    ]:
        assert KERNELS[name].values.sum() == pytest.approx(0.0, abs=1e-12)


def test_sobel_matches_scipy_ndimage_sobel():
    """Our Sobel x equals scipy.ndimage.sobel along columns (SciPy convolves: sign flips)."""
    x = rng.random((20, 20))
    ours = conv2d(x, KERNELS["Sobel x"].values, padding="same")
    theirs = scipy.ndimage.sobel(x, axis=1, mode="constant")
    np.testing.assert_allclose(ours[1:-1, 1:-1], theirs[1:-1, 1:-1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(KERNELS["Sobel y"].values, KERNELS["Sobel x"].values.T)


def test_gaussian_blur_matches_scipy_gaussian_filter_closely():
    """The binomial 5x5 blur is close to a true Gaussian of sigma 1 on a photo."""
    x = sample_image("Camera man")[200:300, 200:300]
    ours = conv2d(x, KERNELS["Gaussian blur 5×5"].values, padding="same")
    theirs = scipy.ndimage.gaussian_filter(x, sigma=1.0, mode="constant")
    assert np.abs(ours - theirs)[4:-4, 4:-4].mean() < 0.01


def test_sobel_x_finds_a_vertical_edge_where_it_is():
    """A dark-to-bright step at column 10 gives the strongest Sobel x response at column 10."""
    x = np.zeros((16, 20))
    x[:, 10:] = 1.0
    response = conv2d(x, KERNELS["Sobel x"].values, padding="same")
    assert set(np.argmax(response, axis=1)) <= {9, 10}
    assert np.abs(conv2d(x, KERNELS["Sobel y"].values, padding="same"))[1:-1].max() == 0


def test_eye_detector_lights_up_exactly_at_the_cartoon_eyes():
    """The two strongest responses on the cartoon face are the eye centres, far above the rest."""
    face = cartoon_face()
    response = conv2d(face, KERNELS["Eye detector"].values, padding="same")
    top_two = {
        tuple(int(v) for v in np.unravel_index(i, response.shape))
        for i in np.argsort(response.ravel())[-2:]
    }
    assert top_two == set(FACE_EYES)
    elsewhere = response.copy()
    for r, c in FACE_EYES:
        elsewhere[r - 3 : r + 4, c - 3 : c + 4] = -np.inf
    assert elsewhere.max() < 0.5 * response.max()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 0 -1; 2 0 -2; 1 0 -1", [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
        ("1, 0, -1\n2, 0, -2\n1, 0, -1", [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
        ("  1 2\n\n3 4  \n", [[1, 2], [3, 4]]),
        ("[[1, 2.5], [-3e-1, 4]]", [[1, 2.5], [-0.3, 4]]),
        ("1/16 2/16; 1/16 .5", [[0.0625, 0.125], [0.0625, 0.5]]),
        ("7", [[7]]),
        ("1,2,3", [[1, 2, 3]]),
    ],
)
def test_parse_kernel_reads_what_people_type(text, expected):
    """Semicolons or lines for rows, spaces or commas in a row, JSON, fractions."""
    np.testing.assert_allclose(parse_kernel(text), expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"The kernel is empty"),
        ("   \n ", r"The kernel is empty"),
        (";;;", r"The kernel has no numbers"),  # regression: a bare ValueError from max()
        ("\n;\n ; ", r"The kernel has no numbers"),
        ("1 2; 3 x", r"Row 2, entry 2 is not a number: 'x'"),
        ("1 2 3; 4 5", r"row 1 has 3, row 2 has 2"),
        ("1 nan; 0 1", r"NaN or infinity"),
        ("1 inf", r"NaN or infinity"),
        ("[[1, NaN]]", r"NaN or infinity"),
        ("[[1, 2], [3]]", r"row 1 has 2, row 2 has 1"),
        ('[[1, "a"]]', r"Row 1, entry 2 is not a number"),
        ("[1, 2, 3]", r"list of rows"),
        ("[[1, 2]", r"not valid"),
        ("1/0", r"divides by zero"),
        ("; ".join(["1 " * 16] * 16), r"at most 15×15. Received: 16×16"),
        ("1 " * 20, r"Received: 1×20"),
        # Regressions: each of these escaped the parser as a bare Python exception.
        ("[[" + "9" * 400 + "]]", r"entry 1 is too large to compute with"),  # OverflowError
        ("[[" + "9" * 5000 + "]]", r"number too long to read"),  # ValueError (int digit limit)
        ("[" * 3000 + "]" * 3000, r"nested too deeply"),  # RecursionError
        ("[" * 300 + "1" + "]" * 300, r"Row 1, entry 1 is not a number: '\[\[\[.{20}…'"),
        # Values that overflow float32 (all-black map, nan on the colour bar) are refused.
        ("1e38 1e38 1e38; 1 1 1", r"Row 1, entry 1 is 1e\+38; kernel entries must lie between"),
        ("; ".join([" ".join(["1e308"] * 15)] * 15), r"entry 1 is 1e\+308"),
        ("1 2; 3 1e400", r"Row 2, entry 2 is too large"),
        ("0 -1000001", r"Row 1, entry 2 is -1e\+06; kernel entries must lie between"),
        # Other scripts' digits are not read as numbers (float("٣") would be 3.0).
        ("٣ 1", r"Row 1, entry 1 is not a number"),
        ("x" * 30_000, r"30,000 characters long; at most 20,000"),
        ("1 " + "y" * 10_000, r"Row 1, entry 2 is not a number: 'y{23}…'\.$"),
    ],
)
def test_parse_kernel_rejects_bad_text_with_an_actionable_message(text, message):
    """Every bad input raises KernelError naming what is wrong."""
    with pytest.raises(KernelError, match=message):
        parse_kernel(text)


def test_parse_kernel_accepts_the_largest_allowed_values_and_maps_stay_finite():
    """A 15×15 kernel of ±1e6 is the extreme accepted: its map on a random photo is finite and
    equals SciPy's correlation computed in float64."""
    text = "; ".join(" ".join(rng.choice(["1e6", "-1e6"], 15)) for _ in range(15))
    kernel = parse_kernel(text)
    x = rng.random((40, 40)).astype(np.float32)
    out = conv2d(x, kernel)
    assert np.isfinite(out).all()
    expected = scipy.signal.correlate2d(x.astype(np.float64), kernel, mode="valid")
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())


def test_normalise_kernel_sums_to_one_and_refuses_zero_sum():
    """Normalising keeps proportions; an edge kernel (sum 0) gets a clear message."""
    k = rng.random((4, 3)) + 0.1
    out = normalise_kernel(k)
    assert out.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(out / out[0, 0], k / k[0, 0])
    with pytest.raises(KernelError, match="sums to 0"):
        normalise_kernel(KERNELS["Sobel x"].values)


def test_random_kernel_is_seeded_and_sized():
    """Same seed, same kernel; sizes up to 15 work, beyond is refused."""
    np.testing.assert_array_equal(random_kernel(5, seed=3), random_kernel(5, seed=3))
    assert random_kernel((2, 4), seed=1).shape == (2, 4)
    with pytest.raises(KernelError):
        random_kernel(16)


def test_parse_kernel_raises_only_kernel_errors_on_random_text():
    """Fuzz: 3,000 random strings of the characters kernels are made of (";;;" once escaped as
    a bare ValueError from max() of no rows). Each gives a kernel or a KernelError."""
    alphabet = list("0123456789.,;[] -+e/\n") + ["nan", "1e400", "[[", "]]", ";;"]
    fuzz = np.random.default_rng(11)
    for _ in range(3000):
        text = "".join(fuzz.choice(alphabet, fuzz.integers(1, 30)))
        try:
            kernel = parse_kernel(text)
        except KernelError:
            continue
        assert kernel.ndim == 2 and np.isfinite(kernel).all(), text
