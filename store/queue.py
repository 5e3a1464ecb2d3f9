"""The open callback queue: pages of it, and who holds each item.

Implements ``handlers.ports.CallbackQueue``. The page reads urgent items first and then the
rest, each part straight off the ``ix_callbacks_queue`` index (status, urgency, due_by), so a
page costs the same with 100,000 open items as with ten (see ``bench/console_queue.py``).

Claiming is ONE conditional ``UPDATE ... WHERE claimed_by IS NULL``: the database lets exactly
one of two simultaneous claimers change the row, and the other sees no row updated. Every
change writes its audit line in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, func, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import Actor, QueuePage, QueueQuery, QueueRow, StaffMember
from store.audit import add_audit
from store.models import Callback, StaffUser

URGENT_FIRST = ("urgent", "normal")
COUNT_CAP = 10_000


def queue_row(callback: Callback, holder_name: str | None) -> QueueRow:
    """The port's view of a callback row."""
    return QueueRow(
        id=callback.id,
        reference=callback.reference,
        kind=callback.kind,
        urgency=callback.urgency,
        channel=callback.channel,
        reason=callback.reason,
        received_at=callback.received_at,
        due_by=callback.due_by,
        attempts_count=callback.attempts_count,
        holder_id=callback.claimed_by,
        holder_name=holder_name,
    )


def _filters(query: QueueQuery, staff_id: int, now: datetime) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [Callback.status == "open"]
    if query.view == "mine":
        filters.append(Callback.claimed_by == staff_id)
    elif query.view == "unclaimed":
        filters.append(Callback.claimed_by.is_(None))
    if query.overdue:
        filters.append(Callback.due_by <= now)
    if query.kind is not None:
        filters.append(Callback.kind == query.kind)
    return filters


def _count(session: Session, filters: list[ColumnElement[bool]], urgency: str, cap: int) -> int:
    """How many items match, counting no further than ``cap`` (read off the index)."""
    matching = select(literal(1)).where(*filters, Callback.urgency == urgency).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(matching)) or 0


class SqlCallbackQueue:
    """The ``callbacks`` table as the staff queue."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def page(
        self, query: QueueQuery, staff_id: int, now: datetime, offset: int, limit: int
    ) -> QueuePage:
        """Open items matching the query: urgent first, then by due-by, then oldest first.

        Counting stops a little past ``COUNT_CAP`` (or past the page asked for), so a huge
        queue costs no more to count than a big one.
        """
        filters = _filters(query, staff_id, now)
        urgencies = ("urgent",) if query.urgent else URGENT_FIRST
        cap = max(COUNT_CAP, offset + limit) + 1
        rows: list[QueueRow] = []
        with self._sessions() as session:
            counts = {urgency: _count(session, filters, urgency, cap) for urgency in urgencies}
            skip = offset
            for urgency in urgencies:
                in_part = counts[urgency]
                wanted = limit - len(rows)
                if wanted <= 0:
                    break
                if skip >= in_part:
                    skip -= in_part
                    continue
                found = session.execute(
                    select(Callback, StaffUser.display_name)
                    .outerjoin(StaffUser, StaffUser.id == Callback.claimed_by)
                    .where(*filters, Callback.urgency == urgency)
                    .order_by(Callback.due_by, Callback.id)
                    .offset(skip)
                    .limit(wanted)
                )
                rows.extend(queue_row(callback, holder) for callback, holder in found)
                skip = 0
        exact = all(count < cap for count in counts.values())
        return QueuePage(tuple(rows), sum(counts.values()), offset, limit, exact)

    def claim(self, callback_id: int, actor: Actor, at: datetime) -> bool:
        """Take the item if it is open and nobody holds it: one conditional UPDATE."""
        with self._sessions.begin() as session:
            claimed = changed_one(
                session,
                update(Callback)
                .where(
                    Callback.id == callback_id,
                    Callback.status == "open",
                    Callback.claimed_by.is_(None),
                )
                .values(claimed_by=actor.staff_id, claimed_at=at),
            )
            if claimed:
                add_audit(session, actor, "claimed", "callback", callback_id, at)
            return claimed

    def release(self, callback_id: int, actor: Actor, at: datetime, *, anyone: bool) -> bool:
        """Give the item back; only its holder may, unless ``anyone``."""
        with self._sessions.begin() as session:
            holder = session.scalar(select(Callback.claimed_by).where(Callback.id == callback_id))
            if holder is None or (not anyone and holder != actor.staff_id):
                return False
            released = changed_one(
                session,
                update(Callback)
                .where(
                    Callback.id == callback_id,
                    Callback.status == "open",
                    Callback.claimed_by == holder,
                )
                .values(claimed_by=None, claimed_at=None),
            )
            if released:
                detail = {"holder_id": holder}
                add_audit(session, actor, "released", "callback", callback_id, at, detail)
            return released

    def reassign(self, callback_id: int, to: StaffMember, actor: Actor, at: datetime) -> bool:
        """Give the open item to ``to``, from whoever held it (or nobody)."""
        with self._sessions.begin() as session:
            found = session.execute(
                select(Callback.claimed_by).where(
                    Callback.id == callback_id, Callback.status == "open"
                )
            ).first()
            if found is None:
                return False
            holder = found[0]
            held = (
                Callback.claimed_by.is_(None) if holder is None else Callback.claimed_by == holder
            )
            moved = changed_one(
                session,
                update(Callback)
                .where(Callback.id == callback_id, Callback.status == "open", held)
                .values(claimed_by=to.id, claimed_at=at),
            )
            if moved:
                detail = {"from_staff_id": holder, "to_staff_id": to.id}
                add_audit(session, actor, "reassigned", "callback", callback_id, at, detail)
            return moved


def changed_one(session: Session, statement: Any) -> bool:
    """Run a conditional UPDATE; True when it changed exactly one row."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        statement, execution_options={"synchronize_session": False}
    )
    return result.rowcount == 1
