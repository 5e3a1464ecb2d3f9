"""Plain-text rendering of a search answer, as a chat user would read it (used by ``ask``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.search import Answer

if TYPE_CHECKING:
    from knowledge.base import KnowledgeBase


def render_chat_answer(kb: KnowledgeBase, answer: Answer) -> str:
    """The reply a chat user would get for this answer."""
    prompts = kb.prompts
    if answer.urgent:
        return kb.crisis.chat_message
    if answer.out_of_scope:
        return prompts.text("search_not_found")
    if answer.clarify:
        lines = [prompts.text("search_clarify")]
        lines += [f"{number}. {hit.title}" for number, hit in enumerate(answer.choices, start=1)]
        return "\n".join(lines)
    article = kb.articles[answer.hits[0].article_id]
    lines = [article.title, "", article.body, "", prompts.text("article_sources")]
    lines += [f"- {source.title}: {source.url}" for source in article.sources]
    lines.append(prompts.text("article_reviewed", reviewed=article.reviewed.strftime("%-d %B %Y")))
    return "\n".join(lines)
