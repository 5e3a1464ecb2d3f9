"""The fuzzing suite's set-up: hypothesis profiles, one fully wired app per database, staff.

Two hypothesis profiles are registered. ``fuzz`` (the default) is derandomized, keeps no example
database and runs few enough examples that the whole of ``tests/fuzz`` stays well under a
minute; ``long`` explores far more, with fresh randomness each run
(``HYPOTHESIS_PROFILE=long``, see docs/operations.md). Tests take ``FUZZ`` as their settings, so
loading this suite changes nothing for any other test.

The app has every channel on: the phone line (signed by ``tests.ivr.driver.Twilio``), the
Telegram webhook (a recording Bot API, no network) and the console (Twilio stand-ins).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings

from app import create_app
from console.auth import create_account
from console.calls import CallPlacer
from console.views import ConsoleTwilio
from handlers.clocks import FixedClock
from settings import Settings
from store.staff import SqlStaffAccounts
from tests.bot.conftest import SECRET, TOKEN
from tests.bot.recording import RecordingRequest
from tests.conftest import london
from tests.console.conftest import (
    PASSWORD,
    SERVICE_NUMBER,
    Console,
    FakeRecordings,
    FakeTwilioClient,
    Staff,
    fast_hashing,
)
from tests.ivr.driver import AUTH_TOKEN, BASE_URL, Twilio

__all__ = ["fast_hashing"]  # the console's cheap password hashing, as a fixture here too
OPEN = london("2026-11-23T10:30")
_UNHURRIED = (HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large)
settings.register_profile(
    "fuzz",
    derandomize=True,
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=_UNHURRIED,
)
settings.register_profile(
    "long",
    derandomize=False,
    max_examples=600,
    deadline=None,
    database=None,
    suppress_health_check=_UNHURRIED,
)
FUZZ = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz"))
"""The settings every fuzz test runs with (``HYPOTHESIS_PROFILE`` picks the profile)."""


def fuzz_settings(database_url: str, spool: Path) -> Settings:
    """Development settings with the phone line and the Telegram webhook both on."""
    return replace(
        Settings(),
        database_url=database_url,
        twilio_account_sid="AC0123456789abcdef0123456789abcdef",
        twilio_auth_token=AUTH_TOKEN,
        public_base_url=BASE_URL,
        spool_dir=spool,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url="http://127.0.0.1:9/bot",
    )


@dataclass
class FuzzApp:
    """One app per database for the whole run (loading the knowledge base takes a while)."""

    app: Flask
    clock: FixedClock
    recorder: RecordingRequest
    recordings: FakeRecordings
    spool: Path


@pytest.fixture(scope="session")
def fuzz_apps() -> dict[str, FuzzApp]:
    return {}


@pytest.fixture
def fuzz_app(db, fuzz_apps, tmp_path_factory) -> FuzzApp:
    """The app on a clean database, its clock at Monday 10:30 (open), nothing recorded."""
    if db.name not in fuzz_apps:
        clock, recorder, recordings = FixedClock(OPEN), RecordingRequest(), FakeRecordings()
        spool = tmp_path_factory.mktemp(f"spool-{db.name}")
        tools = ConsoleTwilio(CallPlacer(FakeTwilioClient(), SERVICE_NUMBER), recordings)
        app = create_app(
            fuzz_settings(db.url, spool),
            clock=clock,
            engine=db.engine,
            telegram_request=lambda: recorder,
            console_twilio=tools,
        )
        fuzz_apps[db.name] = FuzzApp(app, clock, recorder, recordings, spool)
    shared = fuzz_apps[db.name]
    shared.clock.set(OPEN)
    shared.recorder.calls.clear()
    return shared


@pytest.fixture
def app(fuzz_app) -> Flask:
    return fuzz_app.app


@pytest.fixture
def twilio(app) -> Twilio:
    return Twilio(app.test_client())


@pytest.fixture
def supervisor(db, fuzz_app, fast_hashing) -> Staff:
    """A supervisor (who may use every console page), on this test's clean database."""
    member = create_account(
        SqlStaffAccounts(db.sessions),
        username="sam",
        display_name="Sam Supervisor",
        password=PASSWORD,
        role="supervisor",
        phone="07700 900201",
        at=fuzz_app.clock.now(),
    )
    return Staff(member.id, "sam", PASSWORD, "Sam Supervisor")


@pytest.fixture
def browser(app, supervisor) -> Console:
    """A console signed in as the supervisor, posting forms with the page's CSRF token."""
    console = Console(app)
    response = console.sign_in(supervisor)
    assert response.status_code == 302, response.get_data(as_text=True)
    return console


class ErrorLog(logging.Handler):
    """Collects ERROR and worse from every logger while installed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def no_errors_logged(
    *expected: type[BaseException], messages: tuple[str, ...] = ()
) -> Iterator[ErrorLog]:
    """Fail if the block logs an error, unless it carries one of the ``expected`` exceptions
    or is one of the expected ``messages``.

    The routes never answer 5xx, so a failure past the signature check shows only in the log:
    this is how the fuzz sees a fail-safe given for input the service should simply handle.
    """
    errors = ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    try:
        yield errors
    finally:
        root.removeHandler(errors)
    unexpected = [
        record
        for record in errors.records
        if not (record.exc_info and isinstance(record.exc_info[1], expected))
        and record.getMessage() not in messages
    ]
    assert not unexpected, [
        (record.getMessage(), repr(record.exc_info[1]) if record.exc_info else None)
        for record in unexpected
    ]
