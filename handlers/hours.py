"""Opening hours, bank holidays and working-day arithmetic, in the profile's time zone.

The one place that turns UTC instants into local days and back. Every function takes the
moment it reasons about as an argument (from an injected clock); nothing here reads the time.

Definitions (documented in docs/architecture.md, "Working days"):

* A **working day** is a day the profile opens that is neither a bank holiday of the profile's
  nation (from the ``holidays`` package, including substitute and one-off days) nor one of the
  profile's closure days.
* A contact's **counting day** is the day it was received if that is a working day and it came
  before closing time; otherwise the next working day.
* **Within N working days** means by closing time on the Nth working day after the counting day.
* **Urgent** (L8): received while open, due by closing time the same day; received out of
  hours, due by closing time on the next day the service opens.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from handlers.profile import OpeningWindow, ServiceProfile

_MAX_SEARCH_DAYS = 366


class WorkingCalendar:
    """Working-day questions about one service profile."""

    def __init__(self, profile: ServiceProfile) -> None:
        self._profile = profile
        self._zone = profile.time_zone
        self._year_totals: dict[int, tuple[int, ...]] = {}
        self._working_days: dict[date, bool] = {}

    @property
    def profile(self) -> ServiceProfile:
        """The profile this calendar answers for."""
        return self._profile

    def local(self, moment: datetime) -> datetime:
        """The moment in the service's local time."""
        return _aware(moment).astimezone(self._zone)

    def bank_holiday_name(self, day: date) -> str | None:
        """The bank holiday's name on this day in the profile's nation, if any."""
        name = _bank_holidays(self._profile.holiday_subdivision, day.year).get(day)
        return str(name) if name is not None else None

    def is_working_day(self, day: date) -> bool:
        """True when the service opens on this day (remembered: the profile never changes)."""
        working = self._working_days.get(day)
        if working is None:
            working = self._working_days[day] = (
                self._profile.opening_hours.get(day.weekday()) is not None
                and day not in self._profile.closure_days
                and self.bank_holiday_name(day) is None
            )
        return working

    def window(self, day: date) -> OpeningWindow | None:
        """The day's opening window, or None when it is not a working day."""
        if not self.is_working_day(day):
            return None
        return self._profile.opening_hours[day.weekday()]

    def opens_at(self, day: date) -> datetime:
        """Opening time of a working day, as a UTC instant."""
        return self._instant(day, self._require_window(day).opens)

    def closes_at(self, day: date) -> datetime:
        """Closing time of a working day, as a UTC instant."""
        return self._instant(day, self._require_window(day).closes)

    def is_open(self, now: datetime) -> bool:
        """True when staff are answering the phone at this moment."""
        local = self.local(now)
        window = self.window(local.date())
        return window is not None and window.opens <= local.time() < window.closes

    def next_opening(self, now: datetime) -> datetime:
        """When the service next opens (``now`` itself while it is open), in UTC."""
        if self.is_open(now):
            return _aware(now).astimezone(UTC)
        local = self.local(now)
        window = self.window(local.date())
        if window is not None and local.time() < window.opens:
            return self.opens_at(local.date())
        return self.opens_at(self.next_working_day(local.date()))

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day``."""
        candidate = day
        for _ in range(_MAX_SEARCH_DAYS):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("no working day within a year: check the profile's hours and closures")

    def working_days_between(self, first: date, last: date) -> int:
        """Working days after ``first`` up to and including ``last`` (0 when ``last`` is not later).

        Counted from a running total per year, so an item months overdue costs no more than one
        due yesterday (the monitoring report asks this for every late item).
        """
        if last <= first:
            return 0
        between = sum(self._running_totals(year)[-1] for year in range(first.year, last.year))
        return (
            between
            + self._running_totals(last.year)[last.timetuple().tm_yday]
            - self._running_totals(first.year)[first.timetuple().tm_yday]
        )

    def _running_totals(self, year: int) -> tuple[int, ...]:
        """Working days in ``year`` up to and including each day of the year (index 0: none)."""
        totals = self._year_totals.get(year)
        if totals is None:
            running = [0]
            day = date(year, 1, 1)
            while day.year == year:
                running.append(running[-1] + self.is_working_day(day))
                day += timedelta(days=1)
            totals = self._year_totals[year] = tuple(running)
        return totals

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself when count is 0)."""
        if count < 0:
            raise ValueError("count must not be negative")
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def counting_day(self, received: datetime) -> date:
        """The working day a contact counts from (see the module's definitions)."""
        local = self.local(received)
        window = self.window(local.date())
        if window is not None and local.time() < window.closes:
            return local.date()
        return self.next_working_day(local.date())

    def within_working_days(self, received: datetime, count: int) -> datetime:
        """Closing time on the ``count``-th working day after the counting day, in UTC."""
        return self.closes_at(self.add_working_days(self.counting_day(received), count))

    def urgent_due_by(self, received: datetime) -> datetime:
        """L8: same day when received in hours, else the next day the service opens."""
        if self.is_open(received):
            return self.closes_at(self.local(received).date())
        return self.closes_at(self.local(self.next_opening(received)).date())

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two instants (for "time left" shown to staff)."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = self.local(start).date()
        last = self.local(end).date()
        while day <= last:
            if self.is_working_day(day):
                opens = max(self.opens_at(day), _aware(start))
                closes = min(self.closes_at(day), _aware(end))
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total

    def _require_window(self, day: date) -> OpeningWindow:
        window = self.window(day)
        if window is None:
            raise ValueError(f"{day.isoformat()} is not a working day")
        return window

    def _instant(self, day: date, clock_time: time) -> datetime:
        local = datetime.combine(day, clock_time, tzinfo=self._zone)
        return local.astimezone(UTC)


class DueByRules:
    """The service-level deadlines the profile sets (L7, L8, K5)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar
        self._sla = calendar.profile.sla

    def callback(self, received: datetime, *, urgent: bool = False) -> datetime:
        """When a requested callback (or answerphone message) must be returned by."""
        if urgent and self._sla.urgent_same_day:
            return self._calendar.urgent_due_by(received)
        return self._calendar.within_working_days(received, self._sla.callback_working_days)

    def referral_acknowledgement(self, received: datetime) -> datetime:
        """K5: a referral is acknowledged within this many working days."""
        return self._calendar.within_working_days(
            received, self._sla.referral_acknowledge_working_days
        )

    def referral_first_contact(self, received: datetime) -> datetime:
        """K5: the service makes contact with a referred carer by this time."""
        return self._calendar.within_working_days(
            received, self._sla.referral_first_contact_working_days
        )

    def referral_callback(self, received: datetime) -> datetime:
        """L7: the first call back promised to a carer who referred themselves."""
        return self._calendar.within_working_days(
            received, self._sla.referral_callback_working_days
        )


@lru_cache(maxsize=64)
def _bank_holidays(subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=subdivision, years=year)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every instant must carry a time zone")
    return moment
