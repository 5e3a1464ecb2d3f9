"""Phone numbers are matched through a keyed hash (L12): caller ID still finds earlier contacts."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import create_app
from console import auth as console_auth
from console.auth import create_account
from console.calls import CallPlacer
from console.views import ConsoleTwilio
from handlers.phones import normalised_number
from store.models import Callback, Carer, Conversation
from store.staff import SqlStaffAccounts
from tests.conftest import DEVELOPMENT_KEYS
from tests.console.conftest import (
    PASSWORD,
    Console,
    FakeRecordings,
    FakeTwilioClient,
    Staff,
)
from tests.ivr.driver import AUTH_TOKEN, BASE_URL, Call, Twilio


@pytest.mark.parametrize("written", ["07700 900123", "+44 7700 900123", "0044 7700 900123"])
def test_every_way_of_writing_a_number_gives_one_keyed_hash(written):
    expected = hmac.new(
        DEVELOPMENT_KEYS.phone_hash.encode(), b"+447700900123", hashlib.sha256
    ).hexdigest()
    assert Carer(phone=written).phone_hash == Callback(phone=written).phone_hash == expected
    assert Carer(phone="07700 900124").phone_hash != expected
    assert Carer(phone=None).phone_hash is None and Carer(phone="withheld").phone_hash is None


def test_international_numbers_keep_their_country_code():
    assert normalised_number("+1 (415) 555-0123") == "+14155550123"
    assert normalised_number("anonymous") is None
    assert Carer(phone="00 1 415 555 0123").phone_hash == Carer(phone="+14155550123").phone_hash


@pytest.fixture
def app(db, settings, clock, tmp_path):
    phone_line = replace(
        settings,
        twilio_account_sid="AC0123456789abcdef0123456789abcdef",
        twilio_auth_token=AUTH_TOKEN,
        public_base_url=BASE_URL,
        spool_dir=tmp_path / "spool",
    )
    tools = ConsoleTwilio(CallPlacer(FakeTwilioClient(), "01632 960100"), FakeRecordings())
    return create_app(phone_line, clock=clock, engine=db.engine, console_twilio=tools)


def ask_for_a_callback(twilio: Twilio, caller: str) -> None:
    c = Call(twilio, caller).start()
    c.press("4")
    c.say("I'd like to talk about respite for my mum")
    c.press("2")  # no one at risk
    c.press("1")  # consent
    c.press("1")  # my own number
    c.press("1")  # the first window offered
    c.press("1")  # that is right
    c.press("2")  # no text
    c.press("2")
    assert c.ended


def test_a_second_call_from_the_same_number_shows_the_first_in_the_console(
    app, db, clock, monkeypatch
):
    twilio = Twilio(app.test_client())
    ask_for_a_callback(twilio, "+447700900123")
    ask_for_a_callback(twilio, "+447700900555")
    ask_for_a_callback(twilio, "+447700900123")
    with db.sessions() as session:
        first, stranger, second = session.scalars(select(Callback).order_by(Callback.id)).all()
        callers = session.scalars(select(Conversation.caller_hash).order_by(Conversation.id))
        assert list(callers) == [first.phone_hash, stranger.phone_hash, second.phone_hash]
    assert first.phone_hash == second.phone_hash != stranger.phone_hash
    monkeypatch.setattr(
        console_auth,
        "hash_password",
        lambda password: generate_password_hash(password, method="scrypt:1024:8:1"),
    )
    member = create_account(
        SqlStaffAccounts(db.sessions),
        username="alice",
        display_name="Alice Adams",
        password=PASSWORD,
        role="staff",
        phone=None,
        at=clock.now(),
    )
    console = Console(app)
    assert console.sign_in(Staff(member.id, "alice", PASSWORD, "Alice Adams")).status_code == 302

    page = console.page(f"/console/callbacks/{second.id}")

    earlier = page.split('id="earlier-heading"')[1]
    assert first.reference in earlier and stranger.reference not in earlier
