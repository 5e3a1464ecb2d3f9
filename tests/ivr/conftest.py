"""The app with its phone line on, a Twilio that signs its requests, and database helpers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from settings import Settings
from tests.ivr.driver import AUTH_TOKEN, BASE_URL, Call, Texter, Twilio


@pytest.fixture
def phone_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Development settings with Twilio configured and the spool in a temporary folder."""
    return replace(
        settings,
        twilio_account_sid="AC0123456789abcdef0123456789abcdef",
        twilio_auth_token=AUTH_TOKEN,
        public_base_url=BASE_URL,
        spool_dir=tmp_path / "spool",
    )


@pytest.fixture
def app(db, phone_settings, clock):
    return create_app(phone_settings, clock=clock, engine=db.engine)


@pytest.fixture
def twilio(app) -> Twilio:
    return Twilio(app.test_client())


@pytest.fixture
def call(twilio):
    """Start a call: ``call()`` or ``call(caller="+447700900456")``."""

    def make(caller: str = "+447700900123") -> Call:
        return Call(twilio, caller).start()

    return make


@pytest.fixture
def texter(twilio) -> Texter:
    return Texter(twilio)


@pytest.fixture
def rows(db):
    """``rows(Model, **where)``: the rows of a table, oldest first."""

    def read(model: Any, **where: Any) -> list[Any]:
        with db.sessions() as session:
            query = select(model).filter_by(**where).order_by(model.id)
            return list(session.scalars(query))

    return read
