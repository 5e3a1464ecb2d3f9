"""Callback requests past the limit (issue 8 item 6): the request on file is confirmed instead.

Whole calls and chats through the adapters (signed Twilio webhooks, Telegram updates), on SQLite
and PostgreSQL, with the clock frozen on Monday 23 November 2026, 10:30. The profile allows three
callback requests per caller number, number given or chat in 24 hours.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.limits import Subject
from store.limits import stored_subject
from store.models import AuditEvent, Callback, UsageEvent
from tests.bot.conftest import CHAT_ID, last_menu, said
from tests.ivr.driver import Call

CALLER = "+447700900123"


def request_callback(call, caller: str = CALLER) -> Call:
    """Ask for a call back on the phone, from the menu to goodbye, without a text."""
    c = call(caller)
    c.press("4")
    c.press("#")  # no reason given
    c.press("2")  # no one at risk
    c.press("1")  # consent
    c.press("1")  # this number
    c.press("1")  # the first window offered
    c.press("1")  # that is right
    c.press("2")  # no text, thank you
    c.press("2")  # that's all
    assert c.ended
    return c


def test_the_fourth_request_in_a_day_confirms_the_one_on_file(call, rows):
    for _ in range(3):
        request_callback(call)
    latest = rows(Callback)[-1]
    c = call()
    c.press("4")
    assert "We already have your request" in c.text
    assert " ".join(latest.reference.replace("-", "")) in c.text  # spelled out on the phone
    assert "leave us a message" in c.text
    assert len(rows(Callback)) == 3  # nothing new queued
    [refused] = rows(AuditEvent, action="limit_refused")
    assert refused.detail == {"action": "callback", "refusal": "over_limit", "count": 3, "limit": 3}
    assert refused.actor == "carer:voice" and refused.subject_type == "conversation"
    assert "7700" not in str(refused.detail)  # counts only, never the number


def test_over_the_limit_the_carer_can_still_leave_a_message(call, rows):
    for _ in range(3):
        request_callback(call)
    c = call()
    c.press("4")
    c.press("1")  # leave a message
    c.record(30)
    c.press("1")  # this number
    kinds = [callback.kind for callback in rows(Callback)]
    assert kinds == ["callback", "callback", "callback", "voicemail"]
    assert c.ended


def test_the_limit_counts_24_hours(call, rows, clock):
    for _ in range(3):
        request_callback(call)
    clock.set(clock.now() + timedelta(hours=24, minutes=1))
    request_callback(call)
    assert len(rows(Callback, kind="callback")) == 4
    assert rows(AuditEvent, action="limit_refused") == []
    subjects = {event.subject for event in rows(UsageEvent)}
    assert subjects == {stored_subject(Subject("phone", "+447700900123"))}
    assert len(rows(UsageEvent)) == 1  # the day-old counts went as the new one was counted


def test_another_number_is_not_held_back(call, rows):
    for _ in range(3):
        request_callback(call)
    request_callback(call, "+447700900456")
    assert len(rows(Callback)) == 4


def test_crisis_signposting_and_the_urgent_call_back_are_never_limited(call, rows, used):
    used("callback", Subject("phone", CALLER), 5)
    c = call()
    c.say("I can't cope any more I want to end it all")
    assert "9 9 9" in c.text and "1 1 6, 1 2 3" in c.text
    c.press("2")  # an urgent call back
    c.press("1")  # consent
    c.press("1")  # this number
    [callback] = rows(Callback)
    assert callback.kind == "crisis" and callback.urgency == "urgent"


def test_a_chat_over_the_limit_is_told_kindly_and_offered_a_message(carer, rows, used):
    used("callback", Subject("chat", str(CHAT_ID)), 3)
    carer.start()
    calls = carer.press("callback")
    assert "We've had several requests from you today" in said(calls)
    assert "If anyone is in danger, call 999." in said(calls)
    options = [data for _, data in last_menu(calls).buttons()]
    assert options == ["message", "menu", "finish"]
    carer.press("message")
    carer.type("Please ring me about my mum's care, it has changed.")
    carer.share_contact("447700900123")
    [callback] = rows(Callback)
    assert callback.kind == "voicemail" and callback.channel == "telegram"
    [refused] = rows(AuditEvent, action="limit_refused")
    assert refused.detail["count"] == 3 and refused.actor == "carer:telegram"


def test_a_chat_within_the_limit_is_counted_by_its_chat_id(carer, rows):
    carer.start()
    carer.press("callback")
    carer.type("Help with a carer's assessment")
    carer.press("no")
    carer.press("yes")
    carer.share_contact("447700900123")
    carer.press("any")
    carer.press("yes")
    [callback] = rows(Callback)
    counted = {(event.subject, event.reference) for event in rows(UsageEvent)}
    assert counted == {
        (stored_subject(Subject("chat", str(CHAT_ID))), callback.reference),
        (stored_subject(Subject("phone", "+447700900123")), callback.reference),
    }
