"""Forgetting one conversation when the carer asks (chat /forget), inside the dialog's transaction.

What goes: the transcript, what the conversation gathered, the questions it left for content
editors, the text of replies kept for webhook retries and of its messages in the outbox (those
still waiting are not sent), and the personal details on its records once nothing open needs
them. What stays: a callback that is still open keeps the phone number and reason a person
needs to ring back, and a referral or card request with an open callback (or a card request
staff have not decided yet) keeps the carer's details until it is dealt with. The records
themselves stay, without the personal details, as the record of help given that L12 asks for;
the retention rules then apply to them. The conversation row keeps only the channel's own id
for the chat, so later messages still reach it. An audit event records what was done, in
counts. Erasure on request (``store.erasure``) reuses these steps for every record it finds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from handlers.ports import Actor
from store.audit import add_audit
from store.models import (
    Callback,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCardRequest,
    OutboxMessage,
    ProcessedWebhook,
    Referral,
    TelegramChat,
    UnansweredQuestion,
    Voicemail,
)

FORGOTTEN = "forgotten at the carer's request"
NO_REPLIES = "[]"


@dataclass(frozen=True)
class Forgotten:
    """What one erasure did, in counts (the audit event's detail; never the data itself)."""

    transcript_lines: int
    callbacks_erased: int
    callbacks_kept_open: int
    referrals_erased: int
    referrals_kept_open: int
    card_requests_erased: int
    card_requests_kept_open: int
    carers_erased: int
    carers_kept: int
    unanswered_questions: int
    outbox_messages: int


def forget_conversation(session: Session, conversation: Conversation, at: datetime) -> Forgotten:
    """Erase what ``conversation`` holds, except what open records need, and audit it."""
    report = erase_conversation(session, conversation, at)
    add_audit(
        session,
        Actor(None, f"carer:{conversation.channel}"),
        "forgotten",
        "conversation",
        conversation.id,
        at,
        asdict(report),
    )
    session.flush()
    return report


def erase_conversation(session: Session, conversation: Conversation, at: datetime) -> Forgotten:
    """Erase what ``conversation`` holds, except what open records need (see the module doc)."""
    conversation.answers = {}
    lines = _count(
        session.execute(
            delete(ConversationTurn).where(ConversationTurn.conversation_id == conversation.id)
        )
    )
    callbacks = list(
        session.scalars(select(Callback).where(Callback.conversation_id == conversation.id))
    )
    open_callbacks = [callback for callback in callbacks if callback.status == "open"]
    for callback in callbacks:
        if callback.status != "open":
            callback.phone = None
            callback.reason = None
    _erase_voicemails(session, callbacks)
    referrals_erased, referrals_kept = _erase_referrals(session, conversation, open_callbacks)
    requests_erased, requests_kept = _erase_card_requests(session, conversation, open_callbacks)
    carers_erased, carers_kept = _erase_carers(session, conversation, at)
    questions = _count(
        session.execute(
            delete(UnansweredQuestion).where(UnansweredQuestion.conversation_id == conversation.id)
        )
    )
    outbox = _erase_outbox(session, conversation, at)
    session.execute(
        update(ProcessedWebhook)
        .where(
            ProcessedWebhook.source == conversation.channel,
            ProcessedWebhook.key.startswith(f"{conversation.external_id}:", autoescape=True),
        )
        .values(response=NO_REPLIES)
    )
    if conversation.channel == "telegram":
        session.execute(
            delete(TelegramChat).where(TelegramChat.chat_id == conversation.external_id)
        )
    return Forgotten(
        transcript_lines=lines,
        callbacks_erased=len(callbacks) - len(open_callbacks),
        callbacks_kept_open=len(open_callbacks),
        referrals_erased=referrals_erased,
        referrals_kept_open=referrals_kept,
        card_requests_erased=requests_erased,
        card_requests_kept_open=requests_kept,
        carers_erased=carers_erased,
        carers_kept=carers_kept,
        unanswered_questions=questions,
        outbox_messages=outbox,
    )


def _count(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def _erase_voicemails(session: Session, callbacks: Iterable[Callback]) -> None:
    """A voice message's transcript and address go with its callback once that is closed.

    The audio itself is deleted at Twilio by the retention job (by its recording id), so the
    recording is not marked deleted here.
    """
    closed = [c.voicemail_id for c in callbacks if c.status != "open" and c.voicemail_id]
    if closed:
        session.execute(
            update(Voicemail)
            .where(Voicemail.id.in_(closed))
            .values(recording_url=None, transcript=None)
        )


def _erase_referrals(
    session: Session, conversation: Conversation, open_callbacks: list[Callback]
) -> tuple[int, int]:
    """A referral keeps its details while its first-contact callback is open."""
    needed = {callback.referral_id for callback in open_callbacks if callback.referral_id}
    erased = kept = 0
    for referral in session.scalars(
        select(Referral).where(Referral.conversation_id == conversation.id)
    ):
        if referral.id in needed:
            kept += 1
            continue
        erase_referral(referral)
        erased += 1
    return erased, kept


def erase_referral(referral: Referral) -> None:
    """Clear a referral's personal details; the record stays for the report (L12)."""
    referral.referrer_name = None
    referral.referrer_phone = None
    referral.referrer_organisation = None
    referral.relationship_to_cared_for = None
    referral.cared_for_condition = None
    referral.communication_needs = {}
    referral.best_time_to_call = None
    referral.demographics = {}


def _erase_card_requests(
    session: Session, conversation: Conversation, open_callbacks: list[Callback]
) -> tuple[int, int]:
    """A card request keeps its details until staff decide it and its callback is closed."""
    needed = {callback.card_request_id for callback in open_callbacks if callback.card_request_id}
    erased = kept = 0
    for request in session.scalars(
        select(EmergencyCardRequest).where(EmergencyCardRequest.conversation_id == conversation.id)
    ):
        if request.id in needed or request.status == "pending":
            kept += 1
            continue
        erase_card_request(request)
        erased += 1
    return erased, kept


def erase_card_request(request: EmergencyCardRequest) -> None:
    """Clear what a card request says about the carer, the cared-for person and contacts."""
    request.cared_for_name = None
    request.help_needed = None
    request.contacts = []


def _erase_carers(session: Session, conversation: Conversation, at: datetime) -> tuple[int, int]:
    """A carer's details stay while any open callback, referral or card request needs them."""
    linked = [
        Carer.id == conversation.carer_id,
        Carer.id.in_(select(Referral.carer_id).where(Referral.conversation_id == conversation.id)),
        Carer.id.in_(
            select(EmergencyCardRequest.carer_id).where(
                EmergencyCardRequest.conversation_id == conversation.id
            )
        ),
        Carer.id.in_(select(Callback.carer_id).where(Callback.conversation_id == conversation.id)),
    ]
    if conversation.channel == "telegram":
        linked.append(Carer.telegram_chat_id == conversation.external_id)
    erased = kept = 0
    for carer in session.scalars(select(Carer).where(or_(*linked), Carer.erased_at.is_(None))):
        if _carer_needed(session, carer.id):
            kept += 1
            continue
        erase_carer(carer, at)
        erased += 1
    return erased, kept


def erase_carer(carer: Carer, at: datetime) -> None:
    """Clear every personal detail of a carer (the phone hash goes with the number)."""
    carer.name = None
    carer.phone = None
    carer.email = None
    carer.postcode_or_district = None
    carer.communication_needs = {}
    carer.telegram_chat_id = None
    carer.erased_at = at
    carer.updated_at = at


def _carer_needed(session: Session, carer_id: int) -> bool:
    open_for_carer = or_(
        Callback.carer_id == carer_id,
        Callback.referral_id.in_(select(Referral.id).where(Referral.carer_id == carer_id)),
        Callback.card_request_id.in_(
            select(EmergencyCardRequest.id).where(EmergencyCardRequest.carer_id == carer_id)
        ),
    )
    if session.scalar(select(Callback.id).where(Callback.status == "open", open_for_carer)):
        return True
    pending = select(EmergencyCardRequest.id).where(
        EmergencyCardRequest.carer_id == carer_id, EmergencyCardRequest.status == "pending"
    )
    return session.scalar(pending) is not None


def _erase_outbox(session: Session, conversation: Conversation, at: datetime) -> int:
    """Messages to this chat lose their text; those still waiting are never sent."""
    mine = (
        OutboxMessage.channel == conversation.channel,
        OutboxMessage.recipient == conversation.external_id,
    )
    waiting = session.execute(
        update(OutboxMessage)
        .where(*mine, OutboxMessage.status == "pending")
        .values(status="dead", payload={}, last_error=FORGOTTEN, next_attempt_at=at)
    )
    done = session.execute(
        update(OutboxMessage).where(*mine, OutboxMessage.status != "pending").values(payload={})
    )
    return _count(waiting) + _count(done)
