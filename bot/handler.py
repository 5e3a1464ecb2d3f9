"""One Telegram update from start to finish, the same for the webhook and for long polling.

Parse, understand, hand the event to the core with the update's id as the delivery (so a
repeated ``update_id`` is answered once and records nothing twice), then answer a pressed
button, show which choice was made on the menu it came from, and send the replies in order.
Nothing here decides what to say: the core does, and ``bot.render`` lays it out.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.inbound import CHANNEL, NOT_YOUR_CONTACT, Inbound, kind_of, read_update, understand
from bot.render import (
    MAX_MESSAGE_CHARACTERS,
    asks_for_phone,
    escape,
    render,
    share_number_keyboard,
    text_message,
)
from bot.replies import ReplyDelivery
from bot.send import TelegramChats, TelegramSender
from handlers.dialog import ConversationKey
from handlers.ports import Outbox
from handlers.service import DialogService

log = logging.getLogger("carers_line.telegram")


class UpdateHandler:
    """Turns updates into core events and the core's replies into Bot API calls."""

    def __init__(
        self,
        service: DialogService,
        sender: TelegramSender,
        outbox: Outbox,
        chats: TelegramChats | None = None,
    ) -> None:
        self._service = service
        self._sender = sender
        self._chats = chats
        self._delivery = ReplyDelivery(sender, outbox, service.clock)

    def handle(self, data: object) -> None:
        """Act on one update's JSON (anything else is ignored, with a debug log)."""
        update = read_update(data)
        if update is None:
            log.debug("telegram: not an update, ignored")
            return
        self.handle_update(update)

    def handle_update(self, update: Update) -> None:
        """Act on one parsed update (long polling hands these over directly)."""
        inbound = understand(update)
        if inbound is None:
            log.debug(
                "telegram: update ignored",
                extra={"kind": kind_of(update), "update_id": update.update_id},
            )
            return
        keyboard_showing = self._wrote(inbound.chat_id)
        if inbound.event is None:
            self._answer_itself(inbound)
            return
        key = ConversationKey(CHANNEL, inbound.chat_id)
        batch = f"update-{inbound.update_id}"
        handled = self._service.handle_delivery(key, inbound.event, batch)
        if handled.replayed:
            log.info("telegram: repeated update, handled before", extra={"batch": batch})
            return
        answered = None
        if inbound.callback_query_id is not None:
            answered = self._sender.answer_callback(inbound.callback_query_id)
        if answered is None or answered.status == "sent":  # skip the edit while the API is down
            self._show_choice(inbound)
        words = self._service.knowledge.prompts
        messages = render(handled.replies, words, keyboard_showing=keyboard_showing)
        self._delivery.deliver(inbound.chat_id, messages, batch)
        if asks_for_phone(handled.replies) != keyboard_showing:
            self._keyboard(inbound.chat_id, not keyboard_showing)

    def _answer_itself(self, inbound: Inbound) -> None:
        """Stop a button's spinner; say what we cannot use and what to do instead."""
        if inbound.callback_query_id is not None:
            self._sender.answer_callback(inbound.callback_query_id)
        if inbound.note is None:
            return
        words = self._service.knowledge.prompts
        keyboard = share_number_keyboard(words) if inbound.note == NOT_YOUR_CONTACT else None
        message = text_message(words.text(inbound.note), keyboard)
        self._delivery.deliver(inbound.chat_id, [message], f"update-{inbound.update_id}")
        if keyboard is not None:
            self._keyboard(inbound.chat_id, True)

    def _show_choice(self, inbound: Inbound) -> None:
        """Replace a used menu's buttons with the choice made, so old buttons are not pressed."""
        pressed = inbound.pressed
        if pressed is None:
            return
        chosen = self._service.knowledge.prompts.text("chat_you_chose", label=pressed.label)
        text = f"{pressed.text_html}\n\n<i>{escape(chosen)}</i>"
        if len(text) <= MAX_MESSAGE_CHARACTERS:
            self._sender.edit_text(inbound.chat_id, pressed.message_id, text)

    def _wrote(self, chat_id: str) -> bool:
        """The chat wrote to us (so it no longer blocks the bot): is the share keyboard up?"""
        if self._chats is None:
            return False
        try:
            return self._chats.wrote(chat_id, self._service.clock.now())
        except Exception:
            log.exception("telegram: could not read the chat's record")
            return False

    def _keyboard(self, chat_id: str, showing: bool) -> None:
        if self._chats is None:
            return
        try:
            self._chats.keyboard(chat_id, showing, self._service.clock.now())
        except Exception:
            log.exception("telegram: could not record the share keyboard")
