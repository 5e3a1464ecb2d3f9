"""Spelling correction towards the knowledge base's own words.

A word of five or more letters that is neither English (the CMU dictionary's word list) nor one
the articles use is corrected to the nearest word the articles use with the same first letter
and a length within two letters (rapidfuzz ratio: 85 for words of five or six letters, 80 for
longer ones). Shorter words are left alone: too many real words are one letter apart; the
``spellings`` list in ``language.yaml`` maps the common short ones. Questions and article
phrases are corrected alike, so a misspelling written into a phrase matches the right word.

Speech-to-text often spells a short name out letter by letter ("p i p", "g p", "e h c p"): a
run of single letters is joined when it spells a word the articles use (``join_letters``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from knowledge.english import english_words
from knowledge.terms import STOPWORDS

MIN_CORRECTABLE_LENGTH = 5
MAX_REMEMBERED_CORRECTIONS = 50_000
_LETTER_RUN = re.compile(r"(?:^| )[a-z] [a-z](?: |$)")


class Speller:
    """Corrects words towards a vocabulary; remembers what it corrected (bounded)."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.vocabulary = frozenset(vocabulary)
        self._english = english_words()
        # Typos rarely change a word's first letter: compare only with words that share it and
        # are within two letters of its length.
        self._similar: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in sorted(self.vocabulary):
            for length in range(len(word) - 2, len(word) + 3):
                self._similar[(word[0], length)].append(word)
        self._corrections: dict[str, str] = {}

    def correct(self, text: str) -> str:
        """``text`` (canonical words) with each unknown long word corrected."""
        return " ".join(self.correct_word(word) for word in text.split())

    def join_letters(self, text: str) -> str:
        """Normalised ``text`` with each run of single letters that spells one of our words joined.

        Runs before ``canonical``, which would read "r" as "are" and "u" as "you".
        """
        if _LETTER_RUN.search(text) is None:
            return text
        words = text.split()
        joined: list[str] = []
        start = 0
        while start < len(words):
            end = start
            while end < len(words) and len(words[end]) == 1 and words[end].isalpha():
                end += 1
            word = "".join(words[start:end])
            if end - start >= 2 and word in self.vocabulary and word not in STOPWORDS:
                joined.append(word)
                start = end
            else:
                joined.append(words[start])
                start += 1
        return " ".join(joined)

    def correct_word(self, word: str) -> str:
        """The vocabulary's spelling of a word that is neither known nor English."""
        if (
            word in self.vocabulary
            or word in self._english
            or len(word) < MIN_CORRECTABLE_LENGTH
            or not word.isalpha()
            or word in STOPWORDS
        ):
            return word
        corrected = self._corrections.get(word)
        if corrected is None:
            match = process.extractOne(
                word,
                self._similar.get((word[0], len(word)), ()),
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=85 if len(word) <= 6 else 80,
            )
            corrected = match[0] if match else word
            if len(self._corrections) < MAX_REMEMBERED_CORRECTIONS:
                self._corrections[word] = corrected
        return corrected
