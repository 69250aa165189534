"""Turns outbox notices into Discord DMs: tickets with their QR code and calendar file, refund notes."""

from cogs.notifications._delivery import DiscordDeliverer, deliver_now

__all__ = ["DiscordDeliverer", "deliver_now"]
