"""Twilio's REST API rate-limited or failing: texts wait in the outbox and go later, in order.

The real ``SmsSender`` runs against a stand-in Twilio client that answers 429, 503 and a dropped
connection before it accepts; the clock's job body (``deliver_outbox``) runs as the clock
would, with time moved on between runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from twilio.base.exceptions import TwilioRestException  # type: ignore[import-untyped]

from handlers.jobs import deliver_outbox
from ivr.send import SmsSender
from store.models import OutboxMessage
from store.outbox import SqlOutbox

CARER = "07700900123"
OTHER = "07700900456"
SERVICE = "+441632960100"


class FlakyMessages:
    """``client.messages``: fails with the scripted faults first, then accepts and records."""

    def __init__(self, *faults: Exception) -> None:
        self.faults = list(faults)
        self.accepted: list[tuple[str, str]] = []

    def create(self, to: str, body: str, **sender: Any) -> object:
        if self.faults:
            raise self.faults.pop(0)
        self.accepted.append((to, body))
        return object()


class FlakyTwilio:
    def __init__(self, *faults: Exception) -> None:
        self.messages = FlakyMessages(*faults)


def rate_limited() -> TwilioRestException:
    return TwilioRestException(429, "https://api.twilio.com", "Too Many Requests", code=20429)


def unavailable() -> TwilioRestException:
    return TwilioRestException(503, "https://api.twilio.com", "Service Unavailable")


def test_texts_wait_through_429_503_and_a_dropped_line_then_go_in_order_once(db, clock, rows):
    outbox = SqlOutbox(db.sessions)
    for text in ("Your reference is C1.", "We will call by 5pm.", "Thank you."):
        outbox.enqueue("sms", CARER, {"text": text}, clock.now())
    outbox.enqueue("sms", OTHER, {"text": "Someone else's text."}, clock.now())
    twilio = FlakyTwilio(rate_limited(), unavailable(), ConnectionResetError(), rate_limited())
    senders = {"sms": SmsSender(twilio, SERVICE)}

    runs = 0
    while any(row.status == "pending" for row in rows(OutboxMessage)):
        deliver_outbox(outbox, senders, clock)
        clock.advance(timedelta(minutes=10))  # past any back-off
        runs += 1
        assert runs < 20, "the outbox never emptied"

    mine = [body for to, body in twilio.messages.accepted if to == "+447700900123"]
    assert mine == ["Your reference is C1.", "We will call by 5pm.", "Thank you."]
    assert len(twilio.messages.accepted) == 4  # nothing sent twice
    assert {row.status for row in rows(OutboxMessage)} == {"sent"}
    assert max(row.attempts for row in rows(OutboxMessage)) > 1


def test_a_text_queued_by_a_call_waits_while_twilio_is_down(call, db, clock, rows):
    c = call()
    c.press("4")
    c.say("I'd like to talk about respite for my mum")
    c.press("2")  # no one at risk
    c.press("1")  # consent
    c.press("1")  # my own number
    c.press("1")  # the first window offered
    c.press("1")  # that is right
    c.press("1")  # yes, text me
    [queued] = rows(OutboxMessage)
    twilio = FlakyTwilio(*(unavailable() for _ in range(3)))
    senders = {"sms": SmsSender(twilio, SERVICE)}
    for _ in range(3):
        deliver_outbox(SqlOutbox(db.sessions), senders, clock)
        clock.advance(timedelta(hours=1))
        assert rows(OutboxMessage)[0].status == "pending"
    deliver_outbox(SqlOutbox(db.sessions), senders, clock)
    [sent] = rows(OutboxMessage)
    assert sent.status == "sent" and sent.id == queued.id
    assert [to for to, _ in twilio.messages.accepted] == ["+447700900123"]
