"""The dialog engine: ``step(state, event, context) -> Outcome``, the same for phone and chat.

A conversation sits at one node of one flow. Each event goes through the global rules first
(crisis words divert at once; repeat, back, main menu and "speak to someone" work everywhere),
then to the node. Nodes speak only through prompt keys, so every sentence lives in
``knowledge/prompts/``. ``step`` reads the store only through ``context.lookups`` and never writes:
what must be saved comes back as commands, which ``handlers.service`` applies in the same
transaction as the new state.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.commands import (
    Command,
    Consent,
    CountBlockedContact,
    CountUse,
    EndConversation,
    QueueMessage,
    RefuseUse,
    SaveCallback,
)
from handlers.dialog import (
    Ask,
    Chose,
    ConversationKey,
    End,
    Event,
    Expect,
    HungUp,
    Keyed,
    Medium,
    Menu,
    Option,
    Record,
    Reply,
    Said,
    Say,
    Started,
)
from handlers.hours import DueByRules, WorkingCalendar
from handlers.limits import Action, Subject, Verdict, decide, subjects_of, window_start
from handlers.phones import SPOKEN_DIGITS, clean_phone
from handlers.ports import Lookups, StoredState
from handlers.profile import ServiceProfile, spoken_time
from knowledge.base import KnowledgeBase
from knowledge.text import normalise

MAX_REPROMPTS = 2
START_NODE = "main.start"
PERSON_NODE = "person.offer"
MENU_NODE = "main.menu"
CRISIS_NODE = "crisis.start"
ENDED_NODE = "ended"
REPEAT_KEY, PERSON_KEY, MENU_KEY = "*", "0", "9"
ENTRY_ANSWER = "entry"
"""Where a ``Started`` event's deep link waits until the main menu opens it."""
REFERENCE_ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"
REFERENCE_LENGTH = 6


@dataclass(frozen=True)
class Context:
    """What a step may consult: the deployment, the time, the knowledge base, read-only lookups."""

    profile: ServiceProfile
    calendar: WorkingCalendar
    due_by: DueByRules
    knowledge: KnowledgeBase
    now: datetime
    lookups: Lookups
    randomness: random.Random = field(default_factory=random.SystemRandom)
    conversation: ConversationKey | None = None
    """Which conversation this is (its Telegram chat id counts towards the abuse limits)."""

    @property
    def in_hours(self) -> bool:
        """True while the service is open."""
        return self.calendar.is_open(self.now)

    def new_reference(self, prefix: str) -> str:
        """A short reference a carer can quote, e.g. "C-7KM4PX", unused so far."""
        while True:
            body = "".join(
                self.randomness.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
            )
            reference = f"{prefix}-{body}"
            if not self.lookups.reference_taken(reference):
                return reference


@dataclass
class State:
    """Where a conversation is and what it has gathered; saved between events."""

    node: str
    attempts: int = 0
    medium: Medium = "chat"
    caller: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)

    @classmethod
    def restore(cls, stored: StoredState) -> State:
        """Rebuild from what the store kept."""
        data = stored.data
        return cls(
            node=stored.node,
            attempts=stored.attempts,
            medium="voice" if data.get("medium") == "voice" else "chat",
            caller=data.get("caller"),
            answers=dict(data.get("answers") or {}),
            history=list(data.get("history") or []),
        )

    def stored(self) -> StoredState:
        """What the store keeps."""
        return StoredState(
            node=self.node,
            attempts=self.attempts,
            data={
                "medium": self.medium,
                "caller": self.caller,
                "answers": self.answers,
                "history": self.history[-20:],
            },
        )


@dataclass(frozen=True)
class Outcome:
    """The result of one step."""

    state: State
    replies: tuple[Reply, ...]
    commands: tuple[Command, ...]


Target = str | Callable[["Turn"], None]


@dataclass(frozen=True)
class Choice:
    """A menu option as a flow declares it: label prompt key (with its words), digit, target."""

    id: str
    label: str
    target: Target
    digit: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


