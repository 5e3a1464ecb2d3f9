"""Claiming is one conditional UPDATE: of many staff claiming the same item at the same moment,
each on their own database connection, exactly one wins (PostgreSQL, the production database).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from handlers.ports import Actor
from store.database import make_session_factory
from store.models import AuditEvent, Callback
from store.queue import SqlCallbackQueue
from store.staff import SqlStaffAccounts
from tests.console.seeding import add_callback, row

CLAIMERS = 8
ROUNDS = 5


@pytest.fixture
def pg(request):
    return request.getfixturevalue("postgres_database")


@pytest.mark.postgres
def test_exactly_one_of_many_simultaneous_claimers_wins(pg, clock):
    pg.empty()
    accounts = SqlStaffAccounts(pg.sessions)
    staff = [
        accounts.add(
            f"claimer{number}", f"Claimer {number}", "scrypt:unused", "staff", None, clock.now()
        )
        for number in range(CLAIMERS)
    ]
    for _ in range(ROUNDS):
        callback_id = add_callback(pg, clock.now())
        start = threading.Barrier(CLAIMERS)

        def claim(member, callback_id=callback_id, start=start):
            # Each claimer has its own connection, checked out before the race starts.
            with pg.engine.connect() as connection:
                queue = SqlCallbackQueue(make_session_factory(connection))
                start.wait()
                return member.id, queue.claim(
                    callback_id, Actor(member.id, f"staff:{member.username}"), clock.now()
                )

        with ThreadPoolExecutor(CLAIMERS) as pool:
            results = list(pool.map(claim, staff))
        winners = [member_id for member_id, won in results if won]
        assert len(winners) == 1, results
        assert row(pg, Callback, callback_id).claimed_by == winners[0]
        with pg.sessions() as session:
            claims = session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "claimed", AuditEvent.subject_id == callback_id)
            )
        assert claims == 1
