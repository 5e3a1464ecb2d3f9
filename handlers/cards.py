"""Emergency card numbers: a 7-digit serial followed by a Luhn check digit, 8 digits in all.

The check digit catches a single mistyped digit and most swapped neighbours, so a caller who
keys a number wrongly can be asked to try again before we look it up. The store and the staff
console issue numbers with ``with_check_digit``; the dialog checks them with
``is_valid_card_number``.
"""

from __future__ import annotations

import re

SERIAL_LENGTH = 7
CARD_NUMBER_LENGTH = SERIAL_LENGTH + 1
_SERIAL = re.compile(rf"[0-9]{{{SERIAL_LENGTH}}}")
_CARD_NUMBER = re.compile(rf"[0-9]{{{CARD_NUMBER_LENGTH}}}")


def luhn_check_digit(payload: str) -> str:
    """The Luhn check digit for a string of ASCII digits."""
    if not re.fullmatch(r"[0-9]+", payload):
        raise ValueError(f"expected digits only, got {payload!r}")
    total = 0
    for position, character in enumerate(reversed(payload)):
        digit = int(character)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def with_check_digit(serial: str) -> str:
    """The card number for a 7-digit serial: the serial with its check digit appended."""
    if not _SERIAL.fullmatch(serial):
        raise ValueError(f"a card serial is {SERIAL_LENGTH} digits, got {serial!r}")
    return serial + luhn_check_digit(serial)


def is_valid_card_number(number: str) -> bool:
    """True for 8 ASCII digits whose last digit is the Luhn check digit of the first seven."""
    return bool(_CARD_NUMBER.fullmatch(number)) and number[-1] == luhn_check_digit(number[:-1])
