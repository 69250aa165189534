from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.errors import DomainError
from core.ticket_codes import PREFIX, InvalidTicketCode, TicketClaim, TicketCodes

# Fixed keys keep every token in this file the same on each run, so no assertion depends on luck.
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CODES = TicketCodes(KEY)
OTHER = TicketCodes.from_private_bytes(bytes(range(100, 132)))
SECRET = "0123456789abcdef"
T0 = datetime(2030, 5, 1, 12, 0, 0)
HOLDER = 123456789012345678
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def encode(raw: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(code: str) -> bytes:
    body = code[len(PREFIX) :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def signed(payload: bytes) -> str:
    """A code whose payload Picket never issues but whose signature is genuine."""
    signature = KEY.sign(PREFIX.encode("ascii") + payload)
    return encode(payload + signature)


def another_character(c: str) -> str:
    return "B" if c == "A" else "A"


@pytest.mark.parametrize(
    ("ticket_id", "event_id", "version"),
    [(0, 0, 0), (1, 1, 1), (5000, 300, 2), (10**7, 10**5, 200), (2**63 - 1, 2**63 - 1, 2**63 - 1)],
)
def test_a_code_verifies_to_the_claim_it_was_issued_for(ticket_id: int, event_id: int, version: int) -> None:
    code = CODES.issue(ticket_id, event_id, SECRET, version)

    assert CODES.verify(code) == TicketClaim(ticket_id, event_id, SECRET, version)
    assert TicketCodes.verify_with_public_key(CODES.public_bytes(), code) == CODES.verify(code)


def test_upper_case_secrets_come_back_in_the_lower_case_picket_stores() -> None:
    assert CODES.verify(CODES.issue(1, 1, SECRET.upper(), 1)).secret == SECRET


def test_codes_are_short_and_safe_in_a_url_or_a_qr() -> None:
    # Ed25519's 64-byte signature alone takes 86 base64 characters, so 100 is out of reach with the
    # 8 secret bytes on board; these are the measured lengths for realistic and generous ids.
    typical = CODES.issue(5000, 300, SECRET, 1)
    generous = CODES.issue(10**7, 10**5, SECRET, 100)

    assert len(CODES.issue(1, 1, SECRET, 1)) == 106
    assert len(typical) == 108
    assert len(generous) == 112
    assert re.fullmatch(r"PK1\.[A-Za-z0-9_-]+", generous)


def test_issuing_twice_gives_the_same_code() -> None:
    assert CODES.issue(42, 7, SECRET, 3) == CODES.issue(42, 7, SECRET, 3)


def test_a_key_survives_a_round_trip_through_its_raw_bytes() -> None:
    fresh = TicketCodes.generate()
    restored = TicketCodes.from_private_bytes(fresh.private_bytes())

    assert len(fresh.private_bytes()) == 32
    assert len(fresh.public_bytes()) == 32
    assert restored.public_bytes() == fresh.public_bytes()
    assert restored.verify(fresh.issue(9, 8, SECRET, 7)) == TicketClaim(9, 8, SECRET, 7)


def test_changing_any_single_character_is_caught() -> None:
    code = CODES.issue(5000, 300, SECRET, 2)
    tampered = [code[:i] + another_character(code[i]) + code[i + 1 :] for i in range(len(code))]

    accepted = []
    for index, candidate in enumerate(tampered):
        try:
            CODES.verify(candidate)
            accepted.append(index)
        except InvalidTicketCode:
            pass
    assert accepted == []


def test_the_spare_bits_of_the_last_character_cannot_be_changed() -> None:
    code = CODES.issue(1, 1, SECRET, 1)  # 76 bytes: the last character carries four spare bits
    variants = [code[:-1] + c for c in ALPHABET if c != code[-1]]

    # Some variants decode to the very same bytes; only the canonical form may pass.
    assert any(decode(v) == decode(code) for v in variants)
    for variant in variants:
        with pytest.raises(InvalidTicketCode):
            CODES.verify(variant)


# Offsets into the decoded bytes of CODES.issue(5000, 300, SECRET, 2): format byte, two-byte varint
# ticket id, two-byte varint event id, one-byte version, eight secret bytes, then the signature.
@pytest.mark.parametrize(
    ("part", "offset"),
    [
        ("format", 0),
        ("ticket_id", 1),
        ("event_id", 3),
        ("version", 5),
        ("secret", 6),
        ("secret", 13),
        ("signature", 14),
        ("signature", 50),
        ("signature", 77),
    ],
)
def test_flipping_a_bit_in_any_part_is_caught(part: str, offset: int) -> None:
    raw = bytearray(decode(CODES.issue(5000, 300, SECRET, 2)))
    assert len(raw) == 78
    raw[offset] ^= 0x01

    with pytest.raises(InvalidTicketCode):
        CODES.verify(encode(bytes(raw)))


@pytest.mark.parametrize(
    "code",
    [
        "",
        "PK1.",
        "PK1",
        "hello",
        "PK1.AAAA",
        "PK1.!!!!",
        "PK1.ÄÖÜ",
        "PK1." + "A" * 5000,
    ],
)
def test_malformed_codes_are_rejected(code: str) -> None:
    with pytest.raises(InvalidTicketCode):
        CODES.verify(code)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda code: code[:-1],
        lambda code: code[:-4],
        lambda code: code[:40],
        lambda code: code + "A",
        lambda code: code + "AAAA",
        lambda code: code + "=",
        lambda code: code + "\n",
        lambda code: " " + code,
        lambda code: code.replace(PREFIX, "PK2."),
        lambda code: code[len(PREFIX) :],
        lambda code: code[:10] + "+" + code[11:],
        lambda code: code[:10] + "/" + code[11:],
        lambda code: code[:20] + " " + code[20:],
    ],
)
def test_truncated_or_padded_codes_are_rejected(mangle: Callable[[str], str]) -> None:
    code = CODES.issue(5000, 300, SECRET, 2)
    broken = mangle(code)
    assert broken != code

    with pytest.raises(InvalidTicketCode):
        CODES.verify(broken)


