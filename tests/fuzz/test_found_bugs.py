"""The bugs the fuzzing found, each pinned by one plain example (written before its fix)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app import MAX_REQUEST_BYTES
from bot.security import SECRET_HEADER
from ivr.views import BadRequestError
from tests.bot.conftest import SECRET
from tests.fuzz.conftest import no_errors_logged
from tests.ivr.driver import BASE_URL, Call, Texter, payload


def test_a_nul_character_in_a_text_is_dropped_not_a_database_error(twilio, db):
    # PostgreSQL text cannot hold NUL: the text went to the fail-safe instead of the dialog.
    with no_errors_logged():
        replies = Texter(twilio, sender="+447700900123\x00").send("call me\x00 back")
    assert replies and "something went wrong" not in " ".join(replies).lower()


def test_control_characters_in_speech_never_break_the_twiml(twilio):
    call = Call(twilio).start()
    call.say("help with \x01money\x0b", confidence=0.1)  # read back: "Did you say ...?"
    assert call.last.tag == "Response"
    assert "\x01" not in ET.tostring(call.last, encoding="unicode")


def test_a_huge_signed_twilio_body_is_413_not_403(twilio):
    form = {**payload("voice_incoming"), "SpeechResult": "x" * (MAX_REQUEST_BYTES + 1)}
    assert twilio.post(f"{BASE_URL}/ivr/step?n=1", form).status_code == 413


def test_a_console_id_beyond_the_database_integer_is_404(browser):
    for path in ("/console/callbacks/2147483648", "/console/cards/9223372036854775808"):
        with no_errors_logged():
            assert browser.get(path).status_code == 404


def test_page_numbers_and_ids_in_the_query_beyond_any_row_are_not_errors(browser):
    huge = "9" * 30
    for path in (
        f"/console/?page={huge}",
        f"/console/follow-ups?page={huge}",
        f"/console/audit?page={huge}&subject_id={huge}&staff_id={huge}",
        f"/console/cards/1?item={huge}",
        f"/console/cards/1/plan?item={huge}",
    ):
        with no_errors_logged():
            assert browser.get(path).status_code < 500, path


def test_an_absurdly_long_sender_or_call_id_is_ignored_not_a_database_error(twilio):
    # conversations.external_id holds 128 characters: PostgreSQL refused the row.
    with no_errors_logged(BadRequestError):
        replies = Texter(twilio, sender="+44" + "7" * 300).send("hello")
        call = twilio.post(
            f"{BASE_URL}/ivr/voice", {**payload("voice_incoming"), "CallSid": "CA" * 100}
        )
    assert replies == []
    assert ET.fromstring(call.get_data()).tag == "Response"


def test_a_step_number_in_other_digits_is_refused_quietly(twilio):
    # "²".isdigit() is true but int("²") fails: the fail-safe was logged as a failure.
    for query in ("n=%C2%B2", "n=1&q=%C2%B2", "n=1&then=%2B447700900101&wait=%C2%B2"):
        form = {**payload("voice_incoming"), "DialCallStatus": "no-answer"}
        with no_errors_logged(BadRequestError):
            for path in ("/ivr/step", "/ivr/dial-result"):
                response = twilio.post(f"{BASE_URL}{path}?{query}", form)
                assert ET.fromstring(response.get_data()).tag == "Response"


def test_telegram_updates_without_a_chat_are_ignored(app):
    message = {"message_id": 1, "date": 0, "text": "hello"}
    button = {"id": "9", "chat_instance": "1", "data": "menu", "message": message}
    for update in (
        {"update_id": 1, "message": message},
        {"update_id": 2, "callback_query": button},
    ):
        with no_errors_logged():
            response = app.test_client().post(
                "/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}
            )
        assert response.status_code == 200
