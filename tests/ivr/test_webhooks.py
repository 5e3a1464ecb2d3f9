"""The phone line's guarantees: signatures, retries, and a fail-safe answer whatever breaks.

- A forged, missing or misplaced signature gets 403 and stores nothing.
- A retried webhook gets byte-identical TwiML and creates no second record.
- An exception anywhere, or the database being down, still gets 200 and the fail-safe TwiML:
  the emergency numbers, then a message that is kept (in the database, or spooled to disk and
  imported by the clock once the database is back).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest
from flask import Flask

import handlers.service
import ivr.render
from handlers.jobs import import_spool
from ivr.spool import FileSpool
from ivr.views import PhoneLine, blueprint
from store.database import make_engine
from store.models import (
    AuditEvent,
    Callback,
    Conversation,
    ConversationTurn,
    OutboxMessage,
    Voicemail,
)
from store.voicemails import SqlVoicemails
from tests.ivr.driver import BASE_URL, Call, Twilio, parse, payload, spoken

DEAD_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def voice_params(**extra: str) -> dict[str, str]:
    return {**payload("voice_incoming"), **extra}


def assert_fail_safe(root: ET.Element) -> None:
    """Apology and emergency numbers, then a <Record> for a message, then a goodbye."""
    verbs = [child.tag for child in root]
    record = verbs.index("Record")
    words = " ".join(spoken(say) for say in root.iter("Say"))
    assert "9 9 9" in words and "1 1 1" in words and "1 1 6, 1 2 3" in words
    assert "0 1 6 3 2, 9 6 0, 9 9 9" in words  # the out-of-hours duty team
    assert all(tag in ("Say", "Pause") for tag in verbs[:record])
    action = root[record].get("action", "")
    assert action == f"{BASE_URL}/ivr/failsafe-recording"
    assert verbs[record + 1 :][-1] == "Hangup"  # an empty recording: the goodbye, then hang up


# -- signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    ["", "not-a-signature", "forged"],
    ids=["missing", "garbage", "signed-with-another-token"],
)
def test_unsigned_or_forged_webhooks_are_refused_and_store_nothing(twilio, rows, signature):
    url, params = twilio.url("/ivr/voice"), voice_params()
    if signature == "forged":
        signature = Twilio(twilio.client, token="someone-else").validator.compute_signature(
            url, params
        )
    response = twilio.post(url, params, signature=signature)
    assert response.status_code == 403
    assert rows(Conversation) == [] and rows(ConversationTurn) == []


def test_the_signature_covers_the_public_url_and_every_parameter(twilio, rows):
    params = voice_params()
    internal = "http://localhost/ivr/voice"  # what this process sees behind a proxy
    signature = twilio.validator.compute_signature(internal, params)
    assert twilio.post(twilio.url("/ivr/voice"), params, signature=signature).status_code == 403
    signed = twilio.validator.compute_signature(twilio.url("/ivr/step?n=1"), params)
    tampered = twilio.post(twilio.url("/ivr/step?n=2"), params, signature=signed)
    assert tampered.status_code == 403
    changed = twilio.validator.compute_signature(twilio.url("/ivr/voice"), params)
    forged_caller = twilio.post(
        twilio.url("/ivr/voice"), {**params, "From": "+447700900999"}, signature=changed
    )
    assert forged_caller.status_code == 403
    assert rows(Conversation) == []
    ok = twilio.post(twilio.url("/ivr/voice"), params)  # the test client's host is not public
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/ivr/step?n=1",
        "/ivr/recording?n=1",
        "/ivr/dial-result?n=1",
        "/ivr/status",
        "/ivr/transcription",
        "/ivr/recording-status",
        "/ivr/failsafe-recording",
        "/ivr/fallback",
        "/ivr/screen",
        "/sms/incoming",
    ],
)
def test_every_route_checks_the_signature(twilio, rows, path):
    response = twilio.post(twilio.url(path), voice_params(RecordingSid="RE1"), signature="x")
    assert response.status_code == 403
    assert rows(Voicemail) == [] and rows(Conversation) == []


def test_without_an_auth_token_every_webhook_is_refused_with_a_warning(app, caplog):
    runtime = app.extensions["carers_line"]
    bare = Flask(__name__)
    bare.register_blueprint(
        blueprint(
            runtime.dialog,
            PhoneLine(public_base_url=BASE_URL, auth_token=None),
            SqlVoicemails(runtime.sessions),
            FileSpool(runtime.settings.spool_dir),
        )
    )
    caplog.set_level(logging.WARNING, logger="carers_line.ivr.security")
    twilio = Twilio(bare.test_client())
    assert twilio.post(twilio.url("/ivr/voice"), voice_params()).status_code == 403
    assert any("TWILIO_AUTH_TOKEN" in record.getMessage() for record in caplog.records)


def test_without_twilio_the_app_says_the_phone_line_is_off(settings, clock, caplog):
    from app import create_app

    caplog.set_level(logging.WARNING, logger="carers_line.web")
    create_app(settings, clock=clock)
    assert any("carers-line call" in record.getMessage() for record in caplog.records)


# -- retries --------------------------------------------------------------------------------


def test_a_retried_step_gets_the_same_twiml_and_records_nothing_twice(call, twilio, rows):
    c = call()
    c.press("4")
    c.say("help with my mum's care")
    c.press("2")
    c.press("1")
    c.press("1")
    c.press("1")
    confirm = c.waiting
    assert confirm is not None
    params = {**c.params, "Digits": "1", "FinishedOnKey": "", "msg": "Gather End"}
    first = twilio.post(confirm.get("action"), params)
    again = twilio.post(confirm.get("action"), params)
    assert first.status_code == again.status_code == 200
    assert first.get_data() == again.get_data()
    assert len(rows(Callback)) == 1
    turns = rows(ConversationTurn, direction="in")
    assert [t.text for t in turns].count("[pressed 1]") == 4  # the retry was not a new input


def test_a_retried_call_start_and_status_callback_change_nothing(twilio, rows):
    params = voice_params()
    first = twilio.post(twilio.url("/ivr/voice"), params)
    again = twilio.post(twilio.url("/ivr/voice"), params)
    assert first.get_data() == again.get_data()
    status = {**payload("status_callback"), "CallSid": params["CallSid"]}
    for _ in range(2):
        assert twilio.post(twilio.url("/ivr/status"), status).status_code == 200
    [conversation] = rows(Conversation)
    assert conversation.ended_reason == "hung_up"
    assert [t.text for t in rows(ConversationTurn, direction="in")].count("[hung up]") == 1


def test_dial_results_are_idempotent(call, twilio, rows):
    c = call()
    c.press("5")
    dial = c.waiting
    assert dial is not None
    params = {**c.params, "DialCallStatus": "no-answer", "DialBridged": "false"}
    first = twilio.post(dial.get("action"), params)
    assert first.get_data() == twilio.post(dial.get("action"), params).get_data()
    number = parse(first.get_data(as_text=True)).find("Dial/Number")
    assert number is not None and number.text == "+447700900102"


def test_transcripts_and_recording_status_are_kept_once(call, rows):
    c = call()
    c.press("5")
    c.staff_miss()
    c.staff_miss()
    c.record(30, transcript="It's about my wife's respite.")
    c.press("1")
    [voicemail] = rows(Voicemail)
    assert voicemail.transcript is None
    callbacks = list(c.pending_callbacks)
    c.deliver_callbacks()
    c.pending_callbacks.extend(callbacks)
    c.deliver_callbacks()  # Twilio sent them twice
    [voicemail] = rows(Voicemail)
    assert voicemail.transcript == "It's about my wife's respite."
    assert voicemail.transcript_status == "completed" and voicemail.duration_seconds == 30


# -- the fail-safe --------------------------------------------------------------------------


def test_an_exception_in_the_core_gives_the_fail_safe_and_keeps_the_message(
    call, twilio, rows, monkeypatch
):
    c = call()

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(handlers.service, "step", broken)
    c.press("4")
    assert_fail_safe(c.last)
    [turn] = [t for t in rows(ConversationTurn) if t.node == "failed"]
    assert turn.text == "[pressed 4]"  # the core kept what the caller did
    c.record(40)
    assert c.ended and "call you back within two working days" in c.text
    [voicemail] = rows(Voicemail)
    [callback] = rows(Callback)
    assert voicemail.recording_sid == c.recordings[0] and voicemail.duration_seconds == 40
    assert callback.voicemail_id == voicemail.id and callback.kind == "voicemail"
    assert callback.phone == "07700900123" and callback.consent_at is not None
    assert callback.consent_wording_version.startswith("phone_failsafe_record:")
    [audit] = rows(AuditEvent, subject_type="callback")
    assert audit.detail["via"] == "fail-safe"
    action = f"{BASE_URL}/ivr/failsafe-recording"
    params = {**c.params, "RecordingSid": c.recordings[0], "RecordingDuration": "40"}
    twilio.post(action, params)  # Twilio retried the action
    assert len(rows(Callback)) == 1


def test_an_exception_while_rendering_gives_the_fail_safe(twilio, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("cannot render")

    monkeypatch.setattr(ivr.render.VoiceRenderer, "replies", broken)
    response = twilio.post(twilio.url("/ivr/voice"), voice_params())
    assert response.status_code == 200
    assert_fail_safe(parse(response.get_data(as_text=True)))


def test_silence_at_the_fail_safe_says_goodbye(twilio, rows):
    response = twilio.post(twilio.url("/ivr/fallback"), {**voice_params(), **payload("fallback")})
    root = parse(response.get_data(as_text=True))
    assert_fail_safe(root)
    c = Call(twilio)
    c._run(list(root))
    c.silence()
    assert c.ended and "did not hear a message" in c.text
    assert rows(Voicemail) == []


@pytest.fixture
def down(phone_settings, clock):
    """The app with its database unreachable."""
    from app import create_app

    engine = make_engine(DEAD_DATABASE, pool_pre_ping=False)
    return create_app(phone_settings, clock=clock, engine=engine)


def test_with_the_database_down_messages_are_spooled_then_imported_once(
    down, db, phone_settings, rows, caplog
):
    caplog.set_level(logging.CRITICAL)
    c = Call(Twilio(down.test_client())).start()
    assert_fail_safe(c.last)
    c.record(55, transcript="My name is Jean, please call me about my husband.")
    assert c.ended and "call you back" in c.text
    c.deliver_callbacks()  # the transcript is spooled too

    spool = FileSpool(phone_settings.spool_dir)
    assert spool.path.exists() and spool.path.stat().st_mode & 0o077 == 0
    voicemails = SqlVoicemails(db.sessions)
    due_by = down.extensions["carers_line"].due_by
    report = import_spool(spool, voicemails, due_by)
    assert (report.messages, report.transcripts) == (1, 1)
    [voicemail] = rows(Voicemail)
    assert voicemail.recording_sid == c.recordings[0] and voicemail.call_sid == c.call_sid
    assert voicemail.transcript == "My name is Jean, please call me about my husband."
    [callback] = rows(Callback)
    assert callback.phone == "07700900123" and callback.voicemail_id == voicemail.id
    assert callback.due_by == due_by.callback(voicemail.received_at)
    assert import_spool(spool, voicemails, due_by).messages == 0  # nothing left, nothing twice


def test_with_the_database_down_a_recorded_answerphone_message_is_not_lost(
    app, down, db, phone_settings, rows
):
    c = Call(Twilio(app.test_client())).start()  # the line works, then the database goes
    c.press("5")
    c.staff_miss()
    c.staff_miss()
    c.twilio = Twilio(down.test_client())
    c.record(25)
    assert c.ended and "call you back" in c.text
    assert rows(Voicemail) == []
    import_spool(
        FileSpool(phone_settings.spool_dir),
        SqlVoicemails(db.sessions),
        app.extensions["carers_line"].due_by,
    )
    [voicemail] = rows(Voicemail)
    assert voicemail.recording_sid == c.recordings[0]
    [callback] = rows(Callback)
    assert callback.consent_wording_version.startswith("answerphone_record:")


def test_with_the_database_down_texts_get_the_emergency_numbers(down):
    from tests.ivr.driver import Texter

    [text] = Texter(Twilio(down.test_client())).send("Hello")
    assert "999" in text and "116 123" in text and "01632 960999" in text


def test_status_callbacks_for_unknown_or_finished_calls_change_nothing(twilio, rows):
    status = {**payload("status_callback"), "CallSid": "CA" + "0" * 32}
    assert twilio.post(twilio.url("/ivr/status"), status).status_code == 200
    assert rows(Conversation) == []
    no_sid = {key: value for key, value in status.items() if key != "CallSid"}
    assert twilio.post(twilio.url("/ivr/status"), no_sid).status_code == 200


def test_nothing_is_texted_when_the_caller_says_no(call, rows):
    c = call()
    c.press("4")
    c.press("#")
    c.press("2")
    c.press("1")
    c.press("1")
    c.press("1")
    c.press("1")
    c.say("no thanks")
    assert rows(OutboxMessage) == []
    assert "anything else" in c.text
