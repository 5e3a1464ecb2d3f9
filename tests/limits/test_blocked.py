"""A blocked number or chat (issue 8 item 6): the emergency numbers every time, nothing else.

No call back is queued, no text sent, nobody put through; a short, kind word on how else to
reach the service; each contact counted for staff. Blocks are real rows, as the console's
block list page adds them.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.limits import block_subject
from handlers.ports import Actor
from store.blocklist import SqlBlockList
from store.models import AuditEvent, BlockedContact, Callback, Conversation, OutboxMessage
from tests.bot.conftest import CHAT_ID, said

CALLER = "+447700900123"


def block(db, clock, kind: str, value: str, days: int = 30) -> None:
    subject = block_subject(kind, value)
    assert subject is not None
    expires = clock.now() + timedelta(days=days)
    SqlBlockList(db.sessions).add(
        subject, "Abusive calls", expires, Actor(None, "test"), clock.now()
    )


def test_a_blocked_caller_hears_the_emergency_numbers_and_nothing_else(db, clock, call, rows):
    block(db, clock, "phone", "07700 900123")  # typed nationally, matches the caller ID
    c = call(CALLER)
    assert c.ended and c.last.find("Hangup") is not None
    assert "9 9 9" in c.all_text and "1 1 1" in c.all_text and "1 1 6, 1 2 3" in c.all_text
    assert "We can't take calls from this number" in c.all_text
    assert c.dialled == [] and rows(Callback) == [] and rows(OutboxMessage) == []
    [entry] = rows(BlockedContact)
    assert entry.contacts == 1 and entry.last_contact_at == clock.now()
    [counted] = rows(AuditEvent, action="blocked_contact")
    assert counted.detail == {"block_entries": 1}
    [conversation] = rows(Conversation)
    assert conversation.ended_reason == "blocked"


def test_an_expired_or_lifted_block_no_longer_applies(db, clock, call, rows):
    block(db, clock, "phone", CALLER, days=1)
    clock.set(clock.now() + timedelta(days=1, minutes=1))
    c = call(CALLER)
    assert not c.ended and "We can't take calls" not in c.all_text
    [entry] = rows(BlockedContact)
    assert entry.contacts == 0


def test_a_blocked_chat_reads_the_emergency_numbers_each_time_it_writes(db, clock, carer, rows):
    block(db, clock, "chat", str(CHAT_ID))
    first = said(carer.start())
    assert "999" in first and "116 123" in first
    assert "We can't take messages from this chat" in first
    again = said(carer.type("please call me back"))
    assert "999" in again and "We can't take messages from this chat" in again
    assert rows(Callback) == []
    [entry] = rows(BlockedContact)
    assert entry.contacts == 2


def test_a_block_added_during_a_call_stops_the_call_back_it_asked_for(db, clock, call, rows):
    c = call(CALLER)
    c.press("4")
    c.press("#")
    c.press("2")
    c.press("1")  # consent
    block(db, clock, "phone", CALLER)
    c.press("1")  # this number
    c.press("1")  # the first window
    c.press("1")  # that is right: the block stops it here
    assert "9 9 9" in c.text and "We can't take calls from this number" in c.text
    assert c.ended
    assert rows(Callback) == []  # not even the "call ended early" rescue
    [refused] = rows(AuditEvent, action="limit_refused")
    assert refused.detail["refusal"] == "blocked"


def test_another_number_is_not_blocked(db, clock, call):
    block(db, clock, "phone", CALLER)
    c = call("+447700900456")
    assert not c.ended
