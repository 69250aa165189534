"""Every command's options, fuzzed through the core services.

Whatever a member types, and whatever digits a forged custom id carries, a service either answers or
refuses with a domain error whose message the member can read; a refusal leaves nothing stored.

Each example runs on its own copy of one small world (a configured server, events on sale, funded fans
with carts and tickets). Ids are drawn half from that world's rows, so the rules behind each lookup
run, and half from any integer. Options are drawn a few wild and the rest plausible, for the same
reason. The in-memory fake keeps any Python int, where the databases bind signed 64-bit integers
(SQLite raises OverflowError beyond them, MariaDB refuses them), so every repository call is checked
here the same way.

``pytest tests/unit/test_fuzz.py --hypothesis-show-statistics`` shows how far the examples get.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from enum import Enum
from string import Formatter
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st

from bot.i18n import catalog, has, t
from core.caller import Caller
from core.clock import FrozenClock
from core.errors import DomainError, InvalidAmount, InvalidEvent
from core.layout import parse_layout
from core.models import CATEGORIES, EventQuery
from core.payments import SandboxPayments
from core.services.booking import (
    ConfirmHold,
    HoldSeats,
    confirm_hold,
    hold_seats,
    open_cart,
    release_hold,
    start_booking,
)
from core.services.events import (
    CreateEvent,
    EditEvent,
    check_seating,
    create_event,
    edit_event,
    event_details,
    list_events,
    publish_event,
    search_events,
)
from core.services.guilds import ConfigureGuild, configure_guild
from core.services.organizer import cancel_event, event_attendees, event_stats
from core.services.tickets import CancelTicket, TransferTicket, cancel_ticket, ticket_card, transfer_ticket
from core.services.wallet import TopUp, top_up
from core.timeparse import parse_local, parse_local_until
from tests.support.builders import (
    ADMIN,
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
from tests.unit.fakes import FakeUnitOfWork, State

T = TypeVar("T")

T0 = datetime(2030, 5, 1, 12, 0)
FAN = 7  # has tickets for every event on sale, and an open cart for the seated one
OTHER_FAN = 8  # has a ticket and an open cart of their own
NEW_FAN = 9  # funded, nothing bought yet: the way to the rules behind "you already have a cart"
BROKE_FAN = 10  # no money at all
LAYOUT = "VIP:A x 1-4 @ 5000; R:B-C x 1-6 @ 1000"

FUZZ = settings(
    max_examples=150,
    deadline=None,
    # Examples are not replayed from disk: the module must leave nothing behind in the repository.
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# The databases' integers: what every repository call may carry.

DB_MIN, DB_MAX = -(2**63), 2**63 - 1
REPOSITORIES = (
    "guilds",
    "events",
    "seats",
    "general_admission",
    "holds",
    "fans",
    "orders",
    "tickets",
    "ledger",
    "outbox",
    "app_state",
)


def _unbindable(value: object) -> int | None:
    """The first integer in ``value`` that no BIGINT column or parameter can take."""
    if isinstance(value, bool | str | bytes | datetime | timedelta | Enum) or value is None:
        return None
    if isinstance(value, int):
        return None if DB_MIN <= value <= DB_MAX else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        items: list[object] = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return None
    return next((found for found in map(_unbindable, items) if found is not None), None)


class _DatabaseBound:
    """One fake repository whose calls fail as SQLite's would when an argument holds an integer
    beyond 64 bits, instead of storing or looking up a number no database can hold."""

    def __init__(self, repository: object, name: str) -> None:
        self._repository = repository
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        found = getattr(self._repository, attribute)
        if not inspect.iscoroutinefunction(found):
            return found

        @functools.wraps(found)
        async def bound(*args: Any, **kwargs: Any) -> Any:
            wide = _unbindable([*args, *kwargs.values()])
            if wide is not None:
                raise OverflowError(f"{self._name}.{attribute}: {wide} is too large for a database integer")
            return await found(*args, **kwargs)

        return bound


class BoundUnitOfWork(FakeUnitOfWork):
    def __init__(self, state: State) -> None:
        super().__init__()
        self.state = copy.deepcopy(state)
        for name in REPOSITORIES:
            setattr(self, name, _DatabaseBound(getattr(self, name), name))


# The world every example starts from.


@dataclasses.dataclass(frozen=True)
class World:
    seated: int
    general: int
    draft: int
    elsewhere: int  # on sale in another server
    cart: int  # FAN's open hold on the seated event
    other_cart: int
    tickets: tuple[int, ...]  # FAN's
    other_ticket: int


async def _build() -> tuple[State, World]:
    uow, clock = FakeUnitOfWork(), FrozenClock(T0)
    seated = await on_sale_event(uow, clock, layout=LAYOUT)
    general = await on_sale_event(uow, clock, layout=None, ga_capacity=6, ga_price=3000)
    draft = await create_event(
        CreateEvent(organizer(), "Autumn Draft", T0 + timedelta(days=60), T0 + timedelta(days=1), LAYOUT),
        uow,
        clock,
    )
    elsewhere = await on_sale_event(uow, clock, layout=LAYOUT, guild_id=OTHER_GUILD)
    for user_id in (FAN, OTHER_FAN, NEW_FAN):
        await fund(uow, clock, user_id, 100_000)

    async def buy(caller: Caller, event_id: int, *labels: str, quantity: int = 0) -> tuple[int, ...]:
        seat_ids = uow.seat_ids(event_id, *labels)
        held = await hold_seats(HoldSeats(event_id, caller, key(), seat_ids, quantity=quantity), uow, clock)
        order = await confirm_hold(ConfirmHold(held.hold.id, caller, key()), uow, clock)
        return tuple(ticket.id for ticket in order.tickets)

    tickets = (
        *await buy(fan(FAN), seated.id, "VIP A1", "VIP A2"),
        *await buy(fan(FAN), general.id, quantity=1),
        *await buy(fan(FAN, OTHER_GUILD), elsewhere.id, "R B1"),
    )
    (other_ticket,) = await buy(fan(OTHER_FAN), seated.id, "R C6")
    cart = await hold_seats(
        HoldSeats(seated.id, fan(FAN), key(), uow.seat_ids(seated.id, "R B3")), uow, clock
    )
    other_cart = await hold_seats(HoldSeats(general.id, fan(OTHER_FAN), key(), quantity=2), uow, clock)
    world = World(
        seated.id, general.id, draft.id, elsewhere.id, cart.hold.id, other_cart.hold.id, tickets, other_ticket
    )
    return uow.snapshot(), world


@functools.cache
def _template() -> tuple[State, World]:
    # Built once and copied per example: building it through the services costs far more than a copy.
    return asyncio.run(_build())


def run(scenario: Callable[[BoundUnitOfWork, FrozenClock, World], Coroutine[Any, Any, None]]) -> None:
    """One example: a fresh unit of work on a copy of the world, and a clock at the world's now."""
    state, world = _template()
    asyncio.run(scenario(BoundUnitOfWork(state), FrozenClock(T0), world))


