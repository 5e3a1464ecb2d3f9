"""Signing in: hashed passwords, lock-out by the clock, inactive accounts, CSRF, fresh sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from console.auth import (
    AccountError,
    create_account,
    ensure_demo_supervisor,
    hash_password,
    password_problems,
)
from handlers.ports import DuplicateAccountError
from store.models import AuditEvent, Callback, StaffUser
from tests.console.conftest import PASSWORD, Console
from tests.console.seeding import add_callback, row, rows


def test_pages_need_a_signed_in_member_of_staff(console):
    for path in ("/console/", "/console/callbacks/1", "/console/follow-ups", "/console/audit"):
        response = console.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/console/login?next=")


def test_sign_in_lands_on_the_queue_and_starts_a_fresh_session(console, alice):
    with console.client.session_transaction("/console/") as planted:
        planted["planted_by_attacker"] = "x"
    response = console.sign_in(alice)
    assert response.status_code == 302 and response.headers["Location"] == "/console/"
    with console.client.session_transaction("/console/") as current:
        assert "planted_by_attacker" not in current
        assert current["_user_id"] == str(alice.id)
    page = console.page("/console/")
    assert "Signed in as Alice Adams" in page and "Callback queue" in page


def test_the_password_is_stored_as_an_scrypt_hash(db, alice):
    user = row(db, StaffUser, alice.id)
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_production_hashing_uses_scrypt_at_full_cost():
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("scrypt:32768:8:1$")
    assert hashed != hash_password(PASSWORD)  # salted


@pytest.mark.parametrize(
    "username,password", [("alice", "wrong-password-123"), ("nobody", PASSWORD)]
)
def test_a_wrong_password_or_unknown_name_gets_the_same_message(console, alice, username, password):
    token_page = console.page("/console/login")
    from tests.console.conftest import csrf_token

    response = console.client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(token_page)},
    )
    assert response.status_code == 401
    text = response.get_data(as_text=True)
    assert "do not match an account that can sign in" in text
    assert console.get("/console/").status_code == 302


def test_five_failures_lock_the_account_for_fifteen_minutes(db, console, alice, clock):
    for _ in range(5):
        assert console.sign_in(alice, "not-the-password-1").status_code == 401
    locked = console.sign_in(alice)
    assert locked.status_code == 401
    assert "locked until Mon 23 Nov 2026, 10:45" in locked.get_data(as_text=True)
    actions = [event.action for event in rows(db, AuditEvent, AuditEvent.staff_id == alice.id)]
    assert actions.count("sign_in_failed") == 4 and "locked_out" in actions
    assert "sign_in_refused_locked" in actions
    clock.advance(timedelta(minutes=14, seconds=59))
    assert console.sign_in(alice).status_code == 401
    clock.advance(timedelta(seconds=1))
    assert console.sign_in(alice).status_code == 302
    assert row(db, StaffUser, alice.id).failed_logins == 0


def test_failures_spread_out_still_count_until_a_success(db, console, alice):
    for _ in range(4):
        console.sign_in(alice, "not-the-password-1")
    assert console.sign_in(alice).status_code == 302
    assert row(db, StaffUser, alice.id).failed_logins == 0


def test_an_inactive_account_cannot_sign_in_or_keep_its_session(db, app, alice, signed_in):
    browser = signed_in(alice)
    with db.sessions.begin() as session:
        session.execute(update(StaffUser).where(StaffUser.id == alice.id).values(active=False))
    assert browser.get("/console/").status_code == 302
    fresh = Console(app)
    response = fresh.sign_in(alice)
    assert response.status_code == 401


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(db, clock, alice, signed_in):
    callback_id = add_callback(db, clock.now())
    browser = signed_in(alice)
    response = browser.client.post(f"/console/callbacks/{callback_id}/claim")
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert row(db, Callback, callback_id).claimed_by is None
    forged = browser.client.post(
        f"/console/callbacks/{callback_id}/claim", data={"csrf_token": "forged"}
    )
    assert forged.status_code == 400 and row(db, Callback, callback_id).claimed_by is None


def test_signing_in_needs_a_csrf_token_too(console, alice):
    response = console.client.post(
        "/console/login", data={"username": "alice", "password": alice.password}
    )
    assert response.status_code == 400
    assert console.get("/console/").status_code == 302


def test_next_goes_only_to_console_pages(console, alice):
    from tests.console.conftest import csrf_token

    for target, expected in (
        ("/console/follow-ups", "/console/follow-ups"),
        ("https://evil.example/", "/console/"),
        ("//evil.example/console/", "/console/"),
    ):
        fresh = Console(console.client.application)
        token = csrf_token(fresh.page("/console/login"))
        response = fresh.client.post(
            f"/console/login?next={target}",
            data={"username": "alice", "password": alice.password, "csrf_token": token},
        )
        assert response.headers["Location"] == expected


def test_signing_out_ends_the_session(db, alice, signed_in):
    browser = signed_in(alice)
    response = browser.post("/console/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/console/login"
    assert browser.get("/console/").status_code == 302
    actions = [event.action for event in rows(db, AuditEvent, AuditEvent.staff_id == alice.id)]
    assert actions[-1] == "signed_out"


def test_console_pages_are_never_cached(alice, signed_in):
    response = signed_in(alice).get("/console/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "password,problem",
    [
        ("Short-1", "at least 12"),
        ("alllowercaseletters", "two kinds"),
        ("123456789012345", "two kinds"),
        ("alice-Is-Great-1", "username"),
    ],
)
def test_the_password_policy(password, problem):
    assert any(problem in text for text in password_problems(password, "alice"))


def test_a_good_password_passes_the_policy():
    assert password_problems("Kettle-and-biscuits-42", "alice") == []
    assert password_problems("two words only here", "alice") == []


def test_accounts_are_checked_before_they_are_created(accounts, clock, fast_hashing):
    def make(**changes):
        details = {
            "username": "carol",
            "display_name": "Carol",
            "password": PASSWORD,
            "role": "staff",
            "phone": None,
            "at": clock.now(),
        }
        details.update(changes)
        return create_account(accounts, **details)

    for changes, message in (
        ({"username": "a b"}, "username"),
        ({"role": "admin"}, "role"),
        ({"phone": "12345"}, "UK number"),
        ({"password": "short"}, "12 characters"),
        ({"display_name": " "}, "name"),
    ):
        with pytest.raises(AccountError, match=message):
            make(**changes)
    member = make(phone="07700 900123")
    assert member.phone == "07700900123" and member.role == "staff"
    with pytest.raises(DuplicateAccountError):
        make(username="CAROL")


def test_the_demo_supervisor_is_created_once(db, accounts, clock, console, fast_hashing):
    first = ensure_demo_supervisor(accounts, clock.now())
    assert first is not None
    username, password = first
    assert ensure_demo_supervisor(accounts, clock.now()) is None
    demo = accounts.find(username)
    assert demo is not None and demo.member.is_supervisor
    assert password_problems(password, username) == []
    from tests.console.conftest import Staff

    assert console.sign_in(Staff(demo.member.id, username, password, "Demo")).status_code == 302
