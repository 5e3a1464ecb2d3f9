"""Whole phone calls through the Twilio adapter, every flow, as Twilio would place them.

Each test is a call from ring to hang-up: signed webhooks, Twilio's parameters, TwiML followed
verb by verb (see ``tests/ivr/driver.py``), then the rows the call left in the database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from app import create_app
from handlers.cards import with_check_digit
from handlers.hours import DueByRules, WorkingCalendar
from store.models import (
    ArticleFeedback,
    Callback,
    CardActivation,
    Conversation,
    ConversationTurn,
    EmergencyCard,
    EmergencyCardRequest,
    OutboxMessage,
    Referral,
    Voicemail,
)
from tests.conftest import london
from tests.ivr.driver import Call, Twilio, spoken

STAFF = ["+447700900101", "+447700900102"]


def gather(call: Call):
    assert call.waiting is not None and call.waiting.tag == "Gather", call.text
    return call.waiting


def due(app, received: datetime) -> datetime:
    profile = app.extensions["carers_line"].profile
    return DueByRules(WorkingCalendar(profile)).callback(received)


def test_information_by_keypad(call, rows):
    c = call()
    assert "Westshire Carers Line" in c.text
    menu = gather(c)
    assert menu.get("input") == "dtmf speech" and menu.get("language") == "en-GB"
    assert menu.get("numDigits") == "1" and menu.get("actionOnEmptyResult") == "true"
    assert "information" in menu.get("hints", "")
    assert c.last.find("Redirect") is not None  # Twilio's fall-through still reaches the core

    c.press("1")  # information
    c.press("1")  # the first subject
    while "Did that help" not in c.text:  # topics, then articles, until an answer is read
        c.press("1")
    summary = c.text
    assert len(summary) > 100
    c.press("1")  # it helped
    [feedback] = rows(ArticleFeedback)
    assert feedback.helped is True and feedback.channel == "voice"

    c.press("1")  # send it by text
    assert "ending 1 2 3" in c.text  # the caller's own number, never read out whole
    c.press("1")
    [text] = rows(OutboxMessage)
    assert text.channel == "sms" and text.recipient == "07700900123"
    assert "Read more: https://" in text.payload["text"]  # the short form and its source
    c.press("4")  # main menu
    assert "press 1" in c.text
    c.hang_up()
    [conversation] = rows(Conversation)
    assert conversation.channel == "voice" and conversation.external_id == c.call_sid
    assert conversation.ended_at is not None


def test_information_by_speech_only(call, rows):
    c = call()
    c.say("information please")
    c.say("how do I claim carer's allowance")
    assert "Carer's Allowance" in c.text or "Carers Allowance" in c.text
    assert "Did that help" in c.text
    c.say("yes it did")
    [feedback] = rows(ArticleFeedback)
    assert feedback.helped is True
    c.say("main menu")
    assert "How can we help" in c.text
    c.hang_up()
    lines = [turn.text for turn in rows(ConversationTurn, direction="in")]
    assert "how do I claim carer's allowance" in lines


def test_low_confidence_speech_is_checked_before_it_is_used(call, rows):
    c = call()
    c.press("4")  # call back: what is it about?
    c.say("respite for my mum", confidence=0.31)
    confirm = gather(c)
    assert "/ivr/confirm" in confirm.get("action", "")
    assert "respite for my mum" in c.text and "press 1" in c.text
    c.press("2")  # no: the question again
    assert "Sorry about that" in c.text and "what would you like to talk to us about" in c.text
    c.say("respite for my mother", confidence=0.38)
    c.say("yes")  # that is right
    assert "at risk" in c.text  # the callback flow moved on with the confirmed words
    c.press("2")
    c.press("1")
    c.press("1")
    c.press("5")  # any time
    c.press("1")  # that is right
    [callback] = rows(Callback)
    assert callback.reason == "respite for my mother"


def test_referral_with_a_text_confirmation(app, call, rows):
    c = call()
    c.press("2")
    c.say("I'd like to refer myself")
    c.press("1")  # consent
    c.say("yes I am")  # over 18
    c.say("no I'm not")  # not paid
    c.press("1")  # still caring
    c.say("Jane Smith", confidence=0.87)
    c.press("1")  # the number I am calling from
    c.say("CH41 5AB")
    c.press("3")  # my parent
    c.say("dementia")
    c.press("7")  # no communication needs
    c.say("in the afternoon")
    c.press("2")  # skip the monitoring questions
    assert "Is that right" in c.text
    c.press("1")
    [referral] = rows(Referral)
    assert referral.channel == "voice" and referral.source == "self"
    assert " ".join(referral.reference.replace("-", "")) in c.text
    assert "text message" in c.text and "ending 1 2 3" in c.text
    c.press("1")  # yes, text me
    [text] = rows(OutboxMessage)
    assert text.recipient == "07700900123" and referral.reference in text.payload["text"]
    assert "by 5pm on Wednesday 25 November" in text.payload["text"]
    c.press("2")  # nothing else
    assert c.ended and "Goodbye" in c.text
    [conversation] = rows(Conversation)
    assert conversation.ended_reason == "finished"  # the status callback changes nothing
    [callback] = rows(Callback)
    assert callback.kind == "referral" and callback.referral_id == referral.id


def test_emergency_card_request(call, rows):
    c = call()
    c.press("3")
    c.press("1")  # join the scheme
    c.press("1")  # consent
    c.say("Jane Smith")
    c.press("1")  # my own number
    c.say("Tom")
    c.say("He needs help with his tablets and his meals")
    c.say("Sam Smith")
    c.say("son")
    contact = gather(c)
    assert contact.get("finishOnKey") == "#" and contact.get("numDigits") == "11"
    c.press("07700900456")
    c.press("1")  # Sam has agreed
    c.press("2")  # no more contacts
    c.press("1")  # the details are right
    [request] = rows(EmergencyCardRequest)
    assert request.channel == "voice" and request.cared_for_name == "Tom"
    assert request.contacts == [
        {"name": "Sam Smith", "relationship": "son", "phone": "07700900456"}
    ]
    c.press("3")  # finish
    assert c.ended


def test_emergency_card_activation_tries_each_staff_member_then_gives_the_duty_number(
    db, call, rows
):
    number = with_check_digit("1234567")
    with db.sessions.begin() as session:
        session.add(
            EmergencyCard(
                number=number,
                contacts=[{"name": "Sam", "relationship": "son", "phone": "07700900456"}],
                issued_at=london("2026-10-01T12:00"),
            )
        )
    c = call()
    c.press("3")
    c.press("2")  # a card is being used
    assert "999" not in c.text and "9 9 9" in c.text  # spoken digit by digit
    keypad = gather(c)
    assert keypad.get("finishOnKey") == "#" and keypad.get("numDigits") == "8"
    c.press(number)
    [activation] = rows(CardActivation)
    assert activation.number_given == number and activation.card_id is not None
    dial = c.waiting
    assert dial is not None and dial.tag == "Dial"
    assert dial.get("answerOnBridge") == "true" and dial.get("timeout") == "25"
    c.staff_miss("no-answer")
    assert "Still trying" in c.text
    c.staff_miss("busy")
    assert c.dialled == STAFF
    assert "0 1 6 3 2, 9 6 0, 9 9 9" in c.text  # the duty number
    texts = rows(OutboxMessage)
    assert {text.recipient for text in texts} == {"07700900456", "01632960999"}
    [callback] = rows(Callback)
    assert callback.kind == "card_activation" and callback.urgency == "urgent"
    c.press("3")
    assert c.ended


def test_callback_request_without_a_text(app, clock, call, rows):
    c = call()
    c.press("4")
    c.say("I'd like to talk about respite for my mum")
    c.press("2")  # no one at risk
    c.press("1")  # consent
    c.press("1")  # my own number
    assert "between" in c.text
    c.press("1")  # the first window offered
    c.press("1")  # that is right
    [callback] = rows(Callback)
    assert callback.kind == "callback" and callback.phone == "07700900123"
    assert callback.window_start is not None and callback.consent_at is not None
    assert callback.due_by == due(app, clock.now())
    c.press("2")  # no text, thank you
    assert rows(OutboxMessage) == []
    assert "anything else" in c.text
    c.press("2")
    assert c.ended


def test_callback_text_gives_the_reference_and_the_window(call, rows):
    c = call()
    c.press("4")
    c.press("#")  # skip the reason: "#" reaches the core at once
    assert "at risk" in c.text
    c.press("2")
    c.press("1")
    c.press("1")
    c.press("2")  # the second window
    c.press("1")
    c.press("1")  # text me
    [callback] = rows(Callback)
    [text] = rows(OutboxMessage)
    assert callback.reference in text.payload["text"]
    assert "on Monday 23 November between" in text.payload["text"]


def test_answerphone_on_christmas_day(db, phone_settings, clock, rows):
    clock.set(london("2026-12-25T10:00"))
    app = create_app(phone_settings, clock=clock, engine=db.engine)
    c = Call(Twilio(app.test_client())).start()
    assert "isn't here" in c.text or "closed" in c.text.lower() or "9am" in c.text
    c.press("5")  # leave a message
    assert "9 9 9" in c.text and "1 1 1" in c.text
    record = c.waiting
    assert record is not None and record.tag == "Record"
    assert record.get("playBeep") == "true" and record.get("maxLength") == "180"
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback", "").endswith("/ivr/transcription")
    assert record.get("recordingStatusCallback", "").endswith("/ivr/recording-status")
    following = list(c.last)[list(c.last).index(record) + 1]
    assert following.tag == "Redirect"  # an empty recording still reaches the core
    c.silence()
    assert "didn't hear anything" in c.text
    c.record(34, transcript="Hello it's Jean, please ring me about my husband's tablets.")
    c.deliver_callbacks()  # the transcript comes before the voicemail is saved
    assert rows(Voicemail) == []
    c.press("1")  # call me on this number
    assert c.ended and "Goodbye" in c.text
    [voicemail] = rows(Voicemail)
    assert voicemail.recording_sid == c.recordings[-1] and voicemail.duration_seconds == 34
    assert voicemail.call_sid == c.call_sid
    [callback] = rows(Callback)
    assert callback.kind == "voicemail" and callback.voicemail_id == voicemail.id
    assert callback.due_by == london("2027-01-04T17:00")
    from handlers.jobs import import_spool
    from ivr.spool import FileSpool
    from store.voicemails import SqlVoicemails

    report = import_spool(
        FileSpool(phone_settings.spool_dir),
        SqlVoicemails(db.sessions),
        app.extensions["carers_line"].due_by,
    )
    assert report.attached == 1
    [voicemail] = rows(Voicemail)
    assert voicemail.transcript == "Hello it's Jean, please ring me about my husband's tablets."


def test_transfer_answered_by_staff_after_the_whisper(call, rows):
    c = call()
    c.press("5")
    assert "Putting you through" in c.text and "leave a message" in c.text
    dial = c.waiting
    assert dial is not None and dial.tag == "Dial"
    assert "then=" in dial.get("action", "")  # the second number waits its turn
    c.staff_answer(accept=True)
    assert c.dialled == STAFF[:1]
    assert "Westshire Carers Line call. Press 1 to accept." in c.staff_heard
    assert c.ended and "Goodbye" in c.text
    [conversation] = rows(Conversation)
    assert conversation.ended_at is not None and conversation.ended_reason == "transferred"


def test_transfer_not_answered_goes_to_the_answerphone(call, rows):
    c = call()
    c.press("5")
    c.staff_miss("no-answer")
    c.staff_answer(accept=False)  # a voicemail picked up and did not press 1
    assert c.dialled == STAFF
    assert "everyone is busy" in c.text
    c.record(20)
    c.press("1")
    [callback] = rows(Callback)
    assert callback.kind == "voicemail" and callback.voicemail_id is not None


def test_crisis_words_mid_flow_divert_at_once_even_when_unsure(call, rows):
    c = call()
    c.press("4")
    c.say("I can't cope any more I want to end it all", confidence=0.2)
    assert "/ivr/confirm" not in gather(c).get("action", "")
    assert "9 9 9" in c.text and "1 1 6, 1 2 3" in c.text
    c.press("2")  # an urgent call back
    c.press("1")  # consent
    c.press("1")  # this number
    [callback] = rows(Callback)
    assert callback.kind == "crisis" and callback.urgency == "urgent"


def test_hanging_up_mid_flow_still_gets_a_call_back(call, rows):
    c = call()
    c.press("4")
    c.say("about my dad's care package")
    c.press("2")
    c.press("1")  # consent
    c.press("1")  # this number: then the caller hangs up before confirming
    c.hang_up()
    [callback] = rows(Callback)
    assert callback.ended_early is True and callback.phone == "07700900123"
    [conversation] = rows(Conversation)
    assert conversation.ended_reason == "hung_up"


def test_a_silent_caller_is_put_through_then_the_call_ends_kindly(call, rows):
    c = call()
    c.silence()
    assert "didn't hear anything" in c.text
    c.silence()
    c.silence()
    assert "reach a person" in c.text
    assert c.waiting is not None and c.waiting.tag == "Dial"  # a person may hear them
    c.staff_miss()
    c.staff_miss()
    while not c.ended:  # the answerphone hears nothing either
        c.silence()
    assert "can't hear anything" in c.text and "9 9 9" in c.text
    assert c.requests < 20
    [conversation] = rows(Conversation)
    assert conversation.ended_reason == "hung_up"


def test_a_silent_line_out_of_hours_ends_after_six_silent_turns(db, phone_settings, clock):
    clock.set(london("2026-11-28T22:00"))
    c = Call(Twilio(create_app(phone_settings, clock=clock, engine=db.engine).test_client()))
    c.start()
    silences = 0
    while not c.ended:
        c.silence()
        silences += 1
    assert silences == 6 and "can't hear anything" in c.text


def test_a_key_between_silences_starts_the_count_again(call):
    c = call()
    for key in ("1", "1", "1"):  # information, a subject, a topic: six silences, never in a row
        c.silence()
        c.silence()
        c.press(key)
    assert not c.ended and c.waiting is not None


def test_the_fixed_clock_setting_decides_in_and_out_of_hours(db, phone_settings):
    closed = replace(phone_settings, fixed_now=london("2026-12-25T10:00"))
    c = Call(Twilio(create_app(closed, engine=db.engine).test_client())).start()
    assert "leave a message" in c.text.lower()
    assert "speak to someone" not in c.text.lower()

    open_ = replace(phone_settings, fixed_now=london("2026-11-24T10:30"))
    c = Call(Twilio(create_app(open_, engine=db.engine).test_client())).start()
    assert "speak to someone, press 5" in c.text.lower()


def test_every_spoken_word_uses_the_configured_voice(db, phone_settings, clock):
    neural = replace(phone_settings, twilio_voice="Polly.Amy-Neural")
    c = Call(Twilio(create_app(neural, clock=clock, engine=db.engine).test_client())).start()
    says = list(c.last.iter("Say"))
    assert says and {say.get("voice") for say in says} == {"Polly.Amy-Neural"}
    assert {say.get("language") for say in says} == {"en-GB"}
    assert all(say.find("prosody") is not None for say in says)  # spoken a little slower
    assert spoken(says[0])


def test_a_recording_retried_by_twilio_is_kept_once(call, rows, twilio):
    c = call()
    c.press("5")
    c.staff_miss()
    c.staff_miss()
    record = c.waiting
    assert record is not None
    params = {
        **c.params,
        "RecordingSid": "RE0123456789abcdef0123456789abcdef",
        "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE01",
        "RecordingDuration": "12",
    }
    first = twilio.post(record.get("action"), params)
    again = twilio.post(record.get("action"), params)
    assert first.get_data() == again.get_data()
    c.waiting = None
    c.hang_up()
    assert len(rows(Voicemail)) == 1


def test_information_is_texted_only_to_a_mobile(call, rows):
    c = call(caller="+441632960555")  # ringing from a landline
    c.say("information")
    c.say("how do I claim carer's allowance")
    c.say("yes")
    c.press("1")  # text it to me
    assert "ending 5 5 5" in c.text
    c.press("1")  # the landline they are calling from
    assert "only send texts to a mobile" in c.text
    assert rows(OutboxMessage) == []
    c.press("07700900456")
    [text] = rows(OutboxMessage)
    assert text.recipient == "07700900456"
