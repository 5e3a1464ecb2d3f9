"""The clock sends texts through Twilio when it is configured, and imports the spool."""

from __future__ import annotations

import logging
from dataclasses import replace

from app import build_runtime
from clock import build_scheduler, build_senders
from handlers.ports import KeptRecording
from ivr.send import SmsSender
from ivr.spool import FileSpool
from store.models import Callback, Voicemail
from tests.conftest import london


def test_texts_are_sent_only_with_a_sending_number(phone_settings, db, clock, caplog):
    runtime = build_runtime(phone_settings, clock, db.engine)
    caplog.set_level(logging.WARNING, logger="carers_line.clock")
    assert "sms" not in build_senders(runtime)
    assert any("TWILIO_SMS_FROM" in record.getMessage() for record in caplog.records)
    sending = replace(phone_settings, twilio_sms_from="+441632960100")
    senders = build_senders(build_runtime(sending, clock, db.engine))
    assert isinstance(senders["sms"], SmsSender)


def test_the_spool_job_imports_messages_taken_while_the_database_was_down(
    phone_settings, db, clock, rows
):
    FileSpool(phone_settings.spool_dir).append(
        KeptRecording("CA9", "RE9", None, 31, "+447700900123", london("2026-11-23T10:00"))
    )
    scheduler = build_scheduler(build_runtime(phone_settings, clock, db.engine))
    job = scheduler.get_job("spool")
    assert job is not None and job.trigger.interval.total_seconds() == 60
    job.func()
    [voicemail] = rows(Voicemail)
    assert voicemail.recording_sid == "RE9"
    assert len(rows(Callback)) == 1
    job.func()  # the next run finds nothing new
    assert len(rows(Callback)) == 1
