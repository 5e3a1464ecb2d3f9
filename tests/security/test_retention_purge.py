"""The retention purge (L12) leaves nothing personal in the encrypted columns.

Old, closed records are seeded with marked personal details; after the purge every stored
value of every encrypted column is read with plain SQL and decrypted, and none holds them.
"""

from __future__ import annotations

from handlers.jobs import purge_expired
from store.crypto import keyring
from store.jobs import SqlRetention
from tests.conftest import london
from tests.jobs.conftest import PROFILE
from tests.security.conftest import raw_values
from tests.security.story import MARK, seed_story


class Recordings:
    def delete(self, recording_sid: str) -> bool:
        return True


def columns_mentioning_the_carer(db) -> list[str]:
    return sorted(
        f"{table}.{column}"
        for (table, column), values in raw_values(db).items()
        if any(MARK in keyring().decrypt(value) or MARK in value for value in values)
    )


def test_after_the_purge_no_encrypted_column_holds_anything_personal(db, clock):
    seed_story(db, london("2019-03-01T10:00"))
    assert "conversation_turns.text" in columns_mentioning_the_carer(db)

    purge_expired(SqlRetention(db.sessions), Recordings(), PROFILE.retention, clock)

    assert columns_mentioning_the_carer(db) == []
