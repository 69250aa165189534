"""Rules that hold whatever the Discord client sends: servers apart, who may act, where money comes from
and goes back to, the per-fan limit, an organizer's cancellation carried to the end."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from io import StringIO
from types import TracebackType
from typing import Any

import pytest

from core.caller import Caller
from core.clock import FrozenClock
from core.errors import (
    DomainError,
    EventNotFound,
    HoldNotFound,
    InvalidEvent,
    LimitReached,
    Misconfigured,
    NotAllowed,
    PaymentDeclined,
    TicketNotFound,
    TopUpUnavailable,
)
from core.export import attendees_csv, spreadsheet_safe
from core.ledger import Account
from core.models import Attendee, Event, EventStatus, Ticket, TicketStatus
from core.payments import Charge, ChargeResult, SandboxPayments, payments_for
from core.ports import UnitOfWork
from core.services.booking import (
    ConfirmHold,
    HoldSeats,
    confirm_hold,
    hold_seats,
    open_cart,
    release_hold,
    start_booking,
)
from core.services.commands import commands_changed, commands_synced
from core.services.events import (
    CreateEvent,
    EditEvent,
    create_event,
    edit_event,
    event_details,
    publish_event,
    search_events,
)
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.organizer import (
    cancel_event,
    event_attendees,
    event_stats,
    refund_cancelled_events,
)
from core.services.tickets import (
    CancelTicket,
    TransferTicket,
    cancel_ticket,
    ticket_card,
    ticket_cards,
    transfer_ticket,
)
from core.services.wallet import TopUp, ledger_totals, top_up
from tests.support.builders import (
    GUILD,
    ORGANIZER,
    ORGANIZER_ROLE,
    OTHER_GUILD,
    admin,
    fan,
    fund,
    key,
    on_sale_event,
    organizer,
)
from tests.unit.fakes import FakeUnitOfWork

A, B, C = 7, 8, 9


@pytest.fixture
async def uow() -> AsyncIterator[FakeUnitOfWork]:
    fake = FakeUnitOfWork()
    yield fake
    assert (await ledger_totals(fake)).balanced, "every scenario must leave the ledger balanced"


async def buy(uow: FakeUnitOfWork, clock: FrozenClock, event: Event, user: int, *labels: str) -> list[Ticket]:
    seats = uow.seat_ids(event.id, *labels)
    held = await hold_seats(HoldSeats(event.id, fan(user), key(), seat_ids=seats), uow, clock)
    return (await confirm_hold(ConfirmHold(held.hold.id, fan(user), key()), uow, clock)).tickets


async def refused_without_trace(uow: FakeUnitOfWork, call: Callable[[], Any], error: type[Exception]) -> Any:
    before = uow.snapshot()
    with pytest.raises(error) as refused:
        await call()
    assert uow.snapshot() == before
    return refused.value


# Servers are separate worlds


async def test_another_servers_event_is_not_found_exactly_like_an_unknown_number(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, B, 10_000)
    outsider = fan(B, guild_id=OTHER_GUILD)
    unknown = event.id + 1000

    for call in (
        lambda e: start_booking(e, outsider, uow, clock),
        lambda e: event_details(e, outsider, uow, clock),
        lambda e: hold_seats(HoldSeats(e, outsider, key(), section_id=1, quantity=1), uow, clock),
    ):
        elsewhere = await refused_without_trace(uow, lambda c=call: c(event.id), EventNotFound)
        nowhere = await refused_without_trace(uow, lambda c=call: c(unknown), EventNotFound)
        assert (elsewhere.key, elsewhere.params.keys()) == (nowhere.key, nowhere.params.keys())

    # Named seats of that event are not reachable from the other server either.
    seats = uow.seat_ids(event.id, "R A1")
    hold = HoldSeats(event.id, outsider, key(), seat_ids=seats)
    await refused_without_trace(uow, lambda: hold_seats(hold, uow, clock), EventNotFound)
    # A DM carries no server, so no event is found from one.
    in_dm = fan(B, guild_id=None)
    await refused_without_trace(uow, lambda: start_booking(event.id, in_dm, uow, clock), EventNotFound)


async def test_autocomplete_offers_only_the_callers_servers_events(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    here = await on_sale_event(uow, clock)
    there = await on_sale_event(uow, clock, guild_id=OTHER_GUILD)

    away = fan(A, guild_id=OTHER_GUILD)
    from_here = await search_events(fan(A), "", uow, clock)
    from_there = await search_events(away, "Spring", uow, clock)
    by_number_here = await search_events(fan(A), f"#{here.id}", uow, clock)
    by_number_there = await search_events(away, f"#{here.id}", uow, clock)
    in_dm = await search_events(fan(A, guild_id=None), "Spring", uow, clock)

    assert [e.id for e in from_here] == [here.id]
    assert [e.id for e in from_there] == [there.id]
    assert [e.id for e in by_number_here] == [here.id]
    assert by_number_there == []
    assert in_dm == []


async def test_an_organizer_manages_an_event_only_from_its_own_server(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    # The same member, the same role id, typed in another server where Picket is set up alike.
    elsewhere = organizer(guild_id=OTHER_GUILD)
    await configure_guild(ConfigureGuild(admin(OTHER_GUILD), ORGANIZER_ROLE, None), uow)

    edit = EditEvent(event.id, elsewhere, title="Moved")
    for call in (
        lambda: publish_event(event.id, elsewhere, uow, clock),
        lambda: edit_event(edit, uow, clock),
        lambda: cancel_event(event.id, elsewhere, uow, clock),
        lambda: event_stats(event.id, elsewhere, uow, clock, clock_zone()),
        lambda: event_attendees(event.id, elsewhere, uow),
    ):
        await refused_without_trace(uow, call, EventNotFound)


def clock_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Seoul")


async def test_carts_and_tickets_answer_only_in_their_own_server_or_the_owners_dm(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    other = await on_sale_event(uow, clock, guild_id=OTHER_GUILD)
    await fund(uow, clock, A, 20_000)
    [ticket] = await buy(uow, clock, event, A, "R A1")
    other_seats = uow.seat_ids(other.id, "R A1")
    held = await hold_seats(
        HoldSeats(other.id, fan(A, guild_id=OTHER_GUILD), key(), seat_ids=other_seats), uow, clock
    )
    away, in_dm = fan(A, guild_id=OTHER_GUILD), fan(A, guild_id=None)

    # A cart made in the other server is not paid, shown or released from this one or from a DM.
    for caller in (fan(A), in_dm):
        pay = ConfirmHold(held.hold.id, caller, key())
        await refused_without_trace(uow, lambda c=pay: confirm_hold(c, uow, clock), HoldNotFound)
        await refused_without_trace(
            uow, lambda c=caller: open_cart(held.hold.id, c, uow, clock), HoldNotFound
        )
        await refused_without_trace(
            uow, lambda c=caller: release_hold(held.hold.id, c, uow, clock), HoldNotFound
        )
    # A ticket shows in its own server and in the holder's DMs, never in another server.
    assert [c.ticket.id for c in await ticket_cards(fan(A), uow)] == [ticket.id]
    assert [c.ticket.id for c in await ticket_cards(away, uow)] == []
    assert [c.ticket.id for c in await ticket_cards(in_dm, uow)] == [ticket.id]
    assert (await ticket_card(ticket.id, in_dm, uow)).ticket.id == ticket.id
    await refused_without_trace(uow, lambda: ticket_card(ticket.id, away, uow), TicketNotFound)
    cancel = CancelTicket(ticket.id, away)
    await refused_without_trace(uow, lambda: cancel_ticket(cancel, uow, clock), TicketNotFound)
    # Tickets are given within a server, never from a DM.
    gift = TransferTicket(ticket.id, in_dm, B)
    await refused_without_trace(uow, lambda: transfer_ticket(gift, uow, clock), NotAllowed)


@pytest.mark.parametrize("number", [0, -1, 2**63, 2**80])
async def test_numbers_that_can_name_nothing_are_not_found(
    uow: FakeUnitOfWork, clock: FrozenClock, number: int
) -> None:
    await on_sale_event(uow, clock)
    await refused_without_trace(uow, lambda: start_booking(number, fan(A), uow, clock), EventNotFound)
    await refused_without_trace(uow, lambda: ticket_card(number, fan(A), uow), TicketNotFound)
    pay = ConfirmHold(number, fan(A), key())
    await refused_without_trace(uow, lambda: confirm_hold(pay, uow, clock), HoldNotFound)


# Who may do what is decided in core


async def test_only_a_member_who_manages_the_server_sets_picket_up_and_only_there(
    uow: FakeUnitOfWork,
) -> None:
    plain_member = Caller(A, GUILD, frozenset({ORGANIZER_ROLE}))
    for caller in (plain_member, Caller(A, None, manages_guild=True)):
        setup = ConfigureGuild(caller, ORGANIZER_ROLE, None)
        await refused_without_trace(uow, lambda s=setup: configure_guild(s, uow), NotAllowed)

    saved = await configure_guild(ConfigureGuild(admin(OTHER_GUILD), 55, 66, "ko"), uow)

    assert (saved.guild_id, saved.organizer_role_id, saved.announce_channel_id, saved.locale) == (
        OTHER_GUILD,
        55,
        66,
        "ko",
    )
    assert GUILD not in uow.state.guilds


async def test_a_member_who_lost_the_organizer_role_publishes_and_edits_no_more(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    draft = await create_event(
        CreateEvent(
            caller=organizer(),
            title="Later",
            starts_at=clock.now() + timedelta(days=9),
            sale_opens_at=clock.now(),
            layout="R:A x 1-2 @ 10",
        ),
        uow,
        clock,
    )
    demoted = Caller(ORGANIZER, GUILD, frozenset())

    await refused_without_trace(uow, lambda: publish_event(draft.id, demoted, uow, clock), DomainError)
    edit = EditEvent(event.id, demoted, title="Mine still")
    await refused_without_trace(uow, lambda: edit_event(edit, uow, clock), DomainError)


# Money cannot be made out of thin air


async def test_without_a_payment_provider_no_money_can_be_added(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    topup = TopUp(A, 10_000_000, key())
    await refused_without_trace(uow, lambda: top_up(topup, uow, clock, None), TopUpUnavailable)


class Declining:
    name = "card"
    moves_real_money = True

    def __init__(self) -> None:
        self.charges: list[Charge] = []

    async def charge(self, charge: Charge) -> ChargeResult:
        self.charges.append(charge)
        return ChargeResult(approved=False, reference="", decline_reason="card_expired")


async def test_a_declined_charge_adds_nothing(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    provider = Declining()
    topup = TopUp(A, 5000, "click-1")

    refused = await refused_without_trace(uow, lambda: top_up(topup, uow, clock, provider), PaymentDeclined)

    assert refused.params["reason"] == "card_expired"
    assert provider.charges == [Charge(A, 5000, "KRW", "topup:click-1")]


@pytest.mark.parametrize(
    ("real_discord", "asked", "provider"),
    [
        (False, None, "sandbox"),
        (False, True, "sandbox"),
        (False, False, None),
        (True, None, None),
        (True, False, None),
    ],
)
def test_sandbox_money_exists_only_off_real_discord(
    real_discord: bool, asked: bool | None, provider: str | None
) -> None:
    chosen = payments_for(real_discord=real_discord, sandbox_payments=asked)
    assert (chosen.name if chosen else None) == provider
    assert chosen is None or (isinstance(chosen, SandboxPayments) and not chosen.moves_real_money)


def test_sandbox_payments_on_real_discord_refuse_to_start_with_one_line() -> None:
    with pytest.raises(Misconfigured) as refused:
        payments_for(real_discord=True, sandbox_payments=True)
    assert "SANDBOX_PAYMENTS" in str(refused.value) and "\n" not in str(refused.value)


async def test_a_refund_goes_to_the_wallet_that_paid_not_to_whoever_holds_the_ticket(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await fund(uow, clock, A, 5000)
    [ticket] = await buy(uow, clock, event, A, "R A1")
    await transfer_ticket(TransferTicket(ticket.id, fan(A), B, to_name="bee"), uow, clock)
    assert uow.balance(Account.wallet(A)) == 4000 and uow.balance(Account.wallet(B)) == 0

    refunded = await cancel_ticket(CancelTicket(ticket.id, fan(B)), uow, clock)

    assert (refunded.amount, refunded.buyer_id) == (1000, A)
    assert uow.balance(Account.wallet(A)) == 5000
    assert uow.balance(Account.wallet(B)) == 0
    told = {(m.kind, m.payload["user_id"]) for m in uow.messages()[-2:]}
    assert told == {("ticket_cancelled", B), ("ticket_refunded", A)}


async def test_giving_tickets_away_does_not_give_the_limit_back(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, per_user_limit=2)
    await fund(uow, clock, A, 10_000)
    await fund(uow, clock, B, 10_000)
    first, second = await buy(uow, clock, event, A, "R A1", "R A2")
    for ticket in (first, second):
        await transfer_ticket(TransferTicket(ticket.id, fan(A), B), uow, clock)

    seats = uow.seat_ids(event.id, "R A3")
    again = HoldSeats(event.id, fan(A), key(), seat_ids=seats)
    await refused_without_trace(uow, lambda: hold_seats(again, uow, clock), LimitReached)
    # The receiver's hands are full too: gifts count against what they may buy.
    more = HoldSeats(event.id, fan(B), key(), seat_ids=seats)
    await refused_without_trace(uow, lambda: hold_seats(more, uow, clock), LimitReached)

    # A cancelled ticket gives the count back to whoever bought it.
    await cancel_ticket(CancelTicket(first.id, fan(B)), uow, clock)
    assert (uow.standing(event.id, A).bought, uow.standing(event.id, A).holding) == (1, 0)
    assert (uow.standing(event.id, B).bought, uow.standing(event.id, B).holding) == (0, 1)
    [bought_again] = await buy(uow, clock, event, A, "R A3")
    assert bought_again.buyer_id == A


# An organizer's cancellation is carried to the end


class Crash(Exception):
    """The process stops here, as a kill -9 would; nothing after it runs."""


class CrashAfter:
    """A unit-of-work factory whose transactions stop working after ``commits`` commits."""

    def __init__(self, uow: FakeUnitOfWork, commits: int) -> None:
        self.uow, self.left = uow, commits

    def __call__(self) -> UnitOfWork:
        return _Crashing(self)


class _Crashing:
    def __init__(self, owner: CrashAfter) -> None:
        self._owner = owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._owner.uow, name)

    async def __aenter__(self) -> _Crashing:
        await self._owner.uow.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._owner.uow.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        if self._owner.left == 0:
            raise Crash()
        self._owner.left -= 1
        await self._owner.uow.commit()


async def test_a_cancellation_interrupted_half_way_is_finished_by_the_job_once(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock, per_user_limit=4)
    buyers = {A: ("R A1", "R A2"), B: ("R B1",), C: ("R C1", "R C2", "R C3")}
    for user, labels in buyers.items():
        await fund(uow, clock, user, 10_000)
        await buy(uow, clock, event, user, *labels)
    started = await cancel_event(event.id, organizer(), uow, clock)
    assert (started.to_refund, started.newly) == (6, True)
    assert uow.state.events[event.id].status is EventStatus.CANCELLED
    # Sales stop at once, before any refund.
    await refused_without_trace(uow, lambda: start_booking(event.id, fan(A), uow, clock), DomainError)

    with pytest.raises(Crash):
        await refund_cancelled_events(CrashAfter(uow, commits=2), clock, batch=10)
    assert sum(1 for t in uow.state.tickets.values() if t.status is TicketStatus.ACTIVE) == 4

    [progress] = await refund_cancelled_events(lambda: uow, clock, batch=10)
    again = await refund_cancelled_events(lambda: uow, clock, batch=10)

    assert (progress.refunded, progress.left, progress.done) == (4, 0, True)
    assert again == []
    assert uow.state.events[event.id].refunds_done_at == clock.now()
    assert {u: uow.balance(Account.wallet(u)) for u in buyers} == {A: 10_000, B: 10_000, C: 10_000}
    assert uow.balance(Account.payable(ORGANIZER)) == 0
    told = sorted(m.payload["ticket_id"] for m in uow.messages() if m.kind == "event_cancelled")
    assert told == sorted(uow.state.tickets)


async def test_refunds_of_a_cancelled_event_speak_the_servers_language(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    await configure_guild(ConfigureGuild(admin(), ORGANIZER_ROLE, None, "ko"), uow)
    await fund(uow, clock, A, 5000)
    await buy(uow, clock, event, A, "R A1")
    await cancel_event(event.id, organizer(), uow, clock)

    await refund_cancelled_events(lambda: uow, clock)

    [note] = [m for m in uow.messages() if m.kind == "event_cancelled"]
    assert note.payload["locale"] == "ko"


# Files and text that leave Picket are safe


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+SUM(1)", "'+SUM(1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("민지", "민지"),
        ("a=b", "a=b"),
    ],
)
def test_attendee_cells_never_become_formulas(name: str, cell: str) -> None:
    attendee = Attendee(1, 2, 3, name, "R A1", 1000, TicketStatus.ACTIVE, datetime(2030, 1, 1, 12))

    rows = list(csv.reader(StringIO(attendees_csv([attendee]).decode("utf-8-sig"))))

    assert rows[1][4] == cell == spreadsheet_safe(name)
    assert all(not c.startswith(("=", "+", "-", "@", "\t")) for row in rows for c in row)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"title": "Rock\x00Night"}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"venue": "v" * 101}, "venue"),
        ({"venue": "Hall\nB"}, "venue"),
        ({"description": "d" * 1001}, "description"),
        ({"description": "bell\x07"}, "description"),
        ({"starts_at": timedelta(days=6 * 365)}, "too_far"),
        ({"sale_opens_at": timedelta(days=-3)}, "sale_in_past"),
        ({"refund_cutoff_hours": -1}, "refund_cutoff"),
    ],
)
async def test_free_text_and_times_have_limits(
    uow: FakeUnitOfWork, clock: FrozenClock, changes: dict[str, Any], reason: str
) -> None:
    await on_sale_event(uow, clock)
    values: dict[str, Any] = {
        "title": "Spring",
        "starts_at": clock.now() + timedelta(days=30),
        "sale_opens_at": clock.now(),
        "layout": "R:A x 1-2 @ 10",
    }
    values.update({k: clock.now() + v if isinstance(v, timedelta) else v for k, v in changes.items()})
    create = CreateEvent(caller=organizer(), **values)

    refused = await refused_without_trace(uow, lambda: create_event(create, uow, clock), InvalidEvent)

    assert refused.params["reason"] == reason


async def test_a_description_keeps_its_lines(uow: FakeUnitOfWork, clock: FrozenClock) -> None:
    await on_sale_event(uow, clock)
    text = "First line\n\tSecond line"
    create = CreateEvent(
        caller=organizer(),
        title="Lines",
        description=text,
        starts_at=clock.now() + timedelta(days=3),
        sale_opens_at=clock.now(),
        layout="R:A x 1-2 @ 10",
    )
    assert (await create_event(create, uow, clock)).description == text


# Good manners on real Discord


async def test_commands_are_sent_again_only_when_they_change(uow: FakeUnitOfWork) -> None:
    assert await commands_changed(1, "abc", uow)
    await commands_synced(1, "abc", uow)
    assert not await commands_changed(1, "abc", uow)
    assert await commands_changed(1, "abd", uow)
    # Another application sharing the database keeps its own record.
    assert await commands_changed(2, "abc", uow)


async def test_forged_booking_requests_are_refused_with_the_right_words(
    uow: FakeUnitOfWork, clock: FrozenClock
) -> None:
    event = await on_sale_event(uow, clock)
    other = await on_sale_event(uow, clock)
    await fund(uow, clock, A, 100_000)
    seat = uow.seat_ids(event.id, "R A1")[0]
    foreign_section = (await event_details(other.id, fan(A), uow, clock)).sections[0].section_id
    cases: list[tuple[HoldSeats, str]] = [
        (HoldSeats(event.id, fan(A), key(), section_id=foreign_section, quantity=11), "too_many"),
        (HoldSeats(event.id, fan(A), key(), seat_ids=(seat, seat)), "same_seat_twice"),
        (HoldSeats(event.id, fan(A), key(), section_id=foreign_section, quantity=1), "no_section"),
        (HoldSeats(event.id, fan(A), key(), quantity=1), "no_section"),
    ]
    for hold, reason in cases:
        refused = await refused_without_trace(uow, lambda h=hold: hold_seats(h, uow, clock), DomainError)
        assert refused.params.get("reason") == reason
    [ticket] = await buy(uow, clock, event, A, "R A1")
    gift = TransferTicket(ticket.id, fan(A), 0)
    refused = await refused_without_trace(uow, lambda: transfer_ticket(gift, uow, clock), DomainError)
    assert refused.params["reason"] == "receiver"
