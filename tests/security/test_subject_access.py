"""Subject access (L12): `carers-line data export` gathers everything held about one carer.

The JSON is parsed, the HTML parsed and checked for escaping, and other people's information
is found only in the "review before release" section.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import main
from store.database import make_engine, make_session_factory
from store.migrate import upgrade
from store.models import AuditEvent
from store.subject_access import NotAPhoneNumberError, export_subject
from tests.conftest import Database
from tests.security.story import CHAT, MARK, SCRIPT, seed_story


class Page(HTMLParser):
    """The elements and text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_the_export_holds_every_record_and_sets_other_people_aside(db, clock):
    seed_story(db, clock.now())
    with db.sessions.begin() as session:
        document = export_subject(session, "+44 7700 900123", None, clock.now())

    records = document["records"]
    counts = {name: len(rows) for name, rows in records.items()}
    assert counts == {
        "carers": 1,
        "conversations": 1,
        "callbacks": 1,  # not the other caller's
        "referrals": 1,
        "card_requests": 1,
        "cards": 1,
        "voicemails": 1,
        "unanswered_questions": 1,
        "outbox_messages": 1,
        "audit_events": 1,
    }
    [conversation] = records["conversations"]
    assert conversation["transcript"][0]["text"] == f"I look after my mum {SCRIPT}"
    assert records["voicemails"][0]["recording_sid"].startswith("RE")
    assert records["callbacks"][0]["attempts"][0]["result"] == "reached"
    review = {
        (item["record"], item["field"]): item["why"] for item in document["review_before_release"]
    }
    assert review[("referral RSTORY1", "referrer_name")] == "about the referrer"
    assert review[("referral RSTORY1", "cared_for_condition")] == "about the cared-for person"
    assert review[("card 1234567", "contacts")] == "the card's emergency contacts"
    assert review[("callback CSTORY1", "outcome_notes")] == "written by staff"
    assert review[("card request ESTORY1", "decision_note")] == "written by staff"
    main_part = json.dumps(records)
    for set_aside in (f"Dr {MARK}", f"Sis {MARK}", f"spoke to her {MARK}", f"approved {MARK}"):
        assert set_aside not in main_part
    with db.sessions() as session:
        [audit] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject_access_export")
        ).all()
    assert audit.detail["callbacks"] == 1 and audit.detail["for_review"] == len(review)
    assert MARK not in json.dumps(audit.detail) and "07700" not in json.dumps(audit.detail)
    assert "COTHER1" not in [row["reference"] for row in records["callbacks"]]


def test_the_telegram_chat_finds_the_carer_too(db, clock):
    seed_story(db, clock.now())
    with db.sessions.begin() as session:
        by_chat = export_subject(session, "07700 900777", CHAT, clock.now())
    assert len(by_chat["records"]["carers"]) == 1
    assert len(by_chat["records"]["callbacks"]) == 1


def test_a_number_that_is_not_a_phone_number_is_refused(db, clock):
    with db.sessions.begin() as session, pytest.raises(NotAPhoneNumberError):
        export_subject(session, "Jo", None, clock.now())


def test_the_export_command_writes_json_and_escaped_html_and_prints_the_checklist(
    tmp_path, monkeypatch, clock
):
    url = f"sqlite:///{tmp_path / 'sar.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_story(Database("sqlite", url, engine), clock.now())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CARERS_LINE_NOW", "2026-11-23T10:30")
    monkeypatch.delenv("SERVICE_PROFILE", raising=False)
    output = tmp_path / "request-17"

    result = CliRunner().invoke(
        main, ["data", "export", "--phone", "07700 900123", "--output", str(output)]
    )

    assert result.exit_code == 0, result.output
    assert "to review before release: " in result.output
    assert "1. Check the identity of the person asking" in result.output
    assert MARK not in result.output and "07700" not in result.output
    document = json.loads((output / "subject-access.json").read_text(encoding="utf-8"))
    assert document["records"]["carers"][0]["name"] == f"Jo {MARK}"
    html = (output / "subject-access.html").read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    assert "script" not in page.tags  # the planted script is text, not an element
    assert any(SCRIPT in chunk for chunk in page.text)
    assert "Review before release" in page.text
    assert (output / "subject-access.json").stat().st_mode & 0o077 == 0
    sessions = make_session_factory(engine)
    with sessions() as session:
        assert session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "subject_access_export")
        )
