"""The door: staff check tickets in, once each; the organizer chooses who is staff and which codes the
door takes; offline scanners get the public keys and the revocation list."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from core.caller import Caller, in_scope, valid_id
from core.clock import Clock
from core.errors import DomainError, Misconfigured, NotAllowed
from core.models import Event, EventRules, Ticket, TicketStatus
from core.ports import UnitOfWork
from core.retry import retrying
from core.services.events import owned_event
from core.ticket_codes import ROTATING_PREFIX, InvalidTicketCode, TicketCodes, read_rotating

MAX_CODE_LENGTH = 200


class Refused(DomainError):
    """The door says no; the reason says why, in the staff member's words."""

    key = "error.door"


@dataclass(frozen=True)
class Scan:
    """A code as scanned at the door of ``event_id`` by staff member ``by``."""

    code: str
    event_id: int
    by: int


@dataclass(frozen=True)
class Welcome:
    ticket: Ticket
    event: Event


def _read(code: str, codes: TicketCodes) -> tuple[int, int | None, str | None]:
    """The ticket a code names, and its version (a static code) or its token (a rotating one)."""
    text = code.strip()
    if len(text) > MAX_CODE_LENGTH:
        raise Refused(reason="forged")
    try:
        if text.startswith(ROTATING_PREFIX):
            ticket_id, token = read_rotating(text)
            return ticket_id, None, token
        claim = codes.verify(text)
    except InvalidTicketCode:
        raise Refused(reason="forged") from None
    return claim.ticket_id, claim.version, None


async def _is_staff(uow: UnitOfWork, event: Event, user_id: int) -> bool:
    return event.organizer_id == user_id or user_id in await uow.events.staff(event.id)


@retrying
async def check_in(scan: Scan, uow: UnitOfWork, clock: Clock, codes: TicketCodes) -> Welcome:
    """Checks the code against the ticket as it is now (revoked codes, other events, stale rotating
    codes, the event's door rule) and marks the ticket used in one conditional UPDATE: of two scanners
    racing on one ticket, exactly one lets its holder in."""
    ticket_id, version, token = _read(scan.code, codes)
    now = clock.now()
    async with uow:
        event = await uow.events.get(scan.event_id)
        if event is None or not await _is_staff(uow, event, scan.by):
            raise NotAllowed(reason="not_staff")
        ticket = await uow.tickets.get(ticket_id) if valid_id(ticket_id) else None
        if ticket is None:
            raise Refused(reason="forged")
        if ticket.event_id != event.id:
            raise Refused(reason="other_event")
        if ticket.status is not TicketStatus.ACTIVE or (version is not None and version != ticket.version):
            raise Refused(reason="revoked")
        if token is not None:
            if not codes.check_rotating(ticket.id, ticket.secret, ticket.holder_id, token, now):
                raise Refused(reason="stale")
        elif not (await uow.events.rules(event.id)).static_codes:
            raise Refused(reason="static")
        if ticket.checked_in_at is not None or not await uow.tickets.check_in(
            ticket.id, ticket.version, scan.by, now
        ):
            raise await _used(uow, ticket.id)
        await uow.commit()
    return Welcome(replace(ticket, checked_in_at=now, checked_in_by=scan.by), event)


async def _used(uow: UnitOfWork, ticket_id: int) -> Refused:
    ticket = await uow.tickets.get(ticket_id)
    if ticket is None or ticket.checked_in_at is None:
        return Refused(reason="revoked")
    return Refused(reason="used", at=ticket.checked_in_at, by=ticket.checked_in_by or 0)


@retrying
async def door_event(event_id: int, caller: Caller, uow: UnitOfWork) -> Event:
    """An event of the caller's server at whose door they may scan."""
    async with uow.for_reading():
        event = await uow.events.get(event_id) if valid_id(event_id) else None
        event = in_scope(event, caller, event_id)
        if not await _is_staff(uow, event, caller.user_id):
            raise NotAllowed(reason="not_staff")
    return event


