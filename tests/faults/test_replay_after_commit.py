"""A worker dies after its transaction commits but before the answer leaves: the retry is absorbed.

Twilio and Telegram re-send a request that got no answer. The first copy committed everything,
so the re-sent copy must find it: the same TwiML (byte for byte), and no second callback,
referral, transcript line or conversation (rows counted before and after).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app import create_app
from bot.security import SECRET_HEADER
from store.models import Callback, Conversation, ConversationTurn, ProcessedWebhook
from tests.bot.conftest import SECRET, telegram_settings
from tests.bot.conftest import payload as telegram_payload
from tests.bot.recording import RecordingRequest


def counts(db) -> dict[str, int]:
    with db.sessions() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Callback, Conversation, ConversationTurn, ProcessedWebhook)
        }


def test_the_confirming_keypress_replayed_makes_one_callback(call, twilio, db):
    c = call()
    c.press("4")
    c.say("I'd like to talk about respite for my mum")
    c.press("2")  # no one at risk
    c.press("1")  # consent
    c.press("1")  # my own number
    c.press("1")  # the first window offered
    url = c.last.find("Gather").get("action")  # the "is that right?" step
    params = {**c.params, "Digits": "1", "FinishedOnKey": "", "msg": "Gather End"}

    first = twilio.post(url, params)  # committed; the worker dies before Twilio hears it
    before = counts(db)
    retried = twilio.post(url, params)

    assert first.status_code == retried.status_code == 200
    assert retried.get_data() == first.get_data()
    assert counts(db) == before
    assert before["callbacks"] == 1


def test_a_telegram_update_replayed_makes_one_callback(db, clock):
    recorder = RecordingRequest()
    app = create_app(
        telegram_settings(db.url), clock=clock, engine=db.engine, telegram_request=lambda: recorder
    )
    client = app.test_client()
    headers = {SECRET_HEADER: SECRET}
    update_id = 800000000

    def send(text: str) -> dict[str, Any]:
        nonlocal update_id
        update_id += 1
        update = telegram_payload("text")
        update["update_id"] = update_id
        update["message"]["text"] = text
        assert client.post("/telegram/webhook", json=update, headers=headers).status_code == 200
        return update

    for text in ("/start", "can someone ring me back", "Help with respite", "no", "yes"):
        send(text)
    send("07700 900123")
    send("any time")
    last = send("yes")  # committed: the callback exists
    before = counts(db)
    assert before["callbacks"] == 1

    sent = len(recorder.of("sendMessage"))
    assert client.post("/telegram/webhook", json=last, headers=headers).status_code == 200
    assert counts(db) == before
    assert len(recorder.of("sendMessage")) == sent  # the carer is not told twice
