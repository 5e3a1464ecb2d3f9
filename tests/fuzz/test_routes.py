"""Every route the app serves has a fuzz strategy, and the suite's hypothesis profile is fixed."""

from __future__ import annotations

from hypothesis import settings

from tests.fuzz import routes
from tests.fuzz.conftest import FUZZ

POSTED = frozenset(
    (*routes.VOICE, *routes.VOICE_QUIET, *routes.SMS, *routes.TELEGRAM, *routes.CONSOLE_FORMS)
)


def test_every_route_is_fuzzed(app):
    served = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    unfuzzed = sorted(
        (rule, method)
        for rule, method in served
        if rule not in (routes.PAGES if method == "GET" else POSTED)
    )
    assert unfuzzed == [], "give these routes a fuzz strategy in tests/fuzz/"
    assert {rule for rule, _ in served} == routes.COVERED, "tests/fuzz/routes.py lists a route gone"


def test_the_default_profile_is_repeatable_and_quick():
    default = settings.get_profile("fuzz")
    assert default.derandomize and default.database is None and default.deadline is None
    assert default.max_examples <= 50
    assert settings.get_profile("long").max_examples > default.max_examples
    assert FUZZ.deadline is None
