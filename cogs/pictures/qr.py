"""The QR code a door scanner reads from a ticket, drawn fast: a sale opening sends thousands.

The ``qrcode`` library lays out the modules; three of its costs are skipped. It tries all eight mask
patterns and keeps the one its penalty score likes best, which is most of its time: any mask is valid
and scanners read them all, so one fixed mask is used. It encodes the data twice to find the smallest
version that holds it: in byte mode that depends on the length alone, so it is found once per length.
And it paints each dark module as a rectangle: here the module grid becomes a one-pixel-per-module
image, scaled up once.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, QRData

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks scanners to expect
MASK = 2  # vertical stripes every third column: cheap to compute, and scanners take any of the eight
# A module is True when dark; as a greyscale pixel, dark is 0 and light 255.
_DARK_IS_BLACK = bytes([255, 0]) + bytes(254)


def _code(version: int | None) -> qrcode.QRCode:  # type: ignore[type-arg]
    return qrcode.QRCode(
        version=version, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, mask_pattern=MASK
    )


@lru_cache(maxsize=512)
def _version(length: int) -> int:
    probe = _code(None)
    probe.add_data(QRData(b"x" * length, mode=MODE_8BIT_BYTE))
    return int(probe.best_fit())


def qr_png(payload: str, box_size: int = 8) -> bytes:
    """A black-on-white PNG; level M survives a scuffed phone screen without making the code much denser."""
    data = payload.encode("utf-8")
    code = _code(_version(len(data)))
    code.add_data(QRData(data, mode=MODE_8BIT_BYTE))
    code.make(fit=False)
    matrix = code.get_matrix()
    size = len(matrix)
    grid = b"".join(bytes(row) for row in matrix).translate(_DARK_IS_BLACK)
    modules = Image.frombytes("L", (size, size), grid).convert("1", dither=Image.Dither.NONE)
    picture = modules.resize((size * box_size, size * box_size), Image.Resampling.NEAREST)
    buffer = BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()
