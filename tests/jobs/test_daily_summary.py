"""The daily summary: counts only, to supervisors, once per working day from 08:45 to closing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from handlers.jobs import daily_summary
from store.jobs import SqlSummaries
from tests.conftest import london

SUPERVISOR = "07700900102"


def seed(records) -> None:
    """Monday 23 November 10:30; the last summary time was Friday 20 November 08:45."""
    sam = records.staff("Sam Patel")
    records.callback("2026-11-20T09:00", "2026-11-23T17:00", claimed_by=sam)  # due today
    records.callback("2026-11-18T10:00", "2026-11-20T17:00")  # overdue, never tried
    records.callback("2026-11-23T08:00", "2026-11-23T17:00", urgent=True)  # also due today
    records.callback(
        "2026-11-16T10:00", "2026-11-18T17:00", status="done", completed="2026-11-20T11:00"
    )
    records.callback("2026-11-19T10:00", "2026-11-23T11:00", status="done")  # finished earlier
    records.conversation("2026-11-20T08:00")  # before Friday's summary: not counted
    records.conversation("2026-11-21T14:00")
    records.conversation("2026-11-23T09:10", channel="voice")
    records.referral("2026-11-22T20:00")


def texts(records) -> list[tuple[str, str]]:
    return [(row.recipient, row.payload["text"]) for row in records.outbox_rows()]


def test_the_summary_goes_once_with_counts_only(db, records, calendar, clock):
    seed(records)
    summaries = SqlSummaries(db.sessions)

    assert daily_summary(summaries, calendar, clock) is True
    assert texts(records) == [
        (
            SUPERVISOR,
            "Westshire Carers Line, Mon 23 Nov: 3 items open (1 urgent, 1 overdue, 2 due today, "
            "2 not claimed). Since Fri 20 Nov 08:45: 2 calls and chats, 2 callbacks asked for, "
            "1 referral, 0 emergency card requests, 0 card activations, 1 item completed.",
        )
    ]
    assert daily_summary(summaries, calendar, clock) is False
    assert len(records.outbox_rows()) == 1

    clock.set(london("2026-11-24T09:00"))
    assert daily_summary(summaries, calendar, clock) is True
    assert texts(records)[1][1].startswith("Westshire Carers Line, Tue 24 Nov: ")
    assert "Since Mon 23 Nov 08:45:" in texts(records)[1][1]


@pytest.mark.parametrize(
    "moment",
    [
        "2026-11-23T08:44",  # before the summary time
        "2026-11-23T17:00",  # closed for the day
        "2026-11-28T10:00",  # Saturday
        "2026-12-25T10:00",  # Christmas Day
    ],
)
def test_no_summary_outside_working_hours(db, records, calendar, clock, moment):
    clock.set(london(moment))
    assert daily_summary(SqlSummaries(db.sessions), calendar, clock) is False
    assert records.outbox_rows() == []


def test_without_staff_alerts_there_is_no_summary(db, records, silent_calendar, clock):
    assert daily_summary(SqlSummaries(db.sessions), silent_calendar, clock) is False


def test_two_clocks_at_the_same_moment_send_one_summary(db, records, calendar, clock):
    seed(records)
    barrier = threading.Barrier(2, timeout=20)

    class InLockstep(SqlSummaries):
        def record_once(self, *args, **kwargs):
            barrier.wait()
            return super().record_once(*args, **kwargs)

    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(daily_summary, InLockstep(db.sessions), calendar, clock) for _ in range(2)
        ]
        results = sorted(run.result(timeout=60) for run in runs)

    assert results == [False, True]
    assert len(records.outbox_rows()) == 1
