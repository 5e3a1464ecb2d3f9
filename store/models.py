"""Database tables for everything the service keeps.

Conversations, carers, referrals, emergency cards, callbacks, voicemails, staff, audit events,
unanswered questions, article feedback, the outbox and processed webhook ids.

Every timestamp is a UTC-aware ``UTCDateTime``. Every record a carer's contact creates carries
the channel and the conversation it came from (L12), so staff can see the whole interaction.
Personal free text is ``EncryptedText``/``EncryptedJSON`` (encrypted at rest, L12), and phone
numbers are found through keyed hashes (``phone_hash``, ``caller_hash``) set on assignment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from store.crypto import phone_hash
from store.types import EncryptedJSON, EncryptedText, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CHANNELS = ("voice", "sms", "telegram", "terminal", "console")
REFERRAL_SOURCES = ("self", "family", "professional", "agency")
CALLBACK_KINDS = ("callback", "referral", "voicemail", "card_request", "card_activation", "crisis")
CALLBACK_STATUSES = ("open", "done", "closed")
URGENCIES = ("normal", "urgent")
ATTEMPT_RESULTS = ("reached", "no_answer", "voicemail_left", "wrong_number", "declined")
OUTBOX_STATUSES = ("pending", "sent", "dead")
STAFF_ROLES = ("staff", "supervisor")
FOLLOW_UP_METHODS = ("letter", "email")


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"{column}_valid")


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class Carer(Base):
    """A person who looks after someone, as far as they chose to tell us."""

    __tablename__ = "carers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(EncryptedText())
    phone: Mapped[str | None] = mapped_column(EncryptedText())
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(EncryptedText())
    postcode_or_district: Mapped[str | None] = mapped_column(EncryptedText())
    communication_needs: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]

    @validates("phone")
    def _hash_phone(self, _key: str, phone: str | None) -> str | None:
        self.phone_hash = phone_hash(phone)
        return phone


class Conversation(Base):
    """One call or chat, keyed by channel and the channel's own id (CallSid, chat id)."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_conversations_channel_external_id"),
        _one_of("channel", CHANNELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    node: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    caller_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    carer_id: Mapped[int | None] = mapped_column(ForeignKey("carers.id"))
    started_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(32))
    purged_at: Mapped[datetime | None]

    @validates("answers")
    def _hash_caller(self, _key: str, answers: dict[str, Any]) -> dict[str, Any]:
        """The caller ID the conversation holds, as a keyed hash for subject access (L12)."""
        self.caller_hash = caller_hash(answers)
        return answers


def caller_hash(answers: object) -> str | None:
    """The keyed hash of the caller ID a conversation's answers hold (L12), if any."""
    caller = answers.get("caller") if isinstance(answers, dict) else None
    return phone_hash(caller) if isinstance(caller, str) else None


