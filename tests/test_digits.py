"""prepare_digit on synthetic drawings and photos: MNIST's size, centring, polarity and errors."""

import cv2
import numpy as np
import pytest
import scipy.ndimage
import skimage.data

from cnnviz.learning.data import as_model_input, load_sample
from cnnviz.learning.digits import (
    BOX_SIDE,
    CENTRE,
    EMPTY_MESSAGE,
    TRAINING_RANGE,
    check_digit,
    explain_digit,
    ink_statistics,
    prepare_digit,
)

rng = np.random.default_rng(6)


def _stroke_canvas(size=280, ink=255, paper=0, width=18):
    """A canvas like the page's: one vertical stroke, uint8."""
    canvas = np.full((size, size), paper, np.uint8)
    cv2.line(canvas, (size // 2, size // 7), (size // 2, size - size // 7), int(ink), width)
    return canvas


def _ring_canvas(size=280, ink=255, paper=0):
    canvas = np.full((size, size), paper, np.uint8)
    cv2.ellipse(canvas, (size // 2, size // 2), (size // 5, size // 3), 0, 0, 360, int(ink), 18)
    return canvas


def _centre_of_mass(digit):
    rows, cols = np.indices(digit.shape)
    return (rows * digit).sum() / digit.sum(), (cols * digit).sum() / digit.sum()


def _ink_extent(digit):
    rows = np.flatnonzero(digit.any(axis=1))
    cols = np.flatnonzero(digit.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def _rgba(gray_uint8):
    """The canvas component's format: RGBA bytes, fully opaque."""
    rgb = np.repeat(gray_uint8[:, :, None], 3, axis=2)
    return np.concatenate([rgb, np.full(gray_uint8.shape + (1,), 255, np.uint8)], axis=2)


def _photo(digit_canvas):
    """Dark ink on uneven grey paper, with sensor noise and colour: a phone photo of a digit."""
    h, w = digit_canvas.shape
    light = np.linspace(0.85, 0.65, w)[None, :] * np.ones((h, 1))  # shading across the page
    paper = light + rng.normal(0, 0.02, (h, w))
    gray = np.where(digit_canvas > 127, 0.12, paper)
    rgb = np.stack([gray * 1.0, gray * 0.97, gray * 0.9], axis=2)  # a warm tint
    return np.clip(rgb, 0, 1).astype(np.float32)


DRAWINGS = {
    "white stroke on black, uint8": _stroke_canvas(),
    "black stroke on white, uint8": _stroke_canvas(ink=0, paper=255),
    "canvas RGBA, black on white": _rgba(_stroke_canvas(ink=0, paper=255)),
    "ring, float": _ring_canvas().astype(np.float32) / 255,
    "ring photo, RGB on grey paper": _photo(_ring_canvas()),
    "small digit in a corner of a big page": np.pad(
        _stroke_canvas(60, width=5), ((0, 500), (400, 0))
    ),
    "wide shape": cv2.resize(_ring_canvas(), (280, 90)),
}


@pytest.mark.parametrize("image", DRAWINGS.values(), ids=DRAWINGS.keys())
def test_any_drawing_becomes_an_mnist_style_28_by_28(image):
    """Float32 28×28 in [0, 1], ink fitted to a 20-pixel box and centred by mass at (14, 14)."""
    digit = prepare_digit(image)
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() == 0.0 and digit.max() == pytest.approx(1.0)
    assert max(_ink_extent(digit)) == BOX_SIDE
    com_r, com_c = _centre_of_mass(digit)
    assert abs(com_r - CENTRE) <= 0.5 + 1e-6 and abs(com_c - CENTRE) <= 0.5 + 1e-6
    assert digit[0].max() == digit[-1].max() == digit[:, 0].max() == digit[:, -1].max() == 0


def test_dark_on_light_and_light_on_dark_give_the_same_digit():
    """The border decides: a black stroke on white is inverted to MNIST's white on black."""
    light = explain_digit(_stroke_canvas(ink=0, paper=255))
    dark = explain_digit(_stroke_canvas())
    assert light.inverted and not dark.inverted
    np.testing.assert_allclose(light.digit, dark.digit, atol=1e-6)


def test_aspect_ratio_is_kept_when_scaling_into_the_box():
    """A bar 40 tall and 10 wide becomes 20 tall and 5 wide, not a 20×20 square."""
    page = np.zeros((60, 60), np.uint8)
    page[10:50, 25:35] = 255
    steps = explain_digit(page)
    assert steps.box == (10, 25, 40, 10)
    assert steps.scaled.shape == (20, 5)
    assert _ink_extent(steps.digit) == (20, 5)


def test_photo_paper_grain_and_shading_become_black_background():
    """Noise and uneven light on the paper are cleared: only the ring's ink is left."""
    photo, clean = explain_digit(_photo(_ring_canvas())), explain_digit(_ring_canvas())
    assert photo.box == clean.box
    assert np.abs(photo.scaled - clean.scaled).max() < 0.15
    assert np.abs(np.subtract(photo.offset, clean.offset)).max() <= 1  # COM rounding
    assert (photo.digit > 0).sum() == (clean.digit > 0).sum()


def test_a_ring_keeps_its_hole():
    """The ring's centre stays dark: the preprocessing does not fill shapes in."""
    digit = prepare_digit(_ring_canvas())
    assert digit[13:16, 13:16].max() == 0.0


def test_notes_describe_each_step():
    """The plain-text steps name the inversion, the crop, the scale and the placement."""
    notes = explain_digit(_stroke_canvas(ink=0, paper=255)).notes()
    assert notes[0].startswith("Inverted")
    assert "longer side is 20 pixels" in notes[2]
    assert "(14, 14)" in notes[3]


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280), np.uint8),
        np.full((280, 280, 4), 255, np.uint8),  # the canvas before anything is drawn
        np.zeros((280, 280, 4), np.uint8),  # a transparent canvas: flattened onto white
        np.full((50, 50), 0.5, np.float32) + rng.normal(0, 0.01, (50, 50)).astype(np.float32),
    ],
    ids=["black", "white RGBA", "transparent", "flat grey with noise"],
)
def test_an_empty_picture_asks_to_draw_a_digit_first(image):
    """No ink anywhere: a ValueError whose message says what to do."""
    with pytest.raises(ValueError, match="Draw a digit first") as error:
        prepare_digit(image)
    assert str(error.value) == EMPTY_MESSAGE


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((28, 28, 2)), r"`image` must be \(H, W\), \(H, W, 3\) or \(H, W, 4\)"),
        (np.zeros(28), r"`image` must be .*Received: image.shape=\(28,\)"),
        (np.zeros((1, 28)), "at least 2×2 pixels"),
        (np.full((28, 28), 2.0), r"values must be in \[0, 1\] \(floats\) or 0..255 \(uint8\)"),
        (np.full((28, 28), np.nan), "finite numbers only"),
        (np.array([["a", "b"], ["c", "d"]]), "array of numbers"),
    ],
)
def test_malformed_pictures_get_a_message_naming_the_rule(image, match):
    """Wrong shapes, ranges and types are refused with the rule and what was received."""
    with pytest.raises(ValueError, match=match):
        prepare_digit(image)


