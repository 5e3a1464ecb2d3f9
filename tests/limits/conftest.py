"""Abuse limits under test: the real app with its phone line and Telegram bot on, real rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from handlers.limits import Action, Subject
from settings import Settings
from store.limits import count_use
from tests.bot.conftest import SECRET, TOKEN, Carer
from tests.bot.recording import RecordingRequest
from tests.ivr.driver import AUTH_TOKEN, BASE_URL, Call, Twilio


@pytest.fixture
def line_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Twilio and Telegram configured (the bot talks to a recording stand-in)."""
    return replace(
        settings,
        twilio_account_sid="AC0123456789abcdef0123456789abcdef",
        twilio_auth_token=AUTH_TOKEN,
        public_base_url=BASE_URL,
        spool_dir=tmp_path / "spool",
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url="http://127.0.0.1:9/bot",
    )


@pytest.fixture
def recorder() -> RecordingRequest:
    return RecordingRequest()


@pytest.fixture
def app(db, line_settings, clock, recorder):
    return create_app(
        line_settings, clock=clock, engine=db.engine, telegram_request=lambda: recorder
    )


@pytest.fixture
def call(app):
    """Start a call: ``call()`` or ``call("+447700900456")``."""
    twilio = Twilio(app.test_client())

    def make(caller: str = "+447700900123") -> Call:
        return Call(twilio, caller).start()

    return make


@pytest.fixture
def carer(app, recorder) -> Carer:
    return Carer(app.test_client(), recorder)


@pytest.fixture
def rows(db):
    """``rows(Model, **where)``: the rows of a table, oldest first."""

    def read(model: Any, **where: Any) -> list[Any]:
        with db.sessions() as session:
            return list(session.scalars(select(model).filter_by(**where).order_by(model.id)))

    return read


@pytest.fixture
def used(db, clock):
    """``used(action, subject, times)``: counted uses, as earlier contacts would leave them."""

    def count(action: Action, subject: Subject, times: int, reference: str | None = None) -> None:
        with db.sessions.begin() as session:
            for _ in range(times):
                count_use(session, subject, action, clock.now(), reference)

    return count
