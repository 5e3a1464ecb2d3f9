"""What the Telegram adapter remembers about a chat between updates (the ``telegram_chats`` table).

Two things, both outside the dialog: the chat blocked the bot (the sender marks it when the Bot
API answers 403, so the outbox stops trying; the mark goes as soon as the chat writes again),
and a "Share my number" keyboard is showing (so the next reply takes it away). Most chats never
have a row. Implements ``bot.send.TelegramChats`` structurally (the store imports no adapter).

``wrote`` runs on every update, so it is one Core statement on the mapped tables: the chat's
row and whether replies to it still wait in the outbox, read together (a second statement
only in the rare case of a block to lift).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Engine, Table, bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from store.models import OutboxMessage, TelegramChat

CHANNEL = "telegram"
CHATS = cast(Table, TelegramChat.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)
_THIS_CHAT = CHATS.c.chat_id == bindparam("chat")
READ_CHAT = select(
    select(CHATS.c.share_keyboard).where(_THIS_CHAT).scalar_subquery().label("keyboard"),
    select(CHATS.c.blocked_at).where(_THIS_CHAT).scalar_subquery().label("blocked"),
    exists()
    .where(
        OUTBOX.c.channel == CHANNEL,
        OUTBOX.c.recipient == bindparam("chat"),
        OUTBOX.c.status == "pending",
    )
    .label("waiting"),
)
LIFT_BLOCK = (
    update(CHATS)
    .where(_THIS_CHAT, CHATS.c.blocked_at.is_not(None))
    .values(blocked_at=None, updated_at=bindparam("at"))
)


class ChatNow(NamedTuple):
    """The chat as an update comes in (``bot.send.ChatNow``)."""

    keyboard_showing: bool
    replies_waiting: bool


class SqlTelegramChats:
    """One row per chat that blocked the bot or was shown the share keyboard."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._engine: Engine = sessions.kw["bind"]

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

    def wrote(self, chat_id: str, at: datetime) -> ChatNow:
        """The chat wrote to us: any block is over. Is the share keyboard up, do replies wait?"""
        with self._engine.begin() as connection:
            keyboard, blocked, waiting = connection.execute(READ_CHAT, {"chat": chat_id}).one()
            if blocked is not None:
                connection.execute(LIFT_BLOCK, {"chat": chat_id, "at": at})
        return ChatNow(bool(keyboard), bool(waiting))

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
