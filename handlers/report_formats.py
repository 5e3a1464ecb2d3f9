"""The monitoring report as CSV (for spreadsheets) and as plain text (for the terminal).

The CSV is one long table, one figure per row, so a spreadsheet can filter and pivot it:
``section, requirement, measure, dimension, category, value``. Demographic cells carry the
suppressed values ("<5", "[c]") exactly as the HTML report shows them. A cell that starts
with ``= + - @`` is prefixed with an apostrophe so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from handlers.report import Report, ServiceLevel

CSV_HEADER = ("section", "requirement", "measure", "dimension", "category", "value")
Row = tuple[str, str, str, str, str, str]


def report_csv(report: Report) -> str:
    """The whole report as CSV text (with a header row)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in csv_rows(report):
        writer.writerow([_safe(cell) for cell in row])
    return buffer.getvalue()


def csv_rows(report: Report) -> Iterator[Row]:
    """Every figure of the report as one row."""
    yield ("period", "", "from", "", "", report.period.first.isoformat())
    yield ("period", "", "to", "", "", report.period.last.isoformat())
    yield ("period", "", "generated", "", "", f"{report.generated_at:%Y-%m-%d %H:%M}")
    for count in report.contacts_by_channel:
        yield ("contacts", "K2", "calls and chats", "channel", count.label, str(count.value))
    for hour in report.contacts_by_hour:
        for channel, value in zip(report.channels, hour.counts, strict=True):
            yield ("contacts", "K2", f"calls and chats: {channel}", "hour", hour.hour, str(value))
    for count in report.referrals_by_source:
        yield ("referrals", "L9", "referrals", "source", count.label, str(count.value))
    for count in report.referrals_by_channel:
        yield ("referrals", "L9", "referrals", "channel", count.label, str(count.value))
    for level in report.service_levels:
        yield from _level_rows(level)
    for point in report.trend:
        for level, percent in zip(report.service_levels, point.percents, strict=True):
            yield (
                "service level trend",
                level.requirement,
                level.title,
                "period",
                point.label,
                "" if percent is None else f"{percent:.1f}",
            )
    for count in report.cards:
        yield ("emergency cards", "K7", count.label, "", "", str(count.value))
    for count in report.topics:
        yield ("information", "L14", "answers given", "topic", count.label, str(count.value))
    for count in report.unanswered:
        yield ("information", "K9", count.label, "", "", str(count.value))
    for topic in report.feedback:
        yield ("did that help", "K11", "said it helped", "topic", topic.topic, str(topic.helped))
        yield (
            "did that help",
            "K11",
            "said it did not help",
            "topic",
            topic.topic,
            str(topic.not_helped),
        )
    for count in report.signposting:
        yield (
            "referred or signposted on",
            "K10",
            "carers",
            "service",
            count.label,
            str(count.value),
        )
    breakdown = report.breakdown
    for measure, total in zip(breakdown.measures, breakdown.totals, strict=True):
        yield ("demographics", "K10", measure, "all", "Total", str(total))
    for group in breakdown.groups:
        for row in group.rows:
            for measure, cell in zip(breakdown.measures, row.cells, strict=True):
                yield ("demographics", "K10", measure, group.dimension, row.category, cell)


def _level_rows(level: ServiceLevel) -> Iterator[Row]:
    section = "service levels"
    yield (section, level.requirement, level.title, "result", "met", str(level.met))
    yield (section, level.requirement, level.title, "result", "missed", str(level.missed))
    yield (section, level.requirement, level.title, "result", "not yet due", str(level.not_yet_due))
    percent = "" if level.percent is None else f"{level.percent:.1f}"
    yield (section, level.requirement, level.title, "result", "percent met", percent)
    for miss in level.misses:
        yield ("misses", level.requirement, level.title, miss.reference, miss.what, miss.reason)


def _safe(cell: str) -> str:
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def report_text(report: Report) -> str:
    """The headline figures for a terminal (the HTML and CSV have everything)."""
    lines = [
        f"{report.service}: monitoring report, {report.period.label}",
        "",
        f"Calls and chats: {report.contacts}",
        *(f"  {count.label}: {count.value}" for count in report.contacts_by_channel),
        f"Referrals: {report.referrals}",
        *(f"  {count.label}: {count.value}" for count in report.referrals_by_source),
        "",
        "Service levels:",
    ]
    for level in report.service_levels:
        percent = "no contacts due" if level.percent is None else f"{level.percent:.1f}%"
        lines.append(
            f"  {level.title} ({level.requirement}): {percent} "
            f"({level.met} met, {level.missed} missed, {level.not_yet_due} not yet due)"
        )
        lines.extend(f"    missed {miss.reference}: {miss.reason}" for miss in level.misses)
    helped, not_helped = report.helped
    lines += [
        "",
        "Emergency cards:",
        *(f"  {count.label}: {count.value}" for count in report.cards),
        "",
        f"Answers given: {sum(count.value for count in report.topics)}",
        *(f"  {count.label}: {count.value}" for count in report.unanswered),
        f'"Did that help?": {helped} yes, {not_helped} no',
    ]
    return "\n".join(lines) + "\n"
