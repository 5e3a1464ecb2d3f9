"""Bodies of the clock's scheduled jobs: plain, idempotent functions of (ports, now)."""

from __future__ import annotations

from handlers.ports import Clock, Heartbeats

CLOCK_HEARTBEAT = "clock"


def heartbeat(heartbeats: Heartbeats, clock: Clock) -> None:
    """Record that the clock process is alive (``/readyz`` and supervisors read it)."""
    heartbeats.record(CLOCK_HEARTBEAT, clock.now())
