"""The one way out to the Telegram Bot API: python-telegram-bot's ``Bot`` on this process's loop.

``TelegramSender`` is synchronous for its callers (Flask views, the clock, the CLI) and runs each
call on the process's background event loop (``bot.loop``), where one ``Bot`` per process keeps
its HTTP connections open between calls. The ``Bot`` is built on first use in each process, so a
gunicorn worker never reuses a connection its parent opened. ``base_url`` has python-telegram-bot's
meaning: the token and the method name are appended (``http://127.0.0.1:8081/bot`` in tests).

As the outbox's ``handlers.ports.MessageSender`` it reports instead of raising: network faults,
5xx and 429 are ``retry`` (with Telegram's ``retry_after``), 403 is ``blocked`` (the chat is
marked and not tried again until it writes to us), 400 is ``failed``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.loop import LoopTimeoutError, ProcessLoop
from handlers.ports import Clock, SendResult, SendStatus

log = logging.getLogger("carers_line.telegram")
T = TypeVar("T")
RequestFactory = Callable[[], BaseRequest]
CALL_TIMEOUT_SECONDS = 20.0
ALLOWED_UPDATES = ("message", "callback_query")
MAX_ERROR_CHARACTERS = 200
COSMETIC_TIMEOUT = 3.0
"""Seconds for calls nothing depends on (a button's spinner, a menu's edit): a slow Bot API
must not keep a web worker past gunicorn's 30-second limit before the replies are sent."""
PROCESS_LOOP = ProcessLoop()
"""The loop every sender in this process shares (its thread starts on first use)."""


class TelegramChats(Protocol):
    """What the adapter remembers about chats between updates (the store implements it)."""

    def mark_blocked(self, chat_id: str, at: datetime) -> None:
        """The chat blocked the bot."""
        ...

    def is_blocked(self, chat_id: str) -> bool:
        """True while the chat's block stands."""
        ...

    def wrote(self, chat_id: str, at: datetime) -> bool:
        """The chat wrote to us (a block is over); True when the share keyboard is showing."""
        ...

    def keyboard(self, chat_id: str, showing: bool, at: datetime) -> None:
        """Record whether the "Share my number" keyboard is now showing."""
        ...


def default_request() -> BaseRequest:
    """HTTPX with short time-outs: a slow Bot API must not hold a web worker for long."""
    return HTTPXRequest(
        connection_pool_size=8, connect_timeout=5.0, read_timeout=10.0, write_timeout=10.0
    )


def polling_request() -> BaseRequest:
    """One connection for long polling (``getUpdates`` waits up to its own time-out)."""
    return HTTPXRequest(connection_pool_size=1, connect_timeout=5.0, read_timeout=60.0)


