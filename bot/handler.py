"""One Telegram update from start to finish, the same for the webhook and for long polling.

Parse, understand, hand the event to the core with the update's id as the delivery (so a
repeated ``update_id`` is answered once and records nothing twice), then show which choice was
made on the menu a pressed button came from, and send the replies in order. Nothing here decides
what to say: the core does, and ``bot.render`` lays it out.

A pressed button's spinner is stopped with ``answerCallbackQuery``. The webhook does not make
that call itself: ``handle`` returns it, and the view puts it in its answer to Telegram
(the Bot API's "making requests when getting updates"), which saves a round trip per button.
Its result cannot be known, and nothing depends on it. Long polling has no answer to carry it,
so ``handle_update`` makes the call.
"""

from __future__ import annotations

import logging
from typing import Any

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
from bot.send import ChatNow, TelegramChats, TelegramSender
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

    def handle(self, data: object) -> dict[str, Any] | None:
        """Act on one update's JSON (the webhook; anything else is ignored, with a debug log).

        Returns the Bot API call for the webhook's answer (``{"method": ..., ...}``), if any.
        """
        update = read_update(data)
        if update is None:
            log.debug("telegram: not an update, ignored")
            return None
        return self._handle(update)

    def handle_update(self, update: Update) -> None:
        """Act on one parsed update (long polling: the button's answer is a call of its own)."""
        answer = self._handle(update)
        if answer is not None:
            self._sender.answer_callback(answer["callback_query_id"])

    def _handle(self, update: Update) -> dict[str, Any] | None:
        inbound = understand(update)
        if inbound is None:
            log.debug(
                "telegram: update ignored",
                extra={"kind": kind_of(update), "update_id": update.update_id},
            )
            return None
        answer = _stop_spinner(inbound)
        chat = self._wrote(inbound.chat_id)
        keyboard_showing = chat is not None and chat.keyboard_showing
        # The core queues no chat messages, but may take waiting ones away (/forget): "nothing
        # waits" still holds after its step, "something waits" is asked again when it matters.
        waiting = False if chat is not None and not chat.replies_waiting else None
        if inbound.event is None:
            self._answer_itself(inbound, waiting)
            return answer
        key = ConversationKey(CHANNEL, inbound.chat_id)
        batch = f"update-{inbound.update_id}"
        handled = self._service.handle_delivery(key, inbound.event, batch)
        if handled.replayed:
            log.info("telegram: repeated update, handled before", extra={"batch": batch})
            return answer
        self._show_choice(inbound)
        words = self._service.knowledge.prompts
        messages = render(handled.replies, words, keyboard_showing=keyboard_showing)
        self._delivery.deliver(inbound.chat_id, messages, batch, waiting=waiting)
        if asks_for_phone(handled.replies) != keyboard_showing:
            self._keyboard(inbound.chat_id, not keyboard_showing)
        return answer

    def _answer_itself(self, inbound: Inbound, waiting: bool | None) -> None:
        """Say what we cannot use and what to do instead."""
        if inbound.note is None:
            return
        words = self._service.knowledge.prompts
        keyboard = share_number_keyboard(words) if inbound.note == NOT_YOUR_CONTACT else None
        message = text_message(words.text(inbound.note), keyboard)
        batch = f"update-{inbound.update_id}"
        self._delivery.deliver(inbound.chat_id, [message], batch, waiting=waiting)
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

    def _wrote(self, chat_id: str) -> ChatNow | None:
        """The chat wrote to us (so it no longer blocks the bot): its keyboard, waiting replies.

        None when there is no record to ask (the delivery then asks the outbox itself).
        """
        if self._chats is None:
            return None
        try:
            return self._chats.wrote(chat_id, self._service.clock.now())
        except Exception:
            log.exception("telegram: could not read the chat's record")
            return None

    def _keyboard(self, chat_id: str, showing: bool) -> None:
        if self._chats is None:
            return
        try:
            self._chats.keyboard(chat_id, showing, self._service.clock.now())
        except Exception:
            log.exception("telegram: could not record the share keyboard")


def _stop_spinner(inbound: Inbound) -> dict[str, Any] | None:
    """The ``answerCallbackQuery`` a pressed button needs (Telegram shows a spinner till then)."""
    if inbound.callback_query_id is None:
        return None
    return {"method": "answerCallbackQuery", "callback_query_id": inbound.callback_query_id}
