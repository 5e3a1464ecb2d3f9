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
from handlers.limits import window_start
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
        choices = self.choices(turn)  # looks up the booked windows: once per turn
        if not choices[:-1]:
            turn.answers.pop("window", None)
            turn.goto("callback.confirm", remember=False)
            return
        turn.menu(self.prompt, choices)

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


class Reason(AskNode):
    """What the call is about; first, is this caller or chat still within the limits?"""

    def __init__(self) -> None:
        super().__init__(
            "callback.reason", "callback_reason", "reason", "callback.risk", skippable=True
        )

    def enter(self, turn: Turn) -> None:
        """Ask, unless this number or chat has asked for as many call backs as it may today."""
        if within_limits(turn):
            super().enter(turn)


def within_limits(turn: Turn) -> bool:
    """True when another callback may be queued (issue 8 item 6); otherwise say why, move on.

    Over the limit, the request already on file is confirmed rather than a second one queued,
    and the carer can still leave a message. A blocked number or chat is turned away kindly,
    with the emergency numbers.
    """
    verdict = turn.allowance("callback", turn.answers.get("phone"))
    if verdict.allowed:
        return True
    if verdict.refusal == "blocked":
        turn.turn_away()
        return False
    turn.clear_pending_callback()
    subjects = turn.subjects(turn.answers.get("phone"))
    since = window_start(turn.now, "callback")
    on_file = turn.context.lookups.request_on_file(subjects, since)
    if on_file is not None:
        turn.say(
            "limit_callback_on_file",
            reference=turn.reference_words(on_file.reference),
            when=turn.callback_promise(on_file.due_by),
        )
    else:
        turn.say("limit_callback_reached")
    turn.goto("callback.limit", remember=False)
    return False


def _save(turn: Turn) -> None:
    if not within_limits(turn):
        return
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


def _goodbye(turn: Turn) -> None:
    turn.end("goodbye", "finished")


NODES: tuple[Node, ...] = (
    Reason(),
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
    MenuNode(
        "callback.limit",
        "what_next",
        (
            Choice("message", "option_leave_message", "answerphone.start", "1"),
            Choice("menu", "option_main_menu", "main.menu", "2"),
            Choice("finish", "option_goodbye", _goodbye, "3"),
        ),
    ),
)
