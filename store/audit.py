"""The audit trail (L12): who viewed or changed a carer's record, and when.

Implements ``handlers.ports.AuditTrail``. Lines are only ever added: nothing in the application
updates or deletes them. Changes write their line in the same transaction as the change
(``add_audit``), so a change is never left unaudited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import Actor, AuditEntry, AuditPage, AuditQuery
from store.models import AuditEvent

_S = TypeVar("_S", bound=Select[Any])
COUNT_CAP = 10_000


def add_audit(
    session: Session,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | None,
    at: datetime,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one audit line inside the caller's transaction."""
    session.add(
        AuditEvent(
            at=at,
            staff_id=actor.staff_id,
            actor=actor.name,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            detail=dict(detail or {}),
        )
    )


class SqlAuditTrail:
    """The ``audit_events`` table behind ``handlers.ports.AuditTrail``."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(
        self,
        actor: Actor,
        action: str,
        subject_type: str,
        subject_id: int | None,
        at: datetime,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Add one line in its own transaction."""
        with self._sessions.begin() as session:
            add_audit(session, actor, action, subject_type, subject_id, at, detail)

    def search(self, query: AuditQuery, offset: int, limit: int) -> AuditPage:
        """Matching lines, newest first, with how many match.

        Counting stops a little past ``COUNT_CAP`` (or past the page asked for): over a million
        lines an exact count was most of the page's time, and "more than 10,000" says enough.
        """
        matching = _filtered(select(AuditEvent), query)
        cap = max(COUNT_CAP, offset + limit) + 1
        capped = _filtered(select(AuditEvent.id), query).limit(cap).subquery()
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(capped)) or 0
            rows = session.scalars(
                matching.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            entries = [
                AuditEntry(
                    id=row.id,
                    at=row.at,
                    staff_id=row.staff_id,
                    actor=row.actor,
                    action=row.action,
                    subject_type=row.subject_type,
                    subject_id=row.subject_id,
                    detail=dict(row.detail),
                )
                for row in rows
            ]
        return AuditPage(entries, total, exact=total < cap)


def _filtered(statement: _S, query: AuditQuery) -> _S:
    if query.staff_id is not None:
        statement = statement.where(AuditEvent.staff_id == query.staff_id)
    if query.subject_type is not None:
        statement = statement.where(AuditEvent.subject_type == query.subject_type)
    if query.subject_id is not None:
        statement = statement.where(AuditEvent.subject_id == query.subject_id)
    if query.action is not None:
        statement = statement.where(AuditEvent.action == query.action)
    return statement