# What a refusal must be.


def _placeholders(template: str) -> set[str]:
    # `{/command}` names a command and is always filled in, in the reader's language.
    return {field for _, field, _, _ in Formatter().parse(template) if field and not field.startswith("/")}


def assert_readable(error: DomainError) -> None:
    """The member reads the reason's own sentence when there is one, else the error's: it must exist
    and have every ``{placeholder}`` filled, or the member reads a key or a brace."""
    assert has(error.key), f"{error!r}: {error.key!r} has no English message"
    assert t(error.key, "en", **error.params) != error.key
    reason = error.params.get("reason")
    specific = f"{error.key}.{reason}"
    shown = specific if reason is not None and has(specific) else error.key
    unfilled = _placeholders(catalog("en")[shown]) - set(error.params)
    assert not unfilled, f"{error!r}: {shown!r} would show {sorted(unfilled)} unfilled"


def _described(answer: object) -> str:
    if isinstance(answer, DomainError):
        reason = answer.params.get("reason")
        return f"refused: {answer.key}" + (f".{reason}" if reason is not None else "")
    return "answered"


async def outcome(uow: FakeUnitOfWork, call: Awaitable[T], *, read_only: bool = False) -> T | DomainError:
    """Runs one service call (anything but a domain error propagates and fails the example) and
    returns its answer or its refusal, after checking the refusal left nothing stored."""
    before = uow.snapshot()
    try:
        answer: T | DomainError = await call
    except DomainError as refusal:
        assert_readable(refusal)
        assert uow.snapshot() == before, f"refused with {refusal!r}, yet the stored state changed"
        answer = refusal
    if read_only:
        assert uow.snapshot() == before, "a read-only command changed the stored state"
    if currently_in_test_context():
        # --hypothesis-show-statistics then shows how far the examples got: answers, and which refusals.
        event(_described(answer))
    assert uow.state.totals().balanced, "the ledger no longer balances"
    return answer


