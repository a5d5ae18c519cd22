"""Photos are decoded, re-encoded without metadata, and refused when they are not photos."""
from __future__ import annotations

import io
import re
import struct
import zlib

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


@pytest.mark.parametrize(("fmt", "size", "scaled"), [
    ("JPEG", (4000, 1000), (2000, 500)),   # decoded at 1/2 by libjpeg: no resampling
    ("JPEG", (3000, 1000), (2048, 683)),   # 1/2 would be under MIN_SIDE: decoded whole
    ("PNG", (4000, 1000), (2000, 500)),    # halved by a box filter
    ("PNG", (2500, 1000), (2048, 819)),
    ("WEBP", (1000, 1800), (1000, 1800)),  # small enough already
])
def test_large_pictures_are_scaled_down(fmt: str, size: tuple[int, int],
                                        scaled: tuple[int, int]) -> None:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=fmt)
    clean = reencode(io.BytesIO(out.getvalue()))
    assert (clean.width, clean.height) == scaled
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.format == "JPEG" and image.getpixel((5, 5)) == pytest.approx((10, 120, 200), abs=3)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def test_a_jpeg_with_a_multi_picture_segment_keeps_its_first_picture() -> None:
    """Phones add a depth map or an Ultra HDR gain map as a second picture (Pillow's "MPO")."""
    photo = Image.new("RGB", (64, 48), (200, 30, 30))
    data = encoded(photo, "MPO", save_all=True, append_images=[Image.new("RGB", (16, 12), (0, 0, 255))])
    with Image.open(io.BytesIO(data)) as before:
        assert before.format == "MPO" and before.n_frames == 2
    clean = reencode(io.BytesIO(data))
    assert (clean.width, clean.height) == (64, 48)
    with Image.open(io.BytesIO(clean.data)) as after:
        assert after.format == "JPEG" and after.getpixel((10, 10)) == pytest.approx((200, 30, 30), abs=3)


#: The start of an iPhone's HEIC file: an ISO-BMFF "ftyp" box with HEVC brands.
HEIC = (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
        + b"\x00\x00\x01\x00meta" + b"\x00" * 300)


def test_heic_has_its_own_code_and_message(app) -> None:
    from portal.reports.uploads import photo_error_message

    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(HEIC))
    assert raised.value.code == "heic"
    avif = HEIC.replace(b"ftypheic", b"ftypavif").replace(b"mif1heic", b"mif1avif")
    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(avif))
    assert raised.value.code != "heic"
    with app.test_request_context("/fr/"):
        from portal import i18n

        for lang, words in (("fr", "Photothèque"), ("nl", "Fotobibliotheek"), ("en", "Photo Library")):
            i18n.set_language(lang)
            message = photo_error_message(raised.value.__class__("heic"))
            assert "HEIC" in message and words in message


def test_the_file_inputs_ask_phones_for_formats_the_portal_reads(client) -> None:
    """An iPhone converts a HEIC photo to JPEG when the input does not accept HEIC."""
    page = client.get("/fr/report/new/vandalism").get_data(as_text=True)
    inputs = re.findall(r'<input[^>]*type="file"[^>]*>', page)
    assert len(inputs) == 1
    assert 'accept="image/jpeg,image/png,image/webp"' in inputs[0]
    assert "heic" not in inputs[0].lower() and "image/*" not in inputs[0]


@pytest.mark.parametrize(("fmt", "size", "options"), [
    ("PNG", (6300, 6300), {}),                        # the issue's: 40 MP in 115 KB
    ("PNG", (4000, 2001), {}),
    ("WEBP", (2400, 1800), {"lossless": True}),
    ("JPEG", (4000, 2001), {"progressive": True}),  # whole coefficients in memory
    ("JPEG", (8200, 6200), {}),
])
def test_pictures_over_their_budget_are_refused_before_decoding(monkeypatch, fmt, size, options) -> None:
    from PIL import ImageFile

    data = encoded(Image.new("RGB", size), fmt, **options)
    decoded: list[tuple[int, int]] = []
    monkeypatch.setattr(ImageFile.ImageFile, "load",
                        lambda image: decoded.append(image.size))  # type: ignore[func-returns-value]
    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(data))
    assert raised.value.code == "too_many_pixels"
    assert decoded == []


@pytest.mark.parametrize(("fmt", "options"), [
    ("WEBP", {"lossless": True}),
    ("JPEG", {"progressive": True, "quality": 95, "subsampling": 0}),
])
def test_a_webp_or_a_progressive_jpeg_over_its_bytes_is_refused(fmt, options) -> None:
    """Their decoding time grows with their bytes: each has a smaller byte budget."""
    from portal.reports.photos import BUDGETS

    noise = Image.merge("RGB", [Image.effect_noise((2000, 1500), 50) for _ in "RGB"])
    data = encoded(noise, fmt, **options)
    budget = BUDGETS["WEBP" if fmt == "WEBP" else "JPEG progressive"]
    assert budget.bytes < len(data) <= MAX_BYTES and 2000 * 1500 < budget.pixels
    with pytest.raises(PhotoError) as raised:
        reencode(io.BytesIO(data))
    assert raised.value.code == "too_many_pixels"


@pytest.mark.parametrize(("size", "decoded_at"), [
    ((8000, 6000), (2000, 1500)),  # 48 MP: decoded at 1/4, 12 MB instead of 192 MB
    ((6000, 4000), (3000, 2000)),  # 24 MP: at 1/2
])
def test_a_large_jpeg_is_decoded_at_reduced_size(monkeypatch, size, decoded_at) -> None:
    from PIL import ImageFile

    load = ImageFile.ImageFile.load
    decoded: list[tuple[int, int]] = []

    def watched(image):  # type: ignore[no-untyped-def]
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched)
    clean = reencode(io.BytesIO(encoded(Image.new("RGB", size, (0, 90, 0)), "JPEG")))
    assert decoded[0] == decoded_at
    assert 1600 <= max(clean.width, clean.height) <= 2048


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

    from sqlalchemy import select

    from portal.extensions import db
    from portal.reports.models import ReportPhoto
    from portal.reports.uploads import store

    response = post_report(app.test_client(), photos=(io.BytesIO(jpeg_with_gps()), "a.jpg"))
    assert response.status_code == 303
    with app.app_context():
        photos = store()
        claimed = db.session.scalar(select(ReportPhoto.filename))
        clean = reencode(io.BytesIO(jpeg_with_gps()))
        orphan, fresh = photos.save(clean), photos.save(clean)
        old = time.time() - 2 * 24 * 3600
        for name in (claimed, orphan):
            os.utime(photos.path(name), (old, old))
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
