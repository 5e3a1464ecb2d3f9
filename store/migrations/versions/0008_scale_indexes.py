"""Indexes that keep the console queue and the report fast at scale (issue 8 item 3).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDEXES = (
    # The queue filtered by kind reads straight off the index, like the unfiltered queue.
    ("ix_callbacks_queue_kind", "callbacks", ["status", "kind", "urgency", "due_by"]),
    # The report's "completed in the period" half of its OR (received_at is indexed already).
    ("ix_callbacks_completed_at", "callbacks", ["completed_at"]),
    # The audit trail for one member of staff, newest first.
    ("ix_audit_events_staff_id_at", "audit_events", ["staff_id", "at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(name)
