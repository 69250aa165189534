"""The QR code a door scanner reads from a ticket."""

from __future__ import annotations

from io import BytesIO

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks scanners to expect


def qr_png(payload: str, box_size: int = 8) -> bytes:
    """A black-on-white PNG; level M survives a scuffed phone screen without making the code much denser."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=QUIET_ZONE)
    code.add_data(payload)
    code.make(fit=True)
    buffer = BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
