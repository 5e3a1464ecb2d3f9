"""Text messages: the same conversations as chat, through Twilio's Messaging webhook."""

from __future__ import annotations

import re

from store.models import Callback, Conversation, ConversationTurn


def test_a_callback_arranged_by_text(texter, rows):
    texter.send("Hello")
    assert "Westshire Carers Line" in texter.last
    assert "Reply 4 for Ask us to call you back" in texter.last
    texter.send("4")  # typed digits choose
    assert "reply SKIP" in texter.last
    texter.send("My dad has just come out of hospital")
    assert "Reply 1 for Yes" in texter.last and "Reply 2 for No" in texter.last
    texter.send("2")
    texter.send("yes")
    assert "ending 1 2 3" in texter.last  # the number they text from, offered first
    texter.send("1")
    texter.send("1")  # the first window
    texter.send("1")  # that is right
    [callback] = rows(Callback)
    assert callback.channel == "sms" and callback.phone == "07700900123"
    assert callback.reason == "My dad has just come out of hospital"
    assert callback.reference in texter.last
    [conversation] = rows(Conversation)
    assert conversation.external_id == "+447700900123"


def test_an_article_arrives_as_plain_texts_split_at_sensible_places(texter):
    texter.send("Hi")
    texter.send("1")
    texts = texter.send("how do I claim carer's allowance")
    assert len(texts) >= 2
    assert all(len(text) <= 1500 for text in texts)
    assert all(text == text.strip() and text for text in texts)
    whole = "\n\n".join(texts)
    assert "**" not in whole and "##" not in whole and "](" not in whole
    assert not re.search(r"[\u2018\u2019\u201c\u201d\u2013\u2014]", whole)
    assert "https://" in whole  # the sources, as plain addresses
    for text in texts[:-1]:
        assert text.endswith((".", ":", "?", "!", ")")), text[-40:]


def test_crisis_words_in_a_first_text_are_not_lost_in_the_greeting(texter, rows):
    texter.send("I can't cope any more, I want to end it all")
    assert "Westshire Carers Line" in texter.last
    assert "999" in texter.last and "116 123" in texter.last
    lines = [turn.text for turn in rows(ConversationTurn, direction="in")]
    assert "I can't cope any more, I want to end it all" in lines


def test_a_first_text_that_asks_for_something_is_acted_on(texter):
    texter.send("callback please")
    assert "what would you like to talk to us about" in texter.last


def test_a_retried_text_gets_the_same_answer(texter, rows):
    first = texter.send("Hello", message_sid="SM" + "1" * 32)
    again = texter.send("Hello", message_sid="SM" + "1" * 32)
    assert first == again
    second = texter.send("4", message_sid="SM" + "2" * 32)
    assert texter.send("4", message_sid="SM" + "2" * 32) == second
    assert [turn.text for turn in rows(ConversationTurn, direction="in")].count("4") == 1


def test_stop_ends_the_conversation_without_a_reply(texter, rows):
    texter.send("Hello")
    texter.send("4")
    assert texter.send("STOP") == []
    [conversation] = rows(Conversation)
    assert conversation.ended_reason == "hung_up"


def test_a_picture_without_words_is_treated_as_saying_nothing(texter):
    texter.send("Hello")
    texts = texter.send("")
    assert "didn't get anything" in texts[0]
