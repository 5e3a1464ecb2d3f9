"""/forget: after a yes, this chat's data goes; what an open callback or referral needs stays."""

from __future__ import annotations

from sqlalchemy import select, update

from store.models import (
    AuditEvent,
    Callback,
    Conversation,
    ConversationTurn,
    OutboxMessage,
    ProcessedWebhook,
    Referral,
    UnansweredQuestion,
)
from store.models import (
    Carer as CarerRecord,
)
from tests.bot.conftest import CHAT_ID, last_menu, said, texts
from tests.bot.recording import Failure

DONE = "Done. We have deleted this chat and the details you gave us here."


def ask_for_a_callback(carer, reason: str = "Help with my mum's care") -> None:
    carer.start()
    carer.press("callback")
    carer.type(reason)
    carer.press("no")
    carer.press("yes")
    carer.share_contact("447700900123")
    carer.press("any")
    carer.press("yes")


def refer_myself(carer) -> None:
    carer.start()
    carer.press("referral")
    carer.press("self")
    carer.press("yes")
    carer.press("yes")
    carer.press("no")
    carer.press("now")
    carer.type("Jo Bloggs")
    carer.type("07700 900123")
    carer.type("WS1 2AB")
    carer.press("parent")
    carer.press("dementia")
    carer.press("none")
    carer.press("morning")
    carer.press("answer")
    carer.press("woman")
    carer.press("50_to_64")
    carer.press("no")
    carer.press("yes")


def forget(carer):
    calls = carer.command("forget")
    menu = last_menu(calls)
    assert menu.text.startswith("This deletes this chat and the details you gave us in it.")
    assert menu.buttons() == [("Yes, delete it", "yes"), ("No, keep it", "no")]
    return carer.press("yes")


def test_forget_erases_the_chat_but_an_open_callback_keeps_its_number_and_reason(carer, db):
    ask_for_a_callback(carer)
    carer.press("menu")
    carer.press("information")
    carer.type("what is the meaning of life and the universe")
    calls = forget(carer)
    assert texts(calls)[0].startswith(DONE)
    assert "If a call back, referral or emergency card request is still open" in said(calls)
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        transcript = session.scalars(select(ConversationTurn.text)).all()
        callback = session.scalars(select(Callback)).one()
        questions = session.scalars(select(UnansweredQuestion)).all()
        replies = session.scalars(select(ProcessedWebhook.response)).all()
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "forgotten")).one()
    assert (conversation.external_id, conversation.node) == (str(CHAT_ID), "ended")
    assert conversation.answers == {}
    assert conversation.ended_reason == "forgotten"
    assert len(transcript) == 1 and transcript[0].startswith(DONE)
    assert (callback.phone, callback.reason, callback.status) == (
        "07700900123",
        "Help with my mum's care",
        "open",
    )
    assert questions == []
    assert sum(1 for reply in replies if reply != "[]") == 1  # only the answer to this /forget
    assert audit.subject_id == conversation.id
    assert audit.detail["callbacks_kept_open"] == 1
    assert audit.detail["unanswered_questions"] == 1
    assert "Help with my mum" not in str(audit.detail)


def test_forget_erases_the_details_of_records_that_are_closed(carer, db):
    refer_myself(carer)
    with db.engine.begin() as connection:
        connection.execute(update(Callback).values(status="done"))
    forget(carer)
    with db.sessions() as session:
        referral = session.scalars(select(Referral)).one()
        callback = session.scalars(select(Callback)).one()
        carer_row = session.scalars(select(CarerRecord)).one()
    assert referral.reference.startswith("R-")  # the record of help given stays
    assert (referral.cared_for_condition, referral.relationship_to_cared_for) == (None, None)
    assert referral.demographics == {} and referral.communication_needs == {}
    assert (callback.phone, callback.reason) == (None, None)
    assert (carer_row.name, carer_row.phone, carer_row.postcode_or_district) == (None, None, None)
    assert carer_row.telegram_chat_id is None and carer_row.erased_at is not None


def test_an_open_referral_keeps_the_carers_details(carer, db):
    refer_myself(carer)
    forget(carer)
    with db.sessions() as session:
        referral = session.scalars(select(Referral)).one()
        carer_row = session.scalars(select(CarerRecord)).one()
        callback = session.scalars(select(Callback)).one()
    assert referral.cared_for_condition == "dementia"
    assert (carer_row.name, carer_row.phone) == ("Jo Bloggs", "07700900123")
    assert callback.phone == "07700900123"


def test_messages_still_waiting_for_the_chat_are_not_sent_after_forget(carer, db, recorder):
    carer.start()
    recorder.fail("sendMessage", Failure(500, "Internal Server Error"))
    carer.press("callback")  # its reply waits in the outbox...
    carer.command("forget")  # ...and so does this one, behind it
    assert [call.text for call in recorder.of("sendMessage")][-1].startswith("In a few words")
    calls = carer.type("yes")
    assert texts(calls)[0].startswith(DONE)  # nothing waits any more, so it goes straight away
    with db.sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    assert [(row.status, row.payload) for row in rows] == [("dead", {}), ("dead", {})]
    assert {row.last_error for row in rows} == {"forgotten at the carer's request"}


def test_no_keeps_everything_and_returns_to_the_question(carer, db):
    carer.start()
    carer.press("callback")
    carer.type("Help with my mum's care")
    calls = carer.command("forget")
    calls = carer.press("no")
    assert texts(calls) == [
        "That's fine, nothing has been deleted.",
        "Is anyone at risk of harm right now?",
    ]
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        transcript = session.scalars(select(ConversationTurn.text)).all()
    assert conversation.answers["answers"]["reason"] == "Help with my mum's care"
    assert "Help with my mum's care" in transcript


def test_forget_can_be_typed_and_a_repeat_of_an_old_update_does_not_bring_anything_back(
    carer, db, recorder
):
    carer.start()
    carer.press("callback")
    old_update = carer.last_update
    carer.type("A private reason")
    carer.command("forget")
    calls = carer.type("yes delete it")
    assert texts(calls)[0].startswith(DONE)
    recorder.calls.clear()
    carer.post(old_update)  # Telegram re-sends an update from before /forget
    assert recorder.calls == []
    with db.sessions() as session:
        transcript = session.scalars(select(ConversationTurn.text)).all()
        conversation = session.scalars(select(Conversation)).one()
    assert conversation.node == "ended"
    assert not any("private" in line.lower() for line in transcript)


def test_forget_before_anything_was_said_is_harmless(carer, db):
    calls = carer.command("forget")
    assert "Do you want to delete it?" in said(calls)
    calls = carer.press("yes")
    assert texts(calls)[0].startswith(DONE)
    calls = carer.type("hello again")
    assert texts(calls)[0].startswith("Hello, this is Westshire Carers Line.")
