"""Domain errors. Each carries a message key so the outer layers can say it in the user's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    key = "error.generic"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class NotFound(DomainError):
    key = "error.not_found"


class EventNotFound(NotFound):
    key = "error.event_not_found"


class HoldNotFound(NotFound):
    key = "error.hold_not_found"


class TicketNotFound(NotFound):
    key = "error.ticket_not_found"


class InvalidInput(DomainError):
    key = "error.invalid_input"


class InvalidQuantity(InvalidInput):
    key = "error.invalid_quantity"


class InvalidAmount(InvalidInput):
    key = "error.invalid_amount"


class InvalidLayout(InvalidInput):
    key = "error.invalid_layout"


class InvalidEvent(InvalidInput):
    key = "error.invalid_event"


class InvalidTransfer(InvalidInput):
    key = "error.invalid_transfer"


class EventNotEditable(DomainError):
    key = "error.event_not_editable"


class SaleNotOpen(DomainError):
    key = "error.sale_not_open"


class SaleClosed(DomainError):
    key = "error.sale_closed"


class SeatUnavailable(DomainError):
    key = "error.seat_unavailable"


class SoldOut(DomainError):
    key = "error.sold_out"


class LimitReached(DomainError):
    key = "error.limit_reached"


class CartExists(DomainError):
    key = "error.cart_exists"


class HoldExpired(DomainError):
    key = "error.hold_expired"


class InsufficientFunds(DomainError):
    key = "error.insufficient_funds"


class NotSoldOut(DomainError):
    """The waitlist is for sold-out events (or sections); this one still has seats to book."""

    key = "error.not_sold_out"


class WaitlistClosed(DomainError):
    key = "error.waitlist_closed"


class AlreadyWaiting(DomainError):
    key = "error.already_waiting"


class NotWaiting(DomainError):
    key = "error.not_waiting"


class RefundClosed(DomainError):
    key = "error.refund_closed"


class NotAllowed(DomainError):
    key = "error.not_allowed"


class NotOrganizer(NotAllowed):
    key = "error.not_organizer"


class NotYourEvent(NotAllowed):
    key = "error.not_your_event"


class TopUpUnavailable(DomainError):
    """No payment provider takes money here (real Discord without a real provider)."""

    key = "error.topup_unavailable"


class PaymentDeclined(DomainError):
    key = "error.payment_declined"


class GuildNotConfigured(DomainError):
    key = "error.guild_not_configured"


class Busy(DomainError):
    """The database kept refusing the transaction (deadlock, failover); the user should try again."""

    key = "error.busy"


class Misconfigured(Exception):
    """Settings that must not run together; the process refuses to start and says why in one line."""


class Retryable(Exception):
    """Raised by a storage adapter when a whole unit of work may safely run again.

    ``reason`` names the kind of refusal for the operators' figures: ``conflict`` (deadlock, lock
    wait, Galera certification), ``connection`` (lost or refused: a failover), ``cluster`` (a node
    that is not part of the primary component) or ``other``."""

    def __init__(self, message: str = "", reason: str = "other") -> None:
        super().__init__(message)
        self.reason = reason


class DuplicateKey(Exception):
    """Raised by a storage adapter when a client key was already used: the work was done before."""
