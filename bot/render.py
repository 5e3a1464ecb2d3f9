"""The core's replies as Telegram messages: HTML text, inline menus, the "Share my number" keyboard.

Every message is a plain JSON payload (``text``, ``parse_mode``, ``reply_markup``), the same
shape whether it is sent at once or waits in the outbox. Text goes with HTML parse mode and
every value is escaped (the core's words, article text, titles, link addresses); the little
Markdown the words use (bold, list items) becomes HTML. A menu's buttons carry the option ids
as callback data. A phone question brings up a reply keyboard with a "Share my number" button,
which the next reply that does not ask for a number takes away. Articles turn their Markdown
(headings, lists, bold) into HTML and are split under Telegram's 4,096-character limit between
paragraphs, with their sources as links.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from handlers.dialog import Ask, Menu, Reply, ShowArticle

MAX_MESSAGE_CHARACTERS = 4096
PARSE_MODE = "HTML"
SKIP_OPTION = "skip"
Payload = dict[str, Any]
REMOVE_KEYBOARD: Payload = {"remove_keyboard": True}

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\d{1,3})[.)]\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


class Words(Protocol):
    """Prompts by key (``knowledge.prompts.Prompts`` satisfies this)."""

    def text(self, key: str, channel: str = "chat", **values: str) -> str:
        """A prompt's words, with run-time values filled in."""
        ...


def render(
    replies: Sequence[Reply], words: Words, *, keyboard_showing: bool = False
) -> list[Payload]:
    """Messages for a batch of replies, in order.

    ``keyboard_showing``: a "Share my number" keyboard is still up. Unless this batch asks for
    a phone number again, it is taken away by the first message without buttons of its own,
    or by a short "Thank you." before messages that all carry buttons.
    """
    messages: list[Payload] = []
    for reply in replies:
        messages.extend(_messages(reply, words))
    if keyboard_showing and not asks_for_phone(replies):
        plain = next((message for message in messages if "reply_markup" not in message), None)
        if plain is not None:
            plain["reply_markup"] = dict(REMOVE_KEYBOARD)
        else:
            messages.insert(0, text_message(words.text("chat_noted"), dict(REMOVE_KEYBOARD)))
    return messages


def asks_for_phone(replies: Sequence[Reply]) -> bool:
    """True when the batch asks for a phone number (and so shows the share keyboard)."""
    return any(isinstance(reply, Ask) and reply.expect == "phone" for reply in replies)


def text_message(text: str, markup: Payload | None = None) -> Payload:
    """One message of the core's or the adapter's own words, escaped, line breaks kept."""
    return html_message(format_text(text), markup)


def format_text(text: str) -> str:
    """Escaped text with the little Markdown the words use: **bold** and "- " list items."""
    lines = []
    for line in text.split("\n"):
        bullet = _BULLET.match(line.strip())
        body = _BOLD.sub(r"<b>\1</b>", escape(bullet.group(1) if bullet else line))
        lines.append(f"• {body}" if bullet else body)
    return "\n".join(lines)


def html_message(text: str, markup: Payload | None = None) -> Payload:
    """One message whose HTML is already built and escaped."""
    message: Payload = {"text": text, "parse_mode": PARSE_MODE}
    if markup is not None:
        message["reply_markup"] = markup
    return message


def share_number_keyboard(words: Words) -> Payload:
    """A one-button keyboard that sends the carer's own number, then hides itself."""
    button = {"text": words.text("chat_share_number"), "request_contact": True}
    return {"keyboard": [[button]], "resize_keyboard": True, "one_time_keyboard": True}


def inline_buttons(buttons: Iterable[tuple[str, str]]) -> Payload:
    """Inline buttons (label, callback data), one per row: the Bot API's ``reply_markup``."""
    return {
        "inline_keyboard": [[{"text": label, "callback_data": data}] for label, data in buttons]
    }


def escape(text: str) -> str:
    """Text safe inside Telegram HTML."""
    return html.escape(text, quote=False)


def _messages(reply: Reply, words: Words) -> list[Payload]:
    if isinstance(reply, ShowArticle):
        return [html_message(chunk) for chunk in article_chunks(reply)]
    markup: Payload | None = None
    if isinstance(reply, Menu):
        markup = inline_buttons((option.label, option.id) for option in reply.options)
    elif isinstance(reply, Ask) and reply.expect == "phone":
        markup = share_number_keyboard(words)
    elif isinstance(reply, Ask) and reply.skippable:
        markup = inline_buttons([(words.text("option_skip"), SKIP_OPTION)])
    return _long_text(reply.text, markup)


