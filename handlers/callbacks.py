"""The rules of the staff queue, and the desk that applies them for the console.

Pure rules first: the vocabulary (kinds, attempt results, outcomes, services counted for K10),
deadlines in words, and the attempt policy from the service profile (default: up to 3 tries at
least 2 hours apart, then the item closes with a letter or e-mail follow-up task).

``CallbackDesk`` is what the console calls: it checks the rules and roles, writes through the
ports, and records every view and change of a carer's record in the audit trail (L12).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from handlers.phones import clean_phone
from handlers.ports import (
    Actor,
    AuditTrail,
    CallbackQueue,
    CallbackWork,
    CardRecord,
    CardWork,
    CaseFile,
    CaseFiles,
    Clock,
    Closing,
    FollowUpRecord,
    NewAttempt,
    Outbox,
    QueuePage,
    QueueQuery,
    ReferralWork,
    StaffAccounts,
    StaffMember,
    VoicemailRecord,
)
from handlers.profile import CallbackPolicy

KINDS: dict[str, str] = {
    "callback": "Callback",
    "referral": "Referral",
    "voicemail": "Voicemail",
    "card_request": "Card request",
    "card_activation": "Card activation",
    "crisis": "Crisis",
}
ATTEMPT_RESULTS: dict[str, str] = {
    "reached": "Reached the carer",
    "no_answer": "No answer",
    "voicemail_left": "Left a voicemail",
    "wrong_number": "Wrong number",
    "declined": "Carer declined",
}
FAILED_RESULTS = frozenset({"no_answer", "voicemail_left"})
OUTCOMES: dict[str, str] = {
    "information_given": "Information and advice given",
    "signposted": "Signposted to other services",
    "referred_on": "Referred on to another service",
    "registered": "Registered with the carers service",
    "assessment_requested": "Carer's assessment requested",
    "card_arranged": "Emergency card arranged",
    "plan_put_into_action": "Emergency plan put into action",
    "safeguarding_raised": "Safeguarding concern raised",
    "no_further_help": "No further help wanted",
}
CLOSING_OUTCOMES: dict[str, str] = {
    "not_reached": "Not reached by phone: follow-up sent",
    "wrong_number": "Wrong number: follow-up sent",
    "declined": "Carer declined the call",
}
SERVICES: dict[str, str] = {
    "carers_assessment": "Carer's assessment (council)",
    "support_plan": "Carer's support plan",
    "emergency_card": "Carers emergency card",
    "information_advice": "Information and advice",
    "benefits_advice": "Benefits and money advice",
    "breaks": "Breaks and respite",
    "emotional_support": "Counselling and emotional support",
    "carers_groups": "Carers groups and peer support",
    "training": "Training for carers",
    "gp_carer_register": "GP: register as a carer",
    "adult_social_care": "Adult social care (needs assessment)",
    "condition_support": "Specialist support for the condition",
    "advocacy": "Advocacy",
    "housing": "Housing",
    "work_and_learning": "Work, education and learning",
    "young_carers": "Young carers service",
    "mental_health_crisis": "Mental health crisis support",
}
FOLLOW_UP_METHODS: dict[str, str] = {"letter": "Letter", "email": "E-mail"}
DUE_SOON = timedelta(hours=2)
SIGN_IN_LIMIT = 5
LOCK_OUT = timedelta(minutes=15)

DeadlineState = Literal["overdue", "due_soon", "in_time"]


@dataclass(frozen=True)
class Deadline:
    """Where an item stands against its due-by: a state (for colour) and words (for everyone)."""

    state: DeadlineState
    words: str


def duration_words(delta: timedelta) -> str:
    """A length of time the way people say it: "2 days 3 hours", "45 minutes"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [_plural(days, "day"), _plural(hours, "hour") if hours else ""]
    elif hours:
        parts = [_plural(hours, "hour"), _plural(minutes, "minute") if minutes else ""]
    elif minutes:
        parts = [_plural(minutes, "minute")]
    else:
        return "less than a minute"
    return " ".join(part for part in parts if part)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def deadline(due_by: datetime, now: datetime) -> Deadline:
    """Overdue, due within two hours, or in time, with the time left or overdue in words."""
    if now >= due_by:
        return Deadline("overdue", f"Overdue by {duration_words(now - due_by)}")
    left = due_by - now
    return Deadline("due_soon" if left <= DUE_SOON else "in_time", f"{duration_words(left)} left")


