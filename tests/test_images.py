"""load_image on files the tests make in every Pillow mode, and on broken or hostile files."""

import io
import struct
import time
import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

import cnnviz.pictures.images
from cnnviz.maths.pixels import shift, to_grayscale
from cnnviz.pictures.images import (
    MAX_BYTES,
    SAMPLES,
    ImageError,
    cartoon_face,
    load_image,
    sample_image,
)

rng = np.random.default_rng(11)


def _encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _gradient(w=40, h=30):
    return np.tile(np.linspace(0, 255, w, dtype=np.float64), (h, 1))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"])
def test_every_upload_format_loads_as_float_in_unit_range(fmt):
    """Each format the uploader accepts decodes to float32 in [0, 1] of the right size."""
    rgb = Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), "RGB")
    loaded = load_image(_encode(rgb, fmt))
    assert loaded.array.dtype == np.float32
    assert loaded.array.shape[:2] == (30, 40)
    assert 0.0 <= loaded.array.min() and loaded.array.max() <= 1.0


def test_rgb_png_is_exact():
    """A lossless RGB file comes back as its exact values divided by 255."""
    pixels = rng.integers(0, 256, (12, 9, 3), dtype=np.uint8)
    loaded = load_image(_encode(Image.fromarray(pixels, "RGB")))
    np.testing.assert_allclose(loaded.array, pixels / 255.0, atol=1e-6)


@pytest.mark.parametrize(
    ("mode", "ndim"),
    [
        ("1", 2),
        ("L", 2),
        ("LA", 2),
        ("P", 3),
        ("RGB", 3),
        ("RGBA", 3),
        ("CMYK", 3),
        ("I;16", 2),
        ("I", 2),
        ("F", 2),
    ],
)
def test_every_pillow_mode_converts_sensibly(mode, ndim):
    """Every mode gives gray (H, W) or colour (H, W, 3) floats in [0, 1], keeping the ramp."""
    base = Image.fromarray(_gradient().astype(np.uint8), "L")
    if mode == "I;16":
        image = Image.fromarray((_gradient() * 257).astype(np.uint16))
    elif mode == "I":
        image = Image.fromarray((_gradient() * 1000 - 5000).astype(np.int32), "I")
    elif mode == "F":
        image = Image.fromarray((_gradient() * 3.0 - 100).astype(np.float32), "F")
    else:
        image = base.convert(mode)
    fmt = "TIFF" if mode in ("I", "F", "CMYK") else ("JPEG" if mode == "CMYK" else "PNG")
    loaded = load_image(_encode(image, fmt))
    assert loaded.array.ndim == ndim
    assert loaded.mode == mode
    gray = to_grayscale(loaded.array)
    assert 0.0 <= gray.min() and gray.max() <= 1.0
    if mode != "1":  # a 1-bit image keeps only two levels
        row = gray[5]
        assert row[-1] - row[0] > 0.9  # the dark-to-bright ramp survives
        assert np.all(np.diff(row) >= -1e-3)


def test_sixteen_bit_keeps_full_precision():
    """I;16 values are divided by 65535, not squashed to 8 bits."""
    values = np.array([[0, 1, 65535, 32768]], dtype=np.uint16)
    loaded = load_image(_encode(Image.fromarray(values), "PNG"))
    np.testing.assert_allclose(loaded.array, values / 65535.0, atol=1e-6)


