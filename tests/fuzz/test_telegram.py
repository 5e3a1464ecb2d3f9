"""Hostile Telegram updates with the right secret: always 200 or 400, never an unhandled error.

Real Update shapes with hostile values, broken shapes, wrong types, huge ids, invalid UTF-8 and
control characters. Telegram re-sends anything but a 2xx for up to a day, so whatever we cannot
use must still be answered, and nothing may fail on the way (the view would hide a failure
behind its 200: the error log shows it).
"""

from __future__ import annotations

from hypothesis import given

from bot.security import SECRET_HEADER
from tests.bot.conftest import SECRET
from tests.fuzz import hostile
from tests.fuzz.conftest import FUZZ, no_errors_logged


def post(app, body: bytes, secret: str | None = SECRET):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return app.test_client().post(
        "/telegram/webhook", data=body, content_type="application/json", headers=headers
    )


@FUZZ
@given(body=hostile.telegram_body())
def test_hostile_updates_are_answered_200_or_400(app, body):
    with no_errors_logged():
        response = post(app, body)
    assert response.status_code in (200, 400)


@FUZZ
@given(body=hostile.telegram_body(), secret=hostile.header_text())
def test_without_the_secret_nothing_is_read(app, body, secret):
    response = post(app, body, None if secret == "" else secret + "x")
    assert response.status_code == 403
