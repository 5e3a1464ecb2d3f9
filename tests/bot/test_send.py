"""The send seam: Bot API faults reported (never raised), the outbox fallback, order, forks."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.replies import ReplyDelivery
from bot.send import BlockingRequest, TelegramSender, run_here
from handlers import jobs
from handlers.clocks import FixedClock
from handlers.ports import SendResult
from store.models import OutboxMessage, TelegramChat
from store.outbox import SqlOutbox
from store.telegram_chats import SqlTelegramChats
from tests.bot.conftest import OPEN, TOKEN
from tests.bot.fake_bot_api import FakeBotApi
from tests.bot.recording import Failure, RecordingRequest

CHAT = "5512345678"


def message(text: str) -> dict[str, str]:
    return {"text": text, "parse_mode": "HTML"}


@pytest.fixture
def request_log() -> RecordingRequest:
    return RecordingRequest()


@pytest.fixture
def fixed() -> FixedClock:
    return FixedClock(OPEN)


@pytest.fixture
def chats(db) -> SqlTelegramChats:
    return SqlTelegramChats(db.sessions)


@pytest.fixture
def sender(request_log, fixed, chats) -> TelegramSender:
    return TelegramSender(
        TOKEN, "http://127.0.0.1:9/bot", fixed, chats=chats, request_factory=lambda: request_log
    )


def test_a_message_goes_to_the_chat_with_its_keyboard(sender, request_log):
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    assert sender.send_now(CHAT, {**message("Is that <b>right</b>?"), "reply_markup": markup}) == (
        SendResult("sent")
    )
    [call] = request_log.calls
    assert call.method == "sendMessage"
    assert call.params == {
        "chat_id": 5512345678,
        "text": "Is that <b>right</b>?",
        "parse_mode": "HTML",
        "reply_markup": markup,
        "link_preview_options": {"is_disabled": True},
    }


@pytest.mark.parametrize(
    ("failure", "status", "retry_after"),
    [
        (Failure(500, "Internal Server Error"), "retry", None),
        (Failure(502, "Bad Gateway"), "retry", None),
        (Failure(429, "Too Many Requests: retry after 7", retry_after=7), "retry", 7.0),
        (Failure(0, "connection refused"), "retry", None),
        (Failure(400, "Bad Request: can't parse entities"), "failed", None),
        (Failure(403, "Forbidden: bot was blocked by the user"), "blocked", None),
    ],
)
def test_bot_api_faults_are_reported_not_raised(
    sender, request_log, failure, status, retry_after, chats
):
    request_log.fail("sendMessage", failure)
    result = sender.send_now(CHAT, message("Hello"))
    assert (result.status, result.retry_after) == (status, retry_after)
    assert chats.is_blocked(CHAT) is (status == "blocked")


def test_a_chat_that_blocked_the_bot_is_marked_skipped_by_the_outbox_and_freed_when_it_writes(
    sender, request_log, chats, fixed, db
):
    request_log.fail("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))
    assert sender.send(CHAT, message("one")).status == "blocked"
    assert sender.send(CHAT, message("two")) == SendResult(
        "blocked", error="the chat blocked the bot"
    )
    assert len(request_log.calls) == 1  # the second was not even tried
    with db.sessions() as session:
        row = session.get(TelegramChat, CHAT)
        assert row is not None and row.blocked_at == fixed.now()
    assert chats.wrote(CHAT, fixed.now()) == (False, False)  # no keyboard, nothing waiting
    assert not chats.is_blocked(CHAT)
    assert sender.send(CHAT, message("three")).status == "sent"


def test_a_failed_direct_reply_and_the_rest_of_its_batch_wait_in_the_outbox(
    sender, request_log, db, fixed
):
    outbox = SqlOutbox(db.sessions)
    delivery = ReplyDelivery(sender, outbox, fixed)
    request_log.fail("sendMessage", Failure(500, "Internal Server Error"))
    delivery.deliver(CHAT, [message("one"), message("two"), message("three")], "update-1")
    assert [call.text for call in request_log.of("sendMessage")] == ["one"]
    delivery.deliver(CHAT, [message("four")], "update-2")  # queues behind, not sent directly
    assert len(request_log.of("sendMessage")) == 1
    with db.sessions() as session:
        waiting = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(row.payload["text"], row.status) for row in waiting] == [
        ("one", "pending"),
        ("two", "pending"),
        ("three", "pending"),
        ("four", "pending"),
    ]
    assert waiting[0].dedupe_key == f"telegram:{CHAT}:update-1:0"


def test_the_clock_delivers_the_outbox_in_order_after_500_and_429(sender, request_log, db, fixed):
    outbox = SqlOutbox(db.sessions)
    delivery = ReplyDelivery(sender, outbox, fixed)
    request_log.fail(
        "sendMessage",
        Failure(500, "Internal Server Error"),
        Failure(429, "Too Many Requests: retry after 40", retry_after=40),
    )
    delivery.deliver(CHAT, [message("one"), message("two")], "update-1")
    senders = {"telegram": sender}
    assert jobs.deliver_outbox(outbox, senders, fixed) == jobs.DeliveryReport(retrying=1)
    fixed.advance(timedelta(seconds=39))
    assert jobs.deliver_outbox(outbox, senders, fixed) == jobs.DeliveryReport()  # not yet due
    fixed.advance(timedelta(seconds=1))
    assert jobs.deliver_outbox(outbox, senders, fixed) == jobs.DeliveryReport(sent=1)
    assert jobs.deliver_outbox(outbox, senders, fixed) == jobs.DeliveryReport(sent=1)
    assert [call.text for call in request_log.of("sendMessage")] == ["one", "one", "one", "two"]
    with db.sessions() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}


def test_a_blocked_chat_gets_nothing_more_from_a_batch(sender, request_log, db, fixed):
    outbox = SqlOutbox(db.sessions)
    request_log.fail("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))
    ReplyDelivery(sender, outbox, fixed).deliver(CHAT, [message("a"), message("b")], "update-9")
    assert len(request_log.calls) == 1
    assert not outbox.waiting("telegram", CHAT)


def test_a_rejected_message_is_skipped_and_the_rest_still_go(sender, request_log, db, fixed):
    outbox = SqlOutbox(db.sessions)
    request_log.fail("sendMessage", Failure(400, "Bad Request: message is too long"))
    ReplyDelivery(sender, outbox, fixed).deliver(CHAT, [message("a"), message("b")], "update-3")
    assert [call.text for call in request_log.of("sendMessage")] == ["a", "b"]
    assert not outbox.waiting("telegram", CHAT)


def test_when_replies_wait_in_the_outbox_the_chats_record_says_so(sender, request_log, db, fixed):
    outbox, chats = SqlOutbox(db.sessions), SqlTelegramChats(db.sessions)
    assert chats.wrote(CHAT, fixed.now()) == (False, False)
    request_log.fail("sendMessage", Failure(502, "Bad Gateway"))
    ReplyDelivery(sender, outbox, fixed).deliver(CHAT, [message("a")], "update-4")
    chats.keyboard(CHAT, True, fixed.now())
    assert chats.wrote(CHAT, fixed.now()) == (True, True)
    ReplyDelivery(sender, outbox, fixed).deliver(CHAT, [message("b")], "update-5", waiting=True)
    assert [call.text for call in request_log.of("sendMessage")] == ["a"]  # b queued behind


def test_a_bot_call_runs_to_the_end_on_the_calling_thread():
    async def gives_way() -> str:
        await asyncio.sleep(0)
        return "done"

    assert run_here(gives_way()) == "done"


def test_a_bot_call_that_waits_on_an_event_loop_fails_at_once():
    loop = asyncio.new_event_loop()

    async def waits() -> None:
        await loop.create_future()

    try:
        with pytest.raises(RuntimeError):
            run_here(waits())
    finally:
        loop.close()


def test_a_bot_call_that_fails_in_an_unforeseen_way_leaves_the_message_in_the_outbox(
    request_log, chats, db, fixed
):
    loop = asyncio.new_event_loop()

    class WaitsOnALoop(RecordingRequest):
        async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
            await loop.create_future()
            raise AssertionError("never resumed")

    sender = TelegramSender(
        TOKEN, "http://127.0.0.1:9/bot", fixed, chats=chats, request_factory=WaitsOnALoop
    )
    try:
        result = sender.send_now(CHAT, message("one"))
        ReplyDelivery(sender, SqlOutbox(db.sessions), fixed).deliver(
            CHAT, [message("two")], "update-7"
        )
    finally:
        loop.close()
    assert result.status == "retry"
    with db.sessions() as session:
        waiting = session.scalars(select(OutboxMessage)).all()
    assert [row.payload["text"] for row in waiting] == ["two"]


@pytest.fixture
def fake_api():
    api = FakeBotApi(TOKEN).start()
    yield api
    api.stop()


def _real_sender(api: FakeBotApi, fixed: FixedClock, read_timeout: float = 5.0) -> TelegramSender:
    return TelegramSender(
        TOKEN,
        api.base_url,
        fixed,
        request_factory=lambda: BlockingRequest(read_timeout=read_timeout),
    )


@pytest.mark.parametrize(
    ("failure", "status", "retry_after"),
    [
        (Failure(502, "Bad Gateway"), "retry", None),
        (Failure(429, "Too Many Requests: retry after 3", retry_after=3), "retry", 3.0),
        (Failure(400, "Bad Request: can't parse entities"), "failed", None),
        (Failure(403, "Forbidden: bot was blocked by the user"), "blocked", None),
    ],
)
def test_the_blocking_client_speaks_http_to_the_bot_api(
    fake_api, fixed, failure, status, retry_after
):
    sender = _real_sender(fake_api, fixed)
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    assert sender.send_now(CHAT, {**message("<b>Hi</b>"), "reply_markup": markup}).status == "sent"
    [call] = fake_api.of("sendMessage")
    assert call.params == {
        "chat_id": 5512345678,
        "text": "<b>Hi</b>",
        "parse_mode": "HTML",
        "reply_markup": markup,
        "link_preview_options": {"is_disabled": True},
    }
    fake_api.fail("sendMessage", failure)
    result = sender.send_now(CHAT, message("again"))
    assert (result.status, result.retry_after) == (status, retry_after)
    assert TOKEN not in (result.error or "")


def test_the_environments_proxy_carries_bot_api_calls(fake_api, fixed, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", fake_api.base_url.removesuffix("/bot"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    sender = TelegramSender(TOKEN, "http://api.telegram.invalid/bot", fixed)
    assert sender.send_now(CHAT, message("via the proxy")).status == "sent"
    assert fake_api.proxied_for == ["api.telegram.invalid"]
    assert [call.text for call in fake_api.of("sendMessage")] == ["via the proxy"]


def test_a_host_in_no_proxy_is_reached_directly(fake_api, fixed, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    sender = _real_sender(fake_api, fixed)
    assert sender.send_now(CHAT, message("straight there")).status == "sent"
    assert fake_api.proxied_for == []


def test_a_bot_api_that_does_not_answer_in_time_or_at_all_is_a_retry(fake_api, fixed):
    sender = _real_sender(fake_api, fixed, read_timeout=0.2)
    hold = fake_api.hold_next("sendMessage")
    assert sender.send_now(CHAT, message("slow")).status == "retry"
    hold.release()
    fake_api.stop()
    assert sender.send_now(CHAT, message("nobody there")).status == "retry"


def test_a_forked_process_makes_its_own_bot_and_connections(fake_api, fixed):
    sender = _real_sender(fake_api, fixed)
    assert sender.send_now(CHAT, message("from the parent")).status == "sent"
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child process
        try:
            result = sender.send_now(CHAT, message("from the child"))
            os.write(write, b"ok" if result.status == "sent" else b"no")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 2)
    os.waitpid(child, 0)
    assert answer == b"ok"
    assert sender.send_now(CHAT, message("parent again")).status == "sent"
    assert [call.text for call in fake_api.of("sendMessage")] == [
        "from the parent",
        "from the child",
        "parent again",
    ]
