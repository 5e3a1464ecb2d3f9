"""Reading one queue item in full: everything the carer told us, on every channel, in order (L12).

Implements ``handlers.ports.CaseFiles``. An item's file holds its conversation transcript and
those of the carer's other contacts (same phone number, matched by its keyed hash, or same
carer record), the referral's
answers, the voicemail, the emergency card request and card, a card activation with the
messages it sent, the attempts so far, any follow-up task, and the earlier contacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ports import (
    ActivationRecord,
    AttemptRecord,
    CardRecord,
    CardRequestRecord,
    CarerRecord,
    CaseFile,
    ConversationRecord,
    EarlierContact,
    FollowUpRecord,
    NotificationRecord,
    ReferralRecord,
    TranscriptLine,
    VoicemailRecord,
)
from store.casework import follow_up_record
from store.models import (
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
    StaffUser,
    Voicemail,
)
from store.queue import queue_row

EARLIER_CONTACTS = 20
RELATED_CONVERSATIONS = 10


class SqlCaseFiles:
    """Read-only views of items, cards and voicemails."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def callback(self, callback_id: int) -> CaseFile | None:
        """The item and everything linked to it."""
        with self._sessions() as session:
            found = session.execute(
                select(Callback, StaffUser.display_name)
                .outerjoin(StaffUser, StaffUser.id == Callback.claimed_by)
                .where(Callback.id == callback_id)
            ).first()
            if found is None:
                return None
            callback, holder = found
            return _CaseReader(session).read(callback, holder)

    def card(self, card_id: int) -> CardRecord | None:
        """An issued card with every activation."""
        with self._sessions() as session:
            card = session.get(EmergencyCard, card_id)
            return None if card is None else _CaseReader(session).card(card)

    def voicemail(self, voicemail_id: int) -> VoicemailRecord | None:
        """One voicemail."""
        with self._sessions() as session:
            voicemail = session.get(Voicemail, voicemail_id)
            return None if voicemail is None else _voicemail(voicemail)


