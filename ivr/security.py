"""Twilio request signatures: only Twilio, holding our auth token, reaches the phone routes.

Twilio signs each webhook (``X-Twilio-Signature``) over the URL it requested plus the POST
parameters. Behind a proxy or load balancer the URL this process sees differs from the public
one, so the URL is rebuilt from ``PUBLIC_BASE_URL`` and the request's path and query string.
"""

from __future__ import annotations

import logging

from flask import Request
from twilio.request_validator import (  # type: ignore[import-untyped]
    SIGNATURE_HEADER,
    RequestValidator,
)

log = logging.getLogger("carers_line.ivr.security")


def public_url(base_url: str, request: Request) -> str:
    """The URL Twilio requested: the public base, this route's path and the raw query string."""
    query = request.query_string.decode("latin-1")
    return f"{base_url.rstrip('/')}{request.path}" + (f"?{query}" if query else "")


class SignatureCheck:
    """Checks ``X-Twilio-Signature``; refuses everything when no auth token is configured."""

    def __init__(self, auth_token: str | None, base_url: str) -> None:
        self._validator = RequestValidator(auth_token) if auth_token else None
        self._base_url = base_url

    def valid(self, request: Request) -> bool:
        """True only for a request Twilio signed for this URL and these parameters."""
        if self._validator is None:
            log.warning(
                "Twilio webhook refused: TWILIO_AUTH_TOKEN is not set, so its signature "
                "cannot be checked (try the line with `carers-line call`)",
                extra={"route": request.path},
            )
            return False
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            log.warning("Twilio webhook refused: no signature", extra={"route": request.path})
            return False
        url = public_url(self._base_url, request)
        if not self._validator.validate(url, request.form, signature):
            log.warning("Twilio webhook refused: bad signature", extra={"route": request.path})
            return False
        return True
