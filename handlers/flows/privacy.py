"""The chat's own commands: /help, /privacy (what we keep and why) and /forget (L12).

Each opens from anywhere through ``Node.entry``, even after a conversation ended. Help and the
privacy notice are said, then the carer is back at the question they were on. /forget asks
first; "yes" erases this conversation's transcript and what it gathered, and the personal
details of its records that nothing open still needs (``ForgetConversation``). An open
callback, referral or card request keeps the number and reason until a person has dealt with it,
and the carer is told so.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.commands import ForgetConversation
from handlers.dialog import Event
from handlers.engine import Choice, Node, Turn
from handlers.flows.nodes import MenuNode

Values = Callable[[Turn], dict[str, str]]


def _no_values(turn: Turn) -> dict[str, str]:
    return {}


def retention_values(turn: Turn) -> dict[str, str]:
    """How long each kind of record is kept, from the service profile (L12)."""
    retention = turn.context.profile.retention
    return {
        "days": str(retention.conversations_days),
        "chatdays": str(retention.transcripts_days),
        "years": str(retention.closed_records_years),
    }


class Notice(Node):
    """Say one notice, then return to where the carer was."""

    def __init__(self, node_id: str, entry: str, prompt: str, values: Values = _no_values) -> None:
        self.id = node_id
        self.entry = entry
        self.prompt = prompt
        self.values = values

    def enter(self, turn: Turn) -> None:
        """Say the notice and go back to the previous question."""
        turn.say(self.prompt, **self.values(turn))
        turn.back()

    def handle(self, turn: Turn, event: Event) -> None:
        """A notice never waits for input."""
        turn.back()


def _forget(turn: Turn) -> None:
    """Erase, say what was kept and why, and end the conversation."""
    turn.command(ForgetConversation(turn.now))
    turn.state.answers.clear()
    turn.state.history.clear()
    turn.end("privacy_forget_done", "forgotten", **retention_values(turn))


def _keep(turn: Turn) -> None:
    turn.say("privacy_forget_kept")
    turn.back()


class Forget(MenuNode):
    """Check the carer really wants this chat deleted."""

    entry = "forget"

    def __init__(self) -> None:
        super().__init__(
            "privacy.forget",
            "privacy_forget_confirm",
            (
                Choice("yes", "option_forget_yes", _forget, "1"),
                Choice("no", "option_forget_no", _keep, "2"),
            ),
        )


NODES: tuple[Node, ...] = (
    Notice("privacy.help", "help", "chat_help"),
    Notice("privacy.notice", "privacy", "privacy_notice", retention_values),
    Forget(),
)
