"""Clocks the core is given, so no code calls ``datetime.now()`` directly and tests freeze time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """The real time, always UTC-aware."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests, demos and ``CARERS_LINE_NOW``."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs a time-zone-aware datetime")
        self._moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        """The fixed instant in UTC."""
        return self._moment

    def set(self, moment: datetime) -> None:
        """Move the clock to another instant."""
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs a time-zone-aware datetime")
        self._moment = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward."""
        self._moment += delta
