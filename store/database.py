"""Engine and session set-up for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from store.crypto import DataKeys, configure

_IDLE_SINCE = "carers_line_idle_since"

POOL_SIZE = 3
"""Connections kept per process: gunicorn.conf.py's threads per worker, plus one for the
clock's jobs or readiness checks."""
IDLE_PING_SECONDS = 2.0
"""A pooled connection unused for longer than this is pinged before use (see ``make_engine``).

A ping on every checkout cost a round trip and about 0.3 to 0.6 ms of CPU per webhook
(docs/performance.md). Busy connections skip it: if the database restarted under them, the
first statement fails, the pool throws every old connection away, and the dialog tries the
step once more on a fresh one (``handlers.ports.ConnectionLostError``)."""


def make_engine(url: str, *, keys: DataKeys | None = None, **options: Any) -> Engine:
    """An engine with pooled connections; SQLite gets WAL, foreign keys and a busy timeout.

    ``keys`` (from the settings) configure encryption at rest for this process (L12).
    """
    if keys is not None:
        configure(keys)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options.setdefault("pool_size", POOL_SIZE)
    options.setdefault("max_overflow", 5)
    # Last-in first-out: the same few connections stay warm, with their prepared statements.
    options.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        event.listen(engine, "checkin", _idle_since)
        event.listen(engine, "checkout", _ping_if_idle(engine))
    return engine


def _idle_since(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(engine: Engine) -> Callable[[Any, ConnectionPoolEntry, Any], None]:
    """A checkout hook: ping a connection that has sat idle; a dead one is replaced."""

    def check(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the pooled connection did not answer a ping") from error
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")

    return check


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (replies are built after the commit)."""
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise if the database does not answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()
