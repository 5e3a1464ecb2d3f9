"""Search over the curated articles: crisis first, then ranked answers, or "not sure", or "none".

How a question is answered:

1. Crisis detection runs first, by explicit phrase rules (``knowledge.crisis``); a match sets
   ``urgent`` whatever else the question says.
2. The question is normalised (``knowledge.text.canonical``: fillers dropped, regional words
   mapped), each word is lightly stemmed, and words of five or more letters that are neither
   English (the CMU dictionary's word list) nor used by the knowledge base are
   corrected to the nearest word the knowledge base uses with the same first letter (rapidfuzz
   ratio: 85 for words of five or six letters, 80 for longer ones; shorter words are left alone).
3. Each article is scored by BM25 over its curated phrases and title (the strongest signal) and
   over its body, plus the best rapidfuzz ``token_set_ratio`` between the question and one of its
   phrases. Scores are combined into 0..1.
4. Too little in common with any article (low score, or most of the question's weight in words
   the knowledge base never uses) gives ``out_of_scope``: say so and offer a person, never guess.
   When the best articles from different topics score too close, ``clarify`` offers 2-3 choices.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.crisis import CrisisList, CrisisMatch
from knowledge.english import english_words
from knowledge.loader import Article
from knowledge.text import LANGUAGE, canonical

MIN_QUERY_CHARACTERS = 3
OUT_OF_SCOPE_BELOW = 0.40
MIN_COVERAGE = 0.45
CLARIFY_GAP = 0.035
CLARIFY_CEILING = 0.62
MIN_CORRECTABLE_LENGTH = 5
MAX_REMEMBERED_CORRECTIONS = 50_000
SHORTLIST = 15
BM25_K1 = 1.2
BM25_B = 0.6
WEIGHT_PHRASES = 0.45
WEIGHT_BODY = 0.25
WEIGHT_FUZZY = 0.3
CRISIS_TOPIC = "crisis-urgent-help"

STOPWORDS = LANGUAGE.stopwords


@dataclass(frozen=True)
class Hit:
    """One ranked article."""

    article_id: str
    topic: str
    title: str
    score: float


@dataclass(frozen=True)
class Answer:
    """What the search found for one question."""

    query: str
    hits: tuple[Hit, ...]
    urgent: bool = False
    crisis: CrisisMatch | None = None
    out_of_scope: bool = False
    clarify: bool = False
    choices: tuple[Hit, ...] = field(default=())

    @property
    def best(self) -> Hit | None:
        """The answer to give, when there is one clear answer."""
        if self.out_of_scope or self.clarify or not self.hits:
            return None
        return self.hits[0]

    def as_json(self) -> dict[str, object]:
        """The CLI's JSON shape."""
        shown = self.choices if self.clarify else self.hits
        return {
            "query": self.query,
            "urgent": self.urgent,
            "out_of_scope": self.out_of_scope,
            "clarify": self.clarify,
            "results": [
                {"id": hit.article_id, "topic": hit.topic, "title": hit.title, "score": hit.score}
                for hit in shown
            ],
        }


