"""Replies to TwiML and to texts, one reply kind at a time, checked as XML."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.dialog import (
    Ask,
    End,
    Keyed,
    Menu,
    NoInput,
    Option,
    Record,
    Said,
    Say,
    ShowArticle,
    Transfer,
)
from handlers.profile import load_profile
from ivr.inbound import dial_answered, gather_event, is_opt_out, kept_transcript
from ivr.render import (
    Links,
    Position,
    TextRenderer,
    VoiceRenderer,
    e164,
    plain_text,
    speakable,
    split_message,
    spoken_pieces,
)
from knowledge.base import load_knowledge
from settings import DEFAULT_PROFILE_PATH
from tests.ivr.driver import parse

LINKS = Links("https://line.example.org/carers")


@pytest.fixture(scope="module")
def prompts():
    return load_knowledge(load_profile(DEFAULT_PROFILE_PATH).placeholders()).prompts


@pytest.fixture(scope="module")
def voice(prompts):
    return VoiceRenderer(LINKS, prompts, "Polly.Amy", "en-GB")


MENU = Menu(
    "What would you like? For yes, press 1. For no, press 2.",
    (Option("yes", "If yes", "1"), Option("no", "If no", "2"), Option("skip", "To skip")),
    ("yes", "yeah", "no"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("please call 999.", "please call 9 9 9."),
        ("NHS 111 and choose option 2", "NHS 1 1 1 and choose option 2"),
        ("Samaritans on 116 123, day", "Samaritans on 1 1 6, 1 2 3, day"),
        ("text SHOUT to 85258.", "text SHOUT to 8 5 2 5 8."),
        ("the duty team on 01632 960999.", "the duty team on 0 1 6 3 2, 9 6 0, 9 9 9."),
        ("ending 1 2 3", "ending 1 2 3"),
        ("0 1 6 3 2, 9 6 0, 1 0 0", "0 1 6 3 2, 9 6 0, 1 0 0"),
        ("the 2026 to 2027 tax year", "the 2026 to 2027 tax year"),
        ("£209.34 a week, or £23,250", "£209.34 a week, or £23,250"),
        ("form DS700 by 5pm, aged 18 or over", "form DS700 by 5pm, aged 18 or over"),
        ("12:30pm or 10am", "12:30pm or 10am"),
    ],
)
def test_numbers_are_spoken_as_people_say_them(text, expected):
    assert speakable(text) == expected


def test_long_passages_are_spoken_in_pieces():
    text = " ".join(f"This is sentence number {n} of a long answer." for n in range(20))
    pieces = spoken_pieces(text)
    assert len(pieces) > 2 and all(len(piece) < 300 for piece in pieces)
    assert " ".join(pieces) == text


def test_a_menu_is_a_gather_for_one_key_or_words(voice):
    root = parse(voice.replies((Say("Hello."), MENU), Position(7)))
    say, gather, redirect = list(root)
    assert say.tag == "Say" and say.get("voice") == "Polly.Amy"
    assert gather.tag == "Gather"
    assert gather.get("action") == "https://line.example.org/carers/ivr/step?n=7"
    assert gather.get("input") == "dtmf speech" and gather.get("language") == "en-GB"
    assert gather.get("numDigits") == "1" and gather.get("finishOnKey") == ""
    assert gather.get("actionOnEmptyResult") == "true" and gather.get("speechTimeout") == "auto"
    hints = gather.get("hints", "").split(", ")
    assert hints == ["yes", "yeah", "no", "skip"]  # the labels without "If"/"To", once each
    assert redirect.tag == "Redirect" and redirect.text == gather.get("action")


@pytest.mark.parametrize(
    ("ask", "keys"),
    [
        (Ask("Your number?", "phone", 11), {"finishOnKey": "#", "numDigits": "11"}),
        (Ask("Card number?", "digits", 8, skippable=True), {"finishOnKey": "#", "numDigits": "8"}),
        (Ask("Your name?", "text", skippable=True), {"finishOnKey": "", "numDigits": "1"}),
    ],
)
def test_questions_take_numbers_by_keypad_and_words_by_speech(voice, ask, keys):
    gather = parse(voice.replies((ask,), Position(3))).find("Gather")
    assert gather is not None
    assert {key: gather.get(key) for key in keys} == keys
    assert gather.get("input") == "dtmf speech"
    if ask.expect != "text":
        assert gather.get("hints", "").startswith("$OOV_CLASS_")
        assert int(gather.get("timeout", "0")) >= 10


def test_a_recording_is_followed_by_a_verb_for_silence(voice):
    root = parse(voice.replies((Record("After the tone, please.", 180),), Position(4, 2)))
    tags = [child.tag for child in root]
    assert tags == ["Say", "Record", "Redirect"]
    record = root[1]
    assert record.get("action") == "https://line.example.org/carers/ivr/recording?n=4&q=2"
    assert record.get("maxLength") == "180" and record.get("playBeep") == "true"
    assert record.get("finishOnKey") == "#" and record.get("transcribe") == "true"
    assert record.get("recordingStatusCallbackEvent") == "completed"
    assert root[2].text == "https://line.example.org/carers/ivr/step?n=4&q=2"


def test_a_transfer_rings_one_screened_number_at_a_time(voice):
    transfer = Transfer("Putting you through.", ("07700 900101", "07700 900102"), 20)
    root = parse(voice.replies((transfer,), Position(5)))
    dial = root.find("Dial")
    assert dial is not None and dial.get("timeout") == "20"
    assert dial.get("answerOnBridge") == "true"
    [number] = dial.findall("Number")
    assert number.text == "+447700900101"
    assert number.get("url") == "https://line.example.org/carers/ivr/screen"
    assert dial.get("action") == (
        "https://line.example.org/carers/ivr/dial-result?n=5&then=%2B447700900102&wait=20"
    )
    words = " ".join("".join(say.itertext()) for say in root.iter("Say"))
    assert "Putting you through." in words and "leave a message" in words


def test_a_transfer_with_no_staff_numbers_goes_straight_to_the_result(voice):
    root = parse(voice.replies((Transfer("Putting you through.", ()),), Position(5)))
    assert root.find("Dial") is None
    redirect = root.find("Redirect")
    assert redirect is not None and (redirect.text or "").endswith("/ivr/dial-result?n=5")


def test_the_end_hangs_up(voice):
    root = parse(voice.replies((End("Goodbye."),), Position(9)))
    assert [child.tag for child in root] == ["Say", "Hangup"]


def test_the_screening_waits_for_one_key_and_declines_without_it(voice):
    root = parse(voice.screening)
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1" and gather.get("input") == "dtmf"
    assert gather.get("action") == "https://line.example.org/carers/ivr/screen-result"
    assert root[-1].tag == "Hangup"


def test_voices_without_ssml_get_plain_words(prompts):
    plain = VoiceRenderer(LINKS, prompts, "alice", "en-GB")
    say = parse(plain.replies((End("Goodbye."),), Position(1))).find("Say")
    assert say is not None and say.text == "Goodbye." and say.find("prosody") is None


def test_texts_number_the_choices_and_add_skip(prompts):
    texts = TextRenderer(prompts)
    [message] = texts.messages((MENU,))
    assert message.splitlines()[1:] == [
        "Reply 1 for If yes",
        "Reply 2 for If no",
        'Or reply "To skip"',
    ]
    [ask] = texts.messages((Ask("Your name?", skippable=True),))
    assert ask.endswith("Or reply SKIP to skip this question.")


def test_an_article_text_is_plain(prompts):
    article = ShowArticle(
        "a1",
        "Carer's Allowance",
        "## What it is\n\n**Carer’s Allowance** is money – see [GOV.UK](https://www.gov.uk/ca).",
        (("GOV.UK", "https://www.gov.uk/carers-allowance"),),
        "Sources",
    )
    [message] = TextRenderer(prompts).messages((article,))
    assert message == (
        "Carer's Allowance\n\nWhat it is\n\nCarer's Allowance is money - see GOV.UK "
        "(https://www.gov.uk/ca).\n\nSources\n\n- GOV.UK: https://www.gov.uk/carers-allowance"
    )


def test_long_texts_split_at_paragraphs_then_sentences():
    paragraph = " ".join(["This sentence is about forty characters."] * 30)
    parts = split_message(f"Short first.\n\n{paragraph}\n\nShort last.", limit=500)
    assert all(len(part) <= 500 for part in parts)
    assert parts[0].startswith("Short first.")
    assert all(part.endswith(".") for part in parts)
    assert "".join(parts).replace("\n\n", " ").replace(" ", "") == (
        f"Short first. {paragraph} Short last.".replace(" ", "")
    )
    assert split_message("x" * 1200, limit=500) == ["x" * 500, "x" * 500, "x" * 200]


def test_markdown_becomes_plain_text():
    assert plain_text("* one\n+ two\n> quoted\n__bold__") == "- one\n- two\nquoted\nbold"
    assert plain_text("[https://a.org](https://a.org)") == "https://a.org"


def test_uk_numbers_are_dialled_in_international_form():
    assert e164("07700 900101") == "+447700900101"
    assert e164("+44 1632 960100") == "+441632960100"
    assert e164("+1 415 555 0100") is None


@pytest.mark.parametrize(
    ("params", "event"),
    [
        ({"Digits": "4"}, Keyed("4")),
        ({"Digits": "*"}, Keyed("*")),
        ({"Digits": "hangup"}, NoInput()),
        ({"SpeechResult": "  carers  allowance "}, Said("carers allowance")),
        ({"Digits": "", "SpeechResult": ""}, NoInput()),
        ({}, NoInput()),
    ],
)
def test_gather_parameters_become_events(params, event):
    assert gather_event(params) == event


@pytest.mark.parametrize(
    ("params", "answered"),
    [
        ({"DialCallStatus": "completed", "DialBridged": "true"}, True),
        ({"DialCallStatus": "completed"}, True),
        ({"DialCallStatus": "completed", "DialBridged": "false"}, False),
        ({"DialCallStatus": "no-answer"}, False),
        ({"DialCallStatus": "busy"}, False),
        ({"DialCallStatus": "failed"}, False),
        ({"DialCallStatus": "canceled"}, False),
        ({}, False),
    ],
)
def test_only_a_bridged_dial_counts_as_answered(params, answered):
    assert dial_answered(params) is answered


def test_opt_out_words_and_transcripts():
    assert is_opt_out({"Body": "Stop"}) and is_opt_out({"Body": " unsubscribe! "})
    assert is_opt_out({"Body": "x", "OptOutType": "STOP"})
    assert not is_opt_out({"Body": "please stop the visits"})
    at = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    failed = kept_transcript({"RecordingSid": "RE1", "TranscriptionStatus": "failed"}, at)
    assert failed is not None and failed.text is None and failed.status == "failed"
    assert kept_transcript({}, at) is None
