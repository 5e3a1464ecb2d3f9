"""The one reader of the environment: parses every setting strictly into a frozen Settings.

A malformed value stops start-up with a message naming the variable. Nothing else in the
project reads ``os.environ``; the web app, the clock and the CLI all receive a Settings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent
DEFAULT_DATABASE_PATH = ROOT / "instance" / "carers_line.db"
DEFAULT_PROFILE_PATH = ROOT / "profiles" / "example.yaml"
DEFAULT_TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_SPOOL_DIR = ROOT / "instance" / "spool"
DEFAULT_TWILIO_VOICE = "Polly.Amy"
DEFAULT_SPEECH_CONFIDENCE = 0.5
DEFAULT_WEB_CONCURRENCY = 2 * (os.cpu_count() or 1)
"""Two gunicorn workers per core: measured against one per core in docs/performance.md."""
LONDON = ZoneInfo("Europe/London")
ENVIRONMENTS = ("development", "production")
# Development and tests only (L12): fixed, public keys so `make run` needs no set-up. Production
# refuses them and must set DATA_ENCRYPTION_KEYS and PHONE_HASH_KEY (docs/security.md).
DEVELOPMENT_DATA_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"carers-line DEVELOPMENT ONLY data key: not secret").digest()
).decode()
DEVELOPMENT_PHONE_HASH_KEY = "carers-line DEVELOPMENT ONLY phone hash key: not secret"
MIN_PHONE_HASH_KEY_CHARACTERS = 32


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Every setting the service uses, parsed and validated."""

    database_url: str = f"sqlite:///{DEFAULT_DATABASE_PATH}"
    service_profile: Path = DEFAULT_PROFILE_PATH
    public_base_url: str | None = None
    secret_key: str = field(default="dev-only-not-secret", repr=False)
    environment: str = "development"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_base_url: str = DEFAULT_TELEGRAM_API_BASE_URL
    fixed_now: datetime | None = None
    port: int = 5000
    web_concurrency: int = DEFAULT_WEB_CONCURRENCY
    log_level: str = "INFO"
    twilio_voice: str = DEFAULT_TWILIO_VOICE
    twilio_speech_confidence: float = DEFAULT_SPEECH_CONFIDENCE
    twilio_sms_from: str | None = None
    spool_dir: Path = DEFAULT_SPOOL_DIR
    trusted_proxy_count: int = 0
    """Proxies in front of the app whose X-Forwarded-For is believed (0: the socket's address)."""
    data_encryption_keys: tuple[str, ...] = field(default=(DEVELOPMENT_DATA_KEY,), repr=False)
    phone_hash_key: str = field(default=DEVELOPMENT_PHONE_HASH_KEY, repr=False)

    @property
    def production(self) -> bool:
        """True when running as a live service (strict secrets, no fixed clock)."""
        return self.environment == "production"

    @property
    def twilio_enabled(self) -> bool:
        """The phone and SMS routes exist only when Twilio credentials are set."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def telegram_enabled(self) -> bool:
        """The Telegram webhook exists only when the bot token and secret are set."""
        return bool(self.telegram_bot_token and self.telegram_webhook_secret)

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded default database."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse settings from an environment mapping (default: the process environment)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None or value.strip() == "":
                return None
            return value.strip()

        environment = get("CARERS_LINE_ENV") or "development"
        if environment not in ENVIRONMENTS:
            raise SettingsError(
                f"CARERS_LINE_ENV: expected one of {', '.join(ENVIRONMENTS)}, got {environment!r}"
            )
        production = environment == "production"
        secret_key = get("SECRET_KEY")
        webhook_secret = get("TELEGRAM_WEBHOOK_SECRET")
        telegram_token = get("TELEGRAM_BOT_TOKEN")
        twilio_sid = get("TWILIO_ACCOUNT_SID")
        twilio_token = get("TWILIO_AUTH_TOKEN")
        public_base_url = _parse_base_url("PUBLIC_BASE_URL", get("PUBLIC_BASE_URL"))
        fixed_now = _parse_now(get("CARERS_LINE_NOW"))
        data_keys = _parse_data_keys(get("DATA_ENCRYPTION_KEYS"))
        phone_hash_key = _parse_phone_hash_key(get("PHONE_HASH_KEY"))

        if production:
            _require_production(
                secret_key=secret_key,
                twilio=(twilio_sid, twilio_token),
                telegram=(telegram_token, webhook_secret),
                public_base_url=public_base_url,
                fixed_now=fixed_now,
            )
            _require_data_keys(data_keys, phone_hash_key)
        _require_pair("TWILIO_ACCOUNT_SID", twilio_sid, "TWILIO_AUTH_TOKEN", twilio_token)
        _require_pair(
            "TELEGRAM_BOT_TOKEN", telegram_token, "TELEGRAM_WEBHOOK_SECRET", webhook_secret
        )
        if webhook_secret is not None:
            _check_webhook_secret(webhook_secret)
        if twilio_sid is not None and not twilio_sid.startswith("AC"):
            raise SettingsError("TWILIO_ACCOUNT_SID: a Twilio account SID starts with 'AC'")
        if twilio_sid is not None and public_base_url is None:
            raise SettingsError(
                "PUBLIC_BASE_URL: required when Twilio is configured, to check request signatures"
            )
        if get("TWILIO_SMS_FROM") is not None and twilio_sid is None:
            raise SettingsError("TWILIO_SMS_FROM: needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")

        return cls(
            database_url=_parse_database_url(get("DATABASE_URL")),
            service_profile=_parse_profile_path(get("SERVICE_PROFILE")),
            public_base_url=public_base_url,
            secret_key=secret_key or cls.secret_key,
            environment=environment,
            twilio_account_sid=twilio_sid,
            twilio_auth_token=twilio_token,
            telegram_bot_token=telegram_token,
            telegram_webhook_secret=webhook_secret,
            telegram_api_base_url=_parse_base_url(
                "TELEGRAM_API_BASE_URL", get("TELEGRAM_API_BASE_URL")
            )
            or DEFAULT_TELEGRAM_API_BASE_URL,
            fixed_now=fixed_now,
            port=_parse_int("PORT", get("PORT"), default=5000, low=1, high=65535),
            web_concurrency=_parse_int(
                "WEB_CONCURRENCY",
                get("WEB_CONCURRENCY"),
                default=DEFAULT_WEB_CONCURRENCY,
                low=1,
                high=64,
            ),
            log_level=_parse_log_level(get("LOG_LEVEL")),
            trusted_proxy_count=_parse_int(
                "TRUSTED_PROXY_COUNT", get("TRUSTED_PROXY_COUNT"), default=0, low=0, high=5
            ),
            twilio_voice=_parse_voice(get("TWILIO_VOICE")),
            twilio_speech_confidence=_parse_confidence(get("TWILIO_SPEECH_CONFIDENCE")),
            twilio_sms_from=_parse_sms_from(get("TWILIO_SMS_FROM")),
            spool_dir=Path(get("CARERS_LINE_SPOOL_DIR") or DEFAULT_SPOOL_DIR).resolve(),
            data_encryption_keys=data_keys or (DEVELOPMENT_DATA_KEY,),
            phone_hash_key=phone_hash_key or DEVELOPMENT_PHONE_HASH_KEY,
        )


def _parse_database_url(value: str | None) -> str:
    if value is None:
        return f"sqlite:///{DEFAULT_DATABASE_PATH}"
    scheme, sep, rest = value.partition("://")
    if not sep or not rest:
        raise SettingsError("DATABASE_URL: expected a URL such as postgresql://user@host/db")
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        if not urlsplit(value).hostname and "host=" not in rest:
            raise SettingsError("DATABASE_URL: a PostgreSQL URL needs a host")
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return value
    raise SettingsError(
        f"DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:// or postgresql://"
    )


def _parse_profile_path(value: str | None) -> Path:
    if value is None:
        return DEFAULT_PROFILE_PATH
    path = Path(value)
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    if not path.is_file():
        raise SettingsError(f"SERVICE_PROFILE: no file at {path}")
    return path


def _parse_base_url(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name}: expected an http(s) URL with a host, got {value!r}")
    if parts.query or parts.fragment:
        raise SettingsError(f"{name}: must not have a query or fragment")
    return value.rstrip("/")


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise SettingsError(
            f"CARERS_LINE_NOW: expected ISO 8601 London time like 2026-12-25T10:00 ({error})"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed


def _parse_int(name: str, value: str | None, *, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name}: expected {low} to {high}, got {number}")
    return number


def _parse_log_level(value: str | None) -> str:
    level = (value or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"LOG_LEVEL: expected DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level


def _parse_voice(value: str | None) -> str:
    """A Twilio <Say> voice: "Polly.Amy", "Polly.Amy-Neural", "Google.en-GB-Standard-A"."""
    if value is None:
        return DEFAULT_TWILIO_VOICE
    if not re.fullmatch(r"[A-Za-z]+(\.[A-Za-z0-9-]+)?", value):
        raise SettingsError(
            f"TWILIO_VOICE: expected a Twilio voice name such as Polly.Amy, got {value!r}"
        )
    return value


def _parse_confidence(value: str | None) -> float:
    """The speech confidence (0 to 1) below which the phone line checks what it heard."""
    if value is None:
        return DEFAULT_SPEECH_CONFIDENCE
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(
            f"TWILIO_SPEECH_CONFIDENCE: expected a number from 0 to 1, got {value!r}"
        ) from None
    if not 0.0 <= number <= 1.0:
        raise SettingsError(f"TWILIO_SPEECH_CONFIDENCE: expected 0 to 1, got {number}")
    return number


def _parse_sms_from(value: str | None) -> str | None:
    """The sender of outgoing texts: a Twilio number (+44...) or a Messaging Service SID."""
    if value is None:
        return None
    compact = re.sub(r"[\s()-]", "", value)
    if re.fullmatch(r"\+[1-9]\d{7,14}", compact) or re.fullmatch(r"MG[0-9a-f]{32}", compact):
        return compact
    raise SettingsError(
        "TWILIO_SMS_FROM: expected a Twilio phone number in international form (+44...) "
        f"or a Messaging Service SID (MG...), got {value!r}"
    )


def _parse_data_keys(value: str | None) -> tuple[str, ...]:
    """Fernet keys for encryption at rest, comma-separated, newest first (L12)."""
    if value is None:
        return ()
    keys = tuple(key.strip() for key in value.split(","))
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            raw = b""
        if len(key) != 44 or len(raw) != 32:
            raise SettingsError(
                f"DATA_ENCRYPTION_KEYS: key {position} is not a Fernet key (44 characters of "
                "url-safe base64; make one with `carers-line data new-key`)"
            )
    if len(set(keys)) != len(keys):
        raise SettingsError("DATA_ENCRYPTION_KEYS: the same key is listed twice")
    return keys


def _parse_phone_hash_key(value: str | None) -> str | None:
    """The secret that keys the phone-number hashes used for look-ups (L12)."""
    if value is not None and len(value) < MIN_PHONE_HASH_KEY_CHARACTERS:
        raise SettingsError(
            f"PHONE_HASH_KEY: needs {MIN_PHONE_HASH_KEY_CHARACTERS}+ random characters"
        )
    return value


def _require_data_keys(data_keys: tuple[str, ...], phone_hash_key: str | None) -> None:
    if not data_keys or DEVELOPMENT_DATA_KEY in data_keys:
        raise SettingsError(
            "DATA_ENCRYPTION_KEYS: production needs its own encryption key (docs/security.md)"
        )
    if phone_hash_key is None or phone_hash_key == DEVELOPMENT_PHONE_HASH_KEY:
        raise SettingsError(
            "PHONE_HASH_KEY: production needs its own random secret (docs/security.md)"
        )


def _check_webhook_secret(secret: str) -> None:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    if not 1 <= len(secret) <= 256 or not set(secret) <= allowed:
        raise SettingsError(
            "TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)"
        )


def _require_pair(name_a: str, a: str | None, name_b: str, b: str | None) -> None:
    if (a is None) != (b is None):
        missing = name_b if b is None else name_a
        present = name_a if b is None else name_b
        raise SettingsError(f"{missing}: required when {present} is set")


def _require_production(
    *,
    secret_key: str | None,
    twilio: tuple[str | None, str | None],
    telegram: tuple[str | None, str | None],
    public_base_url: str | None,
    fixed_now: datetime | None,
) -> None:
    if secret_key is None or len(secret_key) < 32:
        raise SettingsError("SECRET_KEY: production needs a random secret of 32+ characters")
    if fixed_now is not None:
        raise SettingsError("CARERS_LINE_NOW: not allowed in production (it fixes the clock)")
    if twilio[0] and not twilio[1]:
        raise SettingsError("TWILIO_AUTH_TOKEN: production needs it to check request signatures")
    if telegram[0] and not telegram[1]:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET: production needs it to check the webhook")
    if public_base_url is None:
        raise SettingsError("PUBLIC_BASE_URL: production needs the public https address")
    if not public_base_url.startswith("https://"):
        raise SettingsError("PUBLIC_BASE_URL: production must use https")
