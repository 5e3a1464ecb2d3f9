"""The commissioners' monitoring report: every figure computed from one period's rows.

``build_report`` reads the rows through a ``ReportSource`` port and ``compile_report`` turns
them into a ``Report`` with pure functions, so the figures can be checked by hand. What each
figure means, and the requirement it answers, is in docs/report.md. In short:

* contacts by channel and by local hour (K2); referrals by source (L9);
* four service levels, each measured against the rule in the service profile from the moment
  the contact came in (working days from ``handlers.hours``), never against a deadline stored
  on the record, so a deadline changed later cannot hide a miss: callbacks within N working
  days (L7), urgent contacts the same or next working day (L8), referrals acknowledged within
  N working days and first contact within N working days (K5); each with its misses and why;
* emergency-card requests, cards issued and activations (K7, P2); information topics asked,
  unanswered questions and "did that help?" (L14, K9, K11); services carers were referred or
  signposted to (K10);
* every count broken down by what carers chose to tell us (K10, L10), with numbers from 1 to 4
  shown as "<5" (small-number suppression), so no carer can be picked out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from handlers.callbacks import SERVICES
from handlers.hours import DueByRules, WorkingCalendar
from handlers.ports import CarerFacts, ReportRows, ReportSource
from knowledge.base import KnowledgeBase

ANSWER_NODE = "information.helped"
"""The dialog node where an answer has just been given (its lines name the article)."""
SMALL_NUMBER = 5
SUPPRESSED = "<5"
PARTNER_SUPPRESSED = "[c]"
NOT_GIVEN = "Not given"

CHANNEL_LABELS = {
    "voice": "Phone",
    "sms": "Text message",
    "telegram": "Telegram",
    "terminal": "Simulator",
    "console": "Staff console",
}
SOURCE_LABELS = {
    "self": "Self-referral",
    "family": "Family member",
    "professional": "Health or care professional",
    "agency": "Voluntary or community agency",
}
KIND_LABELS = {
    "callback": "Callback",
    "referral": "Referral call",
    "voicemail": "Answerphone message",
    "card_request": "Emergency card request",
    "card_activation": "Emergency card used",
    "crisis": "Crisis callback",
}
GENDERS = (("woman", "Woman"), ("man", "Man"), ("another_way", "In another way"))
AGE_BANDS = (
    ("under_25", "Under 25"),
    ("25_to_49", "25 to 49"),
    ("50_to_64", "50 to 64"),
    ("65_to_74", "65 to 74"),
    ("75_and_over", "75 and over"),
)
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?:\s*[0-9][A-Z]{2})?$")
_PLACE_WORDS = re.compile(r"^[A-Za-z][A-Za-z '\-]{1,39}$")
MONTHLY_AFTER_DAYS = 45


@dataclass(frozen=True)
class Period:
    """The report's dates, both included, in the service's local time."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("the period ends before it starts")

    @classmethod
    def parse(cls, first: str, last: str) -> Period:
        """A period from two ISO dates (``--from 2026-07-01 --to 2026-09-30``)."""
        try:
            return cls(date.fromisoformat(first), date.fromisoformat(last))
        except ValueError as error:
            raise ValueError(f"expected dates like 2026-07-01 ({error})") from None

    @property
    def label(self) -> str:
        """The period in words: "1 July 2026 to 30 September 2026"."""
        return f"{self.first:%-d %B %Y} to {self.last:%-d %B %Y}"


@dataclass(frozen=True)
class Count:
    """One labelled number."""

    label: str
    value: int


@dataclass(frozen=True)
class HourRow:
    """Contacts that started in one local hour, per channel (in ``Report.channels`` order).

    The report lists the hours from the first with a contact to the last.
    """

    hour: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class Miss:
    """One contact that missed its service level, and why."""

    reference: str
    what: str
    channel: str
    received: datetime
    due: datetime
    done: datetime | None
    reason: str


@dataclass(frozen=True)
class ServiceLevel:
    """One service-level figure: how many met it, missed it, or are not yet due."""

    key: str
    requirement: str
    title: str
    met: int
    missed: int
    not_yet_due: int
    misses: tuple[Miss, ...]

    @property
    def counted(self) -> int:
        """Contacts whose outcome is known: met plus missed."""
        return self.met + self.missed

    @property
    def percent(self) -> float | None:
        """The share met, 0-100, or None when nothing was due."""
        return 100 * self.met / self.counted if self.counted else None


@dataclass(frozen=True)
class TrendPoint:
    """Each service level's percentage for one month (or week) of the period."""

    label: str
    percents: tuple[float | None, ...]


