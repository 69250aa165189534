"""One Picket, two servers: each server is a world of its own.

Seoul Arena (the ``world`` fixture) and Busan Hall (added here, set up by its own admin with
/picket setup) share the bot, the database and some members. Whatever a member does in one server
acts only on that server's events: another server's event gets, word for word, the answer an event
number that names nothing gets, so nobody can even learn it exists. In a DM a member sees all of
their own tickets.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import discord
import pytest

from bot.devserver import Guild, InteractionResult, Member, Message
from bot.i18n import t
from cogs.booking._cart import CartButton
from cogs.booking._views import BookButton
from cogs.events._views import DetailsButton
from cogs.tickets._cancel import CancelButton
from core.models import EventStatus, TicketStatus
from tests.e2e.test_booking import PAY, RELEASE, button_id, buy, field, free_in, hold_best, pay, wallet_of
from tests.e2e.world import MANAGE_GUILD, World, cast, event_id_of

NO_SUCH_EVENT = 987_654
NO_SUCH_TICKET = 987_654
NO_SUCH_HOLD = 987_654
EVENT_NOT_FOUND = "That event could not be found."
TICKET_NOT_FOUND = "That ticket could not be found among your tickets."
CART_NOT_OPEN = "That cart is no longer open."
DEFERRED_UPDATE = 6


# --- a second server ------------------------------------------------------------------------------


async def bot_sees(world: World, guild: Guild, within: float = 5.0) -> None:
    """Waits until Picket has taken in the new server (GUILD_CREATE) and its roles."""
    assert world.bot is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        seen = world.bot.get_guild(guild.id)
        if seen is not None and all(seen.get_role(role_id) for role_id in guild.roles):
            return
        assert loop.time() < deadline, f"Picket never saw guild {guild.name!r}"
        await asyncio.sleep(0.01)


@pytest.fixture
async def busan(world: World) -> World:
    """Busan Hall, with its own admin, organizer and fans, and Picket set up there by its admin.

    It is returned as a World that acts in Busan Hall: the same local Discord, bot, database and clock
    as ``world``, but commands run in the other server."""
    server = world.server
    guild = server.add_guild("Busan Hall", channel_names=("lobby", "news"))
    channels = {c.name: c for c in guild.text_channels()}
    hosts = server.add_role(guild, "Hosts")
    staff = server.add_role(guild, "Staff", permissions=MANAGE_GUILD)
    there = replace(
        world,
        guild=guild,
        announcements=channels["news"],
        organizer_role=hosts,
        **cast(server, guild, staff, hosts, prefix="busan-", fans=2),
    )
    await bot_sees(world, guild)
    done = await there.set_up()
    assert done.content == (
        f"Picket is set up. Members with <@&{hosts.id}> can post events; "
        f"new events are announced in <#{there.announcements.id}>. "
        # An English server types times in UTC unless it chooses a zone.
        "Times are typed in UTC; fans see every time in their own zone."
    )
    return there


def joins(busan: World, member: Member, *, organizer: bool = False) -> Member:
    """A Seoul Arena member who is also in Busan Hall (as one of its organizers, if so)."""
    roles = [busan.organizer_role] if organizer else []
    return busan.server.add_member(busan.guild, member.user, roles=roles)


def same_refusal(refused: Message, unknown: Message, text: str) -> None:
    """Two answers a member cannot tell apart, both the plain refusal ``text``."""
    assert refused.content == unknown.content == text
    assert refused.ephemeral and unknown.ephemeral
    for answer in (refused, unknown):
        assert answer.embeds == [] and answer.attachments == [] and answer.components == []


async def dm_reply(world: World, member: Member, name: str, **options: Any) -> Message:
    """Runs a command in the member's DM with the bot."""
    result = await world.server.run_command(None, member, name, options=options or None)
    return await result.wait_for_message()


async def told(click: InteractionResult) -> Message:
    """What the member is told in answer to a button: the reply, or a followup to a deferred update."""
    if await click.wait_for_response() == DEFERRED_UPDATE:
        return await click.wait_for_followup()
    return await click.wait_for_message()


