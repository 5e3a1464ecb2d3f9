"""The greeting and the main menu: information, referral, emergency card, callback, a person.

Out of hours the carer first hears the answerphone's wording (emergency numbers, opening hours,
when we will call back, L5), and "speak to someone" leads to leaving a message.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.dialog import Event
from handlers.engine import ENTRY_ANSWER, Choice, Node, Turn
from handlers.flows.nodes import MenuNode


class Start(Node):
    """Greet, say the out-of-hours notice when closed, then the main menu."""

    id = "main.start"

    def enter(self, turn: Turn) -> None:
        """Greet and move to the menu."""
        turn.say("greeting")
        if not turn.context.in_hours:
            turn.say("closed_notice")
        turn.goto("main.menu", remember=False)

    def handle(self, turn: Turn, event: Event) -> None:
        """Start never waits for input."""
        turn.goto("main.menu", remember=False)


class MainMenu(MenuNode):
    """The five ways in. "Speak to someone" becomes "leave a message" out of hours."""

    def __init__(self) -> None:
        super().__init__("main.menu", "main_menu", ())

    def enter(self, turn: Turn) -> None:
        """Offer the menu, or open the option a chat deep link named ("/start card")."""
        entry = turn.answers.pop(ENTRY_ANSWER, None)
        chosen = next((choice for choice in self.choices(turn) if choice.id == entry), None)
        if chosen is not None:
            turn.go(chosen.target)
            return
        super().enter(turn)

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """The menu for now."""
        person = (
            Choice("person", "option_person", "person.offer", "5")
            if turn.context.in_hours
            else Choice("message", "option_leave_message", "answerphone.start", "5")
        )
        return (
            Choice("information", "option_information", "information.ask", "1"),
            Choice("referral", "option_referral", "referral.start", "2"),
            Choice("card", "option_emergency_card", "main.card", "3"),
            Choice("callback", "option_callback", "callback.reason", "4"),
            person,
        )


CARD_MENU = MenuNode(
    "main.card",
    "card_menu",
    (
        Choice("join", "option_card_join", "card.start", "1"),
        Choice("activation", "option_card_activation", "activation.start", "2"),
    ),
)


def _goodbye(turn: Turn) -> None:
    turn.end("goodbye", "finished")


ANYTHING_ELSE = MenuNode(
    "main.anything_else",
    "anything_else",
    (
        Choice("menu", "option_main_menu", "main.menu", "1"),
        Choice("goodbye", "option_goodbye", _goodbye, "2"),
    ),
)

NODES: tuple[Node, ...] = (Start(), MainMenu(), CARD_MENU, ANYTHING_ELSE)
