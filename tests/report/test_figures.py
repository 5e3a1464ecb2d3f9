"""The report's figures for the seeded quarter (tests/report/conftest.py), checked by hand.

Deadlines by the example profile's rules; "wd" = working day; Mon 31 Aug 2026 is a bank holiday.
"""

from __future__ import annotations

import pytest

from handlers.report import Count, HourRow, Period, TopicFeedback

pytestmark = pytest.mark.usefixtures("quarter")


def test_contacts_by_channel_and_hour(report_of):
    report = report_of()
    # 8 calls (3 at 9am, 2 at 10am, 2 at 2pm, 1 at 23:30 on 30 September); 5 chats, one of
    # which came back after it had ended (6 contacts). 30 June 23:59 and 1 October 00:10 are
    # outside the quarter although, stored in UTC, one of them is not.
    assert report.channels == ("Phone", "Telegram")
    assert report.contacts_by_channel == (Count("Phone", 8), Count("Telegram", 6))
    assert report.contacts == 14
    hours = {row.hour: row.counts for row in report.contacts_by_hour}
    assert list(hours) == [f"{hour:02d}:00" for hour in range(9, 24)]
    assert {hour: counts for hour, counts in hours.items() if any(counts)} == {
        "09:00": (3, 0),
        "10:00": (2, 0),
        "14:00": (2, 0),
        "20:00": (0, 3),
        "21:00": (0, 2),
        "22:00": (0, 1),
        "23:00": (1, 0),
    }


def test_referrals_by_source(report_of):
    report = report_of()
    assert report.referrals_by_source == (
        Count("Self-referral", 4),
        Count("Family member", 2),
        Count("Health or care professional", 1),
        Count("Voluntary or community agency", 0),  # the agency one came in on 30 June
    )
    assert report.referrals_by_channel == (Count("Phone", 7),)


def level(report, key):
    return next(level for level in report.service_levels if level.key == key)


def test_callbacks_within_two_working_days(report_of):
    # C1 in Mon 6 Jul, due Wed 8 Jul 17:00, first tried Tue 7 Jul: met
    # C2 in Fri 10 Jul 19:00 (closed), counts from Mon 13, due Wed 15 Jul; tried Thu 16: 1 wd late
    # C3 in Thu 27 Aug 15:00, due Tue 1 Sep (bank holiday between); tried Tue 1 Sep 10:00: met
    # C4 in Mon 21 Sep, due Wed 23 Sep, closed without a call Fri 25 Sep: 2 wd late
    # C5 in Tue 29 Sep, due Thu 1 Oct, still open on Mon 23 Nov: 37 wd past (Fri 2 Oct = 1,
    #    7 weeks of Oct-Nov = 35, Mon 23 Nov = 1)
    # C6 in Wed 2 Sep, due Fri 4 Sep 17:00, tried at 16:59: met
    # 3 met, 3 missed: 50%
    callbacks = level(report_of(), "callbacks")
    assert (callbacks.requirement, callbacks.title) == (
        "L7",
        "Callbacks made within 2 working days",
    )
    assert (callbacks.met, callbacks.missed, callbacks.not_yet_due) == (3, 3, 0)
    assert callbacks.percent == 50.0
    assert [(miss.reference, miss.reason) for miss in callbacks.misses] == [
        ("C2", "done 1 working day late"),
        ("C4", "done 2 working days late; closed without a recorded call; outcome: duplicate"),
        ("C5", "not done yet: 37 working days past the deadline; call ended early"),
    ]
    c2 = callbacks.misses[0]
    assert (c2.what, c2.channel) == ("Answerphone message", "Phone")
    assert f"{c2.due:%a %d %b %H:%M}" == "Wed 15 Jul 17:00"
    assert f"{c2.done:%a %d %b %H:%M}" == "Thu 16 Jul 10:00"


def test_urgent_contacts_same_or_next_working_day(report_of):
    # U1 card used Sat 18 Jul 22:00: due Mon 20 Jul 17:00, tried 09:05: met
    # U2 crisis Wed 5 Aug 11:00 (open): due 17:00 that day, tried Thu 6 Aug: 1 wd late
    # U3 Mon 14 Sep 16:59: due 17:00, tried 17:20: late the same day
    # U4 Fri 25 Sep 10:00: done 14:00 without a call attempt: met
    urgent = level(report_of(), "urgent")
    assert (urgent.requirement, urgent.met, urgent.missed, urgent.percent) == ("L8", 2, 2, 50.0)
    assert [(miss.reference, miss.what, miss.reason) for miss in urgent.misses] == [
        ("U2", "Crisis callback", "done 1 working day late"),
        ("U3", "Callback", "done after the deadline, the same day"),
    ]


