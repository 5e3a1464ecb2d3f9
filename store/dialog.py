"""The dialog's store: conversation state, transcript and records, in one transaction.

``SqlStore`` implements ``handlers.ports.Store``. Each command the core returns becomes rows here,
stamped with the channel and conversation it came from (L12), with an audit event for each
record a carer's contact creates.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.commands import (
    Command,
    EndConversation,
    ForgetConversation,
    QueueMessage,
    RecordFeedback,
    RecordUnanswered,
    SaveCallback,
    SaveCardActivation,
    SaveCardRequest,
    SaveReferral,
)
from handlers.dialog import ConversationKey, Reply, decode_replies, encode_replies
from handlers.ports import Actor, CardOnFile, StoredState
from store.audit import add_audit
from store.forget import forget_conversation
from store.models import (
    ArticleFeedback,
    Callback,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    ProcessedWebhook,
    Referral,
    UnansweredQuestion,
    Voicemail,
)
from store.outbox import add_to_outbox

MAX_TRANSCRIPT_CHARACTERS = 4000


class SqlLookups:
    """Read-only answers for the dialog, inside the current transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def booked_callbacks(self, start: datetime, end: datetime) -> dict[datetime, int]:
        """Open callbacks per preferred-window start."""
        rows = self._session.execute(
            select(Callback.window_start, func.count())
            .where(
                Callback.status == "open",
                Callback.window_start >= start,
                Callback.window_start < end,
            )
            .group_by(Callback.window_start)
        )
        return {when: count for when, count in rows if when is not None}

    def card(self, number: str) -> CardOnFile | None:
        """The active card with this number."""
        card = self._session.scalar(
            select(EmergencyCard).where(
                EmergencyCard.number == number, EmergencyCard.status == "active"
            )
        )
        if card is None:
            return None
        phones = tuple(
            str(c["phone"]) for c in card.contacts if isinstance(c, dict) and c.get("phone")
        )
        return CardOnFile(card_id=card.id, contact_phones=phones)

    def reference_taken(self, reference: str) -> bool:
        """True when any record already uses this reference."""
        for model in (Callback, Referral, EmergencyCardRequest):
            if self._session.scalar(select(model.id).where(model.reference == reference)):
                return True
        return False