async def holds_of(world: World, event_id: int) -> list[int]:
    async with world.runtime.uow() as uow:
        return await uow.holds.live_for_event(event_id)


# --- forged buttons -------------------------------------------------------------------------------


async def go_unanswered(world: World, *clicks: InteractionResult) -> None:
    """Waits out Discord's deadline and checks that nobody answered these clicks at all: the fan's
    client says "This interaction failed", as for any button that leads nowhere."""
    await world.server.settle_interactions()
    dropped = world.server.take_violations("never-acknowledged")
    assert len(dropped) == len(clicks), dropped
    for click in clicks:
        assert click.response_type is None and click.message is None and click.followups == []
        assert any(f"interaction {click.id})" in v.detail for v in dropped)


_PICKET_BUTTONS = (BookButton, DetailsButton, CartButton, CancelButton)


def _hand_over(
    factory: Any, button: discord.ui.Button[discord.ui.View], match: re.Match[str]
) -> Callable[[discord.Interaction], Awaitable[None]]:
    async def handed_over(interaction: discord.Interaction) -> None:
        item = await factory.from_custom_id(interaction, button, match)
        if await item.interaction_check(interaction):
            await item.callback(interaction)

    return handed_over


@contextlib.contextmanager
def straight_to_picket(world: World, *custom_ids: str) -> Iterator[None]:
    """Hands clicks on these custom ids to Picket's own Book, Details or cart button, whatever message
    they come from (a ticket's cancel buttons too).

    discord.py builds a Book, Details or cart button only from a click whose custom id is on the
    clicked message, so a forged id never reaches Picket's code (the tests show that first). This
    routes it there anyway, as a library without that check (or Picket dispatching by custom id
    itself, one day) would: then what Picket's own check answers is what the fan sees. Only inside
    the ``with`` block: a click on a real button with one of these ids would be answered twice.
    """
    assert world.bot is not None
    view = discord.ui.View(timeout=None)
    for custom_id in custom_ids:
        for factory in _PICKET_BUTTONS:
            match = re.fullmatch(factory.__discord_ui_compiled_template__, custom_id)
            if match is not None:
                break
        assert match is not None, f"{custom_id} is none of Picket's buttons"
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(custom_id=custom_id)
        button.callback = _hand_over(factory, button, match)  # type: ignore[method-assign]
        view.add_item(button)
    world.bot.add_view(view)
    try:
        yield
    finally:
        view.stop()  # takes it out of discord.py's dispatch


# --- the stories ----------------------------------------------------------------------------------


async def test_booking_another_servers_event_by_its_number_is_as_for_no_event(
    world: World, busan: World
) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    busan_event = await busan.published_event(title="Busan Beach Party")
    fan = busan.fans[0]
    await world.fund(fan)

    # A Busan fan has heard of event #1 in Seoul and tries to book it from Busan.
    refused = await busan.reply(fan, "book", event=seoul_event)
    unknown = await busan.reply(fan, "book", event=NO_SUCH_EVENT)

    same_refusal(refused, unknown, EVENT_NOT_FOUND)
    assert "Seoul" not in str(refused.content)
    assert await holds_of(world, seoul_event) == []
    assert await wallet_of(world, fan) == 1_000_000
    # Korean words, the same for both too.
    korean = await busan.reply(busan.korean_fan, "book", event=seoul_event)
    korean_unknown = await busan.reply(busan.korean_fan, "book", event=NO_SUCH_EVENT)
    same_refusal(korean, korean_unknown, t("error.event_not_found", "ko"))
    # Even a member of both servers, who can book it in Seoul, cannot from Busan.
    both = joins(busan, world.fans[1])
    assert (await busan.reply(both, "book", event=seoul_event)).content == EVENT_NOT_FOUND
    assert (await world.reply(world.fans[1], "book", event=seoul_event)).embeds[0]["title"] == (
        "Book: Seoul Secret Gig"
    )
    # Busan's own event books as usual in Busan.
    picker = await busan.reply(fan, "book", event=busan_event)
    assert picker.embeds[0]["title"] == "Book: Busan Beach Party"


