"""Clock composition root: the ONLY place the scheduler starts (the Procfile's ``clock``).

Run as ``python -m clock``. One process; every job body lives in ``handlers.jobs`` and is
idempotent, so a second clock started by mistake does no harm. On PostgreSQL a second clock
does not even run its jobs: it waits as a standby until the active clock's lock is free.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from twilio.base.exceptions import (  # type: ignore[import-untyped]
    TwilioException,
    TwilioRestException,
)
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from app import Runtime, build_runtime, telegram_sender
from handlers import jobs
from handlers.clocks import SystemClock
from handlers.ports import Clock, Heartbeats, MessageSender, RecordingDeleter
from ivr.send import SmsSender
from ivr.spool import FileSpool
from logs import configure_logging
from settings import Settings
from store.heartbeats import SqlHeartbeats
from store.jobs import ClockLock, SqlAlerts, SqlIdleConversations, SqlRetention, SqlSummaries
from store.outbox import SqlOutbox
from store.voicemails import SqlVoicemails

log = logging.getLogger("carers_line.clock")
HEARTBEAT_EVERY_SECONDS = 60
OUTBOX_EVERY_SECONDS = 15
SPOOL_EVERY_SECONDS = 60
ALERTS_EVERY_SECONDS = 60
SUMMARY_EVERY_SECONDS = 300
IDLE_EVERY_SECONDS = 600
RETENTION_EVERY_SECONDS = 3600
STANDBY_RETRY_SECONDS = 30
TWILIO_TIMEOUT_SECONDS = 20
JOB_DEFAULTS = {
    # Every run does all the work that is due (nothing is tied to its own time slot), so after
    # downtime, or a run that overran, the missed runs collapse into one: running them all
    # back to back would only repeat the same queries.
    "coalesce": True,
    # A run that overruns its interval (Twilio slow to answer, a large purge) is never joined
    # by a second run of the same job: the two would race for the same rows, and the next
    # slot finds whatever is left anyway.
    "max_instances": 1,
    # A run up to five minutes late (the process paused or busy) still goes ahead; later than
    # that it is skipped and the next slot does the work. Five minutes keeps reminders close to
    # their time; nothing is lost by skipping, because each run picks up all that is due.
    "misfire_grace_time": 300,
}


def build_scheduler(runtime: Runtime, lock: ClockLock | None = None) -> BlockingScheduler:
    """The scheduler with every job registered (not started).

    With a ``lock``, the heartbeat first checks this clock still holds it; if the lock was
    lost (the database connection dropped), the scheduler stops so the process can exit and
    be restarted, rather than run beside a clock that took over.
    """
    scheduler = BlockingScheduler(timezone="Europe/London", job_defaults=JOB_DEFAULTS)
    clock, calendar = runtime.clock, runtime.calendar
    heartbeats = SqlHeartbeats(runtime.sessions)
    # The scheduler keeps real time even when CARERS_LINE_NOW fixes the service's clock for a
    # demonstration: the jobs read the service's clock, the timetable does not.
    start = SystemClock().now()
    _add(
        scheduler,
        "heartbeat",
        lambda: keep_alive(lock, heartbeats, clock, lambda: scheduler.shutdown(wait=False)),
        HEARTBEAT_EVERY_SECONDS,
        start,
    )
    outbox, senders = SqlOutbox(runtime.sessions), build_senders(runtime)
    _add(
        scheduler,
        "outbox",
        lambda: log_report("outbox", jobs.deliver_outbox(outbox, senders, clock)),
        OUTBOX_EVERY_SECONDS,
        start,
    )
    spool, voicemails = FileSpool(runtime.settings.spool_dir), SqlVoicemails(runtime.sessions)
    _add(
        scheduler,
        "spool",
        lambda: log_report("spool", jobs.import_spool(spool, voicemails, runtime.due_by)),
        SPOOL_EVERY_SECONDS,
        start,
    )
    routes = runtime.profile.staff_alerts
    if routes is not None and routes.channel not in senders:
        log.warning(
            "staff alerts wait in the outbox: their channel is not configured",
            extra={"channel": routes.channel},
        )
    alerts = SqlAlerts(runtime.sessions)
    _add(
        scheduler,
        "alerts",
        lambda: log_report("alerts", jobs.alert_queue(alerts, calendar, clock)),
        ALERTS_EVERY_SECONDS,
        start,
    )
    summaries = SqlSummaries(runtime.sessions)
    _add(
        scheduler,
        "daily_summary",
        lambda: log_report("daily_summary", jobs.daily_summary(summaries, calendar, clock)),
        SUMMARY_EVERY_SECONDS,
        start,
    )
    idle = SqlIdleConversations(runtime.sessions)
    _add(
        scheduler,
        "idle_conversations",
        lambda: log_report(
            "idle_conversations", jobs.close_idle_conversations(idle, runtime.dialog, clock)
        ),
        IDLE_EVERY_SECONDS,
        start,
    )
    retention, deleter = SqlRetention(runtime.sessions), build_recording_deleter(runtime.settings)
    _add(
        scheduler,
        "retention",
        lambda: log_report(
            "retention",
            jobs.purge_expired(retention, deleter, runtime.profile.retention, clock),
        ),
        RETENTION_EVERY_SECONDS,
        start,
    )
    return scheduler


def keep_alive(
    lock: ClockLock | None, heartbeats: Heartbeats, clock: Clock, stop: Callable[[], None]
) -> bool:
    """Beat while this clock holds its lock; without the lock, stop the clock instead.

    A clock whose database connection dropped has lost the lock, and a standby may already
    have taken over: stopping (the process exits and is restarted) keeps one clock active.
    """
    if lock is not None and not lock.held():
        log.error("clock lock lost: stopping, to restart as the active clock or the standby")
        stop()
        return False
    jobs.heartbeat(heartbeats, clock)
    return True


def build_senders(runtime: Runtime) -> dict[str, MessageSender]:
    """One sender per channel whose account is configured; other channels' messages wait."""
    senders: dict[str, MessageSender] = {}
    telegram = telegram_sender(runtime)
    if telegram is not None:
        senders["telegram"] = telegram
    settings = runtime.settings
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_sms_from:
        senders["sms"] = SmsSender.for_account(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_sms_from,
            runtime.profile.allowed_international_prefixes,
        )
    elif settings.twilio_enabled:
        log.warning("texts wait in the outbox: set TWILIO_SMS_FROM to send them")
    return senders


