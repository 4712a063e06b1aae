"""Images in and out: reading uploads safely, sample images, grayscale and shifting.

Every image leaves this module as a float32 array in [0, 1]: shape ``(H, W)`` for grayscale,
``(H, W, 3)`` for colour. Reading an upload never trusts it: the header is checked before any
pixel is decoded, so a broken file, a disguised text file or a decompression bomb is refused
quickly with a message a person can act on, and a large picture is shrunk as it is converted,
so a small file declaring many pixels costs its decoded raster once and no more.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = [
    "FACE_EYES",
    "SAMPLES",
    "UPLOAD_TYPES",
    "ImageError",
    "LoadedImage",
    "Sample",
    "cartoon_face",
    "load_image",
    "sample_image",
]

MAX_SIDE = 1024  # larger uploads are shrunk so every interaction stays instant
MAX_PIXELS = 50_000_000  # header check: more than this is refused before decoding
# Streamlit's server.maxUploadSize (.streamlit/config.toml) is in megabytes, and its uploader
# counts 10**6 bytes to a megabyte (2**20 on Windows, where the larger files it lets through
# get this module's message): the same limit, so no file passes one and not the other.
MAX_BYTES = 25 * 10**6
#: The file name endings an upload may have: the formats :func:`load_image` reads.
UPLOAD_TYPES = ("png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff")

# A shrunk upload is converted and resampled a tile at a time, each tile's source at most about
# this many pixels (4 MB in RGBA), so only the decoded raster is ever held at full size.
_TILE_PIXELS = 1 << 20

# Pillow's WebP decoder holds a picture four times over while decoding it (libwebp's two
# canvases, a copy handed to Python, the raster): a quarter of the pixels keeps its peak at
# what the largest accepted PNG costs (bench/bench_upload_memory.py measures both).
_WEBP_COPIES = 4
# Bytes of memory a decoded pixel may take (RGBA): max_pixels times this is the decoding budget.
_BYTES_PER_PIXEL = 4

# EXIF orientation tag (0x0112) value -> the transposition that stands the picture upright,
# as in Pillow's ImageOps.exif_transpose.
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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
        Files whose header declares more pixels are refused without decoding them; WebP files
        with more than a quarter of this (its decoder holds four copies).
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
        Empty, too large, truncated or damaged files, text or SVG, decompression bombs,
        compressed TIFFs whose strips or tiles would take too much memory to decode, float
        images holding NaN or infinity.

    Notes
    -----
    The EXIF orientation tag is applied, so phone photos stand upright. Transparency is
    flattened onto white. 16- and 32-bit grayscale keep their full range: 16-bit values are
    divided by 65535; other integer or float images are rescaled from their own min and max.

    Memory: a JPEG is decoded at a reduced scale (1/2, 1/4 or 1/8, not below the final size);
    any other file needs its decoded raster once (196 MB for 7000×7000 at 4 bytes a pixel),
    and everything after that (mode conversion, flattening, shrinking) runs a tile of about a
    megapixel at a time, so the peak stays under 1.5 rasters. The result is what one resize of
    the whole converted picture gives (Lanczos; box for 16- and 32-bit images).

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
    size = _fit(original, max_side)
    if size != original:
        # A JPEG is decoded at 1/2, 1/4 or 1/8 scale, never below size (other formats ignore it).
        image.draft(image.mode, size)
    try:
        image.load()
        upright = _ORIENTATION.get(image.getexif().get(0x0112))
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageError(
            f"The image file is damaged or cut short and cannot be read ({error})."
        ) from None
    # Shrink first and turn upright after, so the picture exists at full size only as decoded.
    image, array_note = _canonical_resized(image, size)
    if upright is not None:
        image = image.transpose(upright)
        notes.append("Turned upright as its EXIF orientation tag asks.")
    if array_note:
        notes.append(array_note)
    if size != original:
        notes.append(
            f"Shrunk from {original[0]}×{original[1]} to {image.size[0]}×{image.size[1]} "
            f"pixels (longest side at most {max_side}) so that every change stays instant."
        )
    return LoadedImage(_to_float(image), notes, original, mode)


FACE_SIZE = 64
#: Centres ``(row, col)`` of the two eyes in :func:`cartoon_face`.
FACE_EYES = ((24, 21), (24, 42))


def cartoon_face() -> np.ndarray:
    """A 64×64 grayscale cartoon face: two eyes, a nose and a mouth on a round head.

    Each eye is a bright disk of radius 3.5 with a dark pupil of radius 1.5, the shape
    :func:`cnnviz.maths.kernels.eye_detector` looks for, centred at :data:`FACE_EYES`.

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
    webp = _webp_size(raw)
    if webp is not None and webp[0] * webp[1] > max_pixels // _WEBP_COPIES:
        raise ImageError(
            f"The WebP image declares {webp[0]}×{webp[1]} pixels "
            f"({webp[0] * webp[1] / 1e6:.1f} megapixels); WebP is decoded whole several times "
            f"over, so at most {max_pixels / _WEBP_COPIES / 1e6:.1f} megapixels are accepted. "
            "Save it as PNG or JPEG, or upload a smaller image."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            "The image declares too many pixels to open safely (more than "
            f"{(Image.MAX_IMAGE_PIXELS or 0) / 1e6:.0f} megapixels). Upload a smaller image."
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
    if image.format == "TIFF":
        _check_tiff_blocks(image, max_pixels * _BYTES_PER_PIXEL)
    return image


def _webp_size(raw: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a WebP file's header, or None if it is not WebP.

    Pillow's WebP reader allocates the decoder's canvases as it opens the file, before its size
    can be checked, so the size is read here first (the same fields Pillow reads).
    """
    if raw[:4] != b"RIFF" or raw[8:12] != b"WEBP" or len(raw) < 30:
        return None
    chunk = raw[12:16]
    if chunk == b"VP8X":  # extended: 24-bit canvas width and height, minus one
        return int.from_bytes(raw[24:27], "little") + 1, int.from_bytes(raw[27:30], "little") + 1
    if chunk == b"VP8L" and raw[20] == 0x2F:  # lossless: 14 bits each, minus one
        bits = int.from_bytes(raw[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and raw[23:26] == b"\x9d\x01\x2a":  # lossy key frame: 14 bits each
        return (
            int.from_bytes(raw[26:28], "little") & 0x3FFF,
            int.from_bytes(raw[28:30], "little") & 0x3FFF,
        )
    return None


def _check_tiff_blocks(image: Image.Image, budget: int) -> None:
    """Refuse a compressed TIFF that needs more than ``budget`` bytes, or 1.5 rasters, to decode.

    libtiff decodes each strip or tile whole into a buffer of its own before Pillow copies it
    into the raster: a file written as one strip needs its picture twice.
    """
    if image.info.get("compression", "raw") == "raw":
        return  # Pillow reads uncompressed strips straight into the raster
    tags = image.tag_v2  # type: ignore[attr-defined]
    width, height = image.size
    bits = tags.get(258, 8)
    pixel_bits = sum(bits) if isinstance(bits, tuple) else int(bits)  # BitsPerSample
    if 322 in tags and 323 in tags:  # TileWidth × TileLength
        block = -(-int(tags[322]) * pixel_bits // 8) * int(tags[323])
    else:  # RowsPerStrip full rows
        block = min(height, int(tags.get(278, height))) * -(-width * pixel_bits // 8)
    raster = width * height * _BYTES_PER_PIXEL  # at most: Pillow keeps 1, 2 or 4 bytes a pixel
    allowed = max(budget, 1.5 * raster)
    if raster + block > allowed:
        raise ImageError(
            f"This TIFF stores its {width}×{height} pixels in compressed blocks of "
            f"{block / 1e6:.1f} MB; decoding it would take {(raster + block) / 1e6:.1f} MB of "
            f"memory, more than the {allowed / 1e6:.1f} MB allowed. Save it again in strips or "
            "tiles (most editors do), or upload a smaller image."
        )


def _looks_like_text(raw: bytes) -> bool:
    sample = raw[:2048]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(ch.isprintable() or ch.isspace() for ch in text) >= 0.95 * len(text)


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """``(width, height)`` shrunk to a longest side of ``max_side``, keeping the aspect ratio."""
    if max(size) <= max_side:
        return size
    scale = max_side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _canonical_resized(image: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, str | None]:
    """Convert any Pillow mode to L, RGB or F (high bit depth), flattening transparency, and
    resize to ``size``; return the image and a note for the user (or None).

    A shrunk picture is converted and resampled one tile at a time, so the conversions never
    hold a full-size copy. Each tile's source carries a margin as wide as the filter's reach and
    Pillow's resampling box is given in the tile's coordinates: every output pixel is computed
    from the same source pixels, with the same weights, as by one resize of the whole picture.
    """
    offset, scale, note = _value_map(image)
    if size == image.size:
        converted, transparent = _canonical(image, offset, scale)
    else:
        converted, transparent = _resized_in_tiles(image, size, offset, scale)
    if transparent:
        note = "Transparent areas were flattened onto white."
    return converted, note


def _value_map(image: Image.Image) -> tuple[float, float, str | None]:
    """For 16- and 32-bit modes, ``(offset, scale)`` that map the whole picture's values to
    [0, 1] as ``(value - offset) / scale``, and a note if that is a rescaling; else (0, 1)."""
    mode = image.mode
    if mode.startswith("I;16"):
        return 0.0, 65535.0, None
    if mode not in ("I", "F"):
        return 0.0, 1.0, None
    low, high = (float(v) for v in image.getextrema())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ImageError(_NOT_FINITE)
    if mode == "I" and low >= 0 and high <= 65535:
        # 16-bit data that Pillow opened as 32-bit (common for 16-bit PNG).
        return 0.0, (255.0 if high <= 255 else 65535.0), None
    if mode == "F" and low >= 0 and high <= 1:
        return 0.0, 1.0, None
    span = high - low if high > low else 1.0
    return low, span, f"Pixel values were rescaled from [{low:g}, {high:g}] to [0, 1]."


_NOT_FINITE = (
    "The image holds values that are not numbers (NaN or infinity); save it with finite "
    "values and upload it again."
)


def _resized_in_tiles(
    image: Image.Image, size: tuple[int, int], offset: float, scale: float
) -> tuple[Image.Image, bool]:
    """:func:`_canonical` then a resize to ``size``, one tile of the output at a time."""
    # Box for high bit depth (Lanczos would ring beyond [0, 1]); Lanczos (reach 3) otherwise.
    is_float = image.mode in ("I", "F") or image.mode.startswith("I;16")
    resample, reach = (Image.Resampling.BOX, 0.5) if is_float else (Image.Resampling.LANCZOS, 3)
    out: Image.Image | None = None
    transparent = False
    for crop, box, (left, top, right, bottom) in _tiles(image.size, size, reach):
        part, clear = _canonical(image.crop(crop), offset, scale)
        part = part.resize((right - left, bottom - top), resample, box=box)
        if out is None:
            out = Image.new(part.mode, size)
        out.paste(part, (left, top))
        transparent |= clear
    assert out is not None  # size has at least one pixel
    return out, transparent


Box = tuple[int, int, int, int]


def _tiles(
    source: tuple[int, int], size: tuple[int, int], reach: float
) -> Iterator[tuple[Box, tuple[float, float, float, float], Box]]:
    """Cut a resize from ``source`` to ``size`` (both ``(width, height)``) into tiles.

    Yields, for each tile of the output, ``(crop, box, tile)``: the source pixels to crop (the
    tile's own plus a margin of the filter's ``reach``, in output pixels), the resampling box
    inside that crop, and the tile's place in the output, each ``(left, top, right, bottom)``.
    Each tile's crop has at most about ``_TILE_PIXELS`` pixels when the margins allow it.
    """
    step_x, step_y = source[0] / size[0], source[1] / size[1]  # source pixels per output pixel
    margin_x, margin_y = int(np.ceil(reach * step_x)) + 1, int(np.ceil(reach * step_y)) + 1

    def crop_pixels(tile_w: int, tile_h: int) -> float:
        crop_w = min(source[0], tile_w * step_x + 2 * margin_x)
        return crop_w * min(source[1], tile_h * step_y + 2 * margin_y)

    tile_w, tile_h = size  # halve the side whose source is longer until the crop is small
    while crop_pixels(tile_w, tile_h) > _TILE_PIXELS and (tile_w, tile_h) != (1, 1):
        if tile_h == 1 or (tile_w > 1 and tile_w * step_x >= tile_h * step_y):
            tile_w = (tile_w + 1) // 2
        else:
            tile_h = (tile_h + 1) // 2
    for top in range(0, size[1], tile_h):
        bottom = min(size[1], top + tile_h)
        y0, y1 = top * step_y, min(source[1], bottom * step_y)
        r0, r1 = max(0, int(y0) - margin_y), min(source[1], int(np.ceil(y1)) + margin_y)
        for left in range(0, size[0], tile_w):
            right = min(size[0], left + tile_w)
            x0, x1 = left * step_x, min(source[0], right * step_x)
            c0, c1 = max(0, int(x0) - margin_x), min(source[0], int(np.ceil(x1)) + margin_x)
            yield (c0, r0, c1, r1), (x0 - c0, y0 - r0, x1 - c0, y1 - r0), (left, top, right, bottom)


def _canonical(image: Image.Image, offset: float, scale: float) -> tuple[Image.Image, bool]:
    """Any Pillow mode as L, RGB or F, transparency flattened onto white; and whether there
    was any. 16- and 32-bit values become ``(value - offset) / scale`` (see :func:`_value_map`).
    """
    mode = image.mode
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        rgba = image if mode == "RGBA" else image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, rgba)
        transparent = rgba.getchannel("A").getextrema()[0] < 255
        return flat.convert("L" if mode in ("LA", "La") else "RGB"), transparent
    if mode == "1":
        return image.convert("L"), False
    if mode in ("I", "F") or mode.startswith("I;16"):
        # float64 for the arithmetic: a 32-bit integer does not fit float32's 24-bit mantissa.
        values = (np.asarray(image, dtype=np.float64) - offset) / scale
        if not np.isfinite(values).all():
            raise ImageError(_NOT_FINITE)
        return Image.fromarray(values.astype(np.float32), mode="F"), False
    if mode in ("L", "RGB"):
        return image, False
    return image.convert("RGB"), False  # CMYK, YCbCr, LAB, HSV, ...


def _to_float(image: Image.Image) -> np.ndarray:
    values = np.array(image, dtype=np.float32)  # a new, writable array
    if image.mode == "F":
        return np.clip(values, 0.0, 1.0, out=values)
    values /= 255.0
    return values