class Node:
    """One step of a flow. Subclasses say something on ``enter`` and react in ``handle``."""

    id: str = ""
    takes_digits = False
    entry: str | None = None
    """A chat command that opens this node from anywhere: ``Chose(entry)``, e.g. from /forget."""

    def enter(self, turn: Turn) -> None:
        """Say this node's prompt."""
        raise NotImplementedError

    def handle(self, turn: Turn, event: Event) -> None:
        """React to the carer's input."""
        raise NotImplementedError

    def offers_digit(self, turn: Turn, digit: str) -> bool:
        """True when this node gives ``digit`` a meaning of its own (it then wins over 0 and 9)."""
        return False


class Turn:
    """One step in progress: the replies and commands so far, and helpers for nodes."""

    def __init__(self, state: State, context: Context, nodes: Mapping[str, Node]) -> None:
        self.state = state
        self.context = context
        self.replies: list[Reply] = []
        self.commands: list[Command] = []
        self._nodes = nodes

    @property
    def medium(self) -> Medium:
        """Voice or chat."""
        return self.state.medium

    @property
    def answers(self) -> dict[str, Any]:
        """What this conversation has gathered."""
        return self.state.answers

    @property
    def now(self) -> datetime:
        """The time of this step."""
        return self.context.now

    def text(self, key: str, **values: str) -> str:
        """A prompt's words for this conversation's medium."""
        return self.context.knowledge.prompts.text(key, self.medium, **values)

    def say(self, key: str, **values: str) -> None:
        """Say a prompt."""
        self.replies.append(Say(self.text(key, **values)))

    def say_text(self, text: str) -> None:
        """Say words already chosen (an article summary, the crisis message)."""
        self.replies.append(Say(text))

    def ask(
        self,
        key: str,
        expect: Expect = "text",
        *,
        max_digits: int | None = None,
        skippable: bool = False,
        **values: str,
    ) -> None:
        """Ask a question with a free answer."""
        self.replies.append(Ask(self.text(key, **values), expect, max_digits, skippable))

    def menu(self, key: str, choices: Sequence[Choice], **values: str) -> None:
        """Offer choices; the voice version says which key to press for each."""
        prompts = self.context.knowledge.prompts
        options = tuple(
            Option(choice.id, self.text(choice.label, **choice.values), choice.digit)
            for choice in choices
        )
        text = self.text(key, **values)
        if self.medium == "voice":
            presses = [
                self.text("menu_press", label=option.label, digit=option.digit)
                for option in options
                if option.digit
            ]
            text = " ".join([text, *presses])
        hints = tuple(word for choice in choices for word in prompts.get(choice.label).words[:5])
        self.replies.append(Menu(text, options, hints))

    def record(self, key: str, max_seconds: int, **values: str) -> None:
        """Ask for a voice message."""
        self.replies.append(Record(self.text(key, **values), max_seconds))

    def end(self, key: str, reason: str, **values: str) -> None:
        """Say goodbye and finish the conversation."""
        self.replies.append(End(self.text(key, **values)))
        self.commands.append(EndConversation(reason, self.now))
        self.state.node = ENDED_NODE
        self.state.attempts = 0

    def command(self, command: Command) -> None:
        """Ask the store to write a record in this step's transaction."""
        self.commands.append(command)

    def go(self, target: Target) -> None:
        """Move to a node (by id) or run an action."""
        if callable(target):
            target(self)
        else:
            self.goto(target)

    def goto(self, node_id: str, *, remember: bool = True) -> None:
        """Enter another node."""
        if remember and self.state.node not in (node_id, ENDED_NODE):
            self.state.history.append(self.state.node)
        self.state.node = node_id
        self.state.attempts = 0
        self._nodes[node_id].enter(self)

    def repeat(self) -> None:
        """Say the current node's prompt again."""
        self._nodes[self.state.node].enter(self)

    def back(self) -> None:
        """Return to the previous node."""
        previous = self.state.history.pop() if self.state.history else MENU_NODE
        self.goto(previous, remember=False)

    def main_menu(self) -> None:
        """Back to the main menu, forgetting the way here."""
        self.state.history.clear()
        self.goto(MENU_NODE, remember=False)

    def no_match(self, *, silence: bool = False, key: str | None = None) -> None:
        """Input we could not use: reprompt twice (``key`` says why), then offer a person."""
        self.state.attempts += 1
        if self.state.attempts > MAX_REPROMPTS:
            self.say("reprompt_to_person")
            self.goto(PERSON_NODE)
            return
        self.say(key or ("reprompt_silence" if silence else "reprompt_no_match"))
        self.repeat()

    def reference_words(self, reference: str) -> str:
        """A reference as this medium gives it: "C-7KM4PX" in chat, "C 7 K M 4 P X" spoken."""
        return " ".join(reference.replace("-", "")) if self.medium == "voice" else reference

    def callback_promise(self, due: datetime) -> str:
        """A deadline as a carer would say it: "5pm on Thursday"."""
        return spoken_deadline(self.context.calendar, due, self.now)

    def consent(self, key: str) -> Consent:
        """Consent given now to the wording of prompt ``key``; the version names that wording."""
        prompt = self.context.knowledge.prompts.get(key)
        digest = hashlib.sha256(f"{prompt.chat}\n{prompt.voice}".encode()).hexdigest()[:8]
        return Consent(at=self.now, wording_version=f"{key}:{digest}")

    def remember_consent(self, key: str) -> None:
        """Keep the consent just given, so the record saved later carries it."""
        consent = self.consent(key)
        self.answers["consent"] = {"version": consent.wording_version, "at": consent.at.isoformat()}

    def remembered_consent(self) -> Consent | None:
        """The consent given earlier in this conversation, if any."""
        kept = self.answers.get("consent")
        if not kept:
            return None
        return Consent(at=datetime.fromisoformat(kept["at"]), wording_version=kept["version"])

    def pending_callback(self, kind: str, reason: str | None, phone_key: str = "phone") -> None:
        """Remember that a number and consent are in hand: if the call drops, we still ring back.

        ``phone_key`` names the answer holding the number to ring (a referrer's, for example).
        """
        self.answers["pending_callback"] = {"kind": kind, "reason": reason, "phone": phone_key}

    def save_callback(
        self,
        prefix: str,
        kind: str,
        reason: str | None,
        due: datetime,
        *,
        phone: str | None = None,
        urgent: bool = False,
        window: tuple[datetime, datetime] | None = None,
        ended_early: bool = False,
    ) -> str:
        """Ask for a callback to be saved with this conversation's number, message and consent.

        A recorded message goes with it once. Returns the reference to tell the carer; nothing is
        left pending afterwards.
        """
        reference = self.context.new_reference(prefix)
        chosen = phone or self.answers.get("phone")
        self.command(CountUse("callback", self.subjects(chosen), self.now, reference))
        self.command(
            SaveCallback(
                reference=reference,
                kind=kind,
                reason=reason,
                phone=chosen,
                received_at=self.now,
                due_by=due,
                urgent=urgent,
                window_start=window[0] if window else None,
                window_end=window[1] if window else None,
                ended_early=ended_early,
                recording=self.answers.pop("recording", None),
                consent=self.remembered_consent(),
            )
        )
        self.clear_pending_callback()
        return reference

    def clear_pending_callback(self) -> None:
        """The record was saved: nothing left to rescue."""
        self.answers.pop("pending_callback", None)

    def subjects(self, *phones: str | None) -> tuple[Subject, ...]:
        """Who the abuse limits count here: the caller ID, the chat, and the numbers given."""
        key = self.context.conversation
        chat = key.external_id if key is not None and key.channel == "telegram" else None
        return subjects_of(self.state.caller, chat, phones)

    def allowance(self, action: Action, *phones: str | None) -> Verdict:
        """May this conversation set off ``action`` now (issue 8 item 6)? A refusal is audited."""
        subjects = self.subjects(*phones)
        lookups = self.context.lookups
        usage = lookups.usage(action, subjects, window_start(self.now, action)) if subjects else {}
        already = sum(
            1
            for command in self.commands
            if isinstance(command, CountUse) and command.action == action
        )
        verdict = decide(
            action,
            self.context.profile.abuse_limits,
            usage,
            blocked=bool(subjects) and lookups.blocked(subjects, self.now),
            already=already,
        )
        if verdict.refusal is not None:
            self.command(RefuseUse(action, verdict.refusal, verdict.count, verdict.limit, self.now))
        return verdict

    def turn_away(self) -> None:
        """A blocked number or chat: the emergency numbers, a kind word on other ways, goodbye."""
        crisis = self.context.knowledge.crisis
        self.say_text(crisis.voice_message if self.medium == "voice" else crisis.chat_message)
        self.command(CountBlockedContact(self.subjects(self.answers.get("phone")), self.now))
        self.clear_pending_callback()
        self.end("blocked_notice", "blocked")

    def queue_text(self, recipient: str, text: str, dedupe_key: str, *, ours: bool = False) -> bool:
        """Queue a text message unless a limit or the block list stops it; True when queued.

        ``ours``: the service's own number (the duty team's alert), never limited.
        """
        if not ours and not self.allowance("sms", recipient).allowed:
            return False
        self.command(
            QueueMessage(
                channel="sms", recipient=recipient, text=text, dedupe_key=dedupe_key, at=self.now
            )
        )
        if not ours:
            self.command(CountUse("sms", self.subjects(recipient), self.now))
        return True


