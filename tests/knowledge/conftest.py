"""Fixtures for knowledge tests: the shipped knowledge base loaded once."""

from pathlib import Path

import pytest

from handlers.profile import load_profile
from knowledge.base import KnowledgeBase, load_knowledge
from settings import DEFAULT_PROFILE_PATH


@pytest.fixture(scope="session")
def values() -> dict[str, str]:
    return load_profile(Path(DEFAULT_PROFILE_PATH)).placeholders()


@pytest.fixture(scope="session")
def kb(values) -> KnowledgeBase:
    return load_knowledge(values)
