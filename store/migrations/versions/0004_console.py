"""Staff console: follow-up tasks, completion notes, card decision notes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:01:06.204623
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_up_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("done_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "method IN ('letter', 'email')", name=op.f("ck_follow_up_tasks_method_valid")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done')", name=op.f("ck_follow_up_tasks_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callbacks.id"],
            name=op.f("fk_follow_up_tasks_callback_id_callbacks"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_follow_up_tasks_created_by_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by"], ["staff_users.id"], name=op.f("fk_follow_up_tasks_done_by_staff_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_tasks")),
        sa.UniqueConstraint("callback_id", name=op.f("uq_follow_up_tasks_callback_id")),
    )
    with op.batch_alter_table("follow_up_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_up_tasks_status_created_at", ["status", "created_at"], unique=False
        )

    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_notes", sa.Text(), nullable=True))

    with op.batch_alter_table("emergency_card_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("emergency_card_requests", schema=None) as batch_op:
        batch_op.drop_column("decision_note")

    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_column("outcome_notes")

    with op.batch_alter_table("follow_up_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_up_tasks_status_created_at")

    op.drop_table("follow_up_tasks")
