from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import discord

from bot import metrics
from bot.i18n import t
from bot.i18n.formatting import money, stamp
from cogs.pictures.calendar import ticket_ics
from cogs.pictures.qr import qr_png
from cogs.shared.text import plain
from core.models import Notice
from core.runtime import Runtime
from core.services.alerts import AlertSubject, alert_subject
from core.services.interests import dm_opened, dms_refused
from core.services.outbox import Delivery, deliver_notices
from core.services.posts import post_edit
from core.services.tickets import TicketCard, held_card, order_cards

log = logging.getLogger(__name__)

# Discord allows ten attachments a message: nine QR codes and the calendar file.
TICKETS_PER_MESSAGE = 9
DM_CLOSED = 50007
EVENT_LENGTH = timedelta(hours=3)
DISCORD_WEB = "https://discord.com"


def ticket_embed(card: TicketCard, code: str, locale: object) -> discord.Embed:
    ticket, event = card.ticket, card.event
    seat = ticket.seat_label or t("ticket.general_admission", locale)
    embed = discord.Embed(title=plain(event.title), colour=discord.Colour(0x2F9E6E))
    embed.add_field(name=t("ticket.seat", locale), value=seat)
    embed.add_field(name=t("ticket.when", locale), value=stamp(event.starts_at, "F"))
    if event.venue:
        embed.add_field(name=t("ticket.venue", locale), value=plain(event.venue))
    embed.add_field(name=t("ticket.order", locale), value=f"#{ticket.order_id}")
    embed.add_field(name=t("ticket.code", locale), value=f"`{code}`", inline=False)
    embed.set_footer(text=t("ticket.footer", locale, ticket=ticket.id))
    embed.set_image(url=f"attachment://ticket-{ticket.id}.png")
    return embed


async def ticket_files(cards: list[TicketCard], codes: list[str]) -> list[discord.File]:
    """Each ticket's QR code as a picture: drawn off the event loop, all of a message's at once."""
    pictures = await asyncio.to_thread(lambda: [qr_png(code) for code in codes])
    return [
        discord.File(BytesIO(png), filename=f"ticket-{card.ticket.id}.png")
        for card, png in zip(cards, pictures, strict=True)
    ]


def calendar_file(card: TicketCard, made_at: datetime) -> discord.File:
    event = card.event
    data = ticket_ics(
        f"picket-event-{event.id}-ticket-{card.ticket.id}@picket",
        event.title,
        event.venue,
        event.starts_at,
        EVENT_LENGTH,
        event.description,
        stamped_at=made_at,
    )
    return discord.File(BytesIO(data), filename=f"event-{event.id}.ics")