async def test_showing_another_servers_event_is_as_for_no_event(world: World, busan: World) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    both = joins(busan, world.fan)

    refused = await busan.reply(busan.fans[0], "event show", event=seoul_event)
    unknown = await busan.reply(busan.fans[0], "event show", event=NO_SUCH_EVENT)
    same_refusal(refused, unknown, EVENT_NOT_FOUND)

    # The same member sees it in Seoul, and not from Busan.
    shown = await world.reply(world.fan, "event show", event=seoul_event)
    assert shown.embeds[0]["title"] == "Seoul Secret Gig"
    from_busan = await busan.reply(both, "event show", event=seoul_event)
    same_refusal(from_busan, unknown, EVENT_NOT_FOUND)


async def test_busan_autocomplete_and_listing_never_offer_seouls_events(world: World, busan: World) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    seoul_draft = await world.create_event(title="Seoul Draft Night")
    busan_event = await busan.published_event(title="Busan Beach Party")
    fan = joins(busan, world.fan)
    organizer = joins(busan, world.organizer, organizer=True)

    async def offered(guild: Guild, member: Member, typed: str) -> list[int]:
        found = await world.server.autocomplete(guild, member, "book", focused="event", value=typed)
        return [int(c["value"]) for c in found]

    # In Seoul, typing "Seoul" or the number finds the Seoul event.
    assert await offered(world.guild, world.fan, "Seoul") == [seoul_event]
    assert await offered(world.guild, world.fan, f"#{seoul_event}") == [seoul_event]
    # The same member in Busan: only Busan's event, whatever they type.
    assert await offered(busan.guild, fan, "") == [busan_event]
    for typed in ("Seoul", "Secret", str(seoul_event), f"#{seoul_event}"):
        assert await offered(busan.guild, fan, typed) == [], typed
    assert await offered(busan.guild, fan, str(busan_event)) == [busan_event]
    # The Seoul organizer's own draft is theirs in Seoul only.
    draft_id = event_id_of(seoul_draft)
    assert draft_id in await offered(world.guild, world.organizer, "Draft")
    for typed in ("Draft", str(draft_id), "Seoul"):
        assert await offered(busan.guild, organizer, typed) == [], typed
    # /events in Busan lists Busan's events only.
    listing = await busan.reply(fan, "events")
    assert "Busan Beach Party" in listing.embeds[0]["description"]
    assert "Seoul" not in str(listing.embeds)


async def test_forged_book_and_details_buttons_for_a_seoul_event_get_nothing_in_busan(
    world: World, busan: World
) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    busan_event = await busan.published_event(title="Busan Beach Party")
    fan = busan.fans[0]
    await world.fund(fan)
    # Busan's announcement carries Busan's buttons; a modified client makes up Seoul's on it.
    post = world.server.channel_messages(busan.announcements)[-1]
    assert {b["custom_id"] for b in post.buttons} == {
        f"picket:book:{busan_event}",
        f"picket:show:{busan_event}",
        f"picket:follow:{busan.organizer.id}",
    }
    forged = [f"picket:book:{seoul_event}", f"picket:show:{seoul_event}"]
    made_up = [f"picket:book:{NO_SUCH_EVENT}", f"picket:show:{NO_SUCH_EVENT}"]

    clicks = [await world.server.forge_click(fan, post, custom_id) for custom_id in forged + made_up]

    # A button that is not on the message never reaches Picket: no answer, the same as for an event
    # that does not exist, and nothing held.
    await go_unanswered(world, *clicks)
    assert await holds_of(world, seoul_event) == []
    async with world.runtime.uow() as uow:
        assert (await uow.fans.standing(seoul_event, fan.id)).hold_id is None


