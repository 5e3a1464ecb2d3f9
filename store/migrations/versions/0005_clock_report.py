"""Clock jobs and the monitoring report.

Callbacks and referrals remember when the clock alerted staff about them (so a second clock
sends nothing twice); conversations remember when retention purged their content; job_runs
holds the last period a once-a-day job ran for; indexes for the report's period queries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:01:49.995628
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("ran_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_sent_at", store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("overdue_alerted_at", store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_callbacks_received_at"), ["received_at"], unique=False)

    with op.batch_alter_table("conversation_turns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conversation_turns_at"), ["at"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purged_at", store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_started_at"), ["started_at"], unique=False
        )

    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "acknowledge_alerted_at", store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "first_contact_alerted_at", store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index(batch_op.f("ix_referrals_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_received_at"))
        batch_op.drop_column("first_contact_alerted_at")
        batch_op.drop_column("acknowledge_alerted_at")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_started_at"))
        batch_op.drop_column("purged_at")

    with op.batch_alter_table("conversation_turns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_turns_at"))

    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callbacks_received_at"))
        batch_op.drop_column("overdue_alerted_at")
        batch_op.drop_column("reminder_sent_at")

    op.drop_table("job_runs")
