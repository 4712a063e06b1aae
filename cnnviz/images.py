"""Images in and out: reading uploads safely, sample images, grayscale and shifting.

Every image leaves this module as a float32 array in [0, 1]: shape ``(H, W)`` for grayscale,
``(H, W, 3)`` for colour. Reading an upload never trusts it: the header is checked before any
pixel is decoded, so a broken file, a disguised text file or a decompression bomb is refused
quickly with a message a person can act on.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "FACE_EYES",
    "SAMPLES",
    "ImageError",
    "LoadedImage",
    "Sample",
    "cartoon_face",
    "load_image",
    "sample_image",
    "shift",
    "to_grayscale",
]

MAX_SIDE = 1024  # larger uploads are shrunk so every interaction stays instant
MAX_PIXELS = 50_000_000  # header check: more than this is refused before decoding
# Streamlit's server.maxUploadSize (.streamlit/config.toml) is in megabytes, and the browser
# counts 10**6 bytes to a megabyte: this is the same limit, so no file passes one and not the
# other.
MAX_BYTES = 25 * 10**6

# ITU-R 601-2 luma weights: what Pillow's own "L" conversion uses.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class ImageError(ValueError):
    """An upload that cannot be used as an image; the message says what was wrong."""


@dataclass
class LoadedImage:
    """The result of :func:`load_image`.

    Attributes
    ----------
    array : ndarray of float32, shape (H, W) or (H, W, 3)
        Pixel values in [0, 1].
    notes : list of str
        What was done on the way that the user should know (shrunk, first frame, ...).
    original_size : (int, int)
        ``(width, height)`` as stored in the file.
    mode : str
        The file's Pillow mode, e.g. ``"RGB"`` or ``"I;16"``.
    """

    array: np.ndarray
    notes: list[str] = field(default_factory=list)
    original_size: tuple[int, int] = (0, 0)
    mode: str = ""

    def __repr__(self) -> str:
        return f"LoadedImage(shape={self.array.shape}, mode={self.mode!r}, notes={self.notes})"


def load_image(
    data: bytes | BinaryIO,
    *,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
    max_bytes: int = MAX_BYTES,
) -> LoadedImage:
    """Decode an uploaded file into a float32 array in [0, 1].

    Parameters
    ----------
    data : bytes or binary file-like object
        The file's contents (PNG, JPEG, WebP, BMP, GIF, TIFF, ... anything Pillow reads).
    max_side : int
        Images with a longer side are shrunk to it, keeping the aspect ratio.
    max_pixels : int
        Files whose header declares more pixels are refused without decoding them.
    max_bytes : int
        Larger files are refused without reading further (bytes; the default is the uploader's
        own limit, ``server.maxUploadSize`` megabytes).

    Returns
    -------
    LoadedImage
        ``array`` has shape ``(H, W)`` for grayscale files and ``(H, W, 3)`` for colour ones.

    Raises
    ------
    ImageError
        Empty, too large, truncated or damaged files, text or SVG, decompression bombs.

    Notes
    -----
    The EXIF orientation tag is applied, so phone photos stand upright. Transparency is
    flattened onto white. 16- and 32-bit grayscale keep their full range: 16-bit values are
    divided by 65535; other integer or float images are rescaled from their own min and max.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (4, 3), color=255).save(buffer, format="PNG")
    >>> loaded = load_image(buffer.getvalue())
    >>> loaded.array.shape, float(loaded.array.max())
    ((3, 4), 1.0)
    """
    raw = _read_bytes(data, max_bytes)
    notes: list[str] = []
    image = _open(raw, max_pixels)
    original, mode = image.size, image.mode
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        notes.append(f"This file is animated ({frames} frames); the first frame is used.")
    if image.format == "JPEG" and max(original) > 2 * max_side:
        image.draft(image.mode, (max_side, max_side))  # let libjpeg decode at a reduced scale
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(
            f"The image file is damaged or cut short and cannot be read ({error})."
        ) from None
    if image.size != original and image.size[::-1] == original:
        notes.append("Turned upright as its EXIF orientation tag asks.")
    image, array_note = _canonical(image)
    if array_note:
        notes.append(array_note)
    if max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale)))
        image = image.resize(size, Image.Resampling.BOX if image.mode == "F" else Image.LANCZOS)
        notes.append(
            f"Shrunk from {original[0]}×{original[1]} to {size[0]}×{size[1]} pixels "
            f"(longest side at most {max_side}) so that every change stays instant."
        )
    return LoadedImage(_to_float(image), notes, original, mode)


def to_grayscale(x: np.ndarray) -> np.ndarray:
    """Luma of a colour image (``0.299 R + 0.587 G + 0.114 B``); grayscale passes through.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, 3)

    Returns
    -------
    ndarray of float32, shape (H, W)

    Examples
    --------
    >>> to_grayscale(np.ones((2, 2, 3))).round(3)
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        return x
    if x.ndim == 3 and x.shape[2] == 3:
        return x @ _LUMA
    raise ValueError(f"`x` must be (H, W) or (H, W, 3). Received: x.shape={x.shape}.")


