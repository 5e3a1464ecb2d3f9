"""The webhook under gunicorn with 3 workers on PostgreSQL, against a fake Bot API on loopback.

The app runs with the Procfile's command and ``gunicorn.conf.py`` (gthread workers), plus two
test-only overrides: an access log naming the worker's pid for each request, and one
connection per worker at a time. The fake Bot API can hold a worker inside a Bot API call;
while it is held that worker takes no new request, so the carer's next update must land on
another worker. That is how these tests know a conversation really moved between processes.
Nothing sleeps: the tests wait on the server's own signals.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import build_runtime
from clock import build_senders
from handlers import jobs
from handlers.clocks import FixedClock
from settings import Settings
from store.migrate import upgrade
from store.models import (
    Callback,
    Conversation,
    ConversationTurn,
    OutboxMessage,
    ProcessedWebhook,
)
from store.outbox import SqlOutbox
from tests.bot.conftest import OPEN, SECRET, TOKEN, payload, plain
from tests.bot.fake_bot_api import FakeBotApi, Hold
from tests.bot.recording import Failure
from tests.conftest import (
    POSTGRES_URL,
    _postgres_available,
    drop_postgres_schema,
    fresh_postgres_engine,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WAIT = 30.0
_ACCESS = re.compile(r"^<(\d+)> /telegram/webhook u=(\d+) (\d{3})$")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Gunicorn:
    """The running server, and everything it printed."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, found: Callable[[list[str]], bool]) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: found(self.lines), WAIT):
                pytest.fail("gunicorn did not say it:\n" + "\n".join(self.lines[-40:]))

    def worker_for(self, update_id: int) -> int:
        """The pid of the worker that answered this update (from the access log)."""
        pattern = f" u={update_id} "

        def logged(lines: list[str]) -> bool:
            return any(pattern in line for line in lines)

        self.wait_for(logged)
        line = next(line for line in self.lines if pattern in line)
        found = _ACCESS.match(line)
        assert found, line
        return int(found.group(1))