def test_a_code_signed_by_another_key_is_rejected() -> None:
    code = OTHER.issue(1, 1, SECRET, 1)

    with pytest.raises(InvalidTicketCode):
        CODES.verify(code)
    with pytest.raises(InvalidTicketCode):
        TicketCodes.verify_with_public_key(CODES.public_bytes(), code)
    assert TicketCodes.verify_with_public_key(OTHER.public_bytes(), code).ticket_id == 1


def test_a_genuinely_signed_payload_in_an_unknown_format_is_rejected() -> None:
    good = decode(CODES.issue(1, 1, SECRET, 1))[:-64]

    for payload in (bytes([2]) + good[1:], good + b"\x00", good[:-1]):
        with pytest.raises(InvalidTicketCode):
            CODES.verify(signed(payload))
    assert CODES.verify(signed(good)).ticket_id == 1


def test_an_invalid_code_is_a_domain_error_with_a_message_key() -> None:
    with pytest.raises(DomainError) as caught:
        CODES.verify("nonsense")

    assert isinstance(caught.value, InvalidTicketCode)
    assert caught.value.key == "error.invalid_ticket_code"


@pytest.mark.parametrize(
    ("ticket_id", "event_id", "secret", "version"),
    [
        (-1, 1, SECRET, 1),
        (1, -1, SECRET, 1),
        (1, 1, SECRET, -1),
        (2**63, 1, SECRET, 1),
        (1, 1, SECRET[:-1], 1),
        (1, 1, SECRET + "0", 1),
        (1, 1, "0123456789abcdeg", 1),
        (1, 1, "01234567 9abcdef", 1),
    ],
)
def test_issue_refuses_values_it_cannot_encode(
    ticket_id: int, event_id: int, secret: str, version: int
) -> None:
    with pytest.raises(ValueError):
        CODES.issue(ticket_id, event_id, secret, version)


# Rotating tokens.

CODE = CODES.issue(5000, 300, SECRET, 2)


def test_a_rotating_token_is_eight_digits() -> None:
    assert re.fullmatch(r"\d{8}", CODES.rotating(CODE, HOLDER, T0))


def test_a_rotating_token_holds_within_a_step_and_changes_with_the_next() -> None:
    tokens = [CODES.rotating(CODE, HOLDER, T0 + timedelta(seconds=30 * n)) for n in range(20)]

    assert CODES.rotating(CODE, HOLDER, T0 + timedelta(seconds=29)) == tokens[0]
    assert len(set(tokens)) == 20


def test_a_longer_step_keeps_the_token_longer() -> None:
    assert CODES.rotating(CODE, HOLDER, T0, step_seconds=60) == CODES.rotating(
        CODE, HOLDER, T0 + timedelta(seconds=59), step_seconds=60
    )
    assert CODES.rotating(CODE, HOLDER, T0, step_seconds=60) != CODES.rotating(
        CODE, HOLDER, T0 + timedelta(seconds=60), step_seconds=60
    )


@pytest.mark.parametrize(
    ("shown_seconds_ago", "window", "accepted"),
    [
        (0, 0, True),
        (30, 0, False),
        (-30, 1, True),
        (30, 1, True),
        (59, 1, True),
        (60, 1, False),
        (-60, 1, False),
        (90, 2, False),
        (60, 2, True),
        (3600, 1, False),
    ],
)
def test_a_token_is_accepted_only_within_the_window(
    shown_seconds_ago: int, window: int, accepted: bool
) -> None:
    token = CODES.rotating(CODE, HOLDER, T0)
    scanned_at = T0 + timedelta(seconds=shown_seconds_ago)

    assert CODES.check_rotating(CODE, HOLDER, token, scanned_at, window=window) is accepted


def test_a_token_is_bound_to_holder_code_and_key() -> None:
    token = CODES.rotating(CODE, HOLDER, T0)

    assert CODES.check_rotating(CODE, HOLDER, token, T0)
    assert not CODES.check_rotating(CODE, HOLDER + 1, token, T0)
    assert not CODES.check_rotating(CODES.issue(5000, 300, SECRET, 3), HOLDER, token, T0)
    assert not OTHER.check_rotating(CODE, HOLDER, token, T0)


@pytest.mark.parametrize("token", ["", "1234567", "123456789", "abcdefgh", "１２３４５６７８", "1234567é"])
def test_malformed_tokens_are_refused_without_raising(token: str) -> None:
    assert CODES.check_rotating(CODE, HOLDER, token, T0) is False


def test_naive_times_mean_utc() -> None:
    seoul = timezone(timedelta(hours=9))

    assert CODES.rotating(CODE, HOLDER, T0) == CODES.rotating(CODE, HOLDER, T0.replace(tzinfo=UTC))
    assert CODES.rotating(CODE, HOLDER, T0) == CODES.rotating(
        CODE, HOLDER, T0.replace(tzinfo=UTC).astimezone(seoul)
    )


def test_nonsense_parameters_are_programming_errors() -> None:
    token = CODES.rotating(CODE, HOLDER, T0)

    with pytest.raises(ValueError):
        CODES.rotating(CODE, HOLDER, T0, step_seconds=0)
    with pytest.raises(ValueError):
        CODES.check_rotating(CODE, HOLDER, token, T0, window=-1)
    with pytest.raises(ValueError):
        CODES.rotating(CODE, -1, T0)