def step(
    stored: StoredState | None, event: Event, context: Context, nodes: Mapping[str, Node]
) -> Outcome:
    """Decide what to say and do for one event (see the module docstring)."""
    state = State.restore(stored) if stored is not None else State(node=START_NODE)
    turn = Turn(state, context, nodes)
    if isinstance(event, Started):
        state.medium, state.caller = event.medium, event.caller
        state.answers.clear()
        state.history.clear()
        if event.entry:
            state.answers[ENTRY_ANSWER] = event.entry
        if not _turned_away(turn):
            turn.goto(START_NODE, remember=False)
    elif isinstance(event, HungUp):
        _hung_up(turn)
    elif isinstance(event, Chose) and (entry := _entry_node(event.option, nodes)):
        if state.node == ENDED_NODE or state.node not in nodes:
            state.answers.clear()
            state.history.clear()
            state.node = ENDED_NODE
        turn.goto(entry)
    elif state.node == ENDED_NODE or state.node not in nodes:
        state.answers.clear()
        state.history.clear()
        if not _turned_away(turn):
            turn.goto(START_NODE, remember=False)
    elif (stored is not None or not _turned_away(turn)) and not _global_rule(
        turn, event, nodes[state.node]
    ):
        nodes[state.node].handle(turn, event)
    return Outcome(state, tuple(turn.replies), tuple(turn.commands))


