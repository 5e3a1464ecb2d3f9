"""Counting for the abuse limits, in the database so every gunicorn worker sees the same numbers.

``LimitLookups`` answers the dialog's questions inside its transaction (``SqlLookups`` mixes it
in); ``apply_limit_command`` writes what the dialog counted or refused; ``SqlSignInThrottle``
counts failed console sign-ins per client address (issue 8 items 6 and 7). A refusal is audited
with counts only, never a number or a chat id. Each subject's rows older than the window go as
new ones are counted; the retention purge removes the rest.

Subjects are stored as their kind and a keyed hash (``stored_subject``): the counters can be
matched without holding anyone's number, chat id or address (L12).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from handlers.commands import CountBlockedContact, CountUse, RefuseUse
from handlers.limits import Action, Subject, window_start
from handlers.ports import Actor, RequestOnFile
from store.audit import add_audit
from store.crypto import keyring
from store.models import BLOCK_KINDS, BlockedContact, Callback, UsageEvent

LimitCommand = CountUse | RefuseUse | CountBlockedContact
LIMIT_COMMANDS = (CountUse, RefuseUse, CountBlockedContact)


class LimitLookups:
    """The abuse limits' read-only questions, for a class holding the transaction's connection."""

    _connection: Connection

    def usage(
        self, action: Action, subjects: Sequence[Subject], since: datetime
    ) -> dict[Subject, int]:
        """How many of ``action`` each subject set off since ``since``."""
        by_key = {stored_subject(subject): subject for subject in subjects}
        rows = self._connection.execute(
            select(UsageEvent.subject, func.count())
            .where(
                UsageEvent.subject.in_(by_key),
                UsageEvent.action == action,
                UsageEvent.at >= since,
            )
            .group_by(UsageEvent.subject)
        )
        return {by_key[key]: count for key, count in rows}

    def blocked(self, subjects: Sequence[Subject], now: datetime) -> bool:
        """True when an unexpired block names any of these subjects."""
        return bool(_active_blocks(self._connection, subjects, now, first_only=True))

    def request_on_file(self, subjects: Sequence[Subject], since: datetime) -> RequestOnFile | None:
        """The latest open callback counted for these subjects since ``since``."""
        row = self._connection.execute(
            select(Callback.reference, Callback.due_by)
            .join(UsageEvent, UsageEvent.reference == Callback.reference)
            .where(
                UsageEvent.subject.in_([stored_subject(subject) for subject in subjects]),
                UsageEvent.action == "callback",
                UsageEvent.at >= since,
                Callback.status == "open",
            )
            .order_by(UsageEvent.at.desc(), UsageEvent.id.desc())
            .limit(1)
        ).first()
        return None if row is None else RequestOnFile(row.reference, row.due_by)


def apply_limit_command(
    session: Session, conversation_id: int, channel: str, command: LimitCommand
) -> None:
    """Write what the dialog counted, refused, or turned away, in its transaction."""
    actor = Actor(None, f"carer:{channel}")
    if isinstance(command, CountUse):
        for subject in command.subjects:
            count_use(session, subject, command.action, command.at, command.reference)
    elif isinstance(command, RefuseUse):
        add_audit(
            session,
            actor,
            "limit_refused",
            "conversation",
            conversation_id,
            command.at,
            {
                "action": command.action,
                "refusal": command.refusal,
                "count": command.count,
                "limit": command.limit,
            },
        )
    else:
        ids = _active_blocks(session, command.subjects, command.at)
        if ids:
            session.execute(
                update(BlockedContact)
                .where(BlockedContact.id.in_(ids))
                .values(contacts=BlockedContact.contacts + 1, last_contact_at=command.at)
            )
        add_audit(
            session,
            actor,
            "blocked_contact",
            "conversation",
            conversation_id,
            command.at,
            {"block_entries": len(ids)},
        )


def stored_subject(subject: Subject) -> str:
    """How a subject is counted: its kind and a keyed hash of its value, never the value."""
    return f"{subject.kind}:{subject_hash(subject)}"


def subject_hash(subject: Subject) -> str:
    """The keyed hash of a subject's value; for a number, the same as ``phone_hash`` columns."""
    return keyring().digest(subject.value)


def count_use(
    session: Session, subject: Subject, action: Action, at: datetime, reference: str | None = None
) -> None:
    """Count one use by ``subject``, dropping its rows that have left the window."""
    stored = stored_subject(subject)
    session.execute(
        delete(UsageEvent).where(
            UsageEvent.subject == stored,
            UsageEvent.action == action,
            UsageEvent.at < window_start(at, action),
        )
    )
    session.add(UsageEvent(action=action, subject=stored, reference=reference, at=at))


# Built once: the block look-up runs as each conversation starts.
ACTIVE_BLOCKS = select(BlockedContact.id).where(
    tuple_(BlockedContact.kind, BlockedContact.match_key).in_(bindparam("pairs", expanding=True)),
    BlockedContact.removed_at.is_(None),
    BlockedContact.expires_at > bindparam("now"),
)
ANY_ACTIVE_BLOCK = ACTIVE_BLOCKS.limit(1)


def _active_blocks(
    reader: Session | Connection,
    subjects: Sequence[Subject],
    now: datetime,
    *,
    first_only: bool = False,
) -> list[int]:
    pairs = [
        (subject.kind, subject_hash(subject)) for subject in subjects if subject.kind in BLOCK_KINDS
    ]
    if not pairs:
        return []
    query = ANY_ACTIVE_BLOCK if first_only else ACTIVE_BLOCKS
    return list(reader.scalars(query, {"pairs": pairs, "now": now}))


class SqlSignInThrottle:
    """Failed console sign-ins per client address (``handlers.ports.SignInThrottle``)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def failures(self, address: str, since: datetime) -> int:
        """Failed sign-ins from this address since ``since``."""
        with self._sessions() as session:
            counted = session.scalar(
                select(func.count()).where(
                    UsageEvent.subject == stored_subject(Subject("address", address)),
                    UsageEvent.action == "sign_in",
                    UsageEvent.at >= since,
                )
            )
            return int(counted or 0)

    def failed(self, address: str, at: datetime) -> None:
        """Count one failed sign-in from this address."""
        with self._sessions.begin() as session:
            count_use(session, Subject("address", address), "sign_in", at)