def shift(x: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move the content of an image ``dx`` pixels right and ``dy`` pixels down, filling with 0.

    Negative values move left and up. What leaves the frame is lost.

    Parameters
    ----------
    x : ndarray, shape (H, W) or (H, W, C)
    dx, dy : int

    Returns
    -------
    ndarray, same shape and dtype as ``x``

    Examples
    --------
    >>> shift(np.array([[1, 2, 3], [4, 5, 6]]), 1, 0)
    array([[0, 1, 2],
           [0, 4, 5]])
    """
    x = np.asarray(x)
    for name, value in (("dx", dx), ("dy", dy)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"`{name}` must be a whole number of pixels. Received: {value!r}.")
    out = np.zeros_like(x)
    h, w = x.shape[:2]
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src_r = slice(max(0, -dy), h - max(0, dy))
    dst_r = slice(max(0, dy), h - max(0, -dy))
    src_c = slice(max(0, -dx), w - max(0, dx))
    dst_c = slice(max(0, dx), w - max(0, -dx))
    out[dst_r, dst_c] = x[src_r, src_c]
    return out


FACE_SIZE = 64
#: Centres ``(row, col)`` of the two eyes in :func:`cartoon_face`.
FACE_EYES = ((24, 21), (24, 42))


def cartoon_face() -> np.ndarray:
    """A 64×64 grayscale cartoon face: two eyes, a nose and a mouth on a round head.

    Each eye is a bright disk of radius 3.5 with a dark pupil of radius 1.5, the shape
    :func:`cnnviz.kernels.eye_detector` looks for, centred at :data:`FACE_EYES`.

    Returns
    -------
    ndarray of float32, shape (64, 64)

    Examples
    --------
    >>> face = cartoon_face()
    >>> face.shape, float(face[24, 21]), float(face[24, 24])
    ((64, 64), 0.0, 1.0)
    """
    rr, cc = np.mgrid[0:FACE_SIZE, 0:FACE_SIZE].astype(np.float32)
    face = np.full((FACE_SIZE, FACE_SIZE), 0.15, np.float32)  # dark background
    face[np.hypot(rr - 32, (cc - 31.5) * 0.95) <= 28] = 0.7  # head
    for r, c in FACE_EYES:
        distance = np.hypot(rr - r, cc - c)
        face[distance <= 3.5] = 1.0  # white of the eye
        face[distance <= 1.5] = 0.0  # pupil
    nose = (rr >= 29) & (rr <= 38) & (np.abs(cc - 31.5) <= (rr - 29) * 0.35 + 0.5)
    face[nose] = 0.45
    smile = np.abs(np.hypot(rr - 34, cc - 31.5) - 12) <= 1.0
    face[smile & (rr >= 42)] = 0.25  # the lower arc of a circle: a smile
    return face


@dataclass(frozen=True)
class Sample:
    """A sample image that ships with the app's dependencies (no network needed)."""

    name: str
    description: str
    load: Callable[[], np.ndarray]

    def __repr__(self) -> str:
        return f"Sample({self.name!r}: {self.description})"


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data  # imported on first use: it is slow to import and only needed here

        return np.asarray(getattr(skimage.data, name)(), dtype=np.float32) / 255.0

    return load


SAMPLES: dict[str, Sample] = {
    s.name: s
    for s in [
        Sample("Cartoon face", "64×64 drawing with two eyes: try the eye detector.", cartoon_face),
        Sample(
            "Astronaut", "Eileen Collins, NASA portrait (512×512, colour).", _skimage("astronaut")
        ),
        Sample("Cat", "Chelsea the cat (451×300, colour).", _skimage("chelsea")),
        Sample("Camera man", "A classic grayscale test photo (512×512).", _skimage("camera")),
        Sample(
            "Coins", "Greek coins on a plain background (384×303, grayscale).", _skimage("coins")
        ),
    ]
}


def sample_image(name: str) -> np.ndarray:
    """The sample image called ``name`` (a key of :data:`SAMPLES`) as float32 in [0, 1].

    >>> sample_image("Cartoon face").shape
    (64, 64)
    """
    if name not in SAMPLES:
        options = ", ".join(repr(n) for n in SAMPLES)
        raise ValueError(f"`name` must be one of {options}. Received: name={name!r}.")
    return SAMPLES[name].load()


# --- helpers --------------------------------------------------------------------------------


def _read_bytes(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    elif hasattr(data, "read"):
        raw = data.read(max_bytes + 1)
    else:
        raise ImageError(f"Expected the file's bytes or an open file. Received: {type(data)}.")
    if not raw:
        raise ImageError("The file is empty (0 bytes).")
    if len(raw) > max_bytes:
        raise ImageError(
            f"The file is larger than {max_bytes / 10**6:g} MB ({max_bytes:,} bytes); please "
            "upload a smaller image."
        )
    return raw


def _open(raw: bytes, max_pixels: int) -> Image.Image:
    head = raw[:1024].lstrip().lower()
    if b"<svg" in head or (head.startswith(b"<?xml") and b"svg" in raw[:4096].lower()):
        raise ImageError(
            "SVG is a vector drawing, not a grid of pixels; export it as PNG and upload that."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(
            f"The image declares too many pixels to be safe to open ({error})."
        ) from None
    except UnidentifiedImageError:
        if _looks_like_text(raw):
            kind = "HTML" if b"<html" in head or b"<!doctype" in head else "text"
            raise ImageError(
                f"This file is {kind}, not an image (whatever its name says). Upload a PNG, "
                "JPEG, WebP, BMP, GIF or TIFF."
            ) from None
        raise ImageError(
            "This file is not an image format that can be read. Upload a PNG, JPEG, WebP, "
            "BMP, GIF or TIFF."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(f"The image file is damaged and cannot be read ({error}).") from None
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError(f"The image has no pixels ({width}×{height}).")
    if width * height > max_pixels:
        raise ImageError(
            f"The image declares {width}×{height} pixels ({width * height / 1e6:.0f} megapixels),"
            f" more than the {max_pixels / 1e6:.0f} megapixels allowed. Upload a smaller image."
        )
    return image


def _looks_like_text(raw: bytes) -> bool:
    sample = raw[:2048]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(ch.isprintable() or ch.isspace() for ch in text) >= 0.95 * len(text)


def _canonical(image: Image.Image) -> tuple[Image.Image, str | None]:
    """Convert any Pillow mode to L, RGB or F (high bit depth), flattening transparency."""
    mode = image.mode
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, rgba)
        has_alpha = rgba.getextrema()[3][0] < 255
        target = "L" if mode in ("LA", "La") else "RGB"
        note = "Transparent areas were flattened onto white." if has_alpha else None
        return flat.convert(target), note
    if mode == "1":
        return image.convert("L"), None
    if mode.startswith("I;16"):
        values = np.asarray(image, dtype=np.float32) / 65535.0
        return Image.fromarray(values, mode="F"), None
    if mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        if mode == "I" and low >= 0 and high <= 65535:
            # 16-bit data that Pillow opened as 32-bit (common for 16-bit PNG).
            scale = 255.0 if high <= 255 else 65535.0
            return Image.fromarray((values / scale).astype(np.float32), mode="F"), None
        if mode == "F" and low >= 0 and high <= 1:
            return image, None
        span = high - low if high > low else 1.0
        rescaled = ((values - low) / span).astype(np.float32)
        note = f"Pixel values were rescaled from [{low:g}, {high:g}] to [0, 1]."
        return Image.fromarray(rescaled, mode="F"), note
    if mode in ("L", "RGB"):
        return image, None
    return image.convert("RGB"), None  # CMYK, YCbCr, LAB, HSV, ...


def _to_float(image: Image.Image) -> np.ndarray:
    if image.mode == "F":
        return np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    return np.asarray(image, dtype=np.float32) / 255.0
