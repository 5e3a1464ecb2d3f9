"""Clock composition root: the ONLY place the scheduler starts (the Procfile's ``clock``).

Run as ``python -m clock``. One process; every job body lives in ``handlers.jobs`` and is
idempotent, so a second clock started by mistake does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler

from app import Runtime, build_runtime
from handlers import jobs
from handlers.ports import MessageSender
from logs import configure_logging
from settings import Settings
from store.heartbeats import SqlHeartbeats
from store.outbox import SqlOutbox

log = logging.getLogger("carers_line.clock")
OUTBOX_EVERY_SECONDS = 15
JOB_DEFAULTS = {
    "coalesce": True,  # after downtime run a missed job once, not once per missed slot
    "max_instances": 1,  # never overlap a job with itself
    "misfire_grace_time": 300,  # a run up to five minutes late still happens
}


def build_scheduler(runtime: Runtime) -> BlockingScheduler:
    """The scheduler with every job registered (not started)."""
    scheduler = BlockingScheduler(timezone="Europe/London", job_defaults=JOB_DEFAULTS)
    heartbeats = SqlHeartbeats(runtime.sessions)
    start = runtime.clock.now()
    _add(scheduler, "heartbeat", lambda: jobs.heartbeat(heartbeats, runtime.clock), 60, start)
    outbox, senders = SqlOutbox(runtime.sessions), build_senders(runtime)
    _add(
        scheduler,
        "outbox",
        lambda: log_report("outbox", jobs.deliver_outbox(outbox, senders, runtime.clock)),
        OUTBOX_EVERY_SECONDS,
        start,
    )
    return scheduler


def build_senders(runtime: Runtime) -> dict[str, MessageSender]:
    """One sender per channel whose account is configured; other channels' messages wait."""
    senders: dict[str, MessageSender] = {}
    return senders


def log_report(job: str, report: object) -> None:
    """Log what a job did (counts only, never personal data)."""
    log.info("job ran", extra={"job": job, "report": repr(report)})


def _add(
    scheduler: BlockingScheduler,
    name: str,
    body: Callable[[], None],
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


def main() -> None:
    """Start the clock process and run until stopped."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    runtime = build_runtime(settings)
    scheduler = build_scheduler(runtime)
    log.info("clock starting", extra={"jobs": [job.id for job in scheduler.get_jobs()]})
    scheduler.start()


if __name__ == "__main__":
    main()
