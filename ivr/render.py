"""The core's replies as TwiML: spoken on the phone line, or sent as text messages.

Voice: each reply's words are spoken slowly in the configured voice, long passages in short
pieces with pauses, phone numbers digit by digit. The reply that waits for the caller decides
the verb: a menu or question becomes ``<Gather>`` (keys and speech, silence reported as an
empty result), a voice message ``<Record>``, a transfer ``<Dial>`` with call screening, the end
``<Hangup>``. Every ``<Gather>`` and ``<Record>`` is followed by a ``<Redirect>`` to the same
step, so Twilio's fall-through (an empty recording skips the action) still reaches the core.

Every action URL carries the call's step number, so a retried webhook is recognised and
answered exactly as the first time (the same replies and step give the same bytes).

Text messages: numbered choices instead of buttons ("Reply 1 for ..."), plain text instead of
Markdown, split at paragraph or sentence boundaries into messages Twilio sends whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.twiml import voice_response as twiml  # type: ignore[import-untyped]
from twilio.twiml.messaging_response import MessagingResponse  # type: ignore[import-untyped]

from handlers.dialog import (
    Ask,
    End,
    Menu,
    Record,
    Reply,
    ShowArticle,
    Transfer,
)
from handlers.phones import clean_phone, dialable, spoken_phone
from knowledge.prompts import Prompts

SPEAKING_RATE = "90%"
MENU_TIMEOUT_SECONDS = 6
KEYPAD_TIMEOUT_SECONDS = 10
RECORD_SILENCE_SECONDS = 8
SCREEN_TIMEOUT_SECONDS = 10
FAIL_SAFE_MAX_SECONDS = 180
MAX_SPOKEN_PIECE = 280
MAX_HINTS = 50
MAX_HINT_CHARACTERS = 100
MAX_HEARD_CHARACTERS = 300
MAX_SMS_CHARACTERS = 1500
SSML_VOICES = ("Polly.", "Google.")
DIGIT_HINTS = {"phone": "$OOV_CLASS_FULLPHONENUM", "digits": "$OOV_CLASS_DIGIT_SEQUENCE"}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LEAD_IN = re.compile(r"^(if|for|to)\s+", re.IGNORECASE)  # "For information" -> "information"
_DIGIT_RUN = re.compile(r"(?<![\w£$.,:/-])\d+(?: \d+)*(?![\w.,:/-]\d|\w)")
_YEAR = re.compile(r"(19|20)\d\d")


@dataclass(frozen=True)
class Position:
    """Where a call is: its next step's number, and how many silent turns came just before.

    Both travel in every action URL (``n`` and ``q``), which Twilio signs, so the adapter keeps
    no state between webhooks.
    """

    step: int
    quiet: int = 0

    def query(self) -> dict[str, str | int]:
        """The URL parameters: ``n``, and ``q`` when there has been silence."""
        return {"n": self.step, "q": self.quiet} if self.quiet else {"n": self.step}


@dataclass(frozen=True)
class Links:
    """Absolute URLs of the phone line's routes, under the public base URL Twilio calls."""

    base_url: str

    def url(self, path: str, **query: str | int) -> str:
        """``base_url`` + ``path``, with the query string in a fixed order."""
        base = self.base_url.rstrip("/")
        return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")

    def step(self, at: Position) -> str:
        """Where the caller's answer at this position goes."""
        return self.url("/ivr/step", **at.query())

    def confirm(self, at: Position, heard: str) -> str:
        """Where the answer to "Did you say ...?" goes, carrying what was heard."""
        return self.url("/ivr/confirm", **at.query(), heard=heard[:MAX_HEARD_CHARACTERS])

    def recording(self, at: Position) -> str:
        """The ``<Record>`` action at this position."""
        return self.url("/ivr/recording", **at.query())

    def dial_result(self, at: Position, then: Sequence[str] = (), wait: int | None = None) -> str:
        """The ``<Dial>`` action, with the staff numbers still to try and how long to ring."""
        if then and wait:
            return self.url("/ivr/dial-result", **at.query(), then=",".join(then), wait=wait)
        return self.url("/ivr/dial-result", **at.query())


def e164(number: str) -> str | None:
    """A staff number as Twilio dials it ("07700 900101" -> "+447700900101"), or None.

    The toll-fraud guard (``handlers.phones.dialable``) decides: UK landlines, mobiles and
    freephone only, never premium or service rates. Transfers never go abroad.
    """
    return dialable(number)