def _long_text(text: str, markup: Payload | None) -> list[Payload]:
    """Words over the limit go in several messages, split between paragraphs; buttons last."""
    html_text = format_text(text)
    if _length(html_text) <= MAX_MESSAGE_CHARACTERS:
        return [html_message(html_text, markup)]
    paragraphs = [paragraph.split("\n") for paragraph in html_text.split("\n\n")]
    chunks = list(_pack(paragraphs, MAX_MESSAGE_CHARACTERS))
    return [
        html_message(chunk, markup if number == len(chunks) else None)
        for number, chunk in enumerate(chunks, start=1)
    ]


def article_chunks(article: ShowArticle, limit: int = MAX_MESSAGE_CHARACTERS) -> list[str]:
    """The article as HTML messages, each under ``limit``, split between paragraphs."""
    paragraphs = [[f"<b>{escape(article.title)}</b>"], *_markdown_paragraphs(article.body)]
    paragraphs.append(_sources(article))
    return list(_pack(paragraphs, limit))


def _markdown_paragraphs(body: str) -> Iterator[list[str]]:
    """Paragraphs of HTML lines: headings in bold, each list item on its own line."""
    for block in re.split(r"\n\s*\n", body.strip()):
        lines: list[tuple[str, str]] = []
        for raw in block.splitlines():
            line = raw.strip()
            if heading := _HEADING.match(line):
                lines.append(("heading", heading.group(1)))
            elif bullet := _BULLET.match(line):
                lines.append(("item", f"• {bullet.group(1)}"))
            elif numbered := _NUMBERED.match(line):
                lines.append(("item", f"{numbered.group(1)}. {numbered.group(2)}"))
            elif lines and lines[-1][0] != "heading":
                kind, text = lines[-1]
                lines[-1] = (kind, f"{text} {line}")
            elif line:
                lines.append(("text", line))
        yield [
            f"<b>{_inline(text)}</b>" if kind == "heading" else _inline(text)
            for kind, text in lines
        ]


def _inline(text: str) -> str:
    """Escape, then bold and links (the only inline Markdown the articles use)."""
    escaped = escape(text)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _LINK.sub(
        lambda match: (
            f'<a href="{html.escape(html.unescape(match.group(2)))}">{match.group(1)}</a>'
        ),
        escaped,
    )


def _sources(article: ShowArticle) -> list[str]:
    """The footer's heading, the sources as links, then the rest of the footer."""
    heading, _, rest = article.footer.partition("\n")
    lines = [escape(heading)] if heading else []
    lines += [
        f'• <a href="{html.escape(url)}">{escape(title)}</a>' for title, url in article.sources
    ]
    lines += [escape(line) for line in rest.splitlines() if line.strip()]
    return lines


def _pack(paragraphs: Iterable[list[str]], limit: int) -> Iterator[str]:
    """Fill messages paragraph by paragraph; a paragraph too long alone goes line by line."""
    current = ""
    for paragraph in paragraphs:
        if not paragraph:
            continue
        for piece in _fitting(paragraph, limit):
            joined = f"{current}\n\n{piece}" if current else piece
            if _length(joined) <= limit:
                current = joined
            else:
                yield current
                current = piece
    if current:
        yield current


def _fitting(lines: list[str], limit: int) -> Iterator[str]:
    """The paragraph whole if it fits, else runs of its lines (a too-long line split by words)."""
    whole = "\n".join(lines)
    if _length(whole) <= limit:
        yield whole
        return
    run = ""
    for line in lines:
        for part in _split_line(line, limit):
            joined = f"{run}\n{part}" if run else part
            if _length(joined) <= limit:
                run = joined
            else:
                yield run
                run = part
    if run:
        yield run


def _split_line(line: str, limit: int) -> Iterator[str]:
    """A line longer than a message: its plain text (tags dropped), cut between words."""
    if _length(line) <= limit:
        yield line
        return
    part = ""
    for word in re.sub(r"<[^>]+>", "", line).split():
        if part and _length(f"{part} {word}") > limit:
            yield part
            part = ""
        part = f"{part} {word}" if part else word[:limit]
    if part:
        yield part


def _length(text: str) -> int:
    """Telegram counts UTF-16 code units; tags are counted too, which only errs on the safe side."""
    return len(text.encode("utf-16-le")) // 2
