"""A text message confirming a callback request or a referral made on the phone (L7, K5).

A caller cannot easily write down a reference, so once a callback or referral is saved on the
phone, and the number we have can take texts (a UK mobile), we offer to text the reference and
the time we promised. Nothing is queued unless they say yes. Chat is not offered one: the
reference is already on the screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.engine import Choice, Node, Turn
from handlers.flows.nodes import MenuNode
from handlers.phones import can_take_texts, phone_ending
from handlers.profile import spoken_time

OFFER = "text_offer"
OFFER_NODE = "texts.offer"


def offer_text(
    turn: Turn,
    kind: str,
    reference: str,
    recipient: str | None,
    due: datetime,
    then: str,
    window: tuple[datetime, datetime] | None = None,
) -> str:
    """Where to go after saving: the text offer when one can be sent, else ``then``.

    ``kind`` names the message (``callback`` or ``referral``); ``due`` and ``window`` are the
    promised time.
    """
    if turn.medium != "voice" or not recipient or not can_take_texts(recipient):
        return then
    turn.answers[OFFER] = {
        "kind": kind,
        "reference": reference,
        "recipient": recipient,
        "due": due.isoformat(),
        "window": [window[0].isoformat(), window[1].isoformat()] if window else None,
        "then": then,
    }
    return OFFER_NODE


def _send(turn: Turn) -> None:
    offer: dict[str, Any] = turn.answers.pop(OFFER)
    prompts = turn.context.knowledge.prompts
    text = prompts.text(
        f"text_{offer['kind']}", "chat", reference=offer["reference"], when=_when(turn, offer)
    )
    if turn.queue_text(offer["recipient"], text, f"confirmation:{offer['reference']}"):
        turn.say("text_offer_sent")
    else:
        turn.say("limit_text_not_sent", reference=turn.reference_words(offer["reference"]))
    turn.goto(offer["then"], remember=False)


def _decline(turn: Turn) -> None:
    offer = turn.answers.pop(OFFER)
    turn.goto(offer["then"], remember=False)


def _when(turn: Turn, offer: dict[str, Any]) -> str:
    """The promised time with its date, as a text read later needs.

    "by 5pm on Wednesday 25 November", or "on Tuesday 24 November between 9am and 11am".
    """
    calendar = turn.context.calendar
    if offer.get("window"):
        start, end = (calendar.local(datetime.fromisoformat(value)) for value in offer["window"])
        return turn.context.knowledge.prompts.text(
            "text_when_window",
            date=_date(start),
            start=spoken_time(start.time()),
            end=spoken_time(end.time()),
        )
    due = calendar.local(datetime.fromisoformat(offer["due"]))
    return turn.context.knowledge.prompts.text(
        "text_when_due", date=_date(due), time=spoken_time(due.time())
    )


def _date(moment: datetime) -> str:
    return f"{moment.strftime('%A')} {moment.day} {moment.strftime('%B')}"


class Offer(MenuNode):
    """Offer to text the reference (1 yes, 2 no), naming the number's last three digits."""

    def __init__(self) -> None:
        super().__init__(
            OFFER_NODE,
            "text_offer",
            (Choice("yes", "option_yes", _send, "1"), Choice("no", "option_no", _decline, "2")),
        )

    def enter(self, turn: Turn) -> None:
        """Ask, or move on if there is nothing to offer."""
        offer = turn.answers.get(OFFER)
        if not offer:
            turn.goto("main.anything_else", remember=False)
            return
        turn.menu(self.prompt, self.choices(turn), ending=phone_ending(offer["recipient"]))


NODES: tuple[Node, ...] = (Offer(),)
