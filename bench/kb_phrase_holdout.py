"""Print how well the search finds each article's own phrases when they are held out of the index.

Usage: .venv/bin/python bench/kb_phrase_holdout.py [--folds 4] [--misses] [--confusion]

Why: the labelled question set (``bench/kb_quality.py``) is small, and phrases and content get
written while reading its failures, so it slowly stops being a fair test. This is a third
measure, independent of both its halves. Each article's curated ``phrases`` are split into
``--folds`` groups by position (phrase 0, 4, 8... in the first of four); each group in turn is
taken out of every article, the index is rebuilt without it, and each taken-out phrase is asked
as a question. A phrase is a real way of asking that the index no longer holds word for word,
so the figures show how well the rest of an article (its other phrases, title and body) carries
its topic. A change that helps the question set but lowers these figures is probably fitting
single questions rather than improving the search.

Figures: top-1 and top-3 topic accuracy over the held-out phrases (phrases that set off crisis
detection are skipped: they test the crisis list, not the ranking), and the share answered
"out of scope". The split is by position, so the figures are the same on every run.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb_quality import print_details  # noqa: E402

from handlers.profile import load_profile  # noqa: E402
from knowledge.base import load_knowledge  # noqa: E402
from knowledge.loader import Article, load_not_ours  # noqa: E402
from knowledge.search import SearchIndex  # noqa: E402
from settings import DEFAULT_PROFILE_PATH  # noqa: E402

OUT = "out-of-scope"


@dataclass
class Holdout:
    """What the search did with the held-out phrases."""

    asked: int = 0
    top1: int = 0
    top3: int = 0
    out_of_scope: int = 0
    misses: list[str] = field(default_factory=list)
    confused: Counter[tuple[str, str]] = field(default_factory=Counter)


class IndexBuilder:
    """Builds a search index over a set of articles with the shipped crisis list and subjects."""

    def __init__(self) -> None:
        self.kb = load_knowledge(load_profile(DEFAULT_PROFILE_PATH).placeholders())
        self.not_ours = load_not_ours()

    def __call__(self, articles: list[Article]) -> SearchIndex:
        """A fresh index over ``articles``."""
        return SearchIndex(articles, self.kb.crisis, self.not_ours)


def without_fold(articles: list[Article], folds: int, fold: int) -> list[Article]:
    """Every article with the phrases of one fold taken out."""
    return [
        replace(
            article,
            phrases=tuple(p for n, p in enumerate(article.phrases) if n % folds != fold),
        )
        for article in articles
    ]


def evaluate(articles: list[Article], index_for: IndexBuilder, folds: int) -> Holdout:
    """Hold out each fold in turn and ask its phrases of the index built without them."""
    result = Holdout()
    for fold in range(folds):
        index = index_for(without_fold(articles, folds, fold))
        for article in articles:
            for phrase in article.phrases[fold::folds]:
                answer = index.search(phrase, limit=3)
                if answer.urgent:
                    continue
                result.asked += 1
                topics = [hit.topic for hit in (answer.choices if answer.clarify else answer.hits)]
                answered = not answer.out_of_scope
                result.out_of_scope += answer.out_of_scope
                result.top3 += answered and article.topic in topics[:3]
                if answered and topics[:1] == [article.topic]:
                    result.top1 += 1
                    continue
                got = OUT if not answered else topics[0]
                result.confused[(article.topic, got)] += 1
                result.misses.append(f"{article.id:<45} {phrase!r} -> {got}")
    return result


def main() -> None:
    """Hold out each fold of phrases in turn and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folds", type=int, default=4, help="groups each article's phrases split into"
    )
    parser.add_argument("--misses", action="store_true", help="list the phrases it got wrong")
    parser.add_argument(
        "--confusion", action="store_true", help="count (article topic, top answer) pairs"
    )
    args = parser.parse_args()

    build = IndexBuilder()
    articles = list(build.kb.articles.values())
    result = evaluate(articles, build, args.folds)
    asked = max(result.asked, 1)
    print(f"held-out phrases: {result.asked} ({args.folds} folds, {len(articles)} articles)")
    print(f"top-1 accuracy        {result.top1 / asked:6.3f}")
    print(f"top-3 accuracy        {result.top3 / asked:6.3f}")
    print(f"out of scope          {result.out_of_scope / asked:6.3f}")
    print_details(
        result.misses if args.misses else None, result.confused if args.confusion else None
    )


if __name__ == "__main__":
    main()
