"""The dialog's store on SQLite and PostgreSQL: one transaction per step, every record stamped
with its channel and conversation, and a failed step that loses nothing the carer said.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from handlers.commands import (
    Consent,
    QueueMessage,
    SaveCallback,
    SaveCardActivation,
    SaveCardRequest,
    SaveReferral,
)
from handlers.dialog import Chose, ConversationKey, Record, Said, SharedContact, Started
from handlers.ports import ConnectionLostError, StoredState
from handlers.profile import load_profile
from handlers.service import DialogService
from knowledge.base import load_knowledge
from settings import DEFAULT_PROFILE_PATH
from store.dialog import SqlStore, SqlTransaction
from store.models import (
    AuditEvent,
    Callback,
    CardActivation,
    Carer,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    OutboxMessage,
    Referral,
    UnansweredQuestion,
    Voicemail,
)

PROFILE = load_profile(Path(DEFAULT_PROFILE_PATH))
KNOWLEDGE = load_knowledge(PROFILE.placeholders())
KEY = ConversationKey("telegram", "5550001")


def service(db, clock, store=None) -> DialogService:
    return DialogService(
        store or SqlStore(db.sessions), PROFILE, KNOWLEDGE, clock, randomness=random.Random(3)
    )


def count(db, model) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_chat_callback_is_saved_with_its_conversation_and_transcript(db, clock):
    dialog = service(db, clock)
    dialog.handle(KEY, Started("chat"))
    for event in (
        Chose("callback"),
        Said("help with respite for mum"),
        Chose("no"),
        Chose("yes"),
        SharedContact("07700 900456"),
        Chose("any"),
    ):
        dialog.handle(KEY, event)
    replies = dialog.handle(KEY, Chose("yes"))
    with db.sessions() as session:
        callback = session.scalars(select(Callback)).one()
        conversation = session.get(Conversation, callback.conversation_id)
        assert conversation is not None and conversation.channel == "telegram"
        assert callback.channel == "telegram" and callback.phone == "07700900456"
        assert callback.reason == "help with respite for mum"
        assert callback.consent_wording_version.startswith("callback_consent:")
        assert callback.due_by == dialog.due_by.callback(clock.now())
        assert callback.reference in " ".join(getattr(r, "text", "") for r in replies)
        lines = session.scalars(
            select(ConversationTurn.text).where(ConversationTurn.conversation_id == conversation.id)
        ).all()
        assert "help with respite for mum" in lines
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1


class FailingAtCommit:
    """A store whose first transaction fails after everything was written, before commit."""

    def __init__(self, real: SqlStore) -> None:
        self.real = real
        self.failures = 1

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.real.transaction() as tx:
            yield tx
            if self.failures:
                self.failures -= 1
                raise RuntimeError("injected failure at commit")


def test_state_and_records_commit_together_and_a_failure_keeps_the_input(db, clock):
    real = SqlStore(db.sessions)
    dialog = service(db, clock, real)
    dialog.handle(KEY, Started("chat"))
    for event in (Chose("callback"), Said("my dad"), Chose("no"), Chose("yes")):
        dialog.handle(KEY, event)
    dialog.handle(KEY, SharedContact("07700 900456"))
    dialog.handle(KEY, Chose("any"))
    failing = service(db, clock, FailingAtCommit(real))
    replies = failing.handle(KEY, Chose("yes"))
    assert count(db, Callback) == 0
    said = " ".join(getattr(reply, "text", "") for reply in replies)
    assert "999" in said and "01632 960999" in said
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.node == "answerphone.message"
        assert conversation.answers["answers"]["phone"] == "07700900456"
        assert conversation.answers["answers"]["reason"] == "my dad"
        last_in = session.scalars(
            select(ConversationTurn)
            .where(ConversationTurn.direction == "in")
            .order_by(ConversationTurn.id.desc())
        ).first()
        assert last_in is not None and last_in.node == "failed"


def test_a_failed_phone_step_asks_for_a_recorded_message(db, clock):
    real = SqlStore(db.sessions)
    failing = service(db, clock, FailingAtCommit(real))
    replies = failing.handle(ConversationKey("voice", "CA123"), Started("voice", "+447700900123"))
    assert isinstance(replies[-1], Record)


def test_unanswered_questions_are_kept_for_editors(db, clock):
    dialog = service(db, clock)
    dialog.handle(KEY, Started("chat"))
    dialog.handle(KEY, Chose("information"))
    dialog.handle(KEY, Said("what's the capital of france"))
    with db.sessions() as session:
        row = session.scalars(select(UnansweredQuestion)).one()
        assert row.question == "what's the capital of france" and row.channel == "telegram"


def _apply(db, clock, command) -> None:
    with SqlStore(db.sessions).transaction() as tx:
        tx.save(KEY, StoredState("main.menu", 0, {}), clock.now())
        tx.apply(KEY, command)


def test_a_referral_creates_carer_referral_and_first_contact_callback(db, clock):
    now = clock.now()
    consent = Consent(now, "referral_consent:abc")
    _apply(
        db,
        clock,
        SaveReferral(
            reference="R-AAAAAA",
            source="professional",
            details={
                "name": "Pat",
                "phone": "07700900111",
                "postcode_or_district": "WS1",
                "communication_needs": {"formats": ["large print"]},
                "referrer_name": "Dr Lee",
                "referrer_phone": "07700900222",
                "carer_is_adult": True,
            },
            consent=consent,
            received_at=now,
            acknowledge_due=now + timedelta(days=1),
            first_contact_due=now + timedelta(days=5),
            callback_due=now + timedelta(days=2),
            tell_referrer=True,
        ),
    )
    with db.sessions() as session:
        referral = session.scalars(select(Referral)).one()
        carer = session.get(Carer, referral.carer_id)
        callback = session.scalars(select(Callback)).one()
        assert carer is not None and carer.telegram_chat_id == "5550001"
        assert referral.tell_referrer and referral.referrer_name == "Dr Lee"
        assert referral.consent_wording_version == "referral_consent:abc"
        assert callback.referral_id == referral.id and callback.kind == "referral"
        assert callback.reference == "R-AAAAAA-1"


def test_card_request_and_activation_rows(db, clock):
    now = clock.now()
    _apply(
        db,
        clock,
        SaveCardRequest(
            reference="E-AAAAAA",
            details={"name": "Jo", "phone": "07700900333", "cared_for_name": "Len"},
            contacts=({"name": "Sam", "relationship": "son", "phone": "07700900444"},),
            consent=Consent(now, "card_consent:abc"),
            received_at=now,
            callback_due=now + timedelta(days=2),
        ),
    )
    with db.sessions() as session, session.begin():
        request = session.scalars(select(EmergencyCardRequest)).one()
        assert request.status == "pending" and request.contacts[0]["name"] == "Sam"
        session.add(
            EmergencyCard(
                number="12345674",
                request_id=request.id,
                contacts=request.contacts,
                issued_at=now,
            )
        )
    with SqlStore(db.sessions).transaction() as tx:
        found = tx.lookups.card("12345674")
        assert found is not None and found.contact_phones == ("07700900444",)
        assert tx.lookups.card("99999997") is None
        assert tx.lookups.reference_taken("E-AAAAAA")
    _apply(
        db,
        clock,
        SaveCardActivation(
            reference="A-AAAAAA",
            number_given="12345674",
            card_id=found.card_id,
            received_at=now,
            due_by=now + timedelta(hours=2),
        ),
    )
    with db.sessions() as session:
        activation = session.scalars(select(CardActivation)).one()
        urgent = session.scalars(select(Callback).where(Callback.kind == "card_activation")).one()
        assert activation.card_id == found.card_id and urgent.urgency == "urgent"


def test_voicemail_and_outbox_rows_and_outbox_dedupe(db, clock):
    now = clock.now()
    _apply(
        db,
        clock,
        SaveCallback(
            reference="M-AAAAAA",
            kind="voicemail",
            reason="Voice message",
            phone="07700900123",
            received_at=now,
            due_by=now + timedelta(days=2),
            recording={"id": "RE1", "url": "https://example.org/RE1", "seconds": 30},
        ),
    )
    message = QueueMessage("sms", "07700900123", "hello", "info:1", now)
    _apply(db, clock, message)
    _apply(db, clock, message)
    assert count(db, Voicemail) == 1 and count(db, OutboxMessage) == 1


def test_booked_callbacks_count_open_windows(db, clock):
    now = clock.now()
    start = now + timedelta(hours=1)
    for number in range(2):
        _apply(
            db,
            clock,
            SaveCallback(
                reference=f"C-AAAAA{number}",
                kind="callback",
                reason=None,
                phone="07700900123",
                received_at=now,
                due_by=now + timedelta(days=2),
                window_start=start,
                window_end=start + timedelta(hours=2),
            ),
        )
    with SqlStore(db.sessions).transaction() as tx:
        assert tx.lookups.booked_callbacks(now, now + timedelta(days=1)) == {start: 2}


@pytest.mark.parametrize("medium", ["voice", "chat"])
def test_conversation_rows_keep_the_medium(db, clock, medium):
    dialog = service(db, clock)
    key = ConversationKey("voice" if medium == "voice" else "telegram", f"x-{medium}")
    dialog.handle(key, Started(medium, "+447700900123" if medium == "voice" else None))
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.answers["medium"] == medium
        assert conversation.node == "main.menu"


def test_a_retried_delivery_gets_the_same_replies_and_changes_nothing(db, clock):
    dialog = service(db, clock)
    first = dialog.handle_delivery(KEY, Started("chat"), "update-1")
    again = dialog.handle_delivery(KEY, Started("chat"), "update-1")
    assert not first.replayed and again.replayed
    assert again.replies == first.replies
    assert count(db, ConversationTurn) == len(first.replies) + 1
    menu = dialog.handle_delivery(KEY, Chose("callback"), "update-2")
    assert not menu.replayed and menu.replies != first.replies


class LosesConnectionAfterCommit:
    """Commits, then reports the connection lost (the answer to COMMIT never arrived)."""

    def __init__(self, real: SqlStore) -> None:
        self.real = real
        self.losses = 1

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.real.transaction() as tx:
            yield tx
        if self.losses:
            self.losses -= 1
            raise ConnectionLostError("injected: connection lost at commit")


def started_lines(db) -> list[str]:
    with db.sessions() as session:
        lines = session.scalars(
            select(ConversationTurn).where(ConversationTurn.direction == "in")
        ).all()
        return [line.node for line in lines]


def test_a_lost_connection_is_tried_again_and_the_delivery_id_stops_a_second_write(db, clock):
    dialog = service(db, clock, LosesConnectionAfterCommit(SqlStore(db.sessions)))
    handled = dialog.handle_delivery(KEY, Started("chat"), "update-1")
    assert handled.replayed and not handled.failed  # the second try found the first's commit
    again = service(db, clock).handle_delivery(KEY, Started("chat"), "update-1")
    assert handled.replies == again.replies
    assert started_lines(db) == ["new"]


def test_without_a_delivery_id_a_lost_connection_is_not_tried_again(db, clock):
    dialog = service(db, clock, LosesConnectionAfterCommit(SqlStore(db.sessions)))
    handled = dialog.handle_delivery(KEY, Started("chat"), None)
    assert handled.failed  # the carer hears the fail-safe rather than risk a second write
    assert started_lines(db) == ["new", "failed"]
