"""Loading the knowledge base: articles, topics, the crisis list and prompts, validated.

A bad article is refused with a message naming the file and the field. Placeholders such as
``{{main_phone}}`` are filled from the deployment's values at load time, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge.text import PLACEHOLDER, fill_placeholders

KNOWLEDGE_DIR = Path(__file__).resolve().parent
ARTICLES_DIR = KNOWLEDGE_DIR / "articles"
REQUIRED_FIELDS = (
    "id",
    "title",
    "topic",
    "related",
    "phrases",
    "voice_summary",
    "reviewed",
    "review_by",
    "sources",
)
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(ValueError):
    """Content that cannot be loaded; the message names the file and the field."""


@dataclass(frozen=True)
class Source:
    """Where an article's facts come from."""

    title: str
    url: str


@dataclass(frozen=True)
class Article:
    """One curated answer: chat reads ``body``, the phone reads ``voice_summary``."""

    id: str
    title: str
    topic: str
    related: tuple[str, ...]
    phrases: tuple[str, ...]
    voice_summary: str
    reviewed: date
    review_by: date
    sources: tuple[Source, ...]
    body: str
    raw_body: str
    path: Path


@dataclass(frozen=True)
class Topic:
    """A subject the knowledge base covers, with its menu label and keypad group."""

    id: str
    label: str
    group: str


@dataclass(frozen=True)
class Topics:
    """The topic list and the keypad groups, in order."""

    topics: tuple[Topic, ...]
    groups: dict[str, str]

    def ids(self) -> set[str]:
        """Every known topic id."""
        return {topic.id for topic in self.topics}

    def get(self, topic_id: str) -> Topic:
        """The topic with this id."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def in_group(self, group: str) -> list[Topic]:
        """Topics under one keypad group, in file order."""
        return [topic for topic in self.topics if topic.group == group]


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, naming the file on error."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except OSError as error:
        raise KnowledgeError(f"{path.name}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path.name}: not valid YAML ({error})") from None


def load_topics(path: Path = KNOWLEDGE_DIR / "topics.yaml") -> Topics:
    """The topics file, validated."""
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("groups"), dict):
        raise KnowledgeError(f"{path.name}: expected 'groups' and 'topics'")
    groups = {str(key): str(value) for key, value in raw["groups"].items()}
    topics = []
    for index, entry in enumerate(raw.get("topics") or []):
        if not isinstance(entry, dict) or not {"id", "label", "group"} <= entry.keys():
            raise KnowledgeError(f"{path.name}: topics[{index}] needs id, label and group")
        if entry["group"] not in groups:
            raise KnowledgeError(
                f"{path.name}: topics[{index}] has unknown group {entry['group']!r}"
            )
        topics.append(Topic(str(entry["id"]), str(entry["label"]), str(entry["group"])))
    return Topics(tuple(topics), groups)


def load_articles(
    values: dict[str, str], topic_ids: set[str], directory: Path = ARTICLES_DIR
) -> list[Article]:
    """Every article in the directory, placeholders filled; raises on the first bad one."""
    articles = [parse_article(path, values, topic_ids) for path in sorted(directory.glob("*.md"))]
    seen: dict[str, Path] = {}
    for article in articles:
        if article.id in seen:
            raise KnowledgeError(
                f"{article.path.name}: id {article.id!r} also used by {seen[article.id].name}"
            )
        seen[article.id] = article.path
    return articles


def parse_article(path: Path, values: dict[str, str], topic_ids: set[str]) -> Article:
    """One article file, validated field by field."""
    name = path.name
    match = _FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    if match is None:
        raise KnowledgeError(f"{name}: must start with YAML front matter between '---' lines")
    try:
        meta = yaml.load(match.group(1), Loader=_LOADER)
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{name}: front matter is not valid YAML ({error})") from None
    if not isinstance(meta, dict):
        raise KnowledgeError(f"{name}: front matter must be a mapping of fields")
    for field in REQUIRED_FIELDS:
        if meta.get(field) in (None, "", []):
            raise KnowledgeError(f"{name}: field '{field}' is missing or empty")
    article_id = _text(name, meta, "id")
    if not _ID.match(article_id) or path.stem != article_id:
        raise KnowledgeError(f"{name}: field 'id' must be kebab-case and match the file name")
    topic = _text(name, meta, "topic")
    if topic not in topic_ids:
        raise KnowledgeError(f"{name}: field 'topic' has unknown topic id {topic!r}")
    related = meta["related"] if isinstance(meta["related"], list) else None
    if related is None or any(item not in topic_ids for item in related):
        raise KnowledgeError(f"{name}: field 'related' must list known topic ids")
    phrases = meta["phrases"]
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        raise KnowledgeError(f"{name}: field 'phrases' must be a list of questions")
    reviewed, review_by = _date(name, meta, "reviewed"), _date(name, meta, "review_by")
    sources = meta["sources"]
    if not isinstance(sources, list) or not all(
        isinstance(s, dict) and s.get("title") and str(s.get("url", "")).startswith("https://")
        for s in sources
    ):
        raise KnowledgeError(f"{name}: field 'sources' needs a title and an https url for each")
    raw_body = match.group(2).strip()
    return Article(
        id=article_id,
        title=fill_placeholders(_text(name, meta, "title"), values),
        topic=topic,
        related=tuple(str(item) for item in related),
        phrases=tuple(phrase.strip() for phrase in phrases),
        voice_summary=fill_placeholders(
            " ".join(_text(name, meta, "voice_summary").split()), values
        ),
        reviewed=reviewed,
        review_by=review_by,
        sources=tuple(Source(str(s["title"]), str(s["url"])) for s in sources),
        body=fill_placeholders(raw_body, values),
        raw_body=raw_body,
        path=path,
    )


@dataclass(frozen=True)
class NotOurs:
    """A subject we do not advise on, with how people ask about it (``not_ours.yaml``)."""

    id: str
    phrases: tuple[str, ...]


def load_not_ours(path: Path = KNOWLEDGE_DIR / "not_ours.yaml") -> tuple[NotOurs, ...]:
    """The subjects we do not advise on, validated."""
    raw = read_yaml(path)
    subjects = raw.get("subjects") if isinstance(raw, dict) else None
    if not isinstance(subjects, list) or not subjects:
        raise KnowledgeError(f"{path.name}: expected a list of 'subjects'")
    loaded = []
    for index, entry in enumerate(subjects):
        phrases = entry.get("phrases") if isinstance(entry, dict) else None
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or not _ID.match(entry["id"])
            or not isinstance(phrases, list)
            or not phrases
            or not all(isinstance(phrase, str) and phrase.strip() for phrase in phrases)
        ):
            raise KnowledgeError(
                f"{path.name}: subjects[{index}] needs a kebab-case 'id' and a list of 'phrases'"
            )
        loaded.append(NotOurs(entry["id"], tuple(phrase.strip() for phrase in phrases)))
    return tuple(loaded)


def unknown_placeholders(text: str, values: dict[str, str]) -> set[str]:
    """Placeholder names in ``text`` that the deployment has no value for."""
    return {name for name in PLACEHOLDER.findall(text) if name not in values}


def _text(name: str, meta: dict[str, Any], field: str) -> str:
    value = meta[field]
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(f"{name}: field '{field}' must be text")
    return value.strip()


def _date(name: str, meta: dict[str, Any], field: str) -> date:
    value = meta[field]
    if not isinstance(value, date):
        raise KnowledgeError(f"{name}: field '{field}' must be a date like 2026-11-23")
    return value
