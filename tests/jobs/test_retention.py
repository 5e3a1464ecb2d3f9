"""The retention purge (L12): what is old goes, what an open record needs stays, a dry run counts.

The example profile keeps recordings 30 days, transcripts 365 days, finished conversations 90
days and closed records 6 years. The clock says Monday 23 November 2026, so the cut-offs are
24 October 2026, 23 November 2025, 25 August 2026 and 23 November 2020.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from click.testing import CliRunner
from sqlalchemy import func, select

from cli import main
from handlers.jobs import purge_expired
from handlers.limits import Subject
from handlers.ports import Expired
from store.database import make_engine, make_session_factory
from store.jobs import SqlRetention
from store.limits import count_use
from store.migrate import upgrade
from store.models import (
    BlockedContact,
    Callback,
    CallbackAttempt,
    Carer,
    Conversation,
    ConversationTurn,
    FollowUpTask,
    OutboxMessage,
    ProcessedWebhook,
    UnansweredQuestion,
    UsageEvent,
    Voicemail,
)
from tests.jobs.records import Records, at


@dataclass
class FakeTwilio:
    """Deletes recordings, except those it is told to refuse (Twilio down for them)."""

    refuse: set[str] = field(default_factory=set)
    deleted: list[str] = field(default_factory=list)

    def delete(self, recording_sid: str) -> bool:
        if recording_sid in self.refuse:
            return False
        self.deleted.append(recording_sid)
        return True


@dataclass
class Database:
    """The one attribute ``Records`` needs, for a database outside the ``db`` fixture."""

    sessions: object


@dataclass
class Seeded:
    old_audio: int
    refused_audio: int
    open_audio: int
    old_chat: int
    open_chat: int
    recent_chat: int
    referral_chat: int
    gone_carer: int
    carer_with_card: int
    recent_carer: int
    closed_item: int


def seed(records: Records, db) -> Seeded:
    # Recordings (30 days): two old ones free to go, one an open callback still needs, one new.
    old_audio = records.voicemail("2026-09-01T10:00")
    refused_audio = records.voicemail("2026-09-02T10:00")
    open_audio = records.voicemail("2026-09-01T11:00")
    records.voicemail("2026-11-10T10:00")
    records.callback("2026-09-01T10:00", "2026-09-03T17:00", status="done", voicemail_id=old_audio)
    records.callback("2026-09-01T11:00", "2026-09-03T17:00", voicemail_id=open_audio)
    # An old voicemail whose audio went long ago but whose transcript is over a year old.
    old_words = records.voicemail("2025-06-01T10:00", transcript="please ring me about mum")
    with db.sessions.begin() as session:
        session.get(Voicemail, old_words).deleted_at = at("2025-07-01T10:00")

    # Conversations: old and finished; old but with an open callback; finished recently; and
    # one whose referral has not had its first contact yet.
    old_chat = records.conversation(
        "2025-10-01T10:00", ended="2025-10-01T10:20", answers={"phone": "07700900123"}
    )
    open_chat = records.conversation("2025-10-01T11:00", ended="2025-10-01T11:20")
    recent_chat = records.conversation("2026-11-01T10:00", ended="2026-11-01T10:10")
    referral_chat = records.conversation("2026-07-01T10:00", ended="2026-07-01T10:30")
    records.referral("2026-07-01T10:30", conversation_id=referral_chat)
    records.callback("2025-10-01T11:20", "2025-10-03T17:00", conversation_id=open_chat)
    for chat in (old_chat, open_chat):
        records.turn(chat, "2025-10-01T10:05", "I look after my dad, Bill")
    records.turn(old_chat, "2025-10-01T10:06", "Thank you")
    records.turn(recent_chat, "2026-11-01T10:05", "hello")
    records.unanswered("2025-09-01T10:00")
    records.unanswered("2026-10-01T10:00")
    with db.sessions.begin() as session:
        session.add(
            ProcessedWebhook(source="telegram", key="1:1", at=at("2026-01-01T10:00"), response="[]")
        )
        for status in ("sent", "pending"):
            session.add(
                OutboxMessage(
                    channel="sms",
                    recipient="07700900123",
                    payload={"text": "hello"},
                    status=status,
                    next_attempt_at=at("2026-01-01T10:00"),
                    created_at=at("2026-01-01T10:00"),
                )
            )

    # Closed records (6 years): a carer whose last record closed in 2019; one who still holds
    # an active emergency card; one who was helped again in 2022; a queue item with no carer.
    gone_carer = records.carer(updated="2019-05-01T10:00")
    done = records.callback(
        "2019-05-01T10:00",
        "2019-05-03T17:00",
        status="done",
        carer_id=gone_carer,
        completed="2019-05-02T10:00",
    )
    records.attempt(done, "2019-05-02T10:00")
    carer_with_card = records.carer(updated="2019-05-01T10:00")
    records.card("2019-06-01T10:00", carer_id=carer_with_card)
    recent_carer = records.carer(updated="2019-05-01T10:00")
    records.callback(
        "2022-03-01T10:00",
        "2022-03-03T17:00",
        status="done",
        carer_id=recent_carer,
        completed="2022-03-02T10:00",
    )
    closed_item = records.callback(
        "2019-02-01T10:00", "2019-02-05T17:00", status="closed", completed="2019-02-06T10:00"
    )
    with db.sessions.begin() as session:
        session.get(Callback, closed_item).outcome_notes = "spoke to her son, Tom"
        session.add(
            FollowUpTask(
                callback_id=closed_item,
                method="letter",
                reason="no_answer",
                status="done",
                created_at=at("2019-02-06T10:00"),
                notes="letter to 1 High Street",
            )
        )
    return Seeded(
        old_audio,
        refused_audio,
        open_audio,
        old_chat,
        open_chat,
        recent_chat,
        referral_chat,
        gone_carer,
        carer_with_card,
        recent_carer,
        closed_item,
    )


def count(db, model, *conditions) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def test_a_dry_run_counts_and_changes_nothing(db, records, profile, clock):
    seed(records, db)
    twilio = FakeTwilio()
    report = purge_expired(
        SqlRetention(db.sessions), twilio, profile.retention, clock, dry_run=True
    )
    assert report.recordings == Expired(due=2, held=1)
    # 2 old transcript lines of the finished chat, 1 voicemail transcript, 1 question's words;
    # the open chat's old line is kept
    assert report.transcripts == Expired(due=4, held=1)
    # 1 finished chat, 1 webhook reply, 1 sent message; the chat with an open callback and
    # the chat whose referral is waiting for its first contact are kept
    assert report.conversations == Expired(due=3, held=2)
    assert report.closed_records == Expired(due=2, held=1)
    assert twilio.deleted == []
    assert count(db, ConversationTurn) == 4
    assert count(db, Voicemail, Voicemail.deleted_at.is_(None)) == 4
    assert count(db, Conversation, Conversation.purged_at.is_not(None)) == 0
    assert count(db, Carer, Carer.erased_at.is_not(None)) == 0
    assert (
        report.lines()[0]
        == "recordings (audio at Twilio): would remove 2, kept 1 an open record still needs"
    )


def test_the_purge_removes_what_is_old_and_keeps_what_open_records_need(
    db, records, profile, clock
):
    seeded = seed(records, db)
    refused_sid = records.get(Voicemail, seeded.refused_audio).recording_sid
    twilio = FakeTwilio(refuse={refused_sid})
    store = SqlRetention(db.sessions)

    report = purge_expired(store, twilio, profile.retention, clock)

    assert twilio.deleted == [records.get(Voicemail, seeded.old_audio).recording_sid]
    assert (report.recordings, report.recordings_failed) == (Expired(1, 1), 1)
    gone = records.get(Voicemail, seeded.old_audio)
    assert gone.deleted_at == clock.now() and gone.recording_url is None
    assert records.get(Voicemail, seeded.refused_audio).deleted_at is None  # tried again later
    assert records.get(Voicemail, seeded.open_audio).recording_url is not None

    assert report.transcripts == Expired(4, 1)
    with db.sessions() as session:
        lines = session.execute(
            select(ConversationTurn.conversation_id, ConversationTurn.text).order_by(
                ConversationTurn.id
            )
        ).all()
        questions = session.scalars(
            select(UnansweredQuestion.question).order_by(UnansweredQuestion.id)
        ).all()
        transcripts = session.scalars(select(Voicemail.transcript)).all()
    assert lines == [
        (seeded.open_chat, "I look after my dad, Bill"),
        (seeded.recent_chat, "hello"),
    ]
    assert questions == ["", "what about my neighbour Alan"]
    assert all(text is None for text in transcripts)

    assert report.conversations == Expired(3, 2)
    purged = records.get(Conversation, seeded.old_chat)
    assert (purged.answers, purged.external_id) == ({}, f"purged-{seeded.old_chat}")
    assert purged.purged_at == clock.now() and purged.channel == "telegram"
    assert records.get(Conversation, seeded.referral_chat).purged_at is None
    assert records.get(Conversation, seeded.open_chat).purged_at is None
    assert records.get(Conversation, seeded.recent_chat).purged_at is None
    assert count(db, ProcessedWebhook) == 0
    assert count(db, OutboxMessage) == 1  # the message still waiting to go stays

    assert report.closed_records == Expired(2, 1)
    erased = records.get(Carer, seeded.gone_carer)
    assert (erased.name, erased.phone, erased.erased_at) == (None, None, clock.now())
    assert records.get(Carer, seeded.carer_with_card).name == "Jo Carer"
    assert records.get(Carer, seeded.recent_carer).name == "Jo Carer"
    cleared = records.get(Callback, seeded.closed_item)
    assert (cleared.phone, cleared.reason, cleared.status) == (None, None, "closed")
    assert cleared.outcome_notes is None
    assert count(db, FollowUpTask, FollowUpTask.notes.is_not(None)) == 0
    assert count(db, CallbackAttempt, CallbackAttempt.notes.is_not(None)) == 0

    again = purge_expired(store, twilio, profile.retention, clock)
    assert again.recordings == Expired(0, 1) and again.recordings_failed == 1
    assert (again.transcripts, again.conversations, again.closed_records) == (
        Expired(0, 1),
        Expired(0, 2),
        Expired(0, 1),
    )


def test_without_twilio_recordings_wait_and_are_counted(db, records, profile, clock):
    seed(records, db)
    report = purge_expired(SqlRetention(db.sessions), None, profile.retention, clock)
    assert report.recordings_waiting == 2 and report.recordings == Expired(0, 1)
    assert count(db, Voicemail, Voicemail.deleted_at.is_(None)) == 4
    assert "recordings waiting because Twilio is not configured: 2" in report.lines()


def test_old_abuse_limit_counts_and_lapsed_blocks_go_with_old_conversations(db, profile, clock):
    with db.sessions.begin() as session:
        count_use(session, Subject("phone", "+447700900123"), "callback", at("2026-08-01T10:00"))
        count_use(session, Subject("chat", "5512345678"), "sms", at("2026-11-22T10:00"))
        for expires in ("2026-08-20T10:00", "2026-12-20T10:00"):
            session.add(
                BlockedContact(
                    kind="chat",
                    match_key="0" * 64,
                    value="5512345678",
                    reason="abusive messages",
                    created_at=at("2026-07-20T10:00"),
                    expires_at=at(expires),
                    contacts=0,
                )
            )
    report = purge_expired(SqlRetention(db.sessions), None, profile.retention, clock)
    assert report.conversations == Expired(2, 0)
    with db.sessions() as session:
        kept = session.scalars(select(UsageEvent.at)).all()
        blocks = session.scalars(select(BlockedContact.expires_at)).all()
    assert kept == [at("2026-11-22T10:00")]
    assert blocks == [at("2026-12-20T10:00")]  # still in force, whatever its age


def test_the_retention_command_dry_run_prints_counts(tmp_path, monkeypatch, clock):
    url = f"sqlite:///{tmp_path / 'retention.db'}"
    engine = make_engine(url)
    upgrade(engine)

    database = Database(make_session_factory(engine))
    seed(Records(database), database)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CARERS_LINE_NOW", "2026-11-23T10:30")
    monkeypatch.delenv("SERVICE_PROFILE", raising=False)

    result = CliRunner().invoke(main, ["retention", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "recordings (audio at Twilio): would remove 2, kept 1 an open record still needs",
        "transcript lines and questions: would remove 4, kept 1 an open record still needs",
        "finished conversations, webhook replies, sent messages, usage counts and lapsed blocks: "
        "would remove 3, kept 2 an open record still needs",
        "closed records (personal details): would remove 2, kept 1 an open record still needs",
    ]
    assert count(database, ConversationTurn) == 4
