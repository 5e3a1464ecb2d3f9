"""The report as CSV (one figure per row, for spreadsheets) and as text for the terminal."""

from __future__ import annotations

import csv
import io

import pytest

from handlers.report_formats import CSV_HEADER, report_csv, report_text

pytestmark = pytest.mark.usefixtures("quarter")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_is_one_figure_per_row_under_one_header(report_of):
    text = report_csv(report_of())
    assert text.startswith(",".join(CSV_HEADER) + "\r\n")
    header, *rows = rows_of(text)
    assert tuple(header) == CSV_HEADER
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    assert ["period", "", "from", "", "", "2026-07-01"] in rows
    assert ["period", "", "to", "", "", "2026-09-30"] in rows
    assert ["contacts", "K2", "calls and chats", "channel", "Telegram", "6"] in rows
    assert ["contacts", "K2", "calls and chats: Phone", "hour", "23:00", "1"] in rows
    assert ["referrals", "L9", "referrals", "source", "Self-referral", "4"] in rows
    l7 = "Callbacks made within 2 working days"
    assert ["service levels", "L7", l7, "result", "met", "3"] in rows
    assert ["service levels", "L7", l7, "result", "percent met", "50.0"] in rows
    assert ["service level trend", "L7", l7, "period", "Sep 2026", "33.3"] in rows
    assert [
        "misses",
        "K5",
        "First contact within 5 working days",
        "R4",
        "Referral (self-referral)",
        "not done yet: 45 working days past the deadline",
    ] in rows
    assert ["emergency cards", "K7", "Cards issued", "", "", "2"] in rows
    assert ["information", "L14", "answers given", "topic", "Carer's Allowance", "3"] in rows
    assert [
        "did that help",
        "K11",
        "said it did not help",
        "topic",
        "Carer's Allowance",
        "1",
    ] in rows
    assert [
        "referred or signposted on",
        "K10",
        "carers",
        "service",
        "Benefits and money advice",
        "1",
    ] in rows
    assert ["demographics", "K10", "Calls and chats", "all", "Total", "14"] in rows
    assert ["demographics", "K10", "Calls and chats", "Gender", "Woman", "[c]"] in rows
    assert ["demographics", "K10", "Calls and chats", "Gender", "Man", "<5"] in rows


def test_no_demographic_cell_shows_a_number_under_five(report_of):
    _, *rows = rows_of(report_csv(report_of()))
    cells = [row[5] for row in rows if row[0] == "demographics" and row[3] != "all"]
    assert cells and all(cell in ("0", "<5", "[c]") or int(cell) >= 5 for cell in cells)


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_defused(records, report_of):
    records.callback(
        "2026-08-10T10:00",
        "2026-08-12T17:00",
        status="done",
        completed="2026-08-11T10:00",
        signposted_to=['=HYPERLINK("http://evil.example","x")'],
    )
    _, *rows = rows_of(report_csv(report_of()))
    [service] = [
        row[4] for row in rows if row[0] == "referred or signposted on" and "evil" in row[4]
    ]
    assert service == '\'=HYPERLINK("http://evil.example","x")'


def test_the_text_report_gives_the_headlines(report_of):
    text = report_text(report_of())
    assert text.splitlines()[0] == (
        "Westshire Carers Line: monitoring report, 1 July 2026 to 30 September 2026"
    )
    assert "Calls and chats: 14" in text
    assert (
        "  Referrals acknowledged within 1 working day (K5): 71.4% (5 met, 2 missed, "
        "0 not yet due)" in text
    )
    assert "    missed R4: not done yet: 49 working days past the deadline" in text
    assert '"Did that help?": 3 yes, 1 no' in text
