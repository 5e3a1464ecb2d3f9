"""The webhook from the outside: Telegram's real Update shapes in, the exact Bot API calls out."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from store.models import Conversation, ConversationTurn, OutboxMessage, ProcessedWebhook
from tests.bot.conftest import CHAT_ID, SECRET, payload, said, texts

GREETING = (
    "Hello, this is Westshire Carers Line. We support people who look after a family member "
    "or friend."
)
MAIN_MENU = {
    "inline_keyboard": [
        [{"text": "Information and advice", "callback_data": "information"}],
        [{"text": "Refer yourself or someone else", "callback_data": "referral"}],
        [{"text": "Carers Emergency Card", "callback_data": "card"}],
        [{"text": "Ask us to call you back", "callback_data": "callback"}],
        [{"text": "Speak to someone", "callback_data": "person"}],
    ]
}


def rows(db, model):
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_start_greets_and_offers_the_main_menu_as_buttons(carer, recorder):
    response = carer.post(payload("start"))
    assert response.status_code == 200 and response.data == b""  # nothing for Telegram to do
    assert [(call.method, call.params) for call in recorder.calls] == [
        (
            "sendMessage",
            {
                "chat_id": CHAT_ID,
                "text": GREETING,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            },
        ),
        (
            "sendMessage",
            {
                "chat_id": CHAT_ID,
                "text": "How can we help today?",
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
                "reply_markup": MAIN_MENU,
            },
        ),
    ]


def test_the_conversation_and_its_transcript_are_kept_under_the_chat_id(carer, db):
    carer.post(payload("start"))
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        lines = session.scalars(select(ConversationTurn.text)).all()
    assert (conversation.channel, conversation.external_id) == ("telegram", str(CHAT_ID))
    assert conversation.node == "main.menu"
    assert lines[0] == "[chat conversation started]" and GREETING in lines


STOP_SPINNER = {"method": "answerCallbackQuery", "callback_query_id": "2367489120937461823"}


def test_a_pressed_button_is_answered_and_its_menu_shows_the_choice(carer, recorder):
    carer.post(payload("start"))
    recorder.calls.clear()
    response = carer.post(payload("callback_query"))
    # The spinner is stopped by Telegram itself, from the webhook's answer: no call of ours.
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == STOP_SPINNER
    edit, question = recorder.calls
    assert (edit.method, edit.params) == (
        "editMessageText",
        {
            "chat_id": CHAT_ID,
            "message_id": 202,
            "text": "How can we help today?\n\n<i>You chose: Information and advice</i>",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        },
    )
    assert question.method == "sendMessage"
    assert question.text.startswith("What would you like to know?")
    assert ("Money, benefits and bills", "group-money") in question.buttons()


def test_a_deep_link_opens_that_part_of_the_menu(carer, recorder):
    carer.post(payload("start_deep_link"))
    assert texts(recorder.calls) == [
        GREETING,
        "About the Carers Emergency Card: what would you like to do?",
    ]
    assert recorder.calls[-1].buttons() == [
        ("Join the scheme", "join"),
        ("Someone's card says to call us", "activation"),
    ]


def test_an_unknown_deep_link_just_shows_the_menu(carer, recorder):
    calls = carer.start("somewhere-else")
    assert texts(calls) == [GREETING, "How can we help today?"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET.upper()])
def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_stored(carer, recorder, db, secret):
    response = carer.post(payload("start"), secret=secret)
    assert response.status_code == 403
    assert recorder.calls == []
    assert rows(db, Conversation) == rows(db, ProcessedWebhook) == 0


def test_a_repeated_update_is_handled_once(carer, recorder, db):
    update = payload("text")
    carer.start()
    recorder.calls.clear()
    carer.post(update)
    first = list(recorder.calls)
    turns = rows(db, ConversationTurn)
    carer.post(update)
    assert recorder.calls == first  # nothing sent the second time
    assert rows(db, ConversationTurn) == turns
    with db.sessions() as session:
        keys = session.scalars(select(ProcessedWebhook.key)).all()
    assert keys.count(f"{CHAT_ID}:update-745210003") == 1


def test_a_repeated_button_press_is_handled_once_and_its_spinner_still_stopped(carer, recorder):
    carer.post(payload("start"))
    recorder.calls.clear()
    first = carer.post(payload("callback_query"))
    again = carer.post(payload("callback_query"))  # Telegram did not get the first answer
    assert [call.method for call in recorder.calls] == ["editMessageText", "sendMessage"]
    assert first.get_json() == again.get_json() == STOP_SPINNER


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b'{"update_id": ',
        b"[]",
        b"{}",
        b'{"update_id": "seven"}',
        b'{"update_id": 5, "message": {"text": "no chat, no date"}}',
    ],
)
def test_malformed_bodies_get_200_and_change_nothing(carer, recorder, db, body, caplog):
    caplog.set_level(logging.DEBUG, logger="carers_line.telegram")
    response = carer.client.post(
        "/telegram/webhook",
        data=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert recorder.calls == [] and rows(db, Conversation) == 0
    assert any(record.levelno == logging.DEBUG for record in caplog.records)


@pytest.mark.parametrize("name", ["edited_message", "group_message"])
def test_updates_the_bot_does_not_use_get_200_and_no_reply(carer, recorder, db, name):
    response = carer.post(payload(name))
    assert response.status_code == 200
    assert recorder.calls == [] and rows(db, Conversation) == 0


def test_a_sticker_gets_a_kind_word_and_the_conversation_is_untouched(carer, recorder, db):
    carer.start()
    recorder.calls.clear()
    carer.post(payload("sticker"))
    assert [call.text for call in recorder.calls] == [
        "Sorry, I can only read typed messages here. Please type your answer, or tap one of "
        "the buttons."
    ]
    with db.sessions() as session:
        assert session.scalars(select(Conversation.node)).one() == "main.menu"


def test_the_carers_own_contact_is_their_phone_number(carer, recorder, db):
    carer.start()
    carer.press("callback")
    carer.type("Help with a carer's assessment")
    carer.press("no")
    calls = carer.press("yes")
    ask = calls[-1]
    assert ask.text.startswith("What is the best phone number to call you on?")
    assert ask.markup == {
        "keyboard": [[{"text": "Share my number", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    calls = carer.share_contact("447700900123")
    assert [(call.text, call.markup) for call in calls[:2]] == [
        ("Thank you.", {"remove_keyboard": True}),
        ("When would suit you best for our call?", calls[1].markup),
    ]
    assert calls[1].buttons()[-1] == ("Any time is fine", "any")
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
    assert conversation.answers["answers"]["phone"] == "07700900123"


def test_someone_elses_contact_is_not_taken_and_the_carer_is_asked_to_type_it(carer, db):
    carer.start()
    carer.press("callback")
    carer.type("Help with a carer's assessment")
    carer.press("no")
    carer.press("yes")
    calls = carer.share_contact(own=False)
    assert texts(calls) == [
        "That looks like someone else's contact. Please type the phone number you would like "
        'us to use, or tap "Share my number" to send your own.'
    ]
    assert calls[0].markup["keyboard"] == [[{"text": "Share my number", "request_contact": True}]]
    with db.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
    assert conversation.node == "callback.phone"
    assert "phone" not in conversation.answers["answers"]
    assert "7700900456" not in str(conversation.answers)


def test_after_a_phone_number_is_typed_the_share_keyboard_is_taken_away(carer):
    carer.start()
    carer.press("referral")
    carer.press("self")
    carer.press("yes")  # consent
    carer.press("yes")  # over 18
    carer.press("no")  # not paid
    carer.press("now")
    carer.type("Jo Bloggs")
    calls = carer.type("07700 900123")
    thanks, question = calls
    assert (thanks.text, thanks.markup) == ("Thank you.", {"remove_keyboard": True})
    assert question.text.startswith("What's your postcode?")
    assert question.buttons() == [("Skip this question", "skip")]
    calls = carer.press("skip")
    assert all(call.markup != {"remove_keyboard": True} for call in calls)


def test_the_share_keyboard_goes_with_the_next_message_that_has_no_buttons(carer):
    carer.start()
    carer.press("card")
    carer.press("join")
    carer.press("yes")  # consent
    carer.type("Jo Bloggs")
    calls = carer.share_contact("447700900123")
    assert [(call.text, call.markup) for call in calls] == [
        ("What is the first name of the person you look after?", {"remove_keyboard": True})
    ]


def test_what_the_carer_types_is_escaped_in_html(carer, recorder):
    carer.start()
    carer.press("referral")
    carer.press("self")
    carer.press("yes")
    carer.press("yes")
    carer.press("no")
    carer.press("now")
    carer.type("<b>Jo</b> & <i>Sam</i>")
    carer.type("07700 900123")
    for _ in range(3):  # place, relationship, condition
        carer.press("skip")
    carer.press("none")
    carer.press("any_time")
    calls = carer.press("skip_all")
    summary = calls[-2]
    assert summary.text.startswith("Please check what you've told us:")
    assert "Name: &lt;b&gt;Jo&lt;/b&gt; &amp; &lt;i&gt;Sam&lt;/i&gt;" in summary.text
    assert "<b>Jo</b>" not in summary.text


def test_the_webhook_never_answers_5xx_when_the_bot_api_is_down(carer, recorder, db):
    recorder.fail("sendMessage", *[_failure(502)] * 2)
    response = carer.post(payload("start"))
    assert response.status_code == 200
    with db.sessions() as session:
        waiting = session.scalars(select(OutboxMessage.status)).all()
    assert waiting == ["pending", "pending"]


def _failure(status: int):
    from tests.bot.recording import Failure

    return Failure(status, "Bad Gateway")


def test_calls_carry_no_token_or_text_in_the_logs(carer, caplog):
    caplog.set_level(logging.DEBUG)
    carer.start()
    carer.type("my number is 07700 900123 and I'm worried")
    logged = " ".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert "TEST-token" not in logged
    assert "worried" not in logged


def test_a_carer_who_has_not_pressed_start_still_gets_the_menu(carer):
    calls = carer.type("hello")
    assert "How can we help today?" in said(calls)


def test_when_the_menu_cannot_be_edited_the_reply_still_goes(carer, recorder, db):
    carer.post(payload("start"))
    recorder.calls.clear()
    recorder.fail("editMessageText", _failure(502))
    response = carer.post(payload("callback_query"))
    assert [call.method for call in recorder.calls] == ["editMessageText", "sendMessage"]
    assert response.get_json() == STOP_SPINNER
    assert rows(db, OutboxMessage) == 0  # the menu's edit is not worth a retry


def test_a_button_with_no_data_only_has_its_spinner_stopped(carer, recorder, db):
    update = payload("callback_query")
    del update["callback_query"]["data"]
    response = carer.post(update)
    assert response.get_json() == STOP_SPINNER
    assert recorder.calls == [] and rows(db, Conversation) == 0
