"""The loaded knowledge base: topics, articles, crisis list, prompts and the search index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.crisis import CrisisList, load_crisis_list
from knowledge.loader import (
    ARTICLES_DIR,
    KNOWLEDGE_DIR,
    Article,
    Topics,
    load_articles,
    load_not_ours,
    load_topics,
)
from knowledge.prompts import Prompts, load_prompts
from knowledge.search import Answer, SearchIndex


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the service says, loaded once per process."""

    topics: Topics
    articles: dict[str, Article]
    crisis: CrisisList
    prompts: Prompts
    index: SearchIndex

    def search(self, query: str, limit: int = 3) -> Answer:
        """Answer a question (see ``knowledge.search``)."""
        return self.index.search(query, limit)


_LOADED: dict[tuple[tuple[tuple[str, str], ...], Path, Path], KnowledgeBase] = {}


def load_knowledge(
    values: dict[str, str], root: Path = KNOWLEDGE_DIR, articles_dir: Path = ARTICLES_DIR
) -> KnowledgeBase:
    """The knowledge base for these placeholder values, loaded once per process.

    Loading validates every file and builds the search index (most of a second), so each
    process does it once per deployment's values; every app, clock or CLI runtime built later in
    the same process shares the same immutable knowledge base.
    """
    key = (tuple(sorted(values.items())), root, articles_dir)
    if key not in _LOADED:
        _LOADED[key] = _load(values, root, articles_dir)
    return _LOADED[key]


def _load(values: dict[str, str], root: Path, articles_dir: Path) -> KnowledgeBase:
    """Load and validate the whole knowledge base, filling placeholders from ``values``."""
    topics = load_topics(root / "topics.yaml")
    articles = load_articles(values, topics.ids(), articles_dir)
    crisis = load_crisis_list(values, root / "crisis.yaml")
    return KnowledgeBase(
        topics=topics,
        articles={article.id: article for article in articles},
        crisis=crisis,
        prompts=load_prompts(values, root / "prompts"),
        index=SearchIndex(articles, crisis, load_not_ours(root / "not_ours.yaml")),
    )
