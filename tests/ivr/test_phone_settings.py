"""The phone line's settings: parsed strictly, named in every error."""

from __future__ import annotations

import pytest

from settings import DEFAULT_SPEECH_CONFIDENCE, Settings, SettingsError

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC0123",
    "TWILIO_AUTH_TOKEN": "token",
    "PUBLIC_BASE_URL": "https://line.example.org",
}


def test_defaults():
    settings = Settings.from_env({})
    assert settings.twilio_voice == "Polly.Amy"
    assert settings.twilio_speech_confidence == DEFAULT_SPEECH_CONFIDENCE
    assert settings.twilio_sms_from is None
    assert settings.spool_dir.name == "spool"


def test_values(tmp_path):
    settings = Settings.from_env(
        {
            **TWILIO,
            "TWILIO_VOICE": "Google.en-GB-Standard-A",
            "TWILIO_SPEECH_CONFIDENCE": "0.35",
            "TWILIO_SMS_FROM": "+44 1632 960100",
            "CARERS_LINE_SPOOL_DIR": str(tmp_path / "s"),
        }
    )
    assert settings.twilio_voice == "Google.en-GB-Standard-A"
    assert settings.twilio_speech_confidence == 0.35
    assert settings.twilio_sms_from == "+441632960100"
    assert settings.spool_dir == tmp_path / "s"
    service = Settings.from_env({**TWILIO, "TWILIO_SMS_FROM": "MG" + "a" * 32})
    assert service.twilio_sms_from == "MG" + "a" * 32


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TWILIO_VOICE": "Polly Amy; drop"}, "TWILIO_VOICE"),
        ({"TWILIO_SPEECH_CONFIDENCE": "high"}, "TWILIO_SPEECH_CONFIDENCE"),
        ({"TWILIO_SPEECH_CONFIDENCE": "1.5"}, "TWILIO_SPEECH_CONFIDENCE"),
        ({**TWILIO, "TWILIO_SMS_FROM": "07700 900123"}, "TWILIO_SMS_FROM"),
        ({"TWILIO_SMS_FROM": "+441632960100"}, "TWILIO_SMS_FROM"),
    ],
)
def test_bad_values_name_their_variable(env, variable):
    with pytest.raises(SettingsError, match=rf"^{variable}:"):
        Settings.from_env(env)
