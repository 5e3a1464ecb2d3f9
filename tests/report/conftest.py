"""A quarter of made-up activity (July to September 2026) whose figures can be checked by hand.

All times are London time (British Summer Time, so one hour ahead of what is stored). The
example profile's working days are Monday to Friday, 09:00 to 17:00; Monday 31 August 2026 is
a bank holiday. The report is produced on Monday 23 November 2026 at 10:30, when every
deadline below has passed. The expected figures, with their arithmetic, are in
``tests/report/test_figures.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.hours import WorkingCalendar
from handlers.profile import load_profile
from handlers.report import Period, Report, build_report
from knowledge.base import load_knowledge
from settings import DEFAULT_PROFILE_PATH
from store.report import SqlReportSource
from tests.jobs.records import Records

PROFILE = load_profile(Path(DEFAULT_PROFILE_PATH))
QUARTER = Period.parse("2026-07-01", "2026-09-30")
CHAT_ANSWER = "[article carers-allowance-how-to-claim] How to claim Carer's Allowance"
BREAKS_ANSWER = "[article breaks-from-caring-options] Ways to get a break from caring"


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(PROFILE.placeholders())


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(PROFILE)


def seed_quarter(records: Records, knowledge) -> None:
    """The quarter's activity (and a little either side of it, which must not count)."""
    # Carers and what they told us when they referred themselves (L10).
    w1 = records.carer(place="WS1 2AB")
    w2 = records.carer(place="ws1 3cd")
    w3 = records.carer(place="Northtown")
    m4 = records.carer(place=None)
    r5_carer = records.carer(place="WS2 1AA")
    facts: dict[int, dict[str, object]] = {
        w1: {"gender": "woman", "age_band": "50_to_64", "disability": False},
        w2: {"gender": "woman", "age_band": "65_to_74", "disability": True},
        w3: {"gender": "woman", "age_band": "50_to_64", "disability": False},
        m4: {"gender": "man", "age_band": "75_and_over"},
    }

    # Calls (8) and chats (5, one of them coming back later: 6 contacts), 14 contacts in all.
    for started in ("2026-07-01T09:00", "2026-07-02T09:10", "2026-07-03T09:20"):
        records.conversation(started, channel="voice", carer_id=w1)
    for day in ("2026-08-03", "2026-08-04"):
        records.conversation(f"{day}T10:15", channel="voice", carer_id=w2)
    records.conversation("2026-08-05T14:00", channel="voice", carer_id=w3)
    records.conversation("2026-09-09T14:30", channel="voice")
    records.conversation("2026-09-30T23:30", channel="voice")  # the last half hour: counts
    records.conversation("2026-07-14T20:05", channel="telegram", carer_id=m4)
    records.conversation("2026-07-15T20:10", channel="telegram")
    back = records.conversation("2026-07-20T20:45", channel="telegram")
    records.turn(back, "2026-09-10T22:15", "hello again", direction="in", node="ended")
    records.conversation("2026-08-20T21:00", channel="telegram")
    answering = records.conversation("2026-09-01T21:30", channel="telegram")
    records.conversation("2026-06-30T23:59", channel="voice")  # the quarter before
    records.conversation("2026-10-01T00:10", channel="voice")  # the quarter after

    # Referrals (K5): acknowledged within 1 working day, first contact within 5.
    def referral(received, carer, source, acknowledged, contacted, reference):
        records.referral(
            received,
            source=source,
            carer_id=carer,
            acknowledged=acknowledged,
            first_contact=contacted,
            demographics=facts.get(carer),
            reference=reference,
        )

    referral("2026-07-01T10:00", w1, "self", "2026-07-02T09:00", "2026-07-06T10:00", "R1")
    referral("2026-08-28T16:00", w2, "self", "2026-09-01T16:00", "2026-09-08T10:00", "R2")
    referral("2026-07-11T11:00", w3, "self", "2026-07-15T10:00", "2026-07-15T10:30", "R3")
    referral("2026-09-14T10:00", m4, "self", None, None, "R4")
    referral("2026-08-04T09:30", r5_carer, "family", "2026-08-04T10:00", "2026-08-11T17:30", "R5")
    referral("2026-09-17T12:00", None, "family", "2026-09-18T09:00", "2026-09-21T10:00", "R6")
    referral("2026-09-30T18:00", None, "professional", "2026-10-01T10:00", "2026-10-02T10:00", "R7")
    referral("2026-06-30T10:00", None, "agency", None, None, "R0")  # the quarter before

    # Callbacks, within 2 working days (L7).
    c1 = records.callback(
        "2026-07-06T10:00",
        "2026-07-08T17:00",
        status="done",
        completed="2026-07-08T10:00",
        signposted_to=["Westshire Dementia Support", "benefits_advice"],
        reference="C1",
        carer_id=w1,
    )
    records.attempt(c1, "2026-07-07T11:00", "no_answer")
    records.attempt(c1, "2026-07-08T10:00", "reached")
    c2 = records.callback(
        "2026-07-10T19:00",
        "2026-07-15T17:00",
        kind="voicemail",
        status="done",
        completed="2026-07-16T10:00",
        reference="C2",
    )
    records.attempt(c2, "2026-07-16T10:00")
    c3 = records.callback(
        "2026-08-27T15:00", "2026-09-01T17:00", channel="telegram", reference="C3"
    )
    records.attempt(c3, "2026-09-01T10:00", "voicemail_left")
    records.callback(
        "2026-09-21T10:00",
        "2026-09-23T17:00",
        status="closed",
        completed="2026-09-25T09:00",
        outcome="duplicate",
        reference="C4",
    )
    records.callback("2026-09-29T11:00", "2026-10-01T17:00", ended_early=True, reference="C5")
    c6 = records.callback("2026-09-02T10:00", "2026-09-04T17:00", reference="C6")
    records.attempt(c6, "2026-09-04T16:59")
    records.callback(  # came in the quarter before, completed in this one: signposting only
        "2026-06-29T10:00",
        "2026-07-01T17:00",
        status="done",
        completed="2026-07-02T10:00",
        signposted_to=["Citizens Advice Westshire"],
        reference="C0",
    )

    # Urgent contacts, the same day or (out of hours) the next working day (L8).
    u1 = records.callback(
        "2026-07-18T22:00",
        "2026-07-20T17:00",
        kind="card_activation",
        urgent=True,
        reference="U1",
    )
    records.attempt(u1, "2026-07-20T09:05")
    u2 = records.callback(
        "2026-08-05T11:00", "2026-08-05T17:00", kind="crisis", urgent=True, reference="U2"
    )
    records.attempt(u2, "2026-08-06T09:00")
    u3 = records.callback("2026-09-14T16:59", "2026-09-14T17:00", urgent=True, reference="U3")
    records.attempt(u3, "2026-09-14T17:20")
    records.callback(
        "2026-09-25T10:00",
        "2026-09-25T17:00",
        urgent=True,
        status="done",
        completed="2026-09-25T14:00",
        reference="U4",
    )

    # Emergency cards: 3 requests, 2 cards issued, 2 activations (one number not on file).
    first = records.card_request("2026-07-02T10:00", carer_id=w1)
    records.card_request("2026-08-12T10:00")
    records.card_request("2026-09-15T10:00", status="pending")
    records.card_request("2026-06-15T10:00")  # the quarter before
    card = records.card("2026-07-09T10:00", carer_id=w1, request_id=first)
    records.card("2026-09-20T10:00")
    records.card("2026-06-20T10:00")  # the quarter before
    records.activation("2026-07-18T22:00", card_id=card)
    records.activation("2026-09-03T03:00")

    # Information: 3 answers about Carer's Allowance (2 in chat, 1 on the phone), 1 about
    # breaks; lines that are not answers, or outside the quarter, do not count.
    node = "information.helped"
    voice_summary = knowledge.articles["carers-allowance-who-can-get"].voice_summary
    records.turn(answering, "2026-09-01T21:31", CHAT_ANSWER, node=node)
    records.turn(answering, "2026-09-01T21:33", CHAT_ANSWER, node=node)
    records.turn(answering, "2026-09-01T21:35", BREAKS_ANSWER, node=node)
    records.turn(answering, "2026-09-01T21:36", "Did that help?", node=node)
    records.turn(answering, "2026-09-01T21:37", CHAT_ANSWER, node="main.menu")
    records.turn(back, "2026-07-20T20:46", voice_summary, node=node)
    records.turn(back, "2026-10-02T10:00", CHAT_ANSWER, node=node)
    records.unanswered("2026-07-03T10:00", clarify=True)
    records.unanswered("2026-08-03T10:00", conversation_id=answering)
    records.unanswered("2026-09-03T10:00")
    records.unanswered("2026-10-03T10:00")  # the quarter after
    records.feedback("2026-09-01T21:32", "carers-allowance-how-to-claim", True)
    records.feedback("2026-09-01T21:34", "carers-allowance-how-to-claim", False)
    records.feedback("2026-07-20T20:47", "carers-allowance-who-can-get", True)
    records.feedback("2026-09-01T21:36", "breaks-from-caring-options", True)
    records.feedback("2026-06-01T10:00", "breaks-from-caring-options", False)  # before


@pytest.fixture
def records(db) -> Records:
    return Records(db)


@pytest.fixture
def quarter(records, knowledge) -> None:
    seed_quarter(records, knowledge)


@pytest.fixture
def report_of(db, calendar, knowledge, clock):
    """The report for a period, produced at the frozen clock's time."""

    def build(period: Period = QUARTER) -> Report:
        return build_report(SqlReportSource(db.sessions), calendar, knowledge, period, clock.now())

    return build