class SqlTransaction:
    """One unit of work over a session (see ``handlers.ports.Transaction``)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.lookups = SqlLookups(session)
        self._conversations: dict[ConversationKey, Conversation] = {}

    def load(self, key: ConversationKey) -> StoredState | None:
        """The saved state, locked for update on PostgreSQL."""
        conversation = self._session.scalar(
            select(Conversation)
            .where(Conversation.channel == key.channel, Conversation.external_id == key.external_id)
            .with_for_update()
        )
        if conversation is None:
            return None
        self._conversations[key] = conversation
        return StoredState(conversation.node, conversation.attempts, dict(conversation.answers))

    def save(self, key: ConversationKey, state: StoredState, now: datetime) -> None:
        """Create or update the conversation row."""
        if key not in self._conversations:
            self.load(key)
        conversation = self._conversations.get(key)
        if conversation is None:
            conversation = Conversation(
                channel=key.channel, external_id=key.external_id, started_at=now, node=state.node
            )
            self._session.add(conversation)
            self._conversations[key] = conversation
        conversation.node = state.node
        conversation.attempts = state.attempts
        conversation.answers = state.data
        conversation.updated_at = now
        if state.node != "ended":
            conversation.ended_at = None
            conversation.ended_reason = None
        self._session.flush()

    def transcript(
        self, key: ConversationKey, direction: str, node: str, text: str, at: datetime
    ) -> None:
        """One line of what was said."""
        self._session.add(
            ConversationTurn(
                conversation_id=self._conversation(key).id,
                at=at,
                direction=direction,
                node=node,
                text=text[:MAX_TRANSCRIPT_CHARACTERS],
            )
        )

    def apply(self, key: ConversationKey, command: Command) -> None:
        """Write the rows for one command."""
        conversation = self._conversation(key)
        if isinstance(command, SaveCallback):
            self._callback(conversation, command)
        elif isinstance(command, SaveReferral):
            self._referral(conversation, command)
        elif isinstance(command, SaveCardRequest):
            self._card_request(conversation, command)
        elif isinstance(command, SaveCardActivation):
            self._card_activation(conversation, command)
        elif isinstance(command, RecordFeedback):
            self._session.add(
                ArticleFeedback(
                    at=command.at,
                    channel=conversation.channel,
                    conversation_id=conversation.id,
                    article_id=command.article_id,
                    helped=command.helped,
                )
            )
        elif isinstance(command, RecordUnanswered):
            self._session.add(
                UnansweredQuestion(
                    at=command.at,
                    channel=conversation.channel,
                    conversation_id=conversation.id,
                    question=command.question,
                    clarify_offered=command.clarify_offered,
                )
            )
        elif isinstance(command, QueueMessage):
            self._queue(command)
        elif isinstance(command, EndConversation):
            conversation.ended_at = command.at
            conversation.ended_reason = command.reason
        elif isinstance(command, ForgetConversation):
            forget_conversation(self._session, conversation, command.at)
        self._session.flush()

    def replay(self, key: ConversationKey, delivery: str) -> tuple[Reply, ...] | None:
        """The replies given to this delivery before, if it was handled."""
        encoded = self._session.scalar(
            select(ProcessedWebhook.response).where(
                ProcessedWebhook.source == key.channel,
                ProcessedWebhook.key == _delivery_key(key, delivery),
            )
        )
        return None if encoded is None else decode_replies(encoded)

    def remember(
        self, key: ConversationKey, delivery: str, replies: tuple[Reply, ...], at: datetime
    ) -> None:
        """Record the delivery; its UNIQUE key makes a concurrent copy fail and roll back."""
        self._session.add(
            ProcessedWebhook(
                source=key.channel,
                key=_delivery_key(key, delivery),
                at=at,
                response=encode_replies(replies),
            )
        )

    def _conversation(self, key: ConversationKey) -> Conversation:
        conversation = self._conversations.get(key)
        if conversation is None:
            raise LookupError("save the conversation before writing its records")
        return conversation

    def _callback(
        self, conversation: Conversation, command: SaveCallback, **links: Any
    ) -> Callback:
        voicemail_id = None
        if command.recording:
            voicemail = Voicemail(
                conversation_id=conversation.id,
                call_sid=conversation.external_id if conversation.channel == "voice" else None,
                recording_sid=str(command.recording["id"]),
                recording_url=command.recording.get("url"),
                duration_seconds=int(command.recording.get("seconds") or 0),
                received_at=command.received_at,
            )
            self._session.add(voicemail)
            self._session.flush()
            voicemail_id = voicemail.id
        callback = Callback(
            reference=command.reference,
            kind=command.kind,
            urgency="urgent" if command.urgent else "normal",
            channel=conversation.channel,
            conversation_id=conversation.id,
            carer_id=conversation.carer_id,
            voicemail_id=voicemail_id,
            reason=command.reason,
            phone=command.phone,
            window_start=command.window_start,
            window_end=command.window_end,
            received_at=command.received_at,
            due_by=command.due_by,
            ended_early=command.ended_early,
            consent_at=command.consent.at if command.consent else None,
            consent_wording_version=command.consent.wording_version if command.consent else None,
            **links,
        )
        self._session.add(callback)
        self._session.flush()
        self._audit("callback", callback.id, "created", conversation, command.received_at)
        return callback

    def _carer(self, conversation: Conversation, details: dict[str, Any], now: datetime) -> Carer:
        carer = Carer(
            name=details.get("name"),
            phone=details.get("phone"),
            email=(details.get("communication_needs") or {}).get("email"),
            postcode_or_district=details.get("postcode_or_district"),
            communication_needs=dict(details.get("communication_needs") or {}),
            telegram_chat_id=conversation.external_id
            if conversation.channel == "telegram"
            else None,
            created_at=now,
            updated_at=now,
        )
        self._session.add(carer)
        self._session.flush()
        conversation.carer_id = carer.id
        return carer

    def _referral(self, conversation: Conversation, command: SaveReferral) -> None:
        details = command.details
        carer = self._carer(conversation, details, command.received_at)
        referral = Referral(
            reference=command.reference,
            carer_id=carer.id,
            conversation_id=conversation.id,
            channel=conversation.channel,
            source=command.source,
            referrer_name=details.get("referrer_name"),
            referrer_phone=details.get("referrer_phone"),
            referrer_organisation=details.get("referrer_organisation"),
            relationship_to_cared_for=details.get("relationship"),
            cared_for_condition=details.get("condition"),
            carer_is_adult=details.get("carer_is_adult"),
            is_paid_carer=details.get("is_paid_carer"),
            caring_ended_over_limit=details.get("caring_ended_over_limit"),
            communication_needs=dict(details.get("communication_needs") or {}),
            best_time_to_call=details.get("best_time_to_call"),
            demographics=dict(details.get("demographics") or {}),
            consent_given=True,
            consent_at=command.consent.at,
            consent_wording_version=command.consent.wording_version,
            tell_referrer=command.tell_referrer,
            received_at=command.received_at,
            acknowledge_due=command.acknowledge_due,
            first_contact_due=command.first_contact_due,
        )
        self._session.add(referral)
        self._session.flush()
        self._audit("referral", referral.id, "created", conversation, command.received_at)
        self._callback(
            conversation,
            SaveCallback(
                reference=f"{command.reference}-1",
                kind="referral",
                reason="New referral: first contact",
                phone=details.get("phone") or details.get("referrer_phone"),
                received_at=command.received_at,
                due_by=command.callback_due,
                consent=command.consent,
            ),
            referral_id=referral.id,
        )

    def _card_request(self, conversation: Conversation, command: SaveCardRequest) -> None:
        details = command.details
        carer = self._carer(conversation, details, command.received_at)
        request = EmergencyCardRequest(
            reference=command.reference,
            carer_id=carer.id,
            conversation_id=conversation.id,
            channel=conversation.channel,
            cared_for_name=details.get("cared_for_name"),
            help_needed=details.get("help_needed"),
            contacts=[dict(contact) for contact in command.contacts],
            consent_at=command.consent.at,
            consent_wording_version=command.consent.wording_version,
            received_at=command.received_at,
        )
        self._session.add(request)
        self._session.flush()
        self._audit("card_request", request.id, "created", conversation, command.received_at)
        self._callback(
            conversation,
            SaveCallback(
                reference=f"{command.reference}-1",
                kind="card_request",
                reason="Emergency card request: check the plan",
                phone=details.get("phone"),
                received_at=command.received_at,
                due_by=command.callback_due,
                consent=command.consent,
            ),
            card_request_id=request.id,
        )

    def _card_activation(self, conversation: Conversation, command: SaveCardActivation) -> None:
        activation = CardActivation(
            card_id=command.card_id,
            number_given=command.number_given,
            conversation_id=conversation.id,
            channel=conversation.channel,
            at=command.received_at,
        )
        self._session.add(activation)
        self._session.flush()
        self._audit("card_activation", activation.id, "created", conversation, command.received_at)
        known = "card found" if command.card_id else "card NOT found"
        self._callback(
            conversation,
            SaveCallback(
                reference=command.reference,
                kind="card_activation",
                reason=f"Emergency card used ({known}): put the plan into action",
                phone=None,
                received_at=command.received_at,
                due_by=command.due_by,
                urgent=True,
            ),
            activation_id=activation.id,
        )

    def _queue(self, command: QueueMessage) -> None:
        add_to_outbox(
            self._session,
            command.channel,
            command.recipient,
            {"text": command.text, **command.extra},
            command.at,
            command.dedupe_key,
        )

    def _audit(
        self, subject: str, subject_id: int, action: str, conversation: Conversation, at: datetime
    ) -> None:
        add_audit(
            self._session,
            Actor(None, f"carer:{conversation.channel}"),
            action,
            subject,
            subject_id,
            at,
            {"conversation_id": conversation.id},
        )


def _delivery_key(key: ConversationKey, delivery: str) -> str:
    return f"{key.external_id}:{delivery}"[:200]


class SqlStore:
    """Opens one transaction per dialog step."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        """Commit on normal exit, roll back on an exception."""
        with self._sessions.begin() as session:
            yield SqlTransaction(session)
