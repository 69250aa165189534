"""The Ed25519 key that signs ticket codes: from TICKET_SIGNING_KEY, or a file made once in DATA_DIR."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from bot.settings import Settings
from core.ticket_codes import TicketCodes

log = logging.getLogger(__name__)
KEY_FILE = "ticket-signing.key"


def ticket_codes(settings: Settings) -> TicketCodes:
    if settings.ticket_signing_key is not None:
        raw = base64.b64decode(settings.ticket_signing_key.get_secret_value())
        return TicketCodes.from_private_bytes(raw)
    path = settings.data_dir / KEY_FILE
    if path.exists():
        return TicketCodes.from_private_bytes(path.read_bytes())
    codes = TicketCodes.generate()
    _write_private(path, codes.private_bytes())
    log.info("created a new ticket signing key in %s; back it up with the database", path)
    return codes


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
