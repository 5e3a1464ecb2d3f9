"""What the Telegram adapter remembers about a chat between updates (the ``telegram_chats`` table).

Two things, both outside the dialog: the chat blocked the bot (the sender marks it when the Bot
API answers 403, so the outbox stops trying; the mark goes as soon as the chat writes again),
and a "Share my number" keyboard is showing (so the next reply takes it away). Most chats never
have a row. Implements ``bot.send.TelegramChats`` structurally (the store imports no adapter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import TelegramChat


class SqlTelegramChats:
    """One row per chat that blocked the bot or was shown the share keyboard."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def mark_blocked(self, chat_id: str, at: datetime) -> None:
        """The chat blocked the bot."""
        self._set(chat_id, at, blocked_at=at)

    def is_blocked(self, chat_id: str) -> bool:
        """True while the chat's block stands."""
        with self._sessions() as session:
            blocked = session.scalar(
                select(TelegramChat.blocked_at).where(TelegramChat.chat_id == chat_id)
            )
            return blocked is not None

    def wrote(self, chat_id: str, at: datetime) -> bool:
        """The chat wrote to us: any block is over. True when the share keyboard is showing."""
        with self._sessions.begin() as session:
            row = session.get(TelegramChat, chat_id)
            if row is None:
                return False
            if row.blocked_at is not None:
                row.blocked_at, row.updated_at = None, at
            return row.share_keyboard

    def keyboard(self, chat_id: str, showing: bool, at: datetime) -> None:
        """Record whether the "Share my number" keyboard is now showing."""
        self._set(chat_id, at, share_keyboard=showing)

    def _set(self, chat_id: str, at: datetime, **values: Any) -> None:
        """Update the chat's row, creating it first when needed (a racing insert just updates)."""
        for attempt in (1, 2):
            try:
                with self._sessions.begin() as session:
                    row = session.get(TelegramChat, chat_id)
                    if row is None:
                        row = TelegramChat(chat_id=chat_id, share_keyboard=False)
                        session.add(row)
                    for name, value in values.items():
                        setattr(row, name, value)
                    row.updated_at = at
                return
            except IntegrityError:
                if attempt == 2:
                    raise
