"""The queue: urgent first then due-by, time left in words and colour, filters, pages, holders,
claim / release / reassign, and a reason that tries to run a script shown as text."""

from __future__ import annotations

import re
from datetime import timedelta

from store.models import AuditEvent, Callback
from tests.console.seeding import add_callback, row, rows


def _references(page: str) -> list[str]:
    return re.findall(r'<a href="/console/callbacks/\d+">([A-Z]\d+)</a>', page)


def _reference(db, callback_id: int) -> str:
    return row(db, Callback, callback_id).reference


def test_urgent_items_come_first_then_the_soonest_due(db, clock, alice, signed_in):
    now = clock.now()
    later = add_callback(db, now, now + timedelta(days=2))
    soon = add_callback(db, now, now + timedelta(hours=1))
    urgent_late = add_callback(db, now, now + timedelta(hours=6), urgency="urgent")
    urgent_soon = add_callback(db, now, now + timedelta(hours=3), urgency="urgent")
    add_callback(db, now, now + timedelta(minutes=5), status="done")
    page = signed_in(alice).page("/console/")
    expected = [_reference(db, i) for i in (urgent_soon, urgent_late, soon, later)]
    assert _references(page) == expected
    assert "4 open items." in page


def test_time_left_is_in_words_with_colour_as_backup(db, clock, alice, signed_in):
    now = clock.now()
    add_callback(db, now - timedelta(days=3), now - timedelta(hours=26, minutes=5))
    add_callback(db, now, now + timedelta(minutes=90))
    add_callback(db, now, now + timedelta(days=2, hours=6, minutes=30))
    page = signed_in(alice).page("/console/")
    overdue = r'deadline--overdue">\s*<span class="deadline-words"><strong>Overdue by 1 day 2 hours'
    assert re.search(overdue, page)
    assert re.search(
        r'deadline--due_soon">\s*<span class="deadline-words">1 hour 30 minutes left', page
    )
    assert re.search(
        r'deadline--in_time">\s*<span class="deadline-words">2 days 6 hours left', page
    )
    assert "due Mon 23 Nov 2026, 12:00" in page


def test_a_planted_script_in_the_reason_is_shown_as_text(db, clock, alice, signed_in):
    add_callback(db, clock.now(), reason='<script>alert("x")</script> & more')
    page = signed_in(alice).page("/console/")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in page


def test_filters_mine_unclaimed_overdue_urgent_and_type(db, clock, alice, bob, signed_in):
    now = clock.now()
    mine = add_callback(db, now, claimed_by=alice.id, claimed_at=now)
    theirs = add_callback(db, now, claimed_by=bob.id, claimed_at=now)
    overdue = add_callback(db, now - timedelta(days=3), now - timedelta(hours=1))
    urgent = add_callback(db, now, now + timedelta(hours=2), urgency="urgent")
    voicemail = add_callback(db, now, kind="voicemail", channel="voice")
    browser = signed_in(alice)

    def shown(query: str) -> set[str]:
        return set(_references(browser.page(f"/console/?{query}")))

    ref = {i: _reference(db, i) for i in (mine, theirs, overdue, urgent, voicemail)}
    assert shown("view=mine") == {ref[mine]}
    assert shown("view=unclaimed") == {ref[overdue], ref[urgent], ref[voicemail]}
    assert shown("overdue=y") == {ref[overdue]}
    assert shown("urgent=y") == {ref[urgent]}
    assert shown("kind=voicemail") == {ref[voicemail]}
    assert shown("kind=voicemail&view=mine") == set()
    assert len(shown("kind=not-a-kind")) == 5
    page = browser.page("/console/?view=mine")
    assert re.search(r"<td>\s*You\s*</td>", page)


def test_the_holder_is_named_and_unclaimed_items_have_a_claim_button(
    db, clock, alice, bob, signed_in
):
    now = clock.now()
    add_callback(db, now, claimed_by=bob.id, claimed_at=now)
    add_callback(db, now)
    page = signed_in(alice).page("/console/")
    assert "Bob Brown" in page
    assert page.count('<button type="submit">Claim <span class="visually-hidden">') == 1


def test_pages_of_fifty_keep_the_order_and_the_filters(db, clock, alice, signed_in):
    now = clock.now()
    ids = [add_callback(db, now, now + timedelta(minutes=i)) for i in range(60)]
    urgent = add_callback(db, now, now + timedelta(days=1), urgency="urgent")
    browser = signed_in(alice)
    first = browser.page("/console/")
    second = browser.page("/console/?page=2")
    expected = [_reference(db, i) for i in [urgent, *ids]]
    assert _references(first) == expected[:50]
    assert _references(second) == expected[50:]
    assert "Page 1 of 2" in first and 'href="/console/?page=2"' in first
    filtered = browser.page("/console/?view=unclaimed&page=1")
    assert 'href="/console/?page=2&amp;view=unclaimed"' in filtered
    assert "nothing on this page" in browser.page("/console/?page=9")


