"""The database drops its connections (a restart, a failover) while the app holds them in its pool.

The pool no longer pings every connection before use (docs/performance.md). A connection used in
the last ``IDLE_PING_SECONDS`` is trusted, so the first statement after a restart fails: the
dialog then tries the step once more on a fresh connection, and the caller hears the next
question, not the fail-safe. A connection that sat idle longer is pinged first, and a dead one
is replaced before anyone uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, func, select, text

import store.database
from app import create_app
from store.database import make_engine
from store.models import ConversationTurn
from tests.ivr.driver import Call, Twilio

pytestmark = pytest.mark.postgres


@dataclass
class Served:
    """The app on its own pool, and the server processes behind that pool's connections."""

    app: Flask
    engine: Engine
    backends: set[int]

    def drop_connections(self, admin: Engine) -> None:
        with admin.begin() as connection:
            for pid in self.backends:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.fixture
def served(postgres_database, phone_settings, clock) -> Iterator[Served]:
    postgres_database.empty()
    with postgres_database.engine.connect() as connection:
        schema = connection.scalar(text("SHOW search_path"))
    engine = make_engine(postgres_database.url, connect_args={"options": f"-csearch_path={schema}"})
    backends: set[int] = set()

    def remember(dbapi_connection: Any, _record: Any) -> None:
        backends.add(int(dbapi_connection.info.backend_pid))

    event.listen(engine, "connect", remember)
    yield Served(create_app(phone_settings, clock=clock, engine=engine), engine, backends)
    engine.dispose()


def test_a_call_carries_on_after_the_database_drops_its_connections(served, postgres_database):
    call = Call(Twilio(served.app.test_client()), "+447700900123").start()
    call.press("1")  # information: the next menu
    assert served.backends

    served.drop_connections(postgres_database.engine)
    call.press("1")

    assert "something went wrong" not in call.text.lower()
    assert call.last.find("Gather") is not None
    with postgres_database.sessions() as session:
        failed = session.scalar(select(func.count()).where(ConversationTurn.node == "failed"))
    assert failed == 0


def test_an_idle_connection_is_checked_before_use(served, postgres_database, monkeypatch):
    client = served.app.test_client()
    assert client.get("/readyz").status_code == 200

    served.drop_connections(postgres_database.engine)
    monkeypatch.setattr(store.database, "IDLE_PING_SECONDS", 0.0)  # every connection is "idle"

    assert client.get("/readyz").status_code == 200
