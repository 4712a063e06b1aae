"""Drawn and photographed digits made to look like MNIST, so the model sees what it learned on.

MNIST's own recipe (LeCun, Cortes and Burges) turned each scanned digit into a 28×28 picture in
three steps: the digit was scaled to fit a 20×20 box keeping its aspect ratio (anti-aliased, so
edges become grey levels), then placed in a 28×28 field so that its centre of mass sits at the
field's centre. MNIST's ink is light on a black background. :func:`prepare_digit` applies the
same recipe to anything a visitor draws or uploads:

1. grayscale (luma), transparency flattened onto white;
2. light ink on a dark background: the picture is inverted when its border is light (paper);
3. uneven lighting removed (photos only: when the border is not one flat colour), the
   contrast stretched from the background's level to the ink's, faint specks set to 0;
4. cropped to the ink's bounding box;
5. scaled so the longer side is 20 pixels (area averaging when shrinking);
6. pasted into 28×28 with its centre of mass at pixel (14, 14), as in MNIST.

No TensorFlow here: the result is a plain array the model pages feed to the model.

A model trained on MNIST answers with a digit whatever it is shown, a photo of a house
included. :func:`check_digit` compares a prepared 28×28 input with the training digits by
three ink statistics (how much of the field is ink, how bright the inked pixels are, how many
separate pieces the strokes make) and says when the input lies outside the training digits'
range: a caution, not a verdict.

Letters used in shapes: ``H, W`` the picture's height and width, ``h, w`` the ink's box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnnviz.maths.pixels import to_grayscale

__all__ = [
    "BOX_SIDE",
    "DIGIT_SIDE",
    "TRAINING_RANGE",
    "DigitCheck",
    "DigitPreparation",
    "check_digit",
    "explain_digit",
    "ink_statistics",
    "prepare_digit",
]

DIGIT_SIDE = 28  # MNIST's field
BOX_SIDE = 20  # the box the digit is scaled into
CENTRE = 14.0  # where MNIST's digits have their centre of mass, in pixel indices
MIN_CONTRAST = 0.15  # ink must differ from the background by this much (of the full range)
FLOOR = 0.2  # after stretching, anything fainter is background noise and becomes 0
FLAT_BORDER = 0.05  # a border whose values spread more than this is unevenly lit (a photo)
LIGHTING_FRACTION = 6  # strokes are assumed thinner than 1/6 of the picture's shorter side

INK = 0.5  # a pixel brighter than this is ink (part of a stroke)
TOUCHED = 0.1  # a pixel brighter than this has some ink in it (a stroke or its soft edge)
#: Where the sample's 4,000 training digits lie (cnnviz.learning.data.load_sample, values / 255), as
#: (low, high), None where one side does not matter. ``ink_share``: from the least ink any
#: training digit has (a thin 1; a tall 1 drawn on the canvas has as little) to the 99.5th
#: percentile; ``stroke_brightness``: the 0.5th percentile (a very solid stroke is fine: the
#: canvas draws pure white); ``pieces``: the most any training digit has.
#: tests/test_digits.py recomputes them from the sample.
TRAINING_RANGE: dict[str, tuple[float | None, float | None]] = {
    "ink_share": (0.033, 0.259),
    "stroke_brightness": (0.59, None),
    "pieces": (None, 4),
}

EMPTY_MESSAGE = (
    "There is no digit to read: the picture is one flat colour. Draw a digit first (or upload a "
    "photo of a dark digit on light paper, or a light one on a dark background)."
)


@dataclass(frozen=True)
class DigitPreparation:
    """Every step of :func:`prepare_digit`, for a page to show.

    Attributes
    ----------
    light_on_dark : ndarray of float32, shape (H, W)
        The picture in grayscale, inverted if needed, contrast stretched: ink near 1,
        background 0.
    inverted : bool
        Whether the picture was inverted (its border was light).
    box : (top, left, height, width)
        The ink's bounding box in ``light_on_dark``.
    scaled : ndarray of float32, shape (h', w')
        The cropped ink scaled so that ``max(h', w') == 20``.
    offset : (row, col)
        Where ``scaled``'s top-left pixel went in the 28×28 field.
    digit : ndarray of float32, shape (28, 28)
        What the model sees: values in [0, 1], light ink on black.
    """

    light_on_dark: np.ndarray
    inverted: bool
    box: tuple[int, int, int, int]
    scaled: np.ndarray
    offset: tuple[int, int]
    digit: np.ndarray

    def __repr__(self) -> str:
        return f"DigitPreparation({'; '.join(self.notes())})"

    def notes(self) -> list[str]:
        """The steps in plain words, e.g. for a caption."""
        _, _, h, w = self.box
        sh, sw = self.scaled.shape
        rows = [
            "Inverted: the background was light, MNIST's is black."
            if self.inverted
            else "Not inverted: the background was already dark, as in MNIST.",
            f"Cropped to the ink's box: {w}×{h} pixels (width × height).",
            f"Scaled by {sw / w:.3g} to {sw}×{sh}: the longer side is {BOX_SIDE} pixels.",
            f"Placed at row {self.offset[0]}, column {self.offset[1]} of the 28×28 field so its "
            f"centre of mass is at pixel ({CENTRE:g}, {CENTRE:g}), as in MNIST.",
        ]
        return rows


def prepare_digit(image: np.ndarray) -> np.ndarray:
    """Turn a drawn or photographed digit into the 28×28 picture an MNIST model expects.

    Parameters
    ----------
    image : ndarray, shape (H, W), (H, W, 3) or (H, W, 4)
        Grayscale, RGB or RGBA; ``uint8`` in 0..255 or floats in [0, 1]. Dark ink on light
        paper and light ink on a dark background both work.

    Returns
    -------
    ndarray of float32, shape (28, 28)
        Light ink on black, values in [0, 1], the ink scaled into a 20×20 box and centred by
        mass; ready for the model after adding the batch and channel axes.

    Raises
    ------
    ValueError
        If the picture is empty (one flat colour, "draw a digit first"), or malformed.

    Notes
    -----
    Whether to invert is decided by the border: if the median of the outermost pixels is above
    0.5, the background is light and the picture becomes ``1 − x``. If the border is not one
    flat colour (its 5th and 95th percentiles differ by more than 0.05: a photo), shading is
    removed by a morphological top-hat (``x`` minus its opening with a square wider than a
    stroke), and the contrast stretched, ``(x − background) / (ink − background)`` clipped to
    [0, 1], with the background the border's median and the ink the brightest pixel. Values
    under 0.2 become 0 (paper grain). Strokes wider than a sixth of the picture would be
    thinned by the top-hat.

    The centre of mass is ``(Σ r·x[r, c] / Σ x, Σ c·x[r, c] / Σ x)``; the digit is moved by
    whole pixels so it lands on (14, 14), the same place as in MNIST, and never pushed out of
    the field. See :func:`explain_digit` for every step.

    Examples
    --------
    A black vertical bar, 10 wide and 40 tall, on a white 60×60 page:

    >>> page = np.ones((60, 60), np.float32)
    >>> page[10:50, 25:35] = 0.0
    >>> digit = prepare_digit(page)
    >>> digit.shape, digit.dtype, float(digit.max())
    ((28, 28), dtype('float32'), 1.0)

    It was inverted (white ink on black now), scaled by 0.5 to 5×20, and moved by whole
    pixels so its centre of mass (row 9.5, column 2 of the bar) lands within half a pixel of
    (14, 14):

    >>> rows, cols = np.nonzero(digit > 0.5)
    >>> int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())
    (5, 24, 12, 16)
    """
    return explain_digit(image).digit


def explain_digit(image: np.ndarray) -> DigitPreparation:
    """:func:`prepare_digit`, keeping every intermediate step (see :class:`DigitPreparation`).

    Examples
    --------
    >>> page = np.zeros((60, 60), np.uint8)
    >>> page[10:50, 25:35] = 255  # already light on dark
    >>> steps = explain_digit(page)
    >>> steps.inverted, steps.box, steps.scaled.shape, steps.offset
    (False, (10, 25, 40, 10), (20, 5), (5, 12))
    """
    gray = _as_gray(image)  # (H, W) in [0, 1]
    background = float(np.median(_border(gray)))
    inverted = background > 0.5
    if inverted:
        gray = 1.0 - gray
    if np.ptp(np.percentile(_border(gray), [5, 95])) > FLAT_BORDER:  # uneven: a photo
        gray = _flatten_lighting(gray)
    background = float(np.median(_border(gray)))
    ink = float(gray.max())
    if ink - background < MIN_CONTRAST:
        raise ValueError(EMPTY_MESSAGE)
    stretched = np.clip((gray - background) / (ink - background), 0.0, 1.0)
    stretched[stretched < FLOOR] = 0.0
    box = _ink_box(stretched > 0)
    top, left, h, w = box
    cropped = stretched[top : top + h, left : left + w]  # (h, w)
    scaled = _scale_into_box(cropped)  # (h', w'), longer side 20
    offset = _centre_by_mass(scaled)
    digit = np.zeros((DIGIT_SIDE, DIGIT_SIDE), np.float32)
    sh, sw = scaled.shape
    digit[offset[0] : offset[0] + sh, offset[1] : offset[1] + sw] = scaled
    return DigitPreparation(stretched.astype(np.float32), inverted, box, scaled, offset, digit)


# --- is it like the training digits? -------------------------------------------------------


def ink_statistics(digit: np.ndarray) -> dict[str, float]:
    """Three numbers that tell a handwritten digit from most other pictures.

    Parameters
    ----------
    digit : ndarray, shape (28, 28)
        Light ink on black, values in [0, 1], as :func:`prepare_digit` returns it (or an MNIST
        digit divided by 255).

    Returns
    -------
    dict
        ``ink_share``: the share of the 784 pixels that are ink (brighter than 0.5).
        ``stroke_brightness``: the mean value of the pixels with any ink (brighter than 0.1).
        ``pieces``: how many separate pieces the ink makes (8-connected groups of ink pixels).

    Notes
    -----
    A pen stroke is solid: in a digit most inked pixels are near white, with a soft grey edge,
    so ``stroke_brightness`` is high (training digits: 0.59 or more). A photo of a scene,
    prepared the same way, is mostly shades of grey (0.24 to 0.53 on scikit-image's photos),
    and its textures fall apart into many pieces, where a digit has one or two.

    Examples
    --------
    A 3-pixel-wide bar, 20 tall, white with grey edges:

    >>> x = np.zeros((28, 28), np.float32)
    >>> x[4:24, 13] = x[4:24, 15] = 0.4
    >>> x[4:24, 14] = 1.0
    >>> stats = ink_statistics(x)
    >>> stats["ink_share"], round(stats["stroke_brightness"], 2), stats["pieces"]
    (0.02551020408163265, 0.6, 1)

    20 of 784 pixels are ink; the 60 touched pixels average (20 · 1 + 40 · 0.4) / 60 = 0.6.
    """
    x = np.asarray(digit, np.float32)
    if x.shape != (DIGIT_SIDE, DIGIT_SIDE):
        raise ValueError(f"`digit` must be 28×28. Received: digit.shape={x.shape}.")
    if not np.isfinite(x).all():
        raise ValueError("`digit` must hold finite numbers only (no NaN or infinity).")
    ink = x > INK
    touched = x > TOUCHED
    count, _ = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    return {
        "ink_share": float(ink.mean()),
        "stroke_brightness": float(x[touched].mean()) if touched.any() else 0.0,
        "pieces": int(count) - 1,  # label 0 is the background
    }


@dataclass(frozen=True)
class DigitCheck:
    """How a 28×28 input compares with the training digits (see :func:`check_digit`).

    Attributes
    ----------
    statistics : dict
        :func:`ink_statistics` of the input.
    outside : tuple of str
        The statistics outside :data:`TRAINING_RANGE`, in plain words, e.g.
        ``"its inked pixels are on average 40% bright (training digits: 59% or more)"``.
    """

    statistics: dict[str, float]
    outside: tuple[str, ...]

    @property
    def looks_like_a_digit(self) -> bool:
        """True when every statistic is within the training digits' range."""
        return not self.outside

    def caution(self) -> str | None:
        """A warning for the page, or None when the input looks like the training digits."""
        if self.looks_like_a_digit:
            return None
        return (
            "This does not look much like the handwritten digits the model learned from: "
            + "; ".join(self.outside)
            + ". The model answers with one of 0 to 9 whatever it is shown, so take its answer "
            "as a guess about something it was not trained on."
        )

    def __repr__(self) -> str:
        verdict = "looks like a digit" if self.looks_like_a_digit else "unlike the digits"
        values = ", ".join(f"{k}={v:.3g}" for k, v in self.statistics.items())
        return f"DigitCheck({verdict}: {values})"


def check_digit(digit: np.ndarray) -> DigitCheck:
    """Compare a prepared 28×28 input with the training digits' ink statistics.

    Parameters
    ----------
    digit : ndarray, shape (28, 28)
        Light ink on black in [0, 1], as :func:`prepare_digit` returns it.

    Returns
    -------
    DigitCheck
        ``looks_like_a_digit`` is False when any statistic lies outside
        :data:`TRAINING_RANGE`; ``caution()`` then says which, in words.

    Notes
    -----
    Each range holds at least 99 % of the training digits, so about 1 % of real digits are
    flagged too, and a picture can pass without being a digit (a solid silhouette has the ink
    of a thick digit). It is a caution, not a detector; the tests check that it flags few of
    the sample's test digits and most of scikit-image's photos prepared like uploads.

    Examples
    --------
    >>> x = np.zeros((28, 28), np.float32)
    >>> x[4:24, 13:15] = 1.0  # a "1": 40 pixels of ink, solid
    >>> check_digit(x).looks_like_a_digit
    True
    >>> noise = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    >>> c = check_digit(noise)
    >>> c.looks_like_a_digit, len(c.outside)
    (False, 3)
    >>> c.outside[0]
    'ink covers 53% of the picture (training digits: 3% to 26%)'
    """
    stats = ink_statistics(digit)
    outside = []
    low, high = TRAINING_RANGE["ink_share"]
    if not low <= stats["ink_share"] <= high:
        outside.append(
            f"ink covers {stats['ink_share']:.0%} of the picture "
            f"(training digits: {low:.0%} to {high:.0%})"
        )
    low, _ = TRAINING_RANGE["stroke_brightness"]
    if stats["stroke_brightness"] < low:
        outside.append(
            f"its inked pixels are on average {stats['stroke_brightness']:.0%} bright, shades "
            f"of grey rather than pen strokes (training digits: {low:.0%} or more)"
        )
    _, high = TRAINING_RANGE["pieces"]
    if stats["pieces"] > high:
        outside.append(
            f"its ink falls into {stats['pieces']} separate pieces "
            f"(training digits: at most {high})"
        )
    return DigitCheck(stats, tuple(outside))


# --- helpers --------------------------------------------------------------------------------


def _as_gray(image: object) -> np.ndarray:
    """Any accepted picture as float32 grayscale in [0, 1], shape (H, W)."""
    array = np.asarray(image)
    if array.dtype == np.bool_:
        array = array.astype(np.float32)
    elif array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    elif not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"`image` must be an array of numbers. Received: dtype={array.dtype}.")
    array = array.astype(np.float32)
    if array.ndim == 3 and array.shape[2] in (1, 3, 4):
        if array.shape[2] == 1:
            array = array[:, :, 0]
        elif array.shape[2] == 4:
            alpha = array[:, :, 3:]
            array = array[:, :, :3] * alpha + (1.0 - alpha)  # flattened onto white  # (H, W, 3)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise ValueError(
            "`image` must be (H, W), (H, W, 3) or (H, W, 4). "
            f"Received: image.shape={np.shape(image)}."
        )
    if min(array.shape[:2]) < 2:
        raise ValueError(
            f"`image` must be at least 2×2 pixels. Received: image.shape={np.shape(image)}."
        )
    if not np.isfinite(array).all():
        raise ValueError("`image` must hold finite numbers only (no NaN or infinity).")
    if array.min() < 0 or array.max() > 1:
        raise ValueError(
            "`image` values must be in [0, 1] (floats) or 0..255 (uint8). Received values from "
            f"{float(array.min()):g} to {float(array.max()):g}."
        )
    return to_grayscale(array)


