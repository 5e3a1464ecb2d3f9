"""The one way out to the Telegram Bot API: python-telegram-bot's ``Bot`` over a blocking client.

``TelegramSender`` is synchronous for its callers (Flask views, the clock, the CLI). Each call is
one of python-telegram-bot's ``Bot`` coroutines, given ``BlockingRequest``: PTB's own request
interface (``telegram.request.BaseRequest``: its parameter encoding, and its mapping of Bot API
answers to ``TelegramError``s) over a kept-alive synchronous ``urllib3`` pool. Nothing in such a
call waits on an event loop, so ``run_here`` runs it to the end on the calling thread: no loop
thread to hand it to, and no asyncio HTTP stack (PTB's ``HTTPXRequest`` on a loop thread cost
about three times the CPU per message: docs/performance.md). One ``Bot`` and one client per
process, made on first use and made again when the process id changes, so a gunicorn worker
never reuses a connection its parent opened. ``base_url`` has python-telegram-bot's meaning:
the token and the method name are appended (``http://127.0.0.1:8081/bot`` in tests).

Messages go with ``Bot.do_api_request`` and the payload's own JSON: the answer is not turned
into PTB objects nobody reads. As the outbox's ``handlers.ports.MessageSender`` it reports
instead of raising: network faults, 5xx and 429 are ``retry`` (with Telegram's ``retry_after``),
403 is ``blocked`` (the chat is marked and not tried again until it writes to us), 400 is
``failed``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import urllib3
from telegram import Bot, BotCommand, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from handlers.ports import Clock, SendResult, SendStatus

log = logging.getLogger("carers_line.telegram")
T = TypeVar("T")
RequestFactory = Callable[[], BaseRequest]
ALLOWED_UPDATES = ("message", "callback_query")
MAX_ERROR_CHARACTERS = 200
COSMETIC_TIMEOUT = 3.0
"""Seconds for calls nothing depends on (a menu's edit): a slow Bot API must not keep a web
worker past gunicorn's 30-second limit before the replies are sent."""
NO_PREVIEW = {"is_disabled": True}
_OWN_METHOD_HINT = "Please use 'Bot."


class ChatNow(Protocol):
    """What the adapter needs to know about a chat as an update comes in."""

    @property
    def keyboard_showing(self) -> bool:
        """The "Share my number" keyboard is up."""
        ...

    @property
    def replies_waiting(self) -> bool:
        """Earlier messages for the chat still wait in the outbox (new ones go behind them)."""
        ...


class TelegramChats(Protocol):
    """What the adapter remembers about chats between updates (the store implements it)."""

    def mark_blocked(self, chat_id: str, at: datetime) -> None:
        """The chat blocked the bot."""
        ...

    def is_blocked(self, chat_id: str) -> bool:
        """True while the chat's block stands."""
        ...

    def wrote(self, chat_id: str, at: datetime) -> ChatNow:
        """The chat wrote to us (a block is over): its keyboard and its waiting replies."""
        ...

    def keyboard(self, chat_id: str, showing: bool, at: datetime) -> None:
        """Record whether the "Share my number" keyboard is now showing."""
        ...


class BlockingRequest(BaseRequest):
    """python-telegram-bot's request interface over a kept-alive, synchronous ``urllib3`` pool.

    ``do_request`` is a coroutine only because PTB's interface is: it blocks the calling thread
    for the HTTP exchange and never waits on an event loop (see ``run_here``). Parameters go as
    one JSON body (multipart only when a file is sent). Thread-safe: the pool is shared by every
    thread of the process, and made again after a fork. A proxy set in the environment
    (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) is honoured, and certificates
    are checked against the system's trust store (``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` apply).
    """

    def __init__(
        self,
        connection_pool_size: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        pool_timeout: float = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._lock = threading.Lock()
        self._pools: dict[str, urllib3.PoolManager] = {}
        self._pools_pid: int | None = None

    @property
    def read_timeout(self) -> float | None:
        """PTB adds a long poll's own wait to this."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open in advance: connections are made on first use in each process."""

    async def shutdown(self) -> None:
        """Close this process's connections."""
        with self._lock:
            if self._pools_pid == os.getpid():
                for pool in self._pools.values():
                    pool.clear()
            self._pools = {}

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP exchange with PTB's parameters (a write is bounded by the read time-out)."""
        timeout = urllib3.Timeout(
            connect=_given(connect_timeout, self._connect_timeout),
            read=_given(read_timeout, self._read_timeout),
        )
        headers = {"User-Agent": self.USER_AGENT}
        fields: dict[str, Any] | None = None
        body: bytes | None = None
        if request_data is not None and request_data.multipart_data:
            fields = {**request_data.json_parameters, **request_data.multipart_data}
        elif request_data is not None:
            body = json.dumps(request_data.parameters).encode()
            headers["Content-Type"] = "application/json"
        try:
            answer = self._pool_for(url).request(
                method,
                url,
                body=body,
                fields=fields,
                headers=headers,
                timeout=timeout,
                retries=False,
                pool_timeout=_given(pool_timeout, self._pool_timeout),
            )
        except urllib3.exceptions.TimeoutError as error:
            raise TimedOut from error
        except urllib3.exceptions.HTTPError as error:
            raise NetworkError(f"urllib3.{type(error).__name__}: {error}") from error
        return answer.status, answer.data

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        """The pool for ``url`` in this process: through the environment's proxy for it, if any."""
        pid = os.getpid()
        parts = urllib.parse.urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            if self._pools_pid != pid:
                self._pools, self._pools_pid = {}, pid
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = self._new_pool(parts.scheme, parts.hostname or "")
            return pool

    def _new_pool(self, scheme: str, host: str) -> urllib3.PoolManager:
        settings: dict[str, Any] = {"maxsize": self._pool_size, "block": True}
        proxies = urllib.request.getproxies()
        proxy = proxies.get(scheme) or proxies.get("all")
        if proxy and not urllib.request.proxy_bypass(host):
            return urllib3.ProxyManager(proxy, **settings)
        return urllib3.PoolManager(**settings)


class PayloadBot(Bot):
    """python-telegram-bot's ``Bot``, also sending ready-made payloads with ``do_api_request``.

    ``do_api_request`` warns on every call when PTB has a method of its own for the endpoint
    (``sendMessage``): here that is on purpose, so the answer is not built into objects nobody
    reads. That one hint is not given (through ``_warn``, the hook PTB's own ``ExtBot`` uses);
    every other warning is.
    """

    __slots__ = ()

    @classmethod
    def _warn(
        cls,
        message: str | PTBUserWarning,
        category: type[Warning] = PTBUserWarning,
        stacklevel: int = 0,
    ) -> None:
        if not str(message).startswith(_OWN_METHOD_HINT):
            super()._warn(message, category, stacklevel + 1)


def _given(value: Any, default: float | None) -> float | None:
    """A time-out a Bot method passed, or ours when it passed PTB's "not given" marker."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def run_here(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a Bot API coroutine to the end on this thread.

    With ``BlockingRequest`` (or the tests' recording request) a ``Bot`` call never waits on an
    event loop: it only gives way with a bare ``yield`` (``asyncio.sleep(0)``), which is simply
    resumed. One that waits on a future would need a loop: that raises at once, never hangs.
    """
    try:
        while True:
            waiting = coroutine.send(None)
            if waiting is not None:
                raise RuntimeError("a Bot API call waited on an event loop; none runs here")
    except StopIteration as finished:
        result: T = finished.value
        return result
    finally:
        coroutine.close()


def default_request() -> BaseRequest:
    """Short time-outs: a slow Bot API must not hold a web worker for long."""
    return BlockingRequest(connection_pool_size=8, connect_timeout=5.0, read_timeout=10.0)


def polling_request() -> BaseRequest:
    """One connection for long polling (``getUpdates`` waits up to its own time-out)."""
    return BlockingRequest(connection_pool_size=1, connect_timeout=5.0, read_timeout=60.0)


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
    ) -> None:
        self._token = token
        self._base_url = base_url
        self._clock = clock
        self._chats = chats
        self._request_factory = request_factory or default_request
        self._polling_request_factory = polling_request_factory
        self._lock = threading.Lock()
        self._bot: PayloadBot | None = None
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
        params: dict[str, Any] = {
            "chat_id": chat_target(chat_id),
            "text": str(payload.get("text", "")),
            "link_preview_options": NO_PREVIEW,
        }
        if payload.get("parse_mode"):
            params["parse_mode"] = str(payload["parse_mode"])
        if isinstance(payload.get("reply_markup"), dict):
            params["reply_markup"] = payload["reply_markup"]
        return self._report("sendMessage", params, chat_id)

    def answer_callback(self, query_id: str) -> SendResult:
        """Stop the spinner on a pressed button (long polling: a webhook answers it itself)."""
        params = {"callback_query_id": query_id}
        return self._report("answerCallbackQuery", params, None, COSMETIC_TIMEOUT)

    def edit_text(self, chat_id: str, message_id: int, text: str) -> SendResult:
        """Replace a menu's text and take its buttons away (HTML, escaped; short time-out)."""
        params = {
            "chat_id": chat_target(chat_id),
            "message_id": message_id,
            "text": text,
            "parse_mode": "HTML",
            "link_preview_options": NO_PREVIEW,
        }
        return self._report("editMessageText", params, None, COSMETIC_TIMEOUT)

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
            )
        )

    # --- plumbing ---

    def _report(
        self,
        method: str,
        params: dict[str, Any],
        chat_id: str | None,
        timeout: float | None = None,
    ) -> SendResult:
        """One Bot API method with the payload's own JSON (no PTB objects built either way)."""
        wait: Any = BaseRequest.DEFAULT_NONE if timeout is None else timeout
        try:
            self._call(
                lambda bot: bot.do_api_request(
                    method, api_kwargs=params, connect_timeout=wait, read_timeout=wait
                )
            )
        except RetryAfter as error:
            return self._failed(method, "retry", error, retry_after=_retry_after(error))
        except Forbidden as error:
            if chat_id is not None and self._chats is not None:
                self._chats.mark_blocked(chat_id, self._clock.now())
            return self._failed(method, "blocked", error)
        except (BadRequest, ChatMigrated) as error:
            return self._failed(method, "failed", error)
        except (NetworkError, TelegramError) as error:
            return self._failed(method, "retry", error)
        except Exception as error:  # anything unforeseen: the message waits in the outbox
            log.exception("telegram call raised", extra={"method": method})
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

    def _call(self, call: Callable[[PayloadBot], Coroutine[Any, Any, T]]) -> T:
        return run_here(call(self._current_bot()))

    def _current_bot(self) -> PayloadBot:
        """The Bot for this process (made again in a forked child, with its own connections)."""
        pid = os.getpid()
        with self._lock:
            if self._bot is None or self._bot_pid != pid:
                self._bot = PayloadBot(
                    self._token,
                    base_url=self._base_url,
                    request=self._request_factory(),
                    get_updates_request=self._polling_request_factory(),
                )
                self._bot_pid = pid
            return self._bot


def quiet_library_logs() -> None:
    """Keep library logs to warnings: urllib3 logs URLs (with the token), the Bot message text."""
    for name in ("urllib3", "telegram"):
        library = logging.getLogger(name)
        library.setLevel(max(library.getEffectiveLevel(), logging.WARNING))


def chat_target(chat_id: str) -> int | str:
    """Telegram chat ids are numbers; anything else (a channel's @name) goes as it is."""
    try:
        return int(chat_id)
    except ValueError:
        return chat_id


def _retry_after(error: RetryAfter) -> float:
    """Telegram's wait in seconds (python-telegram-bot 22 warns it will become a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
