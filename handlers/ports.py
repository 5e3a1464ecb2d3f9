"""Protocols the core needs from the outside world; the store and the adapters implement them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from handlers.commands import Command
from handlers.dialog import ConversationKey, Reply


class Clock(Protocol):
    """Tells the core what time it is (UTC-aware)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        ...


class Heartbeats(Protocol):
    """Where a long-running process records that it is alive."""

    def record(self, name: str, at: datetime) -> None:
        """Record that ``name`` was alive at ``at``."""
        ...

    def last(self, name: str) -> datetime | None:
        """When ``name`` last recorded a beat."""
        ...


@dataclass(frozen=True)
class CardOnFile:
    """What the core may know about an issued emergency card: never read back to a caller."""

    card_id: int
    contact_phones: tuple[str, ...]


class Lookups(Protocol):
    """Read-only questions the dialog asks the store while it decides."""

    def booked_callbacks(self, start: datetime, end: datetime) -> dict[datetime, int]:
        """Open callbacks per preferred-window start, for windows starting in [start, end)."""
        ...

    def card(self, number: str) -> CardOnFile | None:
        """The active card with this number, if any."""
        ...

    def reference_taken(self, reference: str) -> bool:
        """True when a record already uses this reference."""
        ...


@dataclass
class StoredState:
    """A conversation's saved position: the node, attempts and everything gathered so far."""

    node: str
    attempts: int
    data: dict[str, Any] = field(default_factory=dict)


class Transaction(Protocol):
    """One unit of work: the state, the records and the transcript commit together or not at all."""

    @property
    def lookups(self) -> Lookups:
        """Read-only questions, answered inside this transaction."""
        ...

    def load(self, key: ConversationKey) -> StoredState | None:
        """The conversation's saved state (locked for update where the database can)."""
        ...

    def save(self, key: ConversationKey, state: StoredState, now: datetime) -> None:
        """Create or update the conversation."""
        ...

    def transcript(
        self, key: ConversationKey, direction: str, node: str, text: str, at: datetime
    ) -> None:
        """Append one line to the conversation's transcript."""
        ...

    def apply(self, key: ConversationKey, command: Command) -> None:
        """Write one record the dialog asked for."""
        ...

    def replay(self, key: ConversationKey, delivery: str) -> tuple[Reply, ...] | None:
        """The replies already given to this delivery (a webhook retry), or None if it is new."""
        ...

    def remember(
        self, key: ConversationKey, delivery: str, replies: tuple[Reply, ...], at: datetime
    ) -> None:
        """Record the replies given to this delivery: a retry gets the same, changes nothing."""
        ...


class Store(Protocol):
    """Opens transactions."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A transaction that commits on normal exit and rolls back on an exception."""
        ...


SendStatus = Literal["sent", "retry", "blocked", "failed"]


@dataclass(frozen=True)
class SendResult:
    """What happened to one attempt to send a message.

    ``retry``: a passing fault (network, 5xx, rate limit; ``retry_after`` seconds when the other
    side said). ``blocked``: the recipient refused us (never retried). ``failed``: the message
    itself is wrong (never retried).
    """

    status: SendStatus
    retry_after: float | None = None
    error: str | None = None


class MessageSender(Protocol):
    """Sends one outbox payload on one channel (SMS by Twilio, Telegram by the Bot API)."""

    def send(self, recipient: str, payload: Mapping[str, Any]) -> SendResult:
        """Try once; never raise for a delivery fault, report it instead."""
        ...


@dataclass(frozen=True)
class OutboxItem:
    """A message waiting in the outbox."""

    id: int
    channel: str
    recipient: str
    payload: dict[str, Any]
    attempts: int


class Outbox(Protocol):
    """Messages that wait for delivery, in order per recipient, retried by the clock."""

    def enqueue(
        self,
        channel: str,
        recipient: str,
        payload: Mapping[str, Any],
        at: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Add a message behind any others waiting for the same recipient."""
        ...

    def waiting(self, channel: str, recipient: str) -> bool:
        """True when a message for this recipient is still waiting (send new ones behind it)."""
        ...

    def claim_due(
        self, channels: Collection[str], now: datetime, lease_seconds: int, limit: int
    ) -> list[OutboxItem]:
        """Take the oldest due message of each recipient on these channels.

        A claimed message is not due again for ``lease_seconds`` (so a second clock cannot take
        it, and a clock that dies mid-send does not lose it).
        """
        ...

    def sent(self, item_id: int, at: datetime) -> None:
        """Mark a claimed message delivered."""
        ...

    def retry(self, item_id: int, at: datetime, error: str) -> None:
        """Put a claimed message back, to be tried again at ``at``."""
        ...

    def give_up(self, item_id: int, error: str, at: datetime) -> None:
        """Never try this message again (blocked recipient, bad message, too many attempts)."""
        ...
