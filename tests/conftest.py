"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, a frozen clock, the app.

PostgreSQL tests use the machine's server (127.0.0.1:5432, database ``test``, trust auth) or
``TEST_DATABASE_URL``. They are skipped only when no server answers, and the run then ends with
a loud warning.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from handlers.clocks import FixedClock
from settings import LONDON, Settings
from store.crypto import DataKeys, configure
from store.database import make_engine, make_session_factory
from store.migrate import upgrade
from store.models import Base

POSTGRES_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_postgres_problem: list[str] = []


def _postgres_available() -> bool:
    if _postgres_problem:
        return False
    try:
        probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
        probe.dispose()
        return True
    except Exception as error:
        _postgres_problem.append(f"{type(error).__name__}: {error}".splitlines()[0])
        return False


def pytest_report_header() -> str:
    state = "reachable" if _postgres_available() else "NOT REACHABLE"
    return f"PostgreSQL for tests: {POSTGRES_URL} ({state})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_problem:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(
            "POSTGRESQL TESTS WERE SKIPPED: no server answered at " + POSTGRES_URL,
            red=True,
            bold=True,
        )
        terminalreporter.write_line(f"  reason: {_postgres_problem[0]}", red=True)
        terminalreporter.write_line(
            "  Start PostgreSQL (or set TEST_DATABASE_URL) and run the tests again.", red=True
        )
        terminalreporter.write_line(bar, red=True, bold=True)


DEVELOPMENT_KEYS = DataKeys(Settings().data_encryption_keys, Settings().phone_hash_key)


@pytest.fixture(scope="session", autouse=True)
def data_keys() -> DataKeys:
    """Every test process encrypts with the development keys, as `make run` does (L12)."""
    configure(DEVELOPMENT_KEYS)
    return DEVELOPMENT_KEYS


def london(text_value: str) -> datetime:
    """A London wall-clock time as an aware datetime."""
    return datetime.fromisoformat(text_value).replace(tzinfo=LONDON)


@pytest.fixture
def clock() -> FixedClock:
    """Monday 23 November 2026, 10:30 in London: the service is open."""
    return FixedClock(london("2026-11-23T10:30"))


class Database:
    """A migrated database for one backend, emptied before each test."""

    def __init__(self, name: str, url: str, engine: Engine) -> None:
        self.name = name
        self.url = url
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)

    def empty(self) -> None:
        with self.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


def fresh_postgres_engine() -> tuple[Engine, str]:
    """An engine whose search_path is a new, empty schema (dropped by the caller)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    return engine, schema


def drop_postgres_schema(engine: Engine, schema: str) -> None:
    engine.dispose()
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("db") / "carers_line.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    yield Database("sqlite", url, engine)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[Database]:
    if not _postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    engine, schema = fresh_postgres_engine()
    upgrade(engine)
    url = POSTGRES_URL
    yield Database("postgres", url, engine)
    drop_postgres_schema(engine, schema)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """A clean, migrated database: once on SQLite, once on PostgreSQL."""
    database: Database = request.getfixturevalue(f"{request.param}_database")
    database.empty()
    return database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Development settings on a throw-away SQLite file, channels off."""
    return replace(Settings(), database_url=f"sqlite:///{tmp_path / 'app.db'}")