def test_referrals_acknowledged_within_one_working_day(report_of):
    # R1 Wed 1 Jul -> Thu 2 Jul: acknowledged Thu 09:00, met
    # R3 Sat 11 Jul, counts from Mon 13 -> Tue 14 Jul: acknowledged Wed 15, 1 wd late
    # R5 Tue 4 Aug -> Wed 5 Aug: met
    # R2 Fri 28 Aug 16:00 -> Tue 1 Sep (bank holiday Mon): acknowledged Tue 16:00, met
    # R4 Mon 14 Sep -> Tue 15 Sep: never; 49 wd past (16-18 Sep = 3, 9 weeks = 45, 23 Nov = 1)
    # R6 Thu 17 Sep -> Fri 18 Sep: met
    # R7 Wed 30 Sep 18:00, counts from Thu 1 Oct -> Fri 2 Oct: acknowledged Thu 1 Oct, met
    # 5 met, 2 missed: 71.4%
    acknowledged = level(report_of(), "acknowledged")
    assert (acknowledged.requirement, acknowledged.met, acknowledged.missed) == ("K5", 5, 2)
    assert round(acknowledged.percent, 1) == 71.4
    assert [(miss.reference, miss.what, miss.reason) for miss in acknowledged.misses] == [
        ("R3", "Referral (self-referral)", "done 1 working day late"),
        ("R4", "Referral (self-referral)", "not done yet: 49 working days past the deadline"),
    ]


def test_first_contact_within_five_working_days(report_of):
    # R1 due Wed 8 Jul, contacted Mon 6: met      R3 due Mon 20 Jul, contacted Wed 15: met
    # R5 due Tue 11 Aug 17:00, contacted 17:30: late the same day
    # R2 due Mon 7 Sep (bank holiday skipped), contacted Tue 8 Sep: 1 wd late
    # R4 due Mon 21 Sep, never: 45 wd past (22-25 Sep = 4, 8 weeks = 40, 23 Nov = 1)
    # R6 due Thu 24 Sep, contacted Mon 21: met   R7 due Thu 8 Oct, contacted Fri 2 Oct: met
    # 4 met, 3 missed: 57.1%
    contacted = level(report_of(), "first_contact")
    assert (contacted.met, contacted.missed, round(contacted.percent, 1)) == (4, 3, 57.1)
    assert [(miss.reference, miss.reason) for miss in contacted.misses] == [
        ("R5", "done after the deadline, the same day"),
        ("R2", "done 1 working day late"),
        ("R4", "not done yet: 45 working days past the deadline"),
    ]


def test_the_trend_by_month(report_of):
    report = report_of()
    assert report.trend_unit == "month"
    rounded = [
        (point.label, tuple(None if p is None else round(p, 1) for p in point.percents))
        for point in report.trend
    ]
    #                       L7     L8     ack    first contact
    assert rounded == [
        ("Jul 2026", (50.0, 100.0, 50.0, 100.0)),  # C1/C2, U1, R1/R3, R1/R3
        ("Aug 2026", (100.0, 0.0, 100.0, 0.0)),  # C3, U2, R5/R2, R5/R2
        ("Sep 2026", (33.3, 50.0, 66.7, 66.7)),  # C4/C5/C6, U3/U4, R4/R6/R7, R4/R6/R7
    ]