# What members and forged custom ids can send.

TRICKY = [
    "@everyone",
    "@here",
    "<@123>",
    "<@&77>",
    "<#1>",
    "**",
    "__",
    "~~",
    "||",
    "`",
    "```",
    "\\",
    "%",
    "_",
    "{",
    "}",
    "{event}",
    "{0}",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\n",
    "\r\n",
    "\t",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",
    "\ufeff",
    "\u3000",
    "\ud800",  # lone surrogates: no encoding can keep them
    "\udfff",
    "🎫",
    "👩\u200d👩\u200d👧",
    "ﷺ",
    "e\u0301",
    "#",
    "#1",
    "#007",
    "#99999999999999999999",
    "１２",
    "١٢",
    "²",
    ";",
    ":",
    "@",
    "-",
    "x",
    "VIP:A-B x 1-10 @ 99000",
    "2026-12-24 19:30",
    "9999-12-31",
    "0001-01-01 00:00",
]


def either(plausible: st.SearchStrategy[T], wild: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """Half plausible, half wild. (``one_of`` would flatten the wild strategies' own ``one_of`` and
    weigh each of their branches like the plausible one, leaving too few examples that get far.)"""
    return st.booleans().flatmap(lambda wild_one: wild if wild_one else plausible)


ANY_CHAR = st.characters(exclude_categories=())  # surrogates and control characters included
_piece = st.one_of(st.sampled_from(TRICKY), st.text(ANY_CHAR, max_size=8))
WILD_TEXT = st.one_of(
    st.text(ANY_CHAR),
    st.lists(_piece, max_size=8).map("".join),
    # Long ones, cheaply: limits sit at 100 and 1000 characters.
    st.tuples(_piece.filter(bool), st.integers(20, 1200)).map(lambda p: (p[0] * p[1])[: p[1]]),
)
LAYOUTISH = st.lists(
    st.sampled_from(["VIP", "R", "S", "  ", ":", "A", "C", "Z", "a", "-", "x", "X", "×", "1", "10", "0"])
    | st.sampled_from(["9999", "12345", "@", "99000", "1,000", "1_0", "0" * 13, ";", "\n", "١", "𝟏", "\x00"]),
    max_size=30,
).map("".join)
_letter = st.sampled_from("ABCXYZabz")
# Layouts that mostly get past the syntax, so the checks behind it (row and seat order, prices,
# repeated names and rows, too many sections or seats) run too.
_section = st.builds(
    "{}:{} {} {}-{} @ {}".format,
    either(st.sampled_from(["VIP", "R", "S", "vip", " "]), st.text(ANY_CHAR, max_size=26)),
    st.one_of(_letter, st.builds("{}-{}".format, _letter, _letter)),
    st.sampled_from("xX×"),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    either(st.integers(0, 10_000_000), st.integers(0, 10**12)).map(lambda p: f"{p:,}"),
)
LAYOUTS = st.lists(_section, min_size=1, max_size=22).map(";".join)

EDGES = [0, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 2**70, -(2**63), -(2**63) - 1, 10**19]
WILD_INT = st.one_of(
    st.integers(-3, 12),
    st.sampled_from(EDGES),
    st.integers(-(2**70), 2**70),
    st.integers(),
)

# The world's rows, as test_the_world_has_the_rows_the_strategies_name checks.
EVENTS, HOLDS, TICKETS, SECTIONS, SEATS = range(1, 5), range(1, 7), range(1, 6), range(1, 7), range(1, 49)


def ids(real: range) -> st.SearchStrategy[int]:
    """A row of the world half of the time, so the rules behind the lookup run; else any integer."""
    return either(st.sampled_from(real), WILD_INT)


WILD_TIME = st.one_of(
    st.datetimes(),  # anywhere in datetime's range, naive
    st.sampled_from([datetime.min, datetime.max]),
    st.timedeltas(timedelta(days=-3), timedelta(days=6 * 365)).map(lambda d: T0 + d),
)
SOON = st.timedeltas(timedelta(hours=1), timedelta(days=1000)).map(lambda d: T0 + d)


def named(callers: list[Caller]) -> st.SearchStrategy[Caller]:
    """Members as Discord describes them, under any display name."""
    return st.builds(
        lambda caller, name: dataclasses.replace(caller, name=name),
        st.sampled_from(callers),
        either(st.just("Minji"), WILD_TEXT),
    )


FANS = named(
    [
        fan(FAN),
        fan(FAN, None),  # in a DM
        fan(FAN, OTHER_GUILD),
        fan(FAN, 3),  # a server Picket was never set up in
        fan(OTHER_FAN),
        fan(NEW_FAN),
        fan(BROKE_FAN),
        organizer(),
    ]
)
ORGANIZERS = st.sampled_from(
    [
        organizer(),
        organizer(guild_id=OTHER_GUILD),
        organizer(user_id=ORGANIZER + 50),  # holds the role, organizes none of these events
        Caller(ORGANIZER, None, frozenset({ORGANIZER_ROLE})),
        Caller(ORGANIZER, GUILD),  # lost the role
        fan(FAN),
        admin(),
    ]
)


@st.composite
def options(
    draw: st.DrawFn, plausible: dict[str, st.SearchStrategy[Any]], wild: dict[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """A few options drawn wild, the others plausible: inputs wild throughout would all be refused by
    the first check and never reach the rules behind it."""
    wild_ones = draw(st.sets(st.sampled_from(sorted(wild)), max_size=3))
    return {name: draw(wild[name] if name in wild_ones else plausible[name]) for name in plausible}


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), strategy)


# /event create


def _create(fields: dict[str, Any]) -> CreateEvent:
    layout, ga_capacity, ga_price = fields["seating"]
    others = {name: value for name, value in fields.items() if name != "seating"}
    return CreateEvent(**others, layout=layout, ga_capacity=ga_capacity, ga_price=ga_price)


CREATE_EVENT = options(
    {
        "caller": st.just(organizer()),
        "title": st.sampled_from(["Spring Concert", "  봄 콘서트 2030 "]),
        "description": st.sampled_from(["", "Songs.\nDoors open at 6.\tBring a coat."]),
        "venue": st.sampled_from(["", "Olympic Hall"]),
        "category": st.sampled_from(CATEGORIES),
        # Seating is one choice: a layout, or a general-admission capacity and its price.
        "seating": st.sampled_from([(LAYOUT, None, None), (None, 100, 5000), (None, 1, 0)]),
        "per_user_limit": st.integers(1, 10),
        "hold_minutes": st.integers(1, 30),
        "refund_cutoff_hours": st.integers(0, 720),
        "starts_at": SOON,
        "sale_opens_at": st.timedeltas(timedelta(hours=-23), timedelta(0)).map(lambda d: T0 + d),
        "use_queue": st.booleans(),
    },
    {
        "caller": ORGANIZERS,
        "title": WILD_TEXT,
        "description": WILD_TEXT,
        "venue": WILD_TEXT,
        "category": st.one_of(st.sampled_from([c.upper() for c in CATEGORIES]), WILD_TEXT),
        "seating": st.tuples(
            optional(st.one_of(WILD_TEXT, LAYOUTS, LAYOUTISH, st.just(LAYOUT))),
            optional(WILD_INT),
            optional(WILD_INT),
        ),
        "per_user_limit": WILD_INT,
        "hold_minutes": WILD_INT,
        "refund_cutoff_hours": WILD_INT,
        "starts_at": WILD_TIME,
        "sale_opens_at": WILD_TIME,
    },
).map(_create)


def _create_scenario(cmd: CreateEvent) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, create_event(cmd, uow, clock))

    run(scenario)


