"""Subject access (L12, UK GDPR Art. 15): everything held about one carer, found by phone number.

``find_subject`` gathers the carer's records across every table: records matched by the keyed
hash of the number (carers, callbacks, conversations whose caller ID it was), text
conversations and outbox messages addressed to the number or the Telegram chat, and then every
record linked to those, until nothing new is found. ``export_subject`` turns them into one
document whose ``review_before_release`` section holds the information about other people
(the cared-for person, referrers, card contacts, staff notes) that a reviewer must look at
before anything is sent. Erasure (``store.erasure``) works on the same records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, tuple_
from sqlalchemy.orm import Session

from handlers.phones import clean_phone, normalised_number
from handlers.ports import Actor
from store.audit import add_audit
from store.crypto import phone_hash
from store.models import (
    AuditEvent,
    Base,
    Callback,
    CallbackAttempt,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    FollowUpTask,
    OutboxMessage,
    Referral,
    UnansweredQuestion,
    Voicemail,
)

EXPORT_ACTOR = "cli:data-export"
CARED_FOR = "about the cared-for person"
REFERRER = "about the referrer"
CONTACTS = "the card's emergency contacts"
STAFF = "written by staff"
LINK_ROUNDS = 5


class NotAPhoneNumberError(ValueError):
    """The number given cannot be matched (not a UK or international number)."""


@dataclass
class Subject:
    """The rows held about one carer, each list in id order."""

    subject_hash: str
    carers: list[Carer] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    card_requests: list[EmergencyCardRequest] = field(default_factory=list)
    cards: list[EmergencyCard] = field(default_factory=list)
    activations: list[CardActivation] = field(default_factory=list)
    voicemails: list[Voicemail] = field(default_factory=list)
    attempts: list[CallbackAttempt] = field(default_factory=list)
    follow_ups: list[FollowUpTask] = field(default_factory=list)
    turns: list[ConversationTurn] = field(default_factory=list)
    questions: list[UnansweredQuestion] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)
    audit_events: list[AuditEvent] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many of each kind of record (what the audit trail and the reviewer see)."""
        return {
            name: len(rows)
            for name, rows in vars(self).items()
            if isinstance(rows, list) and name != "turns"
        } | {"transcript_lines": len(self.turns)}


def phone_forms(phone: str) -> list[str]:
    """The ways a number may be written where it is stored in clear (UK form and E.164)."""
    forms = {form for form in (clean_phone(phone), normalised_number(phone)) if form}
    return sorted(forms)


def find_subject(session: Session, phone: str, telegram_chat: str | None = None) -> Subject:
    """Every record held about the carer with this number (and Telegram chat, if given)."""
    subject_hash = phone_hash(phone)
    if subject_hash is None:
        raise NotAPhoneNumberError("not a phone number: give a UK number or +country code form")
    forms = phone_forms(phone)
    subject = Subject(subject_hash)
    direct_conversations: list[ColumnElement[bool]] = [
        Conversation.caller_hash == subject_hash,
        and_(Conversation.channel == "sms", Conversation.external_id.in_(forms)),
    ]
    direct_carers: list[ColumnElement[bool]] = [Carer.phone_hash == subject_hash]
    if telegram_chat:
        direct_conversations.append(
            and_(Conversation.channel == "telegram", Conversation.external_id == telegram_chat)
        )
        direct_carers.append(Carer.telegram_chat_id == telegram_chat)
    ids = _Ids(
        carers=_ids(session, Carer, *direct_carers),
        conversations=_ids(session, Conversation, *direct_conversations),
        callbacks=_ids(session, Callback, Callback.phone_hash == subject_hash),
    )
    for _ in range(LINK_ROUNDS):
        if not ids.follow_links(session):
            break
    subject.carers = _rows(session, Carer, ids.carers)
    subject.conversations = _rows(session, Conversation, ids.conversations)
    subject.callbacks = _rows(session, Callback, ids.callbacks)
    subject.referrals = _rows(session, Referral, ids.referrals)
    subject.card_requests = _rows(session, EmergencyCardRequest, ids.card_requests)
    subject.cards = _rows(session, EmergencyCard, ids.cards)
    subject.activations = _linked(session, CardActivation, CardActivation.card_id, ids.cards)
    voicemail_ids = {c.voicemail_id for c in subject.callbacks if c.voicemail_id}
    voicemail_ids |= set(
        session.scalars(
            select(Voicemail.id).where(_in(Voicemail.conversation_id, ids.conversations))
        )
    )
    subject.voicemails = _rows(session, Voicemail, voicemail_ids)
    subject.attempts = _linked(session, CallbackAttempt, CallbackAttempt.callback_id, ids.callbacks)
    subject.follow_ups = _linked(session, FollowUpTask, FollowUpTask.callback_id, ids.callbacks)
    subject.turns = _linked(
        session, ConversationTurn, ConversationTurn.conversation_id, ids.conversations
    )
    subject.questions = _linked(
        session, UnansweredQuestion, UnansweredQuestion.conversation_id, ids.conversations
    )
    subject.outbox = _outbox(session, forms, telegram_chat)
    subject.audit_events = _audit_events(session, subject, voicemail_ids)
    return subject