class TwilioRecordingDeleter:
    """Deletes recordings at Twilio (``handlers.ports.RecordingDeleter``) for the retention job.

    Twilio keeps a call recording until it is deleted, so the retention period only means
    something once the audio is gone there too. A recording Twilio no longer has (404) counts
    as deleted; any other failure is retried on the next run.
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def delete(self, recording_sid: str) -> bool:
        """True when Twilio no longer holds the recording."""
        try:
            return bool(self._client.recordings(recording_sid).delete())
        except TwilioRestException as error:
            if error.status == 404:
                return True
            log.warning("recording not deleted at Twilio", extra={"status": error.status})
            return False
        except (TwilioException, OSError) as error:
            log.warning("recording not deleted at Twilio", extra={"error": type(error).__name__})
            return False


def build_recording_deleter(settings: Settings) -> RecordingDeleter | None:
    """Twilio's deleter when Twilio is configured; without it, recordings wait (and are counted)."""
    if not settings.twilio_enabled:
        return None
    http = TwilioHttpClient(timeout=TWILIO_TIMEOUT_SECONDS)
    return TwilioRecordingDeleter(
        Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    )


def log_report(job: str, report: object) -> None:
    """Log what a job did (counts only, never personal data)."""
    log.info("job ran", extra={"job": job, "report": repr(report)})


def _add(
    scheduler: BlockingScheduler,
    name: str,
    body: Callable[[], object],
    seconds: int,
    first_run: datetime,
) -> None:
    """Register a job that logs (never raises) its failures, so one bad run stops nothing."""

    def run() -> None:
        try:
            body()
        except Exception:
            log.exception("job failed", extra={"job": name})

    scheduler.add_job(run, "interval", seconds=seconds, id=name, name=name, next_run_time=first_run)


def wait_until_active(
    lock: ClockLock,
    pause: Callable[[float], None] = time.sleep,
    retry: float = STANDBY_RETRY_SECONDS,
) -> None:
    """Return once this clock holds the lock; until then it is the standby, and says so."""
    if not lock.across_processes:
        log.warning(
            "SQLite has no lock between processes: run one clock only (the jobs' conditional "
            "updates still stop a second one sending anything twice)"
        )
        return
    waited = False
    while not lock.acquire():
        if not waited:
            log.warning(
                "another clock is active: this clock is the STANDBY and runs no jobs; it takes "
                "over when the active clock stops",
                extra={"retry_seconds": retry},
            )
            waited = True
        pause(retry)
    log.info("this clock is ACTIVE (it holds the clock lock)")


def main() -> None:
    """Start the clock process and run until stopped."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    runtime = build_runtime(settings)
    lock = ClockLock(runtime.engine)
    wait_until_active(lock)
    scheduler = build_scheduler(runtime, lock)
    log.info("clock starting", extra={"jobs": [job.id for job in scheduler.get_jobs()]})
    try:
        scheduler.start()
    finally:
        still_held = lock.held()
        lock.release()
    if not still_held:
        sys.exit(1)


if __name__ == "__main__":
    main()