def test_the_queue_table_is_marked_up_for_screen_readers(db, clock, alice, signed_in):
    add_callback(db, clock.now())
    page = signed_in(alice).page("/console/")
    assert '<a class="skip-link" href="#content">' in page and '<main id="content"' in page
    assert "<caption" in page and '<th scope="col">Time left</th>' in page
    assert '<th scope="row">' in page
    assert '<label for="view">Show</label>' in page and '<label for="kind">Type</label>' in page


def test_claiming_from_the_queue_and_releasing(db, clock, alice, bob, signed_in):
    callback_id = add_callback(db, clock.now())
    alice_console = signed_in(alice)
    response = alice_console.post(f"/console/callbacks/{callback_id}/claim")
    assert response.status_code == 302
    claimed = row(db, Callback, callback_id)
    assert claimed.claimed_by == alice.id and claimed.claimed_at == clock.now()

    bob_console = signed_in(bob)
    bob_console.post(f"/console/callbacks/{callback_id}/claim")
    assert row(db, Callback, callback_id).claimed_by == alice.id
    page = bob_console.page(f"/console/callbacks/{callback_id}")
    assert "Alice Adams holds this item." in page
    bob_console.post(f"/console/callbacks/{callback_id}/release")
    assert row(db, Callback, callback_id).claimed_by == alice.id

    alice_console.post(f"/console/callbacks/{callback_id}/release")
    released = row(db, Callback, callback_id)
    assert released.claimed_by is None and released.claimed_at is None
    actions = [
        (event.staff_id, event.action)
        for event in rows(db, AuditEvent, AuditEvent.subject_type == "callback")
        if event.action in ("claimed", "released")
    ]
    assert actions == [(alice.id, "claimed"), (alice.id, "released")]


def test_a_closed_item_cannot_be_claimed(db, clock, alice, signed_in):
    callback_id = add_callback(db, clock.now(), status="done")
    signed_in(alice).post(f"/console/callbacks/{callback_id}/claim")
    assert row(db, Callback, callback_id).claimed_by is None


def test_a_supervisor_reassigns_and_releases_anyones_item(db, clock, alice, bob, sam, signed_in):
    callback_id = add_callback(db, clock.now(), claimed_by=alice.id, claimed_at=clock.now())
    supervisor = signed_in(sam)
    page = supervisor.page(f"/console/callbacks/{callback_id}")
    assert "Give this item to" in page and "Release from Alice Adams" in page
    response = supervisor.post(
        f"/console/callbacks/{callback_id}/reassign", {"staff_id": str(bob.id)}
    )
    assert response.status_code == 302
    assert row(db, Callback, callback_id).claimed_by == bob.id
    event = rows(db, AuditEvent, AuditEvent.action == "reassigned")[0]
    assert event.staff_id == sam.id and event.detail == {
        "from_staff_id": alice.id,
        "to_staff_id": bob.id,
    }
    supervisor.post(f"/console/callbacks/{callback_id}/release")
    assert row(db, Callback, callback_id).claimed_by is None


def test_staff_cannot_reassign(db, clock, alice, bob, signed_in):
    callback_id = add_callback(db, clock.now(), claimed_by=bob.id, claimed_at=clock.now())
    browser = signed_in(alice)
    assert "Give this item to" not in browser.page(f"/console/callbacks/{callback_id}")
    response = browser.post(
        f"/console/callbacks/{callback_id}/reassign", {"staff_id": str(alice.id)}
    )
    assert response.status_code == 403
    assert "Supervisors only" in response.get_data(as_text=True)
    assert row(db, Callback, callback_id).claimed_by == bob.id


def test_reassigning_to_an_unknown_member_is_refused(db, clock, alice, sam, signed_in):
    callback_id = add_callback(db, clock.now(), claimed_by=alice.id, claimed_at=clock.now())
    response = signed_in(sam).post(
        f"/console/callbacks/{callback_id}/reassign", {"staff_id": "9999"}
    )
    assert response.status_code == 400
    assert row(db, Callback, callback_id).claimed_by == alice.id


def test_viewing_the_queue_is_audited_with_the_items_shown(db, clock, alice, signed_in):
    first = add_callback(db, clock.now())
    signed_in(alice).page("/console/?kind=callback")
    event = rows(db, AuditEvent, AuditEvent.action == "viewed_queue")[-1]
    assert event.staff_id == alice.id and event.detail["items"] == [first]
    assert event.detail["kind"] == "callback"


def test_a_huge_queue_stops_counting_but_still_pages(db, clock, alice, signed_in, monkeypatch):
    import store.queue

    monkeypatch.setattr(store.queue, "COUNT_CAP", 60)
    now = clock.now()
    ids = [add_callback(db, now, now + timedelta(minutes=i)) for i in range(120)]
    browser = signed_in(alice)
    first = browser.page("/console/")
    assert "More than 60 open items." in first
    assert "Page 1</span>" in first and 'href="/console/?page=2"' in first
    third = browser.page("/console/?page=3")
    assert _references(third) == [_reference(db, i) for i in ids[100:]]
    assert "More than" not in third and "120 open items." in third
    assert 'rel="next"' not in third
