"""Words to index terms: stopwords dropped, every word stemmed alike in questions and articles.

A few set phrases whose words are common on their own ("carers assessment") also add one term
of their own (``compounds`` in ``language.yaml``), so the phrase outweighs its separate words.

The stemmer is the first step of Porter's (1980) algorithm: it folds plurals, "-ed" and "-ing"
forms and a final "y" together ("families" and "family" -> "famili", "caring" and "cared" ->
"care"), and leaves the rest of a word alone, so a stem stays close to the word a carer typed.
"""

from __future__ import annotations

from functools import lru_cache

from knowledge.text import LANGUAGE

STOPWORDS = LANGUAGE.stopwords
COMPOUNDS = LANGUAGE.compounds
_VOWELS = frozenset("aeiou")


def content_terms(text: str) -> list[str]:
    """Stemmed, stopword-free terms of already canonical text, then one term per set phrase."""
    terms = [stem(word) for word in text.split() if word not in STOPWORDS and len(word) > 1]
    padded = f" {text} "
    for phrase, term in COMPOUNDS:
        terms.extend([term] * padded.count(f" {phrase} "))
    return terms


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Porter's step 1 (plurals, -ed/-ing, final y) on a lower-case word (remembered: bounded)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    word = _plural(word)
    word = _ed_ing(word)
    if word.endswith("y") and _has_vowel(word[:-1]):
        word = word[:-1] + "i"
    return word


def _plural(word: str) -> str:
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _ed_ing(word: str) -> str:
    if word.endswith("eed"):
        return word[:-1] if _measure(word[:-3]) > 0 else word
    for suffix in ("ed", "ing"):
        if word.endswith(suffix) and _has_vowel(word[: -len(suffix)]):
            return _tidy(word[: -len(suffix)])
    return word


def _tidy(stem_: str) -> str:
    """Restore the "e" or undouble the consonant an -ed/-ing ending took away."""
    if stem_.endswith(("at", "bl", "iz")):
        return stem_ + "e"
    if len(stem_) > 1 and stem_[-1] == stem_[-2] and _is_consonant(stem_, len(stem_) - 1):
        return stem_ if stem_[-1] in "lsz" else stem_[:-1]
    if _measure(stem_) == 1 and _ends_cvc(stem_):
        return stem_ + "e"
    return stem_


def _is_consonant(word: str, index: int) -> bool:
    letter = word[index]
    if letter in _VOWELS:
        return False
    if letter == "y":
        return index == 0 or not _is_consonant(word, index - 1)
    return True


def _has_vowel(word: str) -> bool:
    return any(not _is_consonant(word, index) for index in range(len(word)))


def _measure(word: str) -> int:
    """Porter's m: how many vowel-consonant sequences the word has."""
    pattern = "".join("c" if _is_consonant(word, i) else "v" for i in range(len(word)))
    collapsed = "".join(ch for i, ch in enumerate(pattern) if i == 0 or ch != pattern[i - 1])
    return collapsed.count("vc")


def _ends_cvc(word: str) -> bool:
    if len(word) < 3:
        return False
    last = len(word) - 1
    return (
        _is_consonant(word, last - 2)
        and not _is_consonant(word, last - 1)
        and _is_consonant(word, last)
        and word[-1] not in "wxy"
    )
