"""Voicemails kept outside a dialog step: the fail-safe, spooled imports, transcripts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.ports import KeptRecording, KeptTranscript
from store.models import AuditEvent, Callback, Conversation, ProcessedWebhook, Voicemail
from store.voicemails import FAIL_SAFE_REASON, SqlVoicemails
from tests.conftest import london

AT = london("2026-11-23T10:30")
DUE = london("2026-11-25T17:00")


def recording(sid: str = "RE1", caller: str | None = "+447700900123") -> KeptRecording:
    return KeptRecording("CA1", sid, f"https://api.twilio.com/{sid}", 42, caller, AT, "v:1")


def all_rows(db, model):
    with db.sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_a_message_becomes_a_voicemail_and_a_callback_once(db):
    voicemails = SqlVoicemails(db.sessions)
    reference = voicemails.keep_message(recording(), DUE)
    assert reference.startswith("M-") and len(reference) == 8
    assert voicemails.keep_message(recording(), DUE + timedelta(days=1)) == reference
    [voicemail] = all_rows(db, Voicemail)
    assert (voicemail.call_sid, voicemail.duration_seconds) == ("CA1", 42)
    [callback] = all_rows(db, Callback)
    assert callback.reference == reference and callback.voicemail_id == voicemail.id
    assert callback.kind == "voicemail" and callback.channel == "voice"
    assert callback.phone == "07700900123" and callback.due_by == DUE
    assert callback.reason == FAIL_SAFE_REASON
    assert (callback.consent_at, callback.consent_wording_version) == (AT, "v:1")
    [audit] = all_rows(db, AuditEvent)
    assert audit.subject_id == callback.id and audit.actor == "carer:voice"


def test_a_withheld_number_still_gets_a_callback_record(db):
    SqlVoicemails(db.sessions).keep_message(recording(caller="+266696687"), DUE)
    [callback] = all_rows(db, Callback)
    assert callback.phone is None


def test_the_message_joins_its_call_when_the_dialog_knew_it(db):
    with db.sessions.begin() as session:
        session.add(
            Conversation(
                channel="voice", external_id="CA1", node="main.menu", started_at=AT, updated_at=AT
            )
        )
    SqlVoicemails(db.sessions).keep_message(recording(), DUE)
    [conversation] = all_rows(db, Conversation)
    [voicemail] = all_rows(db, Voicemail)
    assert voicemail.conversation_id == conversation.id


def test_a_transcript_waits_for_its_voicemail(db):
    voicemails = SqlVoicemails(db.sessions)
    early = KeptTranscript("RE1", "  Please ring me  ", "completed", AT)
    assert voicemails.add_transcript(early) is False
    assert voicemails.add_transcript(early) is False  # a retried callback waits once
    assert len(all_rows(db, ProcessedWebhook)) == 1
    assert voicemails.attach_waiting_transcripts() == 0  # no voicemail yet
    voicemails.keep_message(recording(), DUE)
    assert voicemails.attach_waiting_transcripts() == 1
    [voicemail] = all_rows(db, Voicemail)
    assert (voicemail.transcript, voicemail.transcript_status) == ("Please ring me", "completed")
    assert all_rows(db, ProcessedWebhook) == []


def test_a_transcript_for_a_saved_voicemail_is_stored_at_once(db):
    voicemails = SqlVoicemails(db.sessions)
    voicemails.keep_message(recording(), DUE)
    failed = KeptTranscript("RE1", None, "failed", AT)
    assert voicemails.add_transcript(failed) is True
    [voicemail] = all_rows(db, Voicemail)
    assert (voicemail.transcript, voicemail.transcript_status) == (None, "failed")


def test_the_final_recording_details_are_kept(db):
    voicemails = SqlVoicemails(db.sessions)
    assert voicemails.recording_completed("RE1", "https://x/RE1", 44) is False
    voicemails.keep_message(recording(), DUE)
    assert voicemails.recording_completed("RE1", "https://x/RE1.wav", 44) is True
    [voicemail] = all_rows(db, Voicemail)
    assert (voicemail.recording_url, voicemail.duration_seconds) == ("https://x/RE1.wav", 44)
