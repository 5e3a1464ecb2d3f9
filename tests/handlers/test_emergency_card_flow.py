"""Joining the Carers Emergency Card scheme, through the real dialog core (K7, K8, W1, P2)."""

from __future__ import annotations

import hashlib

import pytest

from handlers.commands import SaveCallback, SaveCardRequest
from handlers.dialog import Chose, End, HungUp, Keyed, Said
from handlers.engine import spoken_deadline
from handlers.hours import DueByRules, WorkingCalendar
from tests.handlers.conftest import MONDAY_MORNING, SATURDAY_NIGHT

CALLER = "+447700900123"


def choose(d, option: str, digit: str):
    """A button in chat, a key on the phone."""
    return d.send(Chose(option) if d.medium == "chat" else Keyed(digit))


def reach_consent(d):
    d.start()
    choose(d, "card", "3")
    choose(d, "join", "1")
    assert d.node == "card.consent"


def give_details(d, phone: str = "07700 900123"):
    """Consent, name, phone (caller ID on the phone), cared-for name and help needed."""
    reach_consent(d)
    choose(d, "yes", "1")
    d.send(Said("Jane Smith"))
    if d.caller:
        choose(d, "yes", "1")
    else:
        d.send(Said(phone))
    d.send(Said("Bob"))
    d.send(Said("He needs his tablets at eight and help with meals"))
    assert d.node == "card.contact_name"


def add_contact(d, name: str, phone: str, *, agreed: bool = True):
    d.send(Said(name))
    d.send(Said("son"))
    d.send(Keyed(phone) if d.medium == "voice" else Said(phone))
    assert d.node == "card.contact_agreed"
    if agreed:
        choose(d, "yes", "1")
    else:
        choose(d, "no", "2")


def expected_consent_version(knowledge) -> str:
    prompt = knowledge.prompts.get("card_consent")
    return (
        "card_consent:" + hashlib.sha256(f"{prompt.chat}\n{prompt.voice}".encode()).hexdigest()[:8]
    )


@pytest.mark.parametrize(
    ("medium", "caller", "now"),
    [
        ("chat", None, MONDAY_MORNING),
        ("voice", CALLER, MONDAY_MORNING),
        ("chat", None, SATURDAY_NIGHT),
    ],
)
def test_a_full_request_is_saved_with_consent_and_due_date(
    dialog, knowledge, profile, medium, caller, now
):
    d = dialog(medium=medium, caller=caller, now=now)
    give_details(d)
    assert d.answers["pending_callback"]["kind"] == "card_request"
    add_contact(d, "Sam", "07700900555")
    assert d.node == "card.more"
    choose(d, "no", "2")
    assert d.node == "card.review"
    readback = d.text()
    assert "{{" not in readback
    assert "Jane Smith" in readback and "Bob" in readback and "Sam" in readback
    if medium == "voice":
        assert "ending 1 2 3" in readback
        assert "07700900123" not in readback and "900123" not in readback
    else:
        assert "07700900123" in readback

    choose(d, "yes", "1")

    [saved] = d.saved(SaveCardRequest)
    assert saved.reference.startswith("E-")
    assert saved.details == {
        "name": "Jane Smith",
        "phone": "07700900123",
        "cared_for_name": "Bob",
        "help_needed": "He needs his tablets at eight and help with meals",
    }
    assert saved.contacts == ({"name": "Sam", "relationship": "son", "phone": "07700900555"},)
    assert saved.consent.wording_version == expected_consent_version(knowledge)
    assert saved.consent.at == now
    assert saved.received_at == now
    assert saved.callback_due == DueByRules(WorkingCalendar(profile)).callback(now)
    reference = " ".join(saved.reference.replace("-", "")) if medium == "voice" else saved.reference
    text = d.text()
    assert "{{" not in text
    assert reference in text
    assert "post your card" in text
    promise = spoken_deadline(WorkingCalendar(profile), saved.callback_due, now)
    assert f"We will call you by {promise}." in text
    for service in ("carer's assessment", "breaks from caring", "someone to talk to"):
        assert service in text  # K8
    assert [option.id for option in d.menu().options] == ["information", "menu", "finish"]
    assert "pending_callback" not in d.answers and "consent" not in d.answers
    assert not d.saved(SaveCallback)

    choose(d, "finish", "3")
    assert isinstance(d.replies[-1], End)


def test_a_contact_who_has_not_agreed_is_not_added(dialog):
    d = dialog()
    give_details(d)
    add_contact(d, "Pat", "07700900444", agreed=False)
    assert "need to agree" in d.text()
    assert d.node == "card.more"
    assert "someone else" in d.text()
    choose(d, "yes", "1")
    add_contact(d, "Sam", "07700900555")
    assert "another contact" in d.text()
    choose(d, "no", "2")
    assert "Pat" not in d.text()
    choose(d, "yes", "1")
    [saved] = d.saved(SaveCardRequest)
    assert [contact["name"] for contact in saved.contacts] == ["Sam"]


