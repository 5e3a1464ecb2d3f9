"""Bodies over ``MAX_CONTENT_LENGTH`` (1 MiB) are refused with 413 on every route that takes one.

Twilio's requests are signed (so the refusal is for the size, not the signature); the console's
login form carries a real CSRF token.
"""

from __future__ import annotations

import pytest

from app import MAX_REQUEST_BYTES
from bot.security import SECRET_HEADER
from tests.bot.conftest import SECRET
from tests.console.conftest import csrf_token
from tests.fuzz import routes
from tests.ivr.driver import BASE_URL

TOO_BIG = (MAX_REQUEST_BYTES + 1, 8 * MAX_REQUEST_BYTES)


@pytest.mark.parametrize("path", [*routes.VOICE, *routes.VOICE_QUIET, *routes.SMS])
def test_twilio_routes_refuse_a_huge_signed_body(twilio, path):
    form = {"CallSid": "CA" + "f" * 32, "SpeechResult": "x" * TOO_BIG[0]}
    response = twilio.post(f"{BASE_URL}{path}?n=1", form)
    assert response.status_code == 413


@pytest.mark.parametrize("size", TOO_BIG)
def test_the_telegram_webhook_refuses_a_huge_body(app, size):
    body = b'{"update_id": 1, "message": {"text": "' + b"x" * size + b'"}}'
    response = app.test_client().post(
        "/telegram/webhook",
        data=body,
        content_type="application/json",
        headers={SECRET_HEADER: SECRET},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("size", TOO_BIG)
def test_console_forms_refuse_a_huge_body(app, size):
    client = app.test_client()
    token = csrf_token(client.get("/console/login").get_data(as_text=True))
    data = {"csrf_token": token, "username": "sam", "password": "x" * size}
    response = client.post("/console/login", data=data)
    assert response.status_code == 413
