"""Reusable node kinds every flow is built from: menus, yes/no questions, free answers, phones.

Each takes prompt keys, never sentences, and a target (a node id or an action) for each way on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from handlers.dialog import Event, Keyed, NoInput, Said, SharedContact
from handlers.engine import Choice, Node, Target, Turn, match_choice
from handlers.phones import clean_phone, phone_ending
from knowledge.text import normalise

SKIP_WORDS = ("skip", "skip it", "pass", "rather not say", "prefer not to say", "no thanks")


class MenuNode(Node):
    """Say a prompt, offer fixed choices, follow the chosen one."""

    def __init__(self, node_id: str, prompt: str, choices: Sequence[Choice]) -> None:
        self.id = node_id
        self.prompt = prompt
        self._choices = tuple(choices)

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """The choices on offer now (subclasses vary them by medium or hours)."""
        return self._choices

    def offers_digit(self, turn: Turn, digit: str) -> bool:
        """A menu's own keys win over the global ones."""
        return any(choice.digit == digit for choice in self.choices(turn))

    def enter(self, turn: Turn) -> None:
        """Offer the menu."""
        turn.menu(self.prompt, self.choices(turn))

    def handle(self, turn: Turn, event: Event) -> None:
        """Follow the choice, or reprompt."""
        choice = match_choice(event, self.choices(turn), turn)
        if choice is None:
            turn.no_match(silence=isinstance(event, NoInput))
            return
        turn.go(choice.target)


def yes_no(node_id: str, prompt: str, yes: Target, no: Target) -> MenuNode:
    """A yes/no question (1 for yes, 2 for no)."""
    return MenuNode(
        node_id,
        prompt,
        (Choice("yes", "option_yes", yes, "1"), Choice("no", "option_no", no, "2")),
    )


def answer(key: str, value: object, then: Target) -> Callable[[Turn], None]:
    """An action that stores one answer and moves on."""

    def store(turn: Turn) -> None:
        turn.answers[key] = value
        turn.go(then)

    return store


class AskNode(Node):
    """Ask for a free answer (words), store it under ``key``, move on; optionally skippable."""

    def __init__(
        self,
        node_id: str,
        prompt: str,
        key: str,
        then: Target,
        *,
        skippable: bool = False,
        clean: Callable[[str], str | None] = lambda text: text.strip() or None,
        max_length: int = 500,
    ) -> None:
        self.id = node_id
        self.prompt = prompt
        self.key = key
        self.then = then
        self.skippable = skippable
        self.clean = clean
        self.max_length = max_length

    def enter(self, turn: Turn) -> None:
        """Ask the question."""
        turn.ask(self.prompt, skippable=self.skippable)

    def handle(self, turn: Turn, event: Event) -> None:
        """Keep a usable answer, accept "skip" where allowed, else reprompt."""
        if self.skippable and is_skip(event):
            turn.answers.pop(self.key, None)
            turn.go(self.then)
            return
        value = self.clean(event.text[: self.max_length]) if isinstance(event, Said) else None
        if value is None:
            turn.no_match(silence=isinstance(event, NoInput))
            return
        turn.answers[self.key] = value
        turn.go(self.then)


def is_skip(event: Event) -> bool:
    """The carer chose to skip a question (button, words, or # on the keypad)."""
    if isinstance(event, Keyed):
        return event.digits == "#"
    if isinstance(event, Said):
        return normalise(event.text) in SKIP_WORDS
    return getattr(event, "option", None) == "skip"


class PhoneNode(Node):
    """Get a phone number: confirm caller ID, accept a shared contact, or take digits/words."""

    takes_digits = True

    def __init__(self, node_id: str, key: str, then: Target, *, prompt: str = "ask_phone") -> None:
        self.id = node_id
        self.key = key
        self.then = then
        self.prompt = prompt

    def enter(self, turn: Turn) -> None:
        """Offer the caller's own number first, when we have it."""
        caller = clean_phone(turn.state.caller or "")
        if caller and self.key not in turn.answers.get("_declined_caller_id", []):
            turn.menu(
                "confirm_caller_id",
                (
                    Choice("yes", "option_yes", self._use_caller, "1"),
                    Choice("no", "option_no", self._decline_caller, "2"),
                ),
                ending=phone_ending(caller),
            )
            return
        turn.ask(self.prompt, "phone", max_digits=11)

    def handle(self, turn: Turn, event: Event) -> None:
        """Take the number, or reprompt."""
        caller = clean_phone(turn.state.caller or "")
        if caller and self.key not in turn.answers.get("_declined_caller_id", []):
            if isinstance(event, Keyed) and len(event.digits) > 1:
                self._keep(turn, event.digits)
                return
            choice = match_choice(
                event,
                (
                    Choice("yes", "option_yes", self._use_caller, "1"),
                    Choice("no", "option_no", self._decline_caller, "2"),
                ),
                turn,
            )
            if choice is not None:
                turn.go(choice.target)
                return
        if isinstance(event, SharedContact):
            self._keep(turn, event.phone)
        elif isinstance(event, Keyed):
            self._keep(turn, event.digits)
        elif isinstance(event, Said):
            self._keep(turn, event.text)
        else:
            turn.no_match(silence=isinstance(event, NoInput))

    def _keep(self, turn: Turn, raw: str) -> None:
        number = clean_phone(raw)
        if number is None:
            turn.no_match(key="phone_not_recognised")
            return
        turn.answers[self.key] = number
        turn.go(self.then)

    def _use_caller(self, turn: Turn) -> None:
        self._keep(turn, turn.state.caller or "")

    def _decline_caller(self, turn: Turn) -> None:
        turn.answers.setdefault("_declined_caller_id", []).append(self.key)
        turn.repeat()