def _turned_away(turn: Turn) -> bool:
    """A blocked number or chat starting a conversation: emergency numbers, then goodbye.

    Blocking never removes crisis signposting: the crisis message (999, NHS 111, Samaritans) is
    given every time, with a short, kind word on how else to reach the service. The contact is
    counted for staff. Nothing is queued and nobody is put through.
    """
    subjects = turn.subjects()
    if not subjects or not turn.context.lookups.blocked(subjects, turn.now):
        return False
    turn.turn_away()
    return True


def _entry_node(option: str, nodes: Mapping[str, Node]) -> str | None:
    """The node a chat command opens (``Node.entry``), even after the conversation ended."""
    return next((node.id for node in nodes.values() if node.entry == option), None)


def _global_rule(turn: Turn, event: Event, node: Node) -> bool:
    """Crisis words, repeat, back, main menu and "a person": True when one applied."""
    if isinstance(event, Said):
        crisis = turn.context.knowledge.crisis.detect(event.text)
        if crisis is not None and not turn.state.node.startswith("crisis."):
            turn.answers["crisis"] = {"category": crisis.category, "from": turn.state.node}
            turn.goto(CRISIS_NODE)
            return True
    command = _global_command(turn, event, node)
    if command == "repeat":
        turn.repeat()
    elif command == "back":
        turn.back()
    elif command == "menu":
        turn.main_menu()
    elif command == "person":
        turn.goto(PERSON_NODE)
    return command is not None