def speakable(text: str) -> str:
    """Words a speech engine reads as a person would: numbers like 999 digit by digit.

    "999" would otherwise be "nine hundred and ninety-nine". Runs of three or more digits
    (phone numbers, 999, 116 123) are spelled out in their groups; years, money and times are
    left alone.
    """

    def spell(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = run.replace(" ", "")
        groups = run.split(" ")
        if len(digits) < 3 or _YEAR.fullmatch(run) or all(len(group) == 1 for group in groups):
            return run
        phone = clean_phone(digits) if digits.startswith("0") else None
        if phone is not None:
            return spoken_phone(phone)
        return ", ".join(" ".join(group) for group in groups)

    return _DIGIT_RUN.sub(spell, text)


def spoken_pieces(text: str) -> list[str]:
    """Sentences grouped into pieces short enough to follow, with a pause between pieces."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(" ".join(text.split())):
        if pieces and len(pieces[-1]) + len(sentence) < MAX_SPOKEN_PIECE:
            pieces[-1] = f"{pieces[-1]} {sentence}"
        elif sentence:
            pieces.append(sentence)
    return pieces


class VoiceRenderer:
    """Replies to TwiML for one deployment's voice, language and prompts."""

    def __init__(self, links: Links, prompts: Prompts, voice: str, language: str) -> None:
        self.links = links
        self.prompts = prompts
        self.voice = voice
        self.language = language
        self.failsafe = self._failsafe()
        self.failsafe_thanks = self._goodbye("phone_failsafe_thanks")
        self.failsafe_no_message = self._goodbye("phone_failsafe_no_message")
        self.screening = self._screening()
        self.screening_declined = self._goodbye("phone_staff_declined")
        self.silent_goodbye = self._goodbye("phone_silent_goodbye")
        self.empty = twiml.VoiceResponse().to_xml()

    def text(self, key: str, **values: str) -> str:
        """A phone prompt's spoken words."""
        return self.prompts.text(key, "voice", **values)

    def replies(self, replies: Sequence[Reply], at: Position) -> str:
        """TwiML for the core's replies; the caller's next input comes at ``at``."""
        response = twiml.VoiceResponse()
        waiting = next((reply for reply in reversed(replies) if isinstance(reply, _WAITS)), None)
        for reply in replies:
            if reply is not waiting:
                self._speak(response, _words(reply))
        if isinstance(waiting, Menu):
            gather = self._gather(response, at, **_menu_keys(waiting))
            self._speak(gather, waiting.text)
            response.redirect(self.links.step(at), method="POST")
        elif isinstance(waiting, Ask):
            gather = self._gather(response, at, **_ask_keys(waiting))
            self._speak(gather, waiting.text)
            response.redirect(self.links.step(at), method="POST")
        elif isinstance(waiting, Record):
            self._speak(response, waiting.text)
            self._record(response, self.links.recording(at), waiting.max_seconds)
            response.redirect(self.links.step(at), method="POST")
        elif isinstance(waiting, Transfer):
            self._speak(response, waiting.text)
            self._speak(response, self.text("phone_transfer_if_no_answer"))
            self._dial(response, [n for n in map(e164, waiting.numbers) if n], at, waiting)
        elif isinstance(waiting, End):
            self._speak(response, waiting.text)
            response.hangup()
        else:
            # Nothing asked a question: listen anyway, so the caller is never left in silence.
            self._gather(response, at, finish_on_key="", num_digits=1)
            response.redirect(self.links.step(at), method="POST")
        return str(response.to_xml())

    def confirm(self, heard: str, at: Position) -> str:
        """Ask "Did you say ...?": 1 (or "yes") acts on it, anything else asks again."""
        response = twiml.VoiceResponse()
        gather = response.gather(
            input="dtmf speech",
            action=self.links.confirm(at, heard),
            method="POST",
            language=self.language,
            action_on_empty_result=True,
            timeout=MENU_TIMEOUT_SECONDS,
            speech_timeout="auto",
            num_digits=1,
            finish_on_key="",
            hints=_hints(self._words_of("option_yes") + self._words_of("option_no")),
        )
        self._speak(gather, self.text("phone_did_you_say", heard=heard[:MAX_HEARD_CHARACTERS]))
        response.redirect(self.links.confirm(at, heard), method="POST")
        return str(response.to_xml())

    def next_number(self, numbers: Sequence[str], at: Position, timeout: int) -> str:
        """The last staff number did not take the call: try the next one."""
        response = twiml.VoiceResponse()
        self._speak(response, self.text("phone_transfer_still_trying"))
        allowed = [number for number in map(e164, numbers) if number]
        if not allowed:
            response.redirect(self.links.dial_result(at), method="POST")
            return str(response.to_xml())
        self._dial_numbers(response, allowed, at, timeout)
        return str(response.to_xml())

    def _words_of(self, key: str) -> list[str]:
        return list(self.prompts.get(key).words)

    def _speak(self, parent: twiml.VoiceResponse | twiml.Gather, text: str) -> None:
        for number, piece in enumerate(spoken_pieces(speakable(text))):
            if number:
                parent.pause(length=1)
            if self.voice.startswith(SSML_VOICES):
                say = twiml.Say(voice=self.voice, language=self.language)
                say.prosody(piece, rate=SPEAKING_RATE)
            else:
                say = twiml.Say(piece, voice=self.voice, language=self.language)
            parent.append(say)

    def _gather(self, response: twiml.VoiceResponse, at: Position, **keys: object) -> twiml.Gather:
        return response.gather(
            input="dtmf speech",
            action=self.links.step(at),
            method="POST",
            language=self.language,
            action_on_empty_result=True,
            speech_timeout="auto",
            **keys,
        )

    def _record(self, response: twiml.VoiceResponse, action: str, max_seconds: int) -> None:
        response.record(
            action=action,
            method="POST",
            max_length=max_seconds,
            timeout=RECORD_SILENCE_SECONDS,
            finish_on_key="#",
            play_beep=True,
            trim="trim-silence",
            transcribe=True,
            transcribe_callback=self.links.url("/ivr/transcription"),
            recording_status_callback=self.links.url("/ivr/recording-status"),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )

    def _dial(
        self,
        response: twiml.VoiceResponse,
        numbers: Sequence[str],
        at: Position,
        transfer: Transfer,
    ) -> None:
        if not numbers:
            response.redirect(self.links.dial_result(at), method="POST")
            return
        self._dial_numbers(response, numbers, at, transfer.timeout_seconds)

    def _dial_numbers(
        self, response: twiml.VoiceResponse, numbers: Sequence[str], at: Position, timeout: int
    ) -> None:
        """Ring one staff number; the action carries the rest, to be tried in order.

        Never all at once: one voicemail answering would end the transfer for everyone.
        """
        dial = response.dial(
            action=self.links.dial_result(at, numbers[1:], timeout),
            method="POST",
            timeout=timeout,
            answer_on_bridge=True,
        )
        dial.number(numbers[0], url=self.links.url("/ivr/screen"), method="POST")

    def _failsafe(self) -> str:
        """Built once at start-up: the emergency numbers, then a message for a call back."""
        response = twiml.VoiceResponse()
        self._speak(response, self.text("phone_failsafe_apology"))
        self._speak(response, self.text("phone_failsafe_record"))
        self._record(response, self.links.url("/ivr/failsafe-recording"), FAIL_SAFE_MAX_SECONDS)
        self._speak(response, self.text("phone_failsafe_no_message"))
        response.hangup()
        return str(response.to_xml())

    def _goodbye(self, key: str) -> str:
        response = twiml.VoiceResponse()
        self._speak(response, self.text(key))
        response.hangup()
        return str(response.to_xml())

    def _screening(self) -> str:
        """What a staff member hears on answering: press 1, so a voicemail cannot take it."""
        response = twiml.VoiceResponse()
        gather = response.gather(
            input="dtmf",
            num_digits=1,
            timeout=SCREEN_TIMEOUT_SECONDS,
            action=self.links.url("/ivr/screen-result"),
            method="POST",
            action_on_empty_result=True,
        )
        self._speak(gather, self.text("phone_staff_whisper"))
        gather.pause(length=1)
        self._speak(gather, self.text("phone_staff_whisper"))
        self._speak(response, self.text("phone_staff_declined"))
        response.hangup()
        return str(response.to_xml())


_WAITS = (Menu, Ask, Record, Transfer, End)


def _words(reply: Reply) -> str:
    if isinstance(reply, ShowArticle):
        return f"{reply.title}. {plain_text(reply.body)}"
    return reply.text


def _menu_keys(menu: Menu) -> dict[str, object]:
    """One key chooses (every key is sent at once, "#" too, for questions that can be skipped)."""
    labels = [_LEAD_IN.sub("", option.label) for option in menu.options]
    keys: dict[str, object] = {
        "timeout": MENU_TIMEOUT_SECONDS,
        "finish_on_key": "",
        "hints": _hints([*menu.hints, *labels]),
    }
    if all(len(option.digit or "") <= 1 for option in menu.options):
        keys["num_digits"] = 1
    return keys


def _ask_keys(ask: Ask) -> dict[str, object]:
    """Numbers end with "#" (Twilio keeps the key to itself); any single key answers the rest.

    For a free answer "#" arrives at once, and the core takes it as "skip" where the question
    allows; "*", "0" and "9" reach the core's global rules the same way.
    """
    if ask.expect in DIGIT_HINTS:
        keys: dict[str, object] = {
            "timeout": KEYPAD_TIMEOUT_SECONDS,
            "finish_on_key": "#",
            "hints": DIGIT_HINTS[ask.expect],
        }
        if ask.max_digits:
            keys["num_digits"] = ask.max_digits
        return keys
    return {"timeout": MENU_TIMEOUT_SECONDS, "finish_on_key": "", "num_digits": 1}


def _hints(phrases: Iterable[str]) -> str:
    """Speech hints: distinct phrases, each short enough for Twilio, commas removed."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        cleaned = " ".join(phrase.replace(",", " ").split())[:MAX_HINT_CHARACTERS]
        if cleaned:
            seen.setdefault(cleaned.lower(), None)
    return ", ".join(list(seen)[:MAX_HINTS])


_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_HEADING = re.compile(r"^#{1,6}\s*", re.MULTILINE)
_BULLET = re.compile(r"^\s*[*+]\s+", re.MULTILINE)
_QUOTE = re.compile(r"^>\s?", re.MULTILINE)
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2022": "-",
        "\u00a0": " ",
        "\u2026": "...",
    }
)


def plain_text(markdown: str) -> str:
    """Markdown as plain text: links as "words (address)", no emphasis marks or heading signs.

    Curly quotes and dashes become plain ones, so a text message stays in the basic character
    set (which fits 160 characters to a part rather than 70).
    """
    text = _MARKDOWN_LINK.sub(
        lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})",
        markdown,
    )
    text = _EMPHASIS.sub(r"\2", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("- ", text)
    text = _QUOTE.sub("", text)
    return text.translate(_TYPOGRAPHY).strip()


def split_message(text: str, limit: int = MAX_SMS_CHARACTERS) -> list[str]:
    """Split at paragraph breaks, then sentence ends, then spaces, each part within ``limit``."""
    parts: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        for piece in _fit(paragraph, limit):
            if parts and len(parts[-1]) + 2 + len(piece) <= limit:
                parts[-1] = f"{parts[-1]}\n\n{piece}"
            else:
                parts.append(piece)
    return parts


def _fit(paragraph: str, limit: int) -> list[str]:
    if len(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    for unit in _SENTENCE_END.split(paragraph):
        words = [unit] if len(unit) <= limit else unit.split()
        for word in words:
            while len(word) > limit:
                pieces.append(word[:limit])
                word = word[limit:]
            if pieces and len(pieces[-1]) + 1 + len(word) <= limit:
                pieces[-1] = f"{pieces[-1]} {word}"
            else:
                pieces.append(word)
    return pieces


class TextRenderer:
    """Replies as text messages (``<Message>`` verbs in a ``MessagingResponse``)."""

    def __init__(self, prompts: Prompts) -> None:
        self.prompts = prompts
        self.failsafe = self.response([self.prompts.text("sms_failsafe", "chat")])
        self.empty = MessagingResponse().to_xml()

    def messages(self, replies: Sequence[Reply]) -> list[str]:
        """The replies as the texts the carer receives, in order."""
        blocks = [self._block(reply) for reply in replies]
        return split_message(plain_text("\n\n".join(block for block in blocks if block)))

    def replies(self, replies: Sequence[Reply]) -> str:
        """TwiML for the replies."""
        return self.response(self.messages(replies))

    def response(self, messages: Sequence[str]) -> str:
        """TwiML sending these texts."""
        response = MessagingResponse()
        for message in messages:
            response.message(message)
        return str(response.to_xml())

    def _block(self, reply: Reply) -> str:
        if isinstance(reply, Menu):
            lines = [reply.text]
            for option in reply.options:
                key = "sms_reply_digit" if option.digit else "sms_reply_words"
                lines.append(
                    self.prompts.text(key, "chat", digit=option.digit or "", label=option.label)
                )
            return "\n".join(lines)
        if isinstance(reply, Ask) and reply.skippable:
            return f"{reply.text}\n{self.prompts.text('sms_reply_skip', 'chat')}"
        if isinstance(reply, ShowArticle):
            sources = "\n".join(f"- {title}: {url}" for title, url in reply.sources)
            return "\n\n".join(
                part for part in (reply.title, reply.body, reply.footer, sources) if part
            )
        return reply.text
