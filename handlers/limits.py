"""Abuse limits: how much one caller or chat may set off, and what happens past that (issue 8).

Pure decisions. The counts come from the store (``Lookups.usage``: rows in the database, so every
gunicorn worker sees the same numbers) and the time from the injected clock. Who is counted is a
``Subject``: a phone number in E.164 form, a Telegram chat id, or (for signing in to the console)
a client address.

The rules, kind to a carer in difficulty and hard on someone running up bills:

* a callback request over the limit is not queued; the request already on file is confirmed;
* a text message over the limit is not queued, and never retried;
* crisis signposting and leaving a message are never limited (the answerphone and the crisis
  flow's urgent call back count towards the limit but are never refused);
* a blocked number or chat queues nothing, but always hears the emergency numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from handlers.phones import normalised_number

Action = Literal["callback", "sms", "sign_in"]
SubjectKind = Literal["phone", "chat", "address"]
BlockKind = Literal["phone", "chat"]
Refusal = Literal["blocked", "over_limit"]

WINDOW = timedelta(hours=24)
DEFAULT_CALLBACKS_PER_DAY = 3
DEFAULT_TEXTS_PER_DAY = 5
SIGN_IN_WINDOW = timedelta(minutes=15)
SIGN_IN_FAILURES_PER_ADDRESS = 10
"""Failed console sign-ins from one client address in ``SIGN_IN_WINDOW`` before it must wait."""
MAX_BLOCK_DAYS = 366
_CHAT_ID = re.compile(r"-?[0-9]{1,20}")


@dataclass(frozen=True, order=True)
class Subject:
    """Who is counted or blocked: ``phone`` (E.164), ``chat`` (Telegram chat id) or ``address``."""

    kind: SubjectKind
    value: str

    @property
    def key(self) -> str:
        """The stored form, e.g. ``phone:+447700900123``."""
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class AbuseLimits:
    """The service profile's limits, per caller number, number given and chat, over 24 hours."""

    callbacks_per_day: int = DEFAULT_CALLBACKS_PER_DAY
    texts_per_day: int = DEFAULT_TEXTS_PER_DAY

    def most(self, action: Action) -> int:
        """How many of ``action`` one subject may set off in the window."""
        if action == "callback":
            return self.callbacks_per_day
        if action == "sms":
            return self.texts_per_day
        return SIGN_IN_FAILURES_PER_ADDRESS


@dataclass(frozen=True)
class Verdict:
    """May it go ahead? ``count`` is the highest count among the subjects, before this one."""

    allowed: bool
    count: int
    limit: int
    refusal: Refusal | None = None


def window_start(now: datetime, action: Action) -> datetime:
    """The start of the rolling window counted for ``action``."""
    return now - (SIGN_IN_WINDOW if action == "sign_in" else WINDOW)


def decide(
    action: Action,
    limits: AbuseLimits,
    usage: Mapping[Subject, int],
    *,
    blocked: bool = False,
    already: int = 0,
) -> Verdict:
    """Allow, or refuse because a subject is blocked or has reached the limit.

    ``already`` counts what this same step has set off before (several texts in one step).
    """
    limit = limits.most(action)
    count = max(usage.values(), default=0) + already
    if blocked:
        return Verdict(False, count, limit, "blocked")
    if count >= limit:
        return Verdict(False, count, limit, "over_limit")
    return Verdict(True, count, limit)


def subjects_of(
    caller: str | None, chat: str | None, phones: Iterable[str | None] = ()
) -> tuple[Subject, ...]:
    """The subjects behind one contact: the caller ID, the chat, and any number they gave."""
    found: list[Subject] = []
    for phone in (caller, *phones):
        number = normalised_number(phone or "")
        if number is not None:
            found.append(Subject("phone", number))
    if chat:
        found.append(Subject("chat", chat))
    return tuple(sorted(set(found)))


def block_subject(kind: str, value: str) -> Subject | None:
    """What staff typed into the block list, normalised; None when it is not a number or chat id.

    Numbers are kept in E.164 form ("07700 900123" and "+44 7700 900123" are the same entry).
    """
    if kind == "phone":
        number = normalised_number(value)
        return Subject("phone", number) if number else None
    if kind == "chat" and _CHAT_ID.fullmatch(value.strip()):
        return Subject("chat", value.strip())
    return None


def block_expiry(now: datetime, days: int) -> datetime | None:
    """When a block for ``days`` days ends; None when ``days`` is out of range."""
    if not 1 <= days <= MAX_BLOCK_DAYS:
        return None
    return now + timedelta(days=days)
