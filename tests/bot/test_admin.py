"""``carers-line telegram ...`` against a fake Bot API server on loopback."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

import cli
from app import build_runtime, telegram_sender
from bot import admin
from bot.__main__ import main as bot_main
from bot.handler import UpdateHandler
from settings import Settings
from store.migrate import upgrade
from store.outbox import SqlOutbox
from store.telegram_chats import SqlTelegramChats
from tests.bot.conftest import CHAT_ID, SECRET, TOKEN, payload
from tests.bot.fake_bot_api import FakeBotApi

PUBLIC = "https://carers.example.org"


@pytest.fixture
def fake():
    server = FakeBotApi(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def environment(fake, tmp_path, monkeypatch):
    values = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'admin.db'}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "PUBLIC_BASE_URL": PUBLIC,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CARERS_LINE_NOW", raising=False)
    return values


def run(*args: str):
    return CliRunner().invoke(cli.main, ["telegram", *args])


def test_set_webhook_registers_the_url_secret_updates_and_commands(environment, fake):
    result = run("set-webhook")
    assert result.exit_code == 0, result.output
    assert fake.webhook == {
        "url": f"{PUBLIC}/telegram/webhook",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
    }
    assert [command["command"] for command in fake.commands] == [
        "start",
        "menu",
        "person",
        "help",
        "privacy",
        "forget",
    ]
    assert fake.commands[-1]["description"] == "Delete this chat"
    assert f"webhook set: {PUBLIC}/telegram/webhook" in result.output
    assert TOKEN not in result.output and SECRET not in result.output


def test_set_webhook_needs_the_public_address(environment, monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL")
    result = run("set-webhook")
    assert result.exit_code == 1
    assert "PUBLIC_BASE_URL" in result.output


def test_commands_explain_a_missing_token(environment, monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    result = run("info")
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN" in result.output


def test_info_and_delete_webhook(environment, fake):
    run("set-webhook")
    result = run("info")
    assert result.exit_code == 0, result.output
    assert "bot: @WestshireCarersBot" in result.output
    assert f"webhook: {PUBLIC}/telegram/webhook" in result.output
    assert "updates asked for: message, callback_query" in result.output
    result = run("delete-webhook")
    assert result.exit_code == 0 and fake.webhook == {}
    assert "webhook: (none: updates wait for polling)" in run("info").output


def test_telegram_refusing_is_a_clear_error(environment, fake):
    from tests.bot.recording import Failure

    fake.fail("setWebhook", Failure(400, "Bad Request: bad webhook: HTTPS url must be provided"))
    result = run("set-webhook")
    assert result.exit_code == 1
    assert "Telegram refused: Bad webhook: https url must be provided" in result.output


def test_polling_answers_updates_with_the_same_handler_as_the_webhook(
    environment, fake, monkeypatch
):
    monkeypatch.setenv("CARERS_LINE_NOW", "2026-11-23T10:30")  # a Monday morning: the line is open
    settings = Settings.from_env()
    runtime = build_runtime(settings)
    upgrade(runtime.engine)
    sender = telegram_sender(runtime)
    assert sender is not None
    start, button = payload("start"), payload("callback_query")
    fake.updates = [start]
    stop = threading.Event()

    class Counting(UpdateHandler):
        def handle_update(self, update):
            super().handle_update(update)
            if update.update_id == start["update_id"]:
                fake.updates.append(button)  # the carer presses a button while we poll
            else:
                stop.set()

    handler = Counting(
        runtime.dialog, sender, SqlOutbox(runtime.sessions), SqlTelegramChats(runtime.sessions)
    )
    lines: list[str] = []
    handled = admin.poll(handler, sender, runtime.knowledge.prompts, lines.append, stop=stop)
    assert handled == 2
    sent = [call.text for call in fake.of("sendMessage", CHAT_ID)]
    assert sent[:2] == [
        "Hello, this is Westshire Carers Line. We support people who look after a family member "
        "or friend.",
        "How can we help today?",
    ]
    assert len(sent) > 2  # the pressed button was answered too
    [answer] = fake.of("answerCallbackQuery")  # no webhook answer to carry it: a call of its own
    assert answer.params == {"callback_query_id": button["callback_query"]["id"]}
    offsets = [call.params.get("offset") for call in fake.of("getUpdates")]
    assert offsets == [None, start["update_id"] + 1]
    assert lines == ["polling Telegram for updates (Ctrl-C to stop)"]


def test_polling_refuses_while_a_webhook_is_set(environment, fake, capsys):
    run("set-webhook")
    with pytest.raises(SystemExit) as stopped:
        bot_main(["--poll"])
    assert stopped.value.code == 1
    assert "a webhook is set" in capsys.readouterr().err


def test_python_m_bot_needs_the_poll_option(capsys):
    with pytest.raises(SystemExit) as stopped:
        bot_main([])
    assert stopped.value.code == 2
    assert "--poll" in capsys.readouterr().err
