"""Someone's emergency card says to call us: record, alert, and give the way to help (K7)."""

from __future__ import annotations

import pytest

from handlers.cards import is_valid_card_number, luhn_check_digit, with_check_digit
from handlers.commands import QueueMessage, SaveCardActivation
from handlers.dialog import Chose, End, Keyed, NoInput, Said, Transfer, TransferEnded
from handlers.hours import DueByRules, WorkingCalendar
from handlers.phones import clean_phone, spoken_phone
from handlers.ports import CardOnFile
from tests.handlers.conftest import MONDAY_MORNING, SATURDAY_NIGHT

KNOWN = with_check_digit("1234567")
UNKNOWN = with_check_digit("7654321")
WRONG = KNOWN[:-1] + str((int(KNOWN[-1]) + 1) % 10)
CONTACTS = ("07700900111", "07700900222")
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def reach_number(d):
    d.start()
    if d.medium == "chat":
        d.send(Chose("card"))
        d.send(Chose("activation"))
    else:
        d.send(Keyed("3"))
        d.send(Keyed("2"))
    assert d.node == "activation.number"


def give(d, number: str):
    return d.send(Keyed(number) if d.medium == "voice" else Said(number))


def duty_number(d) -> str:
    number = d.profile.phones.out_of_hours_duty
    return spoken_phone(clean_phone(number) or "") if d.medium == "voice" else number


def test_a_known_card_in_hours_on_the_phone_alerts_everyone_and_transfers(dialog, profile):
    d = dialog(medium="voice", caller="+447700900999")
    d.lookups.cards[KNOWN] = CardOnFile(card_id=42, contact_phones=CONTACTS)
    reach_number(d)
    assert "999" in d.text()
    give(d, KNOWN)

    [activation] = d.saved(SaveCardActivation)
    assert activation.reference.startswith("A-")
    assert activation.number_given == KNOWN
    assert activation.card_id == 42
    assert activation.contact_phones == CONTACTS
    assert activation.received_at == MONDAY_MORNING
    assert activation.due_by == DueByRules(WorkingCalendar(profile)).callback(
        MONDAY_MORNING, urgent=True
    )
    messages = d.saved(QueueMessage)
    duty_line = clean_phone(profile.emergency_card.emergency_line)
    assert {message.recipient for message in messages} == {*CONTACTS, duty_line}
    assert all(message.channel == "sms" for message in messages)
    assert len({message.dedupe_key for message in messages}) == len(messages)
    assert all(activation.reference in message.text for message in messages)
    for message in messages:
        if message.recipient in CONTACTS:
            assert "the person whose emergency card lists you" in message.text
        else:
            assert "was found" in message.text

    assert d.node == "person.offer"
    assert any(isinstance(reply, Transfer) for reply in d.replies)
    spoken = " ".join(activation.reference.replace("-", ""))
    assert spoken in d.text()
    for private in (*CONTACTS, "42"):
        assert private not in d.text()


@pytest.mark.parametrize(
    ("medium", "now", "times"),
    [("voice", SATURDAY_NIGHT, 2), ("chat", SATURDAY_NIGHT, 1), ("chat", MONDAY_MORNING, 1)],
)
def test_out_of_hours_or_in_chat_the_duty_number_is_given_and_no_transfer(
    dialog, medium, now, times
):
    d = dialog(medium=medium, now=now)
    d.lookups.cards[KNOWN] = CardOnFile(card_id=42, contact_phones=CONTACTS)
    reach_number(d)
    give(d, KNOWN)
    [activation] = d.saved(SaveCardActivation)
    assert activation.card_id == 42
    assert not any(isinstance(reply, Transfer) for reply in d.replies)
    text = d.text()
    assert "{{" not in text
    assert text.count(duty_number(d)) == times
    assert "Stay with the person if it is safe" in text and "999" in text
    assert d.node == "activation.next"
    for private in CONTACTS:
        assert private not in text

    d.send(Chose("number") if medium == "chat" else Keyed("1"))
    assert duty_number(d) in d.text()
    assert d.node == "activation.next"
    d.send(Chose("finish") if medium == "chat" else Keyed("3"))
    assert isinstance(d.replies[-1], End)


@pytest.mark.parametrize(
    ("medium", "entries", "number_given"),
    [
        ("voice", [Keyed(WRONG), Keyed(WRONG)], WRONG),
        ("voice", [Keyed(WRONG), Keyed("123")], "123"),
        ("voice", [NoInput(), Keyed(WRONG)], WRONG),
        ("chat", [Said("1234 5678"), Said("hello")], "12345678"),
        ("chat", [Said("no idea"), Said("nope")], ""),
        ("voice", [Keyed("#")], ""),
        ("chat", [Said("I don't know")], ""),
        ("chat", [Said(WRONG), Said("I can't find it")], WRONG),
    ],
)
def test_without_a_valid_number_it_is_still_recorded_and_the_duty_number_given(
    dialog, medium, entries, number_given
):
    d = dialog(medium=medium, now=SATURDAY_NIGHT)
    d.lookups.cards[KNOWN] = CardOnFile(card_id=42, contact_phones=CONTACTS)
    reach_number(d)
    for entry in entries:
        assert d.node == "activation.number"
        d.send(entry)
    [activation] = d.saved(SaveCardActivation)
    assert activation.card_id is None
    assert activation.number_given == number_given
    assert activation.contact_phones == ()
    [duty] = d.saved(QueueMessage)
    assert duty.recipient == clean_phone(d.profile.emergency_card.emergency_line)
    assert "no contacts have been told" in duty.text
    assert duty_number(d) in d.text()
    assert d.node == "activation.next"