class TelegramSender:
    """Bot API calls for one bot token, from any thread of this process."""

    def __init__(
        self,
        token: str,
        base_url: str,
        clock: Clock,
        *,
        chats: TelegramChats | None = None,
        request_factory: RequestFactory | None = None,
        polling_request_factory: RequestFactory = polling_request,
        loop: ProcessLoop | None = None,
        timeout: float = CALL_TIMEOUT_SECONDS,
    ) -> None:
        self._token = token
        self._base_url = base_url
        self._clock = clock
        self._chats = chats
        self._request_factory = request_factory or default_request
        self._polling_request_factory = polling_request_factory
        self._loop = loop or PROCESS_LOOP
        self._timeout = timeout
        self._bot: Bot | None = None
        self._bot_pid: int | None = None
        quiet_library_logs()

    # --- messages (the outbox's MessageSender, and replies to webhooks) ---

    def send(self, recipient: str, payload: Mapping[str, Any]) -> SendResult:
        """Send one outbox message; a chat marked as blocked is not tried."""
        if self._chats is not None and self._chats.is_blocked(recipient):
            return SendResult("blocked", error="the chat blocked the bot")
        return self.send_now(recipient, payload)

    def send_now(self, chat_id: str, payload: Mapping[str, Any]) -> SendResult:
        """Send one message (``{"text", "parse_mode", "reply_markup"}``) and report the result."""
        markup = reply_markup(payload.get("reply_markup"))
        text = str(payload.get("text", ""))
        parse_mode = payload.get("parse_mode")

        async def call(bot: Bot) -> object:
            return await bot.send_message(
                chat_id=chat_target(chat_id),
                text=text,
                parse_mode=str(parse_mode) if parse_mode else None,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        return self._report("sendMessage", chat_id, call)

    def answer_callback(self, query_id: str) -> SendResult:
        """Stop the spinner on a pressed button (short time-out: nothing depends on it)."""

        async def call(bot: Bot) -> object:
            return await bot.answer_callback_query(
                query_id, connect_timeout=COSMETIC_TIMEOUT, read_timeout=COSMETIC_TIMEOUT
            )

        return self._report("answerCallbackQuery", None, call)

    def edit_text(self, chat_id: str, message_id: int, text: str) -> SendResult:
        """Replace a menu's text and take its buttons away (HTML, escaped; short time-out)."""

        async def call(bot: Bot) -> object:
            return await bot.edit_message_text(
                text,
                chat_id=chat_target(chat_id),
                message_id=message_id,
                parse_mode="HTML",
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                connect_timeout=COSMETIC_TIMEOUT,
                read_timeout=COSMETIC_TIMEOUT,
            )

        return self._report("editMessageText", None, call)

    # --- set-up and development (the CLI); these raise TelegramError for the caller ---

    def me(self) -> dict[str, Any]:
        """The bot's own account (``getMe``)."""
        return self._call(lambda bot: bot.get_me()).to_dict()

    def set_webhook(self, url: str, secret: str) -> bool:
        """Point Telegram at our webhook, with the secret it must send back."""
        return self._call(
            lambda bot: bot.set_webhook(
                url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)
            )
        )

    def delete_webhook(self) -> bool:
        """Stop webhook delivery (updates wait for ``getUpdates`` instead)."""
        return self._call(lambda bot: bot.delete_webhook())

    def webhook_info(self) -> dict[str, Any]:
        """Where Telegram sends updates, and its last delivery error."""
        return self._call(lambda bot: bot.get_webhook_info()).to_dict()

    def set_commands(self, commands: Sequence[tuple[str, str]]) -> bool:
        """The command list Telegram shows in the chat's menu."""
        listed = [BotCommand(command, description) for command, description in commands]
        return self._call(lambda bot: bot.set_my_commands(listed))

    def updates(self, offset: int | None, wait_seconds: int) -> tuple[Update, ...]:
        """Long polling: the next updates after ``offset``, waiting up to ``wait_seconds``."""
        return self._call(
            lambda bot: bot.get_updates(
                offset=offset,
                timeout=wait_seconds,
                allowed_updates=list(ALLOWED_UPDATES),
            ),
            timeout=wait_seconds + self._timeout,
        )

    # --- plumbing ---

    def _report(
        self,
        method: str,
        chat_id: str | None,
        call: Callable[[Bot], Coroutine[Any, Any, object]],
    ) -> SendResult:
        try:
            self._call(call)
        except RetryAfter as error:
            return self._failed(method, "retry", error, retry_after=_retry_after(error))
        except Forbidden as error:
            if chat_id is not None and self._chats is not None:
                self._chats.mark_blocked(chat_id, self._clock.now())
            return self._failed(method, "blocked", error)
        except (BadRequest, ChatMigrated) as error:
            return self._failed(method, "failed", error)
        except (NetworkError, TelegramError, LoopTimeoutError) as error:
            return self._failed(method, "retry", error)
        return SendResult("sent")

    def _failed(
        self,
        method: str,
        status: SendStatus,
        error: Exception,
        retry_after: float | None = None,
    ) -> SendResult:
        log.warning(
            "telegram call failed",
            extra={"method": method, "status": status, "error": type(error).__name__},
        )
        said = str(error).replace(self._token, "[token]")  # never keep the token in the outbox
        return SendResult(status, retry_after, said[:MAX_ERROR_CHARACTERS])

    def _call(
        self,
        call: Callable[[Bot], Coroutine[Any, Any, T]],
        timeout: float | None = None,
    ) -> T:
        async def run() -> T:
            return await call(self._current_bot())

        return self._loop.run(run, timeout or self._timeout)

    def _current_bot(self) -> Bot:
        """The Bot for this process, made in the loop's own process (runs on the loop thread)."""
        if self._bot is None or self._bot_pid != self._loop.pid:
            self._bot = Bot(
                self._token,
                base_url=self._base_url,
                request=self._request_factory(),
                get_updates_request=self._polling_request_factory(),
            )
            self._bot_pid = self._loop.pid
        return self._bot


def quiet_library_logs() -> None:
    """Keep library logs to warnings: httpx logs URLs (with the token), the Bot message text."""
    for name in ("httpx", "httpcore", "telegram"):
        library = logging.getLogger(name)
        library.setLevel(max(library.getEffectiveLevel(), logging.WARNING))


def chat_target(chat_id: str) -> int | str:
    """Telegram chat ids are numbers; anything else (a channel's @name) goes as it is."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def reply_markup(
    value: object,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """A keyboard as python-telegram-bot's type, from the JSON a payload keeps."""
    if not isinstance(value, dict):
        return None
    if "inline_keyboard" in value:
        return InlineKeyboardMarkup.de_json(value)
    if "keyboard" in value:
        return ReplyKeyboardMarkup.de_json(value)
    if value.get("remove_keyboard"):
        return ReplyKeyboardRemove.de_json(value)
    return None


def _retry_after(error: RetryAfter) -> float:
    """Telegram's wait in seconds (python-telegram-bot 22 warns it will become a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
