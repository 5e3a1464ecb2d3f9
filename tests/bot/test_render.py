"""Laying out the core's replies for Telegram: escaping, keyboards, long articles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.render import MAX_MESSAGE_CHARACTERS, article_chunks, format_text, render
from handlers.dialog import Ask, End, Menu, Option, Say, ShowArticle
from handlers.profile import load_profile
from knowledge.base import KnowledgeBase, load_knowledge
from settings import DEFAULT_PROFILE_PATH

CALLBACK_DATA_BYTES = 64


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge(load_profile(Path(DEFAULT_PROFILE_PATH)).placeholders())


@pytest.fixture(scope="module")
def words(knowledge):
    return knowledge.prompts


def balanced(text: str) -> bool:
    tags = re.findall(r"<(/?)(b|i|a)\b[^>]*>", text)
    depth: list[str] = []
    for closing, name in tags:
        if closing:
            if not depth or depth.pop() != name:
                return False
        else:
            depth.append(name)
    return not depth


def test_text_is_escaped_for_html(words):
    [message] = render((Say('Tom & Jerry <script>alert("x")</script>'),), words)
    assert message == {
        "text": 'Tom &amp; Jerry &lt;script&gt;alert("x")&lt;/script&gt;',
        "parse_mode": "HTML",
    }


def test_bold_and_list_items_become_html_and_line_breaks_stay():
    assert format_text("**Call 999.**\n\n- **Samaritans**: 116 123\n- a < b") == (
        "<b>Call 999.</b>\n\n• <b>Samaritans</b>: 116 123\n• a &lt; b"
    )


def test_a_menu_is_an_inline_keyboard_of_option_ids(words):
    menu = Menu("Pick <one>", (Option("yes", "Yes & more", "1"), Option("no", "No", "2")))
    [message] = render((menu,), words)
    assert message["text"] == "Pick &lt;one&gt;"
    assert message["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes & more", "callback_data": "yes"}],
            [{"text": "No", "callback_data": "no"}],
        ]
    }


def test_a_skippable_question_has_a_skip_button(words):
    [message] = render((Ask("Your postcode?", skippable=True),), words)
    assert message["reply_markup"] == {
        "inline_keyboard": [[{"text": "Skip this question", "callback_data": "skip"}]]
    }


def test_a_phone_question_offers_to_share_the_number(words):
    [message] = render((Ask("Your number?", "phone", 11),), words)
    assert message["reply_markup"] == {
        "keyboard": [[{"text": "Share my number", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }


def test_a_showing_share_keyboard_goes_with_the_first_plain_message(words):
    menu = Menu("Next?", (Option("a", "A"),))
    messages = render((menu, Say("Thanks"), End("Bye")), words, keyboard_showing=True)
    assert [m.get("reply_markup") for m in messages] == [
        messages[0]["reply_markup"],
        {"remove_keyboard": True},
        None,
    ]


def test_with_only_buttons_to_send_a_short_thank_you_takes_the_keyboard_away(words):
    messages = render((Ask("Postcode?", skippable=True),), words, keyboard_showing=True)
    assert [(m["text"], m["reply_markup"]) for m in messages] == [
        ("Thank you.", {"remove_keyboard": True}),
        ("Postcode?", messages[1]["reply_markup"]),
    ]


def test_asking_for_the_number_again_keeps_the_keyboard(words):
    replies = (Say("That doesn't look right."), Ask("Your number?", "phone", 11))
    messages = render(replies, words, keyboard_showing=True)
    assert "remove_keyboard" not in str(messages)


def test_a_long_article_is_split_between_paragraphs(words):
    paragraphs = [
        f"Paragraph {n}. " + " ".join(["Some **plain** words & more."] * 25) for n in range(30)
    ]
    body = "\n\n".join(["## Heading one", *paragraphs[:15], "## Heading two", *paragraphs[15:]])
    article = ShowArticle(
        "long",
        "A long <title>",
        body,
        (("A source & more", "https://example.org/a?b=1&c=2"),),
        "Where this comes from:\nChecked on 1 May 2026.",
    )
    messages = render((article,), words)
    assert len(messages) > 2
    for message in messages:
        assert len(message["text"]) <= MAX_MESSAGE_CHARACTERS
        assert balanced(message["text"])
        assert message["parse_mode"] == "HTML"
    joined = "\n\n".join(message["text"] for message in messages)
    assert joined.startswith("<b>A long &lt;title&gt;</b>\n\n<b>Heading one</b>")
    whole = [
        f"Paragraph {n}. " + " ".join(["Some <b>plain</b> words &amp; more."] * 25)
        for n in range(30)
    ]
    for message in messages:  # every message holds whole paragraphs only
        for block in message["text"].split("\n\n"):
            assert block in whole or block.startswith(("<b>", "Where this comes from:")), block
    assert [block for block in joined.split("\n\n") if block in whole] == whole
    assert joined.endswith(
        'Where this comes from:\n• <a href="https://example.org/a?b=1&amp;c=2">A source &amp; '
        "more</a>\nChecked on 1 May 2026."
    )


def test_a_paragraph_longer_than_a_message_is_cut_between_words():
    article = ShowArticle("huge", "Huge", " ".join(["word"] * 3000), (), "")
    chunks = article_chunks(article)
    assert chunks[0] == "<b>Huge</b>" and len(chunks) > 3
    assert all(len(chunk) <= MAX_MESSAGE_CHARACTERS for chunk in chunks)
    assert sum(chunk.count("word") for chunk in chunks) == 3000


def test_wrapped_lines_are_joined_and_list_items_kept_apart():
    article = ShowArticle(
        "a",
        "T",
        "First line\nsecond line.\n\n## Ready\n- one\n  continued\n- two\n1. first\n2. second",
        (),
        "",
    )
    [chunk] = article_chunks(article)
    assert chunk == (
        "<b>T</b>\n\nFirst line second line.\n\n<b>Ready</b>\n• one continued\n• two\n"
        "1. first\n2. second"
    )


def test_every_article_fits_in_one_message_or_splits_cleanly(knowledge):
    for article in knowledge.articles.values():
        shown = ShowArticle(
            article.id,
            article.title,
            article.body,
            tuple((source.title, source.url) for source in article.sources),
            "Where this comes from:\nChecked on 1 May 2026.",
        )
        for chunk in article_chunks(shown):
            assert len(chunk) <= MAX_MESSAGE_CHARACTERS and balanced(chunk), article.id
            assert "**" not in chunk and "\n## " not in chunk, article.id


def test_every_button_the_core_can_offer_fits_telegrams_callback_data(knowledge):
    """Telegram refuses callback data over 64 bytes: article, topic and slot ids must fit."""
    ids = [*knowledge.articles, *(topic.id for topic in knowledge.topics.topics)]
    ids += [f"group-{group}" for group in knowledge.topics.groups]
    ids.append("slot-2026-11-23T11:00:00+00:00")
    too_long = [value for value in ids if len(value.encode()) > CALLBACK_DATA_BYTES]
    assert too_long == []


def test_words_too_long_for_one_message_are_split_and_the_buttons_come_last(words):
    text = "\n\n".join(f"Part {n}. " + "A long sentence about help. " * 30 for n in range(8))
    messages = render((Menu(text, (Option("yes", "Yes"),)),), words)
    assert len(messages) > 1
    assert all(len(message["text"]) <= MAX_MESSAGE_CHARACTERS for message in messages)
    assert ["reply_markup" in message for message in messages] == [False] * (len(messages) - 1) + [
        True
    ]
    assert "\n\n".join(message["text"] for message in messages) == text


def test_no_button_of_the_core_is_mistaken_for_a_chat_command(knowledge):
    """/help, /privacy and /forget arrive as buttons would (``Chose``): no option may share them."""
    from handlers.flows import all_nodes
    from handlers.flows.nodes import MenuNode

    nodes = all_nodes()
    commands = {node.entry for node in nodes.values() if node.entry}
    assert commands == {"help", "privacy", "forget"}
    options = {
        choice.id
        for node in nodes.values()
        if isinstance(node, MenuNode)
        for choice in node._choices
    }
    options |= set(knowledge.articles) | {topic.id for topic in knowledge.topics.topics}
    assert options and not commands & options
