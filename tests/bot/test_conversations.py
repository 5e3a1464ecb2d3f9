"""Whole conversations through the webhook, for every flow, by buttons and by typing.

Each test plays a carer from /start to the end of a flow with real Update JSON and checks what
they read and what the service kept (real rows, on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import select

from store.models import (
    ArticleFeedback,
    Callback,
    CardActivation,
    Conversation,
    EmergencyCardRequest,
    Referral,
    UnansweredQuestion,
)
from store.models import (
    Carer as CarerRecord,
)
from tests.bot.conftest import CHAT_ID, last_menu, said, texts


def one(db, model):
    with db.sessions() as session:
        return session.scalars(select(model)).one()


def all_of(db, model):
    with db.sessions() as session:
        return session.scalars(select(model)).all()


# --- information ---


def test_information_by_buttons(carer, db):
    carer.start()
    carer.press("information")
    carer.press("group-money")
    calls = carer.press("carers-allowance")
    assert ("How to claim Carer's Allowance", "carers-allowance-how-to-claim") in last_menu(
        calls
    ).buttons()
    calls = carer.press("carers-allowance-how-to-claim")
    article, helped = texts(calls)
    assert article.startswith("How to claim Carer's Allowance\n\n")
    assert "Have these ready\n• your National Insurance number" in article
    assert "Checked on 23 November 2026." in article
    assert '<a href="https://www.gov.uk/carers-allowance/how-to-claim">' in calls[-2].text
    assert helped == "Did that help?"
    calls = carer.press("yes")
    assert texts(calls)[0] == "Thank you, that helps us."
    assert last_menu(calls).buttons() == [
        ("Ask another question", "another"),
        ("Ask us to call you back", "callback"),
        ("Main menu", "menu"),
    ]
    feedback = one(db, ArticleFeedback)
    assert (feedback.article_id, feedback.helped, feedback.channel) == (
        "carers-allowance-how-to-claim",
        True,
        "telegram",
    )
    calls = carer.press("menu")
    assert texts(calls) == ["How can we help today?"]


def test_information_by_typing(carer, db):
    carer.start()
    calls = carer.type("I have a question")
    assert said(calls).startswith("What would you like to know?")
    calls = carer.type("how do I claim carers allowance")
    assert texts(calls)[0].startswith("How to claim Carer's Allowance")
    calls = carer.type("no it didn't")
    assert "Did that help?" not in said(calls)
    assert one(db, ArticleFeedback).helped is False
    calls = carer.type("ask another question")
    calls = carer.type("what is the meaning of life and the universe")
    assert "What would you like to do?" in said(calls)
    question = one(db, UnansweredQuestion)
    assert question.question == "what is the meaning of life and the universe"


def test_a_long_article_is_split_between_paragraphs_under_the_limit(carer):
    carer.start()
    carer.press("information")
    calls = carer.type("what is nhs continuing healthcare and who qualifies")
    articles = [call for call in calls if call.text.startswith("<b>")]
    assert articles, texts(calls)
    for call in calls:
        assert len(call.text) <= 4096


# --- referral ---


def test_self_referral_by_buttons(carer, db):
    carer.start()
    carer.press("referral")
    carer.press("self")
    carer.press("yes")  # consent
    carer.press("yes")  # 18 or over
    carer.press("no")  # not paid
    carer.press("now")
    carer.type("Jo Bloggs")
    carer.share_contact("447700900123")
    carer.type("WS1 2AB")
    carer.press("parent")
    carer.press("dementia")
    carer.press("large_print")
    carer.press("no")
    carer.press("morning")
    carer.press("answer")
    carer.press("woman")
    carer.press("50_to_64")
    calls = carer.press("no")
    summary = said(calls)
    assert "Name: Jo Bloggs" in summary and "Phone: 07700900123" in summary
    calls = carer.press("yes")
    referral = one(db, Referral)
    assert referral.reference in said(calls)
    assert "We will call you by 5pm on Wednesday" in said(calls)
    assert (referral.channel, referral.source, referral.cared_for_condition) == (
        "telegram",
        "self",
        "dementia",
    )
    assert referral.demographics == {"gender": "woman", "age_band": "50_to_64", "disability": False}
    carer_row = one(db, CarerRecord)
    assert (carer_row.name, carer_row.phone, carer_row.telegram_chat_id) == (
        "Jo Bloggs",
        "07700900123",
        str(CHAT_ID),
    )


def test_referral_for_someone_else_by_typing(carer, db):
    carer.start()
    carer.type("I want to make a referral")
    carer.type("a family member or friend")
    carer.type("yes")  # consent
    carer.type("Pat Bloggs")  # referrer's name
    carer.type("07700 900222")  # referrer's phone
    carer.type("yes")  # carer is 18 or over
    carer.type("no")  # not paid
    carer.type("still caring now")
    carer.type("Jo Bloggs")
    carer.type("07700 900123")
    carer.type("skip")
    carer.type("skip")
    carer.type("skip")
    carer.type("no, none of these")
    calls = carer.type("afternoon")
    assert "Is that right?" in said(calls)
    calls = carer.type("yes")
    referral = one(db, Referral)
    assert referral.reference in said(calls)
    assert (referral.source, referral.referrer_name, referral.tell_referrer) == (
        "family",
        "Pat Bloggs",
        True,
    )


# --- emergency card ---


def test_joining_the_emergency_card_scheme_by_buttons_and_typing(carer, db):
    carer.start()
    carer.press("card")
    calls = carer.press("join")
    assert said(calls).startswith("The Westshire Carers Emergency Card helps")
    carer.press("yes")
    carer.type("Jo Bloggs")
    carer.share_contact("447700900123")
    carer.type("Sam")
    carer.type("Sam has dementia and needs help with meals")
    carer.type("Alex Smith")
    carer.type("neighbour")
    carer.type("07700 900456")
    carer.press("yes")
    calls = carer.press("no")
    assert "Your contacts: Alex Smith (neighbour)." in said(calls)
    calls = carer.type("yes that's right")
    request = one(db, EmergencyCardRequest)
    assert request.reference in said(calls)
    assert request.contacts == [
        {"name": "Alex Smith", "relationship": "neighbour", "phone": "07700900456"}
    ]
    assert (request.cared_for_name, request.channel) == ("Sam", "telegram")
    calls = carer.press("finish")
    assert texts(calls) == [
        "Thank you for contacting Westshire Carers Line. Take care of yourself. You can "
        "message again at any time."
    ]
    with db.sessions() as session:
        assert session.scalars(select(Conversation.node)).one() == "ended"


def test_a_card_that_says_to_call_us_is_recorded_as_urgent(carer, db):
    carer.start()
    carer.press("card")
    calls = carer.press("activation")
    assert "If anyone is in danger right now, call 999." in said(calls)
    carer.type("12345678")
    calls = carer.type("I don't know it")
    assert "01632 960999" in said(calls)
    activation = one(db, CardActivation)
    callback = one(db, Callback)
    assert (activation.channel, callback.kind, callback.urgency) == (
        "telegram",
        "card_activation",
        "urgent",
    )


# --- callback ---


def test_asking_for_a_call_back_by_buttons(carer, db):
    carer.start()
    carer.press("callback")
    carer.type("Help with a carer's assessment")
    carer.press("no")
    carer.press("yes")
    calls = carer.share_contact("447700900123")
    slots = last_menu(calls).buttons()
    assert slots[0] == ("today, 11am to 1pm", "slot-2026-11-23T11:00:00+00:00")
    calls = carer.press("slot-2026-11-23T11:00:00+00:00")
    assert texts(calls) == [
        "We'll call you on 07700900123, today between 11am and 1pm. Is that right?"
    ]
    calls = carer.press("yes")
    callback = one(db, Callback)
    assert callback.reference in said(calls)
    assert (callback.phone, callback.reason, callback.channel) == (
        "07700900123",
        "Help with a carer's assessment",
        "telegram",
    )
    assert callback.consent_wording_version.startswith("callback_consent:")


def test_asking_for_a_call_back_by_typing(carer, db):
    carer.start()
    carer.type("can someone ring me back")
    carer.type("I am struggling with my dad's care")
    carer.type("no")
    carer.type("yes")
    carer.type("07700 900123")
    calls = carer.type("any time")
    assert texts(calls) == ["We'll call you on 07700900123, by 5pm on Wednesday. Is that right?"]
    calls = carer.type("yes")
    callback = one(db, Callback)
    assert f"Your reference is {callback.reference}." in said(calls)
    assert callback.reason == "I am struggling with my dad's care"


# --- a person, crisis, commands ---


def test_speaking_to_someone_in_hours_gives_the_number_and_a_call_back(carer):
    carer.start()
    calls = carer.press("person")
    assert "You can talk to our team by ringing 01632 960100" in said(calls)
    assert last_menu(calls).buttons() == [
        ("Ask us to call you back", "callback"),
        ("Main menu", "menu"),
    ]
    calls = carer.command("person")
    assert "You can talk to our team by ringing 01632 960100" in said(calls)
    calls = carer.type("speak to a person")
    assert "You can talk to our team by ringing 01632 960100" in said(calls)


def test_crisis_words_bring_the_emergency_numbers_at_once(carer, db):
    carer.start()
    carer.press("callback")
    calls = carer.type("I can't go on, I want to end my life")
    crisis = calls[0]
    assert crisis.text.startswith("<b>If anyone's life is at risk right now, please call 999.</b>")
    assert "• <b>Samaritans</b>: call <b>116 123</b>." in crisis.text
    carer.press("callback")
    carer.press("yes")
    calls = carer.share_contact("447700900123")
    assert "Someone from our team will call you by 5pm today." in said(calls)
    callback = one(db, Callback)
    assert (callback.kind, callback.urgency) == ("crisis", "urgent")


def test_help_and_privacy_return_to_the_question_and_menu_goes_home(carer):
    carer.start()
    carer.press("callback")
    calls = carer.command("help")
    help_text, question = texts(calls)
    assert "/forget deletes this chat." in help_text
    assert question.startswith("In a few words, what would you like to talk to us about?")
    calls = carer.command("privacy")
    notice, question = texts(calls)
    assert "for 90 days, and the chat itself for 365 days" in notice
    assert "for 6 years" in notice
    assert question.startswith("In a few words")
    calls = carer.command("menu")
    assert texts(calls) == ["How can we help today?"]


def test_help_works_after_the_conversation_ended(carer):
    carer.start()
    carer.press("callback")
    carer.type("skip")
    carer.type("no")
    carer.press("no")  # no consent
    carer.press("goodbye")
    calls = carer.command("help")
    help_text, menu = texts(calls)
    assert help_text.startswith("This is Westshire Carers Line.")
    assert menu == "How can we help today?"


def test_start_again_mid_flow_starts_afresh(carer, db):
    carer.start()
    carer.press("callback")
    carer.type("Something I typed")
    calls = carer.start()
    assert texts(calls)[-1] == "How can we help today?"
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
    assert conversation.node == "main.menu"
    assert "reason" not in conversation.answers["answers"]
