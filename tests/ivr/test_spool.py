"""The fail-safe spool file: durable appends, claimed batches, nothing dropped."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from handlers.ports import KeptRecording, KeptTranscript
from ivr.spool import REJECTED_FILE, FileSpool

AT = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
RECORDING = KeptRecording("CA1", "RE1", "https://api.twilio.com/RE1", 42, "+447700900123", AT)
TRANSCRIPT = KeptTranscript("RE1", "Please call me", "completed", AT)


def test_items_come_back_in_order_and_batches_go_when_done(tmp_path):
    spool = FileSpool(tmp_path / "spool")
    assert spool.claim() == []
    spool.append(RECORDING)
    spool.append(TRANSCRIPT)
    assert oct(os.stat(spool.directory).st_mode & 0o777) == "0o700"
    assert oct(os.stat(spool.path).st_mode & 0o777) == "0o600"
    [batch] = spool.claim()
    assert not spool.path.exists()
    spool.append(RECORDING)  # arrives while the batch is being imported: a new file
    assert spool.read(batch) == [RECORDING, TRANSCRIPT]
    spool.done(batch)
    [later] = spool.claim()
    assert later != batch and spool.read(later) == [RECORDING]


def test_a_batch_not_done_is_claimed_again_first(tmp_path):
    spool = FileSpool(tmp_path)
    spool.append(RECORDING)
    [first] = spool.claim()
    spool.append(TRANSCRIPT)
    batches = spool.claim()
    assert len(batches) == 2 and batches[0] == first
    assert spool.read(batches[1]) == [TRANSCRIPT]


def test_an_unreadable_line_is_set_aside_not_dropped(tmp_path):
    spool = FileSpool(tmp_path)
    spool.append(RECORDING)
    with open(spool.path, "a") as file:
        file.write('{"kind": "recording", "call_sid": "CA2"\n')
    [batch] = spool.claim()
    assert spool.read(batch) == [RECORDING]
    assert "CA2" in (tmp_path / REJECTED_FILE).read_text()


def test_a_writer_that_waited_for_the_lock_writes_to_the_new_file(tmp_path):
    spool = FileSpool(tmp_path)
    spool.append(RECORDING)
    stale = os.open(spool.path, os.O_WRONLY | os.O_APPEND)  # opened before the claim
    [batch] = spool.claim()
    os.close(stale)
    spool.append(TRANSCRIPT)
    assert spool.read(batch) == [RECORDING]
    assert spool.read(str(spool.path)) == [TRANSCRIPT]
