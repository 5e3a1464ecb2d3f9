"""Store basics on both databases: UTC-aware timestamps survive, uniqueness holds."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handlers.clocks import FixedClock
from handlers.jobs import CLOCK_HEARTBEAT, heartbeat
from store.heartbeats import SqlHeartbeats
from store.models import Conversation, ProcessedWebhook
from tests.conftest import london


def conversation(external_id="CA123", at=None):
    at = at or datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    return Conversation(
        channel="voice",
        external_id=external_id,
        node="main_menu",
        answers={"name": "x"},
        started_at=at,
        updated_at=at,
    )


def test_timestamps_come_back_utc_aware(db):
    summer = london("2026-07-01T10:00")  # 09:00 UTC
    with db.sessions.begin() as session:
        session.add(conversation(at=summer))
    with db.sessions() as session:
        stored = session.scalar(select(Conversation))
    assert stored.started_at == summer
    assert stored.started_at.tzinfo is not None
    assert stored.started_at.utcoffset() == timedelta(0)
    assert stored.started_at.hour == 9
    assert stored.answers == {"name": "x"}


def test_naive_timestamps_are_refused(db):
    with pytest.raises(Exception, match="naive"), db.sessions.begin() as session:
        session.add(conversation(at=datetime(2026, 11, 23, 10, 30)))


def test_one_conversation_per_channel_and_external_id(db):
    with db.sessions.begin() as session:
        session.add(conversation("CA1"))
    with pytest.raises(IntegrityError), db.sessions.begin() as session:
        session.add(conversation("CA1"))


def test_processed_webhook_ids_are_unique_per_source(db):
    at = datetime(2026, 11, 23, tzinfo=UTC)
    with db.sessions.begin() as session:
        session.add(ProcessedWebhook(source="telegram", key="1001", at=at))
        session.add(ProcessedWebhook(source="twilio", key="1001", at=at))
    with pytest.raises(IntegrityError), db.sessions.begin() as session:
        session.add(ProcessedWebhook(source="telegram", key="1001", at=at))


def test_heartbeat_moves_forward_only(db):
    beats = SqlHeartbeats(db.sessions)
    clock = FixedClock(london("2026-11-23T10:00"))
    heartbeat(beats, clock)
    assert beats.last(CLOCK_HEARTBEAT) == clock.now()
    later = clock.now() + timedelta(minutes=1)
    beats.record(CLOCK_HEARTBEAT, later)
    heartbeat(beats, clock)  # a second clock running behind must not move it back
    assert beats.last(CLOCK_HEARTBEAT) == later
