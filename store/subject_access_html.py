"""The readable copy of a subject access export, and the reviewer's checklist (L12).

Every value is escaped: the export holds what carers and staff typed or said. Information about
other people comes first, under "Review before release", so the reviewer sees it before anything
is sent.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

REVIEW_CHECKLIST = (
    "Check the identity of the person asking before sending anything.",
    "Go through 'Review before release': information about other people (the cared-for "
    "person, referrers, emergency contacts, staff notes) is sent only with their consent or "
    "where it is reasonable to send it without; remove or redact the rest.",
    "Read the transcripts, voicemail transcripts and questions for other people's names and "
    "details, and redact them the same way.",
    "Hold back anything whose release could cause serious harm (take advice first).",
    "Send the reviewed copy within one month of the request and keep a note of what was sent.",
)

SECTION_TITLES = {
    "carers": "What we hold about you",
    "conversations": "Calls and chats, with what was said",
    "callbacks": "Call-backs",
    "referrals": "Referrals",
    "card_requests": "Emergency card requests",
    "cards": "Emergency cards",
    "voicemails": "Answerphone messages",
    "unanswered_questions": "Questions we could not answer",
    "outbox_messages": "Messages we sent",
    "audit_events": "Who looked at or changed your records",
}

STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}"
    "table{border-collapse:collapse;margin:0.5rem 0 1rem;width:100%}"
    "th,td{border:1px solid #999;padding:0.3rem;text-align:left;vertical-align:top}"
    "th{width:14rem;background:#eee}.review{border:3px solid #b00;padding:0 1rem}"
    "pre{white-space:pre-wrap;margin:0}"
)


def render_html(document: dict[str, Any]) -> str:
    """The export as one self-contained HTML page (no script)."""
    parts = [
        "<!doctype html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        "<title>Subject access export</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Subject access export</h1>",
        f"<p>Made {escape(str(document.get('generated_at', '')))}.</p>",
        '<section class="review" id="review"><h2>Review before release</h2>',
        "<ol>",
        *(f"<li>{escape(step)}</li>" for step in REVIEW_CHECKLIST),
        "</ol>",
        _review_table(document["review_before_release"]),
        "</section>",
    ]
    for key, title in SECTION_TITLES.items():
        rows = document["records"].get(key, [])
        parts.append(f"<section><h2>{escape(title)} ({len(rows)})</h2>")
        parts.extend(_record(row) for row in rows)
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _review_table(items: list[dict[str, Any]]) -> str:
    if not items:
        return "<p>Nothing about other people was found in the records.</p>"
    rows = "".join(
        "<tr>"
        f"<td>{escape(str(item['record']))}</td>"
        f"<td>{escape(str(item['field']))}</td>"
        f"<td>{_value(item['value'])}</td>"
        f"<td>{escape(str(item['why']))}</td>"
        "</tr>"
        for item in items
    )
    return (
        "<table><thead><tr><th>Record</th><th>Field</th><th>Value</th><th>Why</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _record(row: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><th>{escape(str(name))}</th><td>{_value(value)}</td></tr>"
        for name, value in row.items()
    )
    return f"<table>{cells}</table>"


def _value(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "&#8212;"
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return "".join(_record(item) for item in value)
    if isinstance(value, dict | list):
        return f"<pre>{escape(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"
    return escape(str(value))
