"""Fault tests reuse the phone line's fixtures: the app with Twilio on, a signing Twilio, rows."""

from __future__ import annotations

from tests.ivr.conftest import app, call, phone_settings, rows, texter, twilio

__all__ = ["app", "call", "phone_settings", "rows", "texter", "twilio"]
