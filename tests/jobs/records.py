"""Rows for the clock's and the report's tests, written straight to the database.

Each helper takes London wall-clock times as text ("2026-11-23T10:30") so a test reads like the
situation it sets up, and returns the new row's id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from store.models import (
    ArticleFeedback,
    Callback,
    CallbackAttempt,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    OutboxMessage,
    Referral,
    StaffUser,
    UnansweredQuestion,
    Voicemail,
)
from tests.conftest import london


def at(value: str | datetime) -> datetime:
    return london(value) if isinstance(value, str) else value


class Records:
    """Adds rows to one test database."""

    def __init__(self, db) -> None:
        self.db = db
        self._serial = 0

    def _add(self, row: Any) -> int:
        with self.db.sessions.begin() as session:
            session.add(row)
            session.flush()
            return row.id

    def _reference(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:05d}"

    def staff(self, name: str = "Sam Patel", role: str = "staff") -> int:
        return self._add(
            StaffUser(
                username=name.split()[0].lower() + str(self._serial),
                display_name=name,
                password_hash="not-used",
                role=role,
                created_at=at("2026-01-05T09:00"),
            )
        )

    def carer(
        self,
        *,
        place: str | None = None,
        name: str | None = "Jo Carer",
        phone: str | None = "07700900123",
        updated: str = "2026-07-01T09:00",
    ) -> int:
        return self._add(
            Carer(
                name=name,
                phone=phone,
                postcode_or_district=place,
                created_at=at(updated),
                updated_at=at(updated),
            )
        )

    def conversation(
        self,
        started: str,
        *,
        channel: str = "telegram",
        external_id: str | None = None,
        carer_id: int | None = None,
        updated: str | None = None,
        ended: str | None = None,
        reason: str | None = None,
        answers: dict[str, Any] | None = None,
    ) -> int:
        self._serial += 1
        return self._add(
            Conversation(
                channel=channel,
                external_id=external_id or f"{channel}-{self._serial}",
                node="ended" if ended else "main.menu",
                answers=answers or {},
                carer_id=carer_id,
                started_at=at(started),
                updated_at=at(updated or ended or started),
                ended_at=at(ended) if ended else None,
                ended_reason=reason,
            )
        )

    def turn(self, conversation_id: int, when: str, text: str, *, direction="out", node="x") -> int:
        return self._add(
            ConversationTurn(
                conversation_id=conversation_id,
                at=at(when),
                direction=direction,
                node=node,
                text=text,
            )
        )

    def callback(
        self,
        received: str,
        due: str,
        *,
        kind: str = "callback",
        urgent: bool = False,
        channel: str = "voice",
        status: str = "open",
        carer_id: int | None = None,
        conversation_id: int | None = None,
        claimed_by: int | None = None,
        completed: str | None = None,
        outcome: str | None = None,
        signposted_to: list[str] | None = None,
        ended_early: bool = False,
        voicemail_id: int | None = None,
        referral_id: int | None = None,
        phone: str | None = "07700900123",
        reason: str | None = "my husband John fell",
        reference: str | None = None,
    ) -> int:
        return self._add(
            Callback(
                reference=reference or self._reference("C"),
                kind=kind,
                urgency="urgent" if urgent else "normal",
                channel=channel,
                conversation_id=conversation_id,
                carer_id=carer_id,
                referral_id=referral_id,
                voicemail_id=voicemail_id,
                reason=reason,
                phone=phone,
                received_at=at(received),
                due_by=at(due),
                status=status,
                claimed_by=claimed_by,
                completed_at=at(completed) if completed else None,
                outcome=outcome,
                signposted_to=signposted_to or [],
                ended_early=ended_early,
            )
        )

    def attempt(self, callback_id: int, when: str, result: str = "reached") -> int:
        return self._add(
            CallbackAttempt(callback_id=callback_id, at=at(when), result=result, notes="rang")
        )

    def referral(
        self,
        received: str,
        *,
        source: str = "self",
        channel: str = "voice",
        carer_id: int | None = None,
        conversation_id: int | None = None,
        acknowledged: str | None = None,
        first_contact: str | None = None,
        acknowledge_due: str | None = None,
        first_contact_due: str | None = None,
        demographics: dict[str, Any] | None = None,
        reference: str | None = None,
    ) -> int:
        return self._add(
            Referral(
                reference=reference or self._reference("R"),
                carer_id=carer_id,
                conversation_id=conversation_id,
                channel=channel,
                source=source,
                referrer_name="A Referrer" if source != "self" else None,
                demographics=demographics or {},
                consent_given=True,
                received_at=at(received),
                acknowledge_due=at(acknowledge_due or received),
                acknowledged_at=at(acknowledged) if acknowledged else None,
                first_contact_due=at(first_contact_due or received),
                first_contact_at=at(first_contact) if first_contact else None,
            )
        )

    def card_request(
        self,
        received: str,
        *,
        carer_id: int | None = None,
        status: str = "approved",
        conversation_id: int | None = None,
    ) -> int:
        return self._add(
            EmergencyCardRequest(
                reference=self._reference("E"),
                carer_id=carer_id,
                conversation_id=conversation_id,
                channel="voice",
                cared_for_name="Pat",
                received_at=at(received),
                status=status,
            )
        )

    def card(
        self, issued: str, *, carer_id: int | None = None, request_id: int | None = None
    ) -> int:
        self._serial += 1
        return self._add(
            EmergencyCard(
                number=f"{self._serial:08d}",
                request_id=request_id,
                carer_id=carer_id,
                plan="Ring my sister",
                issued_at=at(issued),
            )
        )

    def activation(self, when: str, *, card_id: int | None = None) -> int:
        return self._add(
            CardActivation(card_id=card_id, number_given="12345678", channel="voice", at=at(when))
        )

    def voicemail(self, received: str, *, transcript: str | None = None) -> int:
        self._serial += 1
        return self._add(
            Voicemail(
                recording_sid=f"RE{self._serial:032d}",
                recording_url=f"https://api.twilio.com/recordings/RE{self._serial}",
                duration_seconds=20,
                transcript=transcript,
                received_at=at(received),
            )
        )

    def feedback(
        self, when: str, article_id: str, helped: bool, *, conversation_id: int | None = None
    ) -> int:
        return self._add(
            ArticleFeedback(
                at=at(when),
                channel="telegram",
                conversation_id=conversation_id,
                article_id=article_id,
                helped=helped,
            )
        )

    def unanswered(
        self, when: str, *, conversation_id: int | None = None, clarify: bool = False
    ) -> int:
        return self._add(
            UnansweredQuestion(
                at=at(when),
                channel="telegram",
                conversation_id=conversation_id,
                question="what about my neighbour Alan",
                clarify_offered=clarify,
            )
        )

    def outbox_rows(self) -> list[OutboxMessage]:
        with self.db.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def get(self, model: Any, row_id: int) -> Any:
        with self.db.sessions() as session:
            return session.get(model, row_id)
