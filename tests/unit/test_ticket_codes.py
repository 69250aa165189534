from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DomainError
from core.ticket_codes import (
    PREFIX,
    InvalidTicketCode,
    TicketClaim,
    TicketCodes,
    key_id,
    read_rotating,
    verify_with_public_keys,
)

# Fixed keys keep every code in this file the same on each run, so no assertion depends on luck.
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
    code = CODES.issue(ticket_id, event_id, version)

    assert CODES.verify(code) == TicketClaim(ticket_id, event_id, version, CODES.key_id)
    assert verify_with_public_keys(CODES.public_keys(), code) == CODES.verify(code)


def test_codes_are_under_100_characters_and_fit_a_smaller_qr() -> None:
    typical = CODES.issue(5000, 300, 1)
    generous = CODES.issue(10**6, 10**4, 100)
    versions = {}
    # The first format carried an 8-byte secret: 78 bytes, 108 characters for the same ticket.
    old = "PK1." + base64.urlsafe_b64encode(bytes(range(78))).rstrip(b"=").decode("ascii")
    for name, code in (("typical", typical), ("generous", generous), ("old", old)):
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(code)
        qr.make(fit=True)
        versions[name] = qr.version
    print(f"code lengths {len(typical)}, {len(generous)}; QR versions {versions}")

    assert len(CODES.issue(1, 1, 1)) == 95
    assert len(typical) == 98
    assert len(generous) == 99
    assert versions["typical"] < versions["old"]
    assert re.fullmatch(r"PK2\.[A-Za-z0-9_-]+", generous)


def test_issuing_twice_gives_the_same_code() -> None:
    assert CODES.issue(42, 7, 3) == CODES.issue(42, 7, 3)


def test_a_key_survives_a_round_trip_through_its_raw_bytes() -> None:
    fresh = TicketCodes.generate()
    restored = TicketCodes.from_private_bytes(fresh.private_bytes())

    assert len(fresh.private_bytes()) == 32
    assert len(fresh.public_bytes()) == 32
    assert restored.public_bytes() == fresh.public_bytes()
    assert restored.verify(fresh.issue(9, 8, 7)) == TicketClaim(9, 8, 7, fresh.key_id)


def test_keys_rotate_old_codes_verify_while_their_key_is_kept() -> None:
    old = CODES.issue(5, 6, 1)
    rotated = TicketCodes(Ed25519PrivateKey.from_private_bytes(bytes(range(50, 82))), [CODES.public_bytes()])
    new = rotated.issue(5, 6, 2)

    assert key_id(rotated.public_bytes()) == rotated.key_id != CODES.key_id
    assert rotated.verify(old) == TicketClaim(5, 6, 1, CODES.key_id)
    assert rotated.verify(new).key_id == rotated.key_id
    assert set(rotated.public_keys()) == {CODES.key_id, rotated.key_id}
    with pytest.raises(InvalidTicketCode):
        CODES.verify(new)  # the old deployment never learnt the new key


def test_changing_any_single_character_is_caught() -> None:
    code = CODES.issue(5000, 300, 2)
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
    code = CODES.issue(5000, 300, 2)  # 70 bytes: the last character carries two spare bits
    variants = [code[:-1] + c for c in ALPHABET if c != code[-1]]

    # Some variants decode to the very same bytes; only the canonical form may pass.
    assert any(decode(v) == decode(code) for v in variants)
    for variant in variants:
        with pytest.raises(InvalidTicketCode):
            CODES.verify(variant)


# Offsets into the decoded bytes of CODES.issue(5000, 300, 2): key id, two-byte varint ticket id,
# two-byte varint event id, one-byte version, then the signature.
@pytest.mark.parametrize(
    ("part", "offset"),
    [("key", 0), ("ticket_id", 1), ("event_id", 3), ("version", 5), ("signature", 6), ("signature", 69)],
)
def test_flipping_a_bit_in_any_part_is_caught(part: str, offset: int) -> None:
    raw = bytearray(decode(CODES.issue(5000, 300, 2)))
    assert len(raw) == 70
    raw[offset] ^= 0x01

    with pytest.raises(InvalidTicketCode):
        CODES.verify(encode(bytes(raw)))


@pytest.mark.parametrize(
    "code", ["", "PK2.", "PK2", "hello", "PK2.AAAA", "PK2.!!!!", "PK2.ÄÖÜ", "PK2." + "A" * 5000, "PK1.AAAA"]
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
        lambda code: code.replace(PREFIX, "PK1."),
        lambda code: code[len(PREFIX) :],
        lambda code: code[:10] + "+" + code[11:],
        lambda code: code[:10] + "/" + code[11:],
        lambda code: code[:20] + " " + code[20:],
    ],
)
def test_truncated_or_padded_codes_are_rejected(mangle: Callable[[str], str]) -> None:
    code = CODES.issue(5000, 300, 2)
    broken = mangle(code)
    assert broken != code

    with pytest.raises(InvalidTicketCode):
        CODES.verify(broken)


def test_a_code_signed_by_another_key_is_rejected() -> None:
    code = OTHER.issue(1, 1, 1)

    with pytest.raises(InvalidTicketCode):
        CODES.verify(code)
    # Even under the other key's id, this key's signature check fails.
    forged = encode(bytes([CODES.key_id]) + decode(code)[1:])
    with pytest.raises(InvalidTicketCode):
        CODES.verify(forged)
    assert verify_with_public_keys(OTHER.public_keys(), code).ticket_id == 1


