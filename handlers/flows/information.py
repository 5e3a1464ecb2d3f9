"""Information and advice (L14, K9).

A question in the carer's own words, or a subject menu for keypad callers; the answer from the
knowledge base (phone: the voice summary; chat: the full article); "Did that help?"; then a text
message of it, another question, a call back or the menu.

When the search is unsure it offers its two or three closest answers; when nothing fits it says
so, offers a person, and records the question for content editors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from handlers.commands import RecordFeedback, RecordUnanswered
from handlers.dialog import Event, Said, ShowArticle
from handlers.engine import Choice, Node, Turn
from handlers.flows.nodes import MenuNode, PhoneNode, yes_no
from handlers.phones import can_take_texts
from knowledge.loader import Article

MAX_QUESTION_CHARACTERS = 500
MAX_LISTED = 7


class Ask(MenuNode):
    """Ask for the question; keypad callers (and chat buttons) can pick a subject instead."""

    def __init__(self) -> None:
        super().__init__("information.ask", "info_ask", ())

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """One choice per subject group."""
        groups = turn.context.knowledge.topics.groups
        return [
            Choice(
                f"group-{group}", "info_subject", _open_group(group), str(number), {"label": label}
            )
            for number, (group, label) in enumerate(groups.items(), start=1)
        ]

    def handle(self, turn: Turn, event: Event) -> None:
        """A subject chosen by key or button; anything said or typed is a question."""
        if isinstance(event, Said) and event.text.strip():
            answer_question(turn, event.text.strip()[:MAX_QUESTION_CHARACTERS])
            return
        super().handle(turn, event)


def _open_group(group: str) -> Callable[[Turn], None]:
    def open_group(turn: Turn) -> None:
        turn.answers["group"] = group
        turn.goto("information.group")

    return open_group


def answer_question(turn: Turn, question: str) -> None:
    """Search, then answer, clarify, or say we don't know and offer a person."""
    knowledge = turn.context.knowledge
    found = knowledge.search(question, limit=3)
    if found.clarify:
        turn.command(RecordUnanswered(question, turn.now, clarify_offered=True))
        turn.answers["article_choices"] = [hit.article_id for hit in found.choices]
        turn.goto("information.clarify")
    elif found.best is not None:
        show_article(turn, knowledge.articles[found.best.article_id])
    else:
        turn.command(RecordUnanswered(question, turn.now))
        turn.say("search_not_found")
        turn.goto("information.not_found")


def show_article(turn: Turn, article: Article) -> None:
    """The answer: the voice summary on the phone, the whole article in chat."""
    turn.answers["article"] = article.id
    if turn.medium == "voice":
        turn.say_text(article.voice_summary)
    else:
        footer = turn.text("article_reviewed", reviewed=article.reviewed.strftime("%-d %B %Y"))
        turn.replies.append(
            ShowArticle(
                article.id,
                article.title,
                article.body,
                tuple((source.title, source.url) for source in article.sources),
                f"{turn.text('article_sources')}\n{footer}",
            )
        )
    turn.goto("information.helped")


class Group(MenuNode):
    """The topics under one subject."""

    def __init__(self) -> None:
        super().__init__("information.group", "info_group", ())

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """One choice per topic in the chosen group."""
        topics = turn.context.knowledge.topics.in_group(str(turn.answers.get("group")))
        return [
            Choice(
                topic.id, "info_subject", _open_topic(topic.id), str(number), {"label": topic.label}
            )
            for number, topic in enumerate(topics, start=1)
        ]


def _open_topic(topic: str) -> Callable[[Turn], None]:
    def open_topic(turn: Turn) -> None:
        articles = [a.id for a in turn.context.knowledge.articles.values() if a.topic == topic]
        if len(articles) == 1:
            show_article(turn, turn.context.knowledge.articles[articles[0]])
            return
        turn.answers["article_choices"] = articles
        turn.goto("information.articles")

    return open_topic


