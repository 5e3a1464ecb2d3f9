"""The call driver itself follows Twilio's rules, so the whole-call tests mean what they say."""

from __future__ import annotations

import pytest
from flask import Flask, Response, request

from tests.ivr.driver import BASE_URL, Call, LoopError, Twilio

LOOP = f'<Response><Redirect method="POST">{BASE_URL}/ivr/voice</Redirect></Response>'
FALL_THROUGH = (
    f'<Response><Gather action="{BASE_URL}/ivr/step" numDigits="1">'
    "<Say>Press a key.</Say></Gather><Say>Nothing pressed.</Say><Hangup/></Response>"
)
RECORD = (
    f'<Response><Record action="{BASE_URL}/ivr/step" maxLength="60"/>'
    "<Say>No message.</Say><Hangup/></Response>"
)


def twiml_app(document: str) -> tuple[Twilio, list[dict[str, str]]]:
    app = Flask(__name__)
    seen: list[dict[str, str]] = []

    @app.post("/ivr/<path:_rest>")
    def answer(_rest: str) -> Response:
        seen.append(dict(request.form))
        return Response(document, mimetype="text/xml")

    return Twilio(app.test_client()), seen


def test_a_document_that_redirects_to_itself_is_caught():
    with pytest.raises(LoopError):
        Call(twiml_app(LOOP)[0]).start()


def test_silence_falls_through_a_gather_without_action_on_empty_result():
    twilio, seen = twiml_app(FALL_THROUGH)
    c = Call(twilio).start()
    c.silence()
    assert c.ended and "Nothing pressed." in c.text
    assert len(seen) == 2  # the call, then the status callback: no action request


def test_keys_stop_at_num_digits_and_an_empty_recording_skips_the_action():
    twilio, seen = twiml_app(FALL_THROUGH)
    c = Call(twilio).start()
    c.press("42")
    assert seen[-1]["Digits"] == "4"
    c = Call(twiml_app(RECORD)[0]).start()
    c.silence()
    assert c.ended and "No message." in c.text
