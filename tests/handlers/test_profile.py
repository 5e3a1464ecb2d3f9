"""Service profile: the shipped example is valid; each bad field is named in the error."""

import copy
import re
from pathlib import Path

import pytest
import yaml

from handlers.profile import ProfileError, load_profile, parse_profile
from settings import DEFAULT_PROFILE_PATH

RAW = yaml.safe_load(Path(DEFAULT_PROFILE_PATH).read_text())


def test_example_profile_is_valid_and_follows_the_specifications():
    profile = load_profile(Path(DEFAULT_PROFILE_PATH))
    assert profile.opening_hours_text() == "Monday to Friday, 9am to 5pm"  # L4
    assert profile.callback_promise() == "within two working days"  # L7
    assert profile.sla.referral_acknowledge_working_days == 1  # K5
    assert profile.sla.referral_first_contact_working_days == 5  # K5
    assert profile.eligibility.minimum_age == 18  # L2
    assert profile.eligibility.former_carer_months == 12  # L2
    assert profile.holiday_subdivision == "ENG"
    values = profile.placeholders()
    assert values["out_of_hours_phone"] == "01632 960999"
    assert all(values.values())


def with_change(path: str, value: object) -> dict[str, object]:
    raw = copy.deepcopy(RAW)
    target = raw
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("service.name", ""),
        ("service.email", "not-an-email"),
        ("service.website", "westshire"),
        ("phones.main", "call us"),
        ("phones.staff_transfer", []),
        ("time_zone", "Mars/Olympus"),
        ("bank_holidays", "wales-only"),
        ("closure_days", ["soon"]),
        ("opening_hours.monday", ["17:00", "09:00"]),
        ("opening_hours.tuesday", ["9am", "5pm"]),
        ("sla.callback_working_days", 0),
        ("sla.callback_working_days", "two"),
        ("sla.urgent_same_day", "yes"),
        ("callbacks.slot_capacity", -1),
        ("emergency_card.max_contacts", 9),
        ("eligibility.minimum_age", 12),
        ("retention.recordings_days", KeyError),
    ],
)
def test_bad_field_is_named(field, value):
    with pytest.raises(ProfileError, match="profile field " + re.escape(field)):
        parse_profile(with_change(field, value))


def test_missing_signpost_is_named():
    raw = copy.deepcopy(RAW)
    del raw["eligibility"]["signposts"]["young_carers"]
    with pytest.raises(ProfileError, match=r"eligibility\.signposts\.young_carers: missing"):
        parse_profile(raw)


def test_a_service_that_never_opens_is_refused():
    raw = copy.deepcopy(RAW)
    raw["opening_hours"] = dict.fromkeys(raw["opening_hours"])
    with pytest.raises(ProfileError, match="opening_hours"):
        parse_profile(raw)


def test_unreadable_or_broken_yaml_is_reported(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("service: [unclosed")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(broken)
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.yaml")
