"""Fault drills where real processes die: prints PASS or FAIL per drill, exits 1 on any FAIL.

Usage: .venv/bin/python bench/fault_drill.py [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]
       [--calls 24] [--chats 12]

It creates its own PostgreSQL database (``carers_line_drill``), migrates it, and drops it at the
end, whatever happens; every process it starts is stopped (see docs/operations.md,
"Fault drills"). The service's clock is fixed to a Monday morning (``CARERS_LINE_NOW``), so the
line is open; the Bot API is a fake on loopback (``tests/bot/fake_bot_api.py``).

(a) Gunicorn, as the Procfile starts it, takes many concurrent signed calls and chat updates;
    one worker is killed with SIGKILL while it is inside a Bot API call (its transaction already
    committed, its answer not yet sent) and with other requests in flight. Every request that
    got no answer is sent again, as Twilio and Telegram retry. Then the database must hold
    exactly one callback per conversation, the same number of carer turns in every
    conversation of a channel (a doubled retry would add one), and every conversation must be
    reachable: every call ended normally and every chat answers again.
(b) The database goes away mid-call: the call's next request reaches a second app instance
    whose ``DATABASE_URL`` points at a closed port. The caller must get the fail-safe TwiML with
    its ``<Record>``, the message must be spooled, and the clock (``python -m clock``), with the
    database back, must import it once. Also: every connection of the first instance is
    terminated (``pg_terminate_backend``) mid-call, and its next request must still be served
    normally (pooled connections are checked before use).
(c) The clock is killed with SIGKILL while it is sending an outbox message to the Bot API, and
    restarted (its service clock moved past the outbox lease). Every message must reach the
    fake Bot API, in order per chat, once each; the one message that was on the wire when the
    clock died may arrive a second time (the Bot API has no idempotency key: delivery is at
    least once for a send cut off mid-flight) and the drill says so.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]  # noqa: E402

from app import build_runtime  # noqa: E402
from settings import LONDON, Settings  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.outbox import SqlOutbox  # noqa: E402
from tests.bot.fake_bot_api import FakeBotApi  # noqa: E402

BIN = Path(sys.executable).parent
DATABASE = "carers_line_drill"
NOW = "2026-11-23T10:30"
BASE_URL = "https://drill.example.org"
AUTH_TOKEN = "d" * 32
ACCOUNT_SID = "AC" + "0" * 32
BOT_TOKEN = "123456789:DRILL-token-not-real"
WEBHOOK_SECRET = "drill-Secret_0123456789"
REQUEST_SECONDS = 20.0
WAIT_SECONDS = 90.0
CALL_SCRIPT = (
    ("Digits", "4"),  # ask for a call back
    ("SpeechResult", "I'd like to talk about respite for my mum"),
    ("Digits", "2"),  # no one at risk
    ("Digits", "1"),  # consent
    ("Digits", "1"),  # my own number
    ("Digits", "1"),  # the first window offered
    ("Digits", "1"),  # that is right
    ("Digits", "2"),  # no text, thank you
    ("Digits", "2"),  # nothing else
)
CHAT_SCRIPT = (
    "/start",
    "can someone ring me back",
    "Help with respite",
    "no",
    "yes",
    "{phone}",
    "any time",
    "yes",
)


# -- processes and the database ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll ``ready`` (a script may wait; tests never do) until it holds, or fail loudly."""
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.2)


