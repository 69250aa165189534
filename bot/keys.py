"""The Ed25519 key that signs ticket codes: from TICKET_SIGNING_KEY, or a file made once in DATA_DIR."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from bot.settings import Settings
from core.errors import Misconfigured
from core.ticket_codes import TicketCodes

log = logging.getLogger(__name__)
KEY_FILE = "ticket-signing.key"
PUBLIC_KEY_BYTES = 32


def ticket_codes(settings: Settings) -> TicketCodes:
    also_valid = _verify_keys(settings.ticket_verify_keys)
    if settings.ticket_signing_key is not None:
        raw = base64.b64decode(settings.ticket_signing_key.get_secret_value())
        return TicketCodes.from_private_bytes(raw, also_valid)
    path = settings.data_dir / KEY_FILE
    if path.exists():
        return TicketCodes.from_private_bytes(path.read_bytes(), also_valid)
    codes = TicketCodes.generate()
    _write_private(path, codes.private_bytes())
    log.info("created a new ticket signing key in %s; back it up with the database", path)
    return TicketCodes.from_private_bytes(codes.private_bytes(), also_valid)


def _verify_keys(listed: str) -> list[bytes]:
    keys = []
    for text in filter(None, (part.strip() for part in listed.split(","))):
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            raise Misconfigured(f"TICKET_VERIFY_KEYS holds {text[:12]}…, which is not base64") from None
        if len(raw) != PUBLIC_KEY_BYTES:
            raise Misconfigured(f"TICKET_VERIFY_KEYS holds {text[:12]}…, which is not an Ed25519 public key")
        keys.append(raw)
    return keys


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
