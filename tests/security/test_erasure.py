"""Erasure on request (L12): personal data goes, tombstones and an audit event stay, and nothing
is erased while a record must still be kept."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from cli import main
from store.crypto import keyring, phone_hash
from store.database import make_engine
from store.erasure import erase_subject
from store.migrate import upgrade
from store.models import AuditEvent, Callback, Carer, Conversation, Erasure, Voicemail
from tests.conftest import Database
from tests.security.conftest import raw_values
from tests.security.story import MARK, PHONE, seed_story


class Recordings:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete(self, recording_sid: str) -> bool:
        self.deleted.append(recording_sid)
        return True


def decrypted_mentions(db) -> list[str]:
    """Which columns still hold the story's marked personal details (decrypted)."""
    found = []
    for (table, column), values in raw_values(db).items():
        if any(MARK in keyring().decrypt(value) for value in values):
            found.append(f"{table}.{column}")
    return found


def test_erasure_clears_everything_and_leaves_tombstones(db, clock):
    story = seed_story(db, clock.now())
    recordings = Recordings()
    assert "carers.name" in decrypted_mentions(db)

    with db.sessions.begin() as session:
        done = erase_subject(
            session,
            PHONE,
            None,
            clock.now(),
            reason="request SAR-17",
            dry_run=False,
            recordings=recordings,
        )

    assert done.refused == () and done.counts["carers"] == 1
    assert decrypted_mentions(db) == []
    assert recordings.deleted == ["RE0000000000000000000000000000story"]
    with db.sessions() as session:
        carer = session.get(Carer, story.carer)
        assert carer.erased_at == clock.now() and carer.phone_hash is None
        assert session.get(Callback, story.callback).phone_hash is None
        assert session.get(Conversation, story.conversation).caller_hash is None
        assert session.get(Voicemail, story.voicemail).recording_url is None
        assert session.get(Callback, story.other_callback).phone == "07700900999"
        tombstones = session.scalars(select(Erasure)).all()
        [audit] = session.scalars(select(AuditEvent).where(AuditEvent.action == "erased"))
    assert {t.record_type for t in tombstones} == {
        "carer",
        "conversation",
        "callback",
        "referral",
        "card_request",
        "card",
        "voicemail",
    }
    assert all(t.subject_hash == phone_hash(PHONE) for t in tombstones)
    assert tombstones[0].reason == "request SAR-17"
    assert MARK not in json.dumps(audit.detail) and "SAR-17" not in json.dumps(audit.detail)


def test_erasure_is_refused_while_a_callback_is_open(db, clock):
    seed_story(db, clock.now(), callback_status="open")
    with db.sessions.begin() as session:
        done = erase_subject(
            session, PHONE, None, clock.now(), reason=None, dry_run=False, recordings=None
        )
    assert done.refused == ("call-back CSTORY1 is still open",)
    assert "carers.name" in decrypted_mentions(db)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Erasure)) == 0


def test_the_erase_command_refuses_then_erases_and_a_dry_run_changes_nothing(
    tmp_path, monkeypatch, clock
):
    url = f"sqlite:///{tmp_path / 'erase.db'}"
    engine = make_engine(url)
    upgrade(engine)
    database = Database("sqlite", url, engine)
    story = seed_story(database, clock.now(), callback_status="open")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CARERS_LINE_NOW", "2026-11-23T10:30")
    monkeypatch.delenv("SERVICE_PROFILE", raising=False)
    runner = CliRunner()

    refused = runner.invoke(main, ["data", "erase", "--phone", PHONE])
    assert refused.exit_code == 1
    assert "Nothing was erased" in refused.output and "CSTORY1 is still open" in refused.output

    with database.sessions.begin() as session:
        session.get_one(Callback, story.callback).status = "done"
    dry = runner.invoke(main, ["data", "erase", "--phone", PHONE, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "carers: would erase 1" in dry.output
    assert "carers.name" in decrypted_mentions(database)

    erased = runner.invoke(main, ["data", "erase", "--phone", PHONE, "--reason", "SAR-17"])
    assert erased.exit_code == 0, erased.output
    assert "carers: erased 1" in erased.output
    assert "recordings still at Twilio: 1" in erased.output  # Twilio is not configured here
    assert MARK not in erased.output
    assert decrypted_mentions(database) == []