@dataclass(frozen=True)
class AttemptPolicy:
    """How many failed tries, how far apart, before an item closes with a follow-up."""

    most_failed: int
    least_gap: timedelta

    @classmethod
    def from_profile(cls, policy: CallbackPolicy) -> AttemptPolicy:
        """The profile's ``callbacks.attempts_max`` and ``attempts_min_gap_minutes``."""
        return cls(policy.attempts_max, timedelta(minutes=policy.attempts_min_gap_minutes))


@dataclass(frozen=True)
class PastAttempt:
    """An attempt already recorded: when, and with what result."""

    at: datetime
    result: str


@dataclass(frozen=True)
class AttemptPlan:
    """What recording an attempt would do: refuse it until ``not_before``, or go ahead.

    ``closing`` is set when this attempt closes the item.
    """

    allowed: bool
    not_before: datetime | None = None
    closing: Closing | None = None


def failed_tries(history: Sequence[PastAttempt]) -> int:
    """How many tries did not reach the carer."""
    return sum(attempt.result in FAILED_RESULTS for attempt in history)


def next_try_from(policy: AttemptPolicy, history: Sequence[PastAttempt]) -> datetime | None:
    """The earliest time another try may be recorded as failed (None: any time)."""
    if not history:
        return None
    return max(attempt.at for attempt in history) + policy.least_gap


def plan_attempt(
    policy: AttemptPolicy,
    history: Sequence[PastAttempt],
    result: str,
    now: datetime,
    *,
    can_email: bool,
) -> AttemptPlan:
    """Apply the attempt policy to one new attempt.

    A try that did not reach the carer (no answer, voicemail left) is refused until the gap
    since the last try has passed, so the carer has a fair chance to answer. What happened on a
    call that did connect (reached, wrong number, declined) is always recorded. The last failed
    try, or a wrong number, closes the item with a follow-up task: an e-mail when we have an
    address, otherwise a letter. A carer who declined is not chased.
    """
    if result not in ATTEMPT_RESULTS:
        raise ValueError(f"unknown attempt result {result!r}")
    method = "email" if can_email else "letter"
    if result in FAILED_RESULTS:
        earliest = next_try_from(policy, history)
        if earliest is not None and now < earliest:
            return AttemptPlan(False, not_before=earliest)
        if failed_tries(history) + 1 >= policy.most_failed:
            return AttemptPlan(True, closing=Closing("not_reached", method, "attempts_used"))
        return AttemptPlan(True)
    if result == "wrong_number":
        return AttemptPlan(True, closing=Closing("wrong_number", method, "wrong_number"))
    if result == "declined":
        return AttemptPlan(True, closing=Closing("declined", None, None))
    return AttemptPlan(True)


class NotPermittedError(PermissionError):
    """The member of staff's role does not allow this."""


Refusal = Literal[
    "not_found",
    "not_holder",
    "closed",
    "changed",
    "too_soon",
    "unknown_choice",
    "not_allowed",
    "no_phone",
]


@dataclass(frozen=True)
class Result:
    """What happened to a request from the console: done, or refused and why."""

    done: bool
    refusal: Refusal | None = None
    not_before: datetime | None = None
    closing: Closing | None = None

    @classmethod
    def ok(cls, closing: Closing | None = None) -> Result:
        """It was done."""
        return cls(True, closing=closing)

    @classmethod
    def refused(cls, refusal: Refusal, not_before: datetime | None = None) -> Result:
        """It was not done, for this reason."""
        return cls(False, refusal, not_before)


@dataclass(frozen=True)
class DeskPorts:
    """Everything the desk reads and writes."""

    accounts: StaffAccounts
    queue: CallbackQueue
    files: CaseFiles
    work: CallbackWork
    referrals: ReferralWork
    cards: CardWork
    audit: AuditTrail
    outbox: Outbox


