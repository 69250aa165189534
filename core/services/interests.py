"""What a member follows (categories, keywords, organizers, venues) and how they want to be told:
their language, time zone, quiet hours and mute."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.alerts import MAX_INTERESTS_PER_MEMBER, MINUTES_A_DAY, interest_value, zone_named
from core.caller import Caller, valid_id
from core.clock import Clock
from core.errors import InvalidInput, NotFound
from core.models import Interest, InterestKind, MemberPrefs
from core.ports import UnitOfWork
from core.retry import retrying


class SeenMembers:
    """The language each member last used Picket in, noted in memory for nothing per interaction and
    written in one statement now and then (``remember_members``), not once per button press."""

    def __init__(self) -> None:
        self._known: dict[int, str] = {}
        self._pending: dict[int, str] = {}

    def saw(self, user_id: int, locale: str) -> None:
        if self._known.get(user_id) != locale:
            self._known[user_id] = locale
            self._pending[user_id] = locale

    def take(self) -> dict[int, str]:
        pending, self._pending = self._pending, {}
        return pending

    def put_back(self, pending: dict[int, str]) -> None:
        for user_id, locale in pending.items():
            self._pending.setdefault(user_id, locale)


async def remember_members(seen: SeenMembers, uow: UnitOfWork, clock: Clock) -> int:
    pending = seen.take()
    if not pending:
        return 0
    try:
        await _remember(pending, uow, clock)
    except BaseException:
        seen.put_back(pending)
        raise
    return len(pending)


@retrying
async def _remember(pending: dict[int, str], uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        await uow.members.remember(pending, clock.now())
        await uow.commit()


@dataclass(frozen=True)
class Following:
    interests: list[Interest]
    prefs: MemberPrefs | None


@retrying
async def follow(
    caller: Caller, kind: InterestKind, value: str, locale: str, uow: UnitOfWork, clock: Clock
) -> bool:
    """Adds an interest in the caller's server; False when they had it already."""
    guild_id = caller.require_guild()
    cleaned = interest_value(kind, value)
    if kind is InterestKind.ORGANIZER and not valid_id(int(cleaned)):
        raise InvalidInput(reason="interest")
    now = clock.now()
    async with uow:
        if len(await uow.interests.of_member(guild_id, caller.user_id)) >= MAX_INTERESTS_PER_MEMBER:
            raise InvalidInput(reason="too_many_interests", maximum=MAX_INTERESTS_PER_MEMBER)
        added = await uow.interests.add(guild_id, caller.user_id, kind, cleaned, now)
        await uow.members.remember({caller.user_id: locale}, now)
        await uow.commit()
    return added


@retrying
async def unfollow(caller: Caller, interest_id: int, uow: UnitOfWork) -> None:
    async with uow:
        if not valid_id(interest_id) or not await uow.interests.remove(interest_id, caller.user_id):
            raise NotFound()
        await uow.commit()


@retrying
async def following(caller: Caller, uow: UnitOfWork) -> Following:
    guild_id = caller.require_guild()
    async with uow.for_reading():
        return Following(
            await uow.interests.of_member(guild_id, caller.user_id), await uow.members.get(caller.user_id)
        )


async def _prefs(uow: UnitOfWork, caller: Caller, locale: str) -> MemberPrefs:
    found = await uow.members.get(caller.user_id)
    return replace(found, locale=locale) if found is not None else MemberPrefs(caller.user_id, locale)


@retrying
async def mute(
    caller: Caller, until: datetime | None, locale: str, uow: UnitOfWork, clock: Clock
) -> MemberPrefs:
    """No alerts until ``until`` (None: until unmuted). Ticket DMs and refund notes still come."""
    now = clock.now()
    if until is not None and until <= now:
        raise InvalidInput(reason="mute_in_past")
    async with uow:
        prefs = replace(
            await _prefs(uow, caller, locale), muted_until=until or datetime.max.replace(microsecond=0)
        )
        await uow.members.save(prefs, now)
        await uow.commit()
    return prefs


@retrying
async def unmute(caller: Caller, locale: str, uow: UnitOfWork, clock: Clock) -> MemberPrefs:
    async with uow:
        prefs = replace(await _prefs(uow, caller, locale), muted_until=None)
        await uow.members.save(prefs, clock.now())
        await uow.commit()
    return prefs


@retrying
async def quiet_hours(
    caller: Caller,
    start: int,
    end: int,
    time_zone: str | None,
    locale: str,
    uow: UnitOfWork,
    clock: Clock,
) -> MemberPrefs:
    """Alerts due between ``start`` and ``end`` (minutes after midnight in the member's zone) wait
    until ``end``; the same start and end turn quiet hours off."""
    if not (0 <= start < MINUTES_A_DAY and 0 <= end < MINUTES_A_DAY):
        raise InvalidInput(reason="quiet_hours")
    if time_zone is not None:
        zone_named(time_zone)
    async with uow:
        prefs = await _prefs(uow, caller, locale)
        quiet = (start, end) if start != end else (None, None)
        prefs = replace(
            prefs, quiet_start=quiet[0], quiet_end=quiet[1], time_zone=time_zone or prefs.time_zone
        )
        await uow.members.save(prefs, clock.now())
        await uow.commit()
    return prefs


@retrying
async def dm_opened(user_id: int, channel_id: int, uow: UnitOfWork) -> None:
    """Picket opened a DM with the member: later DMs go straight to it (one request, not two)."""
    async with uow:
        await uow.members.dm_channel(user_id, channel_id)
        await uow.commit()


@retrying
async def dms_refused(user_id: int, uow: UnitOfWork, clock: Clock) -> None:
    """The member does not take DMs from Picket: alerts skip them from now on."""
    async with uow:
        await uow.members.dms_closed(user_id, clock.now())
        await uow.commit()


async def member_locale(uow: UnitOfWork, user_id: int, otherwise: str) -> str:
    """Inside an open unit of work: the language a member last used Picket in, for a DM they did not
    ask for; ``otherwise`` when Picket has not seen them yet."""
    prefs = await uow.members.get(user_id)
    return prefs.locale if prefs is not None else otherwise
