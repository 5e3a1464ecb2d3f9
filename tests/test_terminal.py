"""The terminal simulators run the real core and store: scripted keys, words and silence."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import select

from handlers.clocks import FixedClock
from handlers.profile import load_profile
from handlers.service import DialogService
from knowledge.base import load_knowledge
from settings import DEFAULT_PROFILE_PATH
from store.dialog import SqlStore
from store.models import Callback
from terminal import run_call, run_chat
from tests.conftest import london

PROFILE = load_profile(Path(DEFAULT_PROFILE_PATH))
KNOWLEDGE = load_knowledge(PROFILE.placeholders())


def simulate(runner, db, clock, lines, *args):
    output: list[str] = []
    script = iter(lines)
    service = DialogService(
        SqlStore(db.sessions), PROFILE, KNOWLEDGE, clock, randomness=random.Random(1)
    )
    runner(service, *args, lambda _prompt: next(script), output.append)
    return "\n".join(output)


def test_call_out_of_hours_leaves_a_message(sqlite_database):
    sqlite_database.empty()
    clock = FixedClock(london("2026-12-25T10:00"))
    lines = ["5", "", "This is Jo, please ring me about respite", "1"]
    heard = simulate(run_call, sqlite_database, clock, lines, "07700 900123")
    assert "closed right now" in heard and "999" in heard
    assert "didn't hear anything" in heard
    assert "Monday 4 January" in heard and heard.rstrip().endswith("Goodbye.")
    with sqlite_database.sessions() as session:
        callback = session.scalars(select(Callback)).one()
        assert callback.reason == "This is Jo, please ring me about respite"
        assert callback.channel == "terminal" and callback.kind == "voicemail"


def test_chat_shows_buttons_as_numbers_and_articles_in_full(sqlite_database):
    sqlite_database.empty()
    clock = FixedClock(london("2026-11-23T10:30"))
    lines = ["1", "how do I claim carers allowance", "1", "/quit"]
    shown = simulate(run_chat, sqlite_database, clock, lines)
    assert "[1] Information and advice" in shown
    assert "==" in shown and "Where this comes from:" in shown
    assert "Thank you, that helps us." in shown


def test_hanging_up_ends_the_call(sqlite_database):
    sqlite_database.empty()
    clock = FixedClock(london("2026-11-23T10:30"))
    heard = simulate(run_call, sqlite_database, clock, ["/hangup"], "07700 900123")
    assert "(you hung up)" in heard
