"""Photo benchmark: CPU time and peak memory of re-encoding the largest photo the portal accepts.

    .venv/bin/python -m benchmarks.photos            # every sample, 3 fresh processes each
    .venv/bin/python -m benchmarks.photos --runs 5 --only png

Builds, for each accepted format, a picture at that format's limits (pixels and bytes:
``portal.reports.photos.BUDGETS``), in the ways that cost the
decoder most (noise up to the size limit, transparency, palette, progressive, CMYK, a second
picture in an MPO), then re-encodes each one in a fresh Python process with
``portal.reports.photos.reencode``. The child measures its own CPU time (user + system) around
the call and its peak RSS (``VmHWM``) against its RSS just before the call, so the figure is
what one photo adds to a worker. Each sample's worst run is kept. Targets (issue 18): at most
0.5 s of CPU and 150 MB per photo.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from benchmarks.common import REPO, table
from portal.reports.photos import BUDGETS, MAX_BYTES, MIN_SIDE

TARGET_CPU_S = 0.5
TARGET_MB = 150

_CHILD = """
import io, json, resource, sys
from portal.reports.photos import reencode

def status_mb(field):
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's peak at the fork.
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ':')) / 1024

raw = open(sys.argv[1], 'rb').read()
before_rss = status_mb('VmRSS')
before = resource.getrusage(resource.RUSAGE_SELF)
photo = reencode(io.BytesIO(raw))
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    "peak_mb": status_mb('VmHWM'), "before_mb": before_rss,
    "width": photo.width, "height": photo.height}))