@dataclass
class _Ids:
    carers: set[int] = field(default_factory=set)
    conversations: set[int] = field(default_factory=set)
    callbacks: set[int] = field(default_factory=set)
    referrals: set[int] = field(default_factory=set)
    card_requests: set[int] = field(default_factory=set)
    cards: set[int] = field(default_factory=set)

    def follow_links(self, session: Session) -> bool:
        """Add the records linked to those found so far; False when nothing new was found."""
        before = self.size()
        self.referrals |= _ids(
            session,
            Referral,
            _in(Referral.carer_id, self.carers),
            _in(Referral.conversation_id, self.conversations),
            _in(Referral.id, _values(session, Callback.referral_id, Callback.id, self.callbacks)),
        )
        self.card_requests |= _ids(
            session,
            EmergencyCardRequest,
            _in(EmergencyCardRequest.carer_id, self.carers),
            _in(EmergencyCardRequest.conversation_id, self.conversations),
            _in(
                EmergencyCardRequest.id,
                _values(session, Callback.card_request_id, Callback.id, self.callbacks),
            ),
        )
        self.cards |= _ids(
            session,
            EmergencyCard,
            _in(EmergencyCard.carer_id, self.carers),
            _in(EmergencyCard.request_id, self.card_requests),
        )
        self.carers |= _values(session, Referral.carer_id, Referral.id, self.referrals)
        self.carers |= _values(
            session, EmergencyCardRequest.carer_id, EmergencyCardRequest.id, self.card_requests
        )
        self.carers |= _values(session, Callback.carer_id, Callback.id, self.callbacks)
        self.conversations |= _ids(session, Conversation, _in(Conversation.carer_id, self.carers))
        self.conversations |= _values(
            session, Callback.conversation_id, Callback.id, self.callbacks
        )
        self.conversations |= _values(
            session, Referral.conversation_id, Referral.id, self.referrals
        )
        self.conversations |= _values(
            session,
            EmergencyCardRequest.conversation_id,
            EmergencyCardRequest.id,
            self.card_requests,
        )
        self.callbacks |= _ids(
            session,
            Callback,
            _in(Callback.carer_id, self.carers),
            _in(Callback.conversation_id, self.conversations),
            _in(Callback.referral_id, self.referrals),
            _in(Callback.card_request_id, self.card_requests),
        )
        return self.size() != before

    def size(self) -> int:
        return sum(len(found) for found in vars(self).values())


