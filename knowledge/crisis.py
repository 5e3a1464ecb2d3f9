"""Crisis detection by explicit phrase rules: it runs before any search, and is never fuzzy.

The phrases are reviewed content in ``crisis.yaml``. A carer's words are normalised, everyday
phrases that only look alarming (``not_crisis``) are removed, then any crisis phrase found as a
whole-word sequence flags the contact as urgent. Two wildcards let one phrase cover many
wordings: ``*`` stands for exactly one word and ``...`` for up to four words, so
``blood ... head`` matches "blood coming from his head".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, read_yaml
from knowledge.text import canonical, fill_placeholders, normalise

CATEGORIES = (
    "suicide",
    "self-harm",
    "overdose",
    "medical-emergency",
    "violence",
    "abuse-neglect",
    "harm-to-cared-for",
    "mental-health-crisis",
)


@dataclass(frozen=True)
class CrisisMatch:
    """Why a contact was flagged: the category and the phrase that matched."""

    category: str
    phrase: str


class _PhraseIndex:
    """Phrases indexed by their rarest word, so a text is scanned once and most phrases skipped.

    Each phrase is filed under the word that the fewest phrases share; a text word then only
    brings up the phrases filed under it, checked at the place that word has in the phrase.
    """

    def __init__(self, phrases: list[tuple[str, str]]) -> None:
        split = [(tuple(phrase.split(" ")), category, phrase) for category, phrase in phrases]
        frequency = Counter(word for words, _category, _phrase in split for word in set(words))
        self._by_anchor: dict[str, list[tuple[tuple[str, ...], int, str, str]]] = {}
        for words, category, phrase in split:
            offset = min(range(len(words)), key=lambda at: frequency[words[at]])
            self._by_anchor.setdefault(words[offset], []).append((words, offset, category, phrase))

    def spans(self, words: list[str]) -> list[tuple[int, int, str, str]]:
        """Every (start, end, category, phrase) found in ``words``."""
        found = []
        for position, word in enumerate(words):
            for phrase_words, offset, category, phrase in self._by_anchor.get(word, ()):
                start = position - offset
                end = start + len(phrase_words)
                if start >= 0 and tuple(words[start:end]) == phrase_words:
                    found.append((start, end, category, phrase))
        return found


class CrisisList:
    """The reviewed crisis phrases, indexed for a one-pass scan, and the signposting message."""

    def __init__(
        self,
        phrases: list[tuple[str, str]],
        not_crisis: list[str],
        messages: tuple[str, str],
        review: tuple[date, date],
    ) -> None:
        literal = [(category, phrase) for category, phrase in phrases if not _is_pattern(phrase)]
        self.phrase_count = len(phrases)
        self.chat_message, self.voice_message = messages
        self.reviewed, self.review_by = review
        self._phrases = _PhraseIndex(literal)
        self._harmless = _PhraseIndex([("", phrase) for phrase in not_crisis])
        self._patterns: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
        for category, phrase in phrases:
            if _is_pattern(phrase):
                entry = (category, phrase, _compile(phrase))
                self._patterns.setdefault(phrase.split(" ")[0], []).append(entry)

    def detect(self, text: str, canonical_text: str | None = None) -> CrisisMatch | None:
        """The most specific crisis phrase in ``text``, as written or with regional words mapped.

        ``canonical_text`` is ``canonical(text)`` when the caller has it already (the search).
        """
        plain = normalise(text)
        mapped = canonical(text) if canonical_text is None else canonical_text
        for form in dict.fromkeys((plain, mapped)):
            match = self._detect_in(form.split())
            if match is not None:
                return match
        return None

    def _detect_in(self, words: list[str]) -> CrisisMatch | None:
        removed: set[int] = set()
        for start, end, _category, _phrase in self._harmless.spans(words):
            removed.update(range(start, end))
        kept = [word for position, word in enumerate(words) if position not in removed]
        spans = self._phrases.spans(kept)
        if spans:
            _start, _end, category, phrase = max(spans, key=lambda span: span[1] - span[0])
            return CrisisMatch(category, phrase)
        joined = " ".join(kept)
        for word in dict.fromkeys(kept):
            for category, phrase, pattern in self._patterns.get(word, ()):
                if pattern.search(joined):
                    return CrisisMatch(category, phrase)
        return None


def load_crisis_list(
    values: dict[str, str], path: Path = KNOWLEDGE_DIR / "crisis.yaml"
) -> CrisisList:
    """The crisis list, validated: every phrase must already be in normalised form."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise KnowledgeError(f"{path.name}: expected a mapping")
    phrases: list[tuple[str, str]] = []
    for index, category in enumerate(raw.get("categories") or []):
        category_id = category.get("id") if isinstance(category, dict) else None
        if category_id not in CATEGORIES:
            raise KnowledgeError(f"{path.name}: categories[{index}] has unknown id {category_id!r}")
        for phrase in category.get("phrases") or []:
            phrases.append((category_id, _normalised(path, str(phrase))))
    if not phrases:
        raise KnowledgeError(f"{path.name}: no crisis phrases")
    not_crisis = tuple(_normalised(path, str(phrase)) for phrase in raw.get("not_crisis") or [])
    harmless_index = _PhraseIndex([("", harmless) for harmless in not_crisis])
    for _category, phrase in phrases:
        for _start, _end, _none, harmless in harmless_index.spans(phrase.split(" ")):
            raise KnowledgeError(
                f"{path.name}: not_crisis {harmless!r} would hide crisis phrase {phrase!r}"
            )
    message = raw.get("message")
    if not isinstance(message, dict) or not message.get("chat") or not message.get("voice"):
        raise KnowledgeError(f"{path.name}: message needs 'chat' and 'voice' texts")
    reviewed, review_by = raw.get("reviewed"), raw.get("review_by")
    if not isinstance(reviewed, date) or not isinstance(review_by, date):
        raise KnowledgeError(f"{path.name}: 'reviewed' and 'review_by' must be dates")
    return CrisisList(
        phrases,
        list(dict.fromkeys(not_crisis)),
        (
            fill_placeholders(str(message["chat"]).strip(), values),
            fill_placeholders(" ".join(str(message["voice"]).split()), values),
        ),
        (reviewed, review_by),
    )


def _normalised(path: Path, phrase: str) -> str:
    words = [word for word in phrase.split(" ") if word not in WILDCARDS]
    if not words or any(normalise(word) != word for word in words) or "  " in phrase:
        raise KnowledgeError(
            f"{path.name}: phrase {phrase!r} must be written normalised as {normalise(phrase)!r}"
        )
    if phrase.split(" ")[0] in WILDCARDS or phrase.split(" ")[-1] in WILDCARDS:
        raise KnowledgeError(
            f"{path.name}: phrase {phrase!r} must not start or end with a wildcard"
        )
    return phrase


WILDCARDS = {"*": r"\S+", "...": r"(?:\S+ ){0,4}?"}


def _is_pattern(phrase: str) -> bool:
    return any(word in WILDCARDS for word in phrase.split(" "))


def _compile(phrase: str) -> re.Pattern[str]:
    parts = []
    for word in phrase.split(" "):
        if word == "...":
            parts.append(WILDCARDS[word])
        else:
            parts.append((WILDCARDS.get(word) or re.escape(word)) + " ")
    return re.compile(r"(?:^| )" + "".join(parts).rstrip(" ") + r"(?= |$)")
