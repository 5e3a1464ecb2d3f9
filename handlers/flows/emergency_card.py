"""Joining the Carers Emergency Card scheme (K7, W1, P2), the same on the phone and in chat.

The carer hears what the card is, agrees to us keeping and sharing their details, then gives
their name, a phone number, the first name of the person they look after, the help that person
would need, and one or more emergency contacts who have agreed to step in. We read it back,
save a request for staff to check and post the card, and tell them about other carers' services
(K8). A carer with no contacts yet still gets a request saved: staff call to help make a plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.commands import SaveCardRequest
from handlers.dialog import Event, Keyed, NoInput, Said, SharedContact
from handlers.engine import Choice, Node, Turn
from handlers.flows.nodes import AskNode, MenuNode, PhoneNode, yes_no
from handlers.phones import clean_phone, phone_ending

CONSENT_KEY = "card_consent"
DETAIL_KEYS = ("card_name", "phone", "cared_for_name", "help_needed")
CONTACT_KEYS = ("contact_name", "contact_relationship", "contact_phone")
CONTACTS = "card_contacts"


class Start(Node):
    """Say what the card is, then ask for consent."""

    id = "card.start"

    def enter(self, turn: Turn) -> None:
        """Explain the scheme in two sentences."""
        turn.say("card_intro")
        turn.goto("card.consent", remember=False)

    def handle(self, turn: Turn, event: Event) -> None:
        """Start never waits for input."""
        turn.goto("card.consent", remember=False)


def _consented(turn: Turn) -> None:
    turn.remember_consent(CONSENT_KEY)
    turn.goto("card.name")


def _declined(turn: Turn) -> None:
    _forget(turn)
    turn.say("card_no_consent")
    turn.goto("card.services", remember=False)


def _forget(turn: Turn) -> None:
    """Drop everything this flow gathered, and any callback it promised."""
    for key in ("consent", *DETAIL_KEYS, *CONTACT_KEYS, CONTACTS):
        turn.answers.pop(key, None)
    turn.clear_pending_callback()


def _phone_given(turn: Turn) -> None:
    turn.pending_callback("card_request", "Emergency card request not finished")
    turn.goto("card.cared_for")


def _start_contacts(turn: Turn) -> None:
    turn.answers.setdefault(CONTACTS, [])
    turn.say("card_contacts_intro", limit=str(_max_contacts(turn)))
    turn.goto("card.contact_name")


def _max_contacts(turn: Turn) -> int:
    return turn.context.profile.emergency_card.max_contacts


def _contacts(turn: Turn) -> list[dict[str, str]]:
    contacts: list[dict[str, str]] = turn.answers.setdefault(CONTACTS, [])
    return contacts


class ContactPhone(Node):
    """The contact's phone number: typed, keyed or said; never the caller's own number offered."""

    id = "card.contact_phone"
    takes_digits = True

    def enter(self, turn: Turn) -> None:
        """Ask for the number."""
        turn.ask("card_ask_contact_phone", "phone", max_digits=11)

    def handle(self, turn: Turn, event: Event) -> None:
        """Keep a UK number, or reprompt."""
        if isinstance(event, SharedContact):
            turn.no_match(key="card_contact_phone_is_yours")
            return
        raw = event.digits if isinstance(event, Keyed) else ""
        raw = event.text if isinstance(event, Said) else raw
        number = clean_phone(raw)
        if number is None:
            turn.no_match(
                silence=isinstance(event, NoInput), key="phone_not_recognised" if raw else None
            )
            return
        turn.answers["contact_phone"] = number
        turn.goto("card.contact_agreed")


def _contact_agreed(turn: Turn) -> None:
    contact = {key.removeprefix("contact_"): str(turn.answers.pop(key, "")) for key in CONTACT_KEYS}
    contacts = _contacts(turn)
    contacts.append(contact)
    turn.say("card_contact_added")
    if len(contacts) >= _max_contacts(turn):
        turn.say("card_contacts_full")
        turn.goto("card.review")
    else:
        turn.goto("card.more")


def _contact_not_agreed(turn: Turn) -> None:
    for key in CONTACT_KEYS:
        turn.answers.pop(key, None)
    turn.say("card_contact_not_agreed")
    turn.goto("card.more")


def _no_more_contacts(turn: Turn) -> None:
    turn.goto("card.review" if _contacts(turn) else "card.no_contacts")


class MoreContacts(MenuNode):
    """Offer another contact: "another" once someone is added, "someone else" before that."""

    def __init__(self) -> None:
        super().__init__(
            "card.more",
            "card_ask_more",
            (
                Choice("yes", "option_yes", "card.contact_name", "1"),
                Choice("no", "option_no", _no_more_contacts, "2"),
            ),
        )

    def enter(self, turn: Turn) -> None:
        """Ask, worded for how many contacts we have."""
        prompt = "card_ask_more" if _contacts(turn) else "card_ask_someone_else"
        turn.menu(prompt, self.choices(turn))


class Review(MenuNode):
    """Read the details back briefly (on the phone, only the end of the number) and confirm."""

    def __init__(self) -> None:
        super().__init__(
            "card.review",
            "card_confirm",
            (
                Choice("yes", "option_yes", _save, "1"),
                Choice("no", "option_no", "card.change", "2"),
            ),
        )

    def enter(self, turn: Turn) -> None:
        """Read back, then ask whether it is right."""
        answers = turn.answers
        contacts = _contacts(turn)
        phone = str(answers.get("phone", ""))
        values = {
            "name": str(answers.get("card_name", "")),
            "phone": phone,
            "ending": phone_ending(phone),
            "person": str(answers.get("cared_for_name", "")),
            "help": str(answers.get("help_needed", "")),
            "contacts": _contact_list(turn, contacts),
        }
        turn.say("card_readback" if contacts else "card_readback_no_contacts", **values)
        super().enter(turn)


def _contact_list(turn: Turn, contacts: Sequence[dict[str, str]]) -> str:
    """Contacts in a few words: "Sam (son), Ann (neighbour)"; on the phone "Sam and Ann"."""
    if turn.medium == "voice":
        names = [contact["name"] for contact in contacts]
        return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)
    return ", ".join(f"{contact['name']} ({contact['relationship']})" for contact in contacts)


def _start_again(turn: Turn) -> None:
    for key in (*DETAIL_KEYS, *CONTACT_KEYS, CONTACTS):
        turn.answers.pop(key, None)
    turn.state.history.clear()
    turn.goto("card.name", remember=False)


def _leave(turn: Turn) -> None:
    _forget(turn)
    turn.main_menu()


def _save(turn: Turn) -> None:
    answers = turn.answers
    consent = turn.remembered_consent()
    if consent is None:
        turn.goto("card.consent", remember=False)
        return
    due = turn.context.due_by.callback(turn.now)
    reference = turn.context.new_reference("E")
    contacts = tuple(dict(contact) for contact in _contacts(turn))
    turn.command(
        SaveCardRequest(
            reference=reference,
            details={
                "name": answers.get("card_name"),
                "phone": answers.get("phone"),
                "cared_for_name": answers.get("cared_for_name"),
                "help_needed": answers.get("help_needed"),
            },
            contacts=contacts,
            consent=consent,
            received_at=turn.now,
            callback_due=due,
        )
    )
    _forget(turn)
    spoken = turn.reference_words(reference)
    turn.say(
        "card_saved" if contacts else "card_saved_no_contacts",
        reference=spoken,
        when=turn.callback_promise(due),
    )
    turn.state.history.clear()
    turn.goto("card.services", remember=False)


def _goodbye(turn: Turn) -> None:
    turn.end("goodbye", "finished")


class NoContacts(MenuNode):
    """No contact who has agreed yet: our team can call to help make a plan, or add one now."""

    def __init__(self) -> None:
        super().__init__(
            "card.no_contacts",
            "card_no_contacts",
            (
                Choice("staff", "card_option_staff_help", "card.review", "1"),
                Choice("add", "card_option_add_contact", "card.contact_name", "2"),
                Choice("menu", "option_main_menu", _leave, "3"),
            ),
        )


NODES: tuple[Node, ...] = (
    Start(),
    yes_no("card.consent", CONSENT_KEY, _consented, _declined),
    AskNode("card.name", "card_ask_name", "card_name", "card.phone", max_length=100),
    PhoneNode("card.phone", "phone", _phone_given),
    AskNode("card.cared_for", "card_ask_cared_for", "cared_for_name", "card.help", max_length=100),
    AskNode("card.help", "card_ask_help", "help_needed", _start_contacts),
    AskNode(
        "card.contact_name",
        "card_ask_contact_name",
        "contact_name",
        "card.contact_relationship",
        max_length=100,
    ),
    AskNode(
        "card.contact_relationship",
        "card_ask_contact_relationship",
        "contact_relationship",
        "card.contact_phone",
        max_length=100,
    ),
    ContactPhone(),
    yes_no("card.contact_agreed", "card_ask_contact_agreed", _contact_agreed, _contact_not_agreed),
    MoreContacts(),
    NoContacts(),
    Review(),
    yes_no("card.change", "card_change", _start_again, _leave),
    MenuNode(
        "card.services",
        "card_services",
        (
            Choice("information", "card_option_information", "information.ask", "1"),
            Choice("menu", "option_main_menu", "main.menu", "2"),
            Choice("finish", "option_goodbye", _goodbye, "3"),
        ),
    ),
)
