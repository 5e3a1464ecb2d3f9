"""Protocols the core needs from the outside world; the store and the adapters implement them."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from handlers.commands import Command
from handlers.dialog import ConversationKey


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


class Store(Protocol):
    """Opens transactions."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A transaction that commits on normal exit and rolls back on an exception."""
        ...
