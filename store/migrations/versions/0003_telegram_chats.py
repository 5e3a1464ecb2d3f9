"""Telegram chats: a block on the bot, and a "Share my number" keyboard left showing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_chats",
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("blocked_at", store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("share_keyboard", sa.Boolean(), nullable=False),
        sa.Column("updated_at", store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_telegram_chats")),
    )


def downgrade() -> None:
    op.drop_table("telegram_chats")
