"""The QR code of an authenticator key, drawn on the server as SVG (no script, no outside service)."""
from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def svg_data_uri(text: str) -> str:
    """``text`` (an ``otpauth://`` URI) as a QR code in a ``data:`` URI for an ``<img>``, so that
    it carries an alt text and scales with CSS like any picture."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=4)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")