class ConversationTurn(Base):
    """What was said, in order, both ways: the transcript staff read (L12)."""

    __tablename__ = "conversation_turns"
    __table_args__ = (CheckConstraint("direction IN ('in', 'out')", name="direction_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    direction: Mapped[str] = mapped_column(String(3))
    node: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(EncryptedText())


class Referral(Base):
    """A referral to the carers service (L9, L10, L11, K5, K6, P1)."""

    __tablename__ = "referrals"
    __table_args__ = (_one_of("source", REFERRAL_SOURCES), _one_of("channel", CHANNELS))

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    carer_id: Mapped[int | None] = mapped_column(ForeignKey("carers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    referrer_name: Mapped[str | None] = mapped_column(EncryptedText())
    referrer_phone: Mapped[str | None] = mapped_column(EncryptedText())
    referrer_organisation: Mapped[str | None] = mapped_column(EncryptedText())
    relationship_to_cared_for: Mapped[str | None] = mapped_column(EncryptedText())
    cared_for_condition: Mapped[str | None] = mapped_column(EncryptedText())
    carer_is_adult: Mapped[bool | None] = mapped_column(Boolean)
    is_paid_carer: Mapped[bool | None] = mapped_column(Boolean)
    caring_ended_over_limit: Mapped[bool | None] = mapped_column(Boolean)
    communication_needs: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    best_time_to_call: Mapped[str | None] = mapped_column(EncryptedText())
    demographics: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    consent_given: Mapped[bool] = mapped_column(Boolean)
    consent_at: Mapped[datetime | None]
    consent_wording_version: Mapped[str | None] = mapped_column(String(32))
    tell_referrer: Mapped[bool] = mapped_column(Boolean, default=False)
    referrer_told_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(index=True)
    acknowledge_due: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    first_contact_due: Mapped[datetime] = mapped_column(index=True)
    first_contact_at: Mapped[datetime | None]
    acknowledge_alerted_at: Mapped[datetime | None]
    first_contact_alerted_at: Mapped[datetime | None]


class EmergencyCardRequest(Base):
    """A carer asking to join the emergency card scheme (K7, K8, W1, P2)."""

    __tablename__ = "emergency_card_requests"
    __table_args__ = (
        _one_of("status", ("pending", "approved", "declined")),
        _one_of("channel", CHANNELS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    carer_id: Mapped[int | None] = mapped_column(ForeignKey("carers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    cared_for_name: Mapped[str | None] = mapped_column(EncryptedText())
    help_needed: Mapped[str | None] = mapped_column(EncryptedText())
    contacts: Mapped[list[Any]] = mapped_column(EncryptedJSON(), default=list)
    consent_at: Mapped[datetime | None]
    consent_wording_version: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(EncryptedText())


class EmergencyCard(Base):
    """An issued card: a unique number with a check digit, and the emergency plan it triggers."""

    __tablename__ = "emergency_cards"
    __table_args__ = (_one_of("status", ("active", "cancelled")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_card_requests.id"))
    carer_id: Mapped[int | None] = mapped_column(ForeignKey("carers.id"), index=True)
    plan: Mapped[str | None] = mapped_column(EncryptedText())
    contacts: Mapped[list[Any]] = mapped_column(EncryptedJSON(), default=list)
    issued_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="active")


class CardActivation(Base):
    """Someone called because a card holder is in an emergency (known card or not)."""

    __tablename__ = "card_activations"
    __table_args__ = (_one_of("channel", CHANNELS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_cards.id"), index=True)
    number_given: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class Voicemail(Base):
    """An answerphone message: Twilio's recording id, length and transcript (L5, L7)."""

    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str | None] = mapped_column(String(500))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    transcript: Mapped[str | None] = mapped_column(EncryptedText())
    transcript_status: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class StaffUser(Base):
    """A member of staff who signs in to the console."""

    __tablename__ = "staff_users"
    __table_args__ = (_one_of("role", STAFF_ROLES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Raised to end every live session: "sign out everywhere", a new password, disabling."""


class Callback(Base):
    """An item in the staff queue: someone we promised to call back, and by when."""

    __tablename__ = "callbacks"
    __table_args__ = (
        _one_of("kind", CALLBACK_KINDS),
        _one_of("status", CALLBACK_STATUSES),
        _one_of("urgency", URGENCIES),
        _one_of("channel", CHANNELS),
        Index("ix_callbacks_queue", "status", "urgency", "due_by"),
        Index("ix_callbacks_queue_kind", "status", "kind", "urgency", "due_by"),
        Index("ix_callbacks_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    carer_id: Mapped[int | None] = mapped_column(ForeignKey("carers.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    voicemail_id: Mapped[int | None] = mapped_column(ForeignKey("voicemails.id"))
    card_request_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_card_requests.id"))
    activation_id: Mapped[int | None] = mapped_column(ForeignKey("card_activations.id"))
    reason: Mapped[str | None] = mapped_column(EncryptedText())
    phone: Mapped[str | None] = mapped_column(EncryptedText())
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(index=True)
    due_by: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8), default="open")
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    claimed_at: Mapped[datetime | None]
    attempts_count: Mapped[int] = mapped_column(Integer, default=0)
    ended_early: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(64))
    outcome_notes: Mapped[str | None] = mapped_column(EncryptedText())
    signposted_to: Mapped[list[Any]] = mapped_column(default=list)
    completed_at: Mapped[datetime | None]
    consent_at: Mapped[datetime | None]
    consent_wording_version: Mapped[str | None] = mapped_column(String(64))
    reminder_sent_at: Mapped[datetime | None]
    overdue_alerted_at: Mapped[datetime | None]

    @validates("phone")
    def _hash_phone(self, _key: str, phone: str | None) -> str | None:
        self.phone_hash = phone_hash(phone)
        return phone


class CallbackAttempt(Base):
    """One try at reaching the carer, with its result."""

    __tablename__ = "callback_attempts"
    __table_args__ = (_one_of("result", ATTEMPT_RESULTS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    at: Mapped[datetime]
    result: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(EncryptedText())


class AuditEvent(Base):
    """Who viewed or changed what, when (L12). Append-only from the application."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_type", "subject_id"),
        Index("ix_audit_events_staff_id_at", "staff_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FollowUpTask(Base):
    """A letter or e-mail to send when the phone could not reach the carer (attempt policy)."""

    __tablename__ = "follow_up_tasks"
    __table_args__ = (
        _one_of("method", FOLLOW_UP_METHODS),
        _one_of("status", ("open", "done")),
        Index("ix_follow_up_tasks_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    callback_id: Mapped[int] = mapped_column(ForeignKey("callbacks.id"), unique=True)
    method: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    done_at: Mapped[datetime | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    notes: Mapped[str | None] = mapped_column(EncryptedText())


class UnansweredQuestion(Base):
    """A question the knowledge base could not answer well, for content editors (L14, K9)."""

    __tablename__ = "unanswered_questions"
    __table_args__ = (_one_of("channel", CHANNELS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    question: Mapped[str] = mapped_column(EncryptedText())
    clarify_offered: Mapped[bool] = mapped_column(Boolean, default=False)


class ArticleFeedback(Base):
    """The answer to "Did that help?" after an article."""

    __tablename__ = "article_feedback"
    __table_args__ = (_one_of("channel", CHANNELS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    article_id: Mapped[str] = mapped_column(String(100), index=True)
    helped: Mapped[bool] = mapped_column(Boolean)


class OutboxMessage(Base):
    """A message waiting to go out (SMS, Telegram); the clock delivers and retries in order."""

    __tablename__ = "outbox"
    __table_args__ = (
        _one_of("status", OUTBOX_STATUSES),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class ProcessedWebhook(Base):
    """A webhook already handled (Twilio retry, Telegram update_id), with the reply we gave."""

    __tablename__ = "processed_webhooks"
    __table_args__ = (UniqueConstraint("source", "key", name="uq_processed_webhooks_source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(index=True)
    response: Mapped[str | None] = mapped_column(EncryptedText())


class Heartbeat(Base):
    """The last time a process (the clock) proved it was alive; /readyz reads it."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    beat_at: Mapped[datetime]


class TelegramChat(Base):
    """What the Telegram adapter must remember about a chat between updates.

    ``blocked_at``: the chat blocked the bot, so its messages are not tried again until it
    writes. ``share_keyboard``: a "Share my number" keyboard is showing and must be taken away.
    """

    __tablename__ = "telegram_chats"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    blocked_at: Mapped[datetime | None]
    share_keyboard: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class JobRun(Base):
    """A clock job that runs once per period (the daily summary): the last period it ran for."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(32))
    ran_at: Mapped[datetime]


BLOCK_KINDS = ("phone", "chat")


class UsageEvent(Base):
    """One costly thing a caller or chat set off, or a failed sign-in from an address.

    Counted over a rolling window for the abuse limits (issue 8 items 6 and 7). ``subject`` is
    ``phone:``, ``chat:`` or ``address:`` followed by a keyed hash of the number (E.164), the
    Telegram chat id or the client address (``store.limits.stored_subject``);
    ``reference`` names the callback a request created, so a carer over the limit can be told
    about the request already on file.
    """

    __tablename__ = "usage_events"
    __table_args__ = (Index("ix_usage_events_lookup", "subject", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(80))
    reference: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(index=True)


class BlockedContact(Base):
    """A phone number (E.164) or Telegram chat id staff have blocked, with a reason and an expiry.

    Matched by ``match_key`` (a keyed hash, as the ``phone_hash`` columns); the number or chat id
    and the reason are encrypted. A blocked contact still gets the emergency numbers;
    ``contacts`` counts how often they got in touch while blocked. Removing an entry keeps the
    row (``removed_at``) for the record.
    """

    __tablename__ = "blocked_contacts"
    __table_args__ = (
        _one_of("kind", BLOCK_KINDS),
        Index("ix_blocked_contacts_kind_match_key", "kind", "match_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    match_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(EncryptedText())
    reason: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    expires_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    contacts: Mapped[int] = mapped_column(Integer, default=0)
    last_contact_at: Mapped[datetime | None]


class Erasure(Base):
    """A tombstone: a record's personal data was erased on request (L12). Holds no personal data.

    ``subject_hash`` is the keyed hash of the phone number (or chat id) the request named, so a
    later request can be matched to it without keeping the number.
    """

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(EncryptedText())
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