class _CaseReader:
    """Builds the records for one file inside one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, callback: Callback, holder: str | None) -> CaseFile:
        session = self.session
        carer = session.get(Carer, callback.carer_id) if callback.carer_id else None
        earlier = self.earlier(callback, carer)
        conversation_ids = [callback.conversation_id] if callback.conversation_id else []
        conversation_ids += [
            other.conversation_id for other in earlier if other.conversation_id is not None
        ][:RELATED_CONVERSATIONS]
        referral = session.get(Referral, callback.referral_id) if callback.referral_id else None
        voicemail = session.get(Voicemail, callback.voicemail_id) if callback.voicemail_id else None
        request = (
            session.get(EmergencyCardRequest, callback.card_request_id)
            if callback.card_request_id
            else None
        )
        activation = (
            session.get(CardActivation, callback.activation_id) if callback.activation_id else None
        )
        card = self.card_for(request, activation)
        return CaseFile(
            item=queue_row(callback, holder),
            status=callback.status,
            phone=callback.phone,
            window_start=callback.window_start,
            window_end=callback.window_end,
            ended_early=callback.ended_early,
            claimed_at=callback.claimed_at,
            outcome=callback.outcome,
            outcome_notes=callback.outcome_notes,
            signposted_to=tuple(str(service) for service in callback.signposted_to),
            completed_at=callback.completed_at,
            carer=_carer(carer) if carer else None,
            conversations=self.conversations(conversation_ids),
            referral=_referral(referral) if referral else None,
            voicemail=_voicemail(voicemail) if voicemail else None,
            card_request=self.card_request(request) if request else None,
            card=self.card(card) if card else None,
            activation=self.activation(activation, callback.reference) if activation else None,
            attempts=self.attempts(callback.id),
            follow_up=self.follow_up(callback),
            earlier=tuple(_earlier(other) for other in earlier),
        )

    def earlier(self, callback: Callback, carer: Carer | None) -> Sequence[Callback]:
        same: list[ColumnElement[bool]] = []
        # Matched by keyed hash: the numbers themselves are encrypted at rest (L12).
        hashes = {h for h in (callback.phone_hash, carer.phone_hash if carer else None) if h}
        if hashes:
            same.append(Callback.phone_hash.in_(sorted(hashes)))
        if callback.carer_id is not None:
            same.append(Callback.carer_id == callback.carer_id)
        if not same:
            return []
        return self.session.scalars(
            select(Callback)
            .where(or_(*same), Callback.id != callback.id)
            .order_by(Callback.received_at.desc(), Callback.id.desc())
            .limit(EARLIER_CONTACTS)
        ).all()

    def conversations(self, ids: list[int]) -> tuple[ConversationRecord, ...]:
        if not ids:
            return ()
        found = self.session.scalars(
            select(Conversation)
            .where(Conversation.id.in_(ids))
            .order_by(Conversation.started_at, Conversation.id)
        ).all()
        turns: dict[int, list[TranscriptLine]] = {conversation.id: [] for conversation in found}
        for turn in self.session.scalars(
            select(ConversationTurn)
            .where(ConversationTurn.conversation_id.in_(ids))
            .order_by(ConversationTurn.at, ConversationTurn.id)
        ):
            turns[turn.conversation_id].append(TranscriptLine(turn.at, turn.direction, turn.text))
        return tuple(
            ConversationRecord(
                id=conversation.id,
                channel=conversation.channel,
                started_at=conversation.started_at,
                ended_at=conversation.ended_at,
                ended_reason=conversation.ended_reason,
                lines=tuple(turns[conversation.id]),
            )
            for conversation in found
        )

    def card_for(
        self, request: EmergencyCardRequest | None, activation: CardActivation | None
    ) -> EmergencyCard | None:
        if activation is not None and activation.card_id is not None:
            return self.session.get(EmergencyCard, activation.card_id)
        if request is not None:
            return self.session.scalar(
                select(EmergencyCard).where(EmergencyCard.request_id == request.id)
            )
        return None

    def card_request(self, request: EmergencyCardRequest) -> CardRequestRecord:
        decided_by = self.session.get(StaffUser, request.decided_by) if request.decided_by else None
        card_id = self.session.scalar(
            select(EmergencyCard.id).where(EmergencyCard.request_id == request.id)
        )
        return CardRequestRecord(
            id=request.id,
            reference=request.reference,
            channel=request.channel,
            received_at=request.received_at,
            cared_for_name=request.cared_for_name,
            help_needed=request.help_needed,
            contacts=_contacts(request.contacts),
            status=request.status,
            decided_by_name=decided_by.display_name if decided_by else None,
            decided_at=request.decided_at,
            decision_note=request.decision_note,
            card_id=card_id,
        )

    def card(self, card: EmergencyCard) -> CardRecord:
        carer = self.session.get(Carer, card.carer_id) if card.carer_id else None
        activations = self.session.execute(
            select(CardActivation, Callback.reference)
            .outerjoin(Callback, Callback.activation_id == CardActivation.id)
            .where(CardActivation.card_id == card.id)
            .order_by(CardActivation.at.desc(), CardActivation.id.desc())
        ).all()
        return CardRecord(
            id=card.id,
            number=card.number,
            carer_name=carer.name if carer else None,
            plan=card.plan,
            contacts=_contacts(card.contacts),
            issued_at=card.issued_at,
            status=card.status,
            request_id=card.request_id,
            activations=tuple(
                self.activation(activation, reference) for activation, reference in activations
            ),
        )

    def activation(self, activation: CardActivation, reference: str | None) -> ActivationRecord:
        notifications: tuple[NotificationRecord, ...] = ()
        if reference:
            messages = self.session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.dedupe_key.startswith(f"activation:{reference}:", autoescape=True)
                )
                .order_by(OutboxMessage.id)
            )
            notifications = tuple(
                NotificationRecord(
                    channel=message.channel,
                    recipient=message.recipient,
                    status=message.status,
                    attempts=message.attempts,
                    created_at=message.created_at,
                    sent_at=message.sent_at,
                    last_error=message.last_error,
                )
                for message in messages
            )
        return ActivationRecord(
            id=activation.id,
            at=activation.at,
            channel=activation.channel,
            number_given=activation.number_given,
            card_id=activation.card_id,
            reference=reference,
            notifications=notifications,
        )

    def attempts(self, callback_id: int) -> tuple[AttemptRecord, ...]:
        found = self.session.execute(
            select(CallbackAttempt, StaffUser.display_name)
            .outerjoin(StaffUser, StaffUser.id == CallbackAttempt.staff_id)
            .where(CallbackAttempt.callback_id == callback_id)
            .order_by(CallbackAttempt.at, CallbackAttempt.id)
        )
        return tuple(
            AttemptRecord(attempt.at, name, attempt.result, attempt.notes)
            for attempt, name in found
        )

    def follow_up(self, callback: Callback) -> FollowUpRecord | None:
        found = self.session.execute(
            select(FollowUpTask, StaffUser.display_name)
            .outerjoin(StaffUser, StaffUser.id == FollowUpTask.done_by)
            .where(FollowUpTask.callback_id == callback.id)
        ).first()
        if found is None:
            return None
        task, done_by = found
        return follow_up_record(task, callback.reference, done_by)


def _carer(carer: Carer) -> CarerRecord:
    return CarerRecord(
        id=carer.id,
        name=carer.name,
        phone=carer.phone,
        email=carer.email,
        postcode_or_district=carer.postcode_or_district,
        communication_needs=dict(carer.communication_needs),
    )


def _referral(referral: Referral) -> ReferralRecord:
    return ReferralRecord(
        id=referral.id,
        reference=referral.reference,
        channel=referral.channel,
        source=referral.source,
        received_at=referral.received_at,
        referrer_name=referral.referrer_name,
        referrer_phone=referral.referrer_phone,
        referrer_organisation=referral.referrer_organisation,
        relationship_to_cared_for=referral.relationship_to_cared_for,
        cared_for_condition=referral.cared_for_condition,
        carer_is_adult=referral.carer_is_adult,
        is_paid_carer=referral.is_paid_carer,
        caring_ended_over_limit=referral.caring_ended_over_limit,
        communication_needs=dict(referral.communication_needs),
        best_time_to_call=referral.best_time_to_call,
        demographics=dict(referral.demographics),
        consent_at=referral.consent_at,
        tell_referrer=referral.tell_referrer,
        referrer_told_at=referral.referrer_told_at,
        acknowledge_due=referral.acknowledge_due,
        acknowledged_at=referral.acknowledged_at,
        first_contact_due=referral.first_contact_due,
        first_contact_at=referral.first_contact_at,
    )


def _voicemail(voicemail: Voicemail) -> VoicemailRecord:
    return VoicemailRecord(
        id=voicemail.id,
        received_at=voicemail.received_at,
        duration_seconds=voicemail.duration_seconds,
        transcript=voicemail.transcript,
        transcript_status=voicemail.transcript_status,
        recording_sid=voicemail.recording_sid,
        deleted_at=voicemail.deleted_at,
    )


def _earlier(callback: Callback) -> EarlierContact:
    return EarlierContact(
        id=callback.id,
        reference=callback.reference,
        kind=callback.kind,
        channel=callback.channel,
        received_at=callback.received_at,
        status=callback.status,
        outcome=callback.outcome,
    )


def _contacts(raw: list[Any]) -> tuple[dict[str, str], ...]:
    return tuple(
        {str(key): str(value) for key, value in contact.items()}
        for contact in raw
        if isinstance(contact, dict)
    )