@FUZZ
@given(cmd=CREATE_EVENT)
@example(cmd=CreateEvent(organizer(), "Spring Concert", T0 + timedelta(days=30), T0, LAYOUT, ga_price=2**63))
def test_create_event_refuses_cleanly(cmd: CreateEvent) -> None:
    _create_scenario(cmd)


# /event edit

EDIT_EVENT = options(
    {
        "event_id": st.sampled_from([1, 2, 3, 3]),  # the draft (3) has sold nothing, so all of it may change
        "caller": st.just(organizer()),
        "title": optional(st.just("New Title")),
        "description": optional(st.just("New words.\nMore.")),
        "venue": optional(st.just("Arena")),
        "category": optional(st.sampled_from(CATEGORIES)),
        "starts_at": optional(SOON),
        "sale_opens_at": optional(st.timedeltas(timedelta(0), timedelta(days=3)).map(lambda d: T0 + d)),
        "per_user_limit": optional(st.integers(1, 10)),
    },
    {
        "event_id": WILD_INT,
        "caller": ORGANIZERS,
        "title": WILD_TEXT,
        "description": WILD_TEXT,
        "venue": WILD_TEXT,
        "category": WILD_TEXT,
        "starts_at": WILD_TIME,
        "sale_opens_at": WILD_TIME,
        "per_user_limit": WILD_INT,
    },
).map(lambda fields: EditEvent(**fields))