def test_no_more_than_the_profile_allows_contacts(dialog, profile):
    d = dialog()
    give_details(d)
    for number in range(profile.emergency_card.max_contacts):
        if number:
            choose(d, "yes", "1")
        add_contact(d, f"Contact {number}", f"0770090055{number}")
    assert d.node == "card.review"
    assert "most contacts" in d.text()
    choose(d, "yes", "1")
    [saved] = d.saved(SaveCardRequest)
    assert len(saved.contacts) == profile.emergency_card.max_contacts


@pytest.mark.parametrize("medium", ["chat", "voice"])
def test_with_no_contacts_staff_help_and_the_request_is_still_saved(dialog, medium):
    d = dialog(medium=medium)
    give_details(d)
    add_contact(d, "Pat", "07700900444", agreed=False)
    choose(d, "no", "2")
    assert d.node == "card.no_contacts"
    assert "at least one contact" in d.text()
    choose(d, "staff", "1")
    assert d.node == "card.review"
    choose(d, "yes", "1")
    [saved] = d.saved(SaveCardRequest)
    assert saved.contacts == ()
    assert "help you make a plan" in d.text()


@pytest.mark.parametrize("medium", ["chat", "voice"])
def test_declining_consent_stores_nothing(dialog, medium):
    d = dialog(medium=medium, caller=CALLER if medium == "voice" else None)
    reach_consent(d)
    choose(d, "no", "2")
    assert "haven't kept anything" in d.text()
    assert d.node == "card.services"
    assert not d.commands
    assert "consent" not in d.answers and "pending_callback" not in d.answers
    d.send(HungUp())
    assert not d.saved(SaveCallback)


@pytest.mark.parametrize(
    ("medium", "caller", "after_phone", "callback_saved"),
    [
        ("voice", CALLER, True, True),
        ("chat", None, True, True),
        ("chat", None, False, False),
    ],
)
def test_hanging_up_after_consent_and_phone_still_gets_a_call_back(
    dialog, knowledge, medium, caller, after_phone, callback_saved
):
    d = dialog(medium=medium, caller=caller)
    reach_consent(d)
    choose(d, "yes", "1")
    d.send(Said("Jane Smith"))
    if after_phone:
        if caller:
            choose(d, "yes", "1")
        else:
            d.send(Said("07700900123"))
        d.send(Said("Bob"))
    d.send(HungUp())
    assert not d.saved(SaveCardRequest)
    callbacks = d.saved(SaveCallback)
    assert bool(callbacks) is callback_saved
    if callback_saved:
        [callback] = callbacks
        assert callback.ended_early and callback.kind == "card_request"
        assert callback.phone == "07700900123"
        assert callback.consent is not None
        assert callback.consent.wording_version == expected_consent_version(knowledge)


def test_saying_the_details_are_wrong_starts_them_again(dialog):
    d = dialog()
    give_details(d)
    add_contact(d, "Sam", "07700900555")
    choose(d, "no", "2")
    choose(d, "no", "2")
    assert d.node == "card.change"
    choose(d, "yes", "1")
    assert d.node == "card.name"
    assert "card_contacts" not in d.answers and "consent" in d.answers
    d.send(Said("Jane Smith"))
    d.send(Said("07700900999"))
    d.send(Said("Bob"))
    d.send(Said("Meals"))
    add_contact(d, "Ann", "07700900666")
    choose(d, "no", "2")
    choose(d, "yes", "1")
    [saved] = d.saved(SaveCardRequest)
    assert saved.details["phone"] == "07700900999"
    assert [contact["name"] for contact in saved.contacts] == ["Ann"]


def test_leaving_from_the_review_forgets_the_request(dialog):
    d = dialog()
    give_details(d)
    add_contact(d, "Sam", "07700900555")
    choose(d, "no", "2")
    choose(d, "no", "2")
    choose(d, "no", "2")
    assert d.node == "main.menu"
    assert "consent" not in d.answers and "pending_callback" not in d.answers
    assert not d.commands


def test_the_contact_phone_never_offers_the_callers_own_number(dialog):
    d = dialog(medium="voice", caller=CALLER)
    give_details(d)
    d.send(Said("Sam"))
    d.send(Said("son"))
    assert d.node == "card.contact_phone"
    assert "calling from" not in d.text()
    d.send(Keyed("0"))
    assert d.node == "card.contact_phone"
    assert "full phone number" in d.text()