def test_a_genuinely_signed_payload_in_an_unknown_shape_is_rejected() -> None:
    good = decode(CODES.issue(1, 1, 1))[:-64]

    for payload in (good + b"\x00", good[:-1], good[:1] + b"\xff" * 10):
        with pytest.raises(InvalidTicketCode):
            CODES.verify(signed(payload))
    assert CODES.verify(signed(good)).ticket_id == 1


def test_an_invalid_code_is_a_domain_error_with_a_message_key() -> None:
    with pytest.raises(DomainError) as caught:
        CODES.verify("nonsense")

    assert isinstance(caught.value, InvalidTicketCode)
    assert caught.value.key == "error.invalid_ticket_code"


@pytest.mark.parametrize(
    ("ticket_id", "event_id", "version"), [(-1, 1, 1), (1, -1, 1), (1, 1, -1), (2**63, 1, 1)]
)
def test_issue_refuses_values_it_cannot_encode(ticket_id: int, event_id: int, version: int) -> None:
    with pytest.raises(ValueError):
        CODES.issue(ticket_id, event_id, version)


@given(st.text(max_size=300))
def test_any_text_is_refused_or_verified_never_an_exception(text: str) -> None:
    for candidate in (text, PREFIX + text, "PR2." + text):
        with contextlib.suppress(InvalidTicketCode):
            CODES.verify(candidate)
        with contextlib.suppress(InvalidTicketCode):
            read_rotating(candidate)


@given(st.binary(max_size=120), st.integers(min_value=0, max_value=100))
def test_any_bytes_and_any_cut_of_a_real_code_are_refused(raw: bytes, cut: int) -> None:
    with pytest.raises(InvalidTicketCode):
        CODES.verify(encode(raw))
    real = CODES.issue(5000, 300, 2)
    if cut < len(real):
        with pytest.raises(InvalidTicketCode):
            CODES.verify(real[:cut])


# Rotating codes: a TOTP of the ticket, its secret and its holder.


def test_a_rotating_code_names_its_ticket_and_eight_digits() -> None:
    code = CODES.rotating(5000, SECRET, HOLDER, T0)

    assert re.fullmatch(r"PR2\.5000\.\d{8}", code)
    assert read_rotating(code) == (5000, code[-8:])


def test_a_rotating_code_holds_within_a_step_and_changes_with_the_next() -> None:
    codes = [CODES.rotating(5000, SECRET, HOLDER, T0 + timedelta(seconds=30 * n)) for n in range(20)]

    assert CODES.rotating(5000, SECRET, HOLDER, T0 + timedelta(seconds=29)) == codes[0]
    assert len(set(codes)) == 20


@pytest.mark.parametrize(
    ("shown_seconds_ago", "window", "accepted"),
    [
        (0, 0, True),
        (30, 0, False),
        (-30, 1, True),
        (30, 1, True),
        (59, 1, True),
        (60, 1, False),
        (3600, 1, False),
    ],
)
def test_a_token_is_accepted_only_within_the_window(
    shown_seconds_ago: int, window: int, accepted: bool
) -> None:
    _, token = read_rotating(CODES.rotating(5000, SECRET, HOLDER, T0))
    scanned_at = T0 + timedelta(seconds=shown_seconds_ago)

    assert CODES.check_rotating(5000, SECRET, HOLDER, token, scanned_at, window=window) is accepted


def test_a_token_is_bound_to_ticket_secret_holder_and_key() -> None:
    _, token = read_rotating(CODES.rotating(5000, SECRET, HOLDER, T0))

    assert CODES.check_rotating(5000, SECRET, HOLDER, token, T0)
    assert not CODES.check_rotating(5000, SECRET, HOLDER + 1, token, T0)
    assert not CODES.check_rotating(5001, SECRET, HOLDER, token, T0)
    assert not CODES.check_rotating(5000, "fedcba9876543210", HOLDER, token, T0)
    assert not OTHER.check_rotating(5000, SECRET, HOLDER, token, T0)


@pytest.mark.parametrize("token", ["", "1234567", "123456789", "abcdefgh", "１２３４５６７８", "1234567é"])
def test_malformed_tokens_are_refused_without_raising(token: str) -> None:
    assert CODES.check_rotating(5000, SECRET, HOLDER, token, T0) is False


@pytest.mark.parametrize(
    "code", ["PR2.", "PR2.5000", "PR2.5000.1234567", "PR2.-1.12345678", "PR2.x.12345678"]
)
def test_malformed_rotating_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidTicketCode):
        read_rotating(code)


def test_naive_times_mean_utc() -> None:
    seoul = timezone(timedelta(hours=9))
    code = CODES.rotating(5000, SECRET, HOLDER, T0)

    assert code == CODES.rotating(5000, SECRET, HOLDER, T0.replace(tzinfo=UTC))
    assert code == CODES.rotating(5000, SECRET, HOLDER, T0.replace(tzinfo=UTC).astimezone(seoul))


def test_nonsense_parameters_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        CODES.check_rotating(5000, SECRET, HOLDER, "12345678", T0, window=-1)
    with pytest.raises(ValueError):
        CODES.rotating(5000, SECRET, -1, T0)
    with pytest.raises(ValueError):
        CODES.rotating(5000, "not hex", HOLDER, T0)


# Staff tokens for the scanner page.


def test_a_staff_token_names_its_event_and_member_and_nothing_else() -> None:
    token = CODES.staff_token(7, HOLDER)

    assert CODES.staff_of(token) == (7, HOLDER)
    for forged in (
        token.replace("7.", "8.", 1),
        token[:-1] + another_character(token[-1]),
        "7.1.x",
        "",
        "a.b.c",
    ):
        with pytest.raises(InvalidTicketCode):
            CODES.staff_of(forged)
    with pytest.raises(InvalidTicketCode):
        OTHER.staff_of(token)