def stem(word: str) -> str:
    """A light English stemmer: enough to fold plurals and -ing/-ed forms together."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement, min_stem in (
        ("ies", "y", 3),
        ("ing", "", 4),
        ("ed", "", 4),
        ("es", "", 4),
        ("s", "", 3),
        ("ly", "", 4),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: len(word) - len(suffix)] + replacement
    return word


def content_terms(text: str) -> list[str]:
    """Stemmed, stopword-free terms of already canonical text."""
    return [stem(word) for word in text.split() if word not in STOPWORDS and len(word) > 1]


class _Bm25:
    """BM25 over one field of every article; each posting holds its precomputed weight."""

    def __init__(self, documents: Sequence[list[str]]) -> None:
        lengths = [len(doc) for doc in documents]
        average = (sum(lengths) / len(documents)) if documents else 1.0
        counts: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for index, doc in enumerate(documents):
            for term, count in Counter(doc).items():
                counts[term].append((index, count))
        total = len(documents)
        self.idf = {
            term: math.log(1 + (total - len(posts) + 0.5) / (len(posts) + 0.5))
            for term, posts in counts.items()
        }
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for term, posts in counts.items():
            idf = self.idf[term]
            self._postings[term] = [
                (
                    index,
                    idf
                    * count
                    * (BM25_K1 + 1)
                    / (count + BM25_K1 * (1 - BM25_B + BM25_B * lengths[index] / average)),
                )
                for index, count in posts
            ]

    def scores(self, terms: Iterable[str]) -> dict[int, float]:
        """BM25 score per article that shares at least one term."""
        results: dict[int, float] = defaultdict(float)
        for term in terms:
            for index, weight in self._postings.get(term, ()):
                results[index] += weight
        return results


class SearchIndex:
    """Everything the search needs, built once at start-up from the loaded articles."""

    def __init__(self, articles: Sequence[Article], crisis: CrisisList) -> None:
        self.articles = list(articles)
        self.crisis = crisis
        phrase_docs: list[list[str]] = []
        body_docs: list[list[str]] = []
        self._phrases: list[list[str]] = []
        for article in self.articles:
            phrases = [canonical(phrase) for phrase in article.phrases]
            title = canonical(article.title)
            self._phrases.append([*phrases, title])
            phrase_docs.append(content_terms(" ".join([*phrases, title, title])))
            body_docs.append(content_terms(canonical(f"{article.voice_summary} {article.body}")))
        self._by_phrase = _Bm25(phrase_docs)
        self._by_body = _Bm25(body_docs)
        words: set[str] = set()
        for doc in (*self._phrases,):
            for text in doc:
                words.update(text.split())
        for article in self.articles:
            words.update(canonical(article.body).split())
        # Typos rarely change a word's first letter: compare only with words that share it and
        # are within two letters of its length.
        self._similar: dict[tuple[str, int], list[str]] = defaultdict(list)
        for word in sorted(words):
            for length in range(len(word) - 2, len(word) + 3):
                self._similar[(word[0], length)].append(word)
        self._corrections: dict[str, str] = {}
        self._english = english_words()
        self._known_words = frozenset(words)
        self._known_terms = frozenset(self._by_phrase.idf) | frozenset(self._by_body.idf)
        self._max_idf = max(self._by_body.idf.values(), default=1.0)

    def search(self, query: str, limit: int = 3) -> Answer:
        """Rank articles for a question (see the module docstring)."""
        crisis = self.crisis.detect(query)
        text = self._correct(canonical(query))
        if len(text.replace(" ", "")) < MIN_QUERY_CHARACTERS and crisis is None:
            return Answer(query=query, hits=(), out_of_scope=True)
        terms = content_terms(text)
        ranked = self._rank(text, terms)
        if crisis is not None:
            crisis_first = [hit for hit in ranked if hit.topic == CRISIS_TOPIC]
            crisis_first += [hit for hit in ranked if hit.topic != CRISIS_TOPIC]
            if not any(hit.topic == CRISIS_TOPIC for hit in crisis_first):
                crisis_first = self._crisis_hits() + crisis_first
            return Answer(query, tuple(crisis_first[:limit]), urgent=True, crisis=crisis)
        if not ranked or self._out_of_scope(terms, ranked[0].score):
            return Answer(query=query, hits=(), out_of_scope=True)
        hits = tuple(ranked[:limit])
        choices = self._close_choices(ranked)
        if len(choices) > 1:
            return Answer(query, hits, clarify=True, choices=choices)
        return Answer(query, hits)

    def _rank(self, text: str, terms: list[str]) -> list[Hit]:
        phrase_scores = self._by_phrase.scores(terms)
        body_scores = self._by_body.scores(terms)
        candidates = heapq.nlargest(
            SHORTLIST,
            set(phrase_scores) | set(body_scores),
            key=lambda i: phrase_scores.get(i, 0.0) * 2 + body_scores.get(i, 0.0),
        )
        similarity = self._phrase_similarity(text, candidates)
        hits = []
        for index in candidates:
            article = self.articles[index]
            fuzzy = similarity.get(index, 0.0)
            score = (
                WEIGHT_PHRASES * _squash(phrase_scores.get(index, 0.0), 8.0)
                + WEIGHT_BODY * _squash(body_scores.get(index, 0.0), 10.0)
                + WEIGHT_FUZZY * fuzzy
            )
            hits.append(Hit(article.id, article.topic, article.title, round(score, 4)))
        hits.sort(key=lambda hit: -hit.score)
        return hits

    def _phrase_similarity(self, text: str, candidates: list[int]) -> dict[int, float]:
        """Best phrase similarity (0..1) per candidate article, in one rapidfuzz call."""
        choices: list[str] = []
        owners: list[int] = []
        for index in candidates:
            choices.extend(self._phrases[index])
            owners.extend([index] * len(self._phrases[index]))
        best: dict[int, float] = {}
        matches = process.extract(
            text, choices, scorer=fuzz.token_set_ratio, processor=None, limit=None
        )
        for _choice, score, position in matches:
            owner = owners[position]
            best[owner] = max(best.get(owner, 0.0), score / 100.0)
        return best

    def _out_of_scope(self, terms: list[str], top_score: float) -> bool:
        if top_score < OUT_OF_SCOPE_BELOW:
            return True
        if not terms:
            return False
        weights = [self._by_body.idf.get(term, self._max_idf) for term in terms]
        known = sum(w for term, w in zip(terms, weights, strict=True) if term in self._known_terms)
        return known / sum(weights) < MIN_COVERAGE

    def _close_choices(self, ranked: list[Hit]) -> tuple[Hit, ...]:
        top = ranked[0]
        if top.score >= CLARIFY_CEILING:
            return ()
        choices = [top]
        for hit in ranked[1:]:
            if top.score - hit.score > CLARIFY_GAP:
                break
            if all(hit.topic != chosen.topic for chosen in choices):
                choices.append(hit)
            if len(choices) == 3:
                break
        return tuple(choices) if len(choices) > 1 else ()

    def _correct(self, text: str) -> str:
        return " ".join(self._correct_word(word) for word in text.split())

    def _correct_word(self, word: str) -> str:
        """The knowledge base's spelling of a word it does not know (remembered, bounded)."""
        if (
            word in self._known_words
            or word in self._english
            or len(word) < MIN_CORRECTABLE_LENGTH
            or word.isdigit()
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

    def _crisis_hits(self) -> list[Hit]:
        return [
            Hit(article.id, article.topic, article.title, 1.0)
            for article in self.articles
            if article.topic == CRISIS_TOPIC
        ]


def _squash(value: float, half: float) -> float:
    """Map 0..inf to 0..1, reaching 0.5 at ``half``."""
    return value / (value + half)
