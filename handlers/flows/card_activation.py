"""Someone is calling because a card holder is in an emergency: their card says to call us (K7).

Calmly first: anyone in danger should call 999. Then the card's number, checked with its check
digit (two tries, then we go on without it, since help must never wait on a number). Whatever
the number, the call is recorded as urgent, the card's emergency contacts get a text and the
duty team is told. In hours on the phone the caller is put through to staff; otherwise they get
the out-of-hours duty number and what to do next. Nothing about the card holder or their plan
is ever read back: the caller may be a stranger.
"""

from __future__ import annotations

import re

from handlers.cards import CARD_NUMBER_LENGTH, is_valid_card_number
from handlers.commands import SaveCardActivation
from handlers.dialog import Event, Keyed, NoInput, Said
from handlers.engine import Choice, Node, Turn, match_choice
from handlers.flows.nodes import MenuNode, is_skip
from handlers.flows.person import TRANSFER_FALLBACK
from handlers.phones import clean_phone, digits_in, spoken_phone

NUMBER_TRIES = 2
NUMBER_KEY = "activation_number"


class Start(Node):
    """Calm words and 999 first, then the card number."""

    id = "activation.start"

    def enter(self, turn: Turn) -> None:
        """Say that anyone in danger should call 999."""
        turn.say("activation_intro")
        turn.goto("activation.number", remember=False)

    def handle(self, turn: Turn, event: Event) -> None:
        """Start never waits for input."""
        turn.goto("activation.number", remember=False)


class CardNumber(Node):
    """The 8-digit card number, keyed, typed or said. Keypad digits here are data."""

    id = "activation.number"
    takes_digits = True

    def enter(self, turn: Turn) -> None:
        """Ask for the number."""
        turn.ask("activation_ask_number", "digits", max_digits=CARD_NUMBER_LENGTH, skippable=True)

    def handle(self, turn: Turn, event: Event) -> None:
        """A valid number is looked up; a wrong one is asked again once, then we go on."""
        if is_skip(event) or match_choice(event, (NO_NUMBER,), turn) is not None:
            _without_number(turn)
            return
        given = ""
        if isinstance(event, Keyed):
            given = re.sub(r"\D", "", event.digits)
        elif isinstance(event, Said):
            given = digits_in(event.text)
        if is_valid_card_number(given):
            _record(turn, given, valid=True)
            return
        if given:
            turn.answers[NUMBER_KEY] = given
        turn.state.attempts += 1
        if turn.state.attempts >= NUMBER_TRIES:
            _without_number(turn)
            return
        if given:
            turn.say("activation_number_wrong")
        else:
            turn.say("reprompt_silence" if isinstance(event, NoInput) else "reprompt_no_match")
        turn.repeat()


def _without_number(turn: Turn) -> None:
    """Go on without a valid number, recording the last one tried, if any."""
    _record(turn, str(turn.answers.get(NUMBER_KEY, "")), valid=False)


NO_NUMBER = Choice("none", "activation_no_number", _without_number)


def _record(turn: Turn, number_given: str, *, valid: bool) -> None:
    """Record the activation, text the card's contacts and the duty team, then the way on."""
    context = turn.context
    card = context.lookups.card(number_given) if valid else None
    reference = context.new_reference("A")
    line = context.profile.emergency_card.emergency_line
    contact_phones = tuple(dict.fromkeys(card.contact_phones)) if card is not None else ()
    turn.command(
        SaveCardActivation(
            reference=reference,
            number_given=number_given,
            card_id=card.card_id if card is not None else None,
            received_at=turn.now,
            due_by=context.due_by.callback(turn.now, urgent=True),
            contact_phones=contact_phones,
        )
    )
    prompts = context.knowledge.prompts
    for phone in contact_phones:
        text = prompts.text("activation_sms_contact", "chat", reference=reference, line=line)
        turn.queue_text(phone, text, f"activation:{reference}:contact:{phone}")
    if card is not None:
        duty_key = "activation_sms_duty_found"
    else:
        duty_key = (
            "activation_sms_duty_not_found" if number_given else "activation_sms_duty_no_number"
        )
    duty_text = prompts.text(duty_key, "chat", reference=reference, number=number_given)
    duty = clean_phone(line) or line
    turn.queue_text(duty, duty_text, f"activation:{reference}:duty", ours=True)
    turn.answers.pop(NUMBER_KEY, None)
    spoken = turn.reference_words(reference)
    if card is not None:
        turn.say("activation_found", reference=spoken)
    else:
        turn.say("activation_not_found" if valid else "activation_recorded", reference=spoken)
    if turn.medium == "voice" and context.in_hours:
        turn.answers[TRANSFER_FALLBACK] = "activation.duty"
        turn.goto("person.offer", remember=False)
    else:
        turn.goto("activation.duty", remember=False)


class DutyNumber(Node):
    """The out-of-hours duty number (twice on the phone) and what to do now."""

    id = "activation.duty"

    def enter(self, turn: Turn) -> None:
        """Give the number and the next steps, then the menu."""
        number = re.sub(r"\D", "", turn.context.profile.phones.out_of_hours_duty)
        turn.say("activation_duty", number=spoken_phone(number))
        turn.say("activation_next_steps")
        turn.goto("activation.next", remember=False)

    def handle(self, turn: Turn, event: Event) -> None:
        """The duty number never waits for input."""
        turn.goto("activation.next", remember=False)


def _goodbye(turn: Turn) -> None:
    turn.end("goodbye", "finished")


NODES: tuple[Node, ...] = (
    Start(),
    CardNumber(),
    DutyNumber(),
    MenuNode(
        "activation.next",
        "what_next",
        (
            Choice("number", "activation_option_number_again", "activation.duty", "1"),
            Choice("menu", "option_main_menu", "main.menu", "2"),
            Choice("finish", "option_goodbye", _goodbye, "3"),
        ),
    ),
)
