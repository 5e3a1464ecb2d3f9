"""Encryption at rest (L12): the database holds only ciphertext; keys rotate; wrong keys fail.

Raw values are read with plain SQL, past the column types, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from store.crypto import PREFIX, CryptoError, DataKeys, key_id, phone_hash
from store.key_rotation import rotate_keys
from store.models import BlockedContact, Callback, Carer, ConversationTurn
from tests.conftest import DEVELOPMENT_KEYS
from tests.security.conftest import NEW_KEY, OTHER_HASH_KEY, raw_values
from tests.security.story import MARK, OTHER_PHONE, PHONE, seed_story


def test_every_encrypted_column_holds_only_ciphertext(db, clock):
    seed_story(db, clock.now())
    found = raw_values(db)
    development = key_id(DEVELOPMENT_KEYS.encryption[0])
    empty = sorted(column for column, values in found.items() if not values)
    # Every personal column is filled by the story, apart from the tombstone's reason.
    assert empty == [("erasures", "reason")]
    for column, values in found.items():
        for value in values:
            assert value.startswith(f"{PREFIX}:{development}:"), column
            assert MARK not in value and "07700" not in value, column
    with db.sessions() as session:
        carer = session.scalars(select(Carer)).one()
    assert carer.name == f"Jo {MARK}" and carer.phone == PHONE


def test_a_wrong_key_fails_loudly_naming_the_setting(db, clock, use_keys):
    seed_story(db, clock.now())
    use_keys(DataKeys((NEW_KEY,), DEVELOPMENT_KEYS.phone_hash))
    with db.sessions() as session, pytest.raises(CryptoError, match="not in DATA_ENCRYPTION_KEYS"):
        session.scalars(select(Carer.name)).all()


def test_a_changed_value_fails_its_integrity_check(db, clock):
    seed_story(db, clock.now())
    with db.engine.begin() as connection:
        stored = connection.execute(text("SELECT text FROM conversation_turns")).scalar_one()
        tampered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
        connection.execute(text("UPDATE conversation_turns SET text = :t"), {"t": tampered})
    with db.sessions() as session, pytest.raises(CryptoError, match="integrity check"):
        session.scalars(select(ConversationTurn.text)).all()


def test_rotation_re_encrypts_everything_then_the_old_key_can_go(db, clock, use_keys, rotated_keys):
    story = seed_story(db, clock.now())
    before = raw_values(db)
    use_keys(rotated_keys)

    first = rotate_keys(db.engine, batch=2)
    again = rotate_keys(db.engine)

    total = sum(len(values) for values in before.values())
    assert (first.reencrypted, first.already_current) == (total, 0)
    assert (again.reencrypted, again.already_current) == (0, total)
    newest = key_id(NEW_KEY)
    assert all(
        value.startswith(f"{PREFIX}:{newest}:")
        for values in raw_values(db).values()
        for value in values
    )
    use_keys(DataKeys((NEW_KEY,), DEVELOPMENT_KEYS.phone_hash))  # the old key is dropped
    with db.sessions() as session:
        assert session.get(Callback, story.callback).reason == f"respite {MARK}"
        assert session.get(Carer, story.carer).communication_needs == {
            "note": f"large print {MARK}"
        }


def test_rotating_the_phone_hash_key_re_keys_every_hash(db, clock, use_keys):
    story = seed_story(db, clock.now())
    with db.sessions() as session:
        old_hash = session.get(Carer, story.carer).phone_hash
    use_keys(DataKeys(DEVELOPMENT_KEYS.encryption, OTHER_HASH_KEY))

    done = rotate_keys(db.engine)

    # the carer, the two callbacks, the conversation with the caller ID and the block entry
    assert done.hashes_updated == 5 and done.reencrypted == 0
    with db.sessions() as session:
        carer = session.get(Carer, story.carer)
        callback = session.get(Callback, story.callback)
    assert carer.phone_hash != old_hash
    assert carer.phone_hash == callback.phone_hash == Callback(phone="+447700900123").phone_hash
    with db.sessions() as session:
        block = session.scalars(select(BlockedContact)).one()
    assert block.match_key == phone_hash(OTHER_PHONE)  # still matches under the new hash key
    assert rotate_keys(db.engine).hashes_updated == 0
