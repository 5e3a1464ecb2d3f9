"""Abuse limits: rate-limit counters and the staff-managed block list (issue 8 items 6 and 7).

``usage_events`` counts costly actions per caller, chat or client address (keyed hashes) over a
rolling window (so the limits hold across gunicorn workers); ``blocked_contacts`` is the block
list (matched by keyed hash, the number and reason encrypted); staff
accounts get a session generation, raised to end every live session.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=True),
        sa.Column("at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
    )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_events_at"), ["at"], unique=False)
        batch_op.create_index("ix_usage_events_lookup", ["subject", "action", "at"], unique=False)

    op.create_table(
        "blocked_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("match_key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("expires_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.Column("contacts", sa.Integer(), nullable=False),
        sa.Column("last_contact_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('phone', 'chat')", name=op.f("ck_blocked_contacts_kind_valid")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_blocked_contacts_created_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["removed_by"],
            ["staff_users.id"],
            name=op.f("fk_blocked_contacts_removed_by_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_contacts")),
    )
    with op.batch_alter_table("blocked_contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_blocked_contacts_kind_match_key", ["kind", "match_key"], unique=False
        )

    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
    with op.batch_alter_table("blocked_contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_blocked_contacts_kind_match_key")
    op.drop_table("blocked_contacts")
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_lookup")
        batch_op.drop_index(batch_op.f("ix_usage_events_at"))
    op.drop_table("usage_events")
