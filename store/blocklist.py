"""The block list supervisors manage (issue 8 item 6): ``handlers.ports.BlockList``.

An entry is matched through a keyed hash of the number or chat id (``store.limits.subject_hash``,
for a number the same as the ``phone_hash`` columns); the number (E.164,
``handlers.limits.block_subject``) or chat id and the reason are kept encrypted, for staff to
read. Each change writes its audit line in the same transaction, naming the entry and the kind
of contact, never the number or the reason. Lifting a block keeps the row, marked removed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from handlers.limits import Subject
from handlers.ports import Actor, BlockEntry
from store.audit import add_audit
from store.limits import subject_hash
from store.models import BlockedContact, StaffUser


class SqlBlockList:
    """The ``blocked_contacts`` table."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def add(
        self, subject: Subject, reason: str, expires_at: datetime, actor: Actor, at: datetime
    ) -> BlockEntry:
        """Block a number or chat until ``expires_at``."""
        with self._sessions.begin() as session:
            row = BlockedContact(
                kind=subject.kind,
                match_key=subject_hash(subject),
                value=subject.value,
                reason=reason,
                created_at=at,
                created_by=actor.staff_id,
                expires_at=expires_at,
                contacts=0,
            )
            session.add(row)
            session.flush()
            add_audit(
                session,
                actor,
                "blocked",
                "block_entry",
                row.id,
                at,
                {"kind": subject.kind, "expires_at": expires_at.isoformat()},
            )
            return _entry(row, actor.name)

    def remove(self, entry_id: int, actor: Actor, at: datetime) -> bool:
        """Lift a block now; False when it was already lifted or had run out."""
        with self._sessions.begin() as session:
            lifted = session.execute(
                update(BlockedContact)
                .where(
                    BlockedContact.id == entry_id,
                    BlockedContact.removed_at.is_(None),
                    BlockedContact.expires_at > at,
                )
                .values(removed_at=at, removed_by=actor.staff_id)
            )
            if not lifted.rowcount:  # type: ignore[attr-defined]
                return False
            add_audit(session, actor, "unblocked", "block_entry", entry_id, at)
            return True

    def active(self, now: datetime) -> list[BlockEntry]:
        """Blocks in force now, soonest to expire first."""
        creator = aliased(StaffUser)
        with self._sessions() as session:
            rows = session.execute(
                select(BlockedContact, creator.display_name)
                .outerjoin(creator, creator.id == BlockedContact.created_by)
                .where(BlockedContact.removed_at.is_(None), BlockedContact.expires_at > now)
                .order_by(BlockedContact.expires_at, BlockedContact.id)
            )
            return [_entry(row, name or "") for row, name in rows]


def _entry(row: BlockedContact, created_by: str) -> BlockEntry:
    return BlockEntry(
        id=row.id,
        kind="chat" if row.kind == "chat" else "phone",
        value=row.value,
        reason=row.reason,
        created_at=row.created_at,
        created_by=created_by,
        expires_at=row.expires_at,
        contacts=row.contacts,
        last_contact_at=row.last_contact_at,
    )