def _global_command(turn: Turn, event: Event, node: Node) -> str | None:
    if isinstance(event, Chose) and event.option in ("repeat", "back", "menu", "person"):
        return event.option
    if isinstance(event, Keyed) and not (
        node.takes_digits or node.offers_digit(turn, event.digits)
    ):
        return {REPEAT_KEY: "repeat", PERSON_KEY: "person", MENU_KEY: "menu"}.get(event.digits)
    if isinstance(event, Keyed) and event.digits == REPEAT_KEY:
        return "repeat"
    if isinstance(event, Said):
        text = normalise(event.text)
        prompts = turn.context.knowledge.prompts
        for command in ("person", "menu", "back", "repeat"):
            words = prompts.get(f"global_{command}").words
            if text in words or any(" " in word and f" {word} " in f" {text} " for word in words):
                return command
    return None


def _hung_up(turn: Turn) -> None:
    """A caller who gave a number and consent still gets a callback, marked "call ended early"."""
    pending = turn.answers.pop("pending_callback", None)
    phone_key = str((pending or {}).get("phone", "phone"))
    phone = turn.answers.get(phone_key) or clean_phone(turn.state.caller or "")
    if pending and phone:
        turn.save_callback(
            "C",
            str(pending["kind"]),
            pending.get("reason"),
            turn.context.due_by.callback(turn.now),
            phone=str(phone),
            ended_early=True,
        )
    turn.command(EndConversation("hung_up", turn.now))
    turn.state.node = ENDED_NODE


def match_choice(event: Event, choices: Sequence[Choice], turn: Turn) -> Choice | None:
    """The choice an event picks: a button, a key, a spoken digit, or the choice's words."""
    if isinstance(event, Chose):
        return next((choice for choice in choices if choice.id == event.option), None)
    if isinstance(event, Keyed):
        return next((choice for choice in choices if choice.digit == event.digits), None)
    if not isinstance(event, Said):
        return None
    text = normalise(event.text)
    digit = spoken_digit(text)
    if digit is not None:
        by_digit = next((choice for choice in choices if choice.digit == digit), None)
        if by_digit is not None:
            return by_digit
    best: tuple[int, Choice] | None = None
    prompts = turn.context.knowledge.prompts
    for choice in choices:
        label = normalise(turn.text(choice.label, **choice.values))
        for word in (*prompts.get(choice.label).words, label):
            if word and f" {word} " in f" {text} " and (best is None or len(word) > best[0]):
                best = (len(word), choice)
    return best[1] if best else None


def spoken_digit(text: str) -> str | None:
    """The digit in "2", "two", "press two", "number 2" or "option two"."""
    words = [word for word in text.split() if word not in ("press", "number", "option", "pressed")]
    if len(words) != 1:
        return None
    word = words[0]
    if word.isdigit() and len(word) == 1:
        return word
    return SPOKEN_DIGITS.get(word)


def spoken_deadline(calendar: WorkingCalendar, due: datetime, now: datetime) -> str:
    """A deadline in words: "5pm today", "5pm tomorrow", "5pm on Thursday", or with the date."""
    local_due, local_now = calendar.local(due), calendar.local(now)
    clock = spoken_time(local_due.time())
    days = (local_due.date() - local_now.date()).days
    if days == 0:
        return f"{clock} today"
    if days == 1:
        return f"{clock} tomorrow"
    if days < 7:
        return f"{clock} on {local_due.strftime('%A')}"
    return f"{clock} on {local_due.strftime('%A')} {local_due.day} {local_due.strftime('%B')}"
