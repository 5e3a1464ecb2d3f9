"""Console sign-in protection (issue 8 item 7), through HTTP on SQLite and PostgreSQL.

Failed sign-ins are limited per client address (counted in the database, so across workers; the
address comes from X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies); signing in starts
a new session; "sign out everywhere", a new password and disabling an account end every live
session on the server; cookies are HttpOnly, SameSite=Lax and Secure in production; webhook
secrets are compared in constant time.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from datetime import timedelta

import pytest
import twilio.request_validator  # type: ignore[import-untyped]
from sqlalchemy import select

from app import create_app
from settings import Settings, SettingsError
from store.models import AuditEvent
from tests.bot.conftest import SECRET, payload, telegram_settings
from tests.console.conftest import PASSWORD, Console, csrf_token
from tests.ivr.driver import AUTH_TOKEN, BASE_URL, Twilio, sid

OFFICE = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
NEW_PASSWORD = "Teapot-and-crumpets-77"


def browser_at(app, address: str) -> Console:
    browser = Console(app)
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def fail(browser: Console, times: int, headers: dict[str, str] | None = None) -> None:
    for attempt in range(times):
        token_page = browser.page("/console/login")
        response = browser.client.post(
            "/console/login",
            data={
                "username": f"nobody{attempt}",
                "password": "wrong-password-1",
                "csrf_token": csrf_token(token_page),
            },
            headers=headers or {},
        )
        assert response.status_code == 401


def audit(db, action: str) -> list[AuditEvent]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def second_worker(db, settings, clock):
    """Another app on the same database: a second gunicorn worker."""
    return create_app(settings, clock=clock, engine=db.engine)


def test_ten_failures_from_one_address_make_it_wait_across_workers(
    db, app, second_worker, clock, alice
):
    fail(browser_at(app, OFFICE), 6)
    fail(browser_at(second_worker, OFFICE), 4)
    refused = browser_at(app, OFFICE).sign_in(alice)  # even the right password waits
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert len(audit(db, "sign_in_throttled")) == 1
    assert audit(db, "signed_in") == []
    assert browser_at(second_worker, ELSEWHERE).sign_in(alice).status_code == 302
    clock.set(clock.now() + timedelta(minutes=15, seconds=1))
    assert browser_at(app, OFFICE).sign_in(alice).status_code == 302


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, alice):
    browser = browser_at(app, OFFICE)
    for attempt in range(10):
        fail(browser, 1, headers={"X-Forwarded-For": f"192.0.2.{attempt}"})
    assert browser.sign_in(alice).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(db, settings, clock, alice):
    app = create_app(replace(settings, trusted_proxy_count=1), clock=clock, engine=db.engine)
    proxy = browser_at(app, "10.0.0.2")
    fail(proxy, 10, headers={"X-Forwarded-For": OFFICE})
    token = proxy.page("/console/login")

    def sign_in_from(address: str) -> int:
        response = proxy.client.post(
            "/console/login",
            data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(token)},
            headers={"X-Forwarded-For": address},
        )
        return response.status_code

    assert sign_in_from(OFFICE) == 429
    assert sign_in_from(ELSEWHERE) == 302


def test_the_trusted_proxy_count_is_a_setting():
    assert Settings.from_env({}).trusted_proxy_count == 0
    assert Settings.from_env({"TRUSTED_PROXY_COUNT": "1"}).trusted_proxy_count == 1
    with pytest.raises(SettingsError, match=r"^TRUSTED_PROXY_COUNT"):
        Settings.from_env({"TRUSTED_PROXY_COUNT": "many"})


def test_signing_in_starts_a_new_session(app, alice):
    browser = Console(app)
    browser.page("/console/login")
    with browser.client.session_transaction("/console/") as planted:
        planted["planted"] = "by an attacker"
        planted["_user_id"] = "999"
    before = browser.client.get_cookie("session")
    assert before is not None
    assert browser.sign_in(alice).status_code == 302
    after = browser.client.get_cookie("session")
    assert after is not None and after.value != before.value
    with browser.client.session_transaction("/console/") as fresh:
        assert "planted" not in fresh
        assert fresh["_user_id"] == str(alice.id)


def test_sign_out_everywhere_ends_the_other_browser_too(db, signed_in, alice):
    laptop, phone = signed_in(alice), signed_in(alice)
    assert phone.get("/console/").status_code == 200
    response = laptop.post("/console/account/sign-out-everywhere", token_from="/console/account")
    assert response.status_code == 302 and response.location.endswith("/console/login")
    assert laptop.get("/console/").status_code == 302
    ended = phone.get("/console/")
    assert ended.status_code == 302 and "/console/login" in ended.location
    assert len(audit(db, "signed_out_everywhere")) == 1
    assert signed_in(alice).get("/console/").status_code == 200  # signing in again works


def test_a_new_password_ends_every_other_session(db, app, signed_in, alice):
    here, elsewhere = signed_in(alice), signed_in(alice)
    response = here.post(
        "/console/account/password",
        {"current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD},
        token_from="/console/account",
    )
    assert response.status_code == 302
    assert here.get("/console/").status_code == 200  # this browser carries on
    assert elsewhere.get("/console/").status_code == 302
    assert Console(app).sign_in(alice).status_code == 401  # the old password no longer works
    assert Console(app).sign_in(alice, NEW_PASSWORD).status_code == 302
    assert len(audit(db, "password_changed")) == 1


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(signed_in, alice):
    browser = signed_in(alice)
    for fields in (
        {"current": "not-my-password-1", "new": NEW_PASSWORD, "again": NEW_PASSWORD},
        {"current": PASSWORD, "new": "short", "again": "short"},
        {"current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD + "x"},
    ):
        response = browser.post("/console/account/password", fields, token_from="/console/account")
        assert response.status_code == 400, fields
    assert browser.get("/console/").status_code == 200


def test_a_supervisor_disabling_an_account_ends_its_sessions(db, app, signed_in, alice, sam):
    alices = signed_in(alice)
    supervisor = signed_in(sam)
    assert alice.display_name in supervisor.page("/console/staff")
    response = supervisor.post(f"/console/staff/{alice.id}/disable", token_from="/console/staff")
    assert response.status_code == 302
    assert alices.get("/console/").status_code == 302
    assert Console(app).sign_in(alice).status_code == 401
    [line] = audit(db, "account_disabled")
    assert line.subject_id == alice.id and line.staff_id == sam.id
    own = supervisor.post(f"/console/staff/{sam.id}/disable", token_from="/console/staff")
    assert own.status_code == 302 and supervisor.get("/console/").status_code == 200


def test_a_supervisor_enables_a_disabled_account_again(db, app, signed_in, alice, sam):
    supervisor = signed_in(sam)
    supervisor.post(f"/console/staff/{alice.id}/disable", token_from="/console/staff")
    assert "Disabled accounts" in supervisor.page("/console/staff")
    assert Console(app).sign_in(alice).status_code == 401
    response = supervisor.post(f"/console/staff/{alice.id}/enable", token_from="/console/staff")
    assert response.status_code == 302
    assert "No account is disabled." in supervisor.page("/console/staff")
    assert Console(app).sign_in(alice).status_code == 302
    [line] = audit(db, "account_enabled")
    assert line.subject_id == alice.id and line.staff_id == sam.id
    again = supervisor.post(f"/console/staff/{alice.id}/enable", token_from="/console/staff")
    assert again.status_code == 302 and len(audit(db, "account_enabled")) == 1


def test_staff_cannot_disable_accounts(signed_in, alice, bob):
    browser = signed_in(alice)
    assert browser.get("/console/staff").status_code == 403
    response = browser.post(f"/console/staff/{bob.id}/disable")
    assert response.status_code == 403
    assert browser.post(f"/console/staff/{bob.id}/enable").status_code == 403


def test_session_cookies_are_http_only_lax_and_secure_in_production(db, settings, clock):
    for environment, secure in (("development", False), ("production", True)):
        app = create_app(
            replace(settings, environment=environment, secret_key="k" * 40),
            clock=clock,
            engine=db.engine,
        )
        cookie = app.test_client().get("/console/login").headers["Set-Cookie"]
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert "httponly" in flags and "SameSite=Lax" in cookie
        assert ("secure" in flags) is secure


def test_the_telegram_secret_is_compared_in_constant_time(db, monkeypatch):
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given, expected):
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    app = create_app(telegram_settings(db.url), engine=db.engine)
    client = app.test_client()
    header = "X-Telegram-Bot-Api-Secret-Token"
    wrong = client.post("/telegram/webhook", json=payload("text"), headers={header: "guess"})
    assert wrong.status_code == 403
    assert compared == [(b"guess", SECRET.encode())]


def test_the_twilio_signature_is_compared_in_constant_time(db, settings, clock, monkeypatch):
    compared: list[str] = []
    real = twilio.request_validator.compare

    def spy(computed, given):
        compared.append(given)
        return real(computed, given)

    monkeypatch.setattr(twilio.request_validator, "compare", spy)
    phone = replace(
        settings,
        twilio_account_sid="AC0123456789abcdef0123456789abcdef",
        twilio_auth_token=AUTH_TOKEN,
        public_base_url=BASE_URL,
    )
    caller = Twilio(create_app(phone, clock=clock, engine=db.engine).test_client())
    forged = caller.post(caller.url("/ivr/voice"), {"CallSid": sid("CA")}, signature="forged")
    assert forged.status_code == 403
    assert compared and set(compared) == {"forged"}
