"""The console's Twilio pieces: the staff-first call's TwiML and fetching recordings by id."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from console.calls import CallFailedError, CallPlacer, e164
from console.recordings import RecordingUnavailableError, TwilioRecordings
from tests.console.conftest import FakeTwilioClient

SID = "RE" + "0123456789abcdef" * 2


def test_uk_numbers_become_e164():
    assert e164("07700 900123") == "+447700900123"
    assert e164("+44 1632 960100") == "+441632960100"
    with pytest.raises(ValueError):
        e164("999")


def test_the_staff_leg_says_the_reference_then_dials_with_the_service_number():
    placer = CallPlacer(FakeTwilioClient(), "01632 960100", voice="Polly.Emma")
    twiml = ET.fromstring(placer.twiml("07700900456", "R-12AB"))
    say, dial, after = twiml
    assert say.get("voice") == "Polly.Emma" and say.get("language") == "en-GB"
    assert "R 1 2 A B" in (say.text or "")
    assert dial.get("callerId") == "+441632960100" and dial.get("timeout") == "30"
    assert dial[0].text == "+447700900456"
    assert after.tag == "Say"


def test_a_twilio_refusal_becomes_a_clear_error():
    from twilio.base.exceptions import TwilioRestException  # type: ignore[import-untyped]

    class Refusing:
        def create(self, **_kwargs):
            raise TwilioRestException(400, "https://api.twilio.com", "bad number", code=21211)

    client = FakeTwilioClient()
    client.calls = Refusing()  # type: ignore[assignment]
    with pytest.raises(CallFailedError, match="21211"):
        CallPlacer(client, "01632 960100").connect("07700900201", "07700900456", "C1")


def _recordings(handler) -> TwilioRecordings:
    client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    return TwilioRecordings("AC" + "1" * 32, "secret-token", client)


def test_recordings_are_fetched_by_id_with_the_account_credentials():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"mp3-bytes", headers={"content-type": "audio/mpeg"})

    audio = _recordings(handler).open(SID)
    assert b"".join(audio.chunks) == b"mp3-bytes" and audio.length == 9
    [request] = seen
    assert str(request.url) == (
        f"https://api.twilio.com/2010-04-01/Accounts/AC{'1' * 32}/Recordings/{SID}.mp3"
    )
    assert request.headers["authorization"].startswith("Basic ")


def test_a_missing_recording_or_a_bad_id_is_unavailable():
    recordings = _recordings(lambda request: httpx.Response(404))
    with pytest.raises(RecordingUnavailableError, match="404"):
        recordings.open(SID)
    with pytest.raises(RecordingUnavailableError):
        recordings.open("../../other")


def test_an_unreachable_twilio_is_unavailable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    with pytest.raises(RecordingUnavailableError, match="ConnectError"):
        _recordings(handler).open(SID)
