"""Text normalisation shared by crisis detection and search.

Typed and spoken questions arrive messy: capitals, apostrophes, punctuation, fillers from
speech-to-text ("erm", "basically"), regional words ("me mam", "owt"), misspellings and American
spellings ("wat", "behavior"), numbers said in words ("thirty five"). Everything is folded to one
plain form before it is matched, the same way for a question and for an article's phrases.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NON_WORD = re.compile(r"[^a-z0-9£]+")
_POUND = re.compile(r"£")


@dataclass(frozen=True)
class Language:
    """Word lists from ``language.yaml``: what to ignore and what to map."""

    stopwords: frozenset[str]
    fillers: frozenset[str]
    filler_phrases: tuple[str, ...]
    regional_words: dict[str, str]
    regional_phrases: dict[str, str]
    spellings: dict[str, str]
    compounds: tuple[tuple[str, str], ...] = ()
    _words: dict[str, str] = field(init=False, repr=False, compare=False)
    _phrases: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """One table for ``word``, and the phrase lists as padded replacements, built once."""
        words: dict[str, str] = {}
        # Lowest precedence first: a word before a possessive s, then the word itself; a
        # regional word over a spelling.
        for table in (self.spellings, self.regional_words):
            words.update({f"{word}s": mapped for word, mapped in table.items()})
        for table in (self.spellings, self.regional_words):
            words.update(table)
        phrases = [
            (f" {phrase} ", f" {mapped} ") for phrase, mapped in self.regional_phrases.items()
        ]
        phrases += [(f" {phrase} ", " ") for phrase in self.filler_phrases]
        object.__setattr__(self, "_words", words)
        object.__setattr__(self, "_phrases", tuple(phrases))

    def word(self, word: str) -> str:
        """The articles' word for a regional word or a misspelling, also before a possessive s."""
        return self._words.get(word, word)

    def fold_phrases(self, padded: str) -> str:
        """Space-padded text with regional phrases mapped, then filler phrases dropped."""
        for phrase, replacement in self._phrases:
            if phrase in padded:
                padded = padded.replace(phrase, replacement)
        return padded


LANGUAGE_FILE = Path(__file__).resolve().parent / "language.yaml"


def load_language(path: Path = LANGUAGE_FILE) -> Language:
    """Read the word lists (plain YAML, loaded once at import)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Language(
        stopwords=frozenset(str(raw["stopwords"]).split()),
        fillers=frozenset(str(raw["fillers"]).split()),
        filler_phrases=tuple(str(item) for item in raw["filler_phrases"]),
        regional_words={str(k): str(v) for k, v in raw["regional_words"].items()},
        regional_phrases={str(k): str(v) for k, v in raw["regional_phrases"].items()},
        spellings={str(k): str(v) for k, v in raw["spellings"].items()},
        compounds=tuple(
            (str(phrase), str(term))
            for term, phrases in (raw.get("compounds") or {}).items()
            for phrase in phrases
        ),
    )


LANGUAGE = load_language()
SMALL_NUMBERS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
"""Number words from zero to nineteen, each at its own index."""
_NUMBERS = {word: number for number, word in enumerate(SMALL_NUMBERS) if number >= 2}
_UNITS = {word: number for word, number in _NUMBERS.items() if number < 10}
_TENS = {
    word: 10 * number
    for number, word in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}


_NUMBER_WORDS = frozenset(_NUMBERS) | frozenset(_TENS)


def normalise(text: str) -> str:
    """Lower case, accents and apostrophes dropped, other punctuation to spaces, spaces folded."""
    folded = text.lower()
    if not folded.isascii():
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = _APOSTROPHES.sub("", folded)
    folded = _POUND.sub(" £ ", folded)
    return " ".join(_NON_WORD.sub(" ", folded).split())


def canonical(text: str) -> str:
    """Normalised text with fillers removed and regional words, misspellings and numbers mapped."""
    return canonical_normalised(normalise(text))


def canonical_normalised(normalised: str) -> str:
    """``canonical`` of text that ``normalise`` has already folded."""
    padded = LANGUAGE.fold_phrases(f" {normalised} ")
    fillers, word = LANGUAGE.fillers, LANGUAGE.word
    words = [word(each) for each in padded.split() if each not in fillers]
    return " ".join(_digits(" ".join(words).split()))


def _digits(words: list[str]) -> list[str]:
    """Number words as digits: "thirty five" -> "35", "twelve" -> "12" ("one" stays a word)."""
    if _NUMBER_WORDS.isdisjoint(words):
        return words
    result = []
    position = 0
    while position < len(words):
        word = words[position]
        following = words[position + 1] if position + 1 < len(words) else ""
        if word in _TENS and (following in _UNITS or following == "one"):
            result.append(str(_TENS[word] + _UNITS.get(following, 1)))
            position += 2
            continue
        number = _NUMBERS.get(word, _TENS.get(word))
        result.append(word if number is None else str(number))
        position += 1
    return result


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace ``{{name}}`` tokens; unknown names are left for the checker to report."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
