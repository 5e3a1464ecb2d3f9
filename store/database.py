"""Engine and session set-up for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from store.crypto import DataKeys, configure

POOL_SIZE = 5
"""Connections kept per process: gunicorn.conf.py's threads per worker, plus one for the
Telegram sender's loop thread and readiness checks."""


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
    # Pre-ping costs a round trip per checkout (about 5% of a webhook's CPU, see
    # docs/performance.md) and is kept: after a database restart no caller hears the fail-safe.
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_size", POOL_SIZE)
    options.setdefault("max_overflow", 5)
    # Last-in first-out: the same few connections stay warm, with their prepared statements.
    options.setdefault("pool_use_lifo", True)
    return create_engine(url, **options)


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
