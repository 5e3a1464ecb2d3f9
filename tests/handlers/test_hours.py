"""Working-day rules: the documented due-by table (docs/architecture.md, "Working days")."""

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from handlers.hours import DueByRules, WorkingCalendar
from handlers.profile import ServiceProfile, load_profile
from settings import DEFAULT_PROFILE_PATH
from tests.conftest import london

EXAMPLE: ServiceProfile = load_profile(Path(DEFAULT_PROFILE_PATH))


def calendar_for(
    nation: str = "england-and-wales", closures: tuple[date, ...] = ()
) -> WorkingCalendar:
    profile = replace(
        EXAMPLE,
        bank_holiday_nation=nation,
        closure_days=frozenset(closures),
    )
    return WorkingCalendar(profile)


def as_london(moment):
    return moment.astimezone(london("2026-01-01T00:00").tzinfo).strftime("%Y-%m-%d %H:%M")


# received (London), expected callback due, expected urgent due, why
DUE_BY_TABLE = [
    # Ordinary weekday in hours: counts from today, two working days later.
    ("2026-11-23T10:30", "2026-11-25 17:00", "2026-11-23 17:00", "Monday in hours"),
    # Before opening on a working day still counts from that day; urgent is due that day.
    ("2026-11-23T07:15", "2026-11-25 17:00", "2026-11-23 17:00", "Monday before opening"),
    # Friday after closing before Easter: Good Friday 3 Apr and Easter Monday 6 Apr 2026 shut.
    ("2026-04-02T17:30", "2026-04-09 17:00", "2026-04-07 17:00", "Thursday evening before Easter"),
    ("2026-04-02T16:59", "2026-04-08 17:00", "2026-04-02 17:00", "Thursday in hours before Easter"),
    # Friday after closing before the early May bank holiday (Mon 4 May 2026).
    (
        "2026-05-01T18:00",
        "2026-05-07 17:00",
        "2026-05-05 17:00",
        "Friday evening, May bank holiday",
    ),
    # Weekend contact counts from Monday.
    ("2026-11-28T11:00", "2026-12-02 17:00", "2026-11-30 17:00", "Saturday"),
    # Christmas 2027: Sat 25 and Sun 26 Dec, substitute days Mon 27 and Tue 28 Dec.
    (
        "2027-12-24T17:05",
        "2027-12-31 17:00",
        "2027-12-29 17:00",
        "Christmas Eve 2027 after closing",
    ),
    ("2027-12-25T10:00", "2027-12-31 17:00", "2027-12-29 17:00", "Christmas Day 2027"),
    # Christmas 2026: Fri 25, Boxing Day Sat 26, substitute Mon 28; 24 and 31 Dec are closure days.
    ("2026-12-25T10:00", "2027-01-04 17:00", "2026-12-29 17:00", "Christmas Day 2026"),
    ("2026-12-23T16:00", "2026-12-30 17:00", "2026-12-23 17:00", "23 Dec 2026 in hours"),
    # Clock changes: BST starts Sun 29 Mar 2026 and ends Sun 25 Oct 2026.
    # Deadlines stay at 17:00 local time.
    ("2026-03-27T18:00", "2026-04-01 17:00", "2026-03-30 17:00", "Friday before spring forward"),
    ("2026-10-23T18:00", "2026-10-28 17:00", "2026-10-26 17:00", "Friday before clocks go back"),
]


def test_working_days_between_agrees_with_counting_day_by_day_across_years_and_holidays():
    closed = calendar_for(closures=(date(2026, 11, 25),))

    def one_by_one(first: date, last: date) -> int:
        count, day = 0, first
        while (day := closed.next_working_day(day)) <= last:
            count += 1
        return count

    start = date(2025, 12, 20)
    for first in (start + timedelta(days=n) for n in range(0, 400, 7)):
        for span in (0, 1, 3, 9, 40, 380):
            last = first + timedelta(days=span)
            assert closed.working_days_between(first, last) == one_by_one(first, last), span
    assert closed.working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1  # 29th only
    assert closed.working_days_between(date(2026, 11, 24), date(2026, 11, 26)) == 1
    assert closed.working_days_between(date(2026, 11, 26), date(2026, 11, 24)) == 0


@pytest.mark.parametrize(("received", "callback", "urgent", "why"), DUE_BY_TABLE)
def test_due_by_table(received, callback, urgent, why):
    rules = DueByRules(calendar_for(closures=(date(2026, 12, 24), date(2026, 12, 31))))
    moment = london(received)
    assert as_london(rules.callback(moment)) == callback, why
    assert as_london(rules.callback(moment, urgent=True)) == urgent, why


