"""Text normalisation shared by crisis detection and search.

Typed and spoken questions arrive messy: capitals, apostrophes, punctuation, fillers from
speech-to-text ("erm", "basically"), regional words ("me mam", "owt"). Everything is folded to
one plain form before it is matched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
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
    )


LANGUAGE = load_language()


def normalise(text: str) -> str:
    """Lower case, accents and apostrophes dropped, other punctuation to spaces, spaces folded."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    folded = _APOSTROPHES.sub("", folded)
    folded = _POUND.sub(" £ ", folded)
    return " ".join(_NON_WORD.sub(" ", folded).split())


def canonical(text: str) -> str:
    """Normalised text with fillers removed and regional words mapped to the articles' words."""
    padded = f" {normalise(text)} "
    for phrase, replacement in LANGUAGE.regional_phrases.items():
        padded = padded.replace(f" {phrase} ", f" {replacement} ")
    for phrase in LANGUAGE.filler_phrases:
        padded = padded.replace(f" {phrase} ", " ")
    words = [
        LANGUAGE.regional_words.get(word, word)
        for word in padded.split()
        if word not in LANGUAGE.fillers
    ]
    return " ".join(" ".join(words).split())


def contains_phrase(haystack: str, phrase: str) -> bool:
    """True when normalised ``phrase`` occurs in normalised ``haystack`` as whole words."""
    return f" {phrase} " in f" {haystack} "


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace ``{{name}}`` tokens; unknown names are left for the checker to report."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
