"""The outbox on SQLite and PostgreSQL: in order per recipient, backed off, never sent twice."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handlers.jobs import deliver_outbox
from handlers.ports import SendResult
from store.models import OutboxMessage
from store.outbox import SqlOutbox


class ScriptedSender:
    """Answers each send with the next scripted result (``sent`` once the script runs out)."""

    def __init__(self, *script: SendResult) -> None:
        self.script = list(script)
        self.sent: list[tuple[str, str]] = []

    def send(self, recipient: str, payload: Mapping[str, Any]) -> SendResult:
        result = self.script.pop(0) if self.script else SendResult("sent")
        if result.status == "sent":
            self.sent.append((recipient, str(payload["text"])))
        return result


def rows(db) -> list[OutboxMessage]:
    with db.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_messages_go_in_order_and_wait_behind_a_failed_one(db, clock):
    outbox = SqlOutbox(db.sessions)
    for text in ("first", "second"):
        outbox.enqueue("sms", "+447700900123", {"text": text}, clock.now())
    outbox.enqueue("sms", "+447700900999", {"text": "other"}, clock.now())
    sender = ScriptedSender(SendResult("retry", error="HTTP 500"))

    report = deliver_outbox(outbox, {"sms": sender}, clock)

    assert (report.sent, report.retrying) == (1, 1)
    assert sender.sent == [("+447700900999", "other")]
    assert outbox.waiting("sms", "+447700900123")
    assert deliver_outbox(outbox, {"sms": sender}, clock).sent == 0
    clock.advance(timedelta(seconds=30))
    deliver_outbox(outbox, {"sms": sender}, clock)
    deliver_outbox(outbox, {"sms": sender}, clock)
    assert sender.sent[1:] == [("+447700900123", "first"), ("+447700900123", "second")]
    assert not outbox.waiting("sms", "+447700900123")


def test_retry_after_is_respected_and_the_wait_doubles(db, clock):
    outbox = SqlOutbox(db.sessions)
    outbox.enqueue("telegram", "42", {"text": "hello"}, clock.now())
    start = clock.now()
    sender = ScriptedSender(
        SendResult("retry", retry_after=7), SendResult("retry"), SendResult("retry")
    )
    deliver_outbox(outbox, {"telegram": sender}, clock)
    assert rows(db)[0].next_attempt_at.replace(tzinfo=start.tzinfo) == start + timedelta(seconds=7)
    clock.advance(timedelta(seconds=7))
    deliver_outbox(outbox, {"telegram": sender}, clock)
    waited = rows(db)[0].next_attempt_at.replace(tzinfo=start.tzinfo) - clock.now()
    assert waited == timedelta(seconds=60)


def test_a_blocked_recipient_is_given_up_and_a_duplicate_is_not_queued(db, clock):
    outbox = SqlOutbox(db.sessions)
    outbox.enqueue("telegram", "42", {"text": "hello"}, clock.now(), dedupe_key="k1")
    outbox.enqueue("telegram", "42", {"text": "hello"}, clock.now(), dedupe_key="k1")
    report = deliver_outbox(
        outbox, {"telegram": ScriptedSender(SendResult("blocked", error="403"))}, clock
    )
    assert report.given_up == 1
    [row] = rows(db)
    assert row.status == "dead" and row.last_error is not None and "blocked" in row.last_error


def test_a_second_clock_cannot_claim_what_the_first_holds(db, clock):
    first, second = SqlOutbox(db.sessions), SqlOutbox(db.sessions)
    first.enqueue("sms", "+447700900123", {"text": "once"}, clock.now())
    assert len(first.claim_due({"sms"}, clock.now(), 300, 10)) == 1
    assert second.claim_due({"sms"}, clock.now(), 300, 10) == []
    clock.advance(timedelta(seconds=301))
    [again] = second.claim_due({"sms"}, clock.now(), 300, 10)
    assert again.attempts == 2


def test_channels_without_a_sender_wait(db, clock):
    outbox = SqlOutbox(db.sessions)
    outbox.enqueue("sms", "+447700900123", {"text": "later"}, clock.now())
    assert deliver_outbox(outbox, {}, clock).sent == 0
    assert rows(db)[0].status == "pending"
