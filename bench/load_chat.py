"""Drive simulated Telegram chats at the real app under gunicorn and compare with a bare baseline.

Usage: .venv/bin/python bench/load_chat.py [--chats 24] [--seconds 20] [--rate 100]
       [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Like ``bench/load_calls.py``, for ``POST /telegram/webhook``: a throw-away migrated PostgreSQL
schema, the app started as the Procfile's ``web`` process does (gunicorn, gunicorn.conf.py) with
a bot token and webhook secret, and the fake Bot API server of the tests
(``tests/bot/fake_bot_api.py``) on loopback taking the bot's replies. ``--chats`` people write
at once, each a whole conversation from ``/start``: Update JSON shaped as Telegram sends it
(``tests/payloads/telegram``), the secret header on every request, buttons pressed on the menu
the bot last sent to that chat, and typed questions. A button the bot did not offer, any answer
but 200, or a pressed button whose answer does not ask Telegram to stop its spinner (the
webhook answers ``answerCallbackQuery`` in its response body; Telegram would make that call,
so the bench only checks it), counts as an error. Then the same loads against
``bench/bare_chat.py`` (a constant 200) under the same gunicorn settings. Prints requests/s,
p50/p95/p99, errors and the ratio to the baseline, at saturation and at a paced rate. The
service's clock is fixed to a Monday morning (``CARERS_LINE_NOW``), so the line is open and the
same flows run whatever the time of day.
"""

from __future__ import annotations

import contextlib
import copy
import http.client
import itertools
import json
import multiprocessing
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler
from multiprocessing.connection import Connection
from typing import Any, Protocol

from loadkit import (
    ROOT,
    Accept,
    Client,
    Pacer,
    Target,
    arguments,
    compare,
    drop_schema,
    due,
    free_port,
    prepare_database,
    server_environment,
)

from bot.security import SECRET_HEADER
from tests.bot.fake_bot_api import FakeBotApi
from tests.bot.recording import BOT_USER

PAYLOADS = ROOT / "tests" / "payloads" / "telegram"
TOKEN = "123456789:BENCH-token-not-real"
SECRET = "bench-Webhook_secret_0123456789"
WEBHOOK = "/telegram/webhook"
MENU_METHOD = "benchMenu"

# Each route: what the carer does after /start ("press:" a button, or "type:" words).
ROUTES: tuple[tuple[str, ...], ...] = (
    (
        "press:information",
        "press:group-money",
        "press:carers-allowance",
        "press:carers-allowance-how-to-claim",
        "press:yes",
    ),
    ("type:I have a question", "type:how do I claim carers allowance", "press:yes"),
    ("press:information", "type:what is nhs continuing healthcare and who qualifies"),
    ("press:information", "type:can I get a break from caring"),
)