@dataclass
class Process:
    """A process this drill started, its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])


class Drill:
    """The drill database, the fake Bot API, and every process started, all cleaned up."""

    def __init__(self, admin_url: str, folder: Path) -> None:
        self.admin_url = admin_url
        self.folder = folder
        self.spool = folder / "spool"
        self.processes: list[Process] = []
        self.fake = FakeBotApi(BOT_TOKEN)
        # Answers to a process this drill killed have nowhere to go: that is the point, not
        # an error worth a traceback.
        self.fake._server.handle_error = _quietly  # type: ignore[method-assign]
        self.fake.start()
        self.database_url = _with_database(admin_url, DATABASE)
        self.admin = create_engine(_psycopg(admin_url), isolation_level="AUTOCOMMIT")

    def environment(self, **changes: str) -> dict[str, str]:
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "DATABASE_URL": self.database_url,
            "CARERS_LINE_NOW": NOW,
            "CARERS_LINE_SPOOL_DIR": str(self.spool),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_BASE_URL": BASE_URL,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_API_BASE_URL": self.fake.base_url,
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": "3",
        }
        env.update(changes)
        return env

    def create_database(self) -> Engine:
        self.drop_database()
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        settings = Settings.from_env(self.environment())
        runtime = build_runtime(settings)  # the engine with the data keys configured
        upgrade(runtime.engine)
        self.outbox = SqlOutbox(runtime.sessions)
        return runtime.engine

    def drop_database(self) -> None:
        with self.admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": DATABASE},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}"'))

    def terminate_connections(self) -> int:
        """Cut every connection to the drill database (the database itself stays up)."""
        with self.admin.connect() as connection:
            cut = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": DATABASE},
            ).scalar()
        return int(cut or 0)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def gunicorn(self, name: str, env: dict[str, str]) -> tuple[Process, int]:
        """The web process as the Procfile starts it, on a free loopback port."""
        port = free_port()
        command = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app:create_app()"]
        process = self.start(name, command, {**env, "PORT": str(port)})

        def answering() -> bool:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{name} stopped:\n{process.tail()}")
            return request(port, "GET", "/healthz", b"", {}) is not None

        wait_until(answering, f"{name} to answer")
        return process, port

    def clock(self, name: str, env: dict[str, str]) -> Process:
        return self.start(name, [sys.executable, "-m", "clock"], env)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.fake.stop()
        try:
            self.drop_database()
        finally:
            self.admin.dispose()


def _quietly(request: object, client_address: object) -> None:
    """The fake Bot API's error handler for this drill: say nothing."""


def _psycopg(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme.startswith("postgres") else url


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(_psycopg(url))
    return parts._replace(path=f"/{database}").geturl()


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children (its workers), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def worker_talking_to(port: int, pids: list[int]) -> int | None:
    """The worker with an open connection to ``port`` on loopback (from /proc/net/tcp)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[2].split(":")[1], 16) == port:
            inodes.add(fields[9])
    for pid in pids:
        try:
            links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
        if any(link == f"socket:[{inode}]" for inode in inodes for link in links):
            return pid
    return None


# -- HTTP as Twilio and Telegram send it ------------------------------------------------------


def request(
    port: int, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, bytes] | None:
    """One request on a fresh connection; None when no answer came (the worker died)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_SECONDS)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


_validator = RequestValidator(AUTH_TOKEN)


def twilio_post(port: int, url: str, params: dict[str, str]) -> tuple[int, bytes] | None:
    """POST signed as Twilio signs (over the public URL), to this instance."""
    path = url[len(BASE_URL) :]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": _validator.compute_signature(url, params),
    }
    return request(port, "POST", path, urlencode(params).encode(), headers)


def telegram_post(port: int, update: dict[str, Any]) -> tuple[int, bytes] | None:
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
    }
    return request(port, "POST", "/telegram/webhook", json.dumps(update).encode(), headers)


def caller_number(call_sid: str) -> str:
    """A UK mobile number of the call's own (the abuse limits count per caller)."""
    return f"+4477009{int(call_sid[-8:], 16) % 100_000:05d}"


def call_params(call_sid: str) -> dict[str, str]:
    caller = caller_number(call_sid)
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "From": caller,
        "Caller": caller,
        "To": "+441632960100",
        "Direction": "inbound",
        "CallStatus": "in-progress",
        "ApiVersion": "2010-04-01",
    }


def next_action(document: bytes) -> tuple[str | None, ET.Element]:
    """The URL the caller's next input goes to (a Gather's or Record's action), if any."""
    root = ET.fromstring(document)
    for verb in root:
        if verb.tag in ("Gather", "Record"):
            return verb.get("action"), root
    return None, root


@dataclass
class Load:
    """Requests answered and those that got no answer (to send again), across threads."""

    answered: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, result: tuple[int, bytes] | None, what: str) -> None:
        with self.lock:
            if result is not None:
                self.answered += 1
                if result[0] >= 500:
                    self.errors.append(f"{what}: HTTP {result[0]}")


@dataclass
class Caller:
    """One phone call, following the TwiML; stalls at a request that got no answer."""

    port: int
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    url: str = f"{BASE_URL}/ivr/voice"
    params: dict[str, str] = field(default_factory=dict)
    step: int = -1
    ended: bool = False
    unanswered: int = 0

    def run(self, load: Load) -> bool:
        """Play on from where the call is; False if a request got no answer."""
        while not self.ended:
            if not self.params:
                self.params = call_params(self.call_sid)
            result = twilio_post(self.port, self.url, self.params)
            load.count(result, self.url)
            if result is None:
                self.unanswered += 1
                return False
            action, _ = next_action(result[1])
            self.step += 1
            if action is None or self.step >= len(CALL_SCRIPT):
                self.ended = True
                break
            name, value = CALL_SCRIPT[self.step]
            extra = {"Confidence": "0.95"} if name == "SpeechResult" else {}
            self.url = action
            self.params = {**call_params(self.call_sid), name: value, **extra}
        return True


