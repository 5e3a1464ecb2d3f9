"""The Telegram webhook in-process: the real app, a recording Bot API, and a carer's chat."""

from __future__ import annotations

import copy
import html
import itertools
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from bot.security import SECRET_HEADER
from handlers.clocks import FixedClock
from settings import Settings
from tests.bot.recording import BOT_USER, Call, RecordingRequest
from tests.conftest import london

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "telegram"
SECRET = "webhook-Secret_0123456789"
TOKEN = "123456789:TEST-token-not-real"
CHAT_ID = 5512345678
OPEN = london("2026-11-23T10:30")
_TAG = re.compile(r"<[^>]+>")


def payload(name: str) -> dict[str, Any]:
    """A saved Update, as Telegram sends it."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def plain(text: str) -> str:
    """Telegram HTML as the carer reads it."""
    return html.unescape(_TAG.sub("", text))


def telegram_settings(database_url: str) -> Settings:
    return replace(
        Settings(),
        database_url=database_url,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url="http://127.0.0.1:9/bot",
    )


@dataclass
class BotApp:
    """One app per database for the whole run (loading the knowledge base takes a while)."""

    app: Flask
    clock: FixedClock
    recorder: RecordingRequest


@pytest.fixture(scope="session")
def bot_apps() -> dict[str, BotApp]:
    return {}


@pytest.fixture
def bot_app(db, bot_apps) -> BotApp:
    """The app with the webhook on, its clock back at Monday 10:30 and no calls recorded."""
    if db.name not in bot_apps:
        clock, recorder = FixedClock(OPEN), RecordingRequest()
        app = create_app(
            telegram_settings(db.url),
            clock=clock,
            engine=db.engine,
            telegram_request=lambda: recorder,
        )
        bot_apps[db.name] = BotApp(app, clock, recorder)
    shared = bot_apps[db.name]
    shared.clock.set(OPEN)
    shared.recorder.calls.clear()
    shared.recorder.failures.clear()
    return shared


@pytest.fixture
def app(bot_app):
    return bot_app.app


@pytest.fixture
def recorder(bot_app) -> RecordingRequest:
    return bot_app.recorder


@pytest.fixture
def bot_clock(bot_app) -> FixedClock:
    return bot_app.clock


class Carer:
    """One person writing to the bot: builds real Update JSON and posts it to the webhook."""

    _ids = itertools.count(900000001)

    def __init__(self, client, recorder: RecordingRequest, chat_id: int = CHAT_ID) -> None:
        self.client = client
        self.recorder = recorder
        self.chat_id = chat_id
        self.seen = 0
        self.last_update: dict[str, Any] | None = None

    # --- what the carer does ---

    def post(self, update: dict[str, Any], secret: str | None = SECRET):
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        self.last_update = update
        response = self.client.post("/telegram/webhook", json=update, headers=headers)
        assert response.status_code in (200, 403)
        return response

    def start(self, link: str | None = None) -> list[Call]:
        update = self._message(f"/start {link}" if link else "/start")
        update["message"]["entities"] = [{"offset": 0, "length": 6, "type": "bot_command"}]
        return self.send(update)

    def command(self, name: str) -> list[Call]:
        update = self._message(f"/{name}")
        update["message"]["entities"] = [
            {"offset": 0, "length": len(name) + 1, "type": "bot_command"}
        ]
        return self.send(update)

    def type(self, text: str) -> list[Call]:
        return self.send(self._message(text))

    def share_contact(self, phone: str = "447700900123", *, own: bool = True) -> list[Call]:
        update = payload("contact_own" if own else "contact_other")
        update["update_id"] = next(self._ids)
        update["message"]["chat"]["id"] = update["message"]["from"]["id"] = self.chat_id
        if own:
            update["message"]["contact"]["user_id"] = self.chat_id
            update["message"]["contact"]["phone_number"] = phone
        return self.send(update)

    def press(self, option: str) -> list[Call]:
        """Press the button with this callback data on the newest message that shows it."""
        message = next(
            (
                call
                for call in reversed(self.recorder.of("sendMessage"))
                if option in [data for _, data in call.buttons()]
            ),
            None,
        )
        assert message is not None, f"no button {option!r} was offered"
        return self.send(self.button(option, message))

    def button(self, option: str, message: Call) -> dict[str, Any]:
        update = payload("callback_query")
        update["update_id"] = next(self._ids)
        query = update["callback_query"]
        query["id"] = str(next(self._ids))
        query["from"]["id"] = self.chat_id
        query["data"] = option
        query["message"].update(
            {
                "message_id": message.message_id,
                "from": BOT_USER,
                "chat": {"id": self.chat_id, "first_name": "Jo", "type": "private"},
                "text": plain(message.text),
                "reply_markup": message.markup,
            }
        )
        return update

    def send(self, update: dict[str, Any]) -> list[Call]:
        self.post(update)
        return self.new_calls()

    # --- what the bot did ---

    def new_calls(self) -> list[Call]:
        calls = self.recorder.calls[self.seen :]
        self.seen = len(self.recorder.calls)
        return calls

    def _message(self, text: str) -> dict[str, Any]:
        update = copy.deepcopy(payload("text"))
        update["update_id"] = next(self._ids)
        message = update["message"]
        message["message_id"] = next(self._ids)
        message["from"]["id"] = message["chat"]["id"] = self.chat_id
        message["text"] = text
        return update


def texts(calls: list[Call]) -> list[str]:
    """What the carer read, message by message."""
    return [plain(call.text) for call in calls if call.method == "sendMessage"]


def said(calls: list[Call]) -> str:
    return "\n".join(texts(calls))


def last_menu(calls: list[Call]) -> Call:
    menus = [call for call in calls if call.method == "sendMessage" and call.buttons()]
    assert menus, f"no menu in {texts(calls)}"
    return menus[-1]


@pytest.fixture
def carer(app, recorder) -> Carer:
    return Carer(app.test_client(), recorder)