async def test_forged_book_and_details_buttons_reaching_picket_are_refused_as_no_event(
    world: World, busan: World
) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    await busan.published_event(title="Busan Beach Party")
    fan = busan.fans[0]
    await world.fund(fan)
    post = world.server.channel_messages(busan.announcements)[-1]
    book, show = f"picket:book:{seoul_event}", f"picket:show:{seoul_event}"
    made_up = [f"picket:book:{NO_SUCH_EVENT}", f"picket:show:{NO_SUCH_EVENT}"]

    async def forge(custom_id: str) -> Message:
        return await (await world.server.forge_click(fan, post, custom_id)).wait_for_message()

    with straight_to_picket(world, book, show, *made_up):
        booked, shown = await forge(book), await forge(show)
        same_refusal(booked, await forge(made_up[0]), EVENT_NOT_FOUND)
        same_refusal(shown, await forge(made_up[1]), EVENT_NOT_FOUND)
    assert await holds_of(world, seoul_event) == []
    async with world.runtime.uow() as uow:
        assert (await uow.fans.standing(seoul_event, fan.id)).hold_id is None
    assert await wallet_of(world, fan) == 1_000_000
    # In Seoul, the same forged click books: it is the server that refused, not the route. (A message
    # without Book buttons, so that only this route answers.)
    seoul_reply = await world.reply(world.fan, "tickets list")
    with straight_to_picket(world, book):
        picker = await (await world.server.forge_click(world.fan, seoul_reply, book)).wait_for_message()
    assert picker.embeds[0]["title"] == "Book: Seoul Secret Gig"


async def test_a_seoul_cart_cannot_be_paid_or_released_from_busan(world: World, busan: World) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    fan = world.fan
    in_busan = joins(busan, fan)
    await world.fund(fan, 300_000)
    cart = await hold_best(world, fan, seoul_event)
    pay_id, release_id = button_id(cart, PAY), button_id(cart, RELEASE)
    assert pay_id is not None and release_id is not None
    hold_id = int(pay_id.split(":")[3])
    # Any message the fan can see in Busan will do: here, their own answer to /tickets list.
    seen = await busan.reply(in_busan, "tickets list")

    unanswered = [
        await world.server.forge_click(fan, seen, pay_id),
        await world.server.forge_click(fan, seen, release_id),
    ]
    await go_unanswered(world, *unanswered)

    made_up = f"picket:cart:pay:{NO_SUCH_HOLD}:{fan.id}"
    with straight_to_picket(world, pay_id, release_id, made_up):
        paid = await told(await world.server.forge_click(fan, seen, pay_id))
        unknown = await told(await world.server.forge_click(fan, seen, made_up))
        same_refusal(paid, unknown, CART_NOT_OPEN)
        released = await told(await world.server.forge_click(fan, seen, release_id))
        assert released.content == CART_NOT_OPEN
    # The message the buttons were forged on was left as it was.
    assert seen.history == [] and seen.embeds[0]["title"] == "Your tickets"

    # Nothing was charged, nothing let go: the cart is still there to pay for in Seoul.
    assert await wallet_of(world, fan) == 300_000
    assert await holds_of(world, seoul_event) == [hold_id]
    assert await free_in(world, seoul_event) == {"VIP": 19, "R": 30}
    receipt = await pay(world, fan, cart)
    assert field(receipt, "Paid") == "₩99,000"
    assert await wallet_of(world, fan) == 201_000


async def test_a_member_of_both_servers_sees_each_servers_tickets_there_and_all_in_a_dm(
    world: World, busan: World
) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    busan_event = await busan.published_event(title="Busan Beach Party", layout="S:A x 1-5 @ 30000")
    fan = world.fan
    in_busan = joins(busan, fan)
    await world.fund(fan)
    await buy(world, fan, seoul_event)
    await buy(busan, in_busan, busan_event, section="S")

    def listed(message: Message) -> list[str]:
        return [line.split(" · <t:")[0] for line in message.embeds[0]["description"].splitlines()]

    assert listed(await world.reply(fan, "tickets list")) == ["`#1` **Seoul Secret Gig** · VIP A5"]
    assert listed(await busan.reply(in_busan, "tickets list")) == ["`#2` **Busan Beach Party** · S A3"]
    assert listed(await dm_reply(world, fan, "tickets list")) == [
        "`#1` **Seoul Secret Gig** · VIP A5",
        "`#2` **Busan Beach Party** · S A3",
    ]
    # The ticket picker offers the same.
    offered = await world.server.autocomplete(
        busan.guild, in_busan, "tickets show", focused="ticket", value=""
    )
    assert [c["value"] for c in offered] == [2]

    # A fan with only a Seoul ticket has none in Busan.
    other = joins(busan, world.fans[1])
    await world.fund(world.fans[1])
    await buy(world, world.fans[1], seoul_event)
    empty = await busan.reply(other, "tickets list")
    assert empty.embeds[0]["description"] == "You have no tickets yet. Find an event with /events."


