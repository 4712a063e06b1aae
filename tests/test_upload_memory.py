"""What an upload costs the server: peak memory of load_image, measured in a fresh process.

A few hundred kilobytes of PNG or TIFF can declare 7000×7000 pixels. Decoding it needs its
raster once (196 MB at 4 bytes a pixel); everything load_image does after that must stay
small beside it. tracemalloc does not see Pillow's C allocations, so each file is loaded in a
new Python process that reads its own resident memory (VmRSS) just before the call and its
high-water mark (VmHWM, reset just before the call) after it. These counters are per process
on Linux: getrusage's ru_maxrss is not, after fork and exec it keeps the parent's peak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from cnnviz.pictures.images import MAX_BYTES, MAX_PIXELS, MAX_SIDE

ROOT = Path(__file__).resolve().parents[1]
MB = 2**20

#: What the issue measured: (width, height, Pillow mode, format) of each file.
BIG_FILES = {
    "rgba_png": (7000, 7000, "RGBA", "PNG"),
    "float_tiff": (7000, 7000, "F", "TIFF"),
    "jpeg": (7000, 7000, "RGB", "JPEG"),
    "panorama_jpeg": (7000, 1750, "RGB", "JPEG"),
}
#: The largest files of two formats whose decoders need more than the raster (see images.py).
COSTLY_FILES = {
    "webp": (3500, 3500, "RGBA", "WEBP"),  # just under the WebP limit of 12.5 megapixels
    "one_strip_tiff": (5000, 5000, "F", "TIFF"),  # one strip: libtiff decodes it whole
}

_MAKE_FILES = """
import sys
from pathlib import Path

import numpy as np
from PIL import Image

name, width, height, mode, fmt, out = sys.argv[1:]
width, height = int(width), int(height)
ramp = np.floor(np.linspace(0, 32, width, endpoint=False)) / 31  # 32 steps, left to right
bands = (np.arange(height, dtype=np.float32) // 500 % 4 / 3)[:, None]  # 4 levels, 500 rows
if mode == "F":
    pixels = ramp * 1000.0 - 3.0 + bands * 50.0  # beyond [0, 1]: load_image rescales it
    image = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.float32), "F")
    strip = 2**31 - 1 if name == "one_strip_tiff" else 65536  # Pillow's default: 64 KB
    image.save(out, format=fmt, compression="tiff_deflate", strip_size=strip)
else:
    rgba = np.empty((height, width, 4), np.uint8)
    rgba[..., 0] = ramp * 255
    rgba[..., 1] = bands * 255
    rgba[..., 2] = 255 - ramp * 255
    rgba[..., 3] = 255 - ramp * 200  # transparent towards the right
    image = Image.fromarray(rgba, "RGBA").convert(mode)
    options = {"JPEG": {"quality": 90}, "WEBP": {"lossless": True}}.get(fmt, {})
    image.save(out, format=fmt, **options)
"""

_MEASURE = """
import importlib.util, io, json, sys, time
from pathlib import Path

sys.path.insert(0, {root!r})
module_path = {module!r}
if module_path:  # an older images.py, to measure what a change saved
    spec = importlib.util.spec_from_file_location("images_under_test", module_path)
    images = sys.modules["images_under_test"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(images)
else:
    import cnnviz.pictures.images as images
from PIL import Image

def status_mb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024

tiny = io.BytesIO()
Image.new("RGB", (8, 8)).save(tiny, format="PNG")
images.load_image(tiny.getvalue())  # Pillow's plugins and lazy imports load here, not below
data = Path({path!r}).read_bytes()
before = status_mb("VmRSS")
try:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS (Linux 4.0 and later)
    reset = True
except OSError:
    reset = False  # then VmHWM may include an earlier peak: an upper bound
start, cpu = time.perf_counter(), time.process_time()
loaded = images.load_image(data)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({{
    "increase_mb": status_mb("VmHWM") - before,
    "seconds": seconds,
    "cpu_seconds": cpu,
    "reset": reset,
    "shape": list(loaded.array.shape),
    "notes": loaded.notes,
}}))
"""


def make_file(name: str, directory: Path) -> Path:
    """Write BIG_FILES[name] or COSTLY_FILES[name] into ``directory`` (in a separate process:
    it takes ~0.4 GB)."""
    width, height, mode, fmt = {**BIG_FILES, **COSTLY_FILES}[name]
    path = directory / f"{name}.{fmt.lower()}"
    if not path.exists():
        args = [name, str(width), str(height), mode, fmt, str(path)]
        subprocess.run([sys.executable, "-c", _MAKE_FILES, *args], check=True)
    return path


def load_peak(path: Path, module: str | None = None) -> dict:
    """Load ``path`` with load_image in a fresh process; its peak memory increase in MB."""
    code = _MEASURE.format(root=str(ROOT), module=module, path=str(path))
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=300
    )
    return json.loads(done.stdout)


needs_proc = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads VmRSS and VmHWM from /proc (Linux)"
)

#: Bytes a pixel takes in Pillow's decoded raster (RGB is stored with a padding byte).
_RASTER_BYTES = {"1": 1, "L": 1, "P": 1, "LA": 4, "RGB": 4, "RGBA": 4, "CMYK": 4, "F": 4, "I": 4}


def decoded_raster_bytes(path: Path, max_side: int = MAX_SIDE) -> int:
    """The raster Pillow decodes for ``path``: a JPEG at the reduced scale Pillow's own ``draft``
    picks for the final size, any other format at full size."""
    with Image.open(path) as image:
        image.draft(image.mode, _fit(image.size, max_side))  # only JPEG decodes reduced
        return image.size[0] * image.size[1] * _RASTER_BYTES[image.mode]


def _fit(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("name", list(BIG_FILES))
def test_big_upload_peaks_at_most_one_and_a_half_decoded_rasters(name, upload_dir):
    """A small file declaring 7000×7000 pixels costs its decoded raster once, not a gigabyte."""
    path = make_file(name, upload_dir)
    assert path.stat().st_size < MAX_BYTES / 10  # small uploads, each well within the limit
    width, height, _, _ = BIG_FILES[name]
    out_w, out_h = _fit((width, height), MAX_SIDE)
    result = out_w * out_h * (1 if name == "float_tiff" else 3) * 4  # float32
    # Beside the raster: the result and the picture it is made from (each at most 12.6 MB,
    # 1024×1024×3 float32), and 8 MB for the allocator's and the decoders' working buffers.
    limit = 1.5 * decoded_raster_bytes(path) + 2 * result + 8 * MB
    measured = load_peak(path)
    assert measured["shape"] == ([out_h, out_w] if name == "float_tiff" else [out_h, out_w, 3])
    peak = measured["increase_mb"] * MB
    assert peak <= limit, f"{name}: peak +{peak / MB:.0f} MB, limit {limit / MB:.0f} MB"
    if width * height == 7000 * 7000 and name != "jpeg":
        assert peak <= 300 * MB  # the target for its PNG (930 MB) and TIFF (1,121 MB)


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("name", list(COSTLY_FILES))
def test_largest_accepted_webp_and_one_strip_tiff_cost_no_more_than_the_largest_png(
    name, upload_dir
):
    """Formats that decode through a second copy are accepted only as large as fits the budget
    of the largest PNG: 1.5 times its raster (50 megapixels at 4 bytes: 300 MB)."""
    path = make_file(name, upload_dir)
    measured = load_peak(path)
    assert measured["increase_mb"] * MB <= 1.5 * MAX_PIXELS * 4, measured
