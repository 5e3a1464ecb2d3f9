"""Nothing a carer sends is shown unescaped in the console.

``<script>`` is planted through the real webhooks (a chat transcript and call-back reason, a
referral answer, a voicemail transcript, an emergency card's plan), then a signed-in member of
staff opens the console pages: the raw tag never appears, the escaped text does.
"""

from __future__ import annotations

from sqlalchemy import select

from store.models import Callback, EmergencyCard
from tests.bot.conftest import Carer
from tests.fuzz.hostile import ESCAPED_SCRIPT, SCRIPT
from tests.ivr.driver import BASE_URL, payload, sid


def plant_callback_and_referral(app, recorder) -> None:
    callback = Carer(app.test_client(), recorder, chat_id=5500000001)
    callback.start()
    callback.type("can someone ring me back")
    callback.type(f"My dad {SCRIPT}")  # the reason, also in the transcript
    for answer in ("no", "yes", "07700 900123", "any time", "yes"):
        callback.type(answer)
    referral = Carer(app.test_client(), recorder, chat_id=5500000002)
    referral.start()
    for answer in (
        "I want to make a referral",
        "a family member or friend",
        "yes",
        f"Pat {SCRIPT}",  # the referrer's name
        "07700 900222",
        "yes",
        "no",
        "still caring now",
        f"Jo {SCRIPT}",
        "07700 900123",
        "skip",
        "skip",
        "skip",
        "no, none of these",
        "afternoon",
        "yes",
    ):
        referral.type(answer)


def plant_card_request(app, recorder) -> None:
    card = Carer(app.test_client(), recorder, chat_id=5500000003)
    card.start()
    card.press("card")
    card.press("join")
    card.press("yes")
    card.type("Jo Bloggs")
    card.share_contact("447700900124")
    card.type("Sam")
    card.type(f"Sam needs help {SCRIPT}")  # becomes the card's plan
    card.type("Alex Smith")
    card.type("neighbour")
    card.type("07700 900456")
    card.press("yes")
    card.press("no")
    card.type("yes that's right")


def plant_voicemail(twilio) -> None:
    call_sid, recording = sid("CA"), sid("RE")
    recorded = {
        **payload("voice_incoming"),
        "CallSid": call_sid,
        "RecordingSid": recording,
        "RecordingUrl": f"https://api.twilio.com/Recordings/{recording}",
        "RecordingDuration": "20",
    }
    assert twilio.post(f"{BASE_URL}/ivr/failsafe-recording", recorded).status_code == 200
    transcription = {
        **payload("transcription_callback"),
        "CallSid": call_sid,
        "RecordingSid": recording,
        "TranscriptionStatus": "completed",
        "TranscriptionText": f"Please ring me {SCRIPT}",
    }
    assert twilio.post(f"{BASE_URL}/ivr/transcription", transcription).status_code == 200


def test_script_planted_through_the_webhooks_is_escaped_on_every_page(
    app, fuzz_app, twilio, browser, db
):
    plant_callback_and_referral(app, fuzz_app.recorder)
    plant_card_request(app, fuzz_app.recorder)
    plant_voicemail(twilio)
    with db.sessions() as session:
        items = {kind: id_ for id_, kind in session.execute(select(Callback.id, Callback.kind))}
    assert {"callback", "referral", "card_request", "voicemail"} <= set(items)
    card_item = items["card_request"]
    approved = browser.post(f"/console/callbacks/{card_item}/card-request/approve")
    assert approved.status_code == 302
    with db.sessions() as session:
        card = session.scalars(select(EmergencyCard.id)).one()

    pages = {
        "/console/": None,
        **{f"/console/callbacks/{item}": kind for kind, item in items.items()},
        f"/console/cards/{card}": "card",
        f"/console/cards/{card}/plan": "card plan",
    }
    for path, planted in pages.items():
        html = browser.page(path)
        assert SCRIPT not in html and "<script>alert" not in html, path
        if planted is not None:
            assert ESCAPED_SCRIPT in html, (path, planted)
