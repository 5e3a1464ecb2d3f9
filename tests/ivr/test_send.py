"""Sending texts through Twilio's REST API: the real client, a recorded HTTP exchange."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from twilio.http import HttpClient  # type: ignore[import-untyped]
from twilio.http.response import Response  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from handlers.jobs import deliver_outbox
from ivr.send import SmsSender
from store.models import OutboxMessage
from store.outbox import SqlOutbox
from tests.ivr.driver import payload

ACCOUNT = "AC0123456789abcdef0123456789abcdef"


class FakeTwilio(HttpClient):  # type: ignore[misc]
    """Answers each request with the next canned response (or raises it), recording requests."""

    def __init__(self, *answers: tuple[int, dict[str, Any]] | Exception) -> None:
        super().__init__(logger=None, is_async=False)
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, **kwargs):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return Response(status, json.dumps(body))


def sender(http: FakeTwilio, from_: str = "+441632960100") -> SmsSender:
    return SmsSender(Client(ACCOUNT, "token", http_client=http), from_)


CREATED = (201, payload("message_created"))


def test_a_text_goes_to_the_messages_api_in_international_form():
    http = FakeTwilio(CREATED)
    result = sender(http).send("07700 900123", {"text": "Your reference is **C-7KM4PX**."})
    assert result.status == "sent"
    [request] = http.requests
    assert request["method"] == "POST"
    assert request["uri"].endswith(f"/Accounts/{ACCOUNT}/Messages.json")
    assert request["data"] == {
        "To": "+447700900123",
        "From": "+441632960100",
        "Body": "Your reference is C-7KM4PX.",
    }


def test_a_messaging_service_can_send_instead_of_a_number():
    http = FakeTwilio(CREATED)
    sms = sender(http, "MG7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d")
    assert sms.send("+447700900123", {"text": "Hello"}).status == "sent"
    assert http.requests[0]["data"]["MessagingServiceSid"] == "MG7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d"
    assert "From" not in http.requests[0]["data"]


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ((429, payload("message_error_rate_limited")), "retry"),
        ((500, {"code": 20500, "message": "Internal Server Error", "status": 500}), "retry"),
        ((503, {"message": "Service Unavailable"}), "retry"),
        ((401, {"code": 20003, "message": "Authenticate", "status": 401}), "retry"),
        (requests.ConnectionError("connection refused"), "retry"),
        (requests.Timeout("read timed out"), "retry"),
        ((400, payload("message_error_unsubscribed")), "blocked"),
        ((400, payload("message_error_invalid_number")), "failed"),
        ((400, {"code": 21614, "message": "not a mobile number", "status": 400}), "failed"),
    ],
)
def test_twilio_answers_map_to_outbox_statuses(answer, status):
    result = sender(FakeTwilio(answer)).send("07700900123", {"text": "Hello"})
    assert result.status == status and result.error


@pytest.mark.parametrize("recipient", ["01632 960999", "+1 415 555 0100", "09098 790000", "nope"])
def test_only_uk_mobiles_are_texted(recipient):
    http = FakeTwilio()
    result = sender(http).send(recipient, {"text": "Hello"})
    assert result.status == "failed" and http.requests == []


def test_an_overlong_text_is_cut_at_a_sentence():
    http = FakeTwilio(CREATED)
    sender(http).send("07700900123", {"text": "A short sentence here. " * 100})
    body = http.requests[0]["data"]["Body"]
    assert len(body) <= 1600 and body.endswith("here. ...")


def test_the_outbox_retries_then_delivers_in_order(db, clock):
    outbox = SqlOutbox(db.sessions)
    outbox.enqueue("sms", "07700900123", {"text": "first"}, clock.now(), "k1")
    outbox.enqueue("sms", "07700900123", {"text": "second"}, clock.now(), "k2")
    http = FakeTwilio((503, {"message": "down"}), CREATED, CREATED)
    report = deliver_outbox(outbox, {"sms": sender(http)}, clock)
    assert (report.sent, report.retrying) == (0, 1)
    clock.advance(timedelta(minutes=1))
    deliver_outbox(outbox, {"sms": sender(http)}, clock)
    deliver_outbox(outbox, {"sms": sender(http)}, clock)
    bodies = [request["data"]["Body"] for request in http.requests]
    assert bodies == ["first", "first", "second"]
    with db.sessions() as session:
        statuses = [row.status for row in session.query(OutboxMessage).order_by(OutboxMessage.id)]
    assert statuses == ["sent", "sent"]
