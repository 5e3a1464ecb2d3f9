"""Getting replies to a chat in order: straight away, or behind what is already waiting.

A reply goes straight to the Bot API unless messages for that chat are still waiting in the
outbox (then it queues behind them, so the carer reads everything in order). If a direct send
fails for a passing reason, that message and the rest of the batch go to the outbox, which the
clock retries with backoff. A chat that blocked the bot gets nothing more; a message Telegram
rejects as malformed is logged and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bot.inbound import CHANNEL
from handlers.ports import Clock, Outbox, SendResult

log = logging.getLogger("carers_line.telegram")


class DirectSender(Protocol):
    """Sends one message now (``bot.send.TelegramSender`` in the app; a fake in tests)."""

    def send_now(self, chat_id: str, payload: Mapping[str, Any]) -> SendResult:
        """Try once and report."""
        ...


class ReplyDelivery:
    """Sends a batch of messages to one chat, falling back to the outbox."""

    def __init__(self, sender: DirectSender, outbox: Outbox, clock: Clock) -> None:
        self._sender = sender
        self._outbox = outbox
        self._clock = clock

    def deliver(
        self,
        chat_id: str,
        messages: Sequence[Mapping[str, Any]],
        batch: str,
        *,
        waiting: bool | None = None,
    ) -> None:
        """Send ``messages`` in order; ``batch`` ("update-42") keeps copies out of the outbox.

        ``waiting``: whether earlier messages for the chat wait in the outbox, when the caller
        has already read it (with the chat's record, in one statement); None asks the outbox.
        """
        if not messages:
            return
        queueing = self._outbox.waiting(CHANNEL, chat_id) if waiting is None else waiting
        for index, message in enumerate(messages):
            if not queueing:
                result = self._sender.send_now(chat_id, message)
                if result.status == "sent":
                    continue
                if result.status == "blocked":
                    log.info("chat blocked the bot: replies dropped", extra={"batch": batch})
                    return
                if result.status == "failed":
                    log.error("telegram rejected a message", extra={"batch": batch, "index": index})
                    continue
                queueing = True
            self._outbox.enqueue(
                CHANNEL,
                chat_id,
                message,
                self._clock.now(),
                dedupe_key=f"{CHANNEL}:{chat_id}:{batch}:{index}",
            )
        if queueing:
            log.info("replies queued in the outbox", extra={"batch": batch})