def _payload(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return loaded


class BenchBotApi(FakeBotApi):
    """The tests' fake Bot API, keeping only each chat's latest menu (not every call)."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.menus: dict[int, dict[str, Any]] = {}
        self._menus_lock = threading.Lock()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """The fake's handler with Nagle off.

        It writes headers and body separately; with delayed ACKs each Bot API call would
        otherwise stall about 40 ms, which is the fake's cost, not the app's.
        """
        handler = super()._handler()
        handler.disable_nagle_algorithm = True
        return handler

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer as the fake does; remember a message that carries buttons.

        ``benchMenu`` (not a Bot API method) answers the load generator's question from another
        process: the last message with buttons sent to ``chat_id``.
        """
        if method == MENU_METHOD:
            return 200, {"ok": True, "result": self.menu(int(params["chat_id"]))}
        status, body = super().answer(method, params)
        self.calls.clear()
        markup = params.get("reply_markup")
        if method == "sendMessage" and isinstance(markup, dict) and "inline_keyboard" in markup:
            with self._menus_lock:
                self.menus[int(params["chat_id"])] = body["result"]
        return status, body

    def menu(self, chat_id: int) -> dict[str, Any] | None:
        """The last message with buttons the bot sent this chat."""
        with self._menus_lock:
            return self.menus.get(chat_id)


class Menus(Protocol):
    """Where the load generator finds the menu the bot last sent a chat."""

    def menu(self, chat_id: int) -> dict[str, Any] | None:
        """The last message with buttons the bot sent this chat."""
        ...


def _serve_fake_api(connection: Connection) -> None:
    """Child process: run the fake Bot API until the parent says stop (or goes)."""
    api = BenchBotApi(TOKEN)
    api.start()
    connection.send(api.base_url)
    with contextlib.suppress(EOFError):
        connection.recv()
    api.stop()


class SeparateBotApi:
    """The bench's fake Bot API in a process of its own, as Telegram's servers would be.

    In this process its Python threads would share one GIL with the load generator's, and
    every Bot API call the app makes would wait on the load generator as well as on the fake.
    Menus are asked for over loopback (``benchMenu``), one kept-alive connection per thread.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._parent, child = context.Pipe()
        self._process = context.Process(target=_serve_fake_api, args=(child,), daemon=True)
        self._process.start()
        self.base_url: str = self._parent.recv()
        self._address = urllib.parse.urlsplit(self.base_url)
        self._local = threading.local()

    def menu(self, chat_id: int) -> dict[str, Any] | None:
        """The last message with buttons the bot sent this chat, from the fake's process."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            address = self._address
            connection = http.client.HTTPConnection(address.hostname or "", address.port)
            self._local.connection = connection
        body = json.dumps({"chat_id": chat_id}).encode()
        headers = {"Content-Type": "application/json"}
        path = f"{self._address.path}{TOKEN}/{MENU_METHOD}"
        connection.request("POST", path, body, headers)
        answer: dict[str, Any] | None = json.loads(connection.getresponse().read())["result"]
        return answer

    def stop(self) -> None:
        """End the fake's process."""
        self._parent.send("stop")
        self._process.join(timeout=10)


class Chatter:
    """Plays Telegram's part: posts real Update shapes with the secret, presses offered buttons.

    Not ``strict`` (for the baseline, which sends no menus): buttons are pressed on a made-up
    message, so both servers get the same requests.
    """

    def __init__(self, api: Menus, *, strict: bool = True) -> None:
        self.api = api
        self.strict = strict
        self.update_ids = itertools.count(800_000_000)
        self.message = _payload("text")
        self.button = _payload("callback_query")

    def __call__(self, client: Client, number: int, pacer: Pacer | None) -> None:
        """One whole conversation along one of ``ROUTES``, from /start."""
        chat_id = 6_000_000_000 + uuid.uuid4().int % 1_000_000_000
        route = ROUTES[number % len(ROUTES)]
        start = self._message(chat_id, "/start")
        start["message"]["entities"] = [{"offset": 0, "length": 6, "type": "bot_command"}]
        if not self.post(client, start, pacer):
            return
        for action in route:
            kind, _, value = action.partition(":")
            update = self._press(chat_id, value) if kind == "press" else None
            if kind == "type":
                update = self._message(chat_id, value)
            if update is None:
                client.figures.add(WEBHOOK, 0.0, ok=False)  # the button was not offered
                return
            if not self.post(client, update, pacer):
                return

    def post(self, client: Client, update: dict[str, Any], pacer: Pacer | None) -> bool:
        """POST the update as Telegram does; True when it was taken (200, spinner answered)."""
        headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
        body = json.dumps(update).encode()
        query = update.get("callback_query")
        accept = _taken if query is None or not self.strict else _spinner_stopped(query["id"])
        return client.post(WEBHOOK, body, headers, accept, due(pacer)) is not None

    def _message(self, chat_id: int, text: str) -> dict[str, Any]:
        update = copy.deepcopy(self.message)
        update["update_id"] = next(self.update_ids)
        message = update["message"]
        message["message_id"] = next(self.update_ids)
        message["from"]["id"] = message["chat"]["id"] = chat_id
        message["text"] = text
        return update

    def _press(self, chat_id: int, option: str) -> dict[str, Any] | None:
        menu = self.api.menu(chat_id)
        offered = [
            button.get("callback_data")
            for row in (menu or {}).get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
        ]
        if self.strict and (menu is None or option not in offered):
            return None
        menu = menu or {"message_id": 1, "text": "", "reply_markup": {"inline_keyboard": []}}
        update = copy.deepcopy(self.button)
        update["update_id"] = next(self.update_ids)
        query = update["callback_query"]
        query["id"] = str(next(self.update_ids))
        query["from"]["id"] = chat_id
        query["data"] = option
        query["message"] |= {
            "message_id": menu["message_id"],
            "from": BOT_USER,
            "chat": {"id": chat_id, "first_name": "Jo", "type": "private"},
            "text": menu["text"],
            "reply_markup": menu["reply_markup"],
        }
        return update


def _taken(status: int, text: str) -> bool:
    return status == 200


def _spinner_stopped(query_id: str) -> Accept:
    """A pressed button's answer: 200 with the ``answerCallbackQuery`` for Telegram to make."""
    wanted = {"method": "answerCallbackQuery", "callback_query_id": query_id}

    def accept(status: int, text: str) -> bool:
        return status == 200 and json.loads(text) == wanted

    return accept


def main() -> None:
    """Run both loads against both servers and print the figures and ratios."""
    args = arguments(__doc__.splitlines()[0], "chats")
    app_url, schema = prepare_database(args.database)
    api = SeparateBotApi()
    env = server_environment(
        app_url,
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": api.base_url,
        },
    )
    targets = (
        Target("carers-line", "app:create_app()"),
        Target("bare baseline", "bare_chat:app", str(ROOT / "bench")),
    )
    try:
        chatters = (Chatter(api), Chatter(api, strict=False))
        compare(args, free_port(), env, chatters, targets)
    finally:
        api.stop()
        drop_schema(args.database, schema)


if __name__ == "__main__":
    main()
