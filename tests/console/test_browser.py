"""One real browser works an item end to end: the machine's Chromium driven by Playwright.

A carer asks for a callback in the chat (through the real dialog core); a member of staff signs
in, claims it, records an attempt and completes it, by keyboard-reachable controls found by
their labels. A screenshot of the finished queue is saved in the test's temporary folder.
Never downloads a browser: it uses /usr/bin/chromium or skips, saying why.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from console.auth import create_account
from console.calls import CallPlacer
from console.views import ConsoleTwilio
from handlers.dialog import Chose, ConversationKey, Said, SharedContact, Started
from store.database import make_engine, make_session_factory
from store.migrate import upgrade
from store.models import Callback, CallbackAttempt
from store.staff import SqlStaffAccounts
from tests.console.conftest import PASSWORD, SERVICE_NUMBER, FakeRecordings, FakeTwilioClient

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=(
        "BROWSER TEST NOT RUN: /usr/bin/chromium is missing. Install it with "
        "`apt-get install chromium` (this test never downloads a browser)."
    ),
)


@pytest.fixture
def live(settings, clock) -> Iterator[tuple[str, object]]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    tools = ConsoleTwilio(CallPlacer(FakeTwilioClient(), SERVICE_NUMBER), FakeRecordings())
    app = create_app(settings, clock=clock, engine=engine, console_twilio=tools)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join()
        engine.dispose()


def _carer_asks_for_a_callback(app) -> str:
    dialog = app.extensions["carers_line"].dialog
    key = ConversationKey("telegram", "5550042")
    dialog.handle(key, Started("chat"))
    for event in (
        Chose("callback"),
        Said("help with respite for mum"),
        Chose("no"),
        Chose("yes"),
        SharedContact("07700 900456"),
        Chose("any"),
        Chose("yes"),
    ):
        dialog.handle(key, event)
    sessions = app.extensions["carers_line"].sessions
    with sessions() as session:
        return session.scalars(select(Callback.reference)).one()


def test_sign_in_claim_record_an_attempt_and_complete(live, clock, tmp_path, fast_hashing):
    from playwright.sync_api import expect, sync_playwright

    base, app = live
    reference = _carer_asks_for_a_callback(app)
    runtime = app.extensions["carers_line"]
    member = create_account(
        SqlStaffAccounts(runtime.sessions),
        username="alice",
        display_name="Alice Adams",
        password=PASSWORD,
        role="staff",
        phone="07700 900201",
        at=clock.now(),
    )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{base}/console/")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            expect(page.get_by_label("Username")).to_be_focused()
            page.get_by_label("Username").fill(member.username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            expect(page.get_by_text("Signed in as Alice Adams.")).to_be_visible()
            page.keyboard.press("Tab")
            expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
            page.get_by_role("link", name=reference).click()
            expect(page.get_by_text("help with respite for mum").first).to_be_visible()
            page.get_by_role("button", name="Claim this item").click()
            expect(page.get_by_text("You hold this item now.")).to_be_visible()

            page.get_by_label("No answer").check()
            page.get_by_label("Notes (optional)").first.fill("Rang at 10:30, no reply.")
            page.get_by_role("button", name="Record attempt").click()
            expect(page.get_by_text("Attempt recorded.")).to_be_visible()
            expect(page.get_by_role("cell", name="Rang at 10:30, no reply.")).to_be_visible()

            page.get_by_label("Information and advice given").check()
            page.get_by_label("Breaks and respite").check()
            page.get_by_role("button", name="Complete this item").click()
            expect(page.get_by_text("Completed. Thank you.")).to_be_visible()
            expect(page.get_by_text("0 open items.")).to_be_visible()
            screenshot = tmp_path / "console-after-completing.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert screenshot.stat().st_size > 1000
    sessions = make_session_factory(app.extensions["carers_line"].engine)
    with sessions() as session:
        done = session.scalars(select(Callback)).one()
        attempt = session.scalars(select(CallbackAttempt)).one()
    assert (done.status, done.outcome, done.signposted_to) == (
        "done",
        "information_given",
        ["breaks"],
    )
    assert (attempt.result, attempt.staff_id) == ("no_answer", member.id)