@FUZZ
@given(cmd=EDIT_EVENT)
def test_edit_event_refuses_cleanly(cmd: EditEvent) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, edit_event(cmd, uow, clock))

    run(scenario)


# /events

EVENT_QUERY = options(
    {
        "guild_id": st.sampled_from([GUILD, OTHER_GUILD, 3]),  # the interaction's, never typed
        "category": optional(st.sampled_from(CATEGORIES)),
        "keyword": optional(st.sampled_from(["spring", "HALL", "  "])),
        "starts_from": optional(st.just(T0)),
        "starts_to": optional(SOON),
        "offset": st.sampled_from([0, 5, 10]),
        "limit": st.sampled_from([5, 25]),
    },
    {
        "category": WILD_TEXT,
        "keyword": WILD_TEXT,
        "starts_from": WILD_TIME,
        "starts_to": WILD_TIME,
        "offset": WILD_INT,
        "limit": WILD_INT,
    },
).map(lambda fields: EventQuery(**fields))


def _list_scenario(query: EventQuery) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, list_events(query, uow, clock), read_only=True)

    run(scenario)


@FUZZ
@given(query=EVENT_QUERY)
@example(query=EventQuery(GUILD, offset=2**63))
def test_list_events_refuses_cleanly(query: EventQuery) -> None:
    _list_scenario(query)


# /book and /event show: autocomplete, the event's page, the start of booking


@FUZZ
@given(caller=FANS, typed=st.one_of(WILD_TEXT, st.sampled_from(TRICKY), st.integers().map(str)))
def test_search_events_never_refuses_and_finds_only_this_servers_events(caller: Caller, typed: str) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        before = uow.snapshot()
        # Autocomplete answers whatever was typed: not even a domain error may come out.
        found = await search_events(caller, typed, uow, clock)
        assert len(found) <= 25 and all(e.guild_id == caller.guild_id for e in found)
        assert uow.snapshot() == before
        event(f"found {len(found)}")

    run(scenario)


@FUZZ
@given(event_id=ids(EVENTS), caller=FANS)
def test_event_details_refuses_cleanly(event_id: int, caller: Caller) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, event_details(event_id, caller, uow, clock), read_only=True)

    run(scenario)


@FUZZ
@given(event_id=ids(EVENTS), caller=FANS)
def test_start_booking_refuses_cleanly(event_id: int, caller: Caller) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, start_booking(event_id, caller, uow, clock), read_only=True)

    run(scenario)


# Holding seats: named seats, best available in a section, or general-admission places

HOLD_SEATS = options(
    {
        # Mostly the seated event (1), its own seats (1-16) and sections (1-2), as its seat map offers
        # them, for fans of its server: else nearly every example stops at "no such event".
        "event_id": st.sampled_from([1, 1, 2, 3, 4]),
        "caller": st.sampled_from([fan(NEW_FAN), fan(NEW_FAN), fan(FAN), fan(OTHER_FAN), fan(BROKE_FAN)]),
        "seat_ids": st.one_of(
            st.just(()),
            st.lists(st.integers(1, 16), min_size=1, max_size=4, unique=True).map(tuple),
            st.lists(st.sampled_from(SEATS), min_size=1, max_size=4, unique=True).map(tuple),
        ),
        "section_id": optional(st.sampled_from([1, 2, 1, 2, *SECTIONS])),
        "quantity": st.integers(1, 4),
    },
    {
        "event_id": WILD_INT,
        "caller": FANS,
        "seat_ids": st.lists(ids(SEATS), max_size=12).map(tuple),
        "section_id": WILD_INT,
        "quantity": WILD_INT,
    },
)


