"""Closing conversations nobody finished: through the core's own hang-up rule, once.

Calls idle for an hour and chats idle for a day are ended as ``idle``. A caller who had given a
number and consent still gets the callback the core promises ("call ended early").
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.dialog import Chose, ConversationKey, Said, SharedContact, Started
from handlers.jobs import close_idle_conversations
from handlers.profile import load_profile
from handlers.service import DialogService
from knowledge.base import load_knowledge
from settings import DEFAULT_PROFILE_PATH
from store.dialog import SqlStore
from store.jobs import SqlIdleConversations
from store.models import Callback, Conversation
from tests.conftest import london

PROFILE = load_profile(Path(DEFAULT_PROFILE_PATH))


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(PROFILE.placeholders())


@pytest.fixture
def dialog(db, clock, knowledge) -> DialogService:
    return DialogService(
        SqlStore(db.sessions), PROFILE, knowledge, clock, randomness=random.Random(5)
    )


def conversation(db, key: ConversationKey) -> Conversation:
    with db.sessions() as session:
        return session.scalars(
            select(Conversation).where(
                Conversation.channel == key.channel, Conversation.external_id == key.external_id
            )
        ).one()


def callbacks(db) -> list[Callback]:
    with db.sessions() as session:
        return list(session.scalars(select(Callback)))


def leave_after_number_and_consent(dialog: DialogService, key: ConversationKey) -> None:
    """A carer asks for a callback, agrees, gives a number, then goes quiet."""
    dialog.handle(key, Started("chat"))
    for event in (
        Chose("callback"),
        Said("help with respite for mum"),
        Chose("no"),
        Chose("yes"),
        SharedContact("07700 900456"),
    ):
        dialog.handle(key, event)


def test_an_abandoned_chat_is_closed_after_a_day_and_still_gets_its_callback(db, clock, dialog):
    key = ConversationKey("telegram", "5550101")
    leave_after_number_and_consent(dialog, key)
    idle = SqlIdleConversations(db.sessions)

    clock.advance(timedelta(hours=23, minutes=59))
    assert close_idle_conversations(idle, dialog, clock) == 0
    assert conversation(db, key).ended_at is None

    clock.advance(timedelta(minutes=2))
    assert close_idle_conversations(idle, dialog, clock) == 1
    ended = conversation(db, key)
    assert (ended.ended_reason, ended.ended_at, ended.node) == ("idle", clock.now(), "ended")
    [saved] = callbacks(db)
    assert saved.ended_early and saved.phone == "07700900456"
    assert saved.reason == "help with respite for mum"

    assert close_idle_conversations(idle, dialog, clock) == 0
    assert len(callbacks(db)) == 1


def test_a_call_is_closed_after_an_hour_and_a_finished_one_is_left_alone(
    db, clock, dialog, records
):
    quiet = records.conversation("2026-11-23T09:00", channel="voice", external_id="CA-quiet")
    records.conversation(
        "2026-11-23T09:00",
        channel="voice",
        external_id="CA-done",
        ended="2026-11-23T09:05",
        reason="hung_up",
    )
    chat = records.conversation("2026-11-23T09:00", channel="telegram", external_id="777")
    idle = SqlIdleConversations(db.sessions)

    assert close_idle_conversations(idle, dialog, clock) == 1  # 10:30: the call, not the chat
    assert records.get(Conversation, quiet).ended_reason == "idle"
    assert records.get(Conversation, chat).ended_at is None
    assert conversation(db, ConversationKey("voice", "CA-done")).ended_reason == "hung_up"
    assert callbacks(db) == []  # nobody had given a number: nothing to call back


def test_two_clocks_closing_the_same_chat_make_one_callback(db, clock, dialog, knowledge):
    """Both clocks list the chat as idle before either closes it."""
    key = ConversationKey("telegram", "5550202")
    leave_after_number_and_consent(dialog, key)
    clock.advance(timedelta(days=2))
    listed = SqlIdleConversations(db.sessions).idle(clock.now(), clock.now(), 10)

    class ListedEarlier(SqlIdleConversations):
        def idle(self, *args):
            return listed

    other_clock = DialogService(SqlStore(db.sessions), PROFILE, knowledge, clock)
    first = close_idle_conversations(ListedEarlier(db.sessions), dialog, clock)
    second = close_idle_conversations(ListedEarlier(db.sessions), other_clock, clock)

    assert (first, second) == (1, 0)
    assert len(callbacks(db)) == 1
    assert conversation(db, key).ended_reason == "idle"


def test_a_carer_who_comes_back_starts_again(db, clock, dialog):
    key = ConversationKey("telegram", "5550303")
    dialog.handle(key, Started("chat"))
    clock.set(london("2026-11-25T10:30"))
    close_idle_conversations(SqlIdleConversations(db.sessions), dialog, clock)
    assert conversation(db, key).ended_reason == "idle"

    dialog.handle(key, Said("hello"))
    back = conversation(db, key)
    assert back.ended_at is None and back.node != "ended"