@dataclass
class Chatter:
    """One Telegram chat sending its updates in turn; stalls at one that got no answer."""

    port: int
    chat_id: int
    first_update: int
    position: int = 0
    unanswered: int = 0

    def update(self, position: int) -> dict[str, Any]:
        return {
            "update_id": self.first_update + position,
            "message": {
                "message_id": 100 + position,
                "from": {"id": self.chat_id, "is_bot": False, "first_name": "Jo"},
                "chat": {"id": self.chat_id, "first_name": "Jo", "type": "private"},
                "date": 1795429860,
                "text": CHAT_SCRIPT[position].format(phone=f"07700 8{self.chat_id % 100_000:05d}")
                if position < len(CHAT_SCRIPT)
                else "/menu",
            },
        }

    def run(self, load: Load) -> bool:
        while self.position < len(CHAT_SCRIPT):
            result = telegram_post(self.port, self.update(self.position))
            load.count(result, "/telegram/webhook")
            if result is None:
                self.unanswered += 1
                return False
            self.position += 1
        return True


def in_threads(bodies: list[Callable[[], object]]) -> None:
    threads = [threading.Thread(target=body) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# -- the drills -------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    problems: list[str]
    notes: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def scalar(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar() or 0)


def column(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params).scalars())


def drill_worker_killed(drill: Drill, engine: Engine, port: int, master: int, args: Any) -> Outcome:
    """(a) SIGKILL a gunicorn worker mid-load; retries are absorbed by idempotency."""
    problems: list[str] = []
    load = Load()
    callers = [Caller(port) for _ in range(args.calls)]
    chatters = [Chatter(port, 7_700_000_000 + n, 600_000_000 + 1000 * n) for n in range(args.chats)]
    expected = args.calls * (len(CALL_SCRIPT) + 1) + args.chats * len(CHAT_SCRIPT)
    killed: list[int] = []

    def killer() -> None:
        wait_until(lambda: load.answered >= expected // 3, "a third of the load")
        hold = drill.fake.hold_next("sendMessage")  # a worker stops inside a Bot API call
        if hold.reached.wait(REQUEST_SECONDS):
            victim = worker_talking_to(_port_of(drill.fake.base_url), worker_pids(master))
        else:
            victim = None
        victim = victim or worker_pids(master)[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
        hold.release()

    people: list[Caller | Chatter] = [*callers, *chatters]
    in_threads([*(partial(person.run, load) for person in people), killer])
    cut = sum(c.unanswered for c in callers) + sum(c.unanswered for c in chatters)
    # Twilio and Telegram send again what got no answer; the callers carry on from there.
    for _ in range(5):
        stalled: list[Caller | Chatter] = [c for c in callers if not c.ended]
        stalled += [c for c in chatters if c.position < len(CHAT_SCRIPT)]
        if not stalled:
            break
        in_threads([partial(person.run, load) for person in stalled])
    else:
        problems.append("some conversations never got an answer after five retries")
    notes = [
        f"worker {killed[0] if killed else '?'} killed with SIGKILL; {cut} requests got no "
        f"answer and were sent again; {load.answered} answered in all",
    ]
    problems += load.errors
    problems += _check_records(engine, drill, port, callers, chatters, load)
    return Outcome("(a) gunicorn worker killed mid-load", problems, notes)


def _port_of(url: str) -> int:
    return int(urlsplit(url).port or 0)


def _check_records(
    engine: Engine,
    drill: Drill,
    port: int,
    callers: list[Caller],
    chatters: list[Chatter],
    load: Load,
) -> list[str]:
    problems = []
    conversations = len(callers) + len(chatters)
    found = scalar(engine, "SELECT count(*) FROM conversations")
    if found != conversations:
        problems.append(f"{found} conversations in the database, {conversations} held")
    callbacks = scalar(engine, "SELECT count(*) FROM callbacks")
    doubled = scalar(
        engine,
        "SELECT count(*) FROM (SELECT conversation_id FROM callbacks "
        "GROUP BY conversation_id HAVING count(*) > 1) AS doubled",
    )
    if callbacks != conversations or doubled:
        problems.append(
            f"{callbacks} callbacks for {conversations} conversations ({doubled} doubled)"
        )
    referrals = scalar(
        engine,
        "SELECT count(*) FROM (SELECT reference FROM referrals "
        "GROUP BY reference HAVING count(*) > 1) AS doubled",
    )
    if referrals:
        problems.append(f"{referrals} referral references stored twice")
    for channel in ("voice", "telegram"):
        turns = set(
            column(
                engine,
                "SELECT count(*) FROM conversation_turns t JOIN conversations c "
                "ON c.id = t.conversation_id WHERE t.direction = 'in' AND c.channel = :channel "
                "GROUP BY t.conversation_id",
                channel=channel,
            )
        )
        if len(turns) != 1:
            problems.append(f"{channel}: carer turns per conversation differ: {sorted(turns)}")
    not_ended = scalar(
        engine, "SELECT count(*) FROM conversations WHERE channel = 'voice' AND node <> 'ended'"
    )
    if not_ended:
        problems.append(f"{not_ended} calls did not end normally")
    before = len(drill.fake.of("sendMessage"))
    for chatter in chatters:
        result = telegram_post(port, chatter.update(len(CHAT_SCRIPT)))
        if result is None or result[0] != 200:
            problems.append(f"chat {chatter.chat_id} did not answer again")
    answered_again = len(drill.fake.of("sendMessage")) - before
    if answered_again < len(chatters):
        problems.append(f"only {answered_again} of {len(chatters)} chats were answered again")
    return problems


def drill_database_gone(drill: Drill, engine: Engine, port: int) -> Outcome:
    """(b) The database goes away mid-call: fail-safe, spooled, imported once when back."""
    problems: list[str] = []
    notes: list[str] = []
    closed = free_port()
    gone = drill.environment(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:{closed}/{DATABASE}", WEB_CONCURRENCY="1"
    )
    without_db, gone_port = drill.gunicorn("web-without-database", gone)
    try:
        call_sid = "CA" + uuid.uuid4().hex
        started = twilio_post(port, f"{BASE_URL}/ivr/voice", call_params(call_sid))
        action, _ = next_action(started[1]) if started else (None, None)
        if action is None:
            return Outcome("(b) database gone mid-call", ["the call did not start"], notes)
        pressed = twilio_post(gone_port, action, {**call_params(call_sid), "Digits": "4"})
        record = None
        if pressed is None or pressed[0] != 200:
            problems.append(f"no fail-safe: {pressed and pressed[0]}")
        else:
            record = ET.fromstring(pressed[1]).find("Record")
            if record is None or not (record.get("action") or "").endswith(
                "/ivr/failsafe-recording"
            ):
                problems.append("the fail-safe TwiML has no <Record> for a message")
        recording_sid = "RE" + uuid.uuid4().hex
        if record is not None:
            left = twilio_post(
                gone_port,
                record.get("action", ""),
                {
                    **call_params(call_sid),
                    "RecordingSid": recording_sid,
                    "RecordingUrl": f"https://api.twilio.com/Recordings/{recording_sid}",
                    "RecordingDuration": "25",
                },
            )
            if left is None or left[0] != 200:
                problems.append("the fail-safe message was not taken")
        spooled = drill.spool / "spool.jsonl"
        if not spooled.is_file() or recording_sid not in spooled.read_text():
            problems.append("the message was not spooled")
        else:
            notes.append("fail-safe TwiML with <Record> given; the message is in the spool")
    finally:
        without_db.stop()

    cut = drill.terminate_connections()
    call_sid = "CA" + uuid.uuid4().hex
    started = twilio_post(port, f"{BASE_URL}/ivr/voice", call_params(call_sid))
    action, _ = next_action(started[1]) if started else (None, None)
    pressed = (
        twilio_post(port, action, {**call_params(call_sid), "Digits": "4"}) if action else None
    )
    if pressed is None or b"failsafe-recording" in pressed[1]:
        problems.append("after pg_terminate_backend the next call got the fail-safe")
    else:
        notes.append(f"{cut} connections terminated; the next call was served normally")

    clock = drill.clock("clock-imports-spool", drill.environment())
    try:
        wait_until(
            lambda: (
                scalar(
                    engine,
                    "SELECT count(*) FROM voicemails WHERE recording_sid = :sid",
                    sid=recording_sid,
                )
                > 0
                or clock.popen.poll() is not None
            ),
            "the clock to import the spool",
        )
    except TimeoutError:
        problems.append("the clock did not import the spooled message")
    finally:
        clock.stop()
    kept = scalar(
        engine, "SELECT count(*) FROM voicemails WHERE recording_sid = :sid", sid=recording_sid
    )
    callbacks = scalar(
        engine,
        "SELECT count(*) FROM callbacks c JOIN voicemails v ON v.id = c.voicemail_id "
        "WHERE v.recording_sid = :sid",
        sid=recording_sid,
    )
    if (kept, callbacks) != (1, 1):
        problems.append(f"imported as {kept} voicemails and {callbacks} callbacks (want 1 and 1)")
    spooled = drill.spool / "spool.jsonl"
    left_over = [p.name for p in drill.spool.glob("*.claimed")]
    if left_over or (spooled.is_file() and spooled.read_text().strip()):
        problems.append("the spool was not emptied after the import")
    return Outcome("(b) database gone mid-call", problems, notes)


def drill_clock_killed(drill: Drill, engine: Engine) -> Outcome:
    """(c) SIGKILL the clock mid-send; restarted, it delivers everything once, in order."""
    problems: list[str] = []
    chats = [str(8_800_000_000 + n) for n in range(5)]
    at = datetime.fromisoformat(NOW).replace(tzinfo=LONDON)
    expected = {chat: [f"drill {chat} message {n}" for n in range(2)] for chat in chats}
    for n in range(2):
        for chat in chats:
            drill.outbox.enqueue("telegram", chat, {"text": expected[chat][n]}, at)

    hold = drill.fake.hold_next("sendMessage")
    first = drill.clock("clock-killed", drill.environment())
    if not hold.reached.wait(WAIT_SECONDS):
        first.stop()
        return Outcome("(c) clock killed mid-run", ["the clock never sent anything"], [])
    in_flight = drill.fake.calls[-1].params.get("text")
    first.kill()
    hold.release()

    later = (at + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")  # past the outbox lease
    second = drill.clock("clock-restarted", drill.environment(CARERS_LINE_NOW=later))

    def pending() -> int:
        return sum(
            scalar(
                engine,
                "SELECT count(*) FROM outbox WHERE status = 'pending' AND recipient = :chat",
                chat=chat,
            )
            for chat in chats
        )

    try:
        wait_until(lambda: pending() == 0, "the restarted clock to send the whole outbox")
    except TimeoutError:
        problems.append(f"{pending()} outbox messages still pending")
    finally:
        second.stop()
    duplicates = []
    for chat, texts in expected.items():
        got = [str(call.params.get("text")) for call in drill.fake.of("sendMessage", int(chat))]
        collapsed = [t for i, t in enumerate(got) if i == 0 or t != got[i - 1]]
        if collapsed != texts:
            problems.append(f"chat {chat}: got {got}")
        duplicates += [t for t in set(got) if got.count(t) > 1]
    extra = [t for t in duplicates if t != in_flight]
    if extra:
        problems.append(f"delivered twice though not in flight at the kill: {extra}")
    notes = [
        "clock SIGKILLed inside a Bot API call, restarted with its clock past the lease; "
        f"10 messages, in order per chat; sent again (in flight at the kill): {len(duplicates)}"
    ]
    return Outcome("(c) clock killed mid-run", problems, notes)


@contextmanager
def drill_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fault-drill-") as folder:
        yield Path(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("DRILL_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL allowed to create and drop the drill database",
    )
    parser.add_argument("--calls", type=int, default=24, help="concurrent phone calls in (a)")
    parser.add_argument("--chats", type=int, default=12, help="concurrent chats in (a)")
    args = parser.parse_args()
    outcomes: list[Outcome] = []
    with drill_folder() as folder:
        drill = Drill(args.admin_url, folder)
        try:
            engine = drill.create_database()
            web, port = drill.gunicorn("web", drill.environment())
            try:
                outcomes.append(drill_worker_killed(drill, engine, port, web.popen.pid, args))
                outcomes.append(drill_database_gone(drill, engine, port))
            finally:
                web.stop()
            outcomes.append(drill_clock_killed(drill, engine))
            engine.dispose()
        except Exception as error:  # a drill that cannot run is a FAIL, and says why
            outcomes.append(Outcome("drill set-up", [f"{type(error).__name__}: {error}"], []))
        finally:
            drill.close()
    for outcome in outcomes:
        print(f"{'PASS' if outcome.passed else 'FAIL'}  {outcome.name}")
        for line in outcome.notes:
            print(f"      {line}")
        for line in outcome.problems:
            print(f"      problem: {line}")
    return 0 if outcomes and all(outcome.passed for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
