"""Protocols the core needs from the outside world; the store and the adapters implement them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


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
