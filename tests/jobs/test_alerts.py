"""Due-soon reminders and overdue alerts: exactly one message each, however many clocks run.

The frozen clock starts on Monday 23 November 2026 at 10:30 (London, which is UTC in November).
The example profile sends "due soon" (two hours ahead) to the team, 07700 900101, and overdue
alerts to the supervisors, 07700 900102, by SMS.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from handlers.jobs import AlertReport, alert_queue
from store.jobs import SqlAlerts
from store.models import AuditEvent, Callback
from tests.conftest import london

TEAM, SUPERVISOR = "07700900101", "07700900102"


def seed_queue(records) -> None:
    """One item of each situation the alerts must tell apart."""
    sam = records.staff("Sam Patel")
    # due at 12:00 today, 90 minutes away, nobody has called: a "due soon" reminder
    records.callback("2026-11-19T11:00", "2026-11-23T12:00", reference="CB-SOON")
    # due on Wednesday: nothing yet
    records.callback("2026-11-23T09:00", "2026-11-25T17:00", reference="CB-LATER")
    # was due on Friday at 17:00 and nobody has called: overdue
    records.callback("2026-11-18T10:00", "2026-11-20T17:00", reference="CB-LATE")
    # due at 11:00 but already tried once: the call was made, no reminder
    tried = records.callback("2026-11-19T10:00", "2026-11-23T11:00", reference="CB-TRIED")
    records.attempt(tried, "2026-11-23T09:30", "no_answer")
    # finished long ago: nothing
    records.callback("2026-11-16T10:00", "2026-11-18T17:00", status="done", reference="CB-DONE")
    # an emergency card used out of hours, due at 10:00 today, held by Sam: overdue, urgent
    records.callback(
        "2026-11-23T07:50",
        "2026-11-23T10:00",
        kind="card_activation",
        urgent=True,
        claimed_by=sam,
        reference="CB-CARD",
    )
    # a referral not acknowledged by Friday 17:00 (K5); first contact not due till Thursday
    records.referral(
        "2026-11-19T10:00",
        acknowledge_due="2026-11-20T17:00",
        first_contact_due="2026-11-26T17:00",
        reference="R-ACK",
    )
    # a referral acknowledged but not contacted by Friday 17:00
    records.referral(
        "2026-11-13T10:00",
        source="professional",
        acknowledged="2026-11-13T11:00",
        acknowledge_due="2026-11-16T17:00",
        first_contact_due="2026-11-20T17:00",
        reference="R-CONTACT",
    )


def messages(records) -> list[tuple[str, str]]:
    return [(row.recipient, row.payload["text"]) for row in records.outbox_rows()]


def test_each_alert_goes_once_to_the_right_people(db, records, calendar, clock):
    seed_queue(records)
    alerts = SqlAlerts(db.sessions)

    assert alert_queue(alerts, calendar, clock) == AlertReport(sent=5)
    assert messages(records) == [
        (
            TEAM,
            "Westshire Carers Line: callback CB-SOON is due by 12:00 today. No call yet. "
            "Held by nobody.",
        ),
        (
            SUPERVISOR,
            "Westshire Carers Line: OVERDUE callback CB-LATE was due by 17:00 Fri 20 Nov. "
            "No call recorded. Held by nobody.",
        ),
        (
            SUPERVISOR,
            "Westshire Carers Line: OVERDUE EMERGENCY CARD USED CB-CARD (urgent) was due by "
            "10:00 today. No call recorded. Held by Sam Patel.",
        ),
        (
            SUPERVISOR,
            "Westshire Carers Line: OVERDUE referral R-ACK (self-referral) was due to be "
            "acknowledged by 17:00 Fri 20 Nov and is not recorded as done.",
        ),
        (
            SUPERVISOR,
            "Westshire Carers Line: OVERDUE referral R-CONTACT (from a professional) was due "
            "to be first contacted by 17:00 Fri 20 Nov and is not recorded as done.",
        ),
    ]

    assert alert_queue(alerts, calendar, clock) == AlertReport()
    assert len(records.outbox_rows()) == 5


def test_alerts_carry_no_personal_details_and_each_is_audited(db, records, calendar, clock):
    seed_queue(records)
    alert_queue(SqlAlerts(db.sessions), calendar, clock)
    for _, text in messages(records):
        assert "07700900123" not in text and "John" not in text
    with db.sessions() as session:
        audited = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.subject_type)
        ).all()
    assert sorted(audited) == sorted(
        [
            ("clock", "alert_due_soon", "callback"),
            ("clock", "alert_overdue", "callback"),
            ("clock", "alert_overdue", "callback"),
            ("clock", "alert_acknowledgement_overdue", "referral"),
            ("clock", "alert_first_contact_overdue", "referral"),
        ]
    )


def test_reminders_follow_the_clock_exactly(db, records, calendar, clock):
    records.callback("2026-11-23T09:00", "2026-11-25T17:00", reference="CB-WED")
    alerts = SqlAlerts(db.sessions)
    timeline = [
        ("2026-11-23T10:30", []),
        ("2026-11-25T14:59", []),  # two hours and a minute before the deadline
        ("2026-11-25T15:00", [(TEAM, "due by 17:00 today")]),
        ("2026-11-25T16:59", []),
        ("2026-11-25T17:00", [(SUPERVISOR, "OVERDUE callback CB-WED was due by 17:00 today")]),
        ("2026-11-26T09:00", []),
    ]
    seen = 0
    for moment, expected in timeline:
        clock.set(london(moment))
        alert_queue(alerts, calendar, clock)
        new = messages(records)[seen:]
        seen += len(new)
        assert [to for to, _ in new] == [to for to, _ in expected], moment
        assert all(part in text for (_, text), (_, part) in zip(new, expected, strict=True))


def test_a_call_attempt_or_completion_stops_the_overdue_alert(db, records, calendar, clock):
    tried = records.callback("2026-11-19T11:00", "2026-11-23T12:00", reference="CB-T")
    alerts = SqlAlerts(db.sessions)
    alert_queue(alerts, calendar, clock)  # the reminder
    records.attempt(tried, "2026-11-23T11:00", "voicemail_left")
    clock.set(london("2026-11-23T12:30"))
    assert alert_queue(alerts, calendar, clock) == AlertReport()
    assert [to for to, _ in messages(records)] == [TEAM]


def test_two_clocks_at_once_send_each_alert_once(db, records, calendar, clock):
    """Both clocks read the same due items, then record each alert at the same moment."""
    seed_queue(records)
    barrier = threading.Barrier(2, timeout=20)

    class InLockstep(SqlAlerts):
        def record_alert(self, *args, **kwargs):
            barrier.wait()
            return super().record_alert(*args, **kwargs)

    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(alert_queue, InLockstep(db.sessions), calendar, clock) for _ in range(2)
        ]
        first, second = (run.result(timeout=60) for run in runs)

    assert first.sent + second.sent == 5
    assert first.already_sent + second.already_sent == 5
    assert len(records.outbox_rows()) == 5
    with db.sessions() as session:
        assert len(session.scalars(select(AuditEvent)).all()) == 5


def test_without_staff_alerts_the_alert_is_recorded_and_logged_once(
    db, records, silent_calendar, clock, caplog
):
    records.callback("2026-11-18T10:00", "2026-11-20T17:00", reference="CB-LATE")
    alerts = SqlAlerts(db.sessions)
    with caplog.at_level(logging.WARNING, logger="carers_line.jobs"):
        assert alert_queue(alerts, silent_calendar, clock) == AlertReport(unrouted=1)
    assert "the profile has no staff_alerts" in caplog.text
    assert records.outbox_rows() == []
    with db.sessions() as session:
        event = session.scalars(select(AuditEvent)).one()
        callback = session.scalars(select(Callback)).one()
    assert event.action == "alert_overdue" and event.detail["sent_to"] == 0
    assert callback.overdue_alerted_at == clock.now()
    assert alert_queue(alerts, silent_calendar, clock) == AlertReport()
