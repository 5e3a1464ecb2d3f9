"""Bodies of the clock's scheduled jobs: plain, idempotent functions of (ports, now)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from handlers.ports import Clock, Heartbeats, MessageSender, Outbox

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
