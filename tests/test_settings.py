"""Settings: strict parsing from the environment, with messages naming the variable."""

from datetime import timedelta

import pytest

from settings import (
    DEFAULT_TELEGRAM_API_BASE_URL,
    DEVELOPMENT_DATA_KEY,
    DEVELOPMENT_PHONE_HASH_KEY,
    Settings,
    SettingsError,
)

GOOD_SECRET = "s" * 40
GOOD_DATA_KEY = "k" * 43 + "="
GOOD_HASH_KEY = "h" * 40


def test_defaults_run_embedded_sqlite_with_channels_off():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "instance/carers_line.db"
    )
    assert settings.service_profile.name == "example.yaml"
    assert not settings.twilio_enabled and not settings.telegram_enabled
    assert settings.telegram_api_base_url == DEFAULT_TELEGRAM_API_BASE_URL
    assert not settings.production and settings.port == 5000


@pytest.mark.parametrize(
    "url",
    ["postgres://u:p@db.example:5432/carers", "postgresql://u:p@db.example:5432/carers"],
)
def test_postgres_urls_use_psycopg3(url):
    settings = Settings.from_env({"DATABASE_URL": url})
    assert settings.database_url == "postgresql+psycopg://u:p@db.example:5432/carers"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/x"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "postgresql:///nohost"),
        ("SERVICE_PROFILE", "/no/such/profile.yaml"),
        ("PUBLIC_BASE_URL", "ftp://example.org"),
        ("PUBLIC_BASE_URL", "carers.example.org"),
        ("TELEGRAM_API_BASE_URL", "localhost:8081"),
        ("CARERS_LINE_NOW", "Christmas morning"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("WEB_CONCURRENCY", "0"),
        ("LOG_LEVEL", "LOUD"),
        ("CARERS_LINE_ENV", "staging"),
    ],
)
def test_malformed_values_stop_start_up_naming_the_variable(variable, value):
    with pytest.raises(SettingsError, match=f"^{variable}:"):
        Settings.from_env({variable: value})


def test_channel_credentials_come_in_pairs():
    with pytest.raises(SettingsError, match=r"^TWILIO_AUTH_TOKEN:"):
        Settings.from_env({"TWILIO_ACCOUNT_SID": "AC123", "PUBLIC_BASE_URL": "https://x.org"})
    with pytest.raises(SettingsError, match=r"^TELEGRAM_WEBHOOK_SECRET:"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc"})
    with pytest.raises(SettingsError, match=r"^TELEGRAM_WEBHOOK_SECRET:"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "bad secret!"})
    with pytest.raises(SettingsError, match=r"^PUBLIC_BASE_URL:"):
        Settings.from_env({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"})


def test_channels_enable_when_configured():
    settings = Settings.from_env(
        {
            "TWILIO_ACCOUNT_SID": "AC0123",
            "TWILIO_AUTH_TOKEN": "token",
            "PUBLIC_BASE_URL": "https://carers.example.org/",
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_WEBHOOK_SECRET": "abc-DEF_123",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
        }
    )
    assert settings.twilio_enabled and settings.telegram_enabled
    assert settings.public_base_url == "https://carers.example.org"
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert "token" not in repr(settings)


def production(**extra):
    env = {
        "CARERS_LINE_ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "PUBLIC_BASE_URL": "https://carers.example.org",
        "DATA_ENCRYPTION_KEYS": GOOD_DATA_KEY,
        "PHONE_HASH_KEY": GOOD_HASH_KEY,
    }
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        (production(SECRET_KEY=""), "SECRET_KEY"),
        (production(SECRET_KEY="short"), "SECRET_KEY"),
        (production(PUBLIC_BASE_URL=""), "PUBLIC_BASE_URL"),
        (production(PUBLIC_BASE_URL="http://carers.example.org"), "PUBLIC_BASE_URL"),
        (production(TELEGRAM_BOT_TOKEN="1:a"), "TELEGRAM_WEBHOOK_SECRET"),
        (production(TWILIO_ACCOUNT_SID="AC1"), "TWILIO_AUTH_TOKEN"),
        (production(CARERS_LINE_NOW="2026-12-25T10:00"), "CARERS_LINE_NOW"),
        # L12: encryption at rest needs real keys, never the development ones
        (production(DATA_ENCRYPTION_KEYS=""), "DATA_ENCRYPTION_KEYS"),
        (production(DATA_ENCRYPTION_KEYS=DEVELOPMENT_DATA_KEY), "DATA_ENCRYPTION_KEYS"),
        (production(DATA_ENCRYPTION_KEYS="not-a-key"), "DATA_ENCRYPTION_KEYS"),
        (production(PHONE_HASH_KEY=""), "PHONE_HASH_KEY"),
        (production(PHONE_HASH_KEY="short"), "PHONE_HASH_KEY"),
        (production(PHONE_HASH_KEY=DEVELOPMENT_PHONE_HASH_KEY), "PHONE_HASH_KEY"),
    ],
)
def test_production_refuses_to_start_without_secrets(env, variable):
    with pytest.raises(SettingsError, match=f"^{variable}:"):
        Settings.from_env(env)


def test_production_with_everything_set_starts():
    assert Settings.from_env(production()).production


def test_data_keys_are_listed_newest_first_and_development_has_its_own():
    newer = "n" * 43 + "="
    settings = Settings.from_env({"DATA_ENCRYPTION_KEYS": f"{newer}, {GOOD_DATA_KEY}"})
    assert settings.data_encryption_keys == (newer, GOOD_DATA_KEY)
    development = Settings.from_env({})
    assert development.data_encryption_keys == (DEVELOPMENT_DATA_KEY,)
    assert development.phone_hash_key == DEVELOPMENT_PHONE_HASH_KEY
    assert GOOD_DATA_KEY not in repr(settings)


def test_fixed_now_is_london_time():
    settings = Settings.from_env({"CARERS_LINE_NOW": "2026-07-01T10:00"})
    assert settings.fixed_now is not None
    assert settings.fixed_now.utcoffset() == timedelta(hours=1)
