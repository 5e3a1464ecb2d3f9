"""One carer's whole story in the database, with every personal field filled and marked.

Every value a carer or staff member gave contains ``MARK`` so a test can look for it in the raw
columns; the free text also carries a ``<script>`` to prove exports escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.ports import Actor
from store.audit import add_audit
from store.crypto import phone_hash
from store.models import (
    BlockedContact,
    Callback,
    CallbackAttempt,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    FollowUpTask,
    OutboxMessage,
    ProcessedWebhook,
    Referral,
    UnansweredQuestion,
    Voicemail,
)

MARK = "Zebedee"
SCRIPT = "<script>alert('Zebedee')</script>"
PHONE = "07700 900123"
CALLER_ID = "+447700900123"
OTHER_PHONE = "07700900999"
CHAT = "424242"


@dataclass(frozen=True)
class Story:
    carer: int
    conversation: int
    callback: int
    referral: int
    card_request: int
    card: int
    voicemail: int
    other_callback: int


def seed_story(db, when: datetime, *, callback_status: str = "done") -> Story:
    """A carer who called, left a message, was referred and had a card (all dealt with)."""
    day = timedelta(days=1)
    with db.sessions.begin() as session:
        carer = Carer(
            name=f"Jo {MARK}",
            phone=PHONE,
            email=f"jo.{MARK}@example.org",
            postcode_or_district=f"LS1 {MARK}",
            communication_needs={"note": f"large print {MARK}"},
            telegram_chat_id=CHAT,
            created_at=when,
            updated_at=when,
        )
        session.add(carer)
        session.flush()
        conversation = Conversation(
            channel="voice",
            external_id="CA0000000000000000000000000000story",
            node="ended",
            answers={"caller": CALLER_ID, "reason": f"respite for {MARK}"},
            carer_id=carer.id,
            started_at=when,
            updated_at=when,
            ended_at=when,
            ended_reason="goodbye",
        )
        session.add(conversation)
        session.flush()
        session.add(
            ConversationTurn(
                conversation_id=conversation.id,
                at=when,
                direction="in",
                node="ask",
                text=f"I look after my mum {SCRIPT}",
            )
        )
        referral = Referral(
            reference="RSTORY1",
            carer_id=carer.id,
            conversation_id=conversation.id,
            channel="voice",
            source="professional",
            referrer_name=f"Dr {MARK}",
            referrer_phone="01632960999",
            referrer_organisation=f"{MARK} surgery",
            relationship_to_cared_for=f"daughter {MARK}",
            cared_for_condition=f"dementia {MARK}",
            communication_needs={"note": MARK},
            best_time_to_call=f"mornings {MARK}",
            demographics={"gender": f"woman {MARK}"},
            consent_given=True,
            received_at=when,
            acknowledge_due=when + day,
            acknowledged_at=when,
            first_contact_due=when + 5 * day,
            first_contact_at=when + day,
        )
        request = EmergencyCardRequest(
            reference="ESTORY1",
            carer_id=carer.id,
            conversation_id=conversation.id,
            channel="voice",
            cared_for_name=f"Mum {MARK}",
            help_needed=f"insulin {MARK}",
            contacts=[{"name": f"Sis {MARK}", "phone": "07700900333"}],
            received_at=when,
            status="approved",
            decision_note=f"approved {MARK}",
        )
        session.add_all([referral, request])
        session.flush()
        card = EmergencyCard(
            number="1234567",
            request_id=request.id,
            carer_id=carer.id,
            plan=f"ring her sister {MARK}",
            contacts=[{"name": f"Sis {MARK}", "phone": "07700900333"}],
            issued_at=when,
            status="cancelled",
        )
        voicemail = Voicemail(
            conversation_id=conversation.id,
            call_sid=conversation.external_id,
            recording_sid="RE0000000000000000000000000000story",
            recording_url="https://api.twilio.com/2010-04-01/Recordings/RE0story",
            duration_seconds=20,
            transcript=f"please call me about {MARK}",
            received_at=when,
        )
        session.add_all([card, voicemail])
        session.flush()
        callback = Callback(
            reference="CSTORY1",
            kind="voicemail",
            channel="voice",
            conversation_id=conversation.id,
            carer_id=carer.id,
            voicemail_id=voicemail.id,
            reason=f"respite {MARK}",
            phone=PHONE,
            received_at=when,
            due_by=when + 2 * day,
            status=callback_status,
            outcome_notes=None if callback_status == "open" else f"spoke to her {MARK}",
            completed_at=None if callback_status == "open" else when + day,
        )
        other = Callback(
            reference="COTHER1",
            kind="callback",
            channel="voice",
            reason="someone else entirely",
            phone=OTHER_PHONE,
            received_at=when,
            due_by=when + 2 * day,
            status="done",
            completed_at=when + day,
        )
        session.add_all([callback, other])
        session.flush()
        session.add_all(
            [
                CallbackAttempt(
                    callback_id=callback.id, at=when, result="reached", notes=f"note {MARK}"
                ),
                FollowUpTask(
                    callback_id=callback.id,
                    method="letter",
                    reason="no_answer",
                    status="done",
                    created_at=when,
                    notes=f"letter to 1 {MARK} Street",
                ),
                UnansweredQuestion(
                    at=when,
                    channel="voice",
                    conversation_id=conversation.id,
                    question=f"what about my neighbour {MARK}",
                ),
                OutboxMessage(
                    channel="sms",
                    recipient="07700900123",
                    payload={"text": f"Your reference is CSTORY1, {MARK}"},
                    status="sent",
                    next_attempt_at=when,
                    created_at=when,
                ),
                ProcessedWebhook(
                    source="voice",
                    key=f"{conversation.external_id}:step-1",
                    at=when,
                    response=f'[{{"say": "{MARK}"}}]',
                ),
                BlockedContact(
                    kind="phone",
                    match_key=phone_hash(OTHER_PHONE),
                    value=f"+44{OTHER_PHONE[1:]}",
                    reason="abusive calls",
                    created_at=when,
                    expires_at=when + 30 * day,
                    contacts=0,
                ),
            ]
        )
        add_audit(session, Actor(None, "staff:alice"), "viewed", "callback", callback.id, when)
        return Story(
            carer.id,
            conversation.id,
            callback.id,
            referral.id,
            request.id,
            card.id,
            voicemail.id,
            other.id,
        )
