"""Terminal simulators: ``carers-line call`` (what a caller hears) and ``carers-line chat``.

They run the real dialog core against the configured store, so a new user can try every flow
without a Twilio or Telegram account. Input and output are injectable for tests.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable

from handlers.dialog import (
    Ask,
    Chose,
    ConversationKey,
    End,
    Event,
    HungUp,
    Keyed,
    Menu,
    NoInput,
    Record,
    Reply,
    Said,
    SharedContact,
    ShowArticle,
    Started,
    Transfer,
    TransferEnded,
)
from handlers.service import DialogService

Read = Callable[[str], str]
Write = Callable[[str], None]
KEYPAD = set("0123456789*#")
QUIT = ("/quit", "/hangup", "/exit")


def run_call(service: DialogService, caller: str | None, read: Read, write: Write) -> None:
    """A phone call: digits are key presses, words are speech, an empty line is silence."""
    write("Phone call. Type digits to press keys, words to speak, Enter for silence, /hangup.")
    key = ConversationKey("terminal", f"call-{uuid.uuid4().hex[:12]}")
    replies = service.handle(key, Started("voice", caller))
    while True:
        for reply in replies:
            write(_voice_line(reply))
        if any(isinstance(reply, End) for reply in replies):
            return
        event = _call_event(replies, read)
        replies = service.handle(key, event)
        if isinstance(event, HungUp):
            write("(you hung up)")
            return


def _voice_line(reply: Reply) -> str:
    if isinstance(reply, Transfer):
        return f"SERVICE: {reply.text}\n  [transferring the call to {', '.join(reply.numbers)}]"
    if isinstance(reply, Record):
        return f"SERVICE: {reply.text}\n  [beep: recording]"
    text = reply.title if isinstance(reply, ShowArticle) else reply.text
    return textwrap.fill(f"SERVICE: {text}", width=96, subsequent_indent="  ")


def _call_event(replies: tuple[Reply, ...], read: Read) -> Event:
    last = replies[-1] if replies else None
    if isinstance(last, Transfer):
        answer = read("  Did a member of staff answer? (y/n) ").strip().lower()
        return TransferEnded(answered=answer.startswith("y"))
    line = read("YOU: ").strip()
    if line.lower() in QUIT:
        return HungUp()
    if not line:
        return NoInput()
    if isinstance(last, Record):
        return Said(line)
    if set(line) <= KEYPAD:
        return Keyed(line)
    return Said(line)


def run_chat(service: DialogService, read: Read, write: Write) -> None:
    """A chat: type words, or a choice's number; /phone NUMBER shares your number; /quit."""
    write("Chat. Type a message, or the number of a choice. /phone 07700 900123 shares a number.")
    key = ConversationKey("terminal", f"chat-{uuid.uuid4().hex[:12]}")
    replies = service.handle(key, Started("chat", None))
    while True:
        options: dict[str, str] = {}
        for reply in replies:
            write(_chat_block(reply, options))
        if any(isinstance(reply, End) for reply in replies):
            return
        line = read("YOU: ").strip()
        if line.lower() in QUIT:
            service.handle(key, HungUp())
            return
        replies = service.handle(key, _chat_event(line, options))


def _chat_block(reply: Reply, options: dict[str, str]) -> str:
    if isinstance(reply, ShowArticle):
        sources = "\n".join(f"  - {title}: {url}" for title, url in reply.sources)
        return f"\n== {reply.title} ==\n{reply.body}\n\n{reply.footer}\n{sources}\n"
    if isinstance(reply, Menu):
        lines = [reply.text]
        for number, option in enumerate(reply.options, start=1):
            options[str(number)] = option.id
            lines.append(f"  [{number}] {option.label}")
        return "\n".join(lines)
    if isinstance(reply, Ask) and reply.skippable:
        options["skip"] = "skip"
        return f"{reply.text}\n  (type 'skip' to skip)"
    if isinstance(reply, Transfer):
        return reply.text
    return textwrap.fill(reply.text, width=96, replace_whitespace=False)


def _chat_event(line: str, options: dict[str, str]) -> Event:
    if line.startswith("/phone "):
        return SharedContact(line.removeprefix("/phone ").strip())
    if line in options:
        return Chose(options[line])
    return Said(line)
