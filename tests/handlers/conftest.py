"""A dialog harness: drive the real core with events, no store, time frozen, lookups in memory."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from handlers.commands import Command
from handlers.dialog import Event, Menu, Reply, Started
from handlers.engine import Context, step
from handlers.flows import all_nodes
from handlers.hours import DueByRules, WorkingCalendar
from handlers.limits import Action, Subject
from handlers.ports import CardOnFile, RequestOnFile, StoredState
from handlers.profile import ServiceProfile, load_profile
from knowledge.base import KnowledgeBase, load_knowledge
from settings import DEFAULT_PROFILE_PATH, LONDON

MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 0, tzinfo=LONDON)


@dataclass
class FakeLookups:
    """In-memory answers to the core's read-only questions."""

    booked: dict[datetime, int] = field(default_factory=dict)
    cards: dict[str, CardOnFile] = field(default_factory=dict)
    references: set[str] = field(default_factory=set)

    def booked_callbacks(self, start: datetime, end: datetime) -> dict[datetime, int]:
        return {when: count for when, count in self.booked.items() if start <= when < end}

    def card(self, number: str) -> CardOnFile | None:
        return self.cards.get(number)

    def reference_taken(self, reference: str) -> bool:
        return reference in self.references

    def usage(self, action: Action, subjects, since: datetime) -> dict[Subject, int]:
        return {}

    def blocked(self, subjects, now: datetime) -> bool:
        return False

    def request_on_file(self, subjects, since: datetime) -> RequestOnFile | None:
        return None


@pytest.fixture(scope="session")
def profile() -> ServiceProfile:
    return load_profile(Path(DEFAULT_PROFILE_PATH))


@pytest.fixture(scope="session")
def knowledge(profile: ServiceProfile) -> KnowledgeBase:
    return load_knowledge(profile.placeholders())


@dataclass
class Dialog:
    """One conversation with the core: send events, read replies and commands."""

    knowledge: KnowledgeBase
    profile: ServiceProfile
    now: datetime = MONDAY_MORNING
    medium: str = "chat"
    caller: str | None = None
    lookups: FakeLookups = field(default_factory=FakeLookups)
    stored: StoredState | None = None
    replies: tuple[Reply, ...] = ()
    commands: list[Command] = field(default_factory=list)
    seed: int = 7

    def __post_init__(self) -> None:
        self._nodes = all_nodes()
        self._random = random.Random(self.seed)
        self._calendar = WorkingCalendar(self.profile)

    def context(self) -> Context:
        return Context(
            profile=self.profile,
            calendar=self._calendar,
            due_by=DueByRules(self._calendar),
            knowledge=self.knowledge,
            now=self.now,
            lookups=self.lookups,
            randomness=self._random,
        )

    def start(self) -> tuple[Reply, ...]:
        return self.send(Started(self.medium, self.caller))  # type: ignore[arg-type]

    def send(self, event: Event) -> tuple[Reply, ...]:
        outcome = step(self.stored, event, self.context(), self._nodes)
        self.stored = outcome.state.stored()
        self.replies = outcome.replies
        self.commands.extend(outcome.commands)
        return outcome.replies

    @property
    def node(self) -> str:
        assert self.stored is not None
        return self.stored.node

    @property
    def answers(self) -> dict[str, Any]:
        assert self.stored is not None
        return self.stored.data["answers"]

    def text(self) -> str:
        """Everything the last step said, as one string."""
        return " ".join(
            getattr(reply, "text", getattr(reply, "body", "")) for reply in self.replies
        )

    def menu(self) -> Menu:
        menus = [reply for reply in self.replies if isinstance(reply, Menu)]
        assert menus, f"expected a menu, got {self.replies}"
        return menus[-1]

    def saved(self, kind: type) -> list[Any]:
        return [command for command in self.commands if isinstance(command, kind)]


@pytest.fixture
def dialog(knowledge: KnowledgeBase, profile: ServiceProfile):
    def make(**kwargs) -> Dialog:
        return Dialog(knowledge, profile, **kwargs)

    return make
