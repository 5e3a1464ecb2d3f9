"""Telegram updates as the core's events: what the carer did, in which chat.

Typed text is ``Said``, a pressed button is ``Chose`` (its callback data is the option id), a
contact shared with the "Share my number" button is ``SharedContact``, and the chat's commands
become the core's own: ``/start [link]`` starts again (a deep link such as ``/start card`` opens
that part of the menu), ``/menu`` and ``/person`` are the global choices, ``/help``,
``/privacy`` and ``/forget`` open the privacy flow. Some things need an answer the core does not
give: a contact that is not the sender's own (we ask them to type the number) and photos,
stickers or voice notes (we say we can only read typed words). Updates of other kinds, from
groups or from bots, are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import CallbackQuery, Chat, Message, Update, User

from handlers.dialog import Chose, Event, Said, SharedContact, Started

CHANNEL = "telegram"
COMMANDS = ("start", "menu", "person", "help", "privacy", "forget")
COMMAND_EVENTS: dict[str, Event] = {
    "menu": Chose("menu"),
    "person": Chose("person"),
    "help": Chose("help"),
    "privacy": Chose("privacy"),
    "forget": Chose("forget"),
}
NOT_YOUR_CONTACT = "chat_contact_not_yours"
TEXT_ONLY = "chat_text_only"
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")
_DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Pressed:
    """The menu message whose button was pressed, to show the choice and take the buttons away."""

    message_id: int
    text_html: str
    label: str


@dataclass(frozen=True)
class Inbound:
    """One update, understood.

    ``event`` goes to the core; when it is None, ``note`` names the prompt the adapter answers
    with itself. ``callback_query_id`` is a pressed button's query, to be answered.
    """

    update_id: int
    chat_id: str
    event: Event | None
    note: str | None = None
    callback_query_id: str | None = None
    pressed: Pressed | None = None


def read_update(data: object) -> Update | None:
    """Parse a webhook body with python-telegram-bot; None when it is not an update."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return None
    try:
        return Update.de_json(data)
    except Exception:  # de_json raises KeyError/TypeError/ValueError on malformed shapes
        return None


def understand(update: Update) -> Inbound | None:
    """The event in an update, or None for updates we do not act on."""
    if update.message is not None:
        return _message(update.update_id, update.message)
    if update.callback_query is not None:
        return _button(update.update_id, update.callback_query)
    return None


def kind_of(update: Update) -> str:
    """Which field an update carries (for logs: never its content)."""
    fields = (
        "message",
        "edited_message",
        "callback_query",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
    )
    return next((name for name in fields if getattr(update, name, None) is not None), "other")


def _message(update_id: int, message: Message) -> Inbound | None:
    sender = message.from_user
    chat: Chat | None = message.chat  # missing from a malformed update (found by tests/fuzz)
    if chat is None or chat.type != "private" or sender is None or sender.is_bot:
        return None
    chat_id = str(message.chat.id)
    if message.contact is not None:
        if message.contact.user_id is not None and message.contact.user_id == sender.id:
            return Inbound(update_id, chat_id, SharedContact(message.contact.phone_number))
        return Inbound(update_id, chat_id, None, note=NOT_YOUR_CONTACT)
    if message.text is not None:
        return Inbound(update_id, chat_id, _text_event(message))
    if message.effective_attachment is not None:
        return Inbound(update_id, chat_id, None, note=TEXT_ONLY)
    return None


def _text_event(message: Message) -> Event:
    """A command the chat offers (with or without Telegram's bot_command mark), or the words."""
    text = message.text or ""
    found = _COMMAND.match(text)
    name = found.group(1).lower() if found else None
    if found is None or name not in COMMANDS:
        return Said(text)
    if name == "start":
        payload = text[found.end() :].strip()
        entry = payload.lower() if _DEEP_LINK.match(payload) else None
        return Started("chat", None, entry)
    return COMMAND_EVENTS[name]


def _button(update_id: int, query: CallbackQuery) -> Inbound | None:
    message = query.message if isinstance(query.message, Message) else None
    chat: Chat | None = message.chat if message is not None else None
    if message is not None and (chat is None or chat.type != "private"):
        return None
    sender: User | None = query.from_user
    if chat is not None:
        chat_id = str(chat.id)
    elif sender is not None:
        chat_id = str(sender.id)
    else:
        return None  # neither: only a malformed update (found by tests/fuzz)
    if not query.data:
        return Inbound(update_id, chat_id, None, callback_query_id=query.id)
    pressed = _pressed(message, query.data) if message is not None else None
    return Inbound(
        update_id, chat_id, Chose(query.data), callback_query_id=query.id, pressed=pressed
    )


def _pressed(message: Message, data: str) -> Pressed | None:
    """The pressed button's label and its message's text, when Telegram sent them back."""
    markup: Any = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else ()
    label = next(
        (button.text for row in rows for button in row if button.callback_data == data), None
    )
    if label is None or message.text is None:
        return None
    return Pressed(message.message_id, message.text_html, label)
