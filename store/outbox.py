"""The outbox repository: messages waiting to go out, delivered in order per recipient.

Implements ``handlers.ports.Outbox``. Claiming is one conditional UPDATE per message (it must
still be pending with the due time we read), so two clocks never send the same message, and
the claim pushes the due time forward as a lease: a clock killed mid-send leaves the message
due again later rather than lost.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, and_, exists, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from handlers.ports import OutboxItem
from store.models import OutboxMessage

MAX_ERROR_CHARACTERS = 500


def add_to_outbox(
    session: Session,
    channel: str,
    recipient: str,
    payload: Mapping[str, Any],
    at: datetime,
    dedupe_key: str | None = None,
) -> None:
    """Add a message inside the caller's transaction; a repeated ``dedupe_key`` adds nothing."""
    if dedupe_key and session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ):
        return
    session.add(
        OutboxMessage(
            channel=channel,
            recipient=recipient,
            payload=dict(payload),
            dedupe_key=dedupe_key,
            next_attempt_at=at,
            created_at=at,
        )
    )


class SqlOutbox:
    """The ``outbox`` table behind ``handlers.ports.Outbox``."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def enqueue(
        self,
        channel: str,
        recipient: str,
        payload: Mapping[str, Any],
        at: datetime,
        dedupe_key: str | None = None,
    ) -> None:
        """Add a message; a repeated ``dedupe_key`` adds nothing."""
        with self._sessions.begin() as session:
            add_to_outbox(session, channel, recipient, payload, at, dedupe_key)

    def waiting(self, channel: str, recipient: str) -> bool:
        """True when a message for this recipient has not gone yet."""
        with self._sessions() as session:
            return (
                session.scalar(
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.channel == channel,
                        OutboxMessage.recipient == recipient,
                        OutboxMessage.status == "pending",
                    )
                    .limit(1)
                )
                is not None
            )

    def claim_due(
        self, channels: Collection[str], now: datetime, lease_seconds: int, limit: int
    ) -> list[OutboxItem]:
        """The oldest pending message of each recipient, if due, each claimed conditionally."""
        earlier = aliased(OutboxMessage)
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                OutboxMessage.channel.in_(list(channels)),
                OutboxMessage.next_attempt_at <= now,
                ~exists().where(
                    and_(
                        earlier.status == "pending",
                        earlier.channel == OutboxMessage.channel,
                        earlier.recipient == OutboxMessage.recipient,
                        earlier.id < OutboxMessage.id,
                    )
                ),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        claimed: list[OutboxItem] = []
        with self._sessions.begin() as session:
            candidates = [
                (row.id, row.next_attempt_at, row.channel, row.recipient, dict(row.payload))
                for row in session.scalars(query)
            ]
            for item_id, seen_due, channel, recipient, payload in candidates:
                result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.id == item_id,
                        OutboxMessage.status == "pending",
                        OutboxMessage.next_attempt_at == seen_due,
                    )
                    .values(
                        next_attempt_at=now + timedelta(seconds=lease_seconds),
                        attempts=OutboxMessage.attempts + 1,
                    )
                    .returning(OutboxMessage.attempts)
                )
                attempts = result.scalar()
                if attempts is not None:
                    claimed.append(OutboxItem(item_id, channel, recipient, payload, attempts))
        return claimed

    def sent(self, item_id: int, at: datetime) -> None:
        """Delivered: never send again."""
        self._finish(item_id, status="sent", sent_at=at, last_error=None)

    def retry(self, item_id: int, at: datetime, error: str) -> None:
        """Try again at ``at``."""
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id, OutboxMessage.status == "pending")
                .values(next_attempt_at=at, last_error=error[:MAX_ERROR_CHARACTERS])
            )

    def give_up(self, item_id: int, error: str, at: datetime) -> None:
        """Never try again; the error says why."""
        self._finish(item_id, status="dead", sent_at=None, last_error=error, next_attempt_at=at)

    def _finish(self, item_id: int, **values: Any) -> None:
        if values.get("last_error"):
            values["last_error"] = values["last_error"][:MAX_ERROR_CHARACTERS]
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == item_id, OutboxMessage.status == "pending")
                .values(**values)
            )
