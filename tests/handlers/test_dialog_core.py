"""The dialog core through its front door: main menu, global rules, information, callback,
answerphone, crisis; keypad, speech-like text, typed text, silence, nonsense, in and out of hours.
"""

from __future__ import annotations

import pytest

from handlers.commands import (
    EndConversation,
    QueueMessage,
    RecordFeedback,
    RecordUnanswered,
    SaveCallback,
)
from handlers.dialog import (
    Ask,
    Chose,
    HungUp,
    Keyed,
    Menu,
    NoInput,
    Record,
    Recorded,
    Said,
    SharedContact,
    ShowArticle,
    Transfer,
    TransferEnded,
)
from handlers.engine import spoken_deadline
from handlers.hours import DueByRules, WorkingCalendar
from tests.handlers.conftest import MONDAY_MORNING, SATURDAY_NIGHT

CALLER = "+447700900123"


# Main menu: keypad digits, spoken words and typed words all reach the same place.
@pytest.mark.parametrize(
    ("medium", "event", "node"),
    [
        ("voice", Keyed("1"), "information.ask"),
        ("voice", Said("erm information please"), "information.ask"),
        ("voice", Said("two"), "referral.start"),
        ("voice", Keyed("3"), "main.card"),
        ("voice", Said("emergency card"), "main.card"),
        ("voice", Said("can someone call me back"), "callback.reason"),
        ("voice", Keyed("4"), "callback.reason"),
        ("chat", Chose("information"), "information.ask"),
        ("chat", Said("I'd like some advice about money"), "information.ask"),
        ("chat", Said("I want to refer myself"), "referral.start"),
        ("chat", Said("ring me back please"), "callback.reason"),
    ],
)
def test_main_menu_understands_keys_and_words(dialog, medium, event, node):
    d = dialog(medium=medium, caller=CALLER if medium == "voice" else None)
    d.start()
    d.send(event)
    assert d.node == node


def test_greeting_names_the_service_and_voice_menu_says_the_keys(dialog):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    assert "Westshire Carers Line" in d.text()
    menu = d.menu()
    assert "press 1" in menu.text and "press 5" in menu.text
    assert [option.digit for option in menu.options] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("medium", ["voice", "chat"])
def test_out_of_hours_gives_emergency_numbers_first_and_offers_a_message(dialog, medium):
    d = dialog(medium=medium, now=SATURDAY_NIGHT, caller=CALLER)
    d.start()
    text = d.text()
    assert "999" in text and "01632 960999" in text and "Monday to Friday" in text
    assert "message" in [option.id for option in d.menu().options]
    d.send(Chose("message") if medium == "chat" else Keyed("5"))
    assert d.node == "answerphone.message"


def test_in_hours_speak_to_someone_transfers_and_no_answer_falls_back_to_answerphone(dialog):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(Said("I want to talk to someone"))
    transfer = [reply for reply in d.replies if isinstance(reply, Transfer)]
    assert transfer and transfer[0].numbers == ("07700 900101", "07700 900102")
    d.send(TransferEnded(answered=False))
    assert d.node == "answerphone.message"
    assert any(isinstance(reply, Record) for reply in d.replies)


def test_chat_person_gives_the_phone_number_and_a_callback(dialog):
    d = dialog()
    d.start()
    d.send(Chose("person"))
    assert "01632 960100" in d.text()
    assert "callback" in [option.id for option in d.menu().options]


# Global rules.
@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (Keyed("*"), "main.card"),
        (Said("say that again"), "main.card"),
        (Said("go back"), "main.menu"),
        (Keyed("9"), "main.menu"),
        (Said("main menu"), "main.menu"),
        (Keyed("0"), "person.offer"),
        (Said("can I speak to a real person"), "person.offer"),
    ],
)
def test_global_commands_work_from_any_menu(dialog, event, expected):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(Keyed("3"))
    d.send(event)
    assert d.node == expected


@pytest.mark.parametrize("bad", [NoInput(), Said("purple elephant"), Keyed("7")])
def test_two_reprompts_then_a_person(dialog, bad):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(bad)
    assert d.node == "main.menu" and "Sorry" in d.text()
    d.send(bad)
    assert d.node == "main.menu"
    d.send(bad)
    assert d.node == "person.offer"
    assert "person" in d.text().lower()


def test_silence_gets_its_own_words(dialog):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(NoInput())
    assert "didn't hear anything" in d.text()


# Information.
def test_voice_question_gets_the_voice_summary_then_feedback_and_a_text_message(dialog, knowledge):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(Keyed("1"))
    d.send(Said("um how do i get a carers assessment from the council"))
    article_id = d.answers["article"]
    assert knowledge.articles[article_id].topic == "carers-assessment"
    assert knowledge.articles[article_id].voice_summary in d.text()
    assert d.node == "information.helped"
    d.send(Keyed("2"))
    assert d.saved(RecordFeedback)[0].helped is False
    d.send(Keyed("1"))
    d.send(Keyed("1"))
    message = d.saved(QueueMessage)[0]
    assert message.channel == "sms" and message.recipient == "07700900123"
    assert knowledge.articles[article_id].title in message.text


