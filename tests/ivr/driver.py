"""Plays Twilio's part in phone calls and text conversations, through the Flask test client.

Every request is signed with ``twilio.request_validator.RequestValidator`` over the public URL
(as Twilio signs it), carries Twilio's real parameters (``tests/payloads/twilio/``), and the
TwiML that comes back is followed verb by verb with Twilio's rules:

- ``<Say>``/``<Pause>`` are heard; ``<Redirect>`` fetches the next document; ``<Hangup>`` or
  running out of verbs ends the call (Twilio then posts the status callback).
- ``<Gather>``: keys stop at ``finishOnKey`` (never sent) or ``numDigits``; speech arrives as
  ``SpeechResult`` with ``Confidence``; nothing at all requests the action only when
  ``actionOnEmptyResult="true"``, otherwise the call falls through to the next verb.
- ``<Record>``: an empty recording skips the action and falls through; a recording requests
  the action, and later (``deliver_callbacks``) the transcription and recording-status
  callbacks, transcribing only 2-120 second messages as Twilio does.
- ``<Dial>``: the staff leg runs the ``<Number url>`` screening document (the whisper, then a
  key); then the ``<Dial>`` action gets ``DialCallStatus`` and ``DialBridged``.

A loop guard fails the test if a call makes too many requests, or too many in a row with no
caller input.
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "twilio"
BASE_URL = "https://line.example.org"
AUTH_TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
CALLER = "+447700900123"
MAX_REQUESTS = 250
MAX_REQUESTS_WITHOUT_INPUT = 12


def payload(name: str) -> dict[str, str]:
    """A stored Twilio parameter set."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def parse(document: str) -> ET.Element:
    """TwiML as XML; it must be a <Response>."""
    root = ET.fromstring(document)
    assert root.tag == "Response", document
    return root


