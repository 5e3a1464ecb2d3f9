"""The HTML report, parsed: its tables carry the figures, its SVG charts draw them, nothing runs.

The page is parsed into elements with the standard library's HTML parser, so the tests read
tables, charts and text the way a browser or screen reader would, not as strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from console.report_page import render_report_html

pytestmark = pytest.mark.usefixtures("quarter")
VOID = {"meta", "link", "br", "hr", "img", "input"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return " ".join(
            " ".join((c if isinstance(c, str) else c.text()).split()) for c in self.children
        ).strip()

    def all(self, tag: str) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if child.tag == tag:
                    found.append(child)
                found += child.all(tag)
        return found


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.root = Element("document", {})
        self.stack = [self.root]
        self.doctype = ""
        self.feed(html)
        self.close()

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, {key: value or "" for key, value in attrs}))

    def handle_endtag(self, tag):
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        if data.strip():
            self.stack[-1].children.append(data)


def table(page: Page, caption_start: str) -> list[list[str]]:
    for candidate in page.root.all("table"):
        captions = candidate.all("caption")
        if captions and captions[0].text().startswith(caption_start):
            return [
                [cell.text() for cell in row.children if isinstance(cell, Element)]
                for row in candidate.all("tr")
            ]
    raise AssertionError(f"no table captioned {caption_start!r}")


@pytest.fixture
def page(report_of) -> Page:
    return Page(render_report_html(report_of()))


def test_a_whole_page_that_nests_properly_and_runs_nothing(page):
    assert page.doctype == "doctype html"
    [html] = page.root.all("html")
    assert html.attrs["lang"] == "en-GB"
    assert page.stack == [page.root]  # every element was closed
    assert page.root.all("script") == []
    style = page.root.all("style")[0].text()
    assert "@media print" in style and "@page" in style
    assert page.root.all("title")[0].text() == (
        "Westshire Carers Line: monitoring report, 1 July 2026 to 30 September 2026"
    )


def test_the_service_level_table_and_the_misses(page):
    rows = table(page, "Contacts that came in during the period")
    assert rows[1:] == [
        ["Callbacks made within 2 working days", "L7", "3", "3", "0", "50.0%"],
        [
            "Urgent contacts dealt with the same day (next working day out of hours)",
            "L8",
            "2",
            "2",
            "0",
            "50.0%",
        ],
        ["Referrals acknowledged within 1 working day", "K5", "5", "2", "0", "71.4%"],
        ["First contact within 5 working days", "K5", "4", "3", "0", "57.1%"],
    ]
    misses = table(page, "Missed: callbacks made within 2 working days")
    assert misses[0] == [
        "Reference",
        "What",
        "Channel",
        "Came in",
        "Due by",
        "Done",
        "Why it missed",
    ]
    assert misses[3] == [
        "C5",
        "Callback",
        "Phone",
        "Tue 29 Sep 11:00",
        "Thu 1 Oct 17:00",
        "not yet",
        "not done yet: 37 working days past the deadline; call ended early",
    ]


def test_the_other_tables_carry_the_figures(page):
    assert ["Telegram", "6"] in table(page, "Calls and chats by channel: 14 in all")
    assert ["23:00", "1", "0", "1"] in table(page, "Calls and chats by the hour")
    assert ["Family member", "2"] in table(page, "Referrals by who made them")
    assert ["of which the number was not on file", "1"] in table(page, "The emergency card")
    assert ["Carer's Allowance", "3"] in table(page, "Topics asked about")
    assert ["Carer's Allowance", "2", "1"] in table(page, 'Answers to "Did that help?"')
    assert ["Benefits and money advice", "1"] in table(page, "Services carers were referred")
    demographics = table(page, "Counts by demographic")
    assert demographics[1][:3] == ["Everyone", "14", "7"]
    woman = next(row for row in demographics if row[0] == "Woman")
    assert woman[1:3] == ["[c]", "<5"]
    # below the totals (the headline figures, shown in full elsewhere too)
    cells = [cell for row in demographics[2:] if len(row) > 1 for cell in row[1:]]
    assert all(cell in ("0", "<5", "[c]") or int(cell) >= 5 for cell in cells)


def test_the_trend_chart_draws_each_service_level(page):
    trend = next(
        svg
        for svg in page.root.all("svg")
        if svg.attrs.get("aria-labelledby") == "trend-title trend-desc"
    )
    assert trend.attrs["role"] == "img"
    assert trend.all("title")[0].text() == "Service levels over the period"
    assert (
        "Urgent contacts dealt with the same day (next working day out of hours): "
        "Jul 2026 100%, Aug 2026 0%, Sep 2026 50%" in trend.all("desc")[0].text()
    )
    lines = trend.all("polyline")
    assert len(lines) == 4 and all(len(line.attrs["points"].split()) == 3 for line in lines)
    # 0-100% runs from y=256 up to y=16; the urgent line goes 100%, 0%, 50%
    urgent = [point.split(",")[1] for point in lines[1].attrs["points"].split()]
    assert urgent == ["16.0", "256.0", "136.0"]
    assert {line.attrs.get("stroke-dasharray", "") for line in lines} == {
        "",
        "8 4",
        "2 4",
        "10 4 2 4",
    }
    assert table(page, "The trend in figures")[1] == [
        "Callbacks made within 2 working days",
        "50.0%",
        "100.0%",
        "33.3%",
    ]


def test_the_topic_chart_has_a_bar_per_topic(page):
    topics = next(
        svg
        for svg in page.root.all("svg")
        if svg.attrs.get("aria-labelledby") == "topics-title topics-desc"
    )
    bars = topics.all("rect")
    assert [bar.attrs["width"] for bar in bars] == ["382.0", "127.3"]  # 3 and 1 of 382 pixels
    assert [text.text() for text in topics.all("text")] == [
        "Carer's Allowance",
        "3",
        "Breaks from caring",
        "1",
    ]
    assert topics.all("desc")[0].text() == (
        "Answers given by topic: Carer's Allowance 3, Breaks from caring 1."
    )


def test_everything_shown_is_escaped(records, report_of):
    records.callback(
        "2026-08-10T10:00",
        "2026-08-12T17:00",
        status="done",
        completed="2026-08-11T10:00",
        signposted_to=["<script>alert('x')</script> & Co"],
    )
    html = render_report_html(report_of())
    page = Page(html)
    assert page.root.all("script") == []
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    assert ["<script>alert('x')</script> & Co", "1"] in table(page, "Services carers were referred")