def test_transparency_is_flattened_onto_white_and_said():
    """A fully transparent RGBA pixel becomes white; the notes say so."""
    pixels = np.zeros((4, 4, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    pixels[0, 0, 3] = 0
    loaded = load_image(_encode(Image.fromarray(pixels, "RGBA")))
    np.testing.assert_allclose(loaded.array[0, 0], 1.0)
    np.testing.assert_allclose(loaded.array[1, 1], 0.0)
    assert any("transparent" in n.lower() for n in loaded.notes)


def test_exif_orientation_is_honoured():
    """A landscape JPEG tagged 'rotate 90' loads as portrait."""
    image = Image.fromarray(np.zeros((20, 40, 3), dtype=np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    loaded = load_image(_encode(image, "JPEG", exif=exif))
    assert loaded.array.shape[:2] == (40, 20)
    assert any("EXIF" in n for n in loaded.notes)


def test_animation_uses_first_frame_and_says_so():
    """A 3-frame GIF gives its first frame and a note naming the frame count."""
    frames = [Image.new("L", (10, 10), color=v) for v in (0, 128, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    loaded = load_image(buffer.getvalue())
    assert float(loaded.array.max()) == pytest.approx(0.0, abs=0.01)
    assert any("3 frames" in n for n in loaded.notes)


def test_large_image_is_shrunk_and_reported():
    """A 3000x1500 upload is shrunk to a longest side of max_side, keeping the aspect ratio."""
    big = Image.new("RGB", (3000, 1500), color=(10, 200, 30))
    loaded = load_image(_encode(big, "JPEG"), max_side=1024)
    assert loaded.array.shape == (512, 1024, 3)
    assert loaded.original_size == (3000, 1500)
    assert any("Shrunk from 3000×1500 to 1024×512" in n for n in loaded.notes)


def test_file_like_objects_are_accepted():
    """An open binary file (as Streamlit's UploadedFile is) works like bytes."""
    data = _encode(Image.new("L", (5, 6)))
    assert load_image(io.BytesIO(data)).array.shape == (6, 5)


def _png_declaring(width, height):
    """A tiny, valid-looking PNG header that claims width x height pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat_data = zlib.compress(b"\x00" * 100)
    idat = struct.pack(">I", len(idat_data)) + b"IDAT" + idat_data
    idat += struct.pack(">I", zlib.crc32(b"IDAT" + idat_data))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat


BROKEN = {
    "empty": (b"", r"empty"),
    "html renamed .png": (b"<!DOCTYPE html><html><body>hi</body></html>", r"HTML, not an image"),
    "plain text": (b"just some notes\nabout a cat\n", r"text, not an image"),
    "svg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', r"SVG"),
    "random bytes": (bytes(range(256)) * 4, r"not an image format"),
    "bomb 60000x60000": (_png_declaring(60000, 60000), r"too many pixels|60000×60000"),
    "bomb 9000x9000": (_png_declaring(9000, 9000), r"81 megapixels"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_and_hostile_files_raise_image_error_quickly(name):
    """Each raises ImageError with a clear message, in well under a second."""
    data, message = BROKEN[name]
    start = time.perf_counter()
    with pytest.raises(ImageError, match=message):
        load_image(data)
    assert time.perf_counter() - start < 1.0


def test_truncated_file_raises_image_error():
    """A PNG cut in half is reported as damaged, not as a traceback."""
    data = _encode(Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)))
    with pytest.raises(ImageError, match="damaged|cut short"):
        load_image(data[: len(data) // 2])


def test_oversized_file_is_refused_before_decoding():
    """More bytes than max_bytes is refused with the limit in the message."""
    with pytest.raises(ImageError, match="larger than 1 MB"):
        load_image(b"\x89PNG" + b"\x00" * (2 * 10**6), max_bytes=10**6)


def test_to_grayscale_matches_pillow_luma():
    """Our luma equals Pillow's own RGB-to-L conversion within rounding."""
    pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    ours = to_grayscale(pixels / 255.0) * 255
    theirs = np.asarray(Image.fromarray(pixels, "RGB").convert("L"), dtype=np.float64)
    np.testing.assert_allclose(ours, theirs, atol=1.0)


@pytest.mark.parametrize(("dx", "dy"), [(0, 0), (1, 0), (-2, 3), (5, -1), (40, 0)])
def test_shift_matches_scipy_shift_with_zero_fill(dx, dy):
    """shift equals scipy.ndimage.shift by whole pixels with constant 0 fill."""
    import scipy.ndimage

    x = rng.random((12, 15, 3))
    expected = scipy.ndimage.shift(x, (dy, dx, 0), order=0, mode="constant", cval=0.0)
    np.testing.assert_allclose(shift(x, dx, dy), expected)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_sample_loads_offline_in_unit_range(name):
    """Samples need no network and are float32 images in [0, 1]."""
    image = sample_image(name)
    assert image.dtype == np.float32 and image.ndim in (2, 3)
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.05


@pytest.mark.parametrize(
    ("name", "photo"),
    [("Astronaut", "astronaut"), ("Cat", "chelsea"), ("Camera man", "camera")],
)
def test_samples_cover_a_person_a_cat_a_grayscale_photo_and_the_face(name, photo):
    """The issue asks for these four kinds: each is scikit-image's photo as it ships (colour
    stays colour, the grayscale one stays 2-D), scaled to [0, 1]; the face is cartoon_face()."""
    import skimage.data

    expected = getattr(skimage.data, photo)() / 255.0
    np.testing.assert_allclose(sample_image(name), expected, atol=1e-6)
    np.testing.assert_array_equal(sample_image("Cartoon face"), cartoon_face())


def _random_picture(mode: str, w: int, h: int) -> tuple[Image.Image, str]:
    """A picture of random pixels in ``mode``, and a lossless format that keeps the mode."""
    if mode == "1":
        return Image.fromarray(rng.random((h, w)) > 0.5), "PNG"
    if mode == "P":
        image = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8), "L").convert("P")
        image.putpalette(rng.integers(0, 256, 768, dtype=np.uint8).tobytes())
        image.info["transparency"] = 7  # palette entry 7 is transparent
        return image, "PNG"
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16)), "PNG"
    if mode == "I":
        values = rng.integers(-5000, 5_000_000, (h, w), dtype=np.int32)
        return Image.fromarray(values, "I"), "TIFF"
    if mode == "F":
        return Image.fromarray((rng.normal(size=(h, w)) * 100).astype(np.float32), "F"), "TIFF"
    bands = len(Image.new(mode, (1, 1)).getbands())
    pixels = rng.integers(0, 256, (h, w, bands), dtype=np.uint8)
    return Image.fromarray(pixels.squeeze(), mode), "TIFF" if mode == "CMYK" else "PNG"


def _pillow_reference(data: bytes, size: tuple[int, int]) -> np.ndarray:
    """Pillow's own full decode, one conversion of the whole picture, one resize to ``size``."""
    image = Image.open(io.BytesIO(data))
    image.load()
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA"):
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, image.convert("RGBA"))
        image = flat.convert("RGB" if image.mode == "RGBA" else "L")
    if image.mode in ("I;16", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, span = (0.0, 65535.0) if image.mode == "I;16" else (values.min(), np.ptp(values))
        image = Image.fromarray(((values - low) / span).astype(np.float32), "F")
        return np.asarray(image.resize(size, Image.Resampling.BOX))
    image = image.convert("RGB" if image.mode == "CMYK" else "L" if image.mode == "1" else None)
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255


@pytest.mark.parametrize("tile_pixels", [50_000_000, 2_000], ids=["one tile", "many tiles"])
@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"])
def test_shrunk_upload_equals_pillow_full_decode_and_resize(mode, tile_pixels, monkeypatch):
    """Converting and shrinking tile by tile gives what one resize of the whole picture gives."""
    monkeypatch.setattr(cnnviz.pictures.images, "_TILE_PIXELS", tile_pixels)
    image, fmt = _random_picture(mode, 300, 190)
    data = _encode(image, fmt)
    loaded = load_image(data, max_side=64)
    expected = _pillow_reference(data, (64, 41))
    assert loaded.array.shape == expected.shape
    # Each output pixel is computed from the same pixels with the same weights; only the
    # rounding of Pillow's 8-bit intermediate row pass may differ, by one level.
    np.testing.assert_allclose(loaded.array, expected, atol=1 / 255 + 1e-6)
    assert np.abs(loaded.array - expected).mean() < 0.1 / 255


@pytest.mark.parametrize(
    ("size", "max_side", "decoded"),
    [((3000, 1500), 1024, (1500, 750)), ((4100, 1000), 512, (513, 125))],
)
def test_large_jpeg_is_decoded_reduced(size, max_side, decoded, monkeypatch):
    """libjpeg decodes a JPEG at 1/2, 1/4 or 1/8 scale, to no less than the final size."""
    seen = []
    load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        result = load(self)
        seen.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    loaded = load_image(_encode(image, "JPEG"), max_side=max_side)
    assert seen[-1] == decoded
    assert max(loaded.array.shape) == max_side


def test_shrunk_jpeg_is_close_to_a_full_decode():
    """Decoding reduced changes what a viewer sees by less than a few levels."""
    ramp = np.linspace(0, 255, 2400)
    pixels = np.stack([*np.meshgrid(ramp, ramp[:1200]), np.full((1200, 2400), 90.0)], axis=-1)
    data = _encode(Image.fromarray(pixels.astype(np.uint8)), "JPEG", quality=95)
    loaded = load_image(data, max_side=512)
    expected = _pillow_reference(data, (512, 256))
    np.testing.assert_allclose(loaded.array, expected, atol=4 / 255)


def test_exif_rotation_of_a_shrunk_photo_equals_rotating_first():
    """A large photo tagged 'rotate 90' is shrunk then turned: the same as turned then shrunk."""
    image = Image.fromarray(rng.integers(0, 256, (120, 300, 3), dtype=np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encode(image, "PNG", exif=exif)
    loaded = load_image(data, max_side=60)
    upright = image.transpose(Image.Transpose.ROTATE_270).resize((24, 60), Image.LANCZOS)
    assert loaded.array.shape == (60, 24, 3)
    np.testing.assert_allclose(loaded.array, np.asarray(upright) / 255, atol=1 / 255 + 1e-6)
    assert any("EXIF" in n for n in loaded.notes)
    assert any("Shrunk from 300×120 to 24×60" in n for n in loaded.notes)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_float_image_with_nan_or_infinity_is_refused(bad):
    """A float TIFF holding NaN or infinity gets a message, not a map of NaN."""
    values = rng.random((20, 30)).astype(np.float32)
    values[3, 4] = bad
    with pytest.raises(ImageError, match="not numbers"):
        load_image(_encode(Image.fromarray(values, "F"), "TIFF"))


def test_byte_limit_is_the_one_the_browser_enforces():
    """maxUploadSize is in megabytes of 10**6 bytes in the browser; MAX_BYTES is the same."""
    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit/config.toml").read_text())
    megabytes = config["server"]["maxUploadSize"]
    assert MAX_BYTES == megabytes * 10**6
    with pytest.raises(ImageError, match=f"larger than {megabytes} MB \\({MAX_BYTES:,} bytes\\)"):
        load_image(b"\x89PNG" + b"\x00" * (MAX_BYTES - 3))  # one byte too many
    with pytest.raises(ImageError, match="not an image format"):  # the size is not the problem
        load_image(b"\x89PNG" + b"\x00" * (MAX_BYTES - 4))


@pytest.mark.parametrize(
    ("mode", "options"),
    [("RGB", {"quality": 80}), ("RGB", {"lossless": True}), ("RGBA", {"quality": 80})],
    ids=["lossy VP8", "lossless VP8L", "extended VP8X"],
)
def test_webp_is_refused_above_a_quarter_of_the_pixel_limit(mode, options):
    """Pillow's WebP decoder holds four copies, so WebP gets a quarter of max_pixels."""
    big = _encode(Image.new(mode, (300, 200)), "WEBP", **options)  # 60,000 pixels
    with pytest.raises(ImageError, match=r"WebP image declares 300×200 pixels.*at most 0\.1 mega"):
        load_image(big, max_pixels=200_000)
    assert load_image(big, max_pixels=240_000).array.shape[:2] == (200, 300)


def test_tiff_decoded_through_one_large_strip_is_refused():
    """A compressed TIFF written as one strip needs its picture twice; in strips it is fine."""
    image = Image.fromarray(rng.random((300, 400)).astype(np.float32), "F")
    one_strip = _encode(image, "TIFF", compression="tiff_deflate", strip_size=2**31 - 1)
    strips = _encode(image, "TIFF", compression="tiff_deflate", strip_size=4096)
    raw = _encode(image, "TIFF")  # uncompressed: read straight into the raster
    # At most 4 bytes a pixel: a 0.48 MB raster and a 0.48 MB strip, over 1.5 rasters.
    message = r"blocks of 0\.5 MB; decoding it would take 1\.0 MB .* more than the 0\.7 MB"
    with pytest.raises(ImageError, match=message):
        load_image(one_strip, max_pixels=120_000)
    for data in (strips, raw):
        assert load_image(data, max_pixels=120_000).array.shape == (300, 400)
