"""``carers-line kb check``: validate every article, the crisis list and the prompts.

Errors stop a release (non-zero exit; the test suite runs this check). Warnings flag what needs
attention soon, such as a review date within 30 days.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from knowledge.crisis import load_crisis_list
from knowledge.loader import (
    ARTICLES_DIR,
    KNOWLEDGE_DIR,
    Article,
    KnowledgeError,
    load_not_ours,
    load_topics,
    parse_article,
    unknown_placeholders,
)
from knowledge.prompts import load_prompts
from knowledge.readability import flesch_reading_ease

MIN_PHRASES, MAX_PHRASES = 10, 20
MAX_VOICE_WORDS = 60
MIN_READING_EASE = 60.0
REVIEW_WARNING_DAYS = 30
MAX_REVIEW_PERIOD = timedelta(days=366)
NEXT_STEPS_HEADING = "## What to do next"
AUTHORITATIVE_DOMAINS = (
    "gov.uk",
    "nhs.uk",
    "carersuk.org",
    "ageuk.org.uk",
    "scie.org.uk",
    "carers.org",
    "citizensadvice.org.uk",
)
_NOT_FOR_VOICE = re.compile(r"https?://|www\.|[\[\]()*#_`<>{}]")


@dataclass(frozen=True)
class Problem:
    """One finding: 'error' or 'warning', where, and what is wrong."""

    level: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.message}"


def check_knowledge(
    values: dict[str, str],
    today: date,
    root: Path = KNOWLEDGE_DIR,
    articles_dir: Path = ARTICLES_DIR,
) -> list[Problem]:
    """Every problem in the knowledge base, errors first."""
    problems: list[Problem] = []
    try:
        topics = load_topics(root / "topics.yaml")
    except KnowledgeError as error:
        return [Problem("error", "topics.yaml", str(error))]
    articles: list[Article] = []
    for path in sorted(articles_dir.glob("*.md")):
        try:
            articles.append(parse_article(path, values, topics.ids()))
        except KnowledgeError as error:
            problems.append(Problem("error", path.name, str(error).split(": ", 1)[-1]))
    for article in articles:
        problems.extend(_check_article(article, values, today))
    problems.extend(_check_across(articles, topics.ids()))
    problems.extend(_check_crisis(values, today, root))
    problems.extend(_check_not_ours(root))
    problems.extend(_check_prompts(values, root))
    return sorted(problems, key=lambda p: (p.level != "error", p.where))


def _check_article(article: Article, values: dict[str, str], today: date) -> list[Problem]:
    where = article.path.name
    found: list[Problem] = []

    def error(message: str) -> None:
        found.append(Problem("error", where, message))

    if not MIN_PHRASES <= len(article.phrases) <= MAX_PHRASES:
        error(f"has {len(article.phrases)} phrases; needs {MIN_PHRASES} to {MAX_PHRASES}")
    words = len(article.voice_summary.split())
    if words >= MAX_VOICE_WORDS:
        error(f"voice_summary has {words} words; keep it under {MAX_VOICE_WORDS}")
    if _NOT_FOR_VOICE.search(article.voice_summary):
        error("voice_summary must have no links, brackets or Markdown")
    if (
        article.review_by <= article.reviewed
        or article.review_by - article.reviewed > MAX_REVIEW_PERIOD
    ):
        error("review_by must be after reviewed and within 12 months of it")
    if article.review_by < today:
        error(f"review date {article.review_by} has passed: check the facts and update it")
    elif article.review_by - today <= timedelta(days=REVIEW_WARNING_DAYS):
        found.append(Problem("warning", where, f"review due by {article.review_by}"))
    for source in article.sources:
        host = (urlsplit(source.url).hostname or "").removeprefix("www.")
        if not any(host == d or host.endswith("." + d) for d in AUTHORITATIVE_DOMAINS):
            error(f"source {source.url} is not on an authoritative site")
    missing = unknown_placeholders(
        f"{article.title} {article.voice_summary} {article.raw_body}", values
    )
    if missing:
        error(f"unknown placeholders: {', '.join(sorted(missing))}")
    score = flesch_reading_ease(article.body)
    if score < MIN_READING_EASE:
        error(f"reading ease {score:.0f} is below {MIN_READING_EASE:.0f}: use shorter sentences")
    sections = article.raw_body.split("\n## ")
    if len(sections) < 2 or not ("## " + sections[-1]).startswith(NEXT_STEPS_HEADING):
        error(f"must end with a '{NEXT_STEPS_HEADING}' section")
    return found


def _check_across(articles: list[Article], topic_ids: set[str]) -> list[Problem]:
    found = []
    covered = {article.topic for article in articles}
    for topic in sorted(topic_ids - covered):
        found.append(Problem("error", "articles", f"no article for topic {topic!r}"))
    owners: dict[str, list[str]] = defaultdict(list)
    for article in articles:
        for phrase in set(article.phrases):
            owners[phrase.lower()].append(article.id)
    for phrase, ids in sorted(owners.items()):
        if len(ids) > 1:
            found.append(
                Problem("error", "articles", f"phrase {phrase!r} is in {', '.join(sorted(ids))}")
            )
    return found


def _check_not_ours(root: Path) -> list[Problem]:
    try:
        load_not_ours(root / "not_ours.yaml")
    except KnowledgeError as error:
        return [Problem("error", "not_ours.yaml", str(error).split(": ", 1)[-1])]
    return []


def _check_crisis(values: dict[str, str], today: date, root: Path) -> list[Problem]:
    try:
        crisis = load_crisis_list(values, root / "crisis.yaml")
    except KnowledgeError as error:
        return [Problem("error", "crisis.yaml", str(error).split(": ", 1)[-1])]
    found = []
    if crisis.review_by < today:
        found.append(Problem("error", "crisis.yaml", f"review date {crisis.review_by} has passed"))
    for needed in ("999", "111", "116 123", "85258"):
        if needed not in crisis.chat_message or needed not in crisis.voice_message:
            found.append(Problem("error", "crisis.yaml", f"message must give {needed}"))
    if values.get("out_of_hours_phone", "") not in crisis.chat_message:
        found.append(Problem("error", "crisis.yaml", "message must give the out-of-hours number"))
    return found


def _check_prompts(values: dict[str, str], root: Path) -> list[Problem]:
    try:
        prompts = load_prompts(values, root / "prompts")
    except KnowledgeError as error:
        return [Problem("error", "prompts", str(error).split(": ", 1)[-1])]
    found = []
    for key in prompts.keys():  # noqa: SIM118 (Prompts is not a dict)
        voice = prompts.get(key).voice
        if re.search(r"https?://|www\.|[*#_`]", voice):
            found.append(Problem("error", "prompts", f"{key}: voice text has a link or Markdown"))
    return found
