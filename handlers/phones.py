"""UK phone numbers as carers give them: typed, spoken ("oh seven seven double oh"), or +44.

Numbers are kept as digits starting 0. Spoken back digit by digit; where a number is only
confirmed, just its last three digits are said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.text import normalise

_UK_PHONE = re.compile(r"^0\d{9,10}$")
_REPEATS = {"double": 2, "treble": 3, "triple": 3}
SPOKEN_DIGITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}


def clean_phone(text: str) -> str | None:
    """A UK phone number as digits starting 0, from typed, spoken or international forms."""
    digits = digits_in(text.replace("+", " 00 "))
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits if _UK_PHONE.match(digits) else None


def digits_in(text: str) -> str:
    """The digits in typed or spoken words: "0770 090", "oh seven seven double oh" -> digits."""
    digits: list[str] = []
    repeat = 1
    for word in normalise(text).split():
        if word in _REPEATS:
            repeat = _REPEATS[word]
            continue
        word = SPOKEN_DIGITS.get(word, word)
        if word.isascii() and word.isdigit():
            digits.append(word[0] * repeat + word[1:])
        repeat = 1
    return "".join(digits)


def spoken_phone(number: str) -> str:
    """A number read digit by digit in the usual UK groups: "0 1 6 3 2, 9 6 0, 1 0 0"."""
    groups = (
        [number[:5], number[5:8], number[8:]] if len(number) == 11 else [number[:4], number[4:]]
    )
    return ", ".join(" ".join(group) for group in groups if group)


def phone_ending(number: str) -> str:
    """The last three digits, for "the number ending 1 0 0" (never the whole number)."""
    return " ".join(number[-3:])


# The toll-fraud guard (issue 8 item 6): the one rule for every number the service dials or texts.

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_UK_DIALABLE = re.compile(
    r"0[12][0-9]{8,9}"  # geographic
    r"|03[0-9]{9}"  # non-geographic, charged as geographic
    r"|07[1-57-9][0-9]{8}|07624[0-9]{6}"  # mobiles (not 070 personal numbers or 076 pagers)
    r"|080[08][0-9]{6,7}"  # freephone
)
_UK_MOBILE = re.compile(r"07[1-57-9][0-9]{8}|07624[0-9]{6}")


def can_take_texts(number: str) -> bool:
    """A UK mobile number as digits from 0 (07, not 070 personal numbers or 076 pagers)."""
    return bool(_UK_MOBILE.fullmatch(number))


def normalised_number(text: str) -> str | None:
    """Any phone number in E.164 form ("+447700900123"), for matching; None if it is not one.

    UK numbers may be given nationally ("07700 900123"); others need their +country code or 00.
    """
    uk = clean_phone(text)
    if uk is not None:
        return "+44" + uk[1:]
    stripped = text.strip()
    if not stripped.startswith(("+", "00")):
        return None
    digits = digits_in(stripped.replace("+", " "))
    digits = digits[2:] if stripped.startswith("00") else digits
    number = "+" + digits
    return number if _E164.fullmatch(number) and not digits.startswith("44") else None


def dialable(number: str, international_prefixes: Sequence[str] = ()) -> str | None:
    """The E.164 form of a number the service may ring, or None.

    In the UK: geographic (01, 02), 03, mobiles and freephone (0800, 0808); never premium or
    service-rate numbers (09, 084, 087, 118 ...), 070 personal numbers or 05 numbers. Abroad
    only under a country prefix the service profile allows (``allowed_international_prefixes``).
    """
    uk = clean_phone(number)
    if uk is not None:
        return "+44" + uk[1:] if _UK_DIALABLE.fullmatch(uk) else None
    return _allowed_abroad(number, international_prefixes)


def textable(number: str, international_prefixes: Sequence[str] = ()) -> str | None:
    """The E.164 form of a number the service may text (a UK mobile, or an allowed country)."""
    uk = clean_phone(number)
    if uk is not None:
        return "+44" + uk[1:] if can_take_texts(uk) else None
    return _allowed_abroad(number, international_prefixes)


def _allowed_abroad(number: str, international_prefixes: Sequence[str]) -> str | None:
    e164 = normalised_number(number)
    if e164 is None or e164.startswith("+44"):
        return None
    return e164 if any(e164.startswith(prefix) for prefix in international_prefixes) else None
