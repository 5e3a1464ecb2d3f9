"""Is a webhook request really from Telegram? It must carry the secret we gave ``setWebhook``."""

from __future__ import annotations

import hmac

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare the header with our secret in constant time, as bytes; a missing header fails."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
