"""The block list page (issue 8 item 6): supervisors add and lift blocks, CSRF and audit.

Numbers are stored in E.164 form whatever way they are typed, chats by their id; the audit trail
names the entry and the kind, never the number or the reason.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from store.crypto import phone_hash
from store.models import AuditEvent, BlockedContact


def entries(db) -> list[BlockedContact]:
    with db.sessions() as session:
        return list(session.scalars(select(BlockedContact).order_by(BlockedContact.id)))


def audit_lines(db, action: str) -> list[AuditEvent]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def block(browser, **fields):
    data = {"kind": "phone", "value": "07700 900123", "reason": "Abusive calls", "days": "30"}
    return browser.post("/console/blocklist", {**data, **fields}, token_from="/console/blocklist")


def test_a_supervisor_blocks_a_number_typed_any_way(db, clock, signed_in, sam):
    browser = signed_in(sam)
    response = block(browser, value="+44 (0)7700 900-123".replace("(0)", ""))
    assert response.status_code == 302
    [entry] = entries(db)
    assert (entry.kind, entry.value, entry.reason) == ("phone", "+447700900123", "Abusive calls")
    assert entry.expires_at == clock.now() + timedelta(days=30)
    page = browser.page("/console/blocklist")
    assert "+447700900123" in page and "Abusive calls" in page and "Sam Supervisor" in page
    [line] = audit_lines(db, "blocked")
    assert line.subject_type == "block_entry" and line.subject_id == entry.id
    assert line.detail["kind"] == "phone" and "7700" not in str(line.detail)
    assert "Abusive" not in str(line.detail)


def test_a_block_entry_holds_the_number_and_reason_encrypted_and_matches_by_hash(
    db, signed_in, sam
):
    block(signed_in(sam))
    with db.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT match_key, value, reason FROM blocked_contacts")
        ).one()
    assert stored.match_key == phone_hash("07700 900123")  # the carers' phone_hash (L12)
    assert stored.value.startswith("enc1:") and "900123" not in stored.value
    assert stored.reason.startswith("enc1:") and "Abusive" not in stored.reason


def test_a_supervisor_blocks_a_chat_and_lifts_the_block(db, signed_in, sam):
    browser = signed_in(sam)
    block(browser, kind="chat", value="5512345678", days="7")
    [entry] = entries(db)
    assert (entry.kind, entry.value) == ("chat", "5512345678")
    response = browser.post(
        f"/console/blocklist/{entry.id}/remove", token_from="/console/blocklist"
    )
    assert response.status_code == 302
    assert "Nothing is blocked." in browser.page("/console/blocklist")
    [lifted] = entries(db)
    assert lifted.removed_at is not None and lifted.removed_by == sam.id
    assert [line.subject_id for line in audit_lines(db, "unblocked")] == [entry.id]
    again = browser.post(f"/console/blocklist/{entry.id}/remove", token_from="/console/blocklist")
    assert again.status_code == 302 and len(audit_lines(db, "unblocked")) == 1


def test_what_is_not_a_number_or_chat_is_refused(db, signed_in, sam):
    browser = signed_in(sam)
    for fields in (
        {"value": "not a number"},
        {"kind": "chat", "value": "@someone"},
        {"days": "0"},
        {"days": "400"},
        {"reason": ""},
    ):
        response = block(browser, **fields)
        assert response.status_code == 400, fields
    assert entries(db) == []


def test_the_page_escapes_what_was_typed(db, signed_in, sam):
    browser = signed_in(sam)
    block(browser, reason="<script>alert(1)</script>")
    page = browser.page("/console/blocklist")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_only_supervisors_manage_the_block_list(db, signed_in, alice, console):
    assert console.get("/console/blocklist").status_code == 302  # not signed in: sign in first
    browser = signed_in(alice)
    assert browser.get("/console/blocklist").status_code == 403
    response = browser.post(
        "/console/blocklist",
        {"kind": "phone", "value": "07700 900123", "reason": "x", "days": "1"},
    )
    assert response.status_code == 403
    assert entries(db) == []
    assert "Block list" not in browser.page("/console/")


def test_a_post_without_the_form_token_changes_nothing(db, signed_in, sam):
    browser = signed_in(sam)
    response = browser.client.post(
        "/console/blocklist",
        data={"kind": "phone", "value": "07700 900123", "reason": "x", "days": "1"},
    )
    assert response.status_code == 400
    assert entries(db) == []