"""


def size_for(pixels: int, aspect: float = 4 / 3) -> tuple[int, int]:
    """The largest width × height of ``aspect`` with at most ``pixels`` pixels."""
    height = int((pixels / aspect) ** 0.5)
    width = int(height * aspect)
    while width * height > pixels:
        width -= 1
    return width, height


def busy(size: tuple[int, int], mode: str, noisy_share: float) -> Image.Image:
    """A flat picture whose top ``noisy_share`` is noise: nothing compresses noise."""
    image = Image.new(mode, size, (90, 120, 160, 200)[:len(mode)] if mode != "P" else 3)
    rows = int(size[1] * noisy_share)
    if rows:
        noise = Image.effect_noise((size[0], rows), 90)
        if mode == "P":
            patch = noise.convert("P")
        else:
            patch = Image.merge(mode, [noise.transpose(Image.Transpose.ROTATE_180) if i % 2 else noise
                                       for i in range(len(mode))])
        image.paste(patch, (0, 0))
    return image


def fitting(make: Callable[[float], bytes], limit: int) -> bytes:
    """``make(share)`` with as much noise as stays within ``limit`` bytes (the file grows with it)."""
    trial = 0.1
    share = min(1.0, trial * limit / max(1, _size(make, trial)) * 0.97)
    while share > 0.001:
        data = _attempt(make, share)
        if data is not None and len(data) <= limit:
            return data
        share *= 0.9
    return make(0)


def _attempt(make: Callable[[float], bytes], share: float) -> bytes | None:
    try:
        return make(share)
    except OSError:  # larger than the buffer Pillow gives a progressive JPEG: too large anyway
        return None


def _size(make: Callable[[float], bytes], share: float) -> int:
    data = _attempt(make, share)
    return len(data) if data is not None else 4 * MAX_BYTES


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    # Through a real file: Pillow cannot write a large progressive JPEG into a BytesIO.
    with tempfile.TemporaryFile() as out:
        image.save(out, format=fmt, **options)
        out.seek(0)
        return out.read()


def mpo(size: tuple[int, int], share: float) -> bytes:
    """A phone's multi-picture JPEG: the photo and a smaller second picture."""
    second = Image.new("RGB", (size[0] // 4, size[1] // 4), (10, 10, 10))
    return encode(busy(size, "RGB", share), "MPO", save_all=True, append_images=[second],
                  quality=90)


@dataclass(frozen=True)
class Sample:
    name: str
    budget: str  # its key in BUDGETS
    make: Callable[[tuple[int, int], float], bytes]
    size: tuple[int, int] | None = None  # None: the budget's pixels, in 4:3

    @property
    def pixels(self) -> tuple[int, int]:
        return self.size or size_for(BUDGETS[self.budget].pixels)


#: The costliest baseline JPEG: libjpeg can only halve it, and it is then resampled.
JPEG_HALF = (4 * MIN_SIDE - 1, 3 * MIN_SIDE - 1)
SAMPLES = [
    Sample("JPEG baseline 4:2:0", "JPEG",
           lambda s, n: encode(busy(s, "RGB", n), "JPEG", quality=90)),
    Sample("JPEG baseline 4:4:4", "JPEG",
           lambda s, n: encode(busy(s, "RGB", n), "JPEG", quality=90, subsampling=0)),
    Sample("JPEG baseline 4:4:4, halved", "JPEG",
           lambda s, n: encode(busy(s, "RGB", n), "JPEG", quality=90, subsampling=0), JPEG_HALF),
    Sample("JPEG baseline CMYK", "JPEG",
           lambda s, n: encode(busy(s, "CMYK", n), "JPEG", quality=90)),
    Sample("MPO (JPEG + 2nd picture)", "JPEG", mpo),
    Sample("JPEG progressive 4:4:4", "JPEG progressive",
           lambda s, n: encode(busy(s, "RGB", n), "JPEG", quality=90, subsampling=0,
                               progressive=True)),
    Sample("JPEG progressive CMYK", "JPEG progressive",
           lambda s, n: encode(busy(s, "CMYK", n), "JPEG", quality=90, progressive=True)),
    Sample("PNG RGBA, flat (the issue's)", "PNG", lambda s, n: encode(busy(s, "RGBA", 0), "PNG")),
    Sample("PNG RGBA, noisy", "PNG", lambda s, n: encode(busy(s, "RGBA", n), "PNG")),
    Sample("PNG RGB, noisy", "PNG", lambda s, n: encode(busy(s, "RGB", n), "PNG")),
    Sample("PNG palette + transparency", "PNG",
           lambda s, n: encode(busy(s, "P", n), "PNG", transparency=0)),
    Sample("PNG 16-bit grey", "PNG",
           lambda s, n: encode(busy(s, "L", n).convert("I;16"), "PNG")),
    Sample("WebP lossy", "WEBP", lambda s, n: encode(busy(s, "RGB", n), "WEBP", quality=100)),
    Sample("WebP lossy + alpha", "WEBP",
           lambda s, n: encode(busy(s, "RGBA", n), "WEBP", quality=100)),
    Sample("WebP lossless + alpha", "WEBP",
           lambda s, n: encode(busy(s, "RGBA", n), "WEBP", lossless=True)),
]


def measure(path: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], cwd=REPO, check=True,
                          capture_output=True, text=True, timeout=600)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per sample (default 3)")
    parser.add_argument("--only", choices=["jpeg", "png", "webp"], help="one format")
    args = parser.parse_args()
    rows = []
    worst_cpu = worst_mb = 0.0
    with tempfile.TemporaryDirectory(prefix="portal-photos-") as folder:
        for sample in SAMPLES:
            if args.only and not sample.budget.lower().startswith(args.only):
                continue
            data = fitting(lambda share, sample=sample: sample.make(sample.pixels, share),
                           BUDGETS[sample.budget].bytes)
            path = Path(folder) / "photo"
            path.write_bytes(data)
            runs = [measure(path) for _ in range(args.runs)]
            cpu = max(run["cpu_s"] for run in runs)
            added = max(run["peak_mb"] - run["before_mb"] for run in runs)
            peak = max(run["peak_mb"] for run in runs)
            worst_cpu, worst_mb = max(worst_cpu, cpu), max(worst_mb, added)
            width, height = sample.pixels
            rows.append([sample.name, f"{width} × {height}", f"{width * height / 1e6:.1f}",
                         f"{len(data) / 2**20:.1f}", f"{cpu:.2f}", f"{added:.0f}", f"{peak:.0f}"])
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    print(table(["photo", "pixels", "MP", "file MB", "CPU s", "+RSS MB", "peak RSS MB"], rows,
                right={2, 3, 4, 5, 6}))
    met = worst_cpu <= TARGET_CPU_S and worst_mb <= TARGET_MB
    print(f"\nworst case per photo: {worst_cpu:.2f} s CPU, {worst_mb:.0f} MB "
          f"(target {TARGET_CPU_S} s, {TARGET_MB} MB): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
