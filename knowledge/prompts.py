"""Keyed prompts: every sentence the service says, with a voice variant where the phone differs.

Content editors change the YAML files in ``knowledge/prompts/`` (one per flow); code refers to
prompts only by key. Values such as a reference number are passed in at render time as
``{{name}}`` tokens and escaped by the channel. A menu option's prompt may also list ``words``:
the everyday words and phrases that choose it when spoken or typed ("money", "benefits").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import KNOWLEDGE_DIR, KnowledgeError, read_yaml
from knowledge.text import PLACEHOLDER, fill_placeholders, normalise

CHANNELS = ("chat", "voice")


@dataclass(frozen=True)
class Prompt:
    """One thing the service says, for chat and for the phone."""

    key: str
    chat: str
    voice: str
    words: tuple[str, ...] = ()


class Prompts:
    """Look up and fill prompts by key."""

    def __init__(self, prompts: dict[str, Prompt]) -> None:
        self._prompts = prompts

    def keys(self) -> list[str]:
        """Every prompt key."""
        return sorted(self._prompts)

    def get(self, key: str) -> Prompt:
        """The prompt with this key (KeyError names it if missing)."""
        return self._prompts[key]

    def text(self, key: str, channel: str = "chat", **values: str) -> str:
        """The prompt's words for a channel, with run-time values filled in."""
        prompt = self._prompts[key]
        template = prompt.voice if channel == "voice" else prompt.chat
        return fill_placeholders(template, values)


PROMPTS_DIR = KNOWLEDGE_DIR / "prompts"


def load_prompts(values: dict[str, str], folder: Path = PROMPTS_DIR) -> Prompts:
    """Read every prompt file; deployment values (service name, numbers) are filled in now."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise KnowledgeError(f"{folder.name}: no prompt files")
    prompts: dict[str, Prompt] = {}
    for path in files:
        for key, prompt in _read_prompt_file(path, values).items():
            if key in prompts:
                raise KnowledgeError(f"{path.name}: prompt {key!r} is defined twice")
            prompts[key] = prompt
    return Prompts(prompts)


def _read_prompt_file(path: Path, values: dict[str, str]) -> dict[str, Prompt]:
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not raw:
        raise KnowledgeError(f"{path.name}: expected a mapping of prompt keys")
    prompts = {}
    for key, entry in raw.items():
        if isinstance(entry, str):
            chat = voice = entry
            words: list[object] = []
        elif isinstance(entry, dict) and isinstance(entry.get("chat"), str):
            chat = entry["chat"]
            voice = str(entry.get("voice", chat))
            words = entry.get("words") or []
        else:
            raise KnowledgeError(f"{path.name}: prompt {key!r} needs text, or 'chat' and 'voice'")
        if not isinstance(words, list) or any(normalise(str(w)) != str(w) for w in words):
            raise KnowledgeError(
                f"{path.name}: prompt {key!r} words must be a list written normalised "
                "(lower case, no apostrophes or punctuation)"
            )
        prompts[str(key)] = Prompt(
            str(key),
            fill_placeholders(chat.strip(), values),
            fill_placeholders(" ".join(str(voice).split()), values),
            tuple(str(word) for word in words),
        )
    return prompts


def runtime_placeholders(prompt: Prompt) -> set[str]:
    """Names left to fill at run time (for the checker)."""
    return set(PLACEHOLDER.findall(prompt.chat)) | set(PLACEHOLDER.findall(prompt.voice))