def test_an_mnist_digit_comes_back_nearly_unchanged():
    """MNIST's own digits already follow the recipe, so preparing one again changes little."""
    from cnnviz.learning.data import load_sample

    data = load_sample()
    for image in data.x_test[:20]:
        again = prepare_digit(image)
        original = image / 255.0
        assert np.abs(again - original).mean() < 0.08


def test_importing_the_digit_and_probe_modules_stays_light():
    """cnnviz.learning.digits, cnnviz.learning.probe and cnnviz.pictures import no TensorFlow
    or Streamlit.

    The drawing preprocessing must run without TensorFlow; probe loads it on first call.
    """
    import subprocess
    import sys

    code = (
        "import sys, cnnviz.learning.digits, cnnviz.learning.probe, "
        "cnnviz.pictures; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- not a digit ------------------------------------------------------------------------------


def _reference_statistics(x):
    """ink_statistics computed here: NumPy shares and SciPy's labelling (8-connected)."""
    x = np.asarray(x, np.float64)
    _, pieces = scipy.ndimage.label(x > 0.5, structure=np.ones((3, 3)))
    return x[x > 0.5].size / x.size, x[x > 0.1].mean(), pieces


def _skimage_photo(name):
    """A scikit-image photo as float in [0, 1]."""
    image = getattr(skimage.data, name)()
    return image.astype(np.float32) / 255.0


def test_ink_statistics_match_numpy_and_scipy():
    """Ink share, stroke brightness and pieces on MNIST digits and on random pictures."""
    data = load_sample()
    pictures = list(as_model_input(data.x_test[:50])[..., 0])
    pictures += [rng.random((28, 28)).astype(np.float32) ** p for p in (1, 3, 8)]
    for x in pictures:
        stats = ink_statistics(x)
        share, brightness, pieces = _reference_statistics(x)
        assert stats["ink_share"] == pytest.approx(share)
        assert stats["stroke_brightness"] == pytest.approx(brightness, abs=1e-6)
        assert stats["pieces"] == pieces


def test_training_ranges_are_where_the_samples_training_digits_lie():
    """TRAINING_RANGE is recomputed from the 4,000 training digits it claims to describe."""
    x = as_model_input(load_sample().x_train)[..., 0]
    share, brightness, pieces = np.array([_reference_statistics(d) for d in x]).T
    assert TRAINING_RANGE["ink_share"] == (
        round(share.min(), 3),
        round(np.percentile(share, 99.5), 3),
    )
    assert TRAINING_RANGE["stroke_brightness"] == (round(np.percentile(brightness, 0.5), 2), None)
    assert TRAINING_RANGE["pieces"] == (None, pieces.max())


def test_mnist_test_digits_mostly_look_like_digits():
    """At least 98 % of the 1,000 test digits pass (measured: 99.1 %), as they come and as the
    page would prepare a photo of them."""
    data = load_sample()
    digits = as_model_input(data.x_test)[..., 0]
    passed = [check_digit(d).looks_like_a_digit for d in digits]
    assert np.mean(passed) >= 0.98
    prepared = [check_digit(prepare_digit(d)).looks_like_a_digit for d in digits[:200]]
    assert np.mean(prepared) >= 0.98
    assert check_digit(digits[0]).caution() is None


@pytest.mark.parametrize("image", DRAWINGS.values(), ids=DRAWINGS.keys())
def test_drawn_digits_look_like_digits(image):
    """Strokes on the canvas and photographed rings are not flagged."""
    assert check_digit(prepare_digit(image)).looks_like_a_digit


@pytest.mark.parametrize("name", ["astronaut", "camera", "coins"])
def test_photos_are_flagged_as_unlike_the_training_digits(name):
    """Bug: a photo of a house was read as "7 (67.6 %)" with no comment. Photos prepared as the
    page prepares an upload, and photos merely shrunk to 28×28, are flagged, with the reason."""
    photo = _skimage_photo(name)
    gray = photo if photo.ndim == 2 else photo.mean(axis=2)
    shrunk = cv2.resize(gray, (28, 28), interpolation=cv2.INTER_AREA)
    for x in (prepare_digit(photo), shrunk):
        check = check_digit(x)
        assert not check.looks_like_a_digit, check
        caution = check.caution()
        assert caution.startswith("This does not look much like the handwritten digits")
        assert "training digits:" in caution and "a guess" in caution


def test_check_digit_refuses_what_is_not_a_28_by_28_picture():
    with pytest.raises(ValueError, match=r"`digit` must be 28×28. Received: digit.shape=\(28,\)"):
        check_digit(np.zeros(28))
    with pytest.raises(ValueError, match="finite numbers only"):
        check_digit(np.full((28, 28), np.nan))
