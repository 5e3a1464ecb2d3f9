"""Ask us to call you back (L7, L8).

Reason, "is anyone at risk?", consent, number, a preferred window from the slots still free
before the due-by time, confirm, reference, and the promise said plainly ("We will call you by
5pm on Thursday").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from handlers.engine import Choice, Node, Turn
from handlers.flows.confirmations import offer_text
from handlers.flows.nodes import AskNode, MenuNode, PhoneNode, yes_no
from handlers.phones import spoken_phone
from handlers.profile import spoken_time

MAX_SLOTS_OFFERED = 4


def free_slots(turn: Turn, due: datetime) -> list[tuple[datetime, datetime]]:
    """Preferred windows that start after now, end by ``due`` and are not yet full."""
    calendar, policy = turn.context.calendar, turn.context.profile.callbacks
    length = timedelta(minutes=policy.slot_minutes)
    slots: list[tuple[datetime, datetime]] = []
    day = calendar.local(turn.now).date()
    last_day = calendar.local(due).date()
    while day <= last_day:
        if calendar.is_working_day(day):
            start, closes = calendar.opens_at(day), calendar.closes_at(day)
            while start + length <= closes and start + length <= due:
                if start >= turn.now:
                    slots.append((start, start + length))
                start += length
        day += timedelta(days=1)
    if not slots:
        return []
    booked = turn.context.lookups.booked_callbacks(slots[0][0], slots[-1][1])
    return [slot for slot in slots if booked.get(slot[0], 0) < policy.slot_capacity]


def slot_words(turn: Turn, start: datetime, end: datetime) -> dict[str, str]:
    """A window as words: day "Tuesday", start "9am", end "11am"."""
    local_start, local_end = turn.context.calendar.local(start), turn.context.calendar.local(end)
    days = (local_start.date() - turn.context.calendar.local(turn.now).date()).days
    day = "today" if days == 0 else "tomorrow" if days == 1 else local_start.strftime("%A")
    return {
        "day": day,
        "start": spoken_time(local_start.time()),
        "end": spoken_time(local_end.time()),
    }


class Window(MenuNode):
    """Choose a preferred window, or "any time"."""

    def __init__(self) -> None:
        super().__init__("callback.window", "callback_window", ())

    def enter(self, turn: Turn) -> None:
        """Offer free windows; with none free, go straight on with "any time"."""
        if not self.choices(turn)[:-1]:
            turn.answers.pop("window", None)
            turn.goto("callback.confirm", remember=False)
            return
        super().enter(turn)

    def choices(self, turn: Turn) -> Sequence[Choice]:
        """The earliest free windows, then "any time"."""
        due = turn.context.due_by.callback(turn.now)
        choices = [
            Choice(
                f"slot-{start.isoformat()}",
                "callback_slot",
                _pick(start, end),
                str(position),
                slot_words(turn, start, end),
            )
            for position, (start, end) in enumerate(
                free_slots(turn, due)[:MAX_SLOTS_OFFERED], start=1
            )
        ]
        choices.append(Choice("any", "callback_any_time", _any_time, str(MAX_SLOTS_OFFERED + 1)))
        return choices


def _pick(start: datetime, end: datetime) -> Callable[[Turn], None]:
    def keep(turn: Turn) -> None:
        turn.answers["window"] = [start.isoformat(), end.isoformat()]
        turn.goto("callback.confirm")

    return keep


def _any_time(turn: Turn) -> None:
    turn.answers.pop("window", None)
    turn.goto("callback.confirm")


class Confirm(MenuNode):
    """Read back the number and the time, then save."""

    def __init__(self) -> None:
        super().__init__(
            "callback.confirm",
            "callback_confirm",
            (
                Choice("yes", "option_yes", _save, "1"),
                Choice("no", "option_no", "callback.change", "2"),
            ),
        )

    def enter(self, turn: Turn) -> None:
        """Say what we will do, and ask if it is right."""
        phone = str(turn.answers.get("phone", ""))
        shown = spoken_phone(phone) if turn.medium == "voice" else phone
        turn.menu(self.prompt, self.choices(turn), phone=shown, when=_when(turn))


def _when(turn: Turn) -> str:
    window = turn.answers.get("window")
    if window:
        start, end = (datetime.fromisoformat(value) for value in window)
        return turn.text("callback_when_window", **slot_words(turn, start, end))
    due = turn.context.due_by.callback(turn.now)
    return turn.text("callback_when_due", when=turn.callback_promise(due))


def _save(turn: Turn) -> None:
    due = turn.context.due_by.callback(turn.now)
    window = turn.answers.get("window")
    chosen = (
        (datetime.fromisoformat(window[0]), datetime.fromisoformat(window[1])) if window else None
    )
    reference = turn.save_callback("C", "callback", turn.answers.get("reason"), due, window=chosen)
    spelled = turn.reference_words(reference)
    turn.say("callback_saved", when=_when(turn), reference=spelled)
    phone = turn.answers.get("phone")
    turn.goto(offer_text(turn, "callback", reference, phone, due, "main.anything_else", chosen))


def _at_risk(turn: Turn) -> None:
    turn.answers["crisis"] = {"category": "said someone is at risk", "from": "callback.consent"}
    turn.goto("crisis.start")


def _consented(turn: Turn) -> None:
    turn.remember_consent("callback_consent")
    turn.pending_callback("callback", turn.answers.get("reason"))
    turn.goto("callback.phone")


def _declined(turn: Turn) -> None:
    turn.say("callback_no_consent")
    turn.goto("main.anything_else")


def _change_phone(turn: Turn) -> None:
    turn.answers.pop("phone", None)
    turn.answers.setdefault("_declined_caller_id", []).append("phone")
    turn.goto("callback.phone")


NODES: tuple[Node, ...] = (
    AskNode("callback.reason", "callback_reason", "reason", "callback.risk", skippable=True),
    yes_no("callback.risk", "callback_risk", _at_risk, "callback.consent"),
    yes_no("callback.consent", "callback_consent", _consented, _declined),
    PhoneNode("callback.phone", "phone", "callback.window"),
    Window(),
    Confirm(),
    MenuNode(
        "callback.change",
        "callback_change",
        (
            Choice("phone", "callback_change_phone", _change_phone, "1"),
            Choice("time", "callback_change_time", "callback.window", "2"),
            Choice("reason", "callback_change_reason", "callback.reason", "3"),
        ),
    ),
)
