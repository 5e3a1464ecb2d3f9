"""A fake Telegram Bot API server on loopback, for tests that run real processes.

It answers ``/bot<token>/<method>`` like Telegram (form-encoded or JSON bodies; complex values
JSON-encoded, as python-telegram-bot sends them), records every call in order, and can be told
to fail the next calls of a method (500, 429 with ``retry_after``, 403...) or to hold the next
call until the test releases it (to keep one web worker busy). ``getUpdates`` hands out queued
updates with Telegram's offset rule. Asked as an HTTP proxy (an absolute URL in the request
line), it answers as the Bot API and notes the host asked for.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.bot.recording import BOT_USER, Call, Failure

HOLD_SECONDS = 20.0


@dataclass
class Hold:
    """The next call of a method waits here until released."""

    method: str
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


class FakeBotApi:
    """The server and what it saw."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.holds: list[Hold] = []
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.commands: list[dict[str, Any]] = []
        self.proxied_for: list[str] = []
        self._lock = threading.Lock()
        self._next_message_id = 5000
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """``TELEGRAM_API_BASE_URL`` for this server (the token and method are appended)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/bot"

    def start(self) -> FakeBotApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        for hold in self.holds:
            hold.release()
        self._server.shutdown()
        self._server.server_close()

    def fail(self, method: str, *failures: Failure) -> None:
        with self._lock:
            self.failures.setdefault(method, []).extend(failures)

    def hold_next(self, method: str) -> Hold:
        hold = Hold(method)
        with self._lock:
            self.holds.append(hold)
        return hold

    def of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [
                call
                for call in self.calls
                if call.method == method and (chat_id is None or call.chat_id == chat_id)
            ]

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
            self.calls.append(Call(method, params, message_id))
            queued = self.failures.get(method)
            failure = queued.pop(0) if queued else None
            hold = next((hold for hold in self.holds if hold.method == method), None)
            if hold is not None:
                self.holds.remove(hold)
        if hold is not None:
            hold.reached.set()
            hold.released.wait(HOLD_SECONDS)
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, body
        return 200, {"ok": True, "result": self._result(method, params, message_id)}

    def _result(self, method: str, params: dict[str, Any], message_id: int) -> Any:
        if method in ("sendMessage", "editMessageText"):
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id", message_id)),
                "from": BOT_USER,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "date": 1795429800,
                "text": params.get("text", ""),
            }
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            return message
        if method == "getMe":
            return BOT_USER
        if method == "setWebhook":
            self.webhook = {
                "url": params.get("url", ""),
                "secret_token": params.get("secret_token"),
                "allowed_updates": params.get("allowed_updates"),
            }
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getWebhookInfo":
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self.updates),
            }
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            return info
        if method == "setMyCommands":
            self.commands = list(params.get("commands", []))
            return True
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            with self._lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                return list(self.updates)
        return True

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self._serve()

            def do_GET(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _serve(self) -> None:
                path = self.path.split("?", 1)[0]
                if "://" in path:  # asked as a proxy: the absolute URL of another host
                    host, path = path.split("://", 1)[1].split("/", 1)
                    api.proxied_for.append(host)
                    path = f"/{path}"
                prefix = f"/bot{api.token}/"
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not path.startswith(prefix):
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                params = _parameters(raw, self.headers.get("Content-Type", ""))
                status, body = api.answer(path[len(prefix) :], params)
                self._reply(status, body)

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _parameters(raw: bytes, content_type: str) -> dict[str, Any]:
    """Telegram accepts JSON bodies and form bodies whose complex values are JSON strings."""
    if "json" in content_type:
        loaded = json.loads(raw or b"{}")
        return loaded if isinstance(loaded, dict) else {}
    params: dict[str, Any] = {}
    for name, value in parse_qsl(raw.decode(), keep_blank_values=True):
        params[name] = _maybe_json(name, value)
    return params


def _maybe_json(name: str, value: str) -> Any:
    if name in ("text", "url", "secret_token", "callback_query_id"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