def sid(prefix: str) -> str:
    """A Twilio-shaped id: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def spoken(element: ET.Element) -> str:
    """The words of a <Say> (with or without SSML inside)."""
    return " ".join("".join(element.itertext()).split())


class LoopError(AssertionError):
    """The call went round without the caller doing anything."""


class Twilio:
    """Signs and posts webhooks as Twilio does."""

    def __init__(self, client: FlaskClient, token: str = AUTH_TOKEN, base_url: str = BASE_URL):
        self.client = client
        self.validator = RequestValidator(token)
        self.base_url = base_url

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def post(self, url: str, params: dict[str, str], signature: str | None = None) -> Any:
        """POST ``params`` to an absolute URL under the public base, signed unless given."""
        assert url.startswith(self.base_url), f"{url} is not under {self.base_url}"
        path = url[len(self.base_url) :]
        if signature is None:
            signature = self.validator.compute_signature(url, params)
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": signature})

    def twiml(self, url: str, params: dict[str, str]) -> ET.Element:
        """POST and parse the TwiML answer, which must be a 200 text/xml."""
        response = self.post(url, params)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype in ("text/xml", "application/xml")
        return parse(response.get_data(as_text=True))


@dataclass
class Call:
    """One phone call, driven step by step by the test."""

    twilio: Twilio
    caller: str = CALLER
    call_sid: str = field(default_factory=lambda: sid("CA"))
    heard: list[str] = field(default_factory=list)
    staff_heard: list[str] = field(default_factory=list)
    dialled: list[str] = field(default_factory=list)
    documents: list[tuple[str, ET.Element]] = field(default_factory=list)
    pending_callbacks: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    recordings: list[str] = field(default_factory=list)
    waiting: ET.Element | None = None
    ended: bool = False
    requests: int = 0
    _since_input: int = 0
    _mark: int = 0
    _rest: list[ET.Element] = field(default_factory=list)

    @property
    def params(self) -> dict[str, str]:
        base = payload("voice_incoming")
        base.update(
            CallSid=self.call_sid,
            From=self.caller,
            Caller=self.caller,
            CallStatus="in-progress",
        )
        return base

    # -- what the caller does -------------------------------------------------------------

    def start(self) -> Call:
        """The call comes in."""
        self._fetch(self.twilio.url("/ivr/voice"), {"CallStatus": "ringing"}, input_=True)
        return self

    def press(self, keys: str) -> Call:
        """Press keys at a <Gather>, as a phone sends them."""
        gather = self._expect("Gather")
        if "dtmf" not in gather.get("input", "dtmf"):
            return self.silence()
        finish = gather.get("finishOnKey", "#")
        limit = int(gather.get("numDigits", "0"))
        digits, finished_on = "", ""
        for key in keys:
            if finish and key in finish:
                finished_on = key
                break
            digits += key
            if limit and len(digits) >= limit:
                break
        if not digits:
            return self._empty_gather(gather)
        params = {"Digits": digits, "FinishedOnKey": finished_on, "msg": "Gather End"}
        return self._act(gather.get("action", ""), params)

    def say(self, words: str, confidence: float = 0.92) -> Call:
        """Speak at a <Gather>; Twilio sends what its speech recognition heard."""
        gather = self._expect("Gather")
        if "speech" not in gather.get("input", "dtmf"):
            return self.silence()
        params = {
            **payload("gather_speech"),
            "SpeechResult": words,
            "Confidence": f"{confidence:.4f}",
            "Language": gather.get("language", "en-US"),
        }
        return self._act(gather.get("action", ""), params)

    def silence(self) -> Call:
        """Say and press nothing until the verb times out."""
        verb = self.waiting
        assert verb is not None and not self.ended, "the call is not waiting for the caller"
        if verb.tag == "Gather":
            return self._empty_gather(verb)
        if verb.tag == "Record":  # an empty recording: no action, fall through
            self._input()
            self._run(self._rest)
            return self
        raise AssertionError(f"cannot be silent at <{verb.tag}>")

    def record(self, seconds: int = 25, transcript: str = "Please call me back.") -> Call:
        """Leave a message at a <Record> and press #; its callbacks wait for deliver_callbacks."""
        record = self._expect("Record")
        assert 0 < seconds <= int(record.get("maxLength", "3600"))
        recording_sid = sid("RE")
        self.recordings.append(recording_sid)
        recording_url = f"https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/{recording_sid}"
        if record.get("transcribe") == "true" and record.get("transcribeCallback"):
            transcription = payload("transcription_callback")
            transcription.update(CallSid=self.call_sid, From=self.caller)
            transcription.update(RecordingSid=recording_sid, RecordingUrl=recording_url)
            if 2 <= seconds <= 120:
                transcription.update(TranscriptionStatus="completed", TranscriptionText=transcript)
            else:
                transcription.update(TranscriptionStatus="failed", TranscriptionText="")
            self.pending_callbacks.append((record.get("transcribeCallback", ""), transcription))
        if record.get("recordingStatusCallback"):
            status = payload("recording_status")
            status.update(CallSid=self.call_sid, RecordingSid=recording_sid)
            status.update(RecordingUrl=recording_url, RecordingDuration=str(seconds))
            self.pending_callbacks.append((record.get("recordingStatusCallback", ""), status))
        params = {
            "RecordingUrl": recording_url,
            "RecordingSid": recording_sid,
            "RecordingDuration": str(seconds),
            "Digits": "#",
        }
        return self._act(record.get("action", ""), params)

    def staff_answer(self, accept: bool = True) -> Call:
        """A staff phone rings and is answered; ``accept`` presses 1 at the whisper."""
        dial = self._expect("Dial")
        number = self._number(dial)
        leg = payload("screening_leg")
        leg.update(CallSid=sid("CA"), ParentCallSid=self.call_sid, To=number, Called=number)
        screening = self.twilio.twiml(number_url(dial), leg)
        gather = screening.find("Gather")
        assert gather is not None, "the screening must wait for a key"
        self.staff_heard.extend(spoken(say) for say in gather.iter("Say"))
        key = {"Digits": "1", "FinishedOnKey": ""} if accept else {}
        if not key and gather.get("actionOnEmptyResult") != "true":
            bridged = False
        else:
            result = self.twilio.twiml(gather.get("action", ""), {**leg, **key})
            bridged = result.find("Hangup") is None
        params = {
            **payload("dial_action"),
            "DialCallSid": leg["CallSid"],
            "DialCallStatus": "completed",
            "DialBridged": "true" if bridged else "false",
            "DialCallDuration": "184" if bridged else "4",
        }
        return self._act(dial.get("action", ""), params)

    def staff_miss(self, status: str = "no-answer") -> Call:
        """The staff phone is not answered (``no-answer``), engaged (``busy``) or ``failed``."""
        dial = self._expect("Dial")
        self._number(dial)
        params = {
            "DialCallSid": sid("CA"),
            "DialCallStatus": status,
            "DialBridged": "false",
            "DialCallDuration": "0",
        }
        return self._act(dial.get("action", ""), params)

    def hang_up(self) -> Call:
        """The caller puts the phone down; Twilio sends the status callback."""
        assert not self.ended
        self._end()
        return self

    def deliver_callbacks(self) -> None:
        """Twilio's later callbacks for recordings: transcription and recording status."""
        while self.pending_callbacks:
            url, params = self.pending_callbacks.pop(0)
            response = self.twilio.post(url, params)
            assert response.status_code in (200, 204), response.get_data(as_text=True)

    # -- what the test reads --------------------------------------------------------------

    @property
    def text(self) -> str:
        """Everything heard since the caller last did something."""
        return " ".join(self.heard[self._mark :])

    @property
    def all_text(self) -> str:
        return " ".join(self.heard)

    @property
    def last(self) -> ET.Element:
        """The last TwiML document."""
        return self.documents[-1][1]

    # -- Twilio's side --------------------------------------------------------------------

    def _expect(self, tag: str) -> ET.Element:
        assert not self.ended, "the call has ended"
        assert self.waiting is not None and self.waiting.tag == tag, (
            f"expected <{tag}>, the call is at <{getattr(self.waiting, 'tag', None)}>: {self.text}"
        )
        return self.waiting

    def _number(self, dial: ET.Element) -> str:
        numbers = dial.findall("Number")
        assert numbers and numbers[0].text, "a <Dial> must name a number"
        self.dialled.append(numbers[0].text)
        return numbers[0].text

    def _empty_gather(self, gather: ET.Element) -> Call:
        if gather.get("actionOnEmptyResult") == "true":
            return self._act(gather.get("action", ""), {"msg": "Gather End"})
        self._input()
        self._run(self._rest)
        return self

    def _input(self) -> None:
        self._since_input = 0
        self._mark = len(self.heard)

    def _act(self, url: str, params: dict[str, str]) -> Call:
        assert url, "the verb has no action URL"
        self._fetch(url, params, input_=True)
        return self

    def _fetch(self, url: str, params: dict[str, str], input_: bool = False) -> None:
        if input_:
            self._input()
        self.requests += 1
        self._since_input += 1
        if self.requests > MAX_REQUESTS:
            raise LoopError(f"more than {MAX_REQUESTS} requests in one call")
        if self._since_input > MAX_REQUESTS_WITHOUT_INPUT:
            raise LoopError(f"{self._since_input} requests without the caller doing anything")
        root = self.twilio.twiml(url, {**self.params, **params})
        self.documents.append((url, root))
        self._run(list(root))

    def _run(self, verbs: list[ET.Element]) -> None:
        self.waiting = None
        while verbs:
            verb = verbs.pop(0)
            if verb.tag == "Say":
                self.heard.append(spoken(verb))
            elif verb.tag == "Pause":
                continue
            elif verb.tag in ("Gather", "Record", "Dial"):
                if verb.tag == "Gather":
                    self.heard.extend(spoken(say) for say in verb.iter("Say"))
                self.waiting, self._rest = verb, verbs
                return
            elif verb.tag == "Redirect":
                self._fetch(verb.text or "", {})
                return
            elif verb.tag in ("Hangup", "Reject"):
                self._end()
                return
            else:
                raise AssertionError(f"unexpected TwiML verb <{verb.tag}>")
        self._end()  # Twilio hangs up when a document runs out of verbs

    def _end(self) -> None:
        self.ended, self.waiting = True, None
        status = payload("status_callback")
        status.update(CallSid=self.call_sid, From=self.caller, Caller=self.caller)
        response = self.twilio.post(self.twilio.url("/ivr/status"), status)
        assert response.status_code in (200, 204)


def number_url(dial: ET.Element) -> str:
    number = dial.find("Number")
    assert number is not None and number.get("url"), "staff must be screened (<Number url>)"
    return number.get("url", "")


@dataclass
class Texter:
    """One person texting the service's number."""

    twilio: Twilio
    sender: str = CALLER
    replies: list[list[str]] = field(default_factory=list)

    def send(self, body: str, message_sid: str | None = None) -> list[str]:
        """Text ``body``; return the texts that come back."""
        params = payload("sms_incoming")
        message_sid = message_sid or sid("SM")
        params.update(
            Body=body,
            From=self.sender,
            MessageSid=message_sid,
            SmsSid=message_sid,
            SmsMessageSid=message_sid,
        )
        root = self.twilio.twiml(self.twilio.url("/sms/incoming"), params)
        assert all(child.tag == "Message" for child in root), "texts only"
        texts = [child.text or "" for child in root]
        self.replies.append(texts)
        return texts

    @property
    def last(self) -> str:
        return "\n\n".join(self.replies[-1])
