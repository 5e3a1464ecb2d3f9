"""Twilio's webhook parameters in, the core's events out.

``Digits`` becomes ``Keyed``, ``SpeechResult`` ``Said``, an empty ``<Gather>`` ``NoInput``, a
``<Record>`` action ``Recorded``, a ``<Dial>`` action ``TransferEnded``, a finished call
``HungUp``, and a text message ``Said``. Nothing here decides what the service does next.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime

from handlers.dialog import Event, Keyed, NoInput, Recorded, Said, TransferEnded
from handlers.ports import KeptRecording, KeptTranscript
from knowledge.text import normalise

Params = Mapping[str, str]

FINISHED_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
"""A call in one of these states is over (Twilio's final ``CallStatus`` values)."""

OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
)
"""Twilio's opt-out keywords: a text that is only one of these stops all texts to the sender."""

GREETINGS = frozenset(
    {
        "hi",
        "hello",
        "hey",
        "hiya",
        "hi there",
        "hello there",
        "good morning",
        "good afternoon",
        "good evening",
        "morning",
        "afternoon",
        "evening",
        "start",
        "help",
    }
)
"""Openings that carry nothing beyond "hello": a first text like this just gets the greeting."""

MAX_SPEECH_CHARACTERS = 500
MAX_TEXT_CHARACTERS = 1600
MAX_KEYS = 20
_KEYS = re.compile(r"[0-9*#]+")


def gather_event(params: Params) -> Event:
    """What the caller did at a ``<Gather>``: keys, words, or nothing."""
    digits = params.get("Digits", "").strip()
    if digits and _KEYS.fullmatch(digits):
        return Keyed(digits[:MAX_KEYS])
    speech = " ".join(params.get("SpeechResult", "").split())
    if speech:
        return Said(speech[:MAX_SPEECH_CHARACTERS])
    return NoInput()


def confidence(params: Params) -> float | None:
    """Twilio's confidence in ``SpeechResult`` (0 to 1), or None when it gave none."""
    try:
        value = float(params.get("Confidence", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def recorded(params: Params) -> Recorded | None:
    """The recording a ``<Record>`` action reports, or None when nothing was recorded."""
    recording_sid = params.get("RecordingSid", "").strip()
    if not recording_sid:
        return None
    return Recorded(recording_sid, params.get("RecordingUrl") or None, seconds(params))


def kept_recording(
    params: Params, received_at: datetime, consent_wording: str | None
) -> KeptRecording | None:
    """A recording as the fail-safe keeps it, with the caller ID to ring back."""
    recording = recorded(params)
    if recording is None:
        return None
    return KeptRecording(
        call_sid=params.get("CallSid", ""),
        recording_sid=recording.recording_id,
        url=recording.url,
        seconds=recording.seconds,
        caller=params.get("From") or None,
        received_at=received_at,
        consent_wording=consent_wording,
    )


def kept_transcript(params: Params, at: datetime) -> KeptTranscript | None:
    """A ``transcribeCallback``: the text (when Twilio managed one) and its status."""
    recording_sid = params.get("RecordingSid", "").strip()
    if not recording_sid:
        return None
    status = params.get("TranscriptionStatus", "") or "completed"
    text = params.get("TranscriptionText") if status == "completed" else None
    return KeptTranscript(recording_sid, text or None, status, at)


def seconds(params: Params) -> int:
    """``RecordingDuration`` as whole seconds (0 when missing or malformed)."""
    try:
        return max(0, int(params.get("RecordingDuration", "0")))
    except ValueError:
        return 0


def dial_answered(params: Params) -> bool:
    """True when a staff member took the call.

    ``completed`` means the dialled leg answered; ``DialBridged=false`` means it answered but
    never joined the caller (screening declined, or a voicemail that did not press 1).
    """
    return params.get("DialCallStatus") == "completed" and params.get("DialBridged", "") != "false"


def transfer_ended(params: Params) -> TransferEnded:
    """The ``<Dial>`` action as a core event."""
    return TransferEnded(answered=dial_answered(params))


def call_finished(params: Params) -> bool:
    """True when a status callback says the call is over."""
    return params.get("CallStatus", "") in FINISHED_CALL_STATUSES


def text_event(params: Params) -> Event:
    """A text message: its words, or nothing (a picture with no words)."""
    body = " ".join(params.get("Body", "").split())
    return Said(body[:MAX_TEXT_CHARACTERS]) if body else NoInput()


def is_opt_out(params: Params) -> bool:
    """The sender texted STOP (or another opt-out word): Twilio stops our texts to them."""
    if params.get("OptOutType", "").upper() == "STOP":
        return True
    return normalise(params.get("Body", "")) in OPT_OUT_WORDS


def is_greeting(event: Event) -> bool:
    """A text that only says hello."""
    return isinstance(event, Said) and normalise(event.text) in GREETINGS
