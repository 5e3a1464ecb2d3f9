"""Changes staff make to a queue item: attempts, completion, follow-up tasks.

Implements ``handlers.ports.CallbackWork``. Each change is one conditional UPDATE (the item must
be open, held by the member of staff, and, for attempts, still have the attempt count they
saw), plus its rows and its audit line, all in one transaction. A double-submitted form or two
browser tabs therefore cannot record the same attempt twice or skip the attempt policy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import Actor, Closing, FollowUpRecord, NewAttempt
from store.audit import add_audit
from store.models import Callback, CallbackAttempt, FollowUpTask, StaffUser
from store.queue import changed_one


def follow_up_record(task: FollowUpTask, reference: str, done_by: str | None) -> FollowUpRecord:
    """The port's view of a follow-up task row."""
    return FollowUpRecord(
        id=task.id,
        callback_id=task.callback_id,
        reference=reference,
        method=task.method,
        reason=task.reason,
        status=task.status,
        created_at=task.created_at,
        done_at=task.done_at,
        done_by_name=done_by,
        notes=task.notes,
    )


class SqlCallbackWork:
    """Attempts, outcomes and follow-ups on the ``callbacks`` table and its neighbours."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record_attempt(self, attempt: NewAttempt, actor: Actor, closing: Closing | None) -> bool:
        """Add the attempt, and close the item with its follow-up task when ``closing``."""
        values: dict[str, Any] = {"attempts_count": attempt.seen_attempts + 1}
        if closing is not None:
            values.update(status="closed", outcome=closing.outcome, completed_at=attempt.at)
        with self._sessions.begin() as session:
            if not changed_one(
                session,
                update(Callback)
                .where(
                    *_held(attempt.callback_id, actor),
                    Callback.attempts_count == attempt.seen_attempts,
                )
                .values(**values),
            ):
                return False
            session.add(
                CallbackAttempt(
                    callback_id=attempt.callback_id,
                    staff_id=actor.staff_id,
                    at=attempt.at,
                    result=attempt.result,
                    notes=attempt.notes,
                )
            )
            if closing is not None and closing.follow_up_method is not None:
                session.add(
                    FollowUpTask(
                        callback_id=attempt.callback_id,
                        method=closing.follow_up_method,
                        reason=closing.follow_up_reason or closing.outcome,
                        status="open",
                        created_at=attempt.at,
                        created_by=actor.staff_id,
                    )
                )
            detail = {
                "result": attempt.result,
                "attempt": attempt.seen_attempts + 1,
                "closed_as": closing.outcome if closing else None,
            }
            add_audit(
                session,
                actor,
                "attempt_recorded",
                "callback",
                attempt.callback_id,
                attempt.at,
                detail,
            )
            return True

    def complete(
        self,
        callback_id: int,
        actor: Actor,
        at: datetime,
        outcome: str,
        services: tuple[str, ...],
        notes: str | None,
    ) -> bool:
        """Finish the item with its outcome and the services given."""
        with self._sessions.begin() as session:
            if not changed_one(
                session,
                update(Callback)
                .where(*_held(callback_id, actor))
                .values(
                    status="done",
                    outcome=outcome,
                    signposted_to=list(services),
                    outcome_notes=notes,
                    completed_at=at,
                ),
            ):
                return False
            detail = {"outcome": outcome, "services": list(services)}
            add_audit(session, actor, "completed", "callback", callback_id, at, detail)
            return True

    def follow_ups(
        self, open_only: bool, offset: int, limit: int
    ) -> tuple[list[FollowUpRecord], int]:
        """Open tasks oldest first; with ``open_only`` False, every task, newest first."""
        query = (
            select(FollowUpTask, Callback.reference, StaffUser.display_name)
            .join(Callback, Callback.id == FollowUpTask.callback_id)
            .outerjoin(StaffUser, StaffUser.id == FollowUpTask.done_by)
        )
        counted = select(func.count()).select_from(FollowUpTask)
        if open_only:
            query = query.where(FollowUpTask.status == "open").order_by(
                FollowUpTask.created_at, FollowUpTask.id
            )
            counted = counted.where(FollowUpTask.status == "open")
        else:
            query = query.order_by(FollowUpTask.created_at.desc(), FollowUpTask.id.desc())
        with self._sessions() as session:
            total = session.scalar(counted) or 0
            found = session.execute(query.offset(offset).limit(limit))
            tasks = [
                follow_up_record(task, reference, done_by) for task, reference, done_by in found
            ]
        return tasks, total

    def finish_follow_up(self, task_id: int, actor: Actor, at: datetime, notes: str | None) -> bool:
        """Mark an open follow-up task done."""
        with self._sessions.begin() as session:
            if not changed_one(
                session,
                update(FollowUpTask)
                .where(FollowUpTask.id == task_id, FollowUpTask.status == "open")
                .values(status="done", done_at=at, done_by=actor.staff_id, notes=notes),
            ):
                return False
            callback_id = session.scalar(
                select(FollowUpTask.callback_id).where(FollowUpTask.id == task_id)
            )
            detail = {"callback_id": callback_id}
            add_audit(session, actor, "follow_up_done", "follow_up", task_id, at, detail)
            return True


def _held(callback_id: int, actor: Actor) -> list[ColumnElement[bool]]:
    return [
        Callback.id == callback_id,
        Callback.status == "open",
        Callback.claimed_by == actor.staff_id,
    ]
