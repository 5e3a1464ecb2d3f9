"""``DialogService.handle(key, event)``: load the state, step, write everything, commit, reply.

One transaction per event: the new state, every record and the transcript commit together
before the reply goes back, so a failure leaves neither half. If a step fails, what the carer
said is still kept (in a second, minimal transaction) and they hear the emergency numbers and
are asked for a message: nothing they told us is lost.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass

from handlers.dialog import (
    Ask,
    Chose,
    ConversationKey,
    Event,
    HungUp,
    Keyed,
    Menu,
    Record,
    Recorded,
    Reply,
    Said,
    Say,
    SharedContact,
    ShowArticle,
    Started,
    Transfer,
    TransferEnded,
)
from handlers.engine import Context, Node, State, step
from handlers.flows import all_nodes
from handlers.hours import DueByRules, WorkingCalendar
from handlers.ports import Clock, ConnectionLostError, Lookups, Store
from handlers.profile import ServiceProfile
from knowledge.base import KnowledgeBase

log = logging.getLogger("carers_line.dialog")
FAIL_SAFE_NODE = "answerphone.message"


@dataclass(frozen=True)
class Handled:
    """The replies to one delivery; ``replayed`` for a retry, ``failed`` for the fail-safe."""

    replies: tuple[Reply, ...]
    replayed: bool = False
    failed: bool = False


class DialogService:
    """The core as the adapters see it."""

    def __init__(
        self,
        store: Store,
        profile: ServiceProfile,
        knowledge: KnowledgeBase,
        clock: Clock,
        *,
        randomness: random.Random | None = None,
        nodes: Mapping[str, Node] | None = None,
        calendar: WorkingCalendar | None = None,
    ) -> None:
        self.store = store
        self.profile = profile
        self.knowledge = knowledge
        self.clock = clock
        self.calendar = calendar or WorkingCalendar(profile)
        self.due_by = DueByRules(self.calendar)
        self._random = randomness or random.SystemRandom()
        self._nodes = nodes if nodes is not None else all_nodes()

    def context(self, lookups: Lookups, key: ConversationKey | None = None) -> Context:
        """The step's view of the world, at this instant, for conversation ``key``."""
        return Context(
            profile=self.profile,
            calendar=self.calendar,
            due_by=self.due_by,
            knowledge=self.knowledge,
            now=self.clock.now(),
            lookups=lookups,
            randomness=self._random,
            conversation=key,
        )

    def handle(
        self, key: ConversationKey, event: Event, *, delivery: str | None = None
    ) -> tuple[Reply, ...]:
        """Decide and record the reply to one event (see the module docstring)."""
        return self.handle_delivery(key, event, delivery).replies

    def handle_delivery(self, key: ConversationKey, event: Event, delivery: str | None) -> Handled:
        """Like ``handle``, and idempotent per ``delivery`` (a webhook's own id for the request).

        A retried delivery gets the replies it got the first time and changes nothing.
        """
        try:
            try:
                return self._step(key, event, delivery)
            except ConnectionLostError:
                if delivery is None:  # without a delivery id a second try could write twice
                    raise
                log.warning("database connection lost: trying the step once more")
                return self._step(key, event, delivery)
        except Exception:
            if delivery is not None and (earlier := self._replay(key, delivery)) is not None:
                return Handled(earlier, replayed=True)
            log.exception(
                "dialog step failed",
                extra={"channel": key.channel, "event": type(event).__name__},
            )
            return Handled(self._fail_safe(key, event), failed=True)

    def _step(self, key: ConversationKey, event: Event, delivery: str | None) -> Handled:
        """One transaction: the replay check, the step, and everything it writes."""
        with self.store.transaction() as tx:
            # A retry first: the store may read the replay and the state in one go.
            if delivery is not None and (earlier := tx.replay(key, delivery)) is not None:
                return Handled(earlier, replayed=True)
            stored = tx.load(key)
            context = self.context(tx.lookups, key)
            before = stored.node if stored else "new"
            outcome = step(stored, event, context, self._nodes)
            tx.save(key, outcome.state.stored(), context.now)
            tx.transcript(key, "in", before, describe_event(event), context.now)
            for command in outcome.commands:
                tx.apply(key, command)
            for reply in outcome.replies:
                tx.transcript(key, "out", outcome.state.node, reply_text(reply), context.now)
            if delivery is not None:
                tx.remember(key, delivery, outcome.replies, context.now)
        return Handled(outcome.replies)

    def _replay(self, key: ConversationKey, delivery: str) -> tuple[Reply, ...] | None:
        """After a failure: did a concurrent copy of this delivery succeed?"""
        try:
            with self.store.transaction() as tx:
                return tx.replay(key, delivery)
        except Exception:
            return None

    def _fail_safe(self, key: ConversationKey, event: Event) -> tuple[Reply, ...]:
        """Keep the carer's input; give the emergency numbers; ask for a message."""
        medium = "voice" if key.channel == "voice" else "chat"
        prompts = self.knowledge.prompts
        replies: tuple[Reply, ...] = (
            Say(prompts.text("something_went_wrong", medium)),
            Record(prompts.text("answerphone_record", medium), 180)
            if medium == "voice"
            else Ask(prompts.text("answerphone_type", medium)),
        )
        try:
            with self.store.transaction() as tx:
                now = self.clock.now()
                stored = tx.load(key)
                state = State.restore(stored) if stored else State(node=FAIL_SAFE_NODE)
                state.node, state.attempts = FAIL_SAFE_NODE, 0
                if isinstance(event, Started):
                    state.medium, state.caller = event.medium, event.caller
                tx.save(key, state.stored(), now)
                tx.transcript(key, "in", "failed", describe_event(event), now)
                for reply in replies:
                    tx.transcript(key, "out", FAIL_SAFE_NODE, reply_text(reply), now)
        except Exception:
            log.exception("could not keep the input after a failed step")
        return replies


def describe_event(event: Event) -> str:
    """A transcript line for what the carer did."""
    if isinstance(event, Said):
        return event.text
    if isinstance(event, Keyed):
        return f"[pressed {event.digits}]"
    if isinstance(event, Chose):
        return f"[chose {event.option}]"
    if isinstance(event, Recorded):
        return f"[left a voice message, {event.seconds} seconds]"
    if isinstance(event, SharedContact):
        return "[shared their phone number]"
    if isinstance(event, TransferEnded):
        return "[transfer answered]" if event.answered else "[transfer not answered]"
    if isinstance(event, Started):
        return f"[{event.medium} conversation started]"
    if isinstance(event, HungUp):
        return "[hung up]"
    return "[silence]"


def reply_text(reply: Reply) -> str:
    """A transcript line for what the service said."""
    if isinstance(reply, ShowArticle):
        return f"[article {reply.article_id}] {reply.title}"
    if isinstance(reply, Menu):
        return reply.text + "".join(f" [{option.label}]" for option in reply.options)
    if isinstance(reply, Transfer):
        return f"{reply.text} [transfer to staff]"
    return reply.text
