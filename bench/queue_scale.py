"""Print how fast the console queue, the audit page and the quarterly report stay at scale.

Usage: .venv/bin/python bench/queue_scale.py [--callbacks 100000] [--audit 1000000]
       [--rounds 40] [--server postgresql+psycopg://postgres@127.0.0.1:5432/test]

Creates its own database (``carers_line_bench``) on the PostgreSQL server, migrates it to head
(so the indexes measured are the migrations' own), seeds ``--callbacks`` callbacks over the
last year (5% urgent, every kind, some claimed, some overdue; older items mostly completed,
with an attempt) and ``--audit`` audit lines (COPY), then times through the real store code:

- the queue page (``store.queue.SqlCallbackQueue.page``, as the console asks for it): the
  first page of every filter staff use, and page 100; p50/p95 over ``--rounds`` requests each;
- the audit trail page (``store.audit.SqlAuditTrail.search``), first and a deep page;
- the quarterly report (``handlers.report.build_report`` over ``store.report``).

Targets: queue page p95 under 150 ms, quarterly report under 5 s. The database is dropped at
the end. Never touches the ``test`` database's tables.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from loadkit import ROOT
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from handlers.hours import WorkingCalendar
from handlers.ports import AuditQuery, QueueQuery
from handlers.profile import load_profile
from handlers.report import Period, build_report
from knowledge.base import load_knowledge
from settings import DEFAULT_PROFILE_PATH, Settings
from store.audit import SqlAuditTrail
from store.crypto import DataKeys
from store.database import make_engine, make_session_factory
from store.migrate import upgrade
from store.models import Callback, CallbackAttempt, StaffUser
from store.queue import SqlCallbackQueue
from store.report import SqlReportSource

DATABASE = "carers_line_bench"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
KINDS = ("callback", "referral", "voicemail", "card_request", "card_activation", "crisis")
CHANNELS = ("voice", "sms", "telegram")
ACTIONS = ("viewed", "claimed", "released", "created", "completed", "attempt")
SUBJECTS = ("callback", "referral", "conversation", "card_request")
PAGE = 50
AUDIT_PAGE = 100
BATCH = 5000
QUEUE_TARGET_MS = 150.0
REPORT_TARGET_S = 5.0


def seed_callbacks(engine: Engine, count: int) -> int:
    """``count`` callbacks over the last year; returns the id of the member of staff."""
    chance = random.Random(8)
    with engine.begin() as connection:
        staff_id = int(
            connection.execute(
                insert(StaffUser).returning(StaffUser.id),
                [
                    {
                        "username": "bench",
                        "display_name": "Bench",
                        "password_hash": "-",
                        "role": "supervisor",
                        "failed_logins": 0,
                        "active": True,
                        "created_at": NOW,
                    }
                ],
            ).scalar_one()
        )
        rows: list[dict[str, Any]] = []
        for number in range(count):
            received = NOW - timedelta(minutes=chance.randint(0, 365 * 24 * 60))
            # As on a real line: what came in over the last three weeks is mostly still open,
            # older items were dealt with (a few stragglers stay open and overdue).
            recent = received > NOW - timedelta(days=21)
            completed = chance.random() < (0.3 if recent else 0.98)
            rows.append(
                {
                    "reference": f"B{number:08d}",
                    "kind": KINDS[number % len(KINDS)],
                    "urgency": "urgent" if chance.random() < 0.05 else "normal",
                    "channel": CHANNELS[number % len(CHANNELS)],
                    "reason": "Benchmark item",
                    "phone": "07700900123",
                    "received_at": received,
                    "due_by": received + timedelta(minutes=chance.randint(60, 6000)),
                    "status": "done" if completed else "open",
                    "completed_at": received + timedelta(hours=chance.randint(1, 96))
                    if completed
                    else None,
                    "outcome": "reached" if completed else None,
                    "claimed_by": staff_id if chance.random() < 0.05 else None,
                    "attempts_count": 1 if completed else 0,
                    "ended_early": False,
                    "signposted_to": [],
                }
            )
            if len(rows) == BATCH:
                _add_callbacks(connection, rows, staff_id)
                rows = []
        if rows:
            _add_callbacks(connection, rows, staff_id)
    return staff_id


def _add_callbacks(connection: Any, rows: list[dict[str, Any]], staff_id: int) -> None:
    """Insert through the mapped table (so the encrypted columns are encrypted), with attempts."""
    ids = connection.execute(
        insert(Callback).returning(Callback.id, sort_by_parameter_order=True), rows
    )
    attempts = [
        {
            "callback_id": callback_id,
            "staff_id": staff_id,
            "at": row["completed_at"],
            "result": "reached",
        }
        for callback_id, row in zip(ids.scalars(), rows, strict=True)
        if row["completed_at"] is not None
    ]
    if attempts:
        connection.execute(insert(CallbackAttempt), attempts)


def seed_audit(engine: Engine, count: int, staff_id: int) -> None:
    """``count`` audit lines over the last year, with COPY."""
    chance = random.Random(9)
    columns = "at, staff_id, actor, action, subject_type, subject_id, detail"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        with cursor.copy(f"COPY audit_events ({columns}) FROM STDIN") as copy:
            for _ in range(count):
                at = NOW - timedelta(seconds=chance.randint(0, 365 * 24 * 3600))
                by_staff = chance.random() < 0.7
                copy.write_row(
                    (
                        at,
                        staff_id if by_staff else None,
                        "staff:bench" if by_staff else "carer:voice",
                        chance.choice(ACTIONS),
                        chance.choice(SUBJECTS),
                        chance.randint(1, 100_000),
                        json.dumps({"bench": True}),
                    )
                )
        connection.commit()
    finally:
        connection.close()


def timings(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds over ``rounds`` runs."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def measure(engine: Engine, staff_id: int, rounds: int) -> None:
    """Print the queue, audit and report timings."""
    sessions = make_session_factory(engine)
    queue = SqlCallbackQueue(sessions)
    cases = [
        ("first page, all open", QueueQuery(), 0),
        ("first page, unclaimed", QueueQuery(view="unclaimed"), 0),
        ("first page, mine", QueueQuery(view="mine"), 0),
        ("first page, overdue", QueueQuery(overdue=True), 0),
        ("first page, urgent", QueueQuery(urgent=True), 0),
        *((f"first page, {kind}", QueueQuery(kind=kind), 0) for kind in KINDS),
        ("page 100, all open", QueueQuery(), 99 * PAGE),
    ]
    worst = 0.0
    print(f"\nqueue page ({PAGE} items), {rounds} requests each:")
    for label, query, offset in cases:

        def page(query: QueueQuery = query, offset: int = offset) -> object:
            return queue.page(query, staff_id, NOW, offset, PAGE)

        p50, p95 = timings(page, rounds)
        worst = max(worst, p95)
        print(f"  {label:<32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    verdict = "met" if worst < QUEUE_TARGET_MS else "MISSED"
    print(f"  worst p95 {worst:.1f} ms (target under {QUEUE_TARGET_MS:.0f} ms: {verdict})")

    audit = SqlAuditTrail(sessions)
    print(f"\naudit trail page ({AUDIT_PAGE} lines), {rounds} requests each:")
    for label, audit_query, offset in (
        ("first page, everything", AuditQuery(), 0),
        ("page 50, everything", AuditQuery(), 49 * AUDIT_PAGE),
        ("first page, one member of staff", AuditQuery(staff_id=staff_id), 0),
        ("first page, one callback", AuditQuery(subject_type="callback", subject_id=4242), 0),
    ):

        def search(audit_query: AuditQuery = audit_query, offset: int = offset) -> object:
            return audit.search(audit_query, offset, AUDIT_PAGE)

        p50, p95 = timings(search, rounds)
        print(f"  {label:<32} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")

    profile = load_profile(DEFAULT_PROFILE_PATH)
    calendar = WorkingCalendar(profile)
    knowledge = load_knowledge(profile.placeholders())
    quarter = Period.parse("2026-07-01", "2026-09-30")
    started = time.perf_counter()
    report = build_report(SqlReportSource(sessions), calendar, knowledge, quarter, NOW)
    seconds = time.perf_counter() - started
    verdict = "met" if seconds < REPORT_TARGET_S else "MISSED"
    print(
        f"\nquarterly report ({quarter.label}, {report.contacts} contacts): {seconds:.2f} s "
        f"(target under {REPORT_TARGET_S:.0f} s: {verdict})"
    )


def main() -> None:
    """Create the bench database, seed it, time it, drop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--server", default=DEFAULT_SERVER, help="any database on the server")
    args = parser.parse_args()
    admin = create_engine(args.server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}"'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    settings = Settings.from_env({})
    url = make_url(args.server).set(database=DATABASE).render_as_string(hide_password=False)
    engine = make_engine(url, keys=DataKeys(settings.data_encryption_keys, settings.phone_hash_key))
    try:
        upgrade(engine)
        started = time.perf_counter()
        staff_id = seed_callbacks(engine, args.callbacks)
        seed_audit(engine, args.audit, staff_id)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        print(
            f"seeded {args.callbacks:,} callbacks and {args.audit:,} audit lines in "
            f"{time.perf_counter() - started:.0f} s ({ROOT.name}, database {DATABASE})"
        )
        measure(engine, staff_id, args.rounds)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
