"""Interest alerts and reminders: a new event to every member whose interests match it, a reminder to
them before its sale opens, and one to ticket holders before it starts. The fan-out runs in a job, a
batch of members per transaction, queueing one notice per member in the outbox, which sends them at
the pace Discord allows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.alerts import send_after
from core.clock import Clock
from core.models import Alert, AlertKind, Event, EventStatus, Recipient
from core.ports import UnitOfWork
from core.retry import retrying

BATCH = 500
SALE_REMINDER = timedelta(hours=1)
START_REMINDER = timedelta(hours=24)
ALERT_KINDS = (AlertKind.PUBLISHED, AlertKind.SALE_OPENS, AlertKind.STARTS_SOON)


@dataclass(frozen=True)
class FannedOut:
    event_id: int
    kind: AlertKind
    queued: int
    done: bool


async def fan_out_alerts(
    new_uow: Callable[[], UnitOfWork], clock: Clock, zone: ZoneInfo, *, batch: int = BATCH, rounds: int = 20
) -> list[FannedOut]:
    """The job: every alert whose moment has come, a batch of members at a time, up to ``rounds``
    batches per run so that one huge server does not hold up the rest."""
    now = clock.now()
    async with new_uow().for_reading() as uow:
        due = await uow.alerts.due(now, now + SALE_REMINDER, now + START_REMINDER, limit=50)
    done: list[FannedOut] = []
    for alert in due:
        for _ in range(rounds):
            step = await _fan_out_batch(alert.id, new_uow(), clock, zone, batch)
            if step is None:
                break
            done.append(step)
            if step.done:
                break
    return done


def _pointless(alert: Alert, event: Event | None, now: datetime) -> bool:
    """An alert whose moment has passed (a reminder of a sale already open) or whose event is off."""
    if event is None or event.status is not EventStatus.PUBLISHED or event.starts_at <= now:
        return True
    return alert.kind is AlertKind.SALE_OPENS and event.sale_opens_at <= now


@retrying
async def _fan_out_batch(
    alert_id: int, uow: UnitOfWork, clock: Clock, zone: ZoneInfo, batch: int
) -> FannedOut | None:
    now = clock.now()
    async with uow:
        alert = await uow.alerts.take(alert_id)
        if alert is None:
            return None  # finished, or another runner is on it right now
        event = await uow.events.get(alert.event_id)
        if event is None or _pointless(alert, event, now):
            await uow.alerts.advance(alert.id, alert.after_user, 0, True, now)
            await uow.commit()
            return FannedOut(alert.event_id, alert.kind, 0, True)
        if alert.kind is AlertKind.STARTS_SOON:
            recipients = await uow.alerts.holders(event.id, alert.after_user, batch)
        else:
            recipients = await uow.alerts.matching(event, alert.after_user, batch)
        guild = await uow.guilds.get(event.guild_id)
        notices = _notices(alert, event, recipients, guild.locale if guild else "en", now, zone)
        await uow.outbox.add_many("alert", notices, now)
        finished = len(recipients) < batch
        last = recipients[-1].user_id if recipients else alert.after_user
        await uow.alerts.advance(alert.id, last, len(notices), finished, now)
        await uow.commit()
    return FannedOut(alert.event_id, alert.kind, len(notices), finished)


def _notices(
    alert: Alert, event: Event, recipients: list[Recipient], server_locale: str, now: datetime, zone: ZoneInfo
) -> list[tuple[dict[str, Any], datetime]]:
    notices: list[tuple[dict[str, Any], datetime]] = []
    for recipient in recipients:
        at = send_after(recipient.prefs, now, zone)
        if at is None:
            continue  # muted, or DMs closed
        locale = recipient.prefs.locale if recipient.prefs is not None else server_locale
        payload: dict[str, Any] = {
            "alert": alert.kind.value,
            "event_id": event.id,
            "user_id": recipient.user_id,
            "locale": locale,
        }
        if recipient.prefs is not None and recipient.prefs.dm_channel_id is not None:
            payload["channel_id"] = recipient.prefs.dm_channel_id
        notices.append((payload, at))
    return notices


@dataclass(frozen=True)
class AlertSubject:
    event: Event
    post: tuple[int, int] | None  # the channel and message of its public post


@retrying
async def alert_subject(event_id: int, uow: UnitOfWork) -> AlertSubject | None:
    """The event an alert is about, while it is still worth telling anyone about, and its post."""
    async with uow.for_reading():
        event = await uow.events.get(event_id)
        if event is None or event.status is not EventStatus.PUBLISHED:
            return None
        return AlertSubject(event, await uow.events.announcement(event_id))
