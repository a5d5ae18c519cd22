"""Photos are decoded, re-encoded without metadata, and refused when they are not photos."""
from __future__ import annotations

import io
import re
import zlib
import struct

import pytest
from PIL import Image

from portal.reports.photos import MAX_BYTES, PhotoError, PhotoStore, reencode
from tests.reports.helpers import database_is_free, jpeg_with_gps, post_report


def png(size: tuple[int, int], mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (0, 128, 0, 128) if mode == "RGBA" else 0).save(out, format="PNG")
    return out.getvalue()


def test_exif_and_gps_are_removed() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get(0x010F) == "PhoneMaker"
    clean = reencode(io.BytesIO(original))
    with Image.open(io.BytesIO(clean.data)) as after:
        assert after.format == "JPEG"
        assert len(after.getexif()) == 0
        assert "exif" not in after.info and "comment" not in after.info
        assert after.size == (64, 48)
    assert b"PhoneMaker" not in clean.data and b"secret comment" not in clean.data


def test_transparent_png_is_flattened_to_jpeg() -> None:
    clean = reencode(io.BytesIO(png((30, 20))))
    with Image.open(io.BytesIO(clean.data)) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (30, 20))


def test_webp_is_accepted() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="WEBP")
    assert reencode(io.BytesIO(out.getvalue())).width == 10


def test_large_pictures_are_scaled_down() -> None:
    out = io.BytesIO()
    Image.new("RGB", (4000, 1000)).save(out, format="JPEG")
    clean = reencode(io.BytesIO(out.getvalue()))
    assert (clean.width, clean.height) == (2048, 512)


@pytest.mark.parametrize(("data", "code"), [
    (b"", "not_image"),
    (b"%PDF-1.4 not an image", "not_image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_image"),
    (jpeg_with_gps()[:200], "not_image"),  # truncated
])
def test_not_images_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(data))
    assert raised.value.code == code


def test_gif_is_refused_even_when_named_jpg() -> None:
    out = io.BytesIO()
    Image.new("P", (5, 5)).save(out, format="GIF")
    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(out.getvalue()))
    assert raised.value.code == "unsupported"


def test_too_large_is_refused_before_decoding() -> None:
    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(b"\xff" * (MAX_BYTES + 1)))
    assert raised.value.code == "too_large"


def test_decompression_bomb_is_refused() -> None:
    """A tiny PNG header announcing 10,000 × 10,000 pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 10000, 10000, 8, 0, 0, 0, 0)
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))
    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(bomb))
    assert raised.value.code == "too_many_pixels"


def test_store_uses_random_names_and_refuses_paths(tmp_path) -> None:
    store = PhotoStore(tmp_path / "uploads")
    clean = reencode(io.BytesIO(jpeg_with_gps()))
    first, second = store.save(clean), store.save(clean)
    assert first != second and len(first) == 36 and first.endswith(".jpg")
    assert store.path(first).read_bytes() == clean.data
    for bad in ("../secret_key", "/etc/passwd", "x.jpg", first.replace(".jpg", ".png")):
        with pytest.raises(FileNotFoundError):
            store.path(bad)


def test_clean_uploads_removes_only_old_unclaimed_files(app) -> None:
    import os
    import time

    from portal.reports.uploads import store

    with app.app_context():
        photos = store()
        clean = reencode(io.BytesIO(jpeg_with_gps()))
        claimed, orphan, fresh = photos.save(clean), photos.save(clean), photos.save(clean)
        old = time.time() - 2 * 24 * 3600
        for name in (claimed, orphan):
            os.utime(photos.path(name), (old, old))
    response = post_report(app.test_client(), kept_photos=claimed)
    assert response.status_code == 303
    result = app.test_cli_runner().invoke(args=["portal", "clean-uploads"])
    assert "Removed 1 unclaimed photo(s)." in result.output
    with app.app_context():
        assert photos.exists(claimed) and photos.exists(fresh) and not photos.exists(orphan)


def test_photos_are_reencoded_without_holding_the_database(app, client, monkeypatch) -> None:
    """Re-encoding a phone photo takes about half a second: no other request may wait for it."""
    from portal.reports import uploads
    from tests.conftest import csrf_token

    seen: list[bool] = []

    def watched(stream):
        seen.append(database_is_free())
        return reencode(stream)

    monkeypatch.setattr(uploads, "reencode", watched)
    response = post_report(client, photos=(io.BytesIO(jpeg_with_gps()), "a.jpg"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="http://[^/"]+(/fr/track/[^"]+)"', page).group(1)
    reference = response.headers["Location"].rsplit("/", 1)[1]
    page = client.get(link, follow_redirects=True).get_data(as_text=True)
    response = client.post(f"/fr/track/report/{reference}", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(page), "text": "Encore une photo",
                                 "photos": (io.BytesIO(jpeg_with_gps()), "b.jpg")})
    assert response.status_code == 303
    assert seen == [True, True]
    with app.app_context():
        from sqlalchemy import select

        from portal.extensions import db
        from portal.reports.models import Report

        report = db.session.scalar(select(Report).where(Report.reference == reference))
        assert len(report.photos) == 2
