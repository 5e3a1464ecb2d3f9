"""Referrals and emergency cards from the staff side.

Referrals: K5 acknowledged and first contact; K6 telling the referrer through the outbox.
Cards: approve, unique numbers with a check digit, a print-ready page, plans, activations.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.cards import is_valid_card_number, with_check_digit
from handlers.ports import Actor
from store.cards import CardNumbersExhaustedError, SqlCardWork
from store.models import (
    AuditEvent,
    Callback,
    EmergencyCard,
    EmergencyCardRequest,
    OutboxMessage,
    Referral,
)
from tests.console.seeding import (
    add_activation,
    add_callback,
    add_card,
    add_card_request,
    add_carer,
    add_referral,
    row,
    rows,
)


def _referral_item(db, clock, **fields) -> tuple[int, int]:
    referral = add_referral(db, clock.now() - timedelta(hours=2), **fields)
    callback_id = add_callback(db, clock.now(), kind="referral", referral_id=referral)
    return referral, callback_id


def test_acknowledging_stops_the_clock_once(db, clock, alice, signed_in):
    referral, callback_id = _referral_item(db, clock)
    browser = signed_in(alice)
    browser.post(f"/console/callbacks/{callback_id}/referral/acknowledge")
    assert row(db, Referral, referral).acknowledged_at == clock.now()
    clock.advance(timedelta(hours=1))
    browser.post(f"/console/callbacks/{callback_id}/referral/acknowledge")
    assert row(db, Referral, referral).acknowledged_at == clock.now() - timedelta(hours=1)
    assert len(rows(db, AuditEvent, AuditEvent.action == "acknowledged")) == 1


def test_telling_a_referrer_who_asked_goes_through_the_outbox(db, clock, alice, signed_in):
    referral, callback_id = _referral_item(db, clock)
    browser = signed_in(alice)
    page = browser.page(f"/console/callbacks/{callback_id}")
    assert "Tell the referrer" not in page  # not before first contact
    browser.post(f"/console/callbacks/{callback_id}/referral/first-contact")
    saved = row(db, Referral, referral)
    assert saved.first_contact_at == clock.now() and saved.acknowledged_at == clock.now()
    page = browser.page(f"/console/callbacks/{callback_id}")
    assert "Tell the referrer" in page and f"reference {saved.reference}" in page
    browser.post(
        f"/console/callbacks/{callback_id}/referral/tell-referrer",
        {"message": f"We have been in touch with the carer (ref {saved.reference})."},
    )
    [message] = rows(db, OutboxMessage)
    assert (message.channel, message.recipient, message.status) == ("sms", "07700900777", "pending")
    assert message.payload == {
        "text": f"We have been in touch with the carer (ref {saved.reference})."
    }
    assert message.dedupe_key == f"referral:{saved.reference}:told"
    assert row(db, Referral, referral).referrer_told_at == clock.now()
    again = browser.post(
        f"/console/callbacks/{callback_id}/referral/tell-referrer", {"message": "Again"}
    )
    assert again.status_code == 409 and len(rows(db, OutboxMessage)) == 1


def test_a_referrer_who_did_not_ask_is_not_told(db, clock, alice, signed_in):
    referral, callback_id = _referral_item(
        db, clock, tell_referrer=False, first_contact_at=clock.now()
    )
    browser = signed_in(alice)
    assert "Tell the referrer" not in browser.page(f"/console/callbacks/{callback_id}")
    response = browser.post(
        f"/console/callbacks/{callback_id}/referral/tell-referrer", {"message": "Hello"}
    )
    assert response.status_code == 409
    assert "did not ask to be told" in response.get_data(as_text=True)
    assert rows(db, OutboxMessage) == [] and row(db, Referral, referral).referrer_told_at is None


def _card_item(db, clock, **fields) -> tuple[int, int]:
    carer = add_carer(db, clock.now(), name="Mary Jones", phone="07700900456")
    request = add_card_request(db, clock.now(), carer_id=carer, **fields)
    callback_id = add_callback(
        db, clock.now(), kind="card_request", card_request_id=request, carer_id=carer
    )
    return request, callback_id


def test_approving_a_request_issues_a_card_with_a_check_digit(db, clock, alice, signed_in):
    request, callback_id = _card_item(db, clock)
    browser = signed_in(alice)
    response = browser.post(f"/console/callbacks/{callback_id}/card-request/approve")
    [card] = rows(db, EmergencyCard)
    assert response.headers["Location"] == f"/console/cards/{card.id}/plan?item={callback_id}"
    assert is_valid_card_number(card.number) and card.status == "active"
    assert card.plan == "Arthur needs his tablets at 8am and 6pm."
    assert card.contacts == [{"name": "Jo Smith", "relationship": "sister", "phone": "07700900333"}]
    decided = row(db, EmergencyCardRequest, request)
    assert (decided.status, decided.decided_by, decided.decided_at) == (
        "approved",
        alice.id,
        clock.now(),
    )
    browser.post(f"/console/callbacks/{callback_id}/card-request/approve")
    assert len(rows(db, EmergencyCard)) == 1
    actions = {event.action for event in rows(db, AuditEvent, AuditEvent.staff_id == alice.id)}
    assert {"approved", "issued"} <= actions


def test_the_card_page_is_ready_to_print(db, clock, alice, signed_in):
    _, callback_id = _card_item(db, clock)
    browser = signed_in(alice)
    browser.post(f"/console/callbacks/{callback_id}/card-request/approve")
    [card] = rows(db, EmergencyCard)
    page = browser.page(f"/console/cards/{card.id}")
    assert f"{card.number[:4]} {card.number[4:]}" in page
    assert "Westshire Carers Emergency Card" in page and "01632 960999" in page
    assert "Mary Jones" in page and "Jo Smith" in page
    assert 'class="print-card"' in page and "console.css" in page
    assert "This card has not been used." in page
    event = rows(db, AuditEvent, AuditEvent.subject_type == "card")[-1]
    assert (event.action, event.subject_id) == ("viewed", card.id)


def test_the_print_styles_show_only_the_card_and_plan(app):
    css = app.test_client().get("/console/static/console.css").get_data(as_text=True)
    assert "@media print" in css and ".no-print" in css and "85.6mm" in css


def test_editing_the_plan_and_contacts(db, clock, alice, signed_in):
    carer = add_carer(db, clock.now(), name="Mary Jones")
    card_id = add_card(
        db, clock.now(), with_check_digit("1234567"), carer_id=carer, plan="Old plan"
    )
    browser = signed_in(alice)
    form = browser.page(f"/console/cards/{card_id}/plan")
    assert "Old plan</textarea>" in form and "Contact 3" in form  # the profile allows 3
    bad = browser.post(
        f"/console/cards/{card_id}/plan",
        {"plan": "New plan", "contacts-0-name": "Ann", "contacts-0-phone": "12"},
        token_from=f"/console/cards/{card_id}/plan",
    )
    assert bad.status_code == 400 and "Enter a UK phone number" in bad.get_data(as_text=True)
    assert row(db, EmergencyCard, card_id).plan == "Old plan"
    missing = browser.post(
        f"/console/cards/{card_id}/plan",
        {"plan": "New plan", "contacts-0-name": "Ann"},
        token_from=f"/console/cards/{card_id}/plan",
    )
    assert missing.status_code == 400 and "both a name and a phone" in missing.get_data(
        as_text=True
    )
    good = browser.post(
        f"/console/cards/{card_id}/plan",
        {
            "plan": "Ann steps in; Arthur's tablets are in the kitchen.",
            "contacts-0-name": "Ann Lee",
            "contacts-0-relationship": "neighbour",
            "contacts-0-phone": "07700 900 444",
            "contacts-1-name": "",
            "contacts-1-phone": "",
        },
        token_from=f"/console/cards/{card_id}/plan",
    )
    assert good.status_code == 302
    saved = row(db, EmergencyCard, card_id)
    assert saved.plan == "Ann steps in; Arthur's tablets are in the kitchen."
    assert saved.contacts == [
        {"name": "Ann Lee", "phone": "07700900444", "relationship": "neighbour"}
    ]
    assert rows(db, AuditEvent, AuditEvent.action == "plan_updated")[0].detail == {"contacts": 1}


def test_declining_needs_a_reason(db, clock, alice, signed_in):
    request, callback_id = _card_item(db, clock)
    browser = signed_in(alice)
    assert browser.post(f"/console/callbacks/{callback_id}/card-request/decline").status_code == 400
    browser.post(
        f"/console/callbacks/{callback_id}/card-request/decline",
        {"note": "Lives outside Westshire; passed to their own council."},
    )
    declined = row(db, EmergencyCardRequest, request)
    assert declined.status == "declined" and declined.decision_note.startswith("Lives outside")
    assert rows(db, EmergencyCard) == []


def test_activations_and_their_messages_are_shown(db, clock, alice, signed_in):
    card_id = add_card(db, clock.now() - timedelta(days=30), with_check_digit("7654321"))
    add_activation(db, clock.now(), "A000777", card_id, with_check_digit("7654321"))
    browser = signed_in(alice)
    card_page = browser.page(f"/console/cards/{card_id}")
    assert "reference A000777" in card_page
    assert "07700900333" in card_page and "Waiting to send" in card_page
    assert "01632960999" in card_page and "Sent" in card_page
    [item] = rows(db, Callback)
    item_page = browser.page(f"/console/callbacks/{item.id}")
    assert (
        "Emergency card used" in item_page and "Messages sent when the card was used" in item_page
    )
    assert f"/console/cards/{card_id}" in item_page


def test_card_numbers_never_repeat(db, clock, alice):
    serials = iter(["1111111", "1111111", "1111111", "2222222"])
    cards = SqlCardWork(db.sessions, serials=lambda: next(serials))
    actor = Actor(alice.id, "staff:alice")
    first = add_card_request(db, clock.now())
    second = add_card_request(db, clock.now())
    first_card = cards.approve(first, actor, clock.now(), None, ())
    second_card = cards.approve(second, actor, clock.now(), None, ())
    assert first_card is not None and second_card is not None
    numbers = {row(db, EmergencyCard, card_id).number for card_id in (first_card, second_card)}
    assert numbers == {with_check_digit("1111111"), with_check_digit("2222222")}


def test_an_endlessly_repeating_serial_source_is_an_error_not_a_duplicate(db, clock, alice):
    cards = SqlCardWork(db.sessions, serials=lambda: "3333333")
    actor = Actor(alice.id, "staff:alice")
    cards.approve(add_card_request(db, clock.now()), actor, clock.now(), None, ())
    with pytest.raises(CardNumbersExhaustedError):
        cards.approve(add_card_request(db, clock.now()), actor, clock.now(), None, ())
    assert len(rows(db, EmergencyCard)) == 1
    assert [request.status for request in rows(db, EmergencyCardRequest)] == ["approved", "pending"]
