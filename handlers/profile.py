"""The service profile: one deployment's name, numbers, hours, SLA rules and eligibility.

Loaded from YAML once at start-up and validated field by field; a bad field stops start-up with
a message naming it (for example ``sla.callback_working_days``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from handlers.limits import AbuseLimits
from handlers.phones import dialable, textable
from knowledge.text import SMALL_NUMBERS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BANK_HOLIDAY_NATIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}
SIGNPOST_KINDS = ("young_carers", "parent_carers", "paid_carers", "former_carers")
STAFF_ALERT_CHANNELS = ("sms", "telegram")
_UK_PHONE = re.compile(r"^(\+44 ?|0)[0-9 ]{9,13}$")
_COUNTRY_PREFIX = re.compile(r"\+[1-9][0-9]{0,3}")
SPELLED_OUT_UP_TO = 10
"""Day counts up to ten are said as words ("two working days"), larger ones as digits."""


class ProfileError(ValueError):
    """The service profile is invalid; the message names the field."""


@dataclass(frozen=True)
class OpeningWindow:
    """One day's opening and closing time, local to the profile's time zone."""

    opens: time
    closes: time


@dataclass(frozen=True)
class Phones:
    """The numbers the service gives out or dials."""

    main: str
    out_of_hours_duty: str
    council_adult_care: str
    staff_transfer: tuple[str, ...]


@dataclass(frozen=True)
class SlaRules:
    """Response-time rules (L7, L8, K5)."""

    callback_working_days: int
    urgent_same_day: bool
    referral_acknowledge_working_days: int
    referral_first_contact_working_days: int
    referral_callback_working_days: int


@dataclass(frozen=True)
class CallbackPolicy:
    """How callback slots are offered and how often staff try to reach a carer."""

    slot_minutes: int
    slot_capacity: int
    attempts_max: int
    attempts_min_gap_minutes: int


@dataclass(frozen=True)
class EmergencyCardScheme:
    """The local carers emergency card scheme (K7, W1)."""

    name: str
    emergency_line: str
    cover_hours: int
    max_contacts: int


@dataclass(frozen=True)
class Signpost:
    """Where to send someone who is outside this service's scope (L2)."""

    service: str
    phone: str | None