@dataclass(frozen=True)
class TopicFeedback:
    """The answers to "Did that help?" for one topic."""

    topic: str
    helped: int
    not_helped: int


@dataclass(frozen=True)
class BreakdownRow:
    """One category of one demographic: a shown value per measure ("<5" when small)."""

    category: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class BreakdownGroup:
    """One demographic (gender, age, disability, area) with a row per category."""

    dimension: str
    rows: tuple[BreakdownRow, ...]


@dataclass(frozen=True)
class Breakdown:
    """Every count broken down by what carers chose to tell us (K10), already suppressed."""

    measures: tuple[str, ...]
    totals: tuple[int, ...]
    groups: tuple[BreakdownGroup, ...]


@dataclass(frozen=True)
class Report:
    """The monitoring report for one period."""

    service: str
    area: str
    period: Period
    generated_at: datetime
    channels: tuple[str, ...]
    contacts_by_channel: tuple[Count, ...]
    contacts_by_hour: tuple[HourRow, ...]
    referrals_by_source: tuple[Count, ...]
    referrals_by_channel: tuple[Count, ...]
    service_levels: tuple[ServiceLevel, ...]
    trend_unit: str
    trend: tuple[TrendPoint, ...]
    cards: tuple[Count, ...]
    topics: tuple[Count, ...]
    unanswered: tuple[Count, ...]
    feedback: tuple[TopicFeedback, ...]
    signposting: tuple[Count, ...]
    breakdown: Breakdown

    @property
    def contacts(self) -> int:
        """All calls and chats in the period."""
        return sum(count.value for count in self.contacts_by_channel)

    @property
    def referrals(self) -> int:
        """All referrals in the period."""
        return sum(count.value for count in self.referrals_by_source)

    @property
    def helped(self) -> tuple[int, int]:
        """The answers to "Did that help?" over every topic: (yes, no)."""
        return (
            sum(topic.helped for topic in self.feedback),
            sum(topic.not_helped for topic in self.feedback),
        )