def test_a_wrong_number_is_asked_for_again_once(dialog):
    d = dialog(medium="voice")
    reach_number(d)
    give(d, WRONG)
    assert d.node == "activation.number"
    assert "doesn't sound right" in d.text()
    assert not d.saved(SaveCardActivation)


@pytest.mark.parametrize("medium", ["voice", "chat"])
def test_an_unknown_valid_number_is_recorded_with_the_duty_number(dialog, medium):
    d = dialog(medium=medium, now=SATURDAY_NIGHT)
    reach_number(d)
    give(d, UNKNOWN)
    [activation] = d.saved(SaveCardActivation)
    assert activation.card_id is None
    assert activation.number_given == UNKNOWN
    [duty] = d.saved(QueueMessage)
    assert UNKNOWN in duty.text and "NOT found" in duty.text
    assert "couldn't find that card" in d.text()
    assert duty_number(d) in d.text()


@pytest.mark.parametrize(
    "said",
    [
        " ".join(DIGIT_WORDS[int(digit)] for digit in KNOWN),
        f"it's {KNOWN[:4]} {KNOWN[4:]}",
        "one two three four five six seven " + DIGIT_WORDS[int(KNOWN[-1])],
    ],
)
def test_spoken_or_typed_digits_are_understood(dialog, said):
    d = dialog(medium="voice", now=SATURDAY_NIGHT)
    d.lookups.cards[KNOWN] = CardOnFile(card_id=42, contact_phones=CONTACTS)
    reach_number(d)
    d.send(Said(said))
    [activation] = d.saved(SaveCardActivation)
    assert activation.card_id == 42


def test_keypad_zero_in_the_card_number_is_data_not_speak_to_someone(dialog):
    d = dialog(medium="voice")
    reach_number(d)
    d.send(Keyed("0"))
    assert d.node == "activation.number"
    number = with_check_digit("0012345")
    d.lookups.cards[number] = CardOnFile(card_id=7, contact_phones=())
    d.send(Keyed(number))
    [activation] = d.saved(SaveCardActivation)
    assert activation.card_id == 7
    assert activation.number_given == number


# The check digit


def test_luhn_check_digit_matches_the_published_example():
    assert luhn_check_digit("7992739871") == "3"


@pytest.mark.parametrize(
    ("serial", "number"),
    [("0000000", "00000000"), ("1234567", "12345674"), ("7654321", "76543214")],
)
def test_with_check_digit(serial, number):
    assert with_check_digit(serial) == number
    assert is_valid_card_number(number)


@pytest.mark.parametrize(
    "serial", ["123456", "12345678", "12a4567", "", " 123456", "１２３４５６７"]
)
def test_with_check_digit_refuses_a_bad_serial(serial):
    with pytest.raises(ValueError, match="serial"):
        with_check_digit(serial)


@pytest.mark.parametrize(
    "number",
    ["12345670", "1234567", "123456741", "1234 5674", "1234567a", "", "１２３４５６７４"],
)
def test_is_valid_card_number_refuses(number):
    assert not is_valid_card_number(number)


def test_every_single_digit_mistake_is_caught():
    number = with_check_digit("3141592")
    for position in range(len(number)):
        for digit in "0123456789":
            if digit != number[position]:
                typo = number[:position] + digit + number[position + 1 :]
                assert not is_valid_card_number(typo), typo


def test_swapped_neighbours_are_caught_except_09_and_90():
    number = with_check_digit("3141592")
    for position in range(len(number) - 1):
        first, second = number[position], number[position + 1]
        if first == second or {first, second} == {"0", "9"}:
            continue
        swapped = number[:position] + second + first + number[position + 2 :]
        assert not is_valid_card_number(swapped), swapped


def test_unanswered_transfer_after_activation_gives_the_duty_number(dialog):
    d = dialog(medium="voice", caller="+447700900123")
    d.start()
    d.send(Keyed("3"))
    d.send(Keyed("2"))
    d.send(Keyed("#"))
    assert d.node == "person.offer"
    d.send(TransferEnded(answered=False))
    assert d.node == "activation.next"
    assert "9 6 0, 9 9 9" in d.text() or "960999" in d.text().replace(" ", "")
