"""Out of hours the bot still informs and takes requests, and says when a person will reply.

The clock is frozen on Saturday 28 November 2026 at 10pm: it counts from Monday 30,
so a callback is due within two working days, by 5pm on Wednesday 2 December (L5, L7, K3).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from store.models import Callback, EmergencyCardRequest, Referral
from tests.bot.conftest import last_menu, said, texts
from tests.conftest import london

WEDNESDAY_5PM = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def saturday_night(bot_clock):
    bot_clock.set(london("2026-11-28T22:00"))


def one(db, model):
    with db.sessions() as session:
        return session.scalars(select(model)).one()


def test_the_greeting_says_we_are_closed_how_to_get_help_and_when_we_reply(carer):
    calls = carer.start()
    greeting, closed, menu = texts(calls)
    assert greeting.startswith("Hello, this is Westshire Carers Line.")
    assert "We're closed right now." in closed
    assert "Monday to Friday, 9am to 5pm" in closed
    assert "call 999" in closed and "01632 960999" in closed
    assert "a person will contact you within two working days" in closed
    assert ("Leave a message", "message") in last_menu(calls).buttons()
    assert menu == "How can we help today?"


def test_information_is_answered_in_full(carer):
    carer.start()
    carer.press("information")
    calls = carer.type("how do I claim carers allowance")
    article = texts(calls)[0]
    assert article.startswith("How to claim Carer's Allowance")
    assert "What to do next" in article


def test_a_message_is_taken_with_the_time_a_person_will_call(carer, db):
    carer.start()
    calls = carer.press("message")
    assert "a person will call you back by 5pm on Wednesday" in said(calls)
    carer.type("Jo here. My dad has come home from hospital and I need help.")
    calls = carer.share_contact("447700900123")
    callback = one(db, Callback)
    assert (
        f"A person will call you by 5pm on Wednesday. Your reference is {callback.reference}."
        in (said(calls))
    )
    assert (callback.kind, callback.phone, callback.due_by) == (
        "voicemail",
        "07700900123",
        WEDNESDAY_5PM,
    )
    assert callback.reason == "Jo here. My dad has come home from hospital and I need help."


def test_a_call_back_is_taken_for_the_next_working_days(carer, db):
    carer.start()
    carer.type("please call me back")
    carer.type("skip")
    carer.type("no")
    carer.type("yes")
    calls = carer.type("07700 900123")
    assert last_menu(calls).buttons()[0] == (
        "Monday, 9am to 11am",
        "slot-2026-11-30T09:00:00+00:00",
    )
    carer.press("any")
    calls = carer.press("yes")
    callback = one(db, Callback)
    assert f"We will call you by 5pm on Wednesday. Your reference is {callback.reference}." in said(
        calls
    )
    assert callback.due_by == WEDNESDAY_5PM


def test_a_referral_is_taken_and_the_carer_told_when_we_will_call(carer, db):
    carer.start()
    carer.press("referral")
    carer.press("self")
    carer.press("yes")
    carer.press("yes")
    carer.press("no")
    carer.press("now")
    carer.press("skip")
    carer.share_contact("447700900123")
    carer.press("skip")
    carer.press("skip")
    carer.press("skip")
    carer.press("none")
    carer.press("any_time")
    carer.press("skip_all")
    calls = carer.press("yes")
    referral = one(db, Referral)
    assert referral.reference in said(calls)
    assert "We will call you by 5pm on Wednesday" in said(calls)


def test_a_card_request_is_taken(carer, db):
    carer.start(link="card")
    carer.press("join")
    carer.press("yes")
    carer.type("Jo Bloggs")
    carer.type("07700 900123")
    carer.type("Sam")
    carer.type("Meals and medicines")
    carer.type("Alex")
    carer.type("son")
    carer.type("07700 900456")
    carer.press("yes")
    carer.press("no")
    calls = carer.press("yes")
    request = one(db, EmergencyCardRequest)
    assert request.reference in said(calls)
    assert "We will call you by 5pm on Wednesday" in said(calls)


def test_asking_for_a_person_offers_a_message_or_a_call_back(carer):
    carer.start()
    calls = carer.command("person")
    assert "Our team isn't here right now (Monday to Friday, 9am to 5pm)." in said(calls)
    assert last_menu(calls).buttons() == [
        ("Ask us to call you back", "callback"),
        ("Leave a message", "message"),
        ("Main menu", "menu"),
    ]