def _in(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    values = sorted(ids)
    return column.in_(values) if values else false()


def _ids(session: Session, model: type[Base], *conditions: ColumnElement[bool]) -> set[int]:
    key = model.__table__.c.id
    return set(session.scalars(select(key).where(or_(*conditions))))


def _values(session: Session, column: Any, key: Any, ids: set[int]) -> set[int]:
    """The non-null ``column`` values of the rows whose ``key`` is in ``ids``."""
    return {value for value in session.scalars(select(column).where(_in(key, ids))) if value}


def _rows(session: Session, model: Any, ids: set[int]) -> list[Any]:
    return list(session.scalars(select(model).where(_in(model.id, ids)).order_by(model.id)))


def _linked(session: Session, model: Any, column: Any, ids: set[int]) -> list[Any]:
    return list(session.scalars(select(model).where(_in(column, ids)).order_by(model.id)))


def _outbox(session: Session, forms: list[str], telegram_chat: str | None) -> list[OutboxMessage]:
    """Messages to the number (texts) or the chat; recipients are kept in clear for ordering."""
    addressed = [and_(OutboxMessage.channel == "sms", OutboxMessage.recipient.in_(forms))]
    if telegram_chat:
        addressed.append(
            and_(OutboxMessage.channel == "telegram", OutboxMessage.recipient == telegram_chat)
        )
    query = select(OutboxMessage).where(or_(*addressed)).order_by(OutboxMessage.id)
    return list(session.scalars(query))


def _audit_events(session: Session, subject: Subject, voicemail_ids: set[int]) -> list[AuditEvent]:
    pairs = [("carer", row.id) for row in subject.carers]
    pairs += [("conversation", row.id) for row in subject.conversations]
    pairs += [("callback", row.id) for row in subject.callbacks]
    pairs += [("referral", row.id) for row in subject.referrals]
    pairs += [("card_request", row.id) for row in subject.card_requests]
    pairs += [("card", row.id) for row in subject.cards]
    pairs += [("card_activation", row.id) for row in subject.activations]
    pairs += [("follow_up", row.id) for row in subject.follow_ups]
    pairs += [("voicemail", voicemail_id) for voicemail_id in sorted(voicemail_ids)]
    if not pairs:
        return []
    query = (
        select(AuditEvent)
        .where(tuple_(AuditEvent.subject_type, AuditEvent.subject_id).in_(pairs))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(session.scalars(query))


def export_subject(
    session: Session, phone: str, telegram_chat: str | None, at: datetime
) -> dict[str, Any]:
    """The subject access document, and an audit event for it (counts only)."""
    subject = find_subject(session, phone, telegram_chat)
    document = _Document().build(subject)
    document["generated_at"] = at.isoformat()
    document["asked_for"] = {"phone": normalised_number(phone), "telegram_chat": telegram_chat}
    add_audit(
        session,
        Actor(None, EXPORT_ACTOR),
        "subject_access_export",
        "subject",
        None,
        at,
        {**subject.counts(), "for_review": len(document["review_before_release"])},
    )
    return document


class _Document:
    """Builds the export, moving third-party fields into the review section as it goes."""

    def __init__(self) -> None:
        self.review: list[dict[str, Any]] = []

    def held_back(self, record: str, field_name: str, value: Any, why: str) -> None:
        if value in (None, "", [], {}):
            return
        self.review.append({"record": record, "field": field_name, "value": value, "why": why})

    def build(self, subject: Subject) -> dict[str, Any]:
        turns: dict[int, list[dict[str, Any]]] = {}
        for turn in subject.turns:
            turns.setdefault(turn.conversation_id, []).append(
                {"at": _when(turn.at), "direction": turn.direction, "text": turn.text}
            )
        records = {
            "carers": [_carer(carer) for carer in subject.carers],
            "conversations": [
                {
                    "id": row.id,
                    "channel": row.channel,
                    "started_at": _when(row.started_at),
                    "ended_at": _when(row.ended_at),
                    "ended_reason": row.ended_reason,
                    "answers": row.answers,
                    "transcript": turns.get(row.id, []),
                }
                for row in subject.conversations
            ],
            "callbacks": [self.callback(row, subject) for row in subject.callbacks],
            "referrals": [self.referral(row) for row in subject.referrals],
            "card_requests": [self.card_request(row) for row in subject.card_requests],
            "cards": [self.card(row, subject) for row in subject.cards],
            "voicemails": [
                {
                    "id": row.id,
                    "received_at": _when(row.received_at),
                    "duration_seconds": row.duration_seconds,
                    "transcript": row.transcript,
                    "recording_sid": row.recording_sid,
                    "recording_url": row.recording_url,
                    "recording_deleted_at": _when(row.deleted_at),
                }
                for row in subject.voicemails
            ],
            "unanswered_questions": [
                {"at": _when(row.at), "channel": row.channel, "question": row.question}
                for row in subject.questions
            ],
            "outbox_messages": [
                {
                    "channel": row.channel,
                    "status": row.status,
                    "created_at": _when(row.created_at),
                    "sent_at": _when(row.sent_at),
                    "message": row.payload,
                }
                for row in subject.outbox
            ],
            "audit_events": [self.audit(row) for row in subject.audit_events],
        }
        return {"records": records, "review_before_release": self.review}

    def callback(self, row: Callback, subject: Subject) -> dict[str, Any]:
        name = f"callback {row.reference}"
        self.held_back(name, "outcome_notes", row.outcome_notes, STAFF)
        attempts = []
        for attempt in subject.attempts:
            if attempt.callback_id == row.id:
                attempts.append({"at": _when(attempt.at), "result": attempt.result})
                self.held_back(
                    f"{name}, attempt at {_when(attempt.at)}", "notes", attempt.notes, STAFF
                )
        follow_ups = []
        for task in subject.follow_ups:
            if task.callback_id == row.id:
                follow_ups.append(
                    {
                        "method": task.method,
                        "reason": task.reason,
                        "status": task.status,
                        "created_at": _when(task.created_at),
                        "done_at": _when(task.done_at),
                    }
                )
                self.held_back(f"{name}, follow-up", "notes", task.notes, STAFF)
        return {
            "reference": row.reference,
            "kind": row.kind,
            "urgency": row.urgency,
            "channel": row.channel,
            "phone": row.phone,
            "reason": row.reason,
            "received_at": _when(row.received_at),
            "due_by": _when(row.due_by),
            "status": row.status,
            "outcome": row.outcome,
            "signposted_to": row.signposted_to,
            "completed_at": _when(row.completed_at),
            "consent_at": _when(row.consent_at),
            "attempts": attempts,
            "follow_up_tasks": follow_ups,
        }

    def referral(self, row: Referral) -> dict[str, Any]:
        name = f"referral {row.reference}"
        self.held_back(name, "referrer_name", row.referrer_name, REFERRER)
        self.held_back(name, "referrer_phone", row.referrer_phone, REFERRER)
        self.held_back(name, "referrer_organisation", row.referrer_organisation, REFERRER)
        self.held_back(name, "relationship_to_cared_for", row.relationship_to_cared_for, CARED_FOR)
        self.held_back(name, "cared_for_condition", row.cared_for_condition, CARED_FOR)
        return {
            "reference": row.reference,
            "channel": row.channel,
            "source": row.source,
            "carer_is_adult": row.carer_is_adult,
            "is_paid_carer": row.is_paid_carer,
            "caring_ended_over_limit": row.caring_ended_over_limit,
            "communication_needs": row.communication_needs,
            "best_time_to_call": row.best_time_to_call,
            "demographics": row.demographics,
            "consent_at": _when(row.consent_at),
            "received_at": _when(row.received_at),
            "acknowledged_at": _when(row.acknowledged_at),
            "first_contact_at": _when(row.first_contact_at),
        }

    def card_request(self, row: EmergencyCardRequest) -> dict[str, Any]:
        name = f"card request {row.reference}"
        self.held_back(name, "cared_for_name", row.cared_for_name, CARED_FOR)
        self.held_back(name, "help_needed", row.help_needed, CARED_FOR)
        self.held_back(name, "contacts", row.contacts, CONTACTS)
        self.held_back(name, "decision_note", row.decision_note, STAFF)
        return {
            "reference": row.reference,
            "channel": row.channel,
            "status": row.status,
            "received_at": _when(row.received_at),
            "consent_at": _when(row.consent_at),
            "decided_at": _when(row.decided_at),
        }

    def card(self, row: EmergencyCard, subject: Subject) -> dict[str, Any]:
        name = f"card {row.number}"
        self.held_back(name, "plan", row.plan, CARED_FOR)
        self.held_back(name, "contacts", row.contacts, CONTACTS)
        return {
            "number": row.number,
            "status": row.status,
            "issued_at": _when(row.issued_at),
            "activations": [
                {"at": _when(use.at), "channel": use.channel}
                for use in subject.activations
                if use.card_id == row.id
            ],
        }

    def audit(self, row: AuditEvent) -> dict[str, Any]:
        self.held_back(f"audit event {row.id}", "by", row.actor if row.staff_id else None, STAFF)
        return {
            "at": _when(row.at),
            "action": row.action,
            "record": f"{row.subject_type} {row.subject_id}",
            "by": "a member of staff" if row.staff_id else row.actor,
        }


def _carer(row: Carer) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "postcode_or_district": row.postcode_or_district,
        "communication_needs": row.communication_needs,
        "telegram_chat_id": row.telegram_chat_id,
        "created_at": _when(row.created_at),
        "erased_at": _when(row.erased_at),
    }


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
