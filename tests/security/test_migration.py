"""Migration 0006 encrypts the rows already there and fills the phone hashes; downgrade decrypts.

Rows are written in clear at revision 0005 (as a deployment before this change holds them),
with carers referred to by other tables, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, select, text

from store.crypto import PREFIX
from store.database import make_engine, make_session_factory
from store.migrate import alembic_config, upgrade
from store.models import Callback, Carer, Conversation, ConversationTurn
from tests.conftest import _postgres_available, drop_postgres_schema, fresh_postgres_engine

WHEN = "2026-11-23 10:30:00"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
        yield engine
        engine.dispose()
        return
    if not _postgres_available():
        pytest.skip("PostgreSQL not reachable")
    engine, schema = fresh_postgres_engine()
    yield engine
    drop_postgres_schema(engine, schema)


def seed_in_clear(engine: Engine) -> None:
    answers = json.dumps({"caller": "+447700900123", "said": "my mum"})
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO carers (id, name, phone, communication_needs, created_at, updated_at)"
                " VALUES (1, 'Jo Bloggs', '07700900123', '{\"large_print\": true}', :at, :at)"
            ),
            {"at": WHEN},
        )
        connection.execute(
            text(
                "INSERT INTO conversations (id, channel, external_id, node, answers, attempts,"
                " carer_id, started_at, updated_at)"
                " VALUES (1, 'voice', 'CA1', 'ended', :answers, 0, 1, :at, :at)"
            ),
            {"answers": answers, "at": WHEN},
        )
        connection.execute(
            text(
                "INSERT INTO conversation_turns (id, conversation_id, at, direction, node, text)"
                " VALUES (1, 1, :at, 'in', 'ask', 'I look after my mum')"
            ),
            {"at": WHEN},
        )
        connection.execute(
            text(
                "INSERT INTO callbacks (id, reference, kind, urgency, channel, conversation_id,"
                " carer_id, reason, phone, received_at, due_by, status, attempts_count,"
                " ended_early, signposted_to) VALUES (1, 'C1', 'callback', 'normal', 'voice',"
                " 1, 1, 'respite', '07700900123', :at, :at, 'open', 0, false, '[]')"
            ),
            {"at": WHEN},
        )


def raw(engine: Engine, query: str) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text(query)).scalar_one())


def test_existing_rows_are_encrypted_and_hashed_then_decrypted_on_downgrade(engine):
    upgrade(engine, "0005")
    seed_in_clear(engine)

    upgrade(engine, "0006")

    for query in (
        "SELECT name FROM carers",
        "SELECT phone FROM carers",
        "SELECT communication_needs FROM carers",
        "SELECT answers FROM conversations",
        "SELECT text FROM conversation_turns",
        "SELECT reason FROM callbacks",
    ):
        assert raw(engine, query).startswith(f"{PREFIX}:"), query
    sessions = make_session_factory(engine)
    with sessions() as session:
        carer = session.scalars(select(Carer)).one()
        callback = session.scalars(select(Callback)).one()
        conversation = session.scalars(select(Conversation)).one()
        turn = session.scalars(select(ConversationTurn)).one()
    assert (carer.name, carer.phone, carer.communication_needs) == (
        "Jo Bloggs",
        "07700900123",
        {"large_print": True},
    )
    assert conversation.answers["said"] == "my mum" and turn.text == "I look after my mum"
    expected = Carer(phone="07700900123").phone_hash
    assert carer.phone_hash == callback.phone_hash == conversation.caller_hash == expected

    command.downgrade(alembic_config(engine), "0005")

    assert raw(engine, "SELECT name FROM carers") == "Jo Bloggs"
    assert raw(engine, "SELECT text FROM conversation_turns") == "I look after my mum"
    assert (
        json.loads(raw(engine, "SELECT CAST(answers AS TEXT) FROM conversations"))["said"]
        == "my mum"
    )
