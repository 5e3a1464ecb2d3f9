"""UK phone numbers as carers give them: typed, spoken ("oh seven seven double oh"), or +44.

Numbers are kept as digits starting 0. Spoken back digit by digit; where a number is only
confirmed, just its last three digits are said.
"""

from __future__ import annotations

import re

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