@retrying
async def set_staff(event_id: int, member_id: int, add: bool, caller: Caller, uow: UnitOfWork) -> list[int]:
    """The organizer adds or removes a door staff member; returns the staff as it stands."""
    if not valid_id(member_id):
        raise NotAllowed(reason="not_staff")
    async with uow:
        event = await owned_event(uow, event_id, caller)
        if add:
            await uow.events.add_staff(event.id, member_id)
        else:
            await uow.events.remove_staff(event.id, member_id)
        staff = await uow.events.staff(event.id)
        await uow.commit()
    return staff


MAX_ACCOUNT_DAYS = 3650


@retrying
async def set_rules(rules: EventRules, caller: Caller, uow: UnitOfWork) -> EventRules:
    """The organizer sets their event's rules whole."""
    return await _change(rules.event_id, caller, uow, lambda _: rules)


@retrying
async def change_rules(
    event_id: int,
    caller: Caller,
    uow: UnitOfWork,
    *,
    static_codes: bool | None = None,
    min_account_days: int | None = None,
    buyer_role_id: int | None = None,
) -> EventRules:
    """The organizer changes some of their event's rules; the rest stay. No minimum age is 0 days, and
    the server's own id (its @everyone role) as the buyers' role lets anyone buy."""

    def changed(rules: EventRules) -> EventRules:
        if static_codes is not None:
            rules = replace(rules, static_codes=static_codes)
        if min_account_days is not None:
            rules = replace(rules, min_account_days=min_account_days or None)
        if buyer_role_id is not None:
            everyone = buyer_role_id == caller.guild_id
            rules = replace(rules, buyer_role_id=None if everyone else buyer_role_id)
        return rules

    return await _change(event_id, caller, uow, changed)


async def _change(
    event_id: int, caller: Caller, uow: UnitOfWork, change: Callable[[EventRules], EventRules]
) -> EventRules:
    async with uow:
        event = await owned_event(uow, event_id, caller)
        rules = replace(change(await uow.events.rules(event.id)), event_id=event.id)
        if rules.min_account_days is not None and not 0 <= rules.min_account_days <= MAX_ACCOUNT_DAYS:
            raise NotAllowed(reason="rules")
        await uow.events.set_rules(rules)
        await uow.commit()
    uow.box_office.rules.changed(event.id)
    return rules


@retrying
async def event_rules(event_id: int, caller: Caller, uow: UnitOfWork) -> EventRules:
    async with uow.for_reading():
        event = await owned_event(uow, event_id, caller)
        return await uow.events.rules(event.id)


@dataclass(frozen=True)
class Revocations:
    """For an offline scanner: a code of ticket T is void when T is listed with a version other than
    the code's (0: every code of T is void)."""

    event_id: int
    tickets: list[tuple[int, int]]
    made_at: datetime


@retrying
async def revocations(event_id: int, by: int, uow: UnitOfWork, clock: Clock) -> Revocations:
    async with uow.for_reading():
        event = await uow.events.get(event_id)
        if event is None or not await _is_staff(uow, event, by):
            raise NotAllowed(reason="not_staff")
        listed = await uow.tickets.superseded(event_id)
    return Revocations(event_id, listed, clock.now())


SIGNING_KEYS = "ticket_signing_keys"


@retrying
async def claim_signing_key(codes: TicketCodes, uow: UnitOfWork) -> None:
    """Every process of a deployment must sign with the same key: a process whose keys cannot verify
    the tickets already in the database refuses to start, rather than hand out tickets the door would
    turn away. Records this process's signing key as one that signs here."""
    ours = {base64.b64encode(raw).decode("ascii") for raw in codes.public_keys().values()}
    signing = base64.b64encode(codes.public_bytes()).decode("ascii")
    async with uow:
        stored = await uow.app_state.get(SIGNING_KEYS)
        known = set(stored.split(",")) if stored else set()
        unknown = known - ours
        if unknown and await uow.tickets.any_issued():
            raise Misconfigured(
                "this database holds tickets signed by a key this process does not have "
                f"({', '.join(sorted(unknown))}): give every process the same TICKET_SIGNING_KEY, "
                "or list the old public key in TICKET_VERIFY_KEYS after rotating"
            )
        if signing not in known:
            await uow.app_state.put(SIGNING_KEYS, ",".join(sorted(known | {signing})))
            await uow.commit()
