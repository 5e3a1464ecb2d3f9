"""The clock dies half way through a job and runs again: no job lost, none done twice.

A job body is made to die part way through its batch (the stand-in raises ``SystemExit``, as a
killed process would stop, with no chance to tidy up); the next run, once the outbox's lease on
what was claimed has run out, picks up the rest. Counting rows and deliveries shows nothing was
lost and nothing was doubled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from handlers.jobs import OUTBOX_LEASE_SECONDS, deliver_outbox, import_spool
from handlers.ports import KeptRecording, SendResult
from ivr.spool import FileSpool
from store.models import Callback, OutboxMessage, Voicemail
from store.outbox import SqlOutbox
from store.voicemails import SqlVoicemails


class DiesOnce:
    """A sender that delivers, except that the process dies before the ``dies_at``-th send."""

    def __init__(self, dies_at: int) -> None:
        self.dies_at = dies_at
        self.delivered: list[tuple[str, str]] = []
        self.calls = 0

    def send(self, recipient: str, payload: Mapping[str, Any]) -> SendResult:
        self.calls += 1
        if self.calls == self.dies_at:
            raise SystemExit("killed")
        self.delivered.append((recipient, str(payload["text"])))
        return SendResult("sent")


def test_outbox_run_killed_half_way_loses_and_doubles_nothing(db, clock, rows):
    outbox = SqlOutbox(db.sessions)
    expected = []
    for person in range(4):
        for line in range(2):
            text = f"message {line} for carer {person}"
            outbox.enqueue("telegram", str(5500 + person), {"text": text}, clock.now())
            expected.append((str(5500 + person), text))
    sender = DiesOnce(dies_at=3)

    with pytest.raises(SystemExit):
        deliver_outbox(outbox, {"telegram": sender}, clock)
    assert len(sender.delivered) == 2
    clock.advance(timedelta(seconds=OUTBOX_LEASE_SECONDS + 1))  # the dead run's lease ends
    for _ in range(4):
        deliver_outbox(outbox, {"telegram": sender}, clock)

    assert sorted(sender.delivered) == sorted(expected)  # each once: none lost, none doubled
    for person in range(4):
        chat = str(5500 + person)
        assert [text for to, text in sender.delivered if to == chat] == [
            f"message 0 for carer {person}",
            f"message 1 for carer {person}",
        ]
    assert {row.status for row in rows(OutboxMessage)} == {"sent"}


class DiesOnSecond(SqlVoicemails):
    """Saving voicemails, but the process dies on the second message of the first run."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.saved = 0
        self.died = False

    def keep_message(self, kept: KeptRecording, due_by: Any) -> Any:
        if self.saved == 1 and not self.died:
            self.died = True
            raise SystemExit("killed")
        self.saved += 1
        return super().keep_message(kept, due_by)


def test_spool_import_killed_half_way_keeps_every_message_once(db, clock, rows, tmp_path, app):
    spool = FileSpool(tmp_path / "spool")
    for number in range(3):
        spool.append(
            KeptRecording(
                call_sid=f"CA{number:032d}",
                recording_sid=f"RE{number:032d}",
                url=None,
                seconds=20,
                caller="+447700900123",
                received_at=clock.now(),
                consent_wording=None,
            )
        )
    voicemails = DiesOnSecond(db.sessions)
    due_by = app.extensions["carers_line"].due_by

    with pytest.raises(SystemExit):
        import_spool(spool, voicemails, due_by)
    assert len(rows(Voicemail)) == 1
    report = import_spool(spool, voicemails, due_by)

    assert report.messages == 3  # the whole batch again: the first is recognised, not doubled
    assert sorted(row.recording_sid for row in rows(Voicemail)) == [
        f"RE{number:032d}" for number in range(3)
    ]
    assert len(rows(Callback)) == 3
    assert spool.claim() == []  # the batch is gone once all of it is in
