"""Voice messages kept outside a dialog step: the phone line's fail-safe and Twilio's callbacks.

Implements ``handlers.ports.Voicemails``. A message left through the fail-safe answerphone (or
imported from the spool the web process wrote while the database was down) becomes a voicemail
and a callback, exactly once per Twilio ``RecordingSid``. Transcripts arrive on their own
webhook, often before the dialog has saved the voicemail they belong to: such a transcript
waits in ``processed_webhooks`` (source ``transcript``) and is attached once the voicemail
exists.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handlers.engine import REFERENCE_ALPHABET, REFERENCE_LENGTH
from handlers.phones import clean_phone
from handlers.ports import Actor, KeptRecording, KeptTranscript
from store.audit import add_audit
from store.models import (
    Callback,
    Conversation,
    EmergencyCardRequest,
    ProcessedWebhook,
    Referral,
    Voicemail,
)

WAITING_TRANSCRIPT = "transcript"
MESSAGE_PREFIX = "M"
FAIL_SAFE_REASON = "Voice message left on the fail-safe answerphone (the phone line had a fault)"
MAX_TRANSCRIPT_CHARACTERS = 10_000


class SqlVoicemails:
    """The ``voicemails`` and ``callbacks`` tables behind ``handlers.ports.Voicemails``."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def keep_message(self, recording: KeptRecording, due_by: datetime) -> str:
        """Save the voicemail and its callback once per recording; return the reference."""
        try:
            with self._sessions.begin() as session:
                existing = _reference_for(session, recording.recording_sid)
                if existing is not None:
                    return existing
                return self._save(session, recording, due_by)
        except IntegrityError:
            # A concurrent copy of the same webhook saved it first: answer as it did.
            with self._sessions() as session:
                existing = _reference_for(session, recording.recording_sid)
            if existing is None:
                raise
            return existing

    def add_transcript(self, transcript: KeptTranscript) -> bool:
        """Store the transcript on its voicemail, or keep it waiting for the voicemail."""
        text = (transcript.text or "").strip()[:MAX_TRANSCRIPT_CHARACTERS] or None
        try:
            with self._sessions.begin() as session:
                voicemail = _voicemail(session, transcript.recording_sid)
                if voicemail is not None:
                    voicemail.transcript = text
                    voicemail.transcript_status = transcript.status[:16]
                    return True
                waiting = session.scalar(
                    select(ProcessedWebhook).where(
                        ProcessedWebhook.source == WAITING_TRANSCRIPT,
                        ProcessedWebhook.key == transcript.recording_sid,
                    )
                )
                if waiting is None:
                    session.add(
                        ProcessedWebhook(
                            source=WAITING_TRANSCRIPT,
                            key=transcript.recording_sid,
                            at=transcript.at,
                            response=json.dumps({"text": text, "status": transcript.status}),
                        )
                    )
                return False
        except IntegrityError:
            return False  # a concurrent copy of this transcript is already waiting

    def recording_completed(self, recording_sid: str, url: str | None, seconds: int) -> bool:
        """Keep Twilio's final address and length for a saved recording."""
        with self._sessions.begin() as session:
            voicemail = _voicemail(session, recording_sid)
            if voicemail is None:
                return False
            if url:
                voicemail.recording_url = url
            voicemail.duration_seconds = seconds
            return True

    def attach_waiting_transcripts(self) -> int:
        """Attach every waiting transcript whose voicemail has been saved since."""
        attached = 0
        with self._sessions.begin() as session:
            rows = session.execute(
                select(ProcessedWebhook, Voicemail)
                .join(Voicemail, Voicemail.recording_sid == ProcessedWebhook.key)
                .where(ProcessedWebhook.source == WAITING_TRANSCRIPT)
            ).all()
            for waiting, voicemail in rows:
                kept = json.loads(waiting.response or "{}")
                if voicemail.transcript_status is None:
                    voicemail.transcript = kept.get("text")
                    voicemail.transcript_status = str(kept.get("status") or "completed")[:16]
                    attached += 1
                session.delete(waiting)
        return attached

    def _save(self, session: Session, recording: KeptRecording, due_by: datetime) -> str:
        conversation = session.scalar(
            select(Conversation).where(
                Conversation.channel == "voice", Conversation.external_id == recording.call_sid
            )
        )
        voicemail = Voicemail(
            conversation_id=conversation.id if conversation else None,
            call_sid=recording.call_sid,
            recording_sid=recording.recording_sid,
            recording_url=recording.url,
            duration_seconds=recording.seconds,
            received_at=recording.received_at,
        )
        session.add(voicemail)
        session.flush()
        callback = Callback(
            reference=_new_reference(session),
            kind="voicemail",
            urgency="normal",
            channel="voice",
            conversation_id=voicemail.conversation_id,
            carer_id=conversation.carer_id if conversation else None,
            voicemail_id=voicemail.id,
            reason=FAIL_SAFE_REASON,
            phone=clean_phone(recording.caller or ""),
            received_at=recording.received_at,
            due_by=due_by,
            consent_at=recording.received_at if recording.consent_wording else None,
            consent_wording_version=recording.consent_wording,
        )
        session.add(callback)
        session.flush()
        add_audit(
            session,
            Actor(None, "carer:voice"),
            "created",
            "callback",
            callback.id,
            recording.received_at,
            {"conversation_id": voicemail.conversation_id, "via": "fail-safe"},
        )
        return callback.reference


def _voicemail(session: Session, recording_sid: str) -> Voicemail | None:
    return session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))


def _reference_for(session: Session, recording_sid: str) -> str | None:
    """The callback reference of a recording already saved (fail-safe or dialog), if any."""
    voicemail = _voicemail(session, recording_sid)
    if voicemail is None:
        return None
    reference = session.scalar(
        select(Callback.reference).where(Callback.voicemail_id == voicemail.id)
    )
    return reference or ""


def _new_reference(session: Session) -> str:
    """A message reference like "M-7KM4PX" that no record uses yet."""
    while True:
        body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        reference = f"{MESSAGE_PREFIX}-{body}"
        taken = any(
            session.scalar(select(model.id).where(model.reference == reference))
            for model in (Callback, Referral, EmergencyCardRequest)
        )
        if not taken:
            return reference