class DiscordDeliverer:
    """Sends each kind of notice as a DM. The nonce makes a repeated send after a crash harmless."""

    def __init__(self, client: discord.Client, runtime: Runtime) -> None:
        self.client = client
        self.runtime = runtime

    async def deliver(self, notice: Notice) -> Delivery:
        outcome = await self._deliver(notice)
        metrics.DELIVERIES.labels(notice.kind, outcome.value).inc()
        return outcome

    async def _deliver(self, notice: Notice) -> Delivery:
        if notice.kind == "post_changed":
            return await self._edit_post(int(notice.payload["event_id"]))
        user_id = int(notice.payload["user_id"])
        try:
            messages = await self._messages(notice)
            if messages:
                channel = await self._dm_channel(user_id, notice.payload.get("channel_id"))
                for index, message in enumerate(messages):
                    await channel.send(nonce=f"picket-{notice.id}-{index}", **message)
        except discord.NotFound:
            return Delivery.UNREACHABLE
        except discord.Forbidden as error:
            if error.code == DM_CLOSED:
                log.info("member %s has closed DMs; notice %s stays in /tickets", user_id, notice.id)
                await dms_refused(user_id, self.runtime.uow(), self.runtime.clock)
            return Delivery.UNREACHABLE
        except discord.HTTPException as error:
            log.warning("notice %s: Discord answered %s, will try again", notice.id, error.status)
            return Delivery.RETRY
        return Delivery.SENT

    async def _edit_post(self, event_id: int) -> Delivery:
        """The event's public post, drawn again as the event stands now (not as when it was queued)."""
        # Imported here: the post's buttons come from cogs that themselves deliver through this module.
        from cogs.events._post import post_message

        edit = await post_edit(event_id, self.runtime.uow, self.runtime.clock)
        if edit is None:
            return Delivery.SENT
        message = await post_message(self.client, edit.details, edit.phase, edit.locale)
        picture = message.pop("file", None)
        post = self.client.get_partial_messageable(edit.channel_id).get_partial_message(edit.message_id)
        try:
            await post.edit(**message, attachments=[picture] if picture is not None else [])
        except discord.NotFound:
            return Delivery.UNREACHABLE  # the post was deleted: nothing to keep current
        except discord.Forbidden:
            return Delivery.UNREACHABLE
        except discord.HTTPException as error:
            log.warning("post of event %s: Discord answered %s, will try again", event_id, error.status)
            return Delivery.RETRY
        return Delivery.SENT

    async def _dm_channel(self, user_id: int, known: object) -> discord.abc.Messageable:
        """The member's DM channel: the one Picket knows (one request per DM), else opened now and kept."""
        if isinstance(known, int):
            return self.client.get_partial_messageable(known, type=discord.ChannelType.private)
        # Opened by id alone: looking the member up first would cost a request of its own.
        channel = await self.client.create_dm(discord.Object(user_id))
        await dm_opened(user_id, channel.id, self.runtime.uow())
        return channel

    async def _messages(self, notice: Notice) -> list[dict[str, Any]]:
        # DMs have no interaction locale; Picket's first users are Korean, English follows each line.
        locale = notice.payload.get("locale", "ko")
        runtime = self.runtime
        payload = notice.payload
        if notice.kind == "tickets_issued":
            cards = await order_cards(int(payload["order_id"]), runtime.uow())
            messages = await self._ticket_messages(cards, locale, "dm.tickets_issued")
            if payload.get("waitlist") and messages:
                currency = cards[0].event.currency
                messages[0]["content"] = t(
                    "dm.waitlist_assigned",
                    locale,
                    title=plain(cards[0].event.title),
                    charged=money(int(payload["charged"]), currency),
                    returned=money(int(payload["returned"]), currency),
                )
            return messages
        if notice.kind == "alert":
            return await self._alert(payload, locale)
        if notice.kind in ("queue_admitted", "queue_sold_out"):
            return await self._admitted(notice.kind, payload, locale)
        if notice.kind == "waitlist_closed":
            key = "dm.waitlist_cancelled" if payload.get("cancelled") else "dm.waitlist_closed"
            amount = money(int(payload["amount"]), str(payload.get("currency", "KRW")))
            return [{"content": t(key, locale, title=plain(str(payload["title"])), amount=amount)}]
        if notice.kind == "ticket_transferred":
            card = await held_card(int(payload["ticket_id"]), int(payload["user_id"]), runtime.uow())
            if card is None:
                # Passed on again (or cancelled) before this DM went out: there is nothing to show.
                return []
            messages = await self._ticket_messages([card], locale, "dm.ticket_received")
            messages[0]["content"] = t(
                "dm.ticket_received", locale, sender=f"<@{notice.payload['from_user']}>"
            )
            return messages
        if notice.kind in ("ticket_cancelled", "ticket_refunded", "event_cancelled"):
            return [{"content": _refund_text(notice.kind, payload, locale)}]
        raise ValueError(f"unknown notice kind {notice.kind}")

    async def _alert(self, payload: dict[str, Any], locale: object) -> list[dict[str, Any]]:
        subject = await alert_subject(int(payload["event_id"]), self.runtime.uow())
        if subject is None:
            return []  # cancelled (or gone) since: nothing worth a DM
        event, kind = subject.event, str(payload["alert"])
        text = t(
            f"alert.{kind}",
            locale,
            title=plain(event.title),
            when=stamp(event.starts_at, "F"),
            sale=stamp(event.sale_opens_at, "R"),
        )
        message: dict[str, Any] = {"content": text}
        if kind != "starts_soon":
            message["view"] = _to_the_post(subject, locale)
        return [message]

    async def _admitted(self, kind: str, payload: dict[str, Any], locale: object) -> list[dict[str, Any]]:
        """A fan's turn in the waiting room, or the word that the event sold out before it came."""
        subject = await alert_subject(int(payload["event_id"]), self.runtime.uow())
        if subject is None:
            return []
        title = plain(subject.event.title)
        text = t(f"dm.{kind}", locale, title=title, minutes=payload.get("minutes", 0))
        return [{"content": text, "view": _to_the_post(subject, locale)}]

    async def _ticket_messages(
        self, cards: list[TicketCard], locale: object, key: str
    ) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        for start in range(0, len(cards), TICKETS_PER_MESSAGE):
            chunk = cards[start : start + TICKETS_PER_MESSAGE]
            codes = [self.runtime.codes.issue(c.ticket.id, c.event.id, c.ticket.version) for c in chunk]
            files = await ticket_files(chunk, codes)
            files.append(calendar_file(chunk[0], self.runtime.clock.now()))
            messages.append(
                {
                    "content": t(key, locale, title=plain(chunk[0].event.title)),
                    "embeds": [ticket_embed(c, code, locale) for c, code in zip(chunk, codes, strict=True)],
                    "files": files,
                }
            )
        return messages


def _to_the_post(subject: AlertSubject, locale: object) -> discord.ui.View:
    """Booking happens in the event's server, where the member's roles and limits are known: the
    button leads to the event's post there (its Book button), or to the server."""
    event, post = subject.event, subject.post
    where = f"{event.guild_id}/{post[0]}/{post[1]}" if post else str(event.guild_id)
    view = discord.ui.View(timeout=None)
    label = t("alert.book_button", locale)[:80]
    view.add_item(discord.ui.Button(label=label, url=f"{DISCORD_WEB}/channels/{where}"))
    return view


def _refund_text(kind: str, payload: dict[str, Any], locale: object) -> str:
    """The refund goes to whoever paid; a holder who was given the ticket is told where it went."""
    ticket, amount = payload["ticket_id"], money(int(payload.get("amount", 0)))
    gift = int(payload.get("buyer_id", payload["user_id"])) != int(payload["user_id"])
    if kind == "ticket_cancelled":
        key = "dm.ticket_cancelled_by_holder" if gift else "dm.ticket_cancelled"
    elif kind == "event_cancelled":
        key = "dm.event_cancelled_gift" if gift else "dm.event_cancelled"
    else:
        key = "dm.ticket_refunded"
    return t(key, locale, ticket=ticket, amount=amount)


async def deliver_now(client: discord.Client, runtime: Runtime, notice_id: int | None) -> Delivery | None:
    """Sends one notice right after the commit that wrote it, so the fan is told at once how it went.
    The scheduler would send it too, a little later; the lease keeps it from being sent twice."""
    if notice_id is None:
        return None
    outcomes = await deliver_notices(
        runtime.uow, DiscordDeliverer(client, runtime), runtime.clock, ids=[notice_id], limit=1
    )
    return outcomes.get(notice_id)
