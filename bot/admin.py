"""What ``carers-line telegram ...`` does: set the webhook at deploy time, check it, or poll.

``set-webhook`` points Telegram at ``PUBLIC_BASE_URL/telegram/webhook`` with the secret token it
must send back, asks only for the update kinds the bot reads, and registers the chat's commands
(``setMyCommands``). ``poll`` is for a developer without a public URL: it deletes nothing,
refuses to run while a webhook is set, and hands each update to the same handler the webhook
uses. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from telegram.error import Conflict, NetworkError, TelegramError

from bot.handler import UpdateHandler
from bot.inbound import COMMANDS
from bot.render import Words
from bot.send import ALLOWED_UPDATES, TelegramSender
from bot.views import WEBHOOK_PATH

log = logging.getLogger("carers_line.telegram")
Echo = Callable[[str], None]
POLL_WAIT_SECONDS = 30
POLL_RETRY_SECONDS = 5.0


class AdminError(Exception):
    """A set-up step failed; the message says what to do."""


def bot_commands(words: Words) -> list[tuple[str, str]]:
    """The chat's commands with their descriptions, for Telegram's command menu."""
    return [(command, words.text(f"chat_command_{command}")) for command in COMMANDS]


def webhook_url(public_base_url: str) -> str:
    """Where Telegram must send updates."""
    return f"{public_base_url.rstrip('/')}{WEBHOOK_PATH}"


def set_webhook(
    sender: TelegramSender, public_base_url: str, secret: str, words: Words, echo: Echo
) -> None:
    """Register the webhook and the command list."""
    url = webhook_url(public_base_url)
    try:
        sender.set_webhook(url, secret)
        sender.set_commands(bot_commands(words))
    except TelegramError as error:
        raise AdminError(f"Telegram refused: {error}") from None
    echo(f"webhook set: {url}")
    echo(f"updates asked for: {', '.join(ALLOWED_UPDATES)}")
    echo(f"commands: {' '.join('/' + command for command in COMMANDS)}")


def delete_webhook(sender: TelegramSender, echo: Echo) -> None:
    """Stop webhook delivery; Telegram keeps updates for ``getUpdates`` instead."""
    try:
        sender.delete_webhook()
    except TelegramError as error:
        raise AdminError(f"Telegram refused: {error}") from None
    echo("webhook deleted: updates now wait for `carers-line telegram poll`")


def info(sender: TelegramSender, echo: Echo) -> None:
    """The bot's name and where its updates go, with Telegram's last delivery error."""
    try:
        me = sender.me()
        hook = sender.webhook_info()
    except TelegramError as error:
        raise AdminError(f"Telegram refused: {error}") from None
    echo(f"bot: @{me.get('username')} ({me.get('first_name')})")
    echo(f"webhook: {hook.get('url') or '(none: updates wait for polling)'}")
    echo(f"updates waiting: {hook.get('pending_update_count', 0)}")
    echo(f"updates asked for: {', '.join(hook.get('allowed_updates') or ['all'])}")
    if hook.get("last_error_message"):
        when = _when(hook.get("last_error_date"))
        echo(f"last delivery error: {when} {hook['last_error_message']}")


def poll(
    handler: UpdateHandler,
    sender: TelegramSender,
    words: Words,
    echo: Echo,
    *,
    stop: threading.Event | None = None,
    wait_seconds: int = POLL_WAIT_SECONDS,
) -> int:
    """Long polling until ``stop`` is set (or Ctrl-C); returns how many updates were handled."""
    stop = stop or threading.Event()
    try:
        if sender.webhook_info().get("url"):
            raise AdminError(
                "a webhook is set, so Telegram will not hand out updates by polling: run "
                "`carers-line telegram delete-webhook` first"
            )
        sender.set_commands(bot_commands(words))
    except TelegramError as error:
        raise AdminError(f"Telegram refused: {error}") from None
    echo("polling Telegram for updates (Ctrl-C to stop)")
    handled, offset = 0, None
    while not stop.is_set():
        try:
            updates = sender.updates(offset, wait_seconds)
        except Conflict:
            raise AdminError("another poller or a webhook is taking the updates") from None
        except (NetworkError, TelegramError) as error:
            log.warning("telegram: polling failed", extra={"error": type(error).__name__})
            stop.wait(POLL_RETRY_SECONDS)
            continue
        for update in updates:
            handler.handle_update(update)
            offset = update.update_id + 1
            handled += 1
    return handled


def _when(timestamp: Any) -> str:
    if not isinstance(timestamp, int | float):
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
