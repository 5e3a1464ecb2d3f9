"""Encryption at rest for personal free text and keyed phone hashes (issue 8 items 8-9, L12).

Personal columns become TEXT holding ciphertext, and the rows already there are encrypted with
the keys the process was opened with (``store.crypto``, from DATA_ENCRYPTION_KEYS). Carers and
callbacks get ``phone_hash`` and conversations ``caller_hash`` (HMAC-SHA256 under
PHONE_HASH_KEY), filled from the numbers already held. ``erasures`` holds the tombstones of
erasures on request. Downgrade decrypts everything back to the earlier column types.

On SQLite, changing a column type rebuilds its table, and dropping a table that others refer
to is refused while foreign keys are enforced and rows refer to it, so enforcement is switched
off for this step. SQLite honours that switch only before the first write of a transaction,
which is where an upgrade from 0005 starts (tests/security/test_migration.py upgrades a
database holding linked rows); upgrade an older database to 0005 first, then to 0006.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from store.crypto import keyring

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
JSON_COLUMN = sa.JSON()

# table -> {column: type before this migration}
ENCRYPTED: dict[str, dict[str, sa.types.TypeEngine[Any]]] = {
    "carers": {
        "name": sa.String(200),
        "phone": sa.String(32),
        "email": sa.String(320),
        "postcode_or_district": sa.String(100),
        "communication_needs": JSON_COLUMN,
    },
    "conversations": {"answers": JSON_COLUMN},
    "conversation_turns": {"text": sa.Text()},
    "referrals": {
        "referrer_name": sa.String(200),
        "referrer_phone": sa.String(32),
        "referrer_organisation": sa.String(200),
        "relationship_to_cared_for": sa.String(100),
        "cared_for_condition": sa.String(100),
        "communication_needs": JSON_COLUMN,
        "best_time_to_call": sa.String(100),
        "demographics": JSON_COLUMN,
    },
    "emergency_card_requests": {
        "cared_for_name": sa.String(200),
        "help_needed": sa.Text(),
        "contacts": JSON_COLUMN,
        "decision_note": sa.Text(),
    },
    "emergency_cards": {"plan": sa.Text(), "contacts": JSON_COLUMN},
    "voicemails": {"transcript": sa.Text()},
    "callbacks": {"reason": sa.Text(), "phone": sa.String(32), "outcome_notes": sa.Text()},
    "callback_attempts": {"notes": sa.Text()},
    "follow_up_tasks": {"notes": sa.Text()},
    "unanswered_questions": {"question": sa.Text()},
    "outbox": {"payload": JSON_COLUMN},
    "processed_webhooks": {"response": sa.Text()},
}
HASHED = {"carers": "phone_hash", "callbacks": "phone_hash", "conversations": "caller_hash"}


def upgrade() -> None:
    _foreign_keys(enforced=False)
    for table, columns in ENCRYPTED.items():
        with op.batch_alter_table(table) as batch_op:
            for column, before in _widened(columns):
                batch_op.alter_column(
                    column,
                    existing_type=before,
                    type_=sa.Text(),
                    postgresql_using=f"{column}::text",
                )
            if table in HASHED:
                batch_op.add_column(sa.Column(HASHED[table], sa.String(64), nullable=True))
                batch_op.create_index(
                    batch_op.f(f"ix_{table}_{HASHED[table]}"), [HASHED[table]], unique=False
                )
            if table == "carers":
                batch_op.drop_index(batch_op.f("ix_carers_phone"))
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )
    with op.batch_alter_table("erasures") as batch_op:
        batch_op.create_index(batch_op.f("ix_erasures_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_erasures_subject_hash"), ["subject_hash"], unique=False
        )
    keys = keyring()
    for table, columns in ENCRYPTED.items():
        _rewrite(table, list(columns), keys.encrypt, HASHED.get(table))
    _foreign_keys(enforced=True)


def downgrade() -> None:
    _foreign_keys(enforced=False)
    keys = keyring()
    for table, columns in ENCRYPTED.items():
        _rewrite(table, list(columns), keys.decrypt, None)
    with op.batch_alter_table("erasures") as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasures_subject_hash"))
        batch_op.drop_index(batch_op.f("ix_erasures_at"))
    op.drop_table("erasures")
    for table, columns in ENCRYPTED.items():
        with op.batch_alter_table(table) as batch_op:
            if table == "carers":
                batch_op.create_index(batch_op.f("ix_carers_phone"), ["phone"], unique=False)
            if table in HASHED:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{HASHED[table]}"))
                batch_op.drop_column(HASHED[table])
            for column, before in _widened(columns):
                cast = "json" if isinstance(before, sa.JSON) else "text"
                batch_op.alter_column(
                    column,
                    existing_type=sa.Text(),
                    type_=before,
                    postgresql_using=f"{column}::{cast}",
                )
    _foreign_keys(enforced=True)


def _widened(
    columns: dict[str, sa.types.TypeEngine[Any]],
) -> list[tuple[str, sa.types.TypeEngine[Any]]]:
    """The columns whose type changes (those already TEXT keep it)."""
    return [
        (column, before) for column, before in columns.items() if not isinstance(before, sa.Text)
    ]


def _foreign_keys(*, enforced: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def _rewrite(
    table: str, columns: list[str], transform: Callable[[str], str], hash_column: str | None
) -> None:
    """Pass every non-empty value through ``transform``, in batches of rows by id.

    When encrypting, the hash column is filled from the plain value first: the phone number,
    or the caller ID in a conversation's answers.
    """
    bind = op.get_bind()
    target = sa.table(
        table,
        sa.column("id", sa.Integer()),
        *(sa.column(column, sa.Text()) for column in columns),
        *([sa.column(hash_column, sa.String())] if hash_column else []),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(target.c.id, *(target.c[column] for column in columns))
            .where(target.c.id > last_id)
            .order_by(target.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            values: dict[str, Any] = {
                column: transform(value) if value else value
                for column, value in zip(columns, row[1:], strict=True)
            }
            if hash_column:
                values[hash_column] = _hash_of(table, dict(zip(columns, row[1:], strict=True)))
            bind.execute(sa.update(target).where(target.c.id == row[0]).values(values))
        last_id = rows[-1][0]


def _hash_of(table: str, plain: dict[str, str | None]) -> str | None:
    if table == "conversations":
        answers = json.loads(plain["answers"] or "null")
        caller = answers.get("caller") if isinstance(answers, dict) else None
        return keyring().phone_hash(caller) if isinstance(caller, str) else None
    return keyring().phone_hash(plain["phone"])