@FUZZ
@given(fields=HOLD_SEATS)
def test_hold_seats_refuses_cleanly(fields: dict[str, Any]) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, hold_seats(HoldSeats(client_key=key("hold"), **fields), uow, clock))

    run(scenario)


HOLD_IDS = ids(HOLDS)


@FUZZ
@given(hold_id=HOLD_IDS, caller=FANS, locale=st.sampled_from(["en", "ko"]))
def test_confirm_hold_refuses_cleanly(hold_id: int, caller: Caller, locale: str) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, confirm_hold(ConfirmHold(hold_id, caller, key("pay"), locale), uow, clock))

    run(scenario)


@FUZZ
@given(hold_id=HOLD_IDS, caller=FANS)
def test_release_hold_refuses_cleanly(hold_id: int, caller: Caller) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, release_hold(hold_id, caller, uow, clock))

    run(scenario)


@FUZZ
@given(hold_id=HOLD_IDS, caller=FANS)
def test_open_cart_refuses_cleanly(hold_id: int, caller: Caller) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, open_cart(hold_id, caller, uow, clock), read_only=True)

    run(scenario)


# /tickets

TICKET_IDS = ids(TICKETS)


@FUZZ
@given(ticket_id=TICKET_IDS, caller=FANS, locale=st.sampled_from(["en", "ko"]))
def test_cancel_ticket_refuses_cleanly(ticket_id: int, caller: Caller, locale: str) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, cancel_ticket(CancelTicket(ticket_id, caller, locale), uow, clock))

    run(scenario)


@FUZZ
@given(
    ticket_id=TICKET_IDS,
    caller=FANS,
    to_user=either(st.sampled_from([FAN, OTHER_FAN, NEW_FAN, BROKE_FAN, ORGANIZER]), WILD_INT),
    to_is_bot=st.sampled_from([False, False, False, True]),
    to_name=either(st.just("Alex"), WILD_TEXT),
)
def test_transfer_ticket_refuses_cleanly(
    ticket_id: int, caller: Caller, to_user: int, to_is_bot: bool, to_name: str
) -> None:
    cmd = TransferTicket(ticket_id, caller, to_user, to_is_bot, to_name, "en")

    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, transfer_ticket(cmd, uow, clock))

    run(scenario)


@FUZZ
@given(ticket_id=TICKET_IDS, caller=FANS)
def test_ticket_card_refuses_cleanly(ticket_id: int, caller: Caller) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, ticket_card(ticket_id, caller, uow), read_only=True)

    run(scenario)


# /wallet topup


@FUZZ
@given(
    user_id=st.sampled_from([FAN, BROKE_FAN, 11]),
    amount=either(st.integers(1, 10_000_000), WILD_INT),
    provider=st.sampled_from([SandboxPayments(), None]),
)
def test_top_up_refuses_cleanly(user_id: int, amount: int, provider: SandboxPayments | None) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, top_up(TopUp(user_id, amount, key("topup")), uow, clock, provider))

    run(scenario)


# /picket setup


@FUZZ
@given(
    caller=st.sampled_from(
        [
            admin(),
            admin(OTHER_GUILD),
            admin(3),
            Caller(ADMIN, None, manages_guild=True),
            fan(FAN),
            organizer(),
        ]
    ),
    role_id=either(st.just(ORGANIZER_ROLE), WILD_INT),
    channel_id=optional(WILD_INT),
    locale=either(st.sampled_from(["en", "ko", "en-US", "ko-KR"]), WILD_TEXT),
)
def test_configure_guild_refuses_cleanly(
    caller: Caller, role_id: int, channel_id: int | None, locale: str
) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        await outcome(uow, configure_guild(ConfigureGuild(caller, role_id, channel_id, locale), uow))

    run(scenario)


# What organizers do with one event: publish, cancel, stats, attendees


@FUZZ
@given(
    event_id=ids(EVENTS),
    caller=ORGANIZERS,
    command=st.sampled_from(["publish", "cancel", "stats", "attendees"]),
)
def test_organizer_commands_refuse_cleanly(event_id: int, caller: Caller, command: str) -> None:
    async def scenario(uow: BoundUnitOfWork, clock: FrozenClock, world: World) -> None:
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "publish": lambda: publish_event(event_id, caller, uow, clock),
            "cancel": lambda: cancel_event(event_id, caller, uow, clock),
            "stats": lambda: event_stats(event_id, caller, uow, clock, ZoneInfo("Asia/Seoul")),
            "attendees": lambda: event_attendees(event_id, caller, uow),
        }
        await outcome(uow, calls[command](), read_only=command in ("stats", "attendees"))

    run(scenario)


