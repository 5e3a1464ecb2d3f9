"""Bodies of the clock's scheduled jobs: plain, idempotent functions of (ports, now)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from handlers.dialog import HungUp
from handlers.hours import DueByRules, WorkingCalendar
from handlers.phones import clean_phone
from handlers.ports import (
    AlertKind,
    Alerts,
    Clock,
    DialogEvents,
    Expired,
    Heartbeats,
    IdleConversations,
    KeptRecording,
    MessageSender,
    Outbox,
    QueueItemDue,
    RecordingDeleter,
    RetentionStore,
    Spool,
    StaffMessage,
    Summaries,
    Voicemails,
)
from handlers.profile import Retention, StaffAlerts
from handlers.staff_notices import StaffNotices

log = logging.getLogger("carers_line.jobs")
CLOCK_HEARTBEAT = "clock"
OUTBOX_LEASE_SECONDS = 300
OUTBOX_BATCH = 50
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600
MOST_ATTEMPTS = 20


def heartbeat(heartbeats: Heartbeats, clock: Clock) -> None:
    """Record that the clock process is alive (``/readyz`` and supervisors read it)."""
    heartbeats.record(CLOCK_HEARTBEAT, clock.now())


@dataclass(frozen=True)
class DeliveryReport:
    """What one outbox run did."""

    sent: int = 0
    retrying: int = 0
    given_up: int = 0


def deliver_outbox(
    outbox: Outbox, senders: Mapping[str, MessageSender], clock: Clock
) -> DeliveryReport:
    """Send what is due, oldest first per recipient; back off on passing faults.

    The first retry comes within a minute, then the wait doubles up to an hour (or what the
    other side asked for with ``retry_after``). A recipient who blocked us, a message the other
    side rejects, or one that failed ``MOST_ATTEMPTS`` times is given up and logged.
    """
    sent = retrying = given_up = 0
    items = outbox.claim_due(senders.keys(), clock.now(), OUTBOX_LEASE_SECONDS, OUTBOX_BATCH)
    for item in items:
        result = senders[item.channel].send(item.recipient, item.payload)
        now = clock.now()
        if result.status == "sent":
            outbox.sent(item.id, now)
            sent += 1
        elif result.status == "retry" and item.attempts < MOST_ATTEMPTS:
            wait = result.retry_after or min(
                FIRST_RETRY_SECONDS * 2 ** (item.attempts - 1), LONGEST_RETRY_SECONDS
            )
            outbox.retry(item.id, now + timedelta(seconds=wait), result.error or "retry")
            retrying += 1
        else:
            outbox.give_up(item.id, f"{result.status}: {result.error or ''}", now)
            log.warning(
                "outbox message given up",
                extra={"channel": item.channel, "status": result.status, "attempts": item.attempts},
            )
            given_up += 1
    return DeliveryReport(sent, retrying, given_up)


@dataclass(frozen=True)
class SpoolReport:
    """What one spool import did."""

    messages: int = 0
    transcripts: int = 0
    attached: int = 0


def import_spool(spool: Spool, voicemails: Voicemails, due_by: DueByRules) -> SpoolReport:
    """Move voice messages the phone line spooled while the database was down into it.

    Each message becomes a voicemail and a callback, due by the callback rule counted from when
    the caller left it (L7). A batch is removed only once all of it is in; a failure leaves it
    to be tried again by the next run, and saving is idempotent on the recording id, so a
    retried batch keeps nothing twice. Transcripts that arrived before their voicemail existed
    are attached here too.
    """
    messages = transcripts = 0
    for batch in spool.claim():
        for item in spool.read(batch):
            if isinstance(item, KeptRecording):
                voicemails.keep_message(item, due_by.callback(item.received_at))
                messages += 1
            else:
                voicemails.add_transcript(item)
                transcripts += 1
        spool.done(batch)
    return SpoolReport(messages, transcripts, voicemails.attach_waiting_transcripts())


CLOCK_STALE_AFTER = timedelta(minutes=3)
ClockHealth = Literal["running", "stale", "not seen"]


def clock_health(last_beat: datetime | None, now: datetime) -> ClockHealth:
    """Whether the clock is alive: it beats every minute, so three missed beats mean trouble."""
    if last_beat is None:
        return "not seen"
    return "running" if now - last_beat <= CLOCK_STALE_AFTER else "stale"


ALERT_BATCH = 200


@dataclass(frozen=True)
class AlertReport:
    """What one run of the queue alerts did."""

    sent: int = 0
    already_sent: int = 0
    unrouted: int = 0


def alert_queue(alerts: Alerts, calendar: WorkingCalendar, clock: Clock) -> AlertReport:
    """Tell staff about deadlines: "due soon" to the team, overdue to supervisors.

    Queue items nobody has tried to call yet get one reminder shortly before their deadline
    and one alert once it has passed (L7, L8); referrals get an alert when acknowledgement or
    first contact is late (K5). Each alert is sent once however many clocks run (see
    ``Alerts.record_alert``). A profile without ``staff_alerts`` still records each alert in
    the audit trail, and the log says it went nowhere.
    """
    now = clock.now()
    routes = calendar.profile.staff_alerts
    soon = timedelta(minutes=routes.due_soon_minutes if routes else DEFAULT_DUE_SOON_MINUTES)
    notices = StaffNotices(calendar, now)
    pending: list[tuple[AlertKind, int, str, bool, dict[str, Any]]] = []
    for item in alerts.due_soon(now, now + soon, ALERT_BATCH):
        pending.append(("due_soon", item.callback_id, notices.due_soon(item), False, _ids(item)))
    for item in alerts.overdue(now, ALERT_BATCH):
        pending.append(("overdue", item.callback_id, notices.overdue(item), True, _ids(item)))
    for kind in REFERRAL_ALERTS:
        for referral in alerts.referrals_overdue(kind, now, ALERT_BATCH):
            text = notices.referral_overdue(kind, referral)
            pending.append(
                (kind, referral.referral_id, text, True, {"reference": referral.reference})
            )
    sent = already = unrouted = 0
    for kind, subject_id, text, to_supervisors, detail in pending:
        messages = _staff_messages(routes, text, to_supervisors=to_supervisors)
        if not alerts.record_alert(kind, subject_id, messages, now, detail):
            already += 1
        elif messages:
            sent += 1
        else:
            unrouted += 1
            log.warning(
                "staff alert recorded but not sent: the profile has no staff_alerts",
                extra={"alert": kind, "subject_id": subject_id},
            )
    return AlertReport(sent, already, unrouted)


DEFAULT_DUE_SOON_MINUTES = 120
REFERRAL_ALERTS: tuple[AlertKind, ...] = ("acknowledgement_overdue", "first_contact_overdue")


def _ids(item: QueueItemDue) -> dict[str, Any]:
    return {"reference": item.reference, "kind": item.kind, "urgent": item.urgent}


def _staff_messages(
    routes: StaffAlerts | None, text: str, *, to_supervisors: bool
) -> list[StaffMessage]:
    if routes is None:
        return []
    recipients = routes.supervisors if to_supervisors else routes.team
    if routes.channel == "sms":
        recipients = tuple(clean_phone(number) or number for number in recipients)
    return [StaffMessage(routes.channel, recipient, text) for recipient in recipients]


CALL_IDLE = timedelta(hours=1)
CHAT_IDLE = timedelta(hours=24)
IDLE_BATCH = 200


def close_idle_conversations(
    conversations: IdleConversations, dialog: DialogEvents, clock: Clock
) -> int:
    """End calls untouched for an hour and chats untouched for a day; return how many.

    The end goes through the dialog as a hang-up, so the core's own rule applies: a carer who
    had given a number and consent still gets a callback, marked "call ended early". The
    hang-up's delivery id is the conversation's last activity, so a second clock's copy is a
    replay that changes nothing. The conversation is then marked ended as ``idle``.
    """
    now = clock.now()
    closed = 0
    for idle in conversations.idle(now - CALL_IDLE, now - CHAT_IDLE, IDLE_BATCH):
        dialog.handle(idle.key, HungUp(), delivery=f"idle:{idle.last_activity.isoformat()}")
        if conversations.mark_idle(idle.key, since=now, at=now):
            closed += 1
    if closed:
        log.info("idle conversations closed", extra={"count": closed})
    return closed


RECORDINGS_BATCH = 200


@dataclass(frozen=True)
class RetentionReport:
    """What a retention run removed (or, in a dry run, would remove) and what it kept."""

    dry_run: bool
    recordings: Expired
    recordings_failed: int
    recordings_waiting: int
    transcripts: Expired
    conversations: Expired
    closed_records: Expired

    def lines(self) -> list[str]:
        """The report as lines for a person to read."""
        verb = "would remove" if self.dry_run else "removed"
        rows = [
            ("recordings (audio at Twilio)", self.recordings),
            ("transcript lines and questions", self.transcripts),
            (
                "finished conversations, webhook replies, sent messages, usage counts and "
                "lapsed blocks",
                self.conversations,
            ),
            ("closed records (personal details)", self.closed_records),
        ]
        lines = [
            f"{label}: {verb} {expired.due}, kept {expired.held} an open record still needs"
            for label, expired in rows
        ]
        if self.recordings_failed:
            lines.append(f"recordings Twilio would not delete yet: {self.recordings_failed}")
        if self.recordings_waiting:
            lines.append(
                f"recordings waiting because Twilio is not configured: {self.recordings_waiting}"
            )
        return lines


def purge_expired(
    store: RetentionStore,
    deleter: RecordingDeleter | None,
    retention: Retention,
    clock: Clock,
    *,
    dry_run: bool = False,
) -> RetentionReport:
    """Remove what the profile's retention periods say has been kept long enough (L12).

    Nothing an open record needs is touched (see ``RetentionStore``). Recordings are deleted at
    Twilio first and forgotten here only once Twilio confirms, so a failure is retried on the
    next run. A dry run counts and changes nothing.
    """
    now = clock.now()
    recordings, recordings_held = store.recordings(
        now - timedelta(days=retention.recordings_days), None if dry_run else RECORDINGS_BATCH
    )
    deleted = failed = waiting = 0
    if dry_run:
        deleted = len(recordings)
    elif deleter is None:
        waiting = len(recordings)
    else:
        for recording in recordings:
            if not deleter.delete(recording.recording_sid):
                failed += 1
            elif store.mark_recording_deleted(recording.voicemail_id, now):
                deleted += 1
    purge = not dry_run
    report = RetentionReport(
        dry_run=dry_run,
        recordings=Expired(deleted, recordings_held),
        recordings_failed=failed,
        recordings_waiting=waiting,
        transcripts=store.transcripts(now - timedelta(days=retention.transcripts_days), purge),
        conversations=store.conversations(
            now - timedelta(days=retention.conversations_days), now, purge
        ),
        closed_records=store.closed_records(
            _years_before(now, retention.closed_records_years), now, purge
        ),
    )
    log.info(
        "retention run",
        extra={"dry_run": dry_run, "recordings": deleted, "failed": failed, "waiting": waiting},
    )
    return report


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year - years, day=28)


DAILY_SUMMARY_JOB = "daily_summary"


def daily_summary(summaries: Summaries, calendar: WorkingCalendar, clock: Clock) -> bool:
    """On working days, once, from the configured time until closing: counts to supervisors.

    The summary covers the queue now and what came in since the last working day's summary
    time. It carries counts only, never a name, number or message. True when it was queued.
    """
    routes = calendar.profile.staff_alerts
    now = clock.now()
    local = calendar.local(now)
    today = local.date()
    window = calendar.window(today)
    if routes is None or window is None:
        return False
    if not routes.daily_summary_at <= local.time() < window.closes:
        return False
    since = _summary_instant(calendar, _previous_working_day(calendar, today), routes)
    counts = summaries.summary(now, since, calendar.closes_at(today))
    text = StaffNotices(calendar, now).daily_summary(counts, calendar.local(since))
    messages = _staff_messages(routes, text, to_supervisors=True)
    return summaries.record_once(DAILY_SUMMARY_JOB, today.isoformat(), messages, now)


def _previous_working_day(calendar: WorkingCalendar, day: date) -> date:
    for _ in range(366):
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            return day
    raise ValueError("no working day within a year: check the profile's hours and closures")


def _summary_instant(calendar: WorkingCalendar, day: date, routes: StaffAlerts) -> datetime:
    local = datetime.combine(day, routes.daily_summary_at, tzinfo=calendar.profile.time_zone)
    return local.astimezone(UTC)