def test_deadlines_are_utc_instants_that_follow_the_clock_change():
    rules = DueByRules(calendar_for())
    summer = rules.callback(london("2026-10-21T10:00"))  # due Fri 23 Oct 17:00 BST
    winter = rules.callback(london("2026-10-26T10:00"))  # due Wed 28 Oct 17:00 GMT
    assert summer.utcoffset() == timedelta(0) and winter.utcoffset() == timedelta(0)
    assert (summer.hour, winter.hour) == (16, 17)


def test_spring_forward_night_is_closed_and_next_opening_is_monday_morning():
    calendar = calendar_for()
    small_hours = london("2026-03-29T01:30")  # this local time does not exist; zoneinfo folds it
    assert not calendar.is_open(small_hours)
    assert as_london(calendar.next_opening(small_hours)) == "2026-03-30 09:00"


def test_referral_rules_acknowledge_in_one_day_and_contact_in_five():
    rules = DueByRules(calendar_for())
    received = london("2026-05-01T18:00")  # Friday evening before the May bank holiday
    assert as_london(rules.referral_acknowledgement(received)) == "2026-05-06 17:00"
    assert as_london(rules.referral_first_contact(received)) == "2026-05-12 17:00"
    assert as_london(rules.referral_callback(received)) == "2026-05-07 17:00"


def test_scottish_only_holiday_st_andrews_day():
    received = london("2026-11-27T18:00")  # Friday evening; Mon 30 Nov is St Andrew's Day
    scotland = DueByRules(calendar_for("scotland"))
    england = DueByRules(calendar_for("england-and-wales"))
    assert as_london(scotland.callback(received)) == "2026-12-03 17:00"
    assert as_london(england.callback(received)) == "2026-12-02 17:00"
    assert calendar_for("scotland").bank_holiday_name(date(2026, 11, 30)) == "Saint Andrew's Day"


def test_northern_irish_only_holiday_st_patricks_day():
    received = london("2026-03-16T17:30")  # Monday evening; Tue 17 Mar is St Patrick's Day in NI
    ni = DueByRules(calendar_for("northern-ireland"))
    england = DueByRules(calendar_for("england-and-wales"))
    assert as_london(ni.callback(received)) == "2026-03-20 17:00"
    assert as_london(england.callback(received)) == "2026-03-19 17:00"
    assert as_london(ni.callback(received, urgent=True)) == "2026-03-18 17:00"


def test_one_off_bank_holiday_coronation_2023():
    calendar = calendar_for()
    assert not calendar.is_working_day(date(2023, 5, 8))
    assert (
        as_london(DueByRules(calendar).callback(london("2023-05-05T12:00"))) == "2023-05-10 17:00"
    )


def test_closure_day_is_not_a_working_day():
    closed = calendar_for(closures=(date(2026, 11, 25),))
    received = london("2026-11-24T12:00")
    assert as_london(DueByRules(closed).callback(received)) == "2026-11-27 17:00"
    assert as_london(DueByRules(calendar_for()).callback(received)) == "2026-11-26 17:00"


@pytest.mark.parametrize(
    ("moment", "is_open", "next_opening"),
    [
        ("2026-11-23T08:59", False, "2026-11-23 09:00"),
        ("2026-11-23T09:00", True, "2026-11-23 09:00"),
        ("2026-11-23T16:59", True, "2026-11-23 16:59"),
        ("2026-11-23T17:00", False, "2026-11-24 09:00"),
        ("2026-11-27T17:00", False, "2026-11-30 09:00"),
        ("2026-12-24T10:00", False, "2026-12-29 09:00"),
        ("2026-04-03T10:00", False, "2026-04-07 09:00"),
    ],
)
def test_is_open_and_next_opening(moment, is_open, next_opening):
    calendar = calendar_for(closures=(date(2026, 12, 24),))
    assert calendar.is_open(london(moment)) is is_open
    assert as_london(calendar.next_opening(london(moment))) == next_opening


def test_counting_day_and_working_day_arithmetic():
    calendar = calendar_for()
    assert calendar.counting_day(london("2026-11-23T16:59")) == date(2026, 11, 23)
    assert calendar.counting_day(london("2026-11-23T17:00")) == date(2026, 11, 24)
    assert calendar.add_working_days(date(2026, 11, 27), 0) == date(2026, 11, 27)
    assert calendar.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 11, 27), -1)


def test_naive_datetimes_are_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="naive"):
        calendar_for().is_open(datetime(2026, 11, 23, 10, 0))


def test_working_time_between_counts_only_open_hours():
    calendar = calendar_for()
    left = calendar.working_time_between(london("2026-11-27T16:00"), london("2026-11-30T10:00"))
    assert left.total_seconds() == 2 * 3600