# The parsers behind the typed options


def _parsed(parse: Callable[[], object]) -> None:
    try:
        answer = parse()
    except DomainError as refusal:
        assert_readable(refusal)
        answer = refusal
    event(_described(answer))


@FUZZ
@given(text=st.one_of(LAYOUTS, LAYOUTISH, WILD_TEXT, st.just(LAYOUT)))
def test_parse_layout_refuses_cleanly(text: str) -> None:
    _parsed(lambda: parse_layout(text))


@FUZZ
@given(
    layout=optional(st.one_of(LAYOUTS, LAYOUTISH, WILD_TEXT)),
    capacity=optional(WILD_INT),
    price=optional(WILD_INT),
)
def test_check_seating_refuses_cleanly(layout: str | None, capacity: int | None, price: int | None) -> None:
    _parsed(lambda: check_seating(layout, capacity, price))


DATEISH = st.lists(
    st.sampled_from(["2026", "0000", "0001", "9999", "10000", "-", ".", "/", " ", "T", "1", "12", "13", "31"])
    | st.sampled_from(["0", "24", "23", ":", "59", "60", "99", "١", "𝟏", "\n", "\x00", "24:00"]),
    max_size=12,
).map("".join)
# Dates in the accepted shape, with every part anywhere from nonsense to the calendar's own edges.
DATES = st.builds(
    "{:04d}{}{}{}{}{}".format,
    st.one_of(st.integers(0, 9999), st.sampled_from([1, 9999])),
    st.sampled_from("-./"),
    st.integers(0, 13),
    st.sampled_from("-./"),
    st.integers(0, 32),
    st.one_of(st.just(""), st.builds(" {}:{:02d}".format, st.integers(0, 25), st.integers(0, 61))),
)


@FUZZ
@given(
    text=st.one_of(DATES, DATEISH, WILD_TEXT, st.sampled_from(TRICKY)),
    zone=st.sampled_from(["Asia/Seoul", "UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Etc/GMT+12"]),
    default_hour=st.integers(0, 23),
)
def test_parse_local_refuses_cleanly(text: str, zone: str, default_hour: int) -> None:
    _parsed(lambda: parse_local(text, ZoneInfo(zone), default_hour=default_hour))
    _parsed(lambda: parse_local_until(text, ZoneInfo(zone)))


def test_the_world_has_the_rows_the_strategies_name() -> None:
    state, world = _template()
    assert (world.seated, world.general, world.draft, world.elsewhere) == tuple(EVENTS)
    assert {world.cart, world.other_cart} <= set(HOLDS) and max(state.holds) == HOLDS[-1]
    assert {*world.tickets, world.other_ticket} == set(TICKETS)
    assert set(state.sections) == set(SECTIONS) and set(state.seats) == set(SEATS)
    assert {s.id for s in state.seats.values() if s.event_id == world.seated} == set(range(1, 17))


# The check itself can fail: these are the failures the properties above would report.


async def test_the_check_fails_on_a_raw_error_an_unworded_refusal_and_a_refusal_that_left_changes() -> None:
    uow = BoundUnitOfWork(State())

    async def raising(error: Exception) -> None:
        raise error

    class Unworded(DomainError):
        key = "error.no_such_message"

    async def refused_after_storing() -> None:
        async with uow:
            await uow.app_state.put("left", "behind")
            await uow.commit()
        raise InvalidEvent(reason="title")

    async def beyond_64_bits() -> None:
        async with uow:
            await uow.events.get(2**63)

    with pytest.raises(ValueError):
        await outcome(uow, raising(ValueError("not a domain error")))
    with pytest.raises(AssertionError, match="no English message"):
        await outcome(uow, raising(Unworded()))
    with pytest.raises(AssertionError, match="unfilled"):
        await outcome(uow, raising(InvalidAmount(amount=0)))  # its sentence quotes {maximum}
    with pytest.raises(AssertionError, match="stored state changed"):
        await outcome(uow, refused_after_storing())
    with pytest.raises(OverflowError):
        await outcome(uow, beyond_64_bits())
    assert isinstance(await outcome(uow, raising(InvalidEvent(reason="title"))), InvalidEvent)
