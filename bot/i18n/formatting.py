"""How numbers and times look to a reader: money in the event's currency, times as Discord timestamps."""

from __future__ import annotations

import functools
from calendar import timegm
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

SYMBOLS = {"KRW": "₩", "USD": "$", "JPY": "¥", "EUR": "€"}
MINOR_UNITS = {"KRW": 0, "JPY": 0, "USD": 2, "EUR": 2}


def money(amount: int, currency: str = "KRW") -> str:
    """₩77,000 — amounts are kept in the currency's smallest unit."""
    digits = MINOR_UNITS.get(currency, 0)
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if amount < 0 else ""
    value = abs(amount) / 10**digits if digits else abs(amount)
    return f"{sign}{symbol}{value:,.{digits}f}"


def unix(moment: datetime) -> int:
    """Seconds since the epoch for a naive UTC datetime."""
    return timegm(moment.utctimetuple())


def stamp(moment: datetime, style: str = "F") -> str:
    """A Discord timestamp: each reader sees it in their own time zone and language."""
    return f"<t:{unix(moment)}:{style}>"


def local(moment: datetime, zone: ZoneInfo) -> str:
    """The time in the server's zone, for places Discord timestamps do not render (files, pictures)."""
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def price_in(currency: str) -> Callable[[int], str]:
    """`money` for one currency, for a picture that writes many prices of the same event."""
    return functools.partial(money, currency=currency)