@dataclass(frozen=True)
class Eligibility:
    """Who the service is for (L2, L3)."""

    minimum_age: int
    former_carer_months: int
    signposts: Mapping[str, Signpost]


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept (L12)."""

    conversations_days: int
    recordings_days: int
    transcripts_days: int
    closed_records_years: int


@dataclass(frozen=True)
class StaffAlerts:
    """Where the clock tells the team about the queue (no carer's details ever go in them)."""

    channel: str
    team: tuple[str, ...]
    supervisors: tuple[str, ...]
    due_soon_minutes: int
    daily_summary_at: time


@dataclass(frozen=True)
class ServiceProfile:
    """One deployment of Carers Line."""

    name: str
    area: str
    council_name: str
    email: str
    website: str
    phones: Phones
    time_zone: ZoneInfo
    bank_holiday_nation: str
    closure_days: frozenset[date]
    opening_hours: Mapping[int, OpeningWindow | None]
    sla: SlaRules
    callbacks: CallbackPolicy
    emergency_card: EmergencyCardScheme
    eligibility: Eligibility
    retention: Retention
    staff_alerts: StaffAlerts | None = None
    abuse_limits: AbuseLimits = field(default_factory=AbuseLimits)
    allowed_international_prefixes: tuple[str, ...] = ()
    """Toll-fraud guard: country prefixes ("+353") the service may dial or text besides the UK."""

    @property
    def holiday_subdivision(self) -> str:
        """The `holidays` package's GB subdivision code for the profile's nation."""
        return BANK_HOLIDAY_NATIONS[self.bank_holiday_nation]

    def opening_hours_text(self) -> str:
        """Opening hours in words, e.g. "Monday to Friday, 9am to 5pm"."""
        groups: list[tuple[int, int, OpeningWindow]] = []
        for day in range(7):
            window = self.opening_hours.get(day)
            if window is None:
                continue
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == window:
                groups[-1] = (groups[-1][0], day, window)
            else:
                groups.append((day, day, window))
        if not groups:
            return "by appointment only"
        parts = []
        for first, last, window in groups:
            days = WEEKDAYS[first].title()
            if last != first:
                days += f" to {WEEKDAYS[last].title()}"
            parts.append(f"{days}, {spoken_time(window.opens)} to {spoken_time(window.closes)}")
        return "; ".join(parts)

    def callback_promise(self) -> str:
        """The callback promise in words, e.g. "within two working days"."""
        days = self.sla.callback_working_days
        word = SMALL_NUMBERS[days] if days <= SPELLED_OUT_UP_TO else str(days)
        return f"within {word} working day{'s' if days != 1 else ''}"

    def placeholders(self) -> dict[str, str]:
        """Values for the ``{{placeholder}}`` tokens in knowledge articles and prompts."""
        young = self.eligibility.signposts["young_carers"]
        parents = self.eligibility.signposts["parent_carers"]
        return {
            "service_name": self.name,
            "area": self.area,
            "main_phone": self.phones.main,
            "opening_hours": self.opening_hours_text(),
            "out_of_hours_phone": self.phones.out_of_hours_duty,
            "email": self.email,
            "website": self.website,
            "callback_promise": self.callback_promise(),
            "council_name": self.council_name,
            "council_adult_care_phone": self.phones.council_adult_care,
            "emergency_card_name": self.emergency_card.name,
            "young_carers_service": young.service,
            "young_carers_phone": young.phone or self.phones.main,
            "parent_carers_service": parents.service,
            "parent_carers_phone": parents.phone or self.phones.main,
        }


def spoken_time(value: time) -> str:
    """A time as people say it: 9am, 5pm, 12:30pm."""
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{suffix}"


def load_profile(path: Path) -> ServiceProfile:
    """Read and validate a service profile YAML file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"service profile {path}: cannot read ({error.strerror})") from None
    except yaml.YAMLError as error:
        raise ProfileError(f"service profile {path}: not valid YAML ({error})") from None
    return parse_profile(raw)


def parse_profile(raw: object) -> ServiceProfile:
    """Validate a profile already parsed from YAML."""
    root = _Node(raw, "")
    service = root.child("service")
    phones = root.child("phones")
    sla = root.child("sla")
    callbacks = root.child("callbacks")
    card = root.child("emergency_card")
    eligibility = root.child("eligibility")
    retention = root.child("retention")
    prefixes = _international_prefixes(root)
    zone_name = root.text("time_zone")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError(f"profile field time_zone: unknown time zone {zone_name!r}") from None
    nation = root.text("bank_holidays")
    if nation not in BANK_HOLIDAY_NATIONS:
        raise ProfileError(
            "profile field bank_holidays: expected one of " + ", ".join(BANK_HOLIDAY_NATIONS)
        )
    signposts_node = eligibility.child("signposts")
    signposts = {}
    for kind in SIGNPOST_KINDS:
        entry = signposts_node.child(kind)
        signposts[kind] = Signpost(entry.text("service"), entry.phone("phone", optional=True))
    return ServiceProfile(
        name=service.text("name"),
        area=service.text("area"),
        council_name=service.text("council_name"),
        email=service.email("email"),
        website=service.url("website"),
        phones=Phones(
            main=phones.phone("main"),
            out_of_hours_duty=phones.phone("out_of_hours_duty"),
            council_adult_care=phones.phone("council_adult_care"),
            staff_transfer=tuple(
                phones.allowed_list("staff_transfer", dialable, (), "a UK number we may dial")
            ),
        ),
        time_zone=zone,
        bank_holiday_nation=nation,
        closure_days=frozenset(root.date_list("closure_days")),
        opening_hours=_opening_hours(root.child("opening_hours")),
        sla=SlaRules(
            callback_working_days=sla.integer("callback_working_days", 1, 10),
            urgent_same_day=sla.boolean("urgent_same_day"),
            referral_acknowledge_working_days=sla.integer(
                "referral_acknowledge_working_days", 1, 10
            ),
            referral_first_contact_working_days=sla.integer(
                "referral_first_contact_working_days", 1, 20
            ),
            referral_callback_working_days=sla.integer("referral_callback_working_days", 1, 10),
        ),
        callbacks=CallbackPolicy(
            slot_minutes=callbacks.integer("slot_minutes", 15, 480),
            slot_capacity=callbacks.integer("slot_capacity", 1, 1000),
            attempts_max=callbacks.integer("attempts_max", 1, 10),
            attempts_min_gap_minutes=callbacks.integer("attempts_min_gap_minutes", 0, 10080),
        ),
        emergency_card=EmergencyCardScheme(
            name=card.text("name"),
            emergency_line=card.phone("emergency_line"),
            cover_hours=card.integer("cover_hours", 1, 720),
            max_contacts=card.integer("max_contacts", 1, 5),
        ),
        eligibility=Eligibility(
            minimum_age=eligibility.integer("minimum_age", 16, 25),
            former_carer_months=eligibility.integer("former_carer_months", 0, 60),
            signposts=signposts,
        ),
        retention=Retention(
            conversations_days=retention.integer("conversations_days", 1, 3650),
            recordings_days=retention.integer("recordings_days", 1, 3650),
            transcripts_days=retention.integer("transcripts_days", 1, 3650),
            closed_records_years=retention.integer("closed_records_years", 1, 30),
        ),
        staff_alerts=_staff_alerts(root.child("staff_alerts"), prefixes)
        if root.get("staff_alerts") is not None
        else None,
        abuse_limits=_abuse_limits(root),
        allowed_international_prefixes=prefixes,
    )


def _international_prefixes(root: _Node) -> tuple[str, ...]:
    """Country prefixes besides the UK's that numbers may be dialled or texted in (issue 8)."""
    where = root.path_of("allowed_international_prefixes")
    value = root.get("allowed_international_prefixes")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProfileError(f'profile field {where}: expected a list like ["+353"]')
    for prefix in value:
        if not _COUNTRY_PREFIX.fullmatch(prefix) or prefix.startswith("+44"):
            raise ProfileError(
                f"profile field {where}: {prefix!r} is not a country prefix like +353 "
                "(UK numbers are always allowed, and UK premium rates never are)"
            )
    return tuple(value)


def _abuse_limits(root: _Node) -> AbuseLimits:
    """Per caller number and per chat over 24 hours; the defaults when the section is absent."""
    if root.get("abuse_limits") is None:
        return AbuseLimits()
    node = root.child("abuse_limits")
    defaults = AbuseLimits()
    return AbuseLimits(
        callbacks_per_day=node.integer("callbacks_per_day", 1, 100)
        if node.get("callbacks_per_day") is not None
        else defaults.callbacks_per_day,
        texts_per_day=node.integer("texts_per_day", 1, 100)
        if node.get("texts_per_day") is not None
        else defaults.texts_per_day,
    )


def _staff_alerts(node: _Node, prefixes: tuple[str, ...]) -> StaffAlerts:
    channel = node.text("channel")
    if channel not in STAFF_ALERT_CHANNELS:
        raise ProfileError(
            f"profile field {node.path_of('channel')}: expected one of "
            + ", ".join(STAFF_ALERT_CHANNELS)
        )
    recipients = {}
    for key in ("team", "supervisors"):
        if channel == "sms":
            recipients[key] = tuple(
                node.allowed_list(key, textable, prefixes, "a mobile we may text")
            )
        else:
            recipients[key] = tuple(node.chat_id_list(key))
    return StaffAlerts(
        channel=channel,
        team=recipients["team"],
        supervisors=recipients["supervisors"],
        due_soon_minutes=node.integer("due_soon_minutes", 15, 1440),
        daily_summary_at=_parse_time(
            node.path_of("daily_summary_at"), node.get("daily_summary_at")
        ),
    )


def _opening_hours(node: _Node) -> dict[int, OpeningWindow | None]:
    hours: dict[int, OpeningWindow | None] = {}
    for index, day in enumerate(WEEKDAYS):
        value = node.get(day)
        field = node.path_of(day)
        if value is None:
            hours[index] = None
            continue
        if not (isinstance(value, list) and len(value) == 2):
            raise ProfileError(f'profile field {field}: expected ["HH:MM", "HH:MM"] or null')
        opens, closes = (_parse_time(field, item) for item in value)
        if not opens < closes:
            raise ProfileError(f"profile field {field}: opening time must be before closing time")
        hours[index] = OpeningWindow(opens, closes)
    if all(window is None for window in hours.values()):
        raise ProfileError("profile field opening_hours: the service must open on some day")
    return hours


def _parse_time(field: str, value: object) -> time:
    if isinstance(value, str) and re.fullmatch(r"[0-2][0-9]:[0-5][0-9]", value):
        hour, minute = (int(part) for part in value.split(":"))
        if hour < 24:
            return time(hour, minute)
    raise ProfileError(f'profile field {field}: expected a time as "HH:MM", got {value!r}')


class _Node:
    """A mapping in the YAML with its dotted path, for error messages that name the field."""

    def __init__(self, value: object, path: str) -> None:
        if not isinstance(value, Mapping):
            where = path or "the profile"
            raise ProfileError(f"profile field {where}: expected a mapping of fields")
        self._value: Mapping[str, Any] = value
        self._path = path

    def path_of(self, key: str) -> str:
        return f"{self._path}.{key}" if self._path else key

    def get(self, key: str) -> object:
        return self._value.get(key)

    def required(self, key: str) -> object:
        if key not in self._value or self._value[key] is None:
            raise ProfileError(f"profile field {self.path_of(key)}: missing")
        return self._value[key]

    def child(self, key: str) -> _Node:
        return _Node(self.required(key), self.path_of(key))

    def text(self, key: str) -> str:
        value = self.required(key)
        if not isinstance(value, str) or not value.strip():
            raise ProfileError(f"profile field {self.path_of(key)}: expected some text")
        return value.strip()

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.required(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ProfileError(
                f"profile field {self.path_of(key)}: expected a whole number from {low} to {high}"
            )
        return value

    def boolean(self, key: str) -> bool:
        value = self.required(key)
        if not isinstance(value, bool):
            raise ProfileError(f"profile field {self.path_of(key)}: expected true or false")
        return value

    def phone(self, key: str, *, optional: bool = False) -> str:
        value = self.get(key)
        if value is None and optional:
            return ""
        text = self.text(key) if not isinstance(value, int) else str(value)
        if not _UK_PHONE.match(text):
            raise ProfileError(
                f"profile field {self.path_of(key)}: expected a UK phone number, got {text!r}"
            )
        return text

    def phone_list(self, key: str) -> list[str]:
        value = self.required(key)
        if not isinstance(value, list) or not value:
            raise ProfileError(f"profile field {self.path_of(key)}: expected a list of numbers")
        holder = _Node({str(i): item for i, item in enumerate(value)}, self.path_of(key))
        return [holder.phone(str(i)) for i in range(len(value))]

    def allowed_list(
        self,
        key: str,
        allowed: Callable[[str, Sequence[str]], str | None],
        prefixes: tuple[str, ...],
        kind: str,
    ) -> list[str]:
        """Staff numbers, each passing the toll-fraud guard (``dialable`` or ``textable``)."""
        numbers = self.phone_list(key)
        for index, number in enumerate(numbers):
            if allowed(number, prefixes) is None:
                raise ProfileError(
                    f"profile field {self.path_of(key)}.{index}: expected {kind}, got {number!r}"
                )
        return numbers

    def chat_id_list(self, key: str) -> list[str]:
        value = self.required(key)
        if not isinstance(value, list) or not value:
            raise ProfileError(f"profile field {self.path_of(key)}: expected a list of chat ids")
        ids = [str(item) for item in value]
        for index, chat_id in enumerate(ids):
            if isinstance(value[index], bool) or not re.fullmatch(r"-?[0-9]{1,20}", chat_id):
                raise ProfileError(
                    f"profile field {self.path_of(key)}.{index}: expected a Telegram chat id"
                )
        return ids

    def email(self, key: str) -> str:
        value = self.text(key)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ProfileError(f"profile field {self.path_of(key)}: expected an e-mail address")
        return value

    def url(self, key: str) -> str:
        value = self.text(key)
        if not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", value):
            raise ProfileError(f"profile field {self.path_of(key)}: expected an http(s) address")
        return value

    def date_list(self, key: str) -> list[date]:
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
            isinstance(item, date) and not hasattr(item, "hour") for item in value
        ):
            raise ProfileError(
                f"profile field {self.path_of(key)}: expected a list of dates like 2026-12-24"
            )
        return list(value)
