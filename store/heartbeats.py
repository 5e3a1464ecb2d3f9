"""Heartbeat repository: one row per process name, moved forward only (safe with two clocks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import Heartbeat


class SqlHeartbeats:
    """Implements ``handlers.ports.Heartbeats`` on the ``heartbeats`` table."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(self, name: str, at: datetime) -> None:
        """Move the beat forward; a late or duplicate beat never moves it back."""
        with self._sessions.begin() as session:
            moved: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(Heartbeat)
                .where(Heartbeat.name == name, Heartbeat.beat_at < at)
                .values(beat_at=at)
            )
            if moved.rowcount or session.get(Heartbeat, name) is not None:
                return
        try:
            with self._sessions.begin() as session:
                session.add(Heartbeat(name=name, beat_at=at))
        except IntegrityError:
            self.record(name, at)

    def last(self, name: str) -> datetime | None:
        """When ``name`` last beat, or None."""
        with self._sessions() as session:
            return session.scalar(select(Heartbeat.beat_at).where(Heartbeat.name == name))
