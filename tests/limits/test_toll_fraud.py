"""The toll-fraud guard (issue 8 item 6): one rule for every number the service dials or texts.

UK landlines, mobiles and freephone only; never premium or service rates (09, 087, 084, 118),
070 personal numbers or numbers abroad, unless the profile allows that country. The SMS sender,
the transfer ``<Dial>``, the console's "Call now" and the staff numbers all use it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from twilio.rest import Client  # type: ignore[import-untyped]

from console.auth import AccountError, check_details
from console.calls import CallPlacer
from handlers.dialog import Transfer
from handlers.phones import dialable, textable
from handlers.profile import ProfileError, load_profile, parse_profile
from ivr.render import Links, Position, VoiceRenderer
from ivr.send import SmsSender
from knowledge.base import load_knowledge
from knowledge.prompts import Prompts
from settings import DEFAULT_PROFILE_PATH
from tests.console.conftest import FakeTwilioClient
from tests.ivr.test_send import ACCOUNT, CREATED, FakeTwilio


@pytest.fixture(scope="module")
def app_prompts() -> Prompts:
    profile = load_profile(Path(DEFAULT_PROFILE_PATH))
    return load_knowledge(profile.placeholders()).prompts


PREMIUM_AND_SERVICE = ["0909 879 0000", "0871 234 5678", "0845 123 4567", "118 118", "118 500"]
ABROAD = ["+33 6 12 34 56 78", "0033 612345678", "+353 87 123 4567", "+1 284 123 4567"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("07700 900123", "+447700900123"),  # mobile
        ("+44 7700 900123", "+447700900123"),
        ("01632 960100", "+441632960100"),  # landline
        ("020 7946 0000", "+442079460000"),
        ("0300 123 4567", "+443001234567"),
        ("0800 123 4567", "+448001234567"),  # freephone
    ],
)
def test_uk_landlines_mobiles_and_freephone_may_be_dialled(given, expected):
    assert dialable(given) == expected


@pytest.mark.parametrize("given", [*PREMIUM_AND_SERVICE, "07024 123456", "0560 123 4567"])
def test_premium_service_rate_and_personal_numbers_are_never_dialled(given):
    assert dialable(given) is None
    assert dialable(given, ["+353", "+33"]) is None
    assert textable(given) is None


@pytest.mark.parametrize("given", ABROAD)
def test_numbers_abroad_are_refused_unless_the_profile_allows_the_country(given):
    assert dialable(given) is None and textable(given) is None
    prefix = "+" + given.lstrip("+0").split(" ")[0][:2]
    assert dialable(given, [prefix]) is not None


def test_only_mobiles_take_texts():
    assert textable("07700 900123") == "+447700900123"
    assert textable("01632 960100") is None
    assert textable("0800 123 4567") is None


@pytest.mark.parametrize("given", [*PREMIUM_AND_SERVICE, "01632 960100", *ABROAD])
def test_the_sms_sender_never_asks_twilio_to_text_a_number_the_guard_refuses(given):
    http = FakeTwilio()
    result = SmsSender(Client(ACCOUNT, "token", http_client=http), "+441632960100").send(
        given, {"text": "Your reference is C-7KM4PX."}
    )
    assert result.status == "failed" and http.requests == []


def test_the_sms_sender_texts_abroad_only_where_the_profile_allows():
    http = FakeTwilio(CREATED)
    sender = SmsSender(Client(ACCOUNT, "token", http_client=http), "+441632960100", ["+353"])
    assert sender.send("+353 87 123 4567", {"text": "Hello"}).status == "sent"
    assert http.requests[0]["data"]["To"] == "+353871234567"
    assert sender.send("+33 6 12 34 56 78", {"text": "Hello"}).status == "failed"


def test_the_transfer_dial_skips_a_premium_number(app_prompts):
    renderer = VoiceRenderer(Links("https://line.example.org"), app_prompts, "Polly.Amy", "en-GB")
    transfer = Transfer("Putting you through.", ("0909 879 0000", "07700 900101"))
    document = ET.fromstring(renderer.replies((transfer,), Position(3)))
    numbers = [number.text for number in document.iter("Number")]
    assert numbers == ["+447700900101"]
    only_premium = Transfer("Putting you through.", ("0871 234 5678",))
    document = ET.fromstring(renderer.replies((only_premium,), Position(3)))
    assert list(document.iter("Dial")) == []
    redirect = document.find("Redirect")
    assert redirect is not None and "/ivr/dial-result" in (redirect.text or "")  # no answer


def test_the_next_staff_number_is_checked_too(app_prompts):
    renderer = VoiceRenderer(Links("https://line.example.org"), app_prompts, "Polly.Amy", "en-GB")
    document = ET.fromstring(renderer.next_number(["+449098790000"], Position(4), 25))
    assert list(document.iter("Dial")) == []


def test_call_now_refuses_a_premium_carer_number():
    client = FakeTwilioClient()
    placer = CallPlacer(client, "01632 960100")
    with pytest.raises(ValueError, match="cannot be called"):
        placer.connect("07700 900201", "0909 879 0000", "C-7KM4PX")
    with pytest.raises(ValueError, match="cannot be called"):
        placer.connect("07700 900201", "+33 6 12 34 56 78", "C-7KM4PX")
    assert client.calls.made == []
    placer.connect("07700 900201", "01632 960555", "C-7KM4PX")
    [made] = client.calls.made
    assert made["to"] == "+447700900201" and "+441632960555" in made["twiml"]


@pytest.mark.parametrize("number", ["0909 879 0000", "0871 234 5678"])
def test_staff_numbers_must_pass_the_guard(number):
    with pytest.raises(AccountError, match="never premium rate"):
        check_details("fay", "Fay", "staff", number)
    raw = yaml.safe_load(Path(DEFAULT_PROFILE_PATH).read_text())
    raw["phones"]["staff_transfer"] = ["07700 900101", number]
    with pytest.raises(ProfileError, match=r"phones\.staff_transfer\.1"):
        parse_profile(raw)
    raw = yaml.safe_load(Path(DEFAULT_PROFILE_PATH).read_text())
    raw["staff_alerts"]["team"] = ["01632 960100"]  # a landline cannot take the alert texts
    with pytest.raises(ProfileError, match=r"staff_alerts\.team\.0"):
        parse_profile(raw)


def test_the_profile_names_the_countries_allowed():
    raw = yaml.safe_load(Path(DEFAULT_PROFILE_PATH).read_text())
    assert parse_profile(raw).allowed_international_prefixes == ()
    raw["allowed_international_prefixes"] = ["+353"]
    assert parse_profile(raw).allowed_international_prefixes == ("+353",)
    for bad in (["+44"], ["353"], "+353"):
        raw["allowed_international_prefixes"] = bad
        with pytest.raises(ProfileError, match="allowed_international_prefixes"):
            parse_profile(raw)