def _border(gray: np.ndarray) -> np.ndarray:
    """The outermost pixels of a picture, as one flat array."""
    return np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])


def _flatten_lighting(gray: np.ndarray) -> np.ndarray:
    """Subtract the background's slow changes (shading across a photo): a morphological top-hat.

    An opening (erode, then dilate) with a square wider than any stroke removes the strokes
    and keeps the background's lower envelope; subtracting it leaves the strokes on a flat
    dark background. A drawing on a flat background is left unchanged.
    """
    side = max(3, min(gray.shape) // LIGHTING_FRACTION) | 1  # odd, wider than a stroke
    square = np.ones((side, side), np.uint8)
    background = cv2.morphologyEx(gray, cv2.MORPH_OPEN, square)  # (H, W)
    return np.clip(gray - background, 0.0, 1.0)


def _ink_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The (top, left, height, width) of the smallest box holding every True pixel."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, left = int(rows[0]), int(cols[0])
    return top, left, int(rows[-1]) - top + 1, int(cols[-1]) - left + 1


def _scale_into_box(cropped: np.ndarray) -> np.ndarray:
    """Scale so the longer side is BOX_SIDE, keeping the aspect ratio; the brightest pixel is 1."""
    h, w = cropped.shape
    factor = BOX_SIDE / max(h, w)
    size = (max(1, round(w * factor)), max(1, round(h * factor)))  # OpenCV wants (width, height)
    method = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(cropped.astype(np.float32), size, interpolation=method)  # (h', w')
    scaled = np.clip(scaled, 0.0, 1.0)
    peak = float(scaled.max())
    return scaled / peak if peak > 0 else scaled


def _centre_by_mass(scaled: np.ndarray) -> tuple[int, int]:
    """The offset that puts the centre of mass of ``scaled`` at (CENTRE, CENTRE), kept in frame."""
    sh, sw = scaled.shape
    mass = float(scaled.sum())
    rows, cols = np.arange(sh, dtype=np.float64), np.arange(sw, dtype=np.float64)
    com_r = float((scaled.sum(axis=1) * rows).sum() / mass)
    com_c = float((scaled.sum(axis=0) * cols).sum() / mass)
    top = int(np.clip(np.floor(CENTRE - com_r + 0.5), 0, DIGIT_SIDE - sh))
    left = int(np.clip(np.floor(CENTRE - com_c + 0.5), 0, DIGIT_SIDE - sw))
    return top, left
