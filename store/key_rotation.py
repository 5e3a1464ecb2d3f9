"""Key rotation (L12): re-encrypt every stored value under the newest key, re-key phone hashes.

``carers-line data rotate-key`` runs ``rotate_keys``. It walks every encrypted column of every
table in batches of rows, each batch its own transaction. A value already under the newest key
is left alone, so running it again does nothing more; each write is conditional on the value
still being the one read, so a row the service changes meanwhile is never overwritten. The
keyed phone hashes are recomputed with the current PHONE_HASH_KEY in the same pass, so that key
can be rotated the same way. Only counts are reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, and_, select, update

from store.crypto import Keyring, keyring
from store.models import Base
from store.types import EncryptedJSON, EncryptedText

BATCH = 500
HASHES = {
    "carers": ("phone_hash", "phone"),
    "callbacks": ("phone_hash", "phone"),
    "blocked_contacts": ("match_key", "value"),
}
CALLER_HASH = ("caller_hash", "answers")


@dataclass
class Rotation:
    """What a rotation did, in counts."""

    reencrypted: int = 0
    already_current: int = 0
    hashes_updated: int = 0

    def lines(self) -> list[str]:
        """The command's output."""
        return [
            f"values re-encrypted under the newest key: {self.reencrypted}",
            f"values already under the newest key: {self.already_current}",
            f"phone hashes updated: {self.hashes_updated}",
        ]


def encrypted_columns(table: Table) -> list[Column[Any]]:
    """The columns of ``table`` stored encrypted."""
    return [c for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)]


def rotate_keys(engine: Engine, batch: int = BATCH) -> Rotation:
    """Re-encrypt every value not under the newest key, and refresh the phone hashes."""
    keys = keyring()
    done = Rotation()
    for table in Base.metadata.sorted_tables:
        columns = encrypted_columns(table)
        if columns:
            _rotate_table(engine, keys, table, columns, batch, done)
    return done


def _rotate_table(
    engine: Engine,
    keys: Keyring,
    table: Table,
    columns: list[Column[Any]],
    batch: int,
    done: Rotation,
) -> None:
    # Raw text, bypassing the column types: the ciphertext is what is read and compared.
    names = [column.name for column in columns]
    hashed = HASHES.get(table.name) or (CALLER_HASH if table.name == "conversations" else None)
    raw = Table(table.name, MetaData(), *_raw_columns(names, hashed))
    last_id = 0
    while True:
        with engine.begin() as connection:
            wanted = [raw.c.id, *(raw.c[name] for name in names)]
            if hashed:
                wanted.append(raw.c[hashed[0]])
            rows = connection.execute(
                select(*wanted).where(raw.c.id > last_id).order_by(raw.c.id).limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                values = dict(zip(names, row[1 : 1 + len(names)], strict=True))
                changes = _reencrypt(keys, values, done)
                if hashed:
                    fresh = _hash(keys, table.name, values[hashed[1]])
                    if fresh != row[-1]:
                        changes[hashed[0]] = fresh
                        done.hashes_updated += 1
                if changes:
                    unchanged = [raw.c[name] == value for name, value in values.items() if value]
                    connection.execute(
                        update(raw).where(raw.c.id == row[0], and_(*unchanged)).values(changes)
                    )
            last_id = rows[-1][0]


def _raw_columns(names: list[str], hashed: tuple[str, str] | None) -> list[Column[Any]]:
    columns: list[Column[Any]] = [Column("id", Integer, primary_key=True)]
    columns += [Column(name, Text) for name in names]
    if hashed:
        columns.append(Column(hashed[0], String(64)))
    return columns


def _reencrypt(keys: Keyring, values: dict[str, str | None], done: Rotation) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if not value:
            continue
        if keys.is_current(value):
            done.already_current += 1
            continue
        changes[name] = keys.encrypt(keys.decrypt(value))
        done.reencrypted += 1
    return changes


def _hash(keys: Keyring, table: str, stored: str | None) -> str | None:
    if not stored:
        return None
    plain = keys.decrypt(stored)
    if table == "blocked_contacts":
        return keys.digest(plain)
    if table != "conversations":
        return keys.phone_hash(plain)
    answers = json.loads(plain)
    caller = answers.get("caller") if isinstance(answers, dict) else None
    return keys.phone_hash(caller) if isinstance(caller, str) else None
