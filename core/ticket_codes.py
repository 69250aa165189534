"""Signed ticket codes that a door scanner checks offline, and rotating tokens that make screenshots stale.

A code is ``PK1.`` followed by unpadded base64url of a packed claim and its Ed25519 signature. Only the
bot holds the private key; a scanner needs nothing but the public key to tell a real ticket from a forgery.
Revocation is not the code's job: the server compares the claim's secret and version with the ticket row.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import DomainError

PREFIX = "PK1."
FORMAT_VERSION = 1
SECRET_BYTES = 8
SIGNATURE_BYTES = 64
ROTATING_DIGITS = 8

# Ids are at most 63 bits, so a varint is never longer than nine bytes; longer ones are junk, not tickets.
_MAX_ID = 2**63 - 1
_MAX_VARINT_BYTES = 9
_SHORTEST_PAYLOAD = 1 + 3 + SECRET_BYTES  # format byte, three one-byte varints, the secret
_ROTATING_INFO = b"picket rotating ticket token v1"


class InvalidTicketCode(DomainError):
    key = "error.invalid_ticket_code"


@dataclass(frozen=True)
class TicketClaim:
    ticket_id: int
    event_id: int
    secret: str
    version: int


class TicketCodes:
    """Issues and checks ticket codes with one Ed25519 key pair."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._public_key = private_key.public_key()
        # A separate key for the rotating tokens, so an HMAC never reuses the signing key as is.
        self._rotating_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_ROTATING_INFO
        ).derive(self.private_bytes())

    @classmethod
    def generate(cls) -> TicketCodes:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> TicketCodes:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def public_bytes(self) -> bytes:
        return self._public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def issue(self, ticket_id: int, event_id: int, secret: str, version: int) -> str:
        payload = _pack(ticket_id, event_id, secret, version)
        signature = self._private_key.sign(_signed_message(payload))
        return PREFIX + base64.urlsafe_b64encode(payload + signature).rstrip(b"=").decode("ascii")

    def verify(self, code: str) -> TicketClaim:
        return _verify(self._public_key, code)

    @staticmethod
    def verify_with_public_key(public_bytes: bytes, code: str) -> TicketClaim:
        return _verify(Ed25519PublicKey.from_public_bytes(public_bytes), code)

    def rotating(self, code: str, holder_id: int, at: datetime, step_seconds: int = 30) -> str:
        return self._token(code, holder_id, _time_step(at, step_seconds))

    def check_rotating(
        self, code: str, holder_id: int, token: str, at: datetime, window: int = 1, step_seconds: int = 30
    ) -> bool:
        """True if ``token`` was made for this code and holder within ``window`` steps of ``at``."""
        if window < 0:
            raise ValueError("window must not be negative")
        step = _time_step(at, step_seconds)
        if len(token) != ROTATING_DIGITS or not (token.isascii() and token.isdigit()):
            return False
        matches = [
            hmac.compare_digest(self._token(code, holder_id, step + offset), token)
            for offset in range(-window, window + 1)
        ]
        return any(matches)

    def _token(self, code: str, holder_id: int, step: int) -> str:
        if not 0 <= holder_id < 2**64:
            raise ValueError("holder_id must fit in 64 bits")
        # Fixed-width fields first, so no code can be crafted to collide with another holder or step.
        message = holder_id.to_bytes(8, "big") + step.to_bytes(8, "big", signed=True) + code.encode("utf-8")
        digest = hmac.new(self._rotating_key, message, hashlib.sha256).digest()
        # Dynamic truncation as in HOTP (RFC 4226), so the token reads like any authenticator code.
        offset = digest[-1] & 0x0F
        number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
        return str(number % 10**ROTATING_DIGITS).zfill(ROTATING_DIGITS)


def _signed_message(payload: bytes) -> bytes:
    # The prefix is signed too, so a payload can never be replayed under some future format.
    return PREFIX.encode("ascii") + payload


def _pack(ticket_id: int, event_id: int, secret: str, version: int) -> bytes:
    for name, value in (("ticket_id", ticket_id), ("event_id", event_id), ("version", version)):
        if not 0 <= value <= _MAX_ID:
            raise ValueError(f"{name} must be between 0 and {_MAX_ID}")
    if len(secret) != 2 * SECRET_BYTES or not all(c in string.hexdigits for c in secret):
        raise ValueError(f"secret must be {2 * SECRET_BYTES} hex digits")
    secret_bytes = bytes.fromhex(secret)
    varints = b"".join(_varint(value) for value in (ticket_id, event_id, version))
    return bytes([FORMAT_VERSION]) + varints + secret_bytes


def _verify(public_key: Ed25519PublicKey, code: str) -> TicketClaim:
    raw = _decode(code)
    payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    if len(payload) < _SHORTEST_PAYLOAD:
        raise InvalidTicketCode(reason="truncated")
    try:
        public_key.verify(signature, _signed_message(payload))
    except InvalidSignature:
        raise InvalidTicketCode(reason="signature") from None
    return _unpack(payload)


def _decode(code: str) -> bytes:
    if not code.startswith(PREFIX):
        raise InvalidTicketCode(reason="prefix")
    body = code[len(PREFIX) :]
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidTicketCode(reason="encoding") from None
    # base64 leaves spare bits in the last character; re-encoding rejects a code that differs only there.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != body:
        raise InvalidTicketCode(reason="encoding")
    return raw


def _unpack(payload: bytes) -> TicketClaim:
    if payload[0] != FORMAT_VERSION:
        raise InvalidTicketCode(reason="format")
    position = 1
    values: list[int] = []
    for _ in range(3):
        value, position = _read_varint(payload, position)
        values.append(value)
    secret = payload[position:]
    if len(secret) != SECRET_BYTES:
        raise InvalidTicketCode(reason="length")
    ticket_id, event_id, version = values
    return TicketClaim(ticket_id=ticket_id, event_id=event_id, secret=secret.hex(), version=version)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    value = 0
    for index in range(_MAX_VARINT_BYTES):
        if position + index >= len(data):
            raise InvalidTicketCode(reason="truncated")
        byte = data[position + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, position + index + 1
    raise InvalidTicketCode(reason="varint")


def _time_step(at: datetime, step_seconds: int) -> int:
    if step_seconds <= 0:
        raise ValueError("step_seconds must be positive")
    # Picket passes naive datetimes that mean UTC; an aware one is honoured as given.
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return int(moment.timestamp()) // step_seconds