def test_chat_question_gets_the_full_article_with_sources(dialog, knowledge):
    d = dialog()
    d.start()
    d.send(Chose("information"))
    d.send(Said("how much can i earn and still get carers allowance"))
    article = [reply for reply in d.replies if isinstance(reply, ShowArticle)]
    assert article, d.replies
    assert article[0].sources and "Checked on" in article[0].footer
    assert knowledge.articles[article[0].article_id].topic == "carers-allowance"
    d.send(Chose("yes"))
    assert d.saved(RecordFeedback)[0].helped is True
    assert "sms" not in [option.id for option in d.menu().options]


def test_keypad_callers_browse_subjects(dialog, knowledge):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(Keyed("1"))
    d.send(Keyed("1"))
    assert d.node == "information.group"
    money = knowledge.topics.in_group("money")
    assert [option.label for option in d.menu().options] == [f"For {t.label}" for t in money]
    d.send(Keyed("1"))
    assert d.node in ("information.articles", "information.helped")


def test_unknown_question_is_recorded_and_a_person_offered(dialog):
    d = dialog()
    d.start()
    d.send(Chose("information"))
    d.send(Said("what is the capital of france"))
    assert d.node == "information.not_found"
    assert d.saved(RecordUnanswered)[0].question == "what is the capital of france"
    assert "callback" in [option.id for option in d.menu().options]


def test_unsure_search_offers_choices(dialog):
    d = dialog()
    d.start()
    d.send(Chose("information"))
    d.send(Said("money"))
    assert d.node == "information.clarify"
    options = d.menu().options
    assert 3 <= len(options) <= 4 and options[-1].id == "none"
    d.send(Chose(options[0].id))
    assert d.node == "information.helped"


# Callback.
def test_callback_in_chat_with_a_chosen_window(dialog, profile):
    d = dialog()
    d.start()
    d.send(Chose("callback"))
    d.send(Said("help with my dad's care package"))
    d.send(Chose("no"))
    d.send(Chose("yes"))
    d.send(SharedContact("+44 7700 900456"))
    slots = d.menu().options
    assert slots[-1].id == "any"
    d.send(Chose(slots[0].id))
    assert "07700900456" in d.text()
    d.send(Chose("yes"))
    saved = d.saved(SaveCallback)[0]
    rules = DueByRules(WorkingCalendar(profile))
    assert saved.due_by == rules.callback(MONDAY_MORNING)
    assert saved.window_start is not None and saved.window_end <= saved.due_by
    assert saved.phone == "07700900456" and saved.consent is not None
    assert saved.reference in d.text()


def test_callback_promise_is_said_plainly(dialog, profile):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    for event in (Keyed("4"), Keyed("#"), Keyed("2"), Keyed("1"), Keyed("1"), Keyed("5")):
        d.send(event)
    d.send(Keyed("1"))
    calendar = WorkingCalendar(profile)
    due = DueByRules(calendar).callback(MONDAY_MORNING)
    promise = spoken_deadline(calendar, due, MONDAY_MORNING)
    assert promise == "5pm on Wednesday"
    assert f"We will call you by {promise}" in d.text()


def test_full_slots_are_not_offered(dialog, profile):
    d = dialog()
    d.start()
    for event in (Chose("callback"), Chose("skip"), Chose("no"), Chose("yes")):
        d.send(event)
    first = d.replies[-1]
    d.send(Said("07700 900456"))
    first_slot = d.menu().options[0].id
    full = dialog()
    from datetime import datetime

    full.lookups.booked[datetime.fromisoformat(first_slot.removeprefix("slot-"))] = (
        profile.callbacks.slot_capacity
    )
    full.start()
    for event in (Chose("callback"), Chose("skip"), Chose("no"), Chose("yes")):
        full.send(event)
    full.send(Said("07700 900456"))
    assert first_slot not in [option.id for option in full.menu().options]
    assert isinstance(first, Ask)


def test_someone_at_risk_goes_to_crisis_first(dialog):
    d = dialog()
    d.start()
    d.send(Chose("callback"))
    d.send(Chose("skip"))
    d.send(Chose("yes"))
    assert d.node == "crisis.start"
    assert "116 123" in d.text()


def test_no_consent_keeps_nothing(dialog):
    d = dialog()
    d.start()
    for event in (Chose("callback"), Said("my mum"), Chose("no"), Chose("no")):
        d.send(event)
    assert not d.saved(SaveCallback)
    assert d.node == "main.anything_else"


def test_hanging_up_after_number_and_consent_still_gets_a_callback(dialog):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    for event in (Keyed("4"), Said("respite"), Keyed("2"), Keyed("1"), Keyed("1")):
        d.send(event)
    d.send(HungUp())
    saved = d.saved(SaveCallback)[0]
    assert saved.ended_early and saved.phone == "07700900123" and saved.reason == "respite"
    assert d.saved(EndConversation)[-1].reason == "hung_up"


