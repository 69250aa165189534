"""Interactions a test started as a user, and what the bot answered to each."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._model import JSON, Message, User
from ._signal import ChangeSignal

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

# Which callback types Discord accepts for each kind of interaction.
ALLOWED_RESPONSES = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {
        CHANNEL_MESSAGE,
        DEFERRED_CHANNEL_MESSAGE,
        DEFERRED_UPDATE_MESSAGE,
        UPDATE_MESSAGE,
        MODAL,
    },
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE},
}

DEFAULT_WAIT = 5.0


@dataclass(eq=False)
class ModalField:
    custom_id: str
    type: int
    label: str | None
    required: bool
    default: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    options: list[str] = field(default_factory=list)
    in_label: bool = False


@dataclass(eq=False)
class Modal:
    """A modal the bot showed; hand it to `submit_modal` to fill it in."""

    custom_id: str
    title: str
    fields: list[ModalField]
    raw: JSON
    opened_by: InteractionRecord
    submitted: bool = False

    def field(self, custom_id: str) -> ModalField:
        for item in self.fields:
            if item.custom_id == custom_id:
                return item
        raise KeyError(f"modal {self.custom_id!r} has no field {custom_id!r}")

    @property
    def user_id(self) -> int:
        return self.opened_by.user.id


@dataclass(eq=False)
class InteractionRecord:
    id: int
    token: str
    type: int
    user: User
    guild_id: int | None
    channel_id: int
    created_at: float
    locale: str
    name: str
    payload: JSON = field(default_factory=dict)
    source_message: Message | None = None
    response_type: int | None = None
    responded_at: float | None = None
    original: Message | None = None
    # False while the user still sees "thinking..." or a deferred update awaits its edit.
    original_settled: bool = False
    # When the user first saw an answer (monotonic, as `created_at`): for measuring, not for rules.
    settled_at: float | None = None
    followups: list[Message] = field(default_factory=list)
    modal: Modal | None = None
    choices: list[JSON] | None = None
    # Recorded as never acknowledged; not reported twice.
    abandoned: bool = False

    def settle(self, at: float) -> None:
        """The user now sees the answer in place of "thinking..." (or of the message clicked)."""
        self.original_settled = True
        if self.settled_at is None:
            self.settled_at = at

    def describe(self) -> str:
        kinds = {APPLICATION_COMMAND: "command", MESSAGE_COMPONENT: "component", AUTOCOMPLETE: "autocomplete"}
        return f"{kinds.get(self.type, 'modal submit')} {self.name!r} (interaction {self.id})"


class InteractionResult:
    """What the bot did in answer to one interaction; each `wait_for_*` waits for it to happen."""

    def __init__(self, record: InteractionRecord, changes: ChangeSignal) -> None:
        self.record = record
        self._changes = changes

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def response_type(self) -> int | None:
        return self.record.response_type

    @property
    def deferred(self) -> bool:
        return self.record.response_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def message(self) -> Message | None:
        """The reply (or, for an update, the clicked message) once the user can see it."""
        return self.record.original if self.record.original_settled else None

    @property
    def followups(self) -> list[Message]:
        return list(self.record.followups)

    @property
    def modal(self) -> Modal | None:
        return self.record.modal

    @property
    def choices(self) -> list[JSON] | None:
        return self.record.choices

    async def wait_for_response(self, *, within: float = DEFAULT_WAIT) -> int:
        """The callback type the bot acknowledged with (4 message, 5 deferred, 6, 7, 8 choices, 9 modal)."""
        return await self._changes.wait_for(
            lambda: self.record.response_type, within=within, what=f"a response to {self.record.describe()}"
        )

    async def wait_for_message(self, *, within: float = DEFAULT_WAIT) -> Message:
        return await self._changes.wait_for(
            lambda: self.message, within=within, what=f"the message answering {self.record.describe()}"
        )

    async def wait_for_followup(self, index: int = 0, *, within: float = DEFAULT_WAIT) -> Message:
        def probe() -> Message | None:
            return self.record.followups[index] if len(self.record.followups) > index else None

        return await self._changes.wait_for(
            probe, within=within, what=f"followup #{index} of {self.record.describe()}"
        )

    async def wait_for_modal(self, *, within: float = DEFAULT_WAIT) -> Modal:
        return await self._changes.wait_for(
            lambda: self.record.modal, within=within, what=f"a modal from {self.record.describe()}"
        )

    async def wait_for_choices(self, *, within: float = DEFAULT_WAIT) -> list[JSON]:
        return await self._changes.wait_for(
            lambda: self.record.choices, within=within, what=f"choices for {self.record.describe()}"
        )

    def __repr__(self) -> str:
        return f"<InteractionResult {self.record.describe()} response={self.record.response_type}>"


async def wait_for_messages(
    results: list[InteractionResult], *, within: float = DEFAULT_WAIT
) -> list[Message]:
    """The messages answering a crowd's interactions, in order, with one waiter for all of them: a
    waiter per interaction would cost the event loop as much as the bot's own work."""
    if not results:
        return []
    pending = list(results)

    def probe() -> list[Message] | None:
        nonlocal pending
        pending = [r for r in pending if r.message is None]
        return None if pending else [r.message for r in results if r.message is not None]

    return await results[0]._changes.wait_for(
        probe, within=within, what=f"answers to {len(results)} interactions"
    )
