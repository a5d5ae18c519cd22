"""Photos sent by residents: checked by content, re-encoded, stripped, stored out of reach.

The original bytes are never written anywhere: Pillow decodes them, and only the re-encoded
pixels are stored, so EXIF (with the GPS position of the phone), XMP, ICC and comments are gone.
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
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 3
#: Larger pictures are scaled down: enough for staff to see the facts, light on storage.
MAX_SIDE = 2048
#: Pillow's decompression-bomb guard: a small file that would unpack into a huge bitmap is refused.
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


class PhotoError(ValueError):
    """The upload is not a photo the portal can accept; ``code`` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "too_large", "not_image", "unsupported", "too_many_pixels"


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def reencode(stream: IO[bytes]) -> CleanPhoto:
    """Decode an uploaded image and return it as a fresh JPEG without any metadata."""
    raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise PhotoError("too_large")
    if not raw:
        raise PhotoError("not_image")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise PhotoError("unsupported")
                image.load()
                # Turn the picture the way the phone meant it before the orientation tag goes.
                upright = ImageOps.exif_transpose(image) or image
                pixels = _flatten(upright)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError("too_many_pixels") from None
        except PhotoError:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise PhotoError("not_image") from None
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A fresh image object carries no info dict: nothing but pixels is written.
    pixels.save(out, format="JPEG", quality=85, optimize=True)
    return CleanPhoto(out.getvalue(), pixels.width, pixels.height)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels only; transparency goes onto white, palette and 16-bit modes are converted."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
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