def test_hanging_up_before_consent_saves_nothing(dialog):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(Keyed("4"))
    d.send(HungUp())
    assert not d.saved(SaveCallback)


# Answerphone.
def test_voice_message_out_of_hours_creates_voicemail_callback(dialog, profile):
    d = dialog(medium="voice", caller=CALLER, now=SATURDAY_NIGHT)
    d.start()
    d.send(Keyed("5"))
    assert isinstance(d.replies[-1], Record) and d.replies[-1].max_seconds == 180
    d.send(Recorded("RE0001", "https://api.twilio.example/RE0001", 42))
    d.send(Keyed("1"))
    saved = d.saved(SaveCallback)[0]
    assert saved.kind == "voicemail" and saved.recording["id"] == "RE0001"
    assert saved.due_by == DueByRules(WorkingCalendar(profile)).callback(SATURDAY_NIGHT)
    assert "Wednesday" in d.text()
    assert d.node == "ended"


def test_empty_recording_asks_again(dialog):
    d = dialog(medium="voice", caller=CALLER, now=SATURDAY_NIGHT)
    d.start()
    d.send(Keyed("5"))
    d.send(Recorded("RE0002", None, 0))
    assert "didn't hear anything" in d.text()
    assert isinstance(d.replies[-1], Record)


def test_chat_message_out_of_hours(dialog):
    d = dialog(now=SATURDAY_NIGHT)
    d.start()
    d.send(Chose("message"))
    d.send(Said("It's Sam, please ring me about getting a break"))
    d.send(Said("07700 900789"))
    saved = d.saved(SaveCallback)[0]
    assert saved.reason == "It's Sam, please ring me about getting a break"
    assert saved.phone == "07700900789"


# Crisis interrupts every flow and keeps what was said.
@pytest.mark.parametrize(
    "path",
    [
        [],
        [Chose("information")],
        [Chose("callback")],
        [Chose("callback"), Said("my husband")],
        [Chose("card")],
        [Chose("referral")],
    ],
)
def test_crisis_words_divert_from_anywhere(dialog, path):
    d = dialog()
    d.start()
    for event in path:
        d.send(event)
    before = dict(d.answers)
    d.send(Said("I can't cope any more, I want to kill myself"))
    assert d.node == "crisis.start"
    text = d.text()
    for number in ("999", "111", "116 123", "85258", "01632 960999"):
        assert number in text
    for key, value in before.items():
        assert d.answers[key] == value


def test_crisis_in_hours_on_the_phone_offers_a_transfer_and_an_urgent_callback(dialog, profile):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(Said("he's not breathing"))
    assert [option.id for option in d.menu().options][:2] == ["person", "callback"]
    d.send(Keyed("2"))
    d.send(Keyed("1"))
    d.send(Keyed("1"))
    saved = d.saved(SaveCallback)[0]
    assert saved.urgent and saved.kind == "crisis"
    assert saved.due_by == DueByRules(WorkingCalendar(profile)).callback(
        MONDAY_MORNING, urgent=True
    )
    assert "5pm today" in d.text()


def test_crisis_can_carry_on_where_the_carer_was(dialog):
    d = dialog()
    d.start()
    d.send(Chose("callback"))
    d.send(Said("i feel suicidal"))
    d.send(Chose("continue"))
    assert d.node == "callback.reason"


def test_crisis_out_of_hours_urgent_callback_is_due_next_working_day(dialog, profile):
    d = dialog(now=SATURDAY_NIGHT)
    d.start()
    d.send(Said("my dad has collapsed"))
    assert "person" not in [option.id for option in d.menu().options]
    d.send(Chose("callback"))
    d.send(Chose("yes"))
    d.send(Said("07700900456"))
    saved = d.saved(SaveCallback)[0]
    assert saved.due_by == DueByRules(WorkingCalendar(profile)).callback(
        SATURDAY_NIGHT, urgent=True
    )
    assert "Monday" in d.text()


def test_every_menu_and_question_has_words(dialog):
    d = dialog()
    d.start()
    for reply in d.replies:
        assert reply.text.strip()
    assert isinstance(d.replies[-1], Menu)


def test_a_new_message_after_goodbye_starts_again(dialog):
    d = dialog()
    d.start()
    d.send(Chose("callback"))
    d.send(Chose("menu"))
    d.send(Said("hello"))
    assert d.node == "main.menu"


def test_hanging_up_rings_the_number_the_flow_named(dialog):
    d = dialog(medium="voice", caller=CALLER)
    d.start()
    d.send(Keyed("4"))
    d.send(Keyed("#"))
    d.send(Keyed("2"))
    d.send(Keyed("1"))
    d.send(Keyed("2"))
    d.send(Keyed("07700900999"))
    d.send(HungUp())
    assert d.saved(SaveCallback)[0].phone == "07700900999"
