"""The loader refuses bad articles with messages naming the file and the field."""

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.base import load_knowledge
from knowledge.check import check_knowledge
from knowledge.loader import ARTICLES_DIR, KNOWLEDGE_DIR, KnowledgeError, load_topics, parse_article

SHARED_TOPICS = Path(__file__).resolve().parents[3] / "shared" / "topics.yaml"
GOOD = ARTICLES_DIR / "carers-allowance-who-can-get.md"


def article_text(**changes) -> str:
    text = GOOD.read_text()
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front)
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---" + body


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topic": "gardening"}, "field 'topic' has unknown topic id 'gardening'"),
        ({"related": ["carers-credit", "cooking"]}, "field 'related' must list known topic ids"),
        ({"phrases": None}, "field 'phrases' is missing or empty"),
        ({"voice_summary": None}, "field 'voice_summary' is missing or empty"),
        ({"reviewed": "last spring"}, "field 'reviewed' must be a date"),
        ({"sources": [{"title": "A blog", "url": "http://example.org"}]}, "field 'sources'"),
        ({"id": "Not_Kebab"}, "field 'id' must be kebab-case"),
    ],
)
def test_bad_front_matter_is_named(tmp_path, values, changes, message):
    path = write(tmp_path, GOOD.name, article_text(**changes))
    topics = load_topics()
    with pytest.raises(KnowledgeError, match=f"^{GOOD.name}: .*") as raised:
        parse_article(path, values, topics.ids())
    assert message in str(raised.value)


def test_missing_front_matter_is_refused(tmp_path, values):
    path = write(tmp_path, "plain.md", "Just some text")
    with pytest.raises(KnowledgeError, match="must start with YAML front matter"):
        parse_article(path, values, load_topics().ids())


def test_placeholders_are_filled_from_the_profile(kb, values):
    article = kb.articles["service-opening-hours-and-contact"]
    assert "{{" not in article.body
    assert values["main_phone"] in article.body
    assert "{{main_phone}}" in article.raw_body


def test_the_knowledge_base_refuses_to_load_with_a_broken_article(tmp_path, values):
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES_DIR, articles)
    (articles / GOOD.name).write_text(article_text(topic="gardening"))
    with pytest.raises(KnowledgeError, match=GOOD.name):
        load_knowledge(values, articles_dir=articles)


def test_every_topic_in_the_shared_list_is_known_and_covered(kb):
    if SHARED_TOPICS.exists():
        shared = {entry["id"] for entry in yaml.safe_load(SHARED_TOPICS.read_text())}
        assert kb.topics.ids() == shared
    covered = {article.topic for article in kb.articles.values()}
    assert covered == kb.topics.ids()
    assert len(kb.articles) >= 80


def test_kb_check_passes_on_the_shipped_content(values):
    from datetime import date

    problems = check_knowledge(values, date(2026, 11, 23))
    assert [str(p) for p in problems if p.level == "error"] == []


def test_kb_check_catches_what_the_loader_allows(tmp_path, values):
    from datetime import date

    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(GOOD, articles)
    long_voice = " ".join(["word"] * 70)
    (articles / GOOD.name).write_text(
        article_text(
            voice_summary=long_voice + " see https://gov.uk",
            review_by=date(2026, 12, 1),
            phrases=["carers allowance"],
        )
        .replace("{{", "{{unknown_")
        .replace("## What to do next", "## Other")
    )
    problems = [
        str(p) for p in check_knowledge(values, date(2026, 11, 23), KNOWLEDGE_DIR, articles)
    ]
    joined = "\n".join(problems)
    assert "has 1 phrases" in joined
    assert "voice_summary has 72 words" in joined
    assert "no links" in joined
    assert "unknown placeholders" in joined
    assert "must end with a '## What to do next' section" in joined
    assert "warning: " + GOOD.name + ": review due by 2026-12-01" in joined
    assert "no article for topic 'dementia'" in joined
    late = [str(p) for p in check_knowledge(values, date(2027, 1, 1), KNOWLEDGE_DIR, articles)]
    assert any("review date 2026-12-01 has passed" in line for line in late)


def test_hard_reading_fails_the_plain_english_check(tmp_path, values):
    from datetime import date

    articles = tmp_path / "articles"
    articles.mkdir()
    dense = (
        "Notwithstanding the aforementioned statutory considerations, eligibility "
        "determinations necessitate comprehensive multidisciplinary evaluation of "
        "individualised circumstances.\n\n## What to do next\nContact the administrative "
        "organisation responsible for determinations."
    )
    (articles / GOOD.name).write_text(
        article_text().split("---", 2)[0]
        + "---"
        + article_text().split("---", 2)[1]
        + "---\n"
        + dense
    )
    problems = [
        str(p) for p in check_knowledge(values, date(2026, 11, 23), KNOWLEDGE_DIR, articles)
    ]
    assert any("reading ease" in line for line in problems)


def test_the_knowledge_base_is_loaded_once_per_process_for_the_same_values(values):
    first = load_knowledge(values)
    assert load_knowledge(dict(values)) is first
    other = dict(values, service_name="Another Carers Service")
    assert load_knowledge(other) is not first
    assert "Another Carers Service" in load_knowledge(other).prompts.text("greeting", "chat")
