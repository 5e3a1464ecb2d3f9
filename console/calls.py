"""'Call now': ring the member of staff's phone first, then connect the carer (Twilio REST).

The staff member answers, hears which item it is, and Twilio dials the carer showing the
service's own number as the caller ID, so the carer sees a number they can ring back. Both
numbers pass the toll-fraud guard first (``handlers.phones.dialable``: UK landlines, mobiles and
freephone, or a country the profile allows; never premium rate). The Twilio client is passed in,
so tests give a stand-in that records the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twilio.base.exceptions import TwilioRestException  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]
from twilio.twiml.voice_response import Dial, VoiceResponse  # type: ignore[import-untyped]

from handlers.phones import dialable

DEFAULT_VOICE = "Polly.Amy"
LANGUAGE = "en-GB"
RING_SECONDS = 30


class CallFailedError(RuntimeError):
    """Twilio refused to start the call; the message is safe to show to staff."""


def e164(number: str, international_prefixes: Sequence[str] = ()) -> str:
    """A number the service may dial, in the E.164 form Twilio dials; ValueError otherwise."""
    allowed = dialable(number, international_prefixes)
    if allowed is None:
        raise ValueError("That number cannot be called from here (UK only, never premium rate).")
    return allowed


def spaced(reference: str) -> str:
    """A reference read out one character at a time."""
    return " ".join(character for character in reference if character.isalnum())


class CallPlacer:
    """Places staff-first calls through a Twilio ``Client``."""

    def __init__(
        self,
        client: Any,
        caller_id: str,
        voice: str = DEFAULT_VOICE,
        international_prefixes: Sequence[str] = (),
    ) -> None:
        self._client = client
        self._caller_id = e164(caller_id)
        self._voice = voice
        self._international_prefixes = tuple(international_prefixes)

    def twiml(self, carer_phone: str, reference: str) -> str:
        """What the staff member hears once they answer, then the carer is dialled."""
        response = VoiceResponse()
        response.say(
            f"Carers Line call about reference {spaced(reference)}. Connecting you to the carer.",
            voice=self._voice,
            language=LANGUAGE,
        )
        dial = Dial(caller_id=self._caller_id, timeout=RING_SECONDS, answer_on_bridge=True)
        dial.number(e164(carer_phone, self._international_prefixes))
        response.append(dial)
        response.say(
            "The call has ended. Please record what happened in the console.",
            voice=self._voice,
            language=LANGUAGE,
        )
        return str(response)

    def connect(self, staff_phone: str, carer_phone: str, reference: str) -> str:
        """Start the call; returns Twilio's call id."""
        try:
            call = self._client.calls.create(
                to=e164(staff_phone, self._international_prefixes),
                from_=self._caller_id,
                twiml=self.twiml(carer_phone, reference),
                timeout=RING_SECONDS,
            )
        except TwilioRestException as error:
            raise CallFailedError(f"Twilio did not start the call (error {error.code}).") from None
        return str(call.sid)


def twilio_call_placer(
    account_sid: str,
    auth_token: str,
    caller_id: str,
    voice: str = DEFAULT_VOICE,
    international_prefixes: Sequence[str] = (),
) -> CallPlacer:
    """A call placer on the deployment's Twilio account."""
    return CallPlacer(Client(account_sid, auth_token), caller_id, voice, international_prefixes)
