"""The words of the clock's notices to staff: reminders, overdue alerts, the daily summary.

Staff read these on a phone (SMS) or in a Telegram group, which are not secure places, so a
notice names a queue item only by its reference and kind, and never carries a carer's name,
number or message. Times are the service's local time, as staff think of them.
"""

from __future__ import annotations

from datetime import datetime

from handlers.hours import WorkingCalendar
from handlers.ports import AlertKind, QueueItemDue, QueueSummary, ReferralDue

KIND_LABELS = {
    "callback": "callback",
    "referral": "referral call",
    "voicemail": "answerphone message",
    "card_request": "emergency card request",
    "card_activation": "EMERGENCY CARD USED",
    "crisis": "crisis callback",
}
SOURCE_LABELS = {
    "self": "self-referral",
    "family": "from family",
    "professional": "from a professional",
    "agency": "from an agency",
}


class StaffNotices:
    """Builds each notice's text for one moment (so "today" means the local day then)."""

    def __init__(self, calendar: WorkingCalendar, now: datetime) -> None:
        self._calendar = calendar
        self._now = now
        self._service = calendar.profile.name

    def due_soon(self, item: QueueItemDue) -> str:
        """A reminder that an item nobody has called yet is due soon."""
        return (
            f"{self._service}: {self._item(item)} is due by {self.when(item.due_by)}. "
            f"No call yet. Held by {item.held_by or 'nobody'}."
        )

    def overdue(self, item: QueueItemDue) -> str:
        """An alert that an item's deadline passed with no call attempt."""
        return (
            f"{self._service}: OVERDUE {self._item(item)} was due by {self.when(item.due_by)}. "
            f"No call recorded. Held by {item.held_by or 'nobody'}."
        )

    def referral_overdue(self, kind: AlertKind, referral: ReferralDue) -> str:
        """An alert that a referral's acknowledgement or first contact is late (K5)."""
        what = "acknowledged" if kind == "acknowledgement_overdue" else "first contacted"
        source = SOURCE_LABELS.get(referral.source, referral.source)
        return (
            f"{self._service}: OVERDUE referral {referral.reference} ({source}) was due to be "
            f"{what} by {self.when(referral.due)} and is not recorded as done."
        )

    def daily_summary(self, counts: QueueSummary, since: datetime) -> str:
        """The morning summary: counts only."""
        today = self._calendar.local(self._now)
        lines = [
            f"{self._service}, {today:%a %-d %b}: {_many(counts.open_items, 'item')} open "
            f"({counts.urgent} urgent, {counts.overdue} overdue, {counts.due_today} due today, "
            f"{counts.unclaimed} not claimed).",
            f"Since {since:%a %-d %b %H:%M}: "
            + ", ".join(
                (
                    _many(counts.contacts, "call or chat", "calls and chats"),
                    _many(counts.callbacks_asked, "callback asked for", "callbacks asked for"),
                    _many(counts.referrals, "referral"),
                    _many(counts.card_requests, "emergency card request"),
                    _many(counts.card_activations, "card activation"),
                    _many(counts.completed, "item completed", "items completed"),
                )
            )
            + ".",
        ]
        if counts.messages_given_up:
            lines.append(
                f"{_many(counts.messages_given_up, 'message')} could not be sent: see the outbox."
            )
        return " ".join(lines)

    def when(self, moment: datetime) -> str:
        """A local time with its day: "17:00 today", "17:00 tomorrow", "17:00 Wed 25 Nov"."""
        local = self._calendar.local(moment)
        days = (local.date() - self._calendar.local(self._now).date()).days
        day = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days, f"{local:%a %-d %b}")
        return f"{local:%H:%M} {day}"

    def _item(self, item: QueueItemDue) -> str:
        label = KIND_LABELS.get(item.kind, item.kind)
        return f"{label} {item.reference}" + (" (urgent)" if item.urgent else "")


def _many(count: int, one: str, more: str | None = None) -> str:
    """A count with its noun: "1 referral", "2 referrals"."""
    return f"{count} {one if count == 1 else more or one + 's'}"
