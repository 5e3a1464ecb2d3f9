"""Erasure on request (L12, UK GDPR Art. 17): a carer's personal data goes, a tombstone stays.

The records are found as for subject access (``store.subject_access``). Nothing is erased while
a record must still be kept to help the carer: an open call-back, a referral still waiting for
its first contact, a card request not yet decided, or an active emergency card (the rules the
retention job and chat /forget already follow). Otherwise every personal detail is cleared in
one transaction, as /forget and the retention job clear them, and more: the text conversations
keyed by the number lose that key, their stored webhook replies go, and the voice recordings
are deleted at Twilio when it is configured. The records themselves stay, without personal
data, as the record of help given; each gets a tombstone (when, which record, the reason, the
keyed hash of the number, nothing else) and one audit event records the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from handlers.ports import Actor, RecordingDeleter
from store.audit import add_audit
from store.forget import (
    FORGOTTEN,
    erase_card_request,
    erase_carer,
    erase_conversation,
    erase_referral,
)
from store.models import Erasure, ProcessedWebhook, TelegramChat
from store.subject_access import Subject, find_subject

ERASE_ACTOR = "cli:data-erase"


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure did (or would do), in counts; ``refused`` says why nothing was done."""

    refused: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    recordings_left_at_twilio: int = 0


def must_keep(subject: Subject) -> tuple[str, ...]:
    """Why the records cannot be erased yet (empty when they can)."""
    reasons = [
        f"call-back {c.reference} is still open" for c in subject.callbacks if c.status == "open"
    ]
    reasons += [
        f"referral {r.reference} is waiting for its first contact"
        for r in subject.referrals
        if r.first_contact_at is None
    ]
    reasons += [
        f"emergency card request {r.reference} has not been decided"
        for r in subject.card_requests
        if r.status == "pending"
    ]
    reasons += [
        f"emergency card {c.number} is active" for c in subject.cards if c.status == "active"
    ]
    return tuple(reasons)


def erase_subject(
    session: Session,
    phone: str,
    telegram_chat: str | None,
    at: datetime,
    *,
    reason: str | None,
    dry_run: bool,
    recordings: RecordingDeleter | None,
) -> ErasureResult:
    """Erase everything held about the carer with this number, unless a record must be kept."""
    subject = find_subject(session, phone, telegram_chat)
    counts = subject.counts()
    refused = must_keep(subject)
    if refused or dry_run:
        return ErasureResult(refused, counts)
    for conversation in subject.conversations:
        erase_conversation(session, conversation, at)
        if conversation.channel == "sms":
            # A text conversation is keyed by the sender's number, kept in clear for look-up.
            session.execute(
                delete(ProcessedWebhook).where(
                    ProcessedWebhook.source == "sms",
                    ProcessedWebhook.key.startswith(
                        f"{conversation.external_id}:", autoescape=True
                    ),
                )
            )
            conversation.external_id = f"erased-{conversation.id}"
        conversation.purged_at = conversation.purged_at or at
    if telegram_chat:
        session.execute(delete(TelegramChat).where(TelegramChat.chat_id == telegram_chat))
    for carer in subject.carers:
        erase_carer(carer, at)
    for callback in subject.callbacks:
        callback.phone = None
        callback.reason = None
        callback.outcome_notes = None
    for attempt in subject.attempts:
        attempt.notes = None
    for task in subject.follow_ups:
        task.notes = None
    for referral in subject.referrals:
        erase_referral(referral)
    for request in subject.card_requests:
        erase_card_request(request)
        request.decision_note = None
    for card in subject.cards:
        card.plan = None
        card.contacts = []
    left = _erase_voicemails(subject, at, recordings)
    for message in subject.outbox:
        message.payload = {}
        if message.status == "pending":
            message.status = "dead"
            message.last_error = FORGOTTEN
    _tombstones(session, subject, at, reason)
    add_audit(
        session,
        Actor(None, ERASE_ACTOR),
        "erased",
        "subject",
        None,
        at,
        {**counts, "recordings_left_at_twilio": left},
    )
    session.flush()
    return ErasureResult((), counts, left)


def _erase_voicemails(subject: Subject, at: datetime, recordings: RecordingDeleter | None) -> int:
    """Clear transcripts; delete the audio at Twilio. Returns how many recordings remain there.

    A recording Twilio could not delete keeps its id (not personal data), so the retention job
    deletes it later.
    """
    left = 0
    for voicemail in subject.voicemails:
        voicemail.transcript = None
        if voicemail.deleted_at is not None:
            continue
        if recordings is not None and recordings.delete(voicemail.recording_sid):
            voicemail.deleted_at = at
            voicemail.recording_url = None
        else:
            left += 1
    return left


def _tombstones(session: Session, subject: Subject, at: datetime, reason: str | None) -> None:
    kinds: dict[str, list[Any]] = {
        "carer": subject.carers,
        "conversation": subject.conversations,
        "callback": subject.callbacks,
        "referral": subject.referrals,
        "card_request": subject.card_requests,
        "card": subject.cards,
        "voicemail": subject.voicemails,
    }
    for kind, rows in kinds.items():
        for row in rows:
            session.add(
                Erasure(
                    at=at,
                    record_type=kind,
                    record_id=row.id,
                    reason=reason,
                    subject_hash=subject.subject_hash,
                )
            )
