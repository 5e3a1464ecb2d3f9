"""The monitoring report as one printable HTML page, with its charts drawn as SVG on the server.

``render_report_html(report)`` is used by ``carers-line report --format html`` and by the
console's supervisor page, so both show exactly the same thing. No JavaScript: the service-level
trend is a line chart and the topic mix a bar chart, each drawn here as SVG with a text
alternative, and every figure is also in a table. Jinja escapes every value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from handlers.report import Report, TrendPoint

TEMPLATES = Path(__file__).resolve().parent / "templates"
TOP_TOPICS = 12

# Line styles tell the series apart without colour (WCAG 1.4.1): a dash pattern and a marker.
SERIES_STYLES = (
    ("#1b5e20", "", "circle"),
    ("#0d47a1", "8 4", "square"),
    ("#b71c1c", "2 4", "triangle"),
    ("#4a148c", "10 4 2 4", "diamond"),
)


@dataclass(frozen=True)
class Marker:
    """One point of a line: where it is drawn and what it says."""

    x: float
    y: float
    shape: str
    label: str


@dataclass(frozen=True)
class Series:
    """One service level's line through the months (or weeks) of the period."""

    name: str
    colour: str
    dash: str
    shape: str
    segments: tuple[str, ...]
    markers: tuple[Marker, ...]


@dataclass(frozen=True)
class Tick:
    """An axis label and where it goes."""

    position: float
    label: str


@dataclass(frozen=True)
class LineChart:
    """The service-level trend, 0-100% up the side, the period's months (or weeks) along."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    series: tuple[Series, ...]
    description: str


@dataclass(frozen=True)
class Bar:
    """One topic's bar."""

    label: str
    value: int
    y: float
    length: float


@dataclass(frozen=True)
class BarChart:
    """The topic mix: how often each topic's answers were given."""

    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]
    description: str


def trend_chart(
    names: Sequence[str], points: Sequence[TrendPoint], width: int = 680, height: int = 300
) -> LineChart:
    """The trend as a line per service level; a month with nothing due leaves a gap."""
    left, right, top, bottom = 52, 16, 16, 44
    plot_width = width - left - right
    plot_height = height - top - bottom

    inset = 40  # room for the first and last labels along the bottom

    def x_at(index: int) -> float:
        if len(points) == 1:
            return left + plot_width / 2
        return left + inset + (plot_width - 2 * inset) * index / (len(points) - 1)

    def y_at(percent: float) -> float:
        return top + plot_height * (1 - percent / 100)

    series = []
    for number, name in enumerate(names):
        colour, dash, shape = SERIES_STYLES[number % len(SERIES_STYLES)]
        segments: list[str] = []
        current: list[str] = []
        markers = []
        for index, point in enumerate(points):
            percent = point.percents[number]
            if percent is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            x, y = round(x_at(index), 1), round(y_at(percent), 1)
            current.append(f"{x},{y}")
            markers.append(Marker(x, y, shape, f"{name}, {point.label}: {percent:.1f}%"))
        if current:
            segments.append(" ".join(current))
        series.append(Series(name, colour, dash, shape, tuple(segments), tuple(markers)))
    described = "; ".join(
        f"{name}: " + ", ".join(f"{p.label} {_percent(p.percents[number])}" for p in points)
        for number, name in enumerate(names)
    )
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        y_ticks=tuple(Tick(round(y_at(value), 1), f"{value}%") for value in (0, 25, 50, 75, 100)),
        x_ticks=tuple(
            Tick(round(x_at(index), 1), point.label) for index, point in enumerate(points)
        ),
        series=tuple(series),
        description=f"Percentage of contacts that met each service level, by period. {described}.",
    )


def _percent(value: float | None) -> str:
    return "no contacts due" if value is None else f"{value:.0f}%"


def topic_chart(topics: Sequence[tuple[str, int]], width: int = 680) -> BarChart:
    """The most asked topics as bars, the rest together as "All other topics"."""
    shown = list(topics[:TOP_TOPICS])
    rest = sum(value for _, value in topics[TOP_TOPICS:])
    if rest:
        shown.append(("All other topics", rest))
    label_width, bar_height, gap, value_room = 250, 20, 8, 48
    longest = max((value for _, value in shown), default=0) or 1
    room = width - label_width - value_room
    bars = tuple(
        Bar(label, value, index * (bar_height + gap), round(room * value / longest, 1))
        for index, (label, value) in enumerate(shown)
    )
    described = ", ".join(f"{label} {value}" for label, value in shown) or "no answers given"
    return BarChart(
        width=width,
        height=max(len(bars), 1) * (bar_height + gap),
        label_width=label_width,
        bar_height=bar_height,
        bars=bars,
        description=f"Answers given by topic: {described}.",
    )


_ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_report_html(report: Report) -> str:
    """The whole report as a standalone, printable HTML page (UTF-8, no outside files)."""
    template = _ENVIRONMENT.get_template("report.html")
    return template.render(
        report=report,
        trend=trend_chart([level.title for level in report.service_levels], report.trend),
        topics=topic_chart([(count.label, count.value) for count in report.topics]),
    )
