"""A python-telegram-bot request class that answers like the Bot API and records every call.

Given to ``TelegramSender`` in place of HTTPX, it lets tests assert on the exact calls the bot
makes (method, chat id, text, keyboard) without a network. Failures can be scripted per method:
the next calls answer with that HTTP status and Telegram's error body (e.g. 429 with
``retry_after``), exactly as the real API would.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 7012345678,
    "is_bot": True,
    "first_name": "Westshire Carers Line",
    "username": "WestshireCarersBot",
}


@dataclass
class Call:
    """One Bot API call: the method name and its parameters as python-telegram-bot sent them."""

    method: str
    params: dict[str, Any]
    message_id: int = 0

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def markup(self) -> dict[str, Any] | None:
        return self.params.get("reply_markup")

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of an inline keyboard, in order."""
        markup = self.markup or {}
        return [
            (button["text"], button["callback_data"])
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


@dataclass
class Failure:
    """How one call fails: an HTTP status with Telegram's error body, or 0 for no connection."""

    status: int
    description: str
    retry_after: int | None = None


@dataclass
class RecordingRequest(BaseRequest):
    """The Bot API, in memory."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    next_message_id: int = 1000

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def __hash__(self) -> int:
        return id(self)

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def fail(self, method: str, *failures: Failure) -> None:
        """The next calls of ``method`` fail like this, one failure per call."""
        self.failures.setdefault(method, []).extend(failures)

    def of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        with self._lock:
            self.next_message_id += 1
            message_id = self.next_message_id
            self.calls.append(Call(name, params, message_id))
            queued = self.failures.get(name)
            failure = queued.pop(0) if queued else None
        if failure is not None and failure.status == 0:
            raise ConnectionError(failure.description)
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": _result(name, params, message_id)}).encode()


def _result(method: str, params: dict[str, Any], message_id: int) -> Any:
    if method in ("sendMessage", "editMessageText"):
        message: dict[str, Any] = {
            "message_id": params.get("message_id", message_id),
            "from": BOT_USER,
            "chat": {"id": params["chat_id"], "type": "private"},
            "date": 1795429800,
            "text": params.get("text", ""),
        }
        if (
            isinstance(params.get("reply_markup"), dict)
            and "inline_keyboard" in params["reply_markup"]
        ):
            message["reply_markup"] = params["reply_markup"]
        return message
    if method == "getMe":
        return BOT_USER
    if method == "getWebhookInfo":
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    if method == "getUpdates":
        return []
    return True
