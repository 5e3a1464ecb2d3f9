"""The limits come from the service profile, with defaults when a deployment leaves them out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.limits import AbuseLimits
from handlers.profile import ProfileError, parse_profile
from settings import DEFAULT_PROFILE_PATH


def example() -> dict[str, Any]:
    return yaml.safe_load(Path(DEFAULT_PROFILE_PATH).read_text())


def test_the_example_profile_sets_three_call_backs_and_five_texts_a_day():
    limits = parse_profile(example()).abuse_limits
    assert (limits.callbacks_per_day, limits.texts_per_day) == (3, 5)


def test_a_profile_without_limits_gets_the_defaults():
    raw = example()
    del raw["abuse_limits"]
    assert parse_profile(raw).abuse_limits == AbuseLimits()


def test_a_deployment_may_change_one_limit():
    raw = example()
    raw["abuse_limits"] = {"texts_per_day": 2}
    assert parse_profile(raw).abuse_limits == AbuseLimits(callbacks_per_day=3, texts_per_day=2)


@pytest.mark.parametrize("value", [0, 101, "three", True])
def test_a_limit_must_be_a_sensible_whole_number(value):
    raw = example()
    raw["abuse_limits"] = {"callbacks_per_day": value}
    with pytest.raises(ProfileError, match=r"abuse_limits\.callbacks_per_day"):
        parse_profile(raw)
