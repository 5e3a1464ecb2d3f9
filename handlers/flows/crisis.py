"""Crisis: words that mean someone may be at risk divert here at once, from any flow.

The signposting comes first (999, NHS 111 mental health option, Samaritans, Shout, the duty
team), then, in hours on the phone, a transfer to staff; with consent, an urgent callback
(same working day, or the next when out of hours: L8). What the carer had told us so far stays
in the conversation, and they can carry on where they were.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.engine import Choice, Node, Turn
from handlers.flows.nodes import MenuNode, PhoneNode, yes_no


class Start(MenuNode):
    """The crisis message, then the ways on."""

    def __init__(self) -> None:
        super().__init__("crisis.start", "crisis_next", ())

    def enter(self, turn: Turn) -> None:
        """Signpost first, every time."""
        crisis = turn.context.knowledge.crisis
        turn.say_text(crisis.voice_message if turn.medium == "voice" else crisis.chat_message)
        super().enter(turn)

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """A person now (phone, in hours), an urgent call back, or carry on."""
        choices = []
        if turn.medium == "voice" and turn.context.in_hours:
            choices.append(Choice("person", "crisis_option_person_now", "person.offer", "1"))
        choices.append(Choice("callback", "crisis_option_callback", "crisis.consent", "2"))
        if _came_from(turn):
            choices.append(Choice("continue", "crisis_option_continue", _carry_on, "3"))
        choices.append(Choice("menu", "option_main_menu", "main.menu", "4"))
        return choices


def _came_from(turn: Turn) -> str | None:
    crisis = turn.answers.get("crisis") or {}
    origin = crisis.get("from")
    return origin if origin and not str(origin).startswith(("crisis.", "main.")) else None


def _carry_on(turn: Turn) -> None:
    origin = _came_from(turn)
    turn.goto(origin or "main.menu")


def _consented(turn: Turn) -> None:
    turn.remember_consent("crisis_consent")
    turn.pending_callback("crisis", _reason(turn))
    turn.goto("crisis.phone")


def _reason(turn: Turn) -> str:
    category = (turn.answers.get("crisis") or {}).get("category", "unknown")
    return f"Crisis words ({category}): urgent call back asked for"


def _save(turn: Turn) -> None:
    due = turn.context.due_by.callback(turn.now, urgent=True)
    reference = turn.save_callback("C", "crisis", _reason(turn), due, urgent=True)
    turn.say(
        "crisis_callback_saved",
        when=turn.callback_promise(due),
        reference=turn.reference_words(reference),
    )
    turn.goto("main.anything_else")


def _declined(turn: Turn) -> None:
    turn.say("crisis_no_consent")
    turn.goto("main.anything_else")


NODES: tuple[Node, ...] = (
    Start(),
    yes_no("crisis.consent", "crisis_consent", _consented, _declined),
    PhoneNode("crisis.phone", "phone", _save),
)