class CallbackDesk:
    """The console's use cases: each checks the rules, writes, and leaves an audit line."""

    def __init__(self, ports: DeskPorts, clock: Clock, policy: AttemptPolicy) -> None:
        self.ports = ports
        self.clock = clock
        self.policy = policy

    def queue(self, staff: StaffMember, query: QueueQuery, offset: int, limit: int) -> QueuePage:
        """A page of the open queue, audited with the items shown."""
        if query.kind is not None and query.kind not in KINDS:
            query = QueueQuery(query.view, query.overdue, query.urgent, None)
        page = self.ports.queue.page(query, staff.id, self.clock.now(), offset, limit)
        self._audit(
            staff,
            "viewed_queue",
            "queue",
            None,
            {"items": [row.id for row in page.rows], "view": query.view, "kind": query.kind},
        )
        return page

    def open_case(self, staff: StaffMember, callback_id: int) -> CaseFile | None:
        """Everything about one item; the view itself is audited."""
        case = self.ports.files.callback(callback_id)
        if case is not None:
            related = [conversation.id for conversation in case.conversations]
            self._audit(staff, "viewed", "callback", callback_id, {"conversations": related})
        return case

    def find_case(self, callback_id: int) -> CaseFile | None:
        """An item read only to find what a change applies to (the change is audited)."""
        return self.ports.files.callback(callback_id)

    def history(self, case: CaseFile) -> list[PastAttempt]:
        """The item's attempts in the form the policy reads."""
        return [PastAttempt(attempt.at, attempt.result) for attempt in case.attempts]

    def claim(self, staff: StaffMember, callback_id: int) -> Result:
        """Take an item: only one member of staff can ever hold it."""
        if self.ports.queue.claim(callback_id, Actor.staff(staff), self.clock.now()):
            return Result.ok()
        return Result.refused("not_holder")

    def release(self, staff: StaffMember, callback_id: int) -> Result:
        """Give an item back (a supervisor may release anyone's)."""
        released = self.ports.queue.release(
            callback_id, Actor.staff(staff), self.clock.now(), anyone=staff.is_supervisor
        )
        return Result.ok() if released else Result.refused("not_holder")

    def reassign(self, staff: StaffMember, callback_id: int, to_staff_id: int) -> Result:
        """Give an item to someone else: supervisors only."""
        self._require_supervisor(staff)
        target = self.ports.accounts.get(to_staff_id)
        if target is None or not target.active:
            return Result.refused("unknown_choice")
        moved = self.ports.queue.reassign(callback_id, target, Actor.staff(staff), self.clock.now())
        return Result.ok() if moved else Result.refused("closed")

    def record_attempt(
        self, staff: StaffMember, callback_id: int, result: str, notes: str | None
    ) -> Result:
        """Record one try at reaching the carer, applying the attempt policy."""
        if result not in ATTEMPT_RESULTS:
            return Result.refused("unknown_choice")
        case = self.ports.files.callback(callback_id)
        if case is None:
            return Result.refused("not_found")
        refusal = _holding(case, staff)
        if refusal is not None:
            return Result.refused(refusal)
        now = self.clock.now()
        can_email = bool(case.carer and case.carer.email)
        plan = plan_attempt(self.policy, self.history(case), result, now, can_email=can_email)
        if not plan.allowed:
            return Result.refused("too_soon", plan.not_before)
        attempt = NewAttempt(callback_id, now, result, _clean(notes), case.item.attempts_count)
        if not self.ports.work.record_attempt(attempt, Actor.staff(staff), plan.closing):
            return Result.refused("changed")
        if result == "reached" and case.referral is not None:
            self.ports.referrals.first_contact(case.referral.id, Actor.staff(staff), now)
        return Result.ok(plan.closing)

    def complete(
        self,
        staff: StaffMember,
        callback_id: int,
        outcome: str,
        services: Sequence[str],
        notes: str | None,
    ) -> Result:
        """Finish an item with its outcome and the services given (counted for K10)."""
        if outcome not in OUTCOMES or any(service not in SERVICES for service in services):
            return Result.refused("unknown_choice")
        case = self.ports.files.callback(callback_id)
        if case is None:
            return Result.refused("not_found")
        refusal = _holding(case, staff)
        if refusal is not None:
            return Result.refused(refusal)
        chosen = tuple(dict.fromkeys(services))
        if not self.ports.work.complete(
            callback_id, Actor.staff(staff), self.clock.now(), outcome, chosen, _clean(notes)
        ):
            return Result.refused("changed")
        return Result.ok()

    def follow_ups(
        self, staff: StaffMember, open_only: bool, offset: int, limit: int
    ) -> tuple[list[FollowUpRecord], int]:
        """A page of follow-up tasks, audited with the tasks shown."""
        tasks, total = self.ports.work.follow_ups(open_only, offset, limit)
        self._audit(
            staff, "viewed_follow_ups", "follow_up", None, {"tasks": [task.id for task in tasks]}
        )
        return tasks, total

    def finish_follow_up(self, staff: StaffMember, task_id: int, notes: str | None) -> Result:
        """A follow-up letter or e-mail was sent."""
        done = self.ports.work.finish_follow_up(
            task_id, Actor.staff(staff), self.clock.now(), _clean(notes)
        )
        return Result.ok() if done else Result.refused("closed")

    def acknowledge_referral(self, staff: StaffMember, referral_id: int) -> Result:
        """Stop the K5 acknowledgement clock."""
        done = self.ports.referrals.acknowledge(referral_id, Actor.staff(staff), self.clock.now())
        return Result.ok() if done else Result.refused("closed")

    def record_first_contact(self, staff: StaffMember, referral_id: int) -> Result:
        """Record first contact with a referred carer (K5)."""
        done = self.ports.referrals.first_contact(referral_id, Actor.staff(staff), self.clock.now())
        return Result.ok() if done else Result.refused("closed")

    def tell_referrer(self, staff: StaffMember, referral_id: int, message: str) -> Result:
        """Text a third-party referrer that contact was made (K6), only if they asked to be told.

        The message goes through the outbox (retried by the clock); a repeat sends nothing twice.
        """
        notice = self.ports.referrals.notice(referral_id)
        if notice is None:
            return Result.refused("not_found")
        if not notice.tell_referrer:
            return Result.refused("not_allowed")
        if notice.first_contact_at is None or notice.referrer_told_at is not None:
            return Result.refused("closed")
        phone = clean_phone(notice.referrer_phone or "")
        text = _clean(message)
        if phone is None:
            return Result.refused("no_phone")
        if text is None:
            return Result.refused("unknown_choice")
        now = self.clock.now()
        self.ports.outbox.enqueue(
            "sms", phone, {"text": text}, now, dedupe_key=f"referral:{notice.reference}:told"
        )
        self.ports.referrals.referrer_told(referral_id, Actor.staff(staff), now)
        return Result.ok()

    def approve_card(
        self,
        staff: StaffMember,
        request_id: int,
        plan: str | None,
        contacts: Sequence[dict[str, str]],
    ) -> int | None:
        """Approve a card request: the new card's id, or None if it was already decided."""
        return self.ports.cards.approve(
            request_id, Actor.staff(staff), self.clock.now(), _clean(plan), tuple(contacts)
        )

    def decline_card(self, staff: StaffMember, request_id: int, note: str) -> Result:
        """Decline a card request with the reason."""
        text = _clean(note)
        if text is None:
            return Result.refused("unknown_choice")
        done = self.ports.cards.decline(request_id, Actor.staff(staff), self.clock.now(), text)
        return Result.ok() if done else Result.refused("closed")

    def open_card(self, staff: StaffMember, card_id: int, *, purpose: str) -> CardRecord | None:
        """An issued card; the view (or printing) is audited."""
        card = self.ports.files.card(card_id)
        if card is not None:
            self._audit(staff, purpose, "card", card_id, {})
        return card

    def update_plan(
        self,
        staff: StaffMember,
        card_id: int,
        plan: str | None,
        contacts: Sequence[dict[str, str]],
    ) -> Result:
        """Change a card's emergency plan and contacts."""
        done = self.ports.cards.update_plan(
            card_id, Actor.staff(staff), self.clock.now(), _clean(plan), tuple(contacts)
        )
        return Result.ok() if done else Result.refused("closed")

    def listen(self, staff: StaffMember, voicemail_id: int) -> VoicemailRecord | None:
        """A voicemail whose audio is about to be played; the listening is audited."""
        voicemail = self.ports.files.voicemail(voicemail_id)
        if voicemail is not None:
            self._audit(staff, "listened", "voicemail", voicemail_id, {})
        return voicemail

    def audit_note(
        self, staff: StaffMember, action: str, subject: str, subject_id: int | None, **detail: str
    ) -> None:
        """An audit line for something the console did outside the store (placing a call)."""
        self._audit(staff, action, subject, subject_id, dict(detail))

    def _audit(
        self,
        staff: StaffMember,
        action: str,
        subject: str,
        subject_id: int | None,
        detail: dict[str, object],
    ) -> None:
        self.ports.audit.record(
            Actor.staff(staff), action, subject, subject_id, self.clock.now(), detail
        )

    @staticmethod
    def _require_supervisor(staff: StaffMember) -> None:
        if not staff.is_supervisor:
            raise NotPermittedError("supervisors only")


def _holding(case: CaseFile, staff: StaffMember) -> Refusal | None:
    if case.status != "open":
        return "closed"
    if case.item.holder_id != staff.id:
        return "not_holder"
    return None


def _clean(text: str | None) -> str | None:
    """Trimmed text, or None when nothing was written."""
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None
