"""Rows the dialog would have written, put straight into the database for console tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from store.models import (
    Callback,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    OutboxMessage,
    Referral,
    Voicemail,
)

_counter = iter(range(1, 10**9))


def _reference(prefix: str) -> str:
    return f"{prefix}{next(_counter):06d}"


def add_carer(db, at: datetime, **fields: Any) -> int:
    with db.sessions.begin() as session:
        carer = Carer(created_at=at, updated_at=at, **fields)
        session.add(carer)
        session.flush()
        return carer.id


def add_conversation(
    db, at: datetime, lines: list[tuple[str, str]], channel: str = "telegram", **fields: Any
) -> int:
    """A conversation and its transcript: lines of (direction, text), a minute apart."""
    with db.sessions.begin() as session:
        conversation = Conversation(
            channel=channel,
            external_id=_reference("X"),
            node="ended",
            answers={},
            started_at=at,
            updated_at=at,
            **fields,
        )
        session.add(conversation)
        session.flush()
        for index, (direction, text) in enumerate(lines):
            session.add(
                ConversationTurn(
                    conversation_id=conversation.id,
                    at=at + timedelta(minutes=index),
                    direction=direction,
                    node="callback.reason",
                    text=text,
                )
            )
        return conversation.id


def add_callback(db, received: datetime, due_by: datetime | None = None, **fields: Any) -> int:
    values: dict[str, Any] = {
        "reference": _reference("C"),
        "kind": "callback",
        "urgency": "normal",
        "channel": "telegram",
        "reason": "Help with respite",
        "phone": "07700900456",
        "received_at": received,
        "due_by": due_by or received + timedelta(days=2),
    }
    values.update(fields)
    with db.sessions.begin() as session:
        callback = Callback(**values)
        session.add(callback)
        session.flush()
        return callback.id


def add_referral(db, received: datetime, **fields: Any) -> int:
    values: dict[str, Any] = {
        "reference": _reference("R"),
        "channel": "telegram",
        "source": "professional",
        "referrer_name": "Dr Patel",
        "referrer_phone": "07700900777",
        "referrer_organisation": "Westshire Surgery",
        "relationship_to_cared_for": "daughter",
        "cared_for_condition": "dementia",
        "carer_is_adult": True,
        "is_paid_carer": False,
        "caring_ended_over_limit": False,
        "communication_needs": {"formats": ["large print"]},
        "best_time_to_call": "mornings",
        "demographics": {"age_band": "45-64"},
        "consent_given": True,
        "consent_at": received,
        "consent_wording_version": "referral_consent:abc",
        "tell_referrer": True,
        "received_at": received,
        "acknowledge_due": received + timedelta(days=1),
        "first_contact_due": received + timedelta(days=5),
    }
    values.update(fields)
    with db.sessions.begin() as session:
        referral = Referral(**values)
        session.add(referral)
        session.flush()
        return referral.id


def add_voicemail(db, received: datetime, **fields: Any) -> int:
    values: dict[str, Any] = {
        "recording_sid": "RE" + "a" * 32,
        "recording_url": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "a" * 32,
        "duration_seconds": 42,
        "transcript": "Hello, it is Mary, please ring me back about my husband.",
        "transcript_status": "completed",
        "received_at": received,
    }
    values.update(fields)
    with db.sessions.begin() as session:
        voicemail = Voicemail(**values)
        session.add(voicemail)
        session.flush()
        return voicemail.id


def add_card_request(db, received: datetime, **fields: Any) -> int:
    values: dict[str, Any] = {
        "reference": _reference("E"),
        "channel": "telegram",
        "cared_for_name": "Arthur",
        "help_needed": "Arthur needs his tablets at 8am and 6pm.",
        "contacts": [{"name": "Jo Smith", "relationship": "sister", "phone": "07700900333"}],
        "consent_at": received,
        "consent_wording_version": "card_consent:abc",
        "received_at": received,
    }
    values.update(fields)
    with db.sessions.begin() as session:
        request = EmergencyCardRequest(**values)
        session.add(request)
        session.flush()
        return request.id


def add_card(db, issued: datetime, number: str, **fields: Any) -> int:
    with db.sessions.begin() as session:
        card = EmergencyCard(number=number, issued_at=issued, **fields)
        session.add(card)
        session.flush()
        return card.id


def add_activation(db, at: datetime, reference: str, card_id: int | None, number: str) -> int:
    """A card activation, its urgent callback, and the texts it queued."""
    with db.sessions.begin() as session:
        activation = CardActivation(card_id=card_id, number_given=number, channel="voice", at=at)
        session.add(activation)
        session.flush()
        session.add(
            Callback(
                reference=reference,
                kind="card_activation",
                urgency="urgent",
                channel="voice",
                reason="Emergency card used (card found): put the plan into action",
                received_at=at,
                due_by=at + timedelta(hours=6),
                activation_id=activation.id,
            )
        )
        for key, recipient in (("contact:07700900333", "07700900333"), ("duty", "01632960999")):
            session.add(
                OutboxMessage(
                    channel="sms",
                    recipient=recipient,
                    payload={"text": "A carer's emergency card was used."},
                    dedupe_key=f"activation:{reference}:{key}",
                    status="sent" if key == "duty" else "pending",
                    attempts=1,
                    next_attempt_at=at,
                    created_at=at,
                    sent_at=at if key == "duty" else None,
                )
            )
        return activation.id


def row(db, model, row_id: int):
    with db.sessions() as session:
        return session.get(model, row_id)


def rows(db, model, *where):
    with db.sessions() as session:
        return list(session.scalars(select(model).where(*where).order_by(model.id)))
