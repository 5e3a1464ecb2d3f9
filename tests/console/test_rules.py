"""The queue's rules as pure functions: deadlines in words, the attempt policy, the vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.callbacks import (
    ATTEMPT_RESULTS,
    KINDS,
    AttemptPolicy,
    PastAttempt,
    deadline,
    duration_words,
    failed_tries,
    next_try_from,
    plan_attempt,
)
from handlers.profile import CallbackPolicy
from store import models

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
POLICY = AttemptPolicy(most_failed=3, least_gap=timedelta(hours=2))


@pytest.mark.parametrize(
    "delta,words",
    [
        (timedelta(seconds=30), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=45), "45 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=2, minutes=5), "2 hours 5 minutes"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=3, hours=1, minutes=59), "3 days 1 hour"),
    ],
)
def test_durations_in_words(delta, words):
    assert duration_words(delta) == words


def test_deadline_states():
    assert deadline(NOW + timedelta(hours=5), NOW).state == "in_time"
    assert deadline(NOW + timedelta(hours=2), NOW).state == "due_soon"
    assert deadline(NOW + timedelta(hours=2), NOW).words == "2 hours left"
    assert deadline(NOW, NOW).state == "overdue"
    assert deadline(NOW - timedelta(minutes=10), NOW).words == "Overdue by 10 minutes"


def test_the_policy_comes_from_the_profile():
    policy = AttemptPolicy.from_profile(CallbackPolicy(120, 6, 4, 90))
    assert policy == AttemptPolicy(4, timedelta(minutes=90))


def test_the_first_try_is_always_allowed():
    plan = plan_attempt(POLICY, [], "no_answer", NOW, can_email=False)
    assert plan.allowed and plan.closing is None


def test_a_failed_try_too_soon_is_refused_with_the_earliest_time():
    history = [PastAttempt(NOW - timedelta(minutes=90), "no_answer")]
    plan = plan_attempt(POLICY, history, "voicemail_left", NOW, can_email=False)
    assert not plan.allowed and plan.not_before == NOW + timedelta(minutes=30)
    assert next_try_from(POLICY, history) == NOW + timedelta(minutes=30)


def test_what_happened_on_a_connected_call_is_always_recorded():
    history = [PastAttempt(NOW - timedelta(minutes=5), "no_answer")]
    for result in ("reached", "wrong_number", "declined"):
        assert plan_attempt(POLICY, history, result, NOW, can_email=False).allowed


def test_the_last_failed_try_closes_with_a_follow_up():
    history = [
        PastAttempt(NOW - timedelta(hours=5), "no_answer"),
        PastAttempt(NOW - timedelta(hours=3), "reached"),
        PastAttempt(NOW - timedelta(hours=2), "voicemail_left"),
    ]
    assert failed_tries(history) == 2
    plan = plan_attempt(POLICY, history, "no_answer", NOW, can_email=True)
    assert plan.allowed and plan.closing is not None
    assert (plan.closing.outcome, plan.closing.follow_up_method) == ("not_reached", "email")


def test_a_wrong_number_closes_with_a_letter_and_a_refusal_is_not_chased():
    wrong = plan_attempt(POLICY, [], "wrong_number", NOW, can_email=False)
    assert wrong.closing is not None and wrong.closing.follow_up_method == "letter"
    declined = plan_attempt(POLICY, [], "declined", NOW, can_email=True)
    assert declined.closing is not None and declined.closing.follow_up_method is None


def test_an_unknown_result_is_a_programming_error():
    with pytest.raises(ValueError):
        plan_attempt(POLICY, [], "maybe", NOW, can_email=False)


def test_the_vocabulary_matches_the_database():
    assert tuple(ATTEMPT_RESULTS) == models.ATTEMPT_RESULTS
    assert tuple(KINDS) == models.CALLBACK_KINDS