@dataclass
class Stack:
    fake: FakeBotApi
    server: Gunicorn
    settings: Settings
    engine: Any

    def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.server.port}/telegram/webhook?u={update['update_id']}",
            data=json.dumps(update).encode(),
            headers={"Content-Type": "application/json"}
            | ({"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}),
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def rows(self, model: Any, *where: Any) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def sent_to(self, chat: int) -> list[str]:
        return [plain(call.text) for call in self.fake.of("sendMessage", chat)]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    if not _postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    fake = FakeBotApi(TOKEN).start()
    engine, schema = fresh_postgres_engine()
    upgrade(engine)
    database_url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": "3",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "CARERS_LINE_NOW": "2026-11-23T10:30",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        str(BIN / "gunicorn"),
        "--config",
        "gunicorn.conf.py",
        "--worker-connections",
        "1",
        "--access-logfile",
        "-",
        "--access-logformat",
        "%(p)s %(U)s %(q)s %(s)s",
        "app:create_app()",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    server = Gunicorn(process, port)
    threading.Thread(target=server.read, daemon=True).start()
    try:
        server.wait_for(lambda lines: sum("Booting worker" in line for line in lines) >= 3)
        settings = Settings.from_env({key: env[key] for key in env if key != "PORT"})
        yield Stack(fake, server, settings, engine)
    finally:
        process.terminate()
        process.wait(timeout=WAIT)
        fake.stop()
        drop_postgres_schema(engine, schema)


class Chat:
    """A carer in one chat, building real Update JSON."""

    ids = iter(range(810000001, 819999999))

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id

    def _message(self, text: str) -> dict[str, Any]:
        update = payload("text")
        update["update_id"] = next(self.ids)
        message = update["message"]
        message["message_id"] = next(self.ids)
        message["from"]["id"] = message["chat"]["id"] = self.chat_id
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [
                {"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}
            ]
        return update

    def type(self, text: str) -> dict[str, Any]:
        return self._message(text)

    def press(self, option: str) -> dict[str, Any]:
        update = payload("callback_query")
        update["update_id"] = next(self.ids)
        query = update["callback_query"]
        query["id"] = str(next(self.ids))
        query["from"]["id"] = query["message"]["chat"]["id"] = self.chat_id
        query["data"] = option
        return update

    def share_contact(self, phone: str) -> dict[str, Any]:
        update = payload("contact_own")
        update["update_id"] = next(self.ids)
        message = update["message"]
        message["from"]["id"] = message["chat"]["id"] = self.chat_id
        message["contact"]["user_id"] = self.chat_id
        message["contact"]["phone_number"] = phone
        return update


def held(stack: Stack, update: dict[str, Any]) -> tuple[Hold, threading.Thread]:
    """Post ``update`` and keep its worker busy inside its first sendMessage."""
    hold = stack.fake.hold_next("sendMessage")
    statuses: list[int] = []
    thread = threading.Thread(target=lambda: statuses.append(stack.post(update)), daemon=True)
    thread.start()
    assert hold.reached.wait(WAIT), "the worker never reached the Bot API"
    return hold, thread


def test_a_conversation_keeps_its_state_as_its_updates_move_between_workers(stack):
    chat = Chat(6100000001)
    steps = [
        chat.type("/start"),
        chat.press("callback"),
        chat.type("Help with my husband's care at home"),
        chat.press("no"),
        chat.press("yes"),
        chat.share_contact("447700900123"),
        chat.press("any"),
        chat.press("yes"),
    ]
    previous: tuple[Hold, threading.Thread] | None = None
    for update in steps:
        current = held(stack, update)  # this worker is now busy...
        if previous is not None:  # ...so the next update goes to another one
            previous[0].release()
            previous[1].join(WAIT)
        previous = current
    assert previous is not None
    previous[0].release()
    previous[1].join(WAIT)

    workers = [stack.server.worker_for(update["update_id"]) for update in steps]
    assert all(a != b for a, b in itertools.pairwise(workers)), workers
    assert len(set(workers)) >= 2
    with Session(stack.engine) as session:
        conversation = session.scalars(
            select(Conversation).where(Conversation.external_id == str(chat.chat_id))
        ).one()
        transcript = session.scalars(
            select(ConversationTurn.text)
            .where(ConversationTurn.conversation_id == conversation.id)
            .order_by(ConversationTurn.id)
        ).all()
        callback = session.scalars(
            select(Callback).where(Callback.conversation_id == conversation.id)
        ).one_or_none()
    assert callback is not None, "\n".join([*transcript, *stack.server.lines[-30:]])
    assert (callback.phone, callback.reason, callback.channel) == (
        "07700900123",
        "Help with my husband's care at home",
        "telegram",
    )
    assert f"Your reference is {callback.reference}." in " ".join(stack.sent_to(chat.chat_id))


def test_a_duplicate_update_is_handled_once_even_on_another_worker(stack):
    chat = Chat(6100000002)
    start = chat.type("/start")
    hold, thread = held(stack, start)
    assert stack.post(start) == 200  # Telegram re-sends while the first copy is still going
    hold.release()
    thread.join(WAIT)
    assert stack.post(start) == 200  # and once more, later
    assert stack.server.worker_for(start["update_id"]) > 0
    assert stack.sent_to(chat.chat_id) == [
        "Hello, this is Westshire Carers Line. We support people who look after a family member "
        "or friend.",
        "How can we help today?",
    ]
    key = f"{chat.chat_id}:update-{start['update_id']}"
    assert stack.rows(ProcessedWebhook, ProcessedWebhook.key == key) == 1
    access = [line for line in stack.server.lines if f" u={start['update_id']} " in line]
    assert len(access) == 3 and len({line.split()[0] for line in access[:2]}) == 2


def test_a_forged_update_is_refused_and_nothing_is_stored(stack):
    chat = Chat(6100000003)
    assert stack.post(chat.type("/start"), secret="not-the-secret") == 403
    assert stack.post(chat.type("/start"), secret=None) == 403
    assert stack.rows(Conversation, Conversation.external_id == str(chat.chat_id)) == 0
    assert stack.sent_to(chat.chat_id) == []


def test_when_the_bot_api_fails_replies_wait_and_arrive_later_in_order(stack):
    chat = Chat(6100000004)
    stack.fake.fail(
        "sendMessage",
        Failure(500, "Internal Server Error"),
        Failure(429, "Too Many Requests: retry after 7", retry_after=7),
    )
    assert stack.post(chat.type("/start")) == 200
    assert stack.post(chat.press("information")) == 200  # queued behind, not sent directly
    recipient = OutboxMessage.recipient == str(chat.chat_id)
    assert stack.rows(OutboxMessage, recipient, OutboxMessage.status == "pending") == 3
    assert len(stack.fake.of("sendMessage", chat.chat_id)) == 1  # only the failed first try

    clock = FixedClock(OPEN)
    runtime = build_runtime(stack.settings, clock, stack.engine)
    outbox, senders = SqlOutbox(runtime.sessions), build_senders(runtime)
    assert set(senders) == {"telegram"}
    assert jobs.deliver_outbox(outbox, senders, clock) == jobs.DeliveryReport(retrying=1)
    assert jobs.deliver_outbox(outbox, senders, clock) == jobs.DeliveryReport()  # waits 7s
    clock.advance(timedelta(seconds=7))
    for _ in range(3):
        assert jobs.deliver_outbox(outbox, senders, clock) == jobs.DeliveryReport(sent=1)
    sent = stack.sent_to(chat.chat_id)
    assert sent[-3:] == [
        "Hello, this is Westshire Carers Line. We support people who look after a family member "
        "or friend.",
        "How can we help today?",
        "What would you like to know? Type your question in your own words, or pick a subject.",
    ]
    assert sent[:2] == [sent[2], sent[2]]  # the 500 and the 429 were the same first message
    assert stack.rows(OutboxMessage, recipient, OutboxMessage.status == "sent") == 3
