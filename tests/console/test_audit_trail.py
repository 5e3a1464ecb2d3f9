"""The audit trail: supervisors read it, staff cannot, and no route can change or delete it."""

from __future__ import annotations

from datetime import timedelta

import store.audit
from handlers.ports import Actor
from store.audit import add_audit
from store.models import AuditEvent
from tests.console.seeding import add_callback, rows


def test_supervisors_read_the_trail_newest_first_with_filters(db, clock, alice, sam, signed_in):
    callback_id = add_callback(db, clock.now())
    other_id = add_callback(db, clock.now())
    staff = signed_in(alice)
    staff.page(f"/console/callbacks/{callback_id}")
    clock.advance(timedelta(minutes=5))
    staff.post(f"/console/callbacks/{callback_id}/claim")
    staff.page(f"/console/callbacks/{other_id}")
    supervisor = signed_in(sam)
    page = supervisor.page(f"/console/audit?subject_type=callback&subject_id={callback_id}")
    assert "2 lines." in page
    assert page.index(">claimed<") < page.index(">viewed<")
    assert "staff:alice" in page and "Mon 23 Nov 2026, 10:35" in page
    by_alice = supervisor.page(f"/console/audit?staff_id={alice.id}")
    assert "signed in" in by_alice and "staff:sam" not in by_alice


def test_staff_cannot_read_the_trail(alice, signed_in):
    response = signed_in(alice).get("/console/audit")
    assert response.status_code == 403
    assert "Audit trail" not in signed_in(alice).page("/console/")


def test_no_route_can_change_the_audit_trail(app, db, clock, sam, signed_in):
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert [rule.rule for rule in audit_rules] == ["/console/audit"]
    assert audit_rules[0].methods == {"GET", "HEAD", "OPTIONS"}
    supervisor = signed_in(sam)
    before = len(rows(db, AuditEvent))
    for method in ("post", "put", "delete", "patch"):
        response = getattr(supervisor.client, method)("/console/audit")
        assert response.status_code in (400, 405)
    assert len(rows(db, AuditEvent)) == before


def test_every_change_leaves_a_line_with_who_what_and_when(db, clock, alice, signed_in):
    callback_id = add_callback(db, clock.now())
    browser = signed_in(alice)
    browser.post(f"/console/callbacks/{callback_id}/claim")
    browser.post(f"/console/callbacks/{callback_id}/attempts", {"result": "reached"})
    browser.post(f"/console/callbacks/{callback_id}/complete", {"outcome": "information_given"})
    lines = [
        (event.staff_id, event.actor, event.action, event.subject_id, event.at)
        for event in rows(db, AuditEvent, AuditEvent.subject_type == "callback")
        if event.action != "viewed"
    ]
    assert lines == [
        (alice.id, "staff:alice", action, callback_id, clock.now())
        for action in ("claimed", "attempt_recorded", "completed")
    ]


def test_a_long_trail_is_counted_up_to_a_cap_and_still_paged(
    db, clock, sam, signed_in, monkeypatch
):
    monkeypatch.setattr(store.audit, "COUNT_CAP", 50)
    with db.sessions.begin() as session:
        for number in range(130):
            add_audit(
                session, Actor(None, "carer:voice"), "created", "callback", number, clock.now()
            )
    supervisor = signed_in(sam)

    first = supervisor.page("/console/audit?subject_type=callback")
    assert "More than 100 lines." in first  # counting stopped just past the page asked for
    assert 'rel="next"' in first and "Page 1 of" not in first

    second = supervisor.page("/console/audit?subject_type=callback&page=2")
    assert "130 lines." in second  # near the end, the count is exact again
    assert second.count("<tr>") == 30 + 1  # the last 30 lines and the header row
    assert 'rel="next"' not in second
