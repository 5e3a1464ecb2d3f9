"""Reaching a person, always available.

A transfer in hours on the phone, otherwise a message or a callback. A transfer nobody answers
falls back to the answerphone, or to where the flow that asked for it says (an emergency card
activation goes back to the duty number).
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.dialog import Event, Transfer, TransferEnded
from handlers.engine import Choice, Node, Turn
from handlers.flows.nodes import MenuNode

TRANSFER_FALLBACK = "transfer_fallback"


class Offer(Node):
    """Put a caller through in hours; otherwise offer a message or a callback."""

    id = "person.offer"

    def enter(self, turn: Turn) -> None:
        """Transfer, or explain the other ways to reach us."""
        if turn.medium == "voice" and turn.context.in_hours:
            turn.replies.append(
                Transfer(turn.text("person_transfer"), turn.context.profile.phones.staff_transfer)
            )
            return
        turn.say("person_closed" if not turn.context.in_hours else "person_chat")
        turn.goto("person.options", remember=False)

    def handle(self, turn: Turn, event: Event) -> None:
        """Only the transfer's result arrives here."""
        if isinstance(event, TransferEnded) and event.answered:
            turn.end("goodbye", "transferred")
        elif isinstance(event, TransferEnded):
            turn.say("transfer_not_answered")
            turn.goto(turn.answers.pop(TRANSFER_FALLBACK, "answerphone.start"), remember=False)
        else:
            turn.goto("person.options", remember=False)


class Options(MenuNode):
    """When no one can be put through: a callback, a message out of hours, or the menu."""

    def __init__(self) -> None:
        super().__init__("person.options", "what_next", ())

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """Leave a message is offered only when we are closed."""
        choices = [Choice("callback", "option_callback", "callback.reason", "1")]
        if not turn.context.in_hours:
            choices.append(Choice("message", "option_leave_message", "answerphone.start", "2"))
        choices.append(Choice("menu", "option_main_menu", "main.menu", "3"))
        return choices


NODES: tuple[Node, ...] = (Offer(), Options())
