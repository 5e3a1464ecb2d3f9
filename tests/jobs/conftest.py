"""Fixtures for the clock's jobs: the example profile's calendar, the rows helper."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from handlers.hours import WorkingCalendar
from handlers.profile import ServiceProfile, load_profile
from settings import DEFAULT_PROFILE_PATH
from tests.jobs.records import Records

PROFILE = load_profile(Path(DEFAULT_PROFILE_PATH))


@pytest.fixture
def profile() -> ServiceProfile:
    return PROFILE


@pytest.fixture
def calendar() -> WorkingCalendar:
    """The example profile: staff alerts by SMS, team 07700 900101, supervisors 07700 900102."""
    return WorkingCalendar(PROFILE)


@pytest.fixture
def silent_calendar() -> WorkingCalendar:
    """A profile with nowhere to send staff alerts."""
    return WorkingCalendar(replace(PROFILE, staff_alerts=None))


@pytest.fixture
def records(db) -> Records:
    return Records(db)
