"""The answerphone (L5, L7): out of hours, or when no one can take a transferred call.

Emergency numbers first, then our opening hours and when we will call back, then the message
(recorded on the phone, typed in chat), then the number to call. It creates a voice message and
a callback due within the profile's working days. A caller who hangs up straight after leaving
a message still gets the callback, marked "call ended early".
"""

from __future__ import annotations

from handlers.dialog import Event, NoInput, Recorded, Said
from handlers.engine import Node, Turn
from handlers.flows.nodes import PhoneNode

MAX_MESSAGE_SECONDS = 180
MAX_MESSAGE_CHARACTERS = 2000


class Start(Node):
    """Emergency numbers, hours and the promise, then the message."""

    id = "answerphone.start"

    def enter(self, turn: Turn) -> None:
        """Say the answerphone's notice."""
        due = turn.context.due_by.callback(turn.now)
        turn.say("answerphone_intro", when=turn.callback_promise(due))
        turn.goto("answerphone.message", remember=False)

    def handle(self, turn: Turn, event: Event) -> None:
        """The notice never waits for input."""
        turn.goto("answerphone.message", remember=False)


class Message(Node):
    """Record (phone) or type (chat) the message."""

    id = "answerphone.message"

    def enter(self, turn: Turn) -> None:
        """Ask for the message."""
        if turn.medium == "voice":
            turn.record("answerphone_record", MAX_MESSAGE_SECONDS)
        else:
            turn.ask("answerphone_type")

    def handle(self, turn: Turn, event: Event) -> None:
        """Keep the message; silence gets a second chance, then a person."""
        if isinstance(event, Recorded) and event.seconds > 0:
            turn.answers["recording"] = {
                "id": event.recording_id,
                "url": event.url,
                "seconds": event.seconds,
            }
        elif isinstance(event, Said) and event.text.strip():
            turn.answers["message"] = event.text.strip()[:MAX_MESSAGE_CHARACTERS]
        else:
            turn.no_match(silence=isinstance(event, (NoInput, Recorded)))
            return
        turn.remember_consent(
            "answerphone_record" if turn.medium == "voice" else "answerphone_type"
        )
        turn.pending_callback("voicemail", _reason(turn))
        turn.goto("answerphone.phone")


def _reason(turn: Turn) -> str:
    return str(turn.answers.get("message") or turn.text("answerphone_voice_reason"))


def _save(turn: Turn) -> None:
    due = turn.context.due_by.callback(turn.now)
    reference = turn.save_callback("M", "voicemail", _reason(turn), due)
    spelled = turn.reference_words(reference)
    turn.say("answerphone_saved", when=turn.callback_promise(due), reference=spelled)
    if turn.medium == "voice":
        turn.end("goodbye", "message_left")
    else:
        turn.goto("main.anything_else")


NODES: tuple[Node, ...] = (Start(), Message(), PhoneNode("answerphone.phone", "phone", _save))
