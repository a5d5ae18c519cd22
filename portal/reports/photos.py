"""Photos sent by residents: checked by content, re-encoded, stripped, stored out of reach.

The original bytes are never written anywhere: Pillow decodes them, and only the re-encoded
pixels are stored, so EXIF (with the GPS position of the phone), XMP, ICC and comments are gone.

Decoding is the costly part, and anyone can send a photo: every limit below is checked from the
file's header before a pixel is decoded, so that one photo costs at most about 0.5 s of CPU and
150 MB of memory (measured by ``benchmarks/photos.py``; figures in ``benchmarks/README.md``).
"""
from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

#: Formats accepted, decided from the bytes, never from the file name or the browser's word.
#: Pillow calls a JPEG with a multi-picture segment (phones' depth maps, Ultra HDR gain maps)
#: "MPO": its first picture is the photo, and only that one is decoded.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 3
#: Larger pictures are scaled down: enough for staff to see the facts, light on storage. They
#: end between MIN_SIDE and MAX_SIDE on their long side, at a size reached cheaply (see
#: ``_scaled_down``).
MAX_SIDE = 2048
MIN_SIDE = 1600


@dataclass(frozen=True)
class Budget:
    """The largest picture of one kind: decoding it costs at most ~0.5 s of CPU and ~150 MB."""

    pixels: int
    bytes: int


_MB = 1024 * 1024
#: Checked from the header, before a pixel is decoded; measured by ``benchmarks/photos.py``.
#: A baseline JPEG (what cameras write) is decoded at 1/2, 1/4 or 1/8 of its size by libjpeg
#: itself (Pillow's draft mode): its memory hardly grows with its pixels, so 48 and 50 megapixel
#: phone cameras fit. A PNG, a WebP or a progressive JPEG is decoded whole, and the time to
#: decode a WebP or a progressive JPEG grows with its bytes: smaller budgets, which still hold
#: every phone screenshot and the pictures websites and editors write.
BUDGETS = {
    "JPEG": Budget(50_000_000, MAX_BYTES),
    "JPEG progressive": Budget(8_000_000, 4 * _MB),
    "PNG": Budget(8_000_000, MAX_BYTES),
    "WEBP": Budget(4_000_000, _MB),
}
#: Pillow's own decompression-bomb guard, for anything that would reach a decoder unchecked.
Image.MAX_IMAGE_PIXELS = max(budget.pixels for budget in BUDGETS.values())

#: Brands of the HEIF container that mean HEVC pictures (iPhones' HEIC), as opposed to AVIF.
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


class PhotoError(ValueError):
    """The upload is not a photo the portal can accept; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "too_large", "not_image", "unsupported", "heic", "too_many_pixels"


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class StoredPhoto:
    """A re-encoded photo in the store, with its size: all a report needs to hold it."""

    name: str
    width: int
    height: int


def reencode(stream: IO[bytes]) -> CleanPhoto:
    """Decode an uploaded image and return it as a fresh JPEG without any metadata."""
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise PhotoError("too_large")
    if not raw:
        raise PhotoError("not_image")
    if is_heic(raw):
        raise PhotoError("heic")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise PhotoError("unsupported")
                budget = budget_of(image)
                if image.width * image.height > budget.pixels or len(raw) > budget.bytes:
                    raise PhotoError("too_many_pixels")
                small = _scaled_down(image)
                # Turn the picture the way the phone meant it before the orientation tag goes.
                pixels = _flatten(ImageOps.exif_transpose(small) or small)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError("too_many_pixels") from None
        except PhotoError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise PhotoError("not_image") from None
    out = io.BytesIO()
    # A fresh image object carries no info dict: nothing but pixels is written.
    pixels.save(out, format="JPEG", quality=85, optimize=True)
    return CleanPhoto(out.getvalue(), pixels.width, pixels.height)


def is_heic(raw: bytes) -> bool:
    """An HEIF file holding HEVC pictures: what iPhones store, which Pillow cannot decode."""
    if raw[4:8] != b"ftyp":
        return False
    size = int.from_bytes(raw[:4], "big")
    brands = {raw[i:i + 4] for i in range(8, min(size, 64), 4) if i != 12}  # 12: minor version
    return bool(brands & _HEIC_BRANDS) and b"avif" not in brands


def budget_of(image: Image.Image) -> Budget:
    """The budget of ``image``'s kind (an MPO is a JPEG)."""
    if image.format in ("JPEG", "MPO"):
        return BUDGETS["JPEG progressive" if image.info.get("progressive") else "JPEG"]
    return BUDGETS[str(image.format)]


def _scaled_down(image: Image.Image) -> Image.Image:
    """At most MAX_SIDE a side, with as little work on the full-size picture as possible.

    A JPEG is decoded straight at the smallest of 1/2, 1/4 and 1/8 of its size that keeps
    MIN_SIDE (draft); any picture still twice MIN_SIDE is reduced by a whole factor (a box
    filter, several times cheaper than resampling), and only what remains above MAX_SIDE is
    resampled, from at most 2 × MIN_SIDE.
    """
    scale = MIN_SIDE / max(image.size)
    if scale < 1:
        image.draft(None, (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):  # palette, 16-bit, CMYK: resampled as RGB(A)
        image.load()
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    factor = max(image.size) // MIN_SIDE
    if factor > 1:
        image = image.reduce(factor)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BILINEAR, reducing_gap=None)
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels only; transparency goes onto white."""
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


class PhotoStore:
    """Files under a directory outside ``static/``, named by 128 random bits."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def save(self, photo: CleanPhoto) -> str:
        """Write ``photo`` atomically and return its new random name."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{secrets.token_hex(16)}.jpg"
        temporary = self.directory / f".{name}.part"
        with open(temporary, "wb") as handle:
            handle.write(photo.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, self.directory / name)
        return name

    def path(self, name: str) -> Path:
        """The file of ``name``; refuses anything that is not one of our names."""
        if not _NAME.match(name):
            raise FileNotFoundError(name)
        return self.directory / name

    def exists(self, name: str) -> bool:
        try:
            return self.path(name).is_file()
        except FileNotFoundError:
            return False

    def delete(self, name: str) -> None:
        try:
            self.path(name).unlink(missing_ok=True)
        except FileNotFoundError:
            pass
