"""The one seam for outgoing text messages: Twilio's Messages API, fed by the outbox.

``SmsSender`` implements ``handlers.ports.MessageSender``; the clock's outbox job calls it and
retries what it reports as passing. Only numbers the toll-fraud guard allows are ever texted
(``handlers.phones.textable``: UK mobiles, or a country the service profile allows): anything else
is refused here before Twilio is asked. Twilio's answers map to the outbox's statuses:

- created: ``sent``
- rate limited (429), Twilio's own faults (5xx), a rejected account login (401), or no answer
  at all (network): ``retry``
- the recipient texted STOP (error 21610): ``blocked``, never tried again
- any other refusal (an invalid or landline number, a message Twilio will not send): ``failed``
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from twilio.base.exceptions import TwilioException  # type: ignore[import-untyped]
from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

from handlers.phones import textable
from handlers.ports import SendResult
from ivr.render import plain_text

log = logging.getLogger("carers_line.ivr.send")
MAX_BODY_CHARACTERS = 1600
HTTP_TIMEOUT_SECONDS = 20
UNSUBSCRIBED = 21610
_SENTENCE_END = re.compile(r"[.!?](?=\s)")


class SmsSender:
    """Sends one outbox message by SMS from the service's Twilio number or messaging service."""

    def __init__(
        self, client: Any, sender: str, international_prefixes: Sequence[str] = ()
    ) -> None:
        self._client = client
        self._sender = sender
        self._international_prefixes = tuple(international_prefixes)

    @classmethod
    def for_account(
        cls,
        account_sid: str,
        auth_token: str,
        sender: str,
        international_prefixes: Sequence[str] = (),
    ) -> SmsSender:
        """A sender on the live Twilio API, with a time limit on every request."""
        http = TwilioHttpClient(timeout=HTTP_TIMEOUT_SECONDS)
        client = Client(account_sid, auth_token, http_client=http)
        return cls(client, sender, international_prefixes)

    def send(self, recipient: str, payload: Mapping[str, Any]) -> SendResult:
        """Try once; report the outcome, never raise for a delivery fault."""
        number = textable(recipient, self._international_prefixes)
        if number is None:
            return SendResult("failed", error="not a number we may text (toll-fraud guard)")
        body = _fit(plain_text(str(payload.get("text") or "")))
        if not body:
            return SendResult("failed", error="empty message")
        sender = (
            {"messaging_service_sid": self._sender}
            if self._sender.startswith("MG")
            else {"from_": self._sender}
        )
        try:
            self._client.messages.create(to=number, body=body, **sender)
        except TwilioException as error:
            return _refused(error)
        except OSError as error:  # the HTTP library's connection errors and time-outs
            return SendResult("retry", error=f"network: {type(error).__name__}")
        return SendResult("sent")


def _refused(error: Exception) -> SendResult:
    status = int(getattr(error, "status", 0) or 0)
    code = int(getattr(error, "code", 0) or 0)
    described = f"twilio {status} error {code}"
    if code == UNSUBSCRIBED:
        return SendResult("blocked", error=f"{described}: recipient unsubscribed (STOP)")
    if status == 429 or status >= 500 or status == 401 or status == 0:
        if status == 401:
            log.error("Twilio refused our account login: check TWILIO_AUTH_TOKEN")
        return SendResult("retry", error=described)
    return SendResult("failed", error=described)


def _fit(text: str) -> str:
    """One message's worth: cut at the last full sentence that fits (Twilio's limit is 1600)."""
    if len(text) <= MAX_BODY_CHARACTERS:
        return text
    head = text[: MAX_BODY_CHARACTERS - 3]
    ends = [match.end() for match in _SENTENCE_END.finditer(head + " ")]
    return (head[: ends[-1]] if ends else head.rsplit(" ", 1)[0]) + " ..."
