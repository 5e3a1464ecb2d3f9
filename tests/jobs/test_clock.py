"""The clock process: its timetable, the one-active-clock lock, Twilio deletions, /readyz."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from twilio.http import HttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from app import build_runtime, create_app
from clock import (
    JOB_DEFAULTS,
    STANDBY_RETRY_SECONDS,
    TwilioRecordingDeleter,
    build_scheduler,
    keep_alive,
    wait_until_active,
)
from handlers.jobs import CLOCK_HEARTBEAT, clock_health
from store.database import make_engine
from store.heartbeats import SqlHeartbeats
from store.jobs import ClockLock
from tests.conftest import POSTGRES_URL, _postgres_available


def test_the_timetable_and_its_deliberate_defaults(db, settings, clock):
    runtime = build_runtime(settings, clock, db.engine)
    scheduler = build_scheduler(runtime)
    every = {job.id: job.trigger.interval.total_seconds() for job in scheduler.get_jobs()}
    assert every == {
        "heartbeat": 60,
        "outbox": 15,
        "alerts": 60,
        "daily_summary": 300,
        "idle_conversations": 600,
        "retention": 3600,
        "spool": 60,
    }
    assert str(scheduler.timezone) == "Europe/London"
    assert JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
    # APScheduler gives jobs its defaults when it starts; this is what it will give them
    assert scheduler._job_defaults == JOB_DEFAULTS


@dataclass
class FakeLock:
    """A clock lock whose answers the test decides."""

    answers: list[bool] = field(default_factory=list)
    still_held: bool = True
    across_processes: bool = True

    def acquire(self) -> bool:
        return self.answers.pop(0)

    def held(self) -> bool:
        return self.still_held


def test_the_standby_says_so_once_and_takes_over_when_the_lock_is_free(caplog):
    lock = FakeLock(answers=[False, False, True])
    pauses: list[float] = []
    with caplog.at_level(logging.INFO, logger="carers_line.clock"):
        wait_until_active(lock, pauses.append)  # type: ignore[arg-type]
    assert pauses == [STANDBY_RETRY_SECONDS, STANDBY_RETRY_SECONDS]
    standby = [r for r in caplog.records if "STANDBY" in r.getMessage()]
    assert len(standby) == 1 and standby[0].levelno == logging.WARNING
    assert caplog.records[-1].getMessage() == "this clock is ACTIVE (it holds the clock lock)"


def test_a_clock_that_lost_its_lock_stops_instead_of_beating(db, clock):
    heartbeats = SqlHeartbeats(db.sessions)
    stopped: list[bool] = []
    lost = FakeLock(still_held=False)
    assert keep_alive(lost, heartbeats, clock, lambda: stopped.append(True)) is False  # type: ignore[arg-type]
    assert stopped == [True] and heartbeats.last(CLOCK_HEARTBEAT) is None
    assert keep_alive(FakeLock(), heartbeats, clock, lambda: stopped.append(True)) is True  # type: ignore[arg-type]
    assert heartbeats.last(CLOCK_HEARTBEAT) == clock.now() and stopped == [True]


def test_sqlite_has_no_lock_between_processes_so_the_lock_is_always_granted(settings, caplog):
    lock = ClockLock(make_engine(settings.database_url))
    assert not lock.across_processes
    assert lock.acquire() and lock.held()
    with caplog.at_level(logging.WARNING, logger="carers_line.clock"):
        wait_until_active(lock, lambda seconds: pytest.fail("must not wait"))
    assert "SQLite has no lock between processes" in caplog.text


@pytest.mark.postgres
def test_on_postgresql_exactly_one_of_two_clocks_holds_the_lock():
    if not _postgres_available():
        pytest.skip("PostgreSQL not reachable")
    engines = [create_engine(POSTGRES_URL) for _ in range(3)]
    first, second = ClockLock(engines[0]), ClockLock(engines[1])
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        assert first.held() and not second.held()

        first.release()
        assert second.acquire() is True and second.held()

        # The active clock's connection dies (a network fault, a restarted server): the lock
        # goes with it, the clock notices, and the other one can take over.
        with engines[2].connect() as admin:
            pid = admin.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid::bigint = :low"
                ),
                {"low": 0x4341524552534C & 0xFFFFFFFF},
            ).scalar_one()
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert second.held() is False
        assert first.acquire() is True
    finally:
        first.release()
        second.release()
        for engine in engines:
            engine.dispose()


@dataclass
class FakeTwilioApi(HttpClient):  # type: ignore[misc]
    """Answers Twilio REST calls with a fixed status (or a network error)."""

    status: int = 204
    fail: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(logging.getLogger("tests.twilio"), is_async=False)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, **kwargs):
        self.calls.append((method, uri))
        if self.fail:
            raise ConnectionError("network down")
        body = "" if self.status == 204 else '{"code": 20404, "message": "not found"}'
        return Response(self.status, body)


@pytest.mark.parametrize(
    ("api", "deleted"),
    [
        (FakeTwilioApi(status=204), True),
        (FakeTwilioApi(status=404), True),  # already gone counts as deleted
        (FakeTwilioApi(status=500), False),  # tried again next run
        (FakeTwilioApi(fail=True), False),
    ],
)
def test_recordings_are_deleted_at_twilio(api, deleted):
    client = Client("AC" + "0" * 32, "token", http_client=api)
    assert TwilioRecordingDeleter(client).delete("RE" + "1" * 32) is deleted
    [(method, uri)] = api.calls
    assert method == "DELETE" and uri.endswith("/Recordings/RE" + "1" * 32 + ".json")


def test_clock_health_from_the_last_beat(clock):
    now = clock.now()
    assert clock_health(None, now) == "not seen"
    assert clock_health(now - timedelta(minutes=3), now) == "running"
    assert clock_health(now - timedelta(minutes=3, seconds=1), now) == "stale"


def test_readyz_reports_the_clock_and_needs_it_only_in_production(db, settings, clock):
    development = create_app(settings, clock=clock, engine=db.engine).test_client()
    response = development.get("/readyz")
    assert response.status_code == 200 and response.get_json()["clock"] == "not seen"

    live = replace(
        settings,
        environment="production",
        secret_key="x" * 40,
        public_base_url="https://carers.example.org",
    )
    production = create_app(live, clock=clock, engine=db.engine).test_client()
    response = production.get("/readyz")
    assert response.status_code == 503 and response.get_json()["clock"] == "not seen"

    heartbeats = SqlHeartbeats(db.sessions)
    heartbeats.record(CLOCK_HEARTBEAT, clock.now() - timedelta(minutes=1))
    response = production.get("/readyz")
    assert response.status_code == 200 and response.get_json()["clock"] == "running"

    clock.advance(timedelta(minutes=10))
    response = production.get("/readyz")
    assert response.status_code == 503 and response.get_json()["clock"] == "stale"
    assert development.get("/readyz").status_code == 200
