"""The core's vocabulary: typed events in from any channel, typed replies out to any channel.

Adapters only translate. Twilio ``Digits`` becomes ``Keyed``, ``SpeechResult`` becomes ``Said``,
an empty ``<Gather>`` becomes ``NoInput``; a Telegram button becomes ``Chose``, typed text
becomes ``Said``, a shared contact becomes ``SharedContact``. Replies carry finished words for
the conversation's medium ("voice" or "chat"); adapters decide only how to present them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Medium = Literal["voice", "chat"]
Expect = Literal["text", "digits", "phone"]
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` without control characters (tabs and line breaks kept) or Unicode non-characters.

    Adapters clean what a channel sends with it before anything is stored or echoed: PostgreSQL
    text cannot hold NUL, TwiML (XML) cannot hold most control characters, and nobody means them.
    """
    return _UNPRINTABLE.sub("", text)


@dataclass(frozen=True)
class ConversationKey:
    """Which conversation an event belongs to: the channel and its own id (CallSid, chat id)."""

    channel: str
    external_id: str


@dataclass(frozen=True)
class Started:
    """A call was answered or a chat began; ``caller`` is the caller ID when the channel has one.

    ``entry`` names a main-menu option to open at once (a chat deep link such as "card").
    """

    medium: Medium
    caller: str | None = None
    entry: str | None = None


@dataclass(frozen=True)
class Keyed:
    """Keypad digits (including ``*``)."""

    digits: str


@dataclass(frozen=True)
class Said:
    """Words spoken (speech-to-text) or typed."""

    text: str


@dataclass(frozen=True)
class Chose:
    """A chat button pressed: the option id the core offered."""

    option: str


@dataclass(frozen=True)
class NoInput:
    """Silence: the caller said and pressed nothing before the time-out."""


@dataclass(frozen=True)
class Recorded:
    """A voice message was recorded."""

    recording_id: str
    url: str | None
    seconds: int


@dataclass(frozen=True)
class SharedContact:
    """A chat user shared their phone number with the chat's contact button."""

    phone: str


@dataclass(frozen=True)
class TransferEnded:
    """A transfer to staff finished; ``answered`` is False for no answer, busy or failed."""

    answered: bool


@dataclass(frozen=True)
class HungUp:
    """The caller hung up or the chat was closed."""


Event = Started | Keyed | Said | Chose | NoInput | Recorded | SharedContact | TransferEnded | HungUp


@dataclass(frozen=True)
class Option:
    """One choice in a menu: its id (chat button data), keypad digit and shown label."""

    id: str
    label: str
    digit: str | None = None


@dataclass(frozen=True)
class Say:
    """Words to say or send."""

    text: str


@dataclass(frozen=True)
class Menu:
    """A question with choices. For voice, ``text`` already says which key to press."""

    text: str
    options: tuple[Option, ...]
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ask:
    """A question with a free answer: words, digits (``max_digits``) or a phone number."""

    text: str
    expect: Expect = "text"
    max_digits: int | None = None
    skippable: bool = False


@dataclass(frozen=True)
class Record:
    """Record a voice message of up to ``max_seconds`` after the prompt."""

    text: str
    max_seconds: int


@dataclass(frozen=True)
class ShowArticle:
    """A full knowledge-base article, for chat."""

    article_id: str
    title: str
    body: str
    sources: tuple[tuple[str, str], ...] = field(default=())
    footer: str = ""


@dataclass(frozen=True)
class Transfer:
    """Put the caller through to staff, trying ``numbers`` in order."""

    text: str
    numbers: tuple[str, ...]
    timeout_seconds: int = 25


@dataclass(frozen=True)
class End:
    """The last words of the conversation; voice hangs up after them."""

    text: str


Reply = Say | Menu | Ask | Record | ShowArticle | Transfer | End


_REPLY_TYPES: dict[str, type[Reply]] = {
    kind.__name__: kind for kind in (Say, Menu, Ask, Record, ShowArticle, Transfer, End)
}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {
    kind: tuple(item.name for item in fields(kind)) for kind in (*_REPLY_TYPES.values(), Option)
}


def encode_replies(replies: tuple[Reply, ...]) -> str:
    """Replies as JSON, so a retried webhook can be answered exactly as the first time."""
    return json.dumps(
        [{"type": type(reply).__name__, **_fields_of(reply)} for reply in replies],
        default=_fields_of,
    )


def _fields_of(value: object) -> dict[str, Any]:
    """A reply's (or a menu option's) fields, one level deep: ``json`` walks the rest.

    ``dataclasses.asdict`` deep-copies every value and cost more than the rest of the encoding.
    """
    names = _FIELD_NAMES.get(type(value))
    if names is None:
        raise TypeError(f"cannot encode {type(value).__name__}")
    return {name: getattr(value, name) for name in names}


def decode_replies(encoded: str) -> tuple[Reply, ...]:
    """The replies ``encode_replies`` wrote."""
    return tuple(_decode_reply(dict(item)) for item in json.loads(encoded))


def _decode_reply(item: dict[str, Any]) -> Reply:
    kind = _REPLY_TYPES[item.pop("type")]
    if kind is Menu:
        item["options"] = tuple(Option(**option) for option in item["options"])
        item["hints"] = tuple(item["hints"])
    elif kind is ShowArticle:
        item["sources"] = tuple(tuple(source) for source in item["sources"])
    elif kind is Transfer:
        item["numbers"] = tuple(item["numbers"])
    return kind(**item)
