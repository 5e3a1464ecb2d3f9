"""Print how long the staff console's queue takes to read with 100,000 open items.

Usage: .venv/bin/python bench/console_queue.py [--items 100000] [--rounds 20] [--postgres URL]

Seeds a fresh database with open items (5% urgent, all five types, a mix of due times, some
held), then times one page of 50 for the filters staff use, a deep page, and a claim. Runs on
a temporary SQLite file, and on PostgreSQL too when a server answers (default: the test
server, each run in its own schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handlers.ports import Actor, QueueQuery  # noqa: E402
from store.database import make_engine, make_session_factory  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Callback, StaffUser  # noqa: E402
from store.queue import SqlCallbackQueue  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
KINDS = ("callback", "referral", "voicemail", "card_request", "card_activation")
PAGE = 50
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def seed(engine: Engine, items: int) -> int:
    """Open items in bulk; returns the id of a member of staff."""
    chance = random.Random(7)
    with engine.begin() as connection:
        staff_id = connection.execute(
            insert(StaffUser).returning(StaffUser.id),
            [
                {
                    "username": "bench",
                    "display_name": "Bench",
                    "password_hash": "-",
                    "role": "staff",
                    "failed_logins": 0,
                    "active": True,
                    "created_at": NOW,
                }
            ],
        ).scalar_one()
        batch: list[dict[str, object]] = []
        for number in range(items):
            batch.append(
                {
                    "reference": f"B{number:08d}",
                    "kind": KINDS[number % len(KINDS)],
                    "urgency": "urgent" if chance.random() < 0.05 else "normal",
                    "channel": "voice",
                    "reason": "Benchmark item",
                    "received_at": NOW - timedelta(days=3),
                    "due_by": NOW + timedelta(minutes=chance.randint(-4000, 6000)),
                    "status": "open",
                    "claimed_by": staff_id if chance.random() < 0.02 else None,
                    "attempts_count": 0,
                    "ended_early": False,
                    "signposted_to": [],
                }
            )
            if len(batch) == 5000:
                connection.execute(insert(Callback), batch)
                batch = []
        if batch:
            connection.execute(insert(Callback), batch)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE callbacks"))
    return int(staff_id)


def timed(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median and worst time in milliseconds."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def run(name: str, engine: Engine, items: int, rounds: int) -> None:
    """Seed, then print one line per measurement."""
    upgrade(engine)
    started = time.perf_counter()
    staff_id = seed(engine, items)
    print(f"== {name}: {items:,} open items seeded in {time.perf_counter() - started:.1f} s")
    queue = SqlCallbackQueue(make_session_factory(engine))
    cases = [
        ("first page, all open", QueueQuery(), 0),
        ("first page, unclaimed", QueueQuery(view="unclaimed"), 0),
        ("first page, mine", QueueQuery(view="mine"), 0),
        ("first page, overdue", QueueQuery(overdue=True), 0),
        ("first page, urgent", QueueQuery(urgent=True), 0),
        ("first page, voicemail", QueueQuery(kind="voicemail"), 0),
        ("page 100, all open", QueueQuery(), 99 * PAGE),
    ]
    for label, query, offset in cases:

        def read(query: QueueQuery = query, offset: int = offset) -> object:
            return queue.page(query, staff_id, NOW, offset, PAGE)

        median, worst = timed(read, rounds)
        print(f"  {label:<28} median {median:7.1f} ms   worst {worst:7.1f} ms")
    ids = iter(range(1, items + 1))
    actor = Actor(staff_id, "staff:bench")
    median, worst = timed(lambda: queue.claim(next(ids), actor, NOW), rounds)
    print(f"  {'claim one item':<28} median {median:7.1f} ms   worst {worst:7.1f} ms")


def postgres_engine(url: str) -> tuple[Engine, str] | None:
    """An engine on a new schema, or None when no server answers."""
    try:
        admin = create_engine(url, connect_args={"connect_timeout": 3})
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as error:
        print(f"== PostgreSQL skipped: {type(error).__name__} at {url}")
        return None
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"}), schema


def main() -> None:
    """Seed and time on SQLite, then on PostgreSQL if reachable."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        run("SQLite", engine, args.items, args.rounds)
        engine.dispose()
    found = postgres_engine(args.postgres)
    if found is not None:
        engine, schema = found
        try:
            run("PostgreSQL", engine, args.items, args.rounds)
        finally:
            engine.dispose()
            admin = create_engine(args.postgres)
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