def test_cards_information_feedback_and_signposting(report_of):
    report = report_of()
    assert report.cards == (
        Count("Requests to join the scheme", 3),
        Count("Cards issued", 2),
        Count("Cards used in an emergency", 2),
        Count("of which the number was not on file", 1),
    )
    # 2 chat answers and 1 spoken summary about Carer's Allowance, 1 chat answer about breaks;
    # "Did that help?", an answer line at another node and one in October do not count
    assert report.topics == (Count("Carer's Allowance", 3), Count("Breaks from caring", 1))
    assert report.unanswered == (
        Count("Questions we could not answer", 3),
        Count("of which we offered close answers", 1),
    )
    assert report.feedback == (
        TopicFeedback("Carer's Allowance", 2, 1),
        TopicFeedback("Breaks from caring", 1, 0),
    )
    assert report.helped == (3, 1)
    # C1 (two services, one chosen from the console's list) and C0 (came in June, completed
    # 2 July); a service from the console's list is shown by its label, not its id
    assert report.signposting == (
        Count("Benefits and money advice", 1),
        Count("Citizens Advice Westshire", 1),
        Count("Westshire Dementia Support", 1),
    )


def test_every_count_by_what_carers_told_us(report_of):
    breakdown = report_of().breakdown
    assert dict(zip(breakdown.measures, breakdown.totals, strict=True)) == {
        "Calls and chats": 14,
        "Referrals": 7,
        "Callbacks asked for": 10,
        "Referred or signposted on": 2,
        "Emergency card requests": 3,
        "Emergency cards issued": 2,
        "Emergency card activations": 2,
        "Answers given": 4,
        "Unanswered questions": 3,
        "Said the answer helped": 3,
        "Said it did not help": 1,
    }

    def column(dimension, measure):
        group = next(group for group in breakdown.groups if group.dimension == dimension)
        index = breakdown.measures.index(measure)
        return {row.category: row.cells[index] for row in group.rows}

    # Contacts: women 6 (W1 3, W2 2, W3 1), a man 1, 7 not linked to anyone who told us.
    # The man's 1 is small; with the total shown it could be worked out from the others, so
    # the smallest other non-zero cell (women, 6) is hidden too.
    assert column("Gender", "Calls and chats") == {
        "Woman": "[c]",
        "Man": "<5",
        "In another way": "0",
        "Not given": "7",
    }
    assert column("Gender", "Referrals") == {
        "Woman": "<5",
        "Man": "<5",
        "In another way": "0",
        "Not given": "<5",
    }
    # Postcodes count by district: WS1 2AB and ws1 3cd are both WS1 (5 contacts); Northtown 1
    assert column("Area", "Calls and chats") == {
        "Northtown": "<5",
        "WS1": "[c]",
        "WS2": "0",
        "Not given": "8",
    }
    assert column("Age", "Calls and chats") == {
        "Under 25": "0",
        "25 to 49": "0",
        "50 to 64": "<5",
        "65 to 74": "<5",
        "75 and over": "<5",
        "Not given": "7",
    }
    # Card activations: W1's card (not disabled) and a number not on file: two small cells
    assert column("Disability", "Emergency card activations") == {
        "Disabled": "0",
        "Not disabled": "<5",
        "Not given": "<5",
    }


def test_contacts_not_yet_due_are_left_out_of_the_percentage(db, records, report_of):
    """On Monday 23 November: a callback due Wednesday is neither met nor missed yet."""
    records.callback("2026-11-23T09:00", "2026-11-25T17:00", reference="CB-WED")
    done = records.callback("2026-11-16T09:00", "2026-11-18T17:00", reference="CB-DONE")
    records.attempt(done, "2026-11-17T10:00")
    report = report_of(Period.parse("2026-11-16", "2026-11-23"))
    callbacks = level(report, "callbacks")
    assert (callbacks.met, callbacks.missed, callbacks.not_yet_due, callbacks.percent) == (
        1,
        0,
        1,
        100.0,
    )
    assert report.trend_unit == "week"
    assert [point.label for point in report.trend] == ["w/c 16 Nov", "w/c 23 Nov"]


def test_an_empty_period_has_no_percentages(report_of):
    report = report_of(Period.parse("2025-01-01", "2025-01-31"))
    assert report.contacts == 0 and report.contacts_by_hour == ()
    assert all(level.percent is None for level in report.service_levels)
    assert all(
        cell in ("0",)
        for group in report.breakdown.groups
        for row in group.rows
        for cell in row.cells
    )


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends before it starts"):
        Period.parse("2026-09-30", "2026-07-01")
    with pytest.raises(ValueError, match="expected dates like 2026-07-01"):
        Period.parse("1 July", "2026-09-30")


def test_hour_rows_cover_first_to_last_busy_hour(report_of):
    assert report_of().contacts_by_hour[0] == HourRow("09:00", (3, 0))
