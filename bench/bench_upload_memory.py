"""Benchmark: what one upload costs the server, against an earlier version of
cnnviz/pictures/images.py.

Writes the files of tests/test_upload_memory.py (7000×7000 RGBA PNG and float TIFF of a few
hundred KB, a 7000×7000 JPEG and a 7000×1750 panorama JPEG, the largest accepted WebP and
one-strip TIFF), then loads each with ``load_image`` in a fresh Python process, once with the
working tree's images.py and once with the one at ``--against``, and prints the peak memory
above the process's resident size (VmHWM after minus VmRSS before, in MiB), the wall time and
the CPU time. The earlier version may refuse a file the working tree accepts, or the reverse;
that shows as "refused".

Run: .venv/bin/python bench/bench_upload_memory.py [--against d396cee]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.test_upload_memory import (  # noqa: E402
    BIG_FILES,
    COSTLY_FILES,
    decoded_raster_bytes,
    load_peak,
    make_file,
)


def _measure(path: Path, module: str | None) -> str:
    try:
        done = load_peak(path, module)
    except subprocess.CalledProcessError as error:
        return "refused" if "ImageError" in (error.stderr or "") else "failed"
    return f"{done['increase_mb']:7.0f} MiB {done['seconds']:5.2f} s {done['cpu_seconds']:5.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="d396cee", help="git revision to compare with")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        old = directory / "images_before.py"
        source = subprocess.run(
            ["git", "show", f"{args.against}:cnnviz/pictures/images.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        old.write_text(source)
        print(f"{'file':<16} {'size':>8} {'raster':>8}   {'before (peak, wall, CPU)':<28} now")
        for name in [*BIG_FILES, *COSTLY_FILES]:
            path = make_file(name, directory)
            raster = decoded_raster_bytes(path) / 2**20
            before, now = _measure(path, str(old)), _measure(path, None)
            size = f"{path.stat().st_size / 1e3:.0f} KB"
            print(f"{name:<16} {size:>8} {raster:5.0f} MiB   {before:<28} {now}")


if __name__ == "__main__":
    main()