class ArticleChoice(MenuNode):
    """Pick one article from a short list (a subject's articles, or the search's closest)."""

    def __init__(self, node_id: str, prompt: str) -> None:
        super().__init__(node_id, prompt, ())

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """The listed articles, then "none of these"."""
        articles = turn.context.knowledge.articles
        listed = [articles[i] for i in turn.answers.get("article_choices", []) if i in articles]
        choices = [
            Choice(
                article.id,
                "info_subject",
                _open_article(article.id),
                str(number),
                {"label": article.title},
            )
            for number, article in enumerate(listed[:MAX_LISTED], start=1)
        ]
        choices.append(Choice("none", "info_none_of_these", _none_fit, str(MAX_LISTED + 1)))
        return choices


def _open_article(article_id: str) -> Callable[[Turn], None]:
    def open_article(turn: Turn) -> None:
        show_article(turn, turn.context.knowledge.articles[article_id])

    return open_article


def _none_fit(turn: Turn) -> None:
    turn.say("search_not_found")
    turn.goto("information.not_found")


def _helped(value: bool) -> Callable[[Turn], None]:
    def record(turn: Turn) -> None:
        turn.command(RecordFeedback(str(turn.answers.get("article")), value, turn.now))
        turn.say("info_thanks_feedback" if value else "info_sorry_feedback")
        turn.goto("information.next")

    return record


class Next(MenuNode):
    """After an answer: a text of it (phone), another question, a call back, the menu."""

    def __init__(self) -> None:
        super().__init__("information.next", "what_next", ())

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """The text-message choice is for phone callers only."""
        choices = []
        if turn.medium == "voice":
            choices.append(Choice("sms", "info_option_sms", _send_sms, "1"))
        choices += [
            Choice("another", "info_option_another", "information.ask", "2"),
            Choice("callback", "option_callback", "callback.reason", "3"),
            Choice("menu", "option_main_menu", "main.menu", "4"),
        ]
        return choices


def _send_sms(turn: Turn) -> None:
    if turn.answers.get("sms_phone"):
        _queue_sms(turn)
    else:
        turn.goto("information.sms_phone")


def _queue_sms(turn: Turn) -> None:
    article = turn.context.knowledge.articles[str(turn.answers.get("article"))]
    recipient = str(turn.answers.get("sms_phone"))
    if not can_take_texts(recipient):
        turn.answers.pop("sms_phone", None)
        declined = turn.answers.setdefault("_declined_caller_id", [])
        if "sms_phone" not in declined:
            declined.append("sms_phone")
        turn.no_match(key="text_not_mobile")
        return
    link = article.sources[0].url if article.sources else turn.context.profile.website
    text = turn.context.knowledge.prompts.text(
        "text_article", "chat", title=article.title, summary=article.voice_summary, link=link
    )
    dedupe_key = f"info-sms:{recipient}:{article.id}:{turn.now.isoformat()}"
    if turn.queue_text(recipient, text, dedupe_key):
        turn.say("info_sms_sent")
    else:
        turn.say("limit_texts_reached")
    turn.goto("information.next", remember=False)


class NotFound(MenuNode):
    """Nothing fitted: a call back, another try, or the menu."""

    def __init__(self) -> None:
        super().__init__(
            "information.not_found",
            "what_next",
            (
                Choice("callback", "option_callback", "callback.reason", "1"),
                Choice("another", "info_option_try_again", "information.ask", "2"),
                Choice("menu", "option_main_menu", "main.menu", "3"),
            ),
        )


NODES: tuple[Node, ...] = (
    Ask(),
    Group(),
    ArticleChoice("information.articles", "info_pick_article"),
    ArticleChoice("information.clarify", "search_clarify"),
    yes_no("information.helped", "info_helped", _helped(True), _helped(False)),
    Next(),
    NotFound(),
    PhoneNode("information.sms_phone", "sms_phone", _queue_sms, prompt="info_sms_phone"),
)