def build_report(
    source: ReportSource,
    calendar: WorkingCalendar,
    knowledge: KnowledgeBase,
    period: Period,
    now: datetime,
) -> Report:
    """Read the period's rows and compile the report (``now`` decides what is not yet due)."""
    zone = calendar.profile.time_zone
    start = datetime.combine(period.first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(period.last + timedelta(days=1), time(0), tzinfo=zone)
    rows = source.rows(start, end.astimezone(UTC), ANSWER_NODE)
    return compile_report(rows, calendar, ArticleTopics(knowledge), period, now)


class ArticleTopics:
    """Which article a transcript line gave, and each article's topic."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._topic_of = {
            article.id: knowledge.topics.get(article.topic).label
            for article in knowledge.articles.values()
        }
        self._by_summary = {
            article.voice_summary: article.id for article in knowledge.articles.values()
        }

    def article_in(self, line: str) -> str | None:
        """The article a transcript line gave, if any.

        In chat the line is "[article id] title"; on the phone it is the article's summary.
        """
        if line.startswith("[article ") and "]" in line:
            article_id = line[len("[article ") : line.index("]")]
            return article_id if article_id in self._topic_of else None
        return self._by_summary.get(line)

    def topic(self, article_id: str) -> str:
        """The article's topic label ("Other" for an article no longer in the knowledge base)."""
        return self._topic_of.get(article_id, "Other")


def compile_report(
    rows: ReportRows,
    calendar: WorkingCalendar,
    topics: ArticleTopics,
    period: Period,
    now: datetime,
) -> Report:
    """Every figure of the report from the period's rows (a pure function)."""
    profile = calendar.profile
    in_period = _within(period, calendar)
    callbacks = [row for row in rows.callbacks if in_period(row.received_at)]
    channels = _ordered(row.channel for row in rows.contacts)
    answered = [(row, topics.article_in(row.text)) for row in rows.answers]
    answers = [(row, article) for row, article in answered if article is not None]
    signposted = [
        row
        for row in rows.callbacks
        if row.completed_at is not None and in_period(row.completed_at) and row.signposted_to
    ]
    tracked_levels = _tracked(rows, calendar, period)
    levels = tuple(
        _measure(key, requirement, title, tracked, calendar, now)
        for key, requirement, title, tracked in tracked_levels
    )

    measures: list[tuple[str, list[int | None]]] = [
        ("Calls and chats", [row.carer_id for row in rows.contacts]),
        ("Referrals", [row.carer_id for row in rows.referrals]),
        ("Callbacks asked for", [row.carer_id for row in callbacks]),
        ("Referred or signposted on", [row.carer_id for row in signposted]),
        ("Emergency card requests", _card_carers(rows, "request")),
        ("Emergency cards issued", _card_carers(rows, "issued")),
        ("Emergency card activations", _card_carers(rows, "activation")),
        ("Answers given", [row.carer_id for row, _ in answers]),
        ("Unanswered questions", [row.carer_id for row in rows.unanswered]),
        ("Said the answer helped", [row.carer_id for row in rows.feedback if row.helped]),
        ("Said it did not help", [row.carer_id for row in rows.feedback if not row.helped]),
    ]
    feedback: dict[str, list[int]] = {}
    for row in rows.feedback:
        tally = feedback.setdefault(topics.topic(row.article_id), [0, 0])
        tally[0 if row.helped else 1] += 1
    activations = [event for event in rows.card_events if event.event == "activation"]
    return Report(
        service=profile.name,
        area=profile.area,
        period=period,
        generated_at=calendar.local(now),
        channels=tuple(CHANNEL_LABELS.get(channel, channel) for channel in channels),
        contacts_by_channel=tuple(
            Count(CHANNEL_LABELS.get(channel, channel), count)
            for channel, count in _counted((row.channel for row in rows.contacts), channels)
        ),
        contacts_by_hour=_by_hour(rows, channels, calendar),
        referrals_by_source=tuple(
            Count(SOURCE_LABELS.get(source, source), count)
            for source, count in _counted(
                (row.source for row in rows.referrals), list(SOURCE_LABELS)
            )
        ),
        referrals_by_channel=tuple(
            Count(CHANNEL_LABELS.get(channel, channel), count)
            for channel, count in _counted(
                (row.channel for row in rows.referrals),
                _ordered(row.channel for row in rows.referrals),
            )
        ),
        service_levels=levels,
        trend_unit=trend_unit(period),
        trend=_trend(tracked_levels, calendar, period, now),
        cards=(
            Count("Requests to join the scheme", len(_card_carers(rows, "request"))),
            Count("Cards issued", len(_card_carers(rows, "issued"))),
            Count("Cards used in an emergency", len(activations)),
            Count(
                "of which the number was not on file",
                sum(not event.card_known for event in activations),
            ),
        ),
        topics=_most_first(Counter(topics.topic(article) for _, article in answers)),
        unanswered=(
            Count("Questions we could not answer", len(rows.unanswered)),
            Count(
                "of which we offered close answers",
                sum(row.clarify_offered for row in rows.unanswered),
            ),
        ),
        feedback=tuple(
            TopicFeedback(topic, helped, not_helped)
            for topic, (helped, not_helped) in sorted(
                feedback.items(), key=lambda item: (-sum(item[1]), item[0])
            )
        ),
        signposting=_most_first(
            Counter(
                SERVICES.get(service, service)
                for row in signposted
                for service in row.signposted_to
            )
        ),
        breakdown=_breakdown(measures, rows.carers),
    )


# ---- service levels -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tracked:
    """A contact measured against one service level."""

    reference: str
    what: str
    channel: str
    received: datetime
    due: datetime
    done: datetime | None
    notes: tuple[str, ...] = ()


def _tracked(
    rows: ReportRows, calendar: WorkingCalendar, period: Period
) -> list[tuple[str, str, str, list[_Tracked]]]:
    """The four service levels and the contacts each one measures (in the period)."""
    sla = calendar.profile.sla
    rules = DueByRules(calendar)
    in_period = _within(period, calendar)
    normal: list[_Tracked] = []
    urgent: list[_Tracked] = []
    for row in rows.callbacks:
        if not in_period(row.received_at):
            continue
        notes = []
        if row.ended_early:
            notes.append("call ended early")
        if row.first_attempt_at is None and row.status == "closed":
            notes.append("closed without a recorded call")
        if row.outcome:
            notes.append(f"outcome: {row.outcome}")
        tracked = _Tracked(
            reference=row.reference,
            what=KIND_LABELS.get(row.kind, row.kind),
            channel=CHANNEL_LABELS.get(row.channel, row.channel),
            received=row.received_at,
            due=rules.callback(row.received_at, urgent=row.urgent),
            done=row.first_attempt_at or row.completed_at,
            notes=tuple(notes),
        )
        (urgent if row.urgent else normal).append(tracked)
    acknowledged: list[_Tracked] = []
    contacted: list[_Tracked] = []
    for referral in rows.referrals:
        what = f"Referral ({SOURCE_LABELS.get(referral.source, referral.source).lower()})"
        channel = CHANNEL_LABELS.get(referral.channel, referral.channel)
        acknowledged.append(
            _Tracked(
                referral.reference,
                what,
                channel,
                referral.received_at,
                rules.referral_acknowledgement(referral.received_at),
                referral.acknowledged_at,
            )
        )
        contacted.append(
            _Tracked(
                referral.reference,
                what,
                channel,
                referral.received_at,
                rules.referral_first_contact(referral.received_at),
                referral.first_contact_at,
            )
        )
    return [
        ("callbacks", "L7", f"Callbacks made within {_days(sla.callback_working_days)}", normal),
        (
            "urgent",
            "L8",
            "Urgent contacts dealt with the same day (next working day out of hours)",
            urgent,
        ),
        (
            "acknowledged",
            "K5",
            f"Referrals acknowledged within {_days(sla.referral_acknowledge_working_days)}",
            acknowledged,
        ),
        (
            "first_contact",
            "K5",
            f"First contact within {_days(sla.referral_first_contact_working_days)}",
            contacted,
        ),
    ]


def _measure(
    key: str,
    requirement: str,
    title: str,
    tracked: Iterable[_Tracked],
    calendar: WorkingCalendar,
    now: datetime,
) -> ServiceLevel:
    met = not_yet_due = 0
    misses: list[Miss] = []
    for item in tracked:
        if item.done is not None and item.done <= item.due:
            met += 1
        elif item.done is None and now <= item.due:
            not_yet_due += 1
        else:
            misses.append(
                Miss(
                    reference=item.reference,
                    what=item.what,
                    channel=item.channel,
                    received=calendar.local(item.received),
                    due=calendar.local(item.due),
                    done=calendar.local(item.done) if item.done else None,
                    reason="; ".join((_lateness(item, calendar, now), *item.notes)),
                )
            )
    return ServiceLevel(key, requirement, title, met, len(misses), not_yet_due, tuple(misses))


def _lateness(item: _Tracked, calendar: WorkingCalendar, now: datetime) -> str:
    """Why it missed, in working days (``handlers.hours``)."""
    if item.done is None:
        late = working_days_after(calendar, item.due, now)
        if late == 0:
            return "not done yet: the deadline passed today"
        return f"not done yet: {_days(late)} past the deadline"
    late = working_days_after(calendar, item.due, item.done)
    if late == 0:
        return "done after the deadline, the same day"
    return f"done {_days(late)} late"


def working_days_after(calendar: WorkingCalendar, deadline: datetime, moment: datetime) -> int:
    """Working days from the deadline's day to the moment's day (0 on the same day)."""
    return calendar.working_days_between(
        calendar.local(deadline).date(), calendar.local(moment).date()
    )


def _days(count: int) -> str:
    return f"{count} working day{'s' if count != 1 else ''}"


def _trend(
    levels: list[tuple[str, str, str, list[_Tracked]]],
    calendar: WorkingCalendar,
    period: Period,
    now: datetime,
) -> tuple[TrendPoint, ...]:
    """Each service level per month of the period (per week for a period of six weeks or less)."""
    points = []
    for label, first, last in _buckets(period):

        def in_bucket(item: _Tracked, first: date = first, last: date = last) -> bool:
            return first <= calendar.local(item.received).date() <= last

        percents = tuple(
            _measure(key, requirement, title, filter(in_bucket, tracked), calendar, now).percent
            for key, requirement, title, tracked in levels
        )
        points.append(TrendPoint(label, percents))
    return tuple(points)


def trend_unit(period: Period) -> str:
    """The trend's step: "month", or "week" for a period of six weeks or less."""
    return "month" if (period.last - period.first).days > MONTHLY_AFTER_DAYS else "week"


def _buckets(period: Period) -> list[tuple[str, date, date]]:
    buckets = []
    if trend_unit(period) == "month":
        start = period.first.replace(day=1)
        while start <= period.last:
            following = (start + timedelta(days=32)).replace(day=1)
            first = max(start, period.first)
            last = min(following - timedelta(days=1), period.last)
            buckets.append((f"{start:%b %Y}", first, last))
            start = following
        return buckets
    start = period.first - timedelta(days=period.first.weekday())
    while start <= period.last:
        first = max(start, period.first)
        last = min(start + timedelta(days=6), period.last)
        buckets.append((f"w/c {start:%-d %b}", first, last))
        start += timedelta(days=7)
    return buckets


# ---- counts ---------------------------------------------------------------------------------


def _within(period: Period, calendar: WorkingCalendar) -> Callable[[datetime], bool]:
    def within(moment: datetime) -> bool:
        return period.first <= calendar.local(moment).date() <= period.last

    return within


def _ordered(values: Iterable[str]) -> list[str]:
    """Channels in the usual order, then any others alphabetically."""
    seen = set(values)
    known = [channel for channel in CHANNEL_LABELS if channel in seen]
    return known + sorted(seen - set(CHANNEL_LABELS))


def _counted(values: Iterable[str], order: Sequence[str]) -> list[tuple[str, int]]:
    counts = Counter(values)
    extra = sorted(set(counts) - set(order))
    return [(value, counts[value]) for value in (*order, *extra)]


def _by_hour(
    rows: ReportRows, channels: Sequence[str], calendar: WorkingCalendar
) -> tuple[HourRow, ...]:
    counts: Counter[tuple[int, str]] = Counter()
    for row in rows.contacts:
        counts[(calendar.local(row.started_at).hour, row.channel)] += 1
    busy = sorted({hour for hour, _ in counts})
    if not busy:
        return ()
    return tuple(
        HourRow(f"{hour:02d}:00", tuple(counts[(hour, channel)] for channel in channels))
        for hour in range(busy[0], busy[-1] + 1)
    )


def _most_first(counts: Counter[str]) -> tuple[Count, ...]:
    """Largest first; equal counts in alphabetical order."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Count(label, count) for label, count in ranked)


def _card_carers(rows: ReportRows, event: str) -> list[int | None]:
    return [row.carer_id for row in rows.card_events if row.event == event]


# ---- breakdown by demographics (K10) --------------------------------------------------------


def district(place: str | None) -> str | None:
    """The area to count a carer in, or None when they gave none.

    A postcode counts by its district ("WS1 2AB" -> "WS1"); a place name as given.
    """
    if not place or not place.strip():
        return None
    text = " ".join(place.split())
    postcode = _POSTCODE.match(text.upper())
    if postcode:
        return postcode.group(1)
    if _PLACE_WORDS.match(text):
        return text.title()
    return "Other or unclear"


Dimension = tuple[str, Callable[[CarerFacts], str | None], list[tuple[str, str]]]


def _dimensions() -> list[Dimension]:
    """Each demographic: its name, how to read it, and its categories in order (L10)."""
    return [
        ("Gender", lambda facts: facts.gender, list(GENDERS)),
        ("Age", lambda facts: facts.age_band, list(AGE_BANDS)),
        (
            "Disability",
            lambda facts: None if facts.disability is None else str(facts.disability),
            [("True", "Disabled"), ("False", "Not disabled")],
        ),
        ("Area", lambda facts: district(facts.place), []),
    ]


def _breakdown(
    measures: Sequence[tuple[str, Sequence[int | None]]], facts: Mapping[int, CarerFacts]
) -> Breakdown:
    unknown = CarerFacts()
    groups = []
    for dimension, value_of, categories in _dimensions():
        columns: list[Counter[str | None]] = []
        for _, carer_ids in measures:
            columns.append(
                Counter(value_of(facts.get(cid, unknown) if cid else unknown) for cid in carer_ids)
            )
        known = [value for value, _ in categories]
        found = sorted(
            {value for column in columns for value in column if value is not None} - set(known)
        )
        labels = dict(categories) | {value: value for value in found}
        order: list[str | None] = [*known, *found, None]
        shown_columns = [
            suppress([column[value] for value in order], not_given=len(order) - 1)
            for column in columns
        ]
        groups.append(
            BreakdownGroup(
                dimension,
                tuple(
                    BreakdownRow(
                        labels[value] if value is not None else NOT_GIVEN,
                        tuple(shown[index] for shown in shown_columns),
                    )
                    for index, value in enumerate(order)
                ),
            )
        )
    return Breakdown(
        measures=tuple(label for label, _ in measures),
        totals=tuple(len(carer_ids) for _, carer_ids in measures),
        groups=tuple(groups),
    )


def suppress(values: Sequence[int], *, not_given: int | None = None) -> list[str]:
    """Cells as shown: 1 to 4 become "<5"; zero and 5 or more are shown as they are.

    When only one cell of a column is small and it belongs to a group carers told us about,
    it could be worked out from the column's total, so one more cell is hidden too and shown
    as "[c]": the smallest other cell that is not zero. A small "not given" cell (index
    ``not_given``) needs no partner: it says nothing about anyone.
    """
    shown = [SUPPRESSED if 0 < value < SMALL_NUMBER else str(value) for value in values]
    small = [index for index, value in enumerate(values) if 0 < value < SMALL_NUMBER]
    if len(small) == 1 and small[0] != not_given:
        others = [index for index, value in enumerate(values) if index != small[0] and value]
        if others:
            partner = min(others, key=lambda index: (values[index], index))
            shown[partner] = PARTNER_SUPPRESSED
    return shown
