"""Signed ticket codes that a door scanner checks offline, and rotating codes that make screenshots stale.

A static code is ``PK2.`` followed by unpadded base64url of a packed claim (the signing key's id, the
ticket, its event and its version) and the claim's Ed25519 signature: 99 characters for realistic ids.
Several keys may verify at once while one signs, so keys can be rotated; a scanner needs nothing but the
public keys. Revocation is not the code's job: cancelling, refunding or passing a ticket on moves its
version, and the door compares the claim's version with the ticket row (offline scanners with the
revocation list).

A rotating code is ``PR2.<ticket>.<8 digits>``: a TOTP (RFC 6238, 30-second steps) whose key is derived
from the deployment's secret, the ticket's own secret and its holder, so it is worthless once the
ticket moves on, and a screenshot of it is stale within a minute.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from core.errors import DomainError

PREFIX = "PK2."
ROTATING_PREFIX = "PR2."
SIGNATURE_BYTES = 64
ROTATING_DIGITS = 8
ROTATING_STEP = 30
SECRET_BYTES = 8

# Ids are at most 63 bits, so a varint is never longer than nine bytes; longer ones are junk, not tickets.
_MAX_ID = 2**63 - 1
_MAX_VARINT_BYTES = 9
_SHORTEST_PAYLOAD = 1 + 3  # key id, three one-byte varints
_ROTATING_INFO = b"picket rotating ticket token v2"
_MAX_ROTATING_LENGTH = len(ROTATING_PREFIX) + 19 + 1 + ROTATING_DIGITS


class InvalidTicketCode(DomainError):
    key = "error.invalid_ticket_code"


@dataclass(frozen=True)
class TicketClaim:
    ticket_id: int
    event_id: int
    version: int
    key_id: int


def key_id(public_bytes: bytes) -> int:
    """A key's one-byte name in its codes: the first byte of the hash of its public key."""
    return hashlib.sha256(public_bytes).digest()[0]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class TicketCodes:
    """Issues codes with one Ed25519 key and verifies them with that one and any others still valid."""

    def __init__(self, private_key: Ed25519PrivateKey, also_valid: Sequence[bytes] = ()) -> None:
        self._private_key = private_key
        own = _raw_public(private_key.public_key())
        self.key_id = key_id(own)
        self._keys: dict[int, Ed25519PublicKey] = {}
        for raw in (own, *also_valid):
            kid = key_id(raw)
            if kid in self._keys and _raw_public(self._keys[kid]) != raw:
                raise ValueError("two verification keys share a key id; generate another key")
            self._keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
        # A separate key for the rotating codes, so an HMAC never reuses the signing key as is.
        self._rotating_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_ROTATING_INFO
        ).derive(self.private_bytes())

    @classmethod
    def generate(cls) -> TicketCodes:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes, also_valid: Sequence[bytes] = ()) -> TicketCodes:
        return cls(Ed25519PrivateKey.from_private_bytes(raw), also_valid)

    def private_bytes(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def public_bytes(self) -> bytes:
        """The signing key's public half."""
        return _raw_public(self._keys[self.key_id])

    def public_keys(self) -> dict[int, bytes]:
        """Every key a code may be signed with, by key id: what a scanner needs."""
        return {kid: _raw_public(key) for kid, key in sorted(self._keys.items())}

    def issue(self, ticket_id: int, event_id: int, version: int) -> str:
        payload = _pack(self.key_id, ticket_id, event_id, version)
        signature = self._private_key.sign(_signed_message(payload))
        return PREFIX + base64.urlsafe_b64encode(payload + signature).rstrip(b"=").decode("ascii")

    def verify(self, code: str) -> TicketClaim:
        return verify_with_public_keys(self.public_keys(), code)

    def rotating(self, ticket_id: int, secret: str, holder_id: int, at: datetime) -> str:
        token = self._totp(ticket_id, secret, holder_id).generate(_seconds(at)).decode("ascii")
        return f"{ROTATING_PREFIX}{ticket_id}.{token}"

    def check_rotating(
        self, ticket_id: int, secret: str, holder_id: int, token: str, at: datetime, window: int = 1
    ) -> bool:
        """True if ``token`` was made for this ticket, secret and holder within ``window`` steps of ``at``."""
        if window < 0:
            raise ValueError("window must not be negative")
        if len(token) != ROTATING_DIGITS or not (token.isascii() and token.isdigit()):
            return False
        totp, moment = self._totp(ticket_id, secret, holder_id), _seconds(at)
        for offset in range(-window, window + 1):
            try:
                totp.verify(token.encode("ascii"), moment + offset * ROTATING_STEP)
            except InvalidToken:
                continue
            return True
        return False

    def staff_token(self, event_id: int, user_id: int) -> str:
        """What a member of an event's door staff types into the scanner page: it names them and the
        event, and only this deployment can make one."""
        return f"{event_id}.{user_id}.{self._staff_mac(event_id, user_id)}"

    def staff_of(self, token: str) -> tuple[int, int]:
        """The event and staff member a token was made for; InvalidTicketCode for anything else."""
        parts = token.strip().split(".")
        if len(parts) != 3 or not all(p.isascii() and p.isdigit() and 0 < len(p) <= 19 for p in parts[:2]):
            raise InvalidTicketCode(reason="staff_token")
        event_id, user_id = int(parts[0]), int(parts[1])
        if event_id > _MAX_ID or user_id > _MAX_ID:
            raise InvalidTicketCode(reason="staff_token")
        if not hmac.compare_digest(self._staff_mac(event_id, user_id), parts[2]):
            raise InvalidTicketCode(reason="staff_token")
        return event_id, user_id

    def _staff_mac(self, event_id: int, user_id: int) -> str:
        message = b"staff" + event_id.to_bytes(8, "big") + user_id.to_bytes(8, "big")
        digest = hmac.new(self._rotating_key, message, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def _totp(self, ticket_id: int, secret: str, holder_id: int) -> TOTP:
        if not 0 <= holder_id < 2**64 or not 0 <= ticket_id <= _MAX_ID:
            raise ValueError("ids must fit in 64 bits")
        # Fixed-width fields first, so no ticket can be crafted to collide with another holder's.
        message = ticket_id.to_bytes(8, "big") + holder_id.to_bytes(8, "big") + _secret_bytes(secret)
        key = hmac.new(self._rotating_key, message, hashlib.sha256).digest()
        return TOTP(key, ROTATING_DIGITS, hashes.SHA256(), ROTATING_STEP, enforce_key_length=False)


def verify_with_public_keys(keys: Mapping[int, bytes], code: str) -> TicketClaim:
    """What a scanner does offline with the public keys alone."""
    raw = _decode(code)
    payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    if len(payload) < _SHORTEST_PAYLOAD:
        raise InvalidTicketCode(reason="truncated")
    public = keys.get(payload[0])
    if public is None:
        raise InvalidTicketCode(reason="key")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, _signed_message(payload))
    except InvalidSignature:
        raise InvalidTicketCode(reason="signature") from None
    return _unpack(payload)


def read_rotating(code: str) -> tuple[int, str]:
    """The ticket and token of a rotating code; checking the token needs the ticket's row."""
    if not code.startswith(ROTATING_PREFIX) or len(code) > _MAX_ROTATING_LENGTH:
        raise InvalidTicketCode(reason="prefix")
    ticket, _, token = code[len(ROTATING_PREFIX) :].partition(".")
    if not (ticket.isascii() and ticket.isdigit() and 0 < len(ticket) <= 19 and int(ticket) <= _MAX_ID):
        raise InvalidTicketCode(reason="encoding")
    if len(token) != ROTATING_DIGITS or not (token.isascii() and token.isdigit()):
        raise InvalidTicketCode(reason="encoding")
    return int(ticket), token


def _secret_bytes(secret: str) -> bytes:
    if len(secret) != 2 * SECRET_BYTES or not all(c in string.hexdigits for c in secret):
        raise ValueError(f"secret must be {2 * SECRET_BYTES} hex digits")
    return bytes.fromhex(secret)


def _signed_message(payload: bytes) -> bytes:
    # The prefix is signed too, so a payload can never be replayed under some future format.
    return PREFIX.encode("ascii") + payload


def _pack(kid: int, ticket_id: int, event_id: int, version: int) -> bytes:
    for name, value in (("ticket_id", ticket_id), ("event_id", event_id), ("version", version)):
        if not 0 <= value <= _MAX_ID:
            raise ValueError(f"{name} must be between 0 and {_MAX_ID}")
    return bytes([kid]) + b"".join(_varint(value) for value in (ticket_id, event_id, version))


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
    position = 1
    values: list[int] = []
    for _ in range(3):
        value, position = _read_varint(payload, position)
        values.append(value)
    if position != len(payload):
        raise InvalidTicketCode(reason="length")
    ticket_id, event_id, version = values
    return TicketClaim(ticket_id=ticket_id, event_id=event_id, version=version, key_id=payload[0])


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
            if value > _MAX_ID:
                raise InvalidTicketCode(reason="varint")
            return value, position + index + 1
    raise InvalidTicketCode(reason="varint")


def _seconds(at: datetime) -> int:
    # Picket passes naive datetimes that mean UTC; an aware one is honoured as given.
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return int(moment.timestamp())