async def test_a_seoul_ticket_cannot_be_cancelled_shown_or_given_away_from_busan(
    world: World, busan: World
) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    fan = world.fan
    in_busan = joins(busan, fan)
    await world.fund(fan, 500_000)
    await buy(world, fan, seoul_event)
    assert await wallet_of(world, fan) == 401_000

    cancelled = await busan.cancel_ticket(in_busan, 1)
    unknown = await busan.cancel_ticket(in_busan, NO_SUCH_TICKET)
    same_refusal(cancelled, unknown, TICKET_NOT_FOUND)
    shown = await busan.reply(in_busan, "tickets show", ticket=1)
    same_refusal(shown, unknown, TICKET_NOT_FOUND)
    given = await busan.reply(in_busan, "tickets transfer", ticket=1, to=busan.fans[0])
    same_refusal(given, unknown, TICKET_NOT_FOUND)

    # Nothing refunded, nothing freed, nothing moved.
    assert await wallet_of(world, fan) == 401_000
    assert await wallet_of(world, busan.fans[0]) == 0
    async with world.runtime.uow() as uow:
        ticket = await uow.tickets.get(1)
    assert ticket is not None
    assert (ticket.status, ticket.holder_id) == (TicketStatus.ACTIVE, fan.id)
    assert await free_in(world, seoul_event) == {"VIP": 19, "R": 30}
    # In Seoul the ticket is theirs to cancel.
    back = await world.cancel_ticket(fan, 1)
    assert back.content == "Ticket #1 is cancelled and ₩99,000 is back in your wallet."
    assert await wallet_of(world, fan) == 500_000


async def test_organizers_in_busan_get_no_sales_of_a_seoul_event(world: World, busan: World) -> None:
    await world.set_up()
    seoul_event = await world.published_event(title="Seoul Secret Gig")
    await world.fund(world.fan)
    await buy(world, world.fan, seoul_event)

    # Busan's organizer asks for Seoul's sales.
    stats = await busan.reply(busan.organizer, "event stats", event=seoul_event)
    unknown = await busan.reply(busan.organizer, "event stats", event=NO_SUCH_EVENT)
    same_refusal(stats, unknown, EVENT_NOT_FOUND)
    attendees = await busan.reply(busan.organizer, "event attendees", event=seoul_event)
    same_refusal(attendees, unknown, EVENT_NOT_FOUND)

    # The Seoul organizer, an organizer in Busan too, cannot reach their own Seoul event from there.
    organizer = joins(busan, world.organizer, organizer=True)
    own = await busan.reply(organizer, "event stats", event=seoul_event)
    same_refusal(own, unknown, EVENT_NOT_FOUND)
    cancelled = await busan.reply(organizer, "event cancel", event=seoul_event, confirm="Seoul Secret Gig")
    same_refusal(cancelled, unknown, EVENT_NOT_FOUND)
    edited = await busan.reply(organizer, "event edit", event=seoul_event, title="Busan Takeover")
    same_refusal(edited, unknown, EVENT_NOT_FOUND)
    draft = event_id_of(await world.create_event(title="Seoul Draft Night"))
    published = await busan.reply(organizer, "event publish", event=draft)
    same_refusal(published, unknown, EVENT_NOT_FOUND)
    async with world.runtime.uow() as uow:
        event = await uow.events.get(seoul_event)
        still_draft = await uow.events.get(draft)
    assert event is not None and (event.status, event.title) == (EventStatus.PUBLISHED, "Seoul Secret Gig")
    assert still_draft is not None and still_draft.status is EventStatus.DRAFT
    assert world.server.channel_messages(busan.announcements) == []
    # In Seoul, they can.
    seoul_stats = await world.reply(world.organizer, "event stats", event=seoul_event)
    assert seoul_stats.embeds[0]["title"] == "Sales: Seoul Secret Gig"
