"""Structured JSON logs that never carry personal data.

Code logs ids and event names, never phone numbers, names or message text. As a safety net the
formatter also masks anything that looks like a phone number or an e-mail address.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_PHONE = re.compile(r"(?<![\w])(?:\+?\d[\d\s().-]{7,}\d)(?![\w])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """Mask phone numbers (10 or more digits) and e-mail addresses in a log line."""
    return _PHONE.sub(_mask_phone, _EMAIL.sub("[email]", text))


def _mask_phone(match: re.Match[str]) -> str:
    digits = sum(character.isdigit() for character in match.group())
    return "[phone]" if digits >= 10 else match.group()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, event and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a record as redacted JSON."""
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send JSON logs to stderr at the given level (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if getattr(handler, "_carers_line", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._carers_line = True  # type: ignore[attr-defined]
    root.addHandler(handler)
