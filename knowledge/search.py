"""Search over the curated articles: crisis first, then ranked answers, or "not sure", or "none".

How a question is answered:

1. Crisis detection runs first, by explicit phrase rules (``knowledge.crisis``); a match sets
   ``urgent`` whatever else the question says.
2. The question is normalised (``knowledge.text.canonical``: fillers dropped, regional words,
   misspellings and number words mapped; before that, a name spelt out letter by letter, such
   as "p i p", is joined), misspelt long words are corrected towards the
   knowledge base's words (``knowledge.spelling``), and words are stemmed (``knowledge.terms``;
   a few set phrases such as "carers assessment" also add a term of their own).
   Article phrases go through the same steps, so a question and a phrase meet half way.
3. Each article is scored by BM25 over its curated phrases and title (the strongest signal) and
   over its body, plus the best rapidfuzz ``token_set_ratio`` between the question and one of
   its phrases (both already normalised, so ``processor=None``), plus how much of the
   question's weight (IDF) its phrases and title cover between them (a word found only in its
   body counts ``BODY_SHARE`` as much): a question whose rare words are spread over several of
   an article's phrases still matches that article. Scores are
   combined into 0..1. In a long question of several sentences the last sentence's terms count
   twice: that is usually where the question is asked. Only a shortlist of the best BM25
   articles is fuzzy-matched, best first, stopping when the rest cannot change the answer.
4. Subjects we do not advise on (``not_ours.yaml``) are ranked alongside the articles. When one
   of them scores at least as well as the best article, or the best article scores too low, or
   most of the question's weight is in words the knowledge base never uses, the answer is
   ``out_of_scope``: say so and offer a person, never guess. When the best articles from
   different topics score too close, ``clarify`` offers 2-3 choices (a third topic when it is
   within twice that closeness of the best).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.crisis import CrisisList, CrisisMatch
from knowledge.loader import Article, NotOurs
from knowledge.spelling import Speller
from knowledge.terms import content_terms
from knowledge.text import canonical, canonical_normalised, normalise

MIN_QUERY_CHARACTERS = 3
OUT_OF_SCOPE_BELOW = 0.362
NOT_OURS_MARGIN = 0.0
LONG_QUESTION_TERMS = 12
_SENTENCE_END = re.compile(r"[.?!]+\s")
MIN_COVERAGE = 0.45
CLARIFY_GAP = 0.032
CLARIFY_THIRD_GAP = 2 * CLARIFY_GAP
CLARIFY_CEILING = 0.561
AGREEING_ARTICLES = 3
SHORTLIST = 10
SHORTLIST_LONG = 6
BM25_K1 = 1.2
BM25_B = 0.6
# The combined score is the weighted sum divided by the weights' total, so it stays in 0..1
# (the score floor and the clarify limits above are on that scale).
WEIGHT_PHRASES = 0.45
WEIGHT_BODY = 0.25
WEIGHT_FUZZY = 0.3
WEIGHT_COVERAGE = 0.105
FUZZY_WORDS = 40
FUZZY_BY_LENGTH_WORDS = 28
BODY_SHARE = 0.3
CRISIS_TOPIC = "crisis-urgent-help"
_TOTAL_WEIGHT = WEIGHT_PHRASES + WEIGHT_BODY + WEIGHT_FUZZY + WEIGHT_COVERAGE


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

    def __init__(
        self, articles: Sequence[Article], crisis: CrisisList, not_ours: Sequence[NotOurs] = ()
    ) -> None:
        self.articles = list(articles)
        self.crisis = crisis
        bodies = [canonical(f"{article.voice_summary} {article.body}") for article in articles]
        titles = [canonical(article.title) for article in articles]
        written = {word for text in (*bodies, *titles) for word in text.split()}
        speller = Speller(written)
        # One document per article (its phrases and title), then one per subject we do not
        # advise on (its phrases, standing in for a body too): both are ranked alike.
        self._phrases: list[list[str]] = [
            [*(_fold(phrase, speller) for phrase in article.phrases), title]
            for article, title in zip(articles, titles, strict=True)
        ] + [[_fold(phrase, speller) for phrase in s.phrases] for s in not_ours]
        bodies += [" ".join(phrases) for phrases in self._phrases[len(articles) :]]
        phrase_terms = [
            content_terms(" ".join([*phrases, phrases[-1]])) for phrases in self._phrases
        ]
        self._by_phrase = _Bm25(phrase_terms)
        self._phrase_vocabulary = [frozenset(terms) for terms in phrase_terms]
        body_terms = [content_terms(body) for body in bodies]
        self._by_body = _Bm25(body_terms)
        self._body_vocabulary = [frozenset(terms) for terms in body_terms]
        self._speller = Speller(
            written
            | {word for phrases in self._phrases for text in phrases for word in text.split()}
        )
        self._phrase_words = [[_Words(phrase) for phrase in phrases] for phrases in self._phrases]
        self._phrase_word_sets = [
            [phrase.words for phrase in words] for words in self._phrase_words
        ]
        self._known_terms = frozenset(self._by_phrase.idf) | frozenset(self._by_body.idf)
        self._max_idf = max(self._by_body.idf.values(), default=1.0)

    def search(self, query: str, limit: int = 3) -> Answer:
        """Rank articles for a question (see the module docstring)."""
        folded = canonical_normalised(self._speller.join_letters(normalise(query)))
        crisis = self.crisis.detect(query, folded)
        text = self._speller.correct(folded)
        if len(text.replace(" ", "")) < MIN_QUERY_CHARACTERS and crisis is None:
            return Answer(query=query, hits=(), out_of_scope=True)
        terms = content_terms(text)
        ranked, not_ours = self._rank(
            text, terms + self._last_sentence_terms(query, terms), every=crisis is not None
        )
        if crisis is not None:
            crisis_first = [hit for hit in ranked if hit.topic == CRISIS_TOPIC]
            crisis_first += [hit for hit in ranked if hit.topic != CRISIS_TOPIC]
            if not any(hit.topic == CRISIS_TOPIC for hit in crisis_first):
                crisis_first = self._crisis_hits() + crisis_first
            return Answer(query, tuple(crisis_first[:limit]), urgent=True, crisis=crisis)
        if not ranked or self._out_of_scope(terms, ranked[0].score, not_ours):
            return Answer(query=query, hits=(), out_of_scope=True)
        hits = tuple(_topics_first(ranked)[:limit])
        choices = self._close_choices(ranked)
        if len(choices) > 1:
            return Answer(query, hits, clarify=True, choices=choices)
        return Answer(query, hits)

    def _last_sentence_terms(self, query: str, terms: list[str]) -> list[str]:
        """In a long question the last sentence usually asks it: count its terms twice."""
        if len(terms) < LONG_QUESTION_TERMS:
            return []
        sentences = [part for part in _SENTENCE_END.split(query) if part.strip()]
        if len(sentences) < 2:
            return []
        return content_terms(self._speller.correct(canonical(sentences[-1])))

    def _rank(self, text: str, terms: list[str], every: bool) -> tuple[list[Hit], float]:
        """Ranked articles, and the best score of a subject we do not advise on.

        The fuzzy match is the slow part, so the shortlist is scored without it first and then
        completed best first; it stops when the rest could not reach the top three articles or
        come within ``CLARIFY_THIRD_GAP`` of the best even with a perfect fuzzy match (so the
        answer, the top three and any choices are exactly what scoring the whole shortlist gives).
        ``every`` scores the whole shortlist: an urgent answer lists crisis articles from
        anywhere in it. The fuzzy match reads the question's last ``FUZZY_WORDS`` words: the
        end of a long question is where it is usually asked, and comparing fewer words is faster.
        """
        partial = self._scores_without_fuzzy(terms)
        words = _Words(" ".join(text.split()[-FUZZY_WORDS:]))
        scores: dict[int, float] = {}
        best_articles: list[float] = []
        for index in sorted(partial, key=lambda i: -partial[i]):
            if not every and len(best_articles) >= AGREEING_ARTICLES:
                reachable = (partial[index] + WEIGHT_FUZZY) / _TOTAL_WEIGHT
                if reachable < min(best_articles[-1], best_articles[0] - CLARIFY_THIRD_GAP):
                    break
            fuzzy = WEIGHT_FUZZY * self._phrase_similarity(words, index)
            scores[index] = (partial[index] + fuzzy) / _TOTAL_WEIGHT
            if index < len(self.articles):
                best_articles = heapq.nlargest(AGREEING_ARTICLES, [*best_articles, scores[index]])
        hits = []
        not_ours = 0.0
        for index, score in scores.items():
            if index >= len(self.articles):
                not_ours = max(not_ours, score)
                continue
            article = self.articles[index]
            hits.append(Hit(article.id, article.topic, article.title, round(score, 4)))
        hits.sort(key=lambda hit: -hit.score)
        return hits, not_ours

    def _scores_without_fuzzy(self, terms: list[str]) -> dict[int, float]:
        """The shortlist with each one's weighted BM25 and coverage scores.

        A long question gives BM25 plenty to go on, so its shortlist is shorter (and its slow
        fuzzy step faster): on the labelled questions this changed neither half's figures.
        """
        phrase_scores = self._by_phrase.scores(terms)
        body_scores = self._by_body.scores(terms)
        shortlisting = {index: score * 2 for index, score in phrase_scores.items()}
        for index, score in body_scores.items():
            shortlisting[index] = shortlisting.get(index, 0.0) + score
        weights = {term: self._by_phrase.idf.get(term, self._max_idf) for term in set(terms)}
        total_weight = sum(weights.values()) or 1.0
        partial = {}
        size = SHORTLIST_LONG if len(terms) >= LONG_QUESTION_TERMS else SHORTLIST
        for index in heapq.nlargest(size, shortlisting, key=shortlisting.__getitem__):
            vocabulary = self._phrase_vocabulary[index]
            body_vocabulary = self._body_vocabulary[index]
            coverage = (
                sum(
                    w if term in vocabulary else BODY_SHARE * w
                    for term, w in weights.items()
                    if term in vocabulary or term in body_vocabulary
                )
                / total_weight
            )
            partial[index] = (
                WEIGHT_PHRASES * _squash(phrase_scores.get(index, 0.0), 8.0)
                + WEIGHT_BODY * _squash(body_scores.get(index, 0.0), 10.0)
                + WEIGHT_COVERAGE * coverage
            )
        return partial

    def _phrase_similarity(self, question: _Words, index: int) -> float:
        """Best similarity (0..1) of the question to one of an article's phrases.

        ``token_set_ratio`` is 100 whenever one side's words are all in the other's, so a phrase
        wholly inside the question settles it without the slower comparison. A question of
        ``FUZZY_BY_LENGTH_WORDS`` distinct words or more is much longer than any phrase, and
        most of the figure follows from the words' lengths (``_token_set_similarity``: the same
        figure, up to twice as fast there, slower for shorter questions).
        """
        words = question.words
        if len(words) >= FUZZY_BY_LENGTH_WORDS:
            return _token_set_similarity(question, self._phrase_words[index])
        if any(phrase and phrase <= words for phrase in self._phrase_word_sets[index]):
            return 1.0
        match = process.extractOne(
            question.text, self._phrases[index], scorer=fuzz.token_set_ratio, processor=None
        )
        return match[1] / 100.0 if match else 0.0

    def _out_of_scope(self, terms: list[str], top_score: float, not_ours: float) -> bool:
        if top_score < OUT_OF_SCOPE_BELOW or not_ours >= top_score - NOT_OURS_MARGIN:
            return True
        if not terms:
            return False
        weights = [self._by_body.idf.get(term, self._max_idf) for term in terms]
        known = sum(w for term, w in zip(terms, weights, strict=True) if term in self._known_terms)
        return known / sum(weights) < MIN_COVERAGE

    def _close_choices(self, ranked: list[Hit]) -> tuple[Hit, ...]:
        """2-3 topics to choose from when the best ones score too close to tell apart.

        Several articles of the top topic ranked above every other topic agree with each
        other, so that topic is clear enough to answer. Once two topics are too close to tell
        apart, a third is offered too when it is within ``CLARIFY_THIRD_GAP`` of the best: the
        carer is asking anyway, and one more choice often holds the answer.
        """
        top = ranked[0]
        agreeing = next((n for n, hit in enumerate(ranked) if hit.topic != top.topic), len(ranked))
        if top.score >= CLARIFY_CEILING or agreeing >= AGREEING_ARTICLES:
            return ()
        choices = [top]
        for hit in ranked[1:]:
            if top.score - hit.score > (CLARIFY_GAP if len(choices) < 2 else CLARIFY_THIRD_GAP):
                break
            if all(hit.topic != chosen.topic for chosen in choices):
                choices.append(hit)
            if len(choices) == 3:
                break
        return tuple(choices) if len(choices) > 1 else ()

    def _crisis_hits(self) -> list[Hit]:
        return [
            Hit(article.id, article.topic, article.title, 1.0)
            for article in self.articles
            if article.topic == CRISIS_TOPIC
        ]


class _Words:
    """A text, its distinct words, and the length of them joined by spaces, plus one."""

    __slots__ = ("size", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = frozenset(text.split())
        self.size = sum(map(len, self.words)) + len(self.words)


def _token_set_similarity(question: _Words, phrases: Sequence[_Words]) -> float:
    """The best rapidfuzz ``token_set_ratio`` (0..1) of a long question to one of the phrases.

    The same figure as ``process.extractOne(..., scorer=fuzz.token_set_ratio)`` with less work.
    ``token_set_ratio`` is the best of three ratios. Two compare the shared words with either
    side and follow from the words' lengths alone, so they are worked out here for every phrase.
    The third compares the words that differ, and the edit distance between them is at least
    the difference in length: only a phrase whose length leaves it a chance to beat the best so
    far is compared in full. A phrase wholly inside the question, or the question inside a
    phrase, scores 1.
    """
    words, size = question.words, question.size
    if not words:
        return 0.0
    best = 0.0
    for phrase in phrases:
        shared = words & phrase.words
        if shared:
            if len(shared) == len(phrase.words) or len(shared) == len(words):
                return 1.0
            common = sum(map(len, shared)) + len(shared)
            shorter = min(size, phrase.size)
            best = max(best, 100 - 100 * (shorter - common) / (common + shorter - 2))
    for phrase in phrases:
        total = size + phrase.size - 2
        if phrase.words and 100 - 100 * abs(size - phrase.size) / total > best:
            ratio = fuzz.token_set_ratio(
                question.text, phrase.text, processor=None, score_cutoff=best
            )
            best = max(best, ratio)
    return best / 100


def _fold(text: str, speller: Speller) -> str:
    """A phrase as the search reads it: spelt-out names joined, canonical, misspellings fixed."""
    return speller.correct(canonical_normalised(speller.join_letters(normalise(text))))


def _squash(value: float, half: float) -> float:
    """Map 0..inf to 0..1, reaching 0.5 at ``half``."""
    return value / (value + half)


def _topics_first(ranked: list[Hit]) -> list[Hit]:
    """Each topic's best article in rank order, then the rest.

    The answer stays first, and the next hits offer other subjects rather than more of one.
    """
    seen: set[str] = set()
    firsts: list[Hit] = []
    rest: list[Hit] = []
    for hit in ranked:
        (rest if hit.topic in seen else firsts).append(hit)
        seen.add(hit.topic)
    return firsts + rest
