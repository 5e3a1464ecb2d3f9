"""``POST /telegram/webhook``: a plain synchronous Flask view, safe under several gunicorn workers.

The secret header is checked first (403 and nothing stored when it is wrong or missing). Then
the update is handled in full (the core's transaction commits before any reply is sent) and
Telegram gets 200: with a pressed button, a JSON body asking Telegram to make the
``answerCallbackQuery`` that stops its spinner (the Bot API's "making requests when getting
updates"), otherwise empty. Malformed JSON and update kinds we do not use also get 200, with a
debug log: Telegram re-sends anything else for up to a day. No state lives in the process; the
conversation, the de-duplication of ``update_id`` and the outbox are all in the database.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, request

from bot.handler import UpdateHandler
from bot.security import SECRET_HEADER, secret_matches
from bot.send import TelegramChats, TelegramSender
from handlers.ports import Outbox
from handlers.service import DialogService

log = logging.getLogger("carers_line.telegram")
WEBHOOK_PATH = "/telegram/webhook"


def blueprint(
    service: DialogService,
    sender: TelegramSender,
    outbox: Outbox,
    *,
    secret: str,
    chats: TelegramChats | None = None,
) -> Blueprint:
    """The Telegram webhook, wired to the core, the Bot API sender and the outbox."""
    handler = UpdateHandler(service, sender, outbox, chats)
    telegram = Blueprint("telegram", __name__)

    @telegram.post(WEBHOOK_PATH)
    def webhook() -> Response:
        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            log.warning("telegram webhook: wrong or missing secret token")
            return Response(status=403)
        data = request.get_json(force=True, silent=True)
        try:
            call = handler.handle(data)
        except Exception:
            log.exception("telegram webhook: update could not be handled")
            call = None
        if call is None:
            return Response(status=200)
        return Response(json.dumps(call), status=200, mimetype="application/json")

    return telegram
