"""A local server that speaks Discord's gateway and REST API well enough for the real discord.py.

Picket's end-to-end tests and `python -m bot sandbox` run the bot against it: it holds guilds, members
and channels, lets a test act as users (slash commands, autocomplete, buttons, selects, modals), records
what the bot sent (messages, embeds, files, DMs), and enforces Discord's documented rules, recording
every breach as a violation.
"""

from ._config import Clock, DevServerConfig, ManualClock, RouteLimit, SystemClock
from ._discordpy import point_discord_py_at
from ._errors import ActionRefused, BotNotConnected
from ._interactions import InteractionResult, Modal, ModalField, wait_for_messages
from ._model import Attachment, Channel, Guild, Member, Message, MessageRevision, Role, User, Violation
from ._server import DevServer
from ._signal import WaitTimeout

__all__ = [
    "ActionRefused",
    "Attachment",
    "BotNotConnected",
    "Channel",
    "Clock",
    "DevServer",
    "DevServerConfig",
    "Guild",
    "InteractionResult",
    "ManualClock",
    "Member",
    "Message",
    "MessageRevision",
    "Modal",
    "ModalField",
    "Role",
    "RouteLimit",
    "SystemClock",
    "User",
    "Violation",
    "WaitTimeout",
    "point_discord_py_at",
    "wait_for_messages",
]
