"""Working an item: everything the carer told us, attempts under the policy, completion,
follow-ups, Call now through Twilio, and voicemail audio through the console only."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from store.models import AuditEvent, Callback, CallbackAttempt, FollowUpTask, Referral
from tests.console.seeding import (
    add_callback,
    add_carer,
    add_conversation,
    add_referral,
    add_voicemail,
    row,
    rows,
)


def _claimed(db, clock, staff, **fields) -> int:
    return add_callback(db, clock.now(), claimed_by=staff.id, claimed_at=clock.now(), **fields)


def test_the_item_shows_what_the_carer_told_us_on_every_channel_in_order(
    db, clock, alice, signed_in
):
    now = clock.now()
    earlier_chat = add_conversation(
        db,
        now - timedelta(days=7),
        [("in", "I look after my mum"), ("out", "Thank you for telling us.")],
    )
    add_callback(
        db,
        now - timedelta(days=7),
        reference="C900001",
        conversation_id=earlier_chat,
        status="done",
        outcome="information_given",
    )
    call = add_conversation(
        db,
        now - timedelta(hours=1),
        [("in", "Press 3"), ("in", '<script>alert("x")</script> she fell again')],
        channel="voice",
    )
    voicemail = add_voicemail(db, now - timedelta(hours=1))
    callback_id = add_callback(
        db,
        now - timedelta(hours=1),
        kind="voicemail",
        channel="voice",
        conversation_id=call,
        voicemail_id=voicemail,
        reason="Answerphone message",
    )
    page = signed_in(alice).page(f"/console/callbacks/{callback_id}")
    assert page.index("I look after my mum") < page.index("Press 3")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; she fell again" in page
    assert "Hello, it is Mary, please ring me back about my husband." in page
    assert "api.twilio.com" not in page and "RE" + "a" * 32 not in page
    assert f'src="/console/voicemails/{voicemail}/audio"' in page
    assert "C900001" in page and "Information and advice given" in page
    event = rows(db, AuditEvent, AuditEvent.action == "viewed")[-1]
    assert (event.staff_id, event.subject_type, event.subject_id) == (
        alice.id,
        "callback",
        callback_id,
    )
    assert event.detail["conversations"] == [earlier_chat, call]
    assert event.at == clock.now()


def test_referral_answers_are_shown(db, clock, alice, signed_in):
    referral = add_referral(db, clock.now())
    callback_id = add_callback(db, clock.now(), kind="referral", referral_id=referral)
    page = signed_in(alice).page(f"/console/callbacks/{callback_id}")
    for text in ("Dr Patel", "Westshire Surgery", "dementia", "large print", "45-64", "mornings"):
        assert text in page
    assert "Not yet: due Tue 24 Nov 2026, 10:30" in page


def test_a_missing_item_is_404(alice, signed_in):
    assert signed_in(alice).get("/console/callbacks/999999").status_code == 404


def test_attempts_follow_the_policy_then_close_with_a_follow_up_letter(db, clock, alice, signed_in):
    callback_id = _claimed(db, clock, alice)
    browser = signed_in(alice)
    path = f"/console/callbacks/{callback_id}/attempts"
    first = browser.post(path, {"result": "no_answer", "notes": "Rang twice"})
    assert first.status_code == 302

    clock.advance(timedelta(minutes=119))
    refused = browser.post(path, {"result": "voicemail_left", "notes": "Left a short message"})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "Too soon for another try" in text and "from Mon 23 Nov 2026, 12:30" in text
    assert "Left a short message</textarea>" in text  # what was typed is kept
    assert len(rows(db, CallbackAttempt)) == 1

    clock.advance(timedelta(minutes=1))
    assert browser.post(path, {"result": "voicemail_left"}).status_code == 302
    clock.advance(timedelta(hours=2))
    last = browser.post(path, {"result": "no_answer"})
    assert last.status_code == 302
    closed = row(db, Callback, callback_id)
    assert (closed.status, closed.outcome, closed.attempts_count) == ("closed", "not_reached", 3)
    task = rows(db, FollowUpTask)[0]
    assert (task.callback_id, task.method, task.reason, task.status) == (
        callback_id,
        "letter",
        "attempts_used",
        "open",
    )
    follow_ups = browser.page("/console/follow-ups")
    assert closed.reference in follow_ups and "All phone tries used" in follow_ups
    results = [attempt.result for attempt in rows(db, CallbackAttempt)]
    assert results == ["no_answer", "voicemail_left", "no_answer"]
    audit = rows(db, AuditEvent, AuditEvent.action == "attempt_recorded")
    assert [event.detail["attempt"] for event in audit] == [1, 2, 3]
    assert audit[-1].detail["closed_as"] == "not_reached"


def test_a_carer_with_an_email_gets_an_email_follow_up(db, clock, alice, signed_in):
    carer = add_carer(db, clock.now(), name="Mary", email="mary@example.org")
    callback_id = _claimed(db, clock, alice, carer_id=carer)
    signed_in(alice).post(f"/console/callbacks/{callback_id}/attempts", {"result": "wrong_number"})
    assert row(db, Callback, callback_id).outcome == "wrong_number"
    assert rows(db, FollowUpTask)[0].method == "email"


def test_a_carer_who_declines_is_not_chased(db, clock, alice, signed_in):
    callback_id = _claimed(db, clock, alice)
    signed_in(alice).post(f"/console/callbacks/{callback_id}/attempts", {"result": "declined"})
    closed = row(db, Callback, callback_id)
    assert (closed.status, closed.outcome) == ("closed", "declined")
    assert rows(db, FollowUpTask) == []


def test_reaching_a_referred_carer_records_first_contact(db, clock, alice, signed_in):
    referral = add_referral(db, clock.now() - timedelta(hours=3))
    callback_id = _claimed(db, clock, alice, kind="referral", referral_id=referral)
    signed_in(alice).post(f"/console/callbacks/{callback_id}/attempts", {"result": "reached"})
    saved = row(db, Referral, referral)
    assert saved.first_contact_at == clock.now() and saved.acknowledged_at == clock.now()
    assert row(db, Callback, callback_id).status == "open"


def test_only_the_holder_records_attempts(db, clock, alice, bob, signed_in):
    callback_id = _claimed(db, clock, bob)
    browser = signed_in(alice)
    page = browser.page(f"/console/callbacks/{callback_id}")
    assert "Record an attempt" not in page
    response = browser.post(f"/console/callbacks/{callback_id}/attempts", {"result": "no_answer"})
    assert response.status_code == 409
    assert "Someone else holds this item" in response.get_data(as_text=True)
    assert rows(db, CallbackAttempt) == []


def test_an_attempt_needs_a_result(db, clock, alice, signed_in):
    callback_id = _claimed(db, clock, alice)
    response = signed_in(alice).post(
        f"/console/callbacks/{callback_id}/attempts", {"notes": "forgot to choose"}
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Choose what happened on the call." in text and "forgot to choose</textarea>" in text
    assert rows(db, CallbackAttempt) == []


def test_completing_records_the_outcome_and_services(db, clock, alice, signed_in):
    callback_id = _claimed(db, clock, alice)
    browser = signed_in(alice)
    response = browser.client.post(
        f"/console/callbacks/{callback_id}/complete",
        data={
            "csrf_token": _token(browser),
            "outcome": "signposted",
            "services": ["carers_assessment", "breaks"],
            "notes": "Sent the breaks leaflet",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    done = row(db, Callback, callback_id)
    assert (done.status, done.outcome, done.signposted_to) == (
        "done",
        "signposted",
        ["carers_assessment", "breaks"],
    )
    assert done.outcome_notes == "Sent the breaks leaflet" and done.completed_at == clock.now()
    event = rows(db, AuditEvent, AuditEvent.action == "completed")[0]
    assert event.detail == {"outcome": "signposted", "services": ["carers_assessment", "breaks"]}
    page = browser.page(f"/console/callbacks/{callback_id}")
    assert "Carer&#39;s assessment (council), Breaks and respite" in page


def test_an_unknown_outcome_or_service_is_refused(db, clock, alice, signed_in):
    callback_id = _claimed(db, clock, alice)
    browser = signed_in(alice)
    for data in (
        {"outcome": "made_up"},
        {"outcome": "signposted", "services": ["not_a_service"]},
    ):
        response = browser.post(f"/console/callbacks/{callback_id}/complete", data)
        assert response.status_code == 400
    assert row(db, Callback, callback_id).status == "open"


def test_a_follow_up_is_marked_sent(db, clock, alice, signed_in):
    callback_id = _claimed(db, clock, alice)
    browser = signed_in(alice)
    browser.post(f"/console/callbacks/{callback_id}/attempts", {"result": "wrong_number"})
    task = rows(db, FollowUpTask)[0]
    browser.post(f"/console/follow-ups/{task.id}/done", {"notes": "Letter posted"})
    done = row(db, FollowUpTask, task.id)
    assert (done.status, done.done_by, done.notes) == ("done", alice.id, "Letter posted")
    assert "still to send" in browser.page("/console/follow-ups")
    assert "Letter posted" in browser.page("/console/follow-ups?show=all")
    viewed = rows(db, AuditEvent, AuditEvent.action == "viewed_follow_ups")
    assert [event.detail for event in viewed] == [{"tasks": []}, {"tasks": [task.id]}]
    again = browser.post(f"/console/follow-ups/{task.id}/done")
    assert again.status_code == 302 and row(db, FollowUpTask, task.id).notes == "Letter posted"


def test_call_now_rings_the_staff_phone_then_dials_the_carer(db, clock, alice, signed_in, twilio):
    callback_id = _claimed(db, clock, alice, phone="07700900456", reference="C123456")
    browser = signed_in(alice)
    assert "Call now" in browser.page(f"/console/callbacks/{callback_id}")
    response = browser.post(f"/console/callbacks/{callback_id}/call")
    assert response.status_code == 302
    [call] = twilio.client.calls.made
    assert call["to"] == "+447700900201" and call["from_"] == "+441632960100"
    twiml = ET.fromstring(call["twiml"])
    assert [child.tag for child in twiml] == ["Say", "Dial", "Say"]
    assert "C 1 2 3 4 5 6" in (twiml[0].text or "")
    dial = twiml[1]
    assert dial.get("callerId") == "+441632960100" and dial.get("answerOnBridge") == "true"
    assert [(number.tag, number.text) for number in dial] == [("Number", "+447700900456")]
    event = rows(db, AuditEvent, AuditEvent.action == "call_started")[0]
    assert event.staff_id == alice.id and event.detail["call_sid"].startswith("CA")


def test_call_now_needs_the_item_and_a_staff_phone(db, clock, make_staff, bob, signed_in, twilio):
    nophone = make_staff("nophone", phone=None)
    callback_id = _claimed(db, clock, nophone)
    browser = signed_in(nophone)
    page = browser.page(f"/console/callbacks/{callback_id}")
    assert 'action="/console/callbacks/' + str(callback_id) + '/call"' not in page
    assert "ask a supervisor to add your phone number" in page
    browser.post(f"/console/callbacks/{callback_id}/call")
    signed_in(bob).post(f"/console/callbacks/{callback_id}/call")
    assert twilio.client.calls.made == []


def test_voicemail_audio_streams_through_the_console(db, clock, alice, signed_in, twilio, console):
    sid = "RE" + "b" * 32
    twilio.recordings.audio[sid] = b"ID3-fake-mp3-bytes"
    voicemail = add_voicemail(db, clock.now(), recording_sid=sid)
    assert console.get(f"/console/voicemails/{voicemail}/audio").status_code == 302
    response = signed_in(alice).get(f"/console/voicemails/{voicemail}/audio")
    assert response.status_code == 200 and response.mimetype == "audio/mpeg"
    assert response.get_data() == b"ID3-fake-mp3-bytes"
    assert response.headers["Cache-Control"] == "no-store"
    assert twilio.recordings.fetched == [sid]
    event = rows(db, AuditEvent, AuditEvent.action == "listened")[0]
    assert (event.staff_id, event.subject_type, event.subject_id) == (
        alice.id,
        "voicemail",
        voicemail,
    )


def test_a_deleted_or_unavailable_recording_says_so(db, clock, alice, signed_in):
    gone = add_voicemail(db, clock.now(), recording_sid="RE" + "c" * 32, deleted_at=clock.now())
    missing = add_voicemail(db, clock.now(), recording_sid="RE" + "d" * 32)
    browser = signed_in(alice)
    assert browser.get(f"/console/voicemails/{gone}/audio").status_code == 410
    response = browser.get(f"/console/voicemails/{missing}/audio")
    assert response.status_code == 502
    assert "not available" in response.get_data(as_text=True)


def _token(browser) -> str:
    from tests.console.conftest import csrf_token

    return csrf_token(browser.page("/console/"))
