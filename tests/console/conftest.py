"""The console under test: the real app on SQLite and PostgreSQL, staff accounts, a signed-in
client that sends CSRF tokens like a browser, and Twilio stand-ins that record what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from app import create_app
from console import auth as console_auth
from console.auth import create_account
from console.calls import CallPlacer
from console.recordings import Audio, RecordingUnavailableError
from console.views import ConsoleTwilio
from store.staff import SqlStaffAccounts

PASSWORD = "Kettle-and-biscuits-42"
SERVICE_NUMBER = "01632 960100"
_TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


@dataclass
class FakeCall:
    sid: str


@dataclass
class FakeCalls:
    """Records ``client.calls.create(...)`` like Twilio's REST client would receive it."""

    made: list[dict[str, Any]] = field(default_factory=list)

    def create(self, **kwargs: Any) -> FakeCall:
        self.made.append(kwargs)
        return FakeCall(f"CA{len(self.made):032d}")


@dataclass
class FakeTwilioClient:
    calls: FakeCalls = field(default_factory=FakeCalls)


@dataclass
class FakeRecordings:
    """Recordings by id, as Twilio would stream them; records which were fetched."""

    audio: dict[str, bytes] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    def open(self, recording_sid: str) -> Audio:
        self.fetched.append(recording_sid)
        if recording_sid not in self.audio:
            raise RecordingUnavailableError("Twilio answered 404")
        data = self.audio[recording_sid]

        def chunks() -> Iterator[bytes]:
            yield data[: len(data) // 2]
            yield data[len(data) // 2 :]

        return Audio("audio/mpeg", len(data), chunks())


@dataclass
class Twilio:
    client: FakeTwilioClient = field(default_factory=FakeTwilioClient)
    recordings: FakeRecordings = field(default_factory=FakeRecordings)


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    password: str
    display_name: str


@pytest.fixture
def fast_hashing(monkeypatch):
    """Test accounts hash with a cheap scrypt cost (checking reads the cost from the hash).

    Production hashing keeps werkzeug's default cost; test_sign_in checks it unpatched.
    """
    monkeypatch.setattr(
        console_auth,
        "hash_password",
        lambda password: generate_password_hash(password, method="scrypt:1024:8:1"),
    )


@pytest.fixture
def twilio() -> Twilio:
    return Twilio()


@pytest.fixture
def app(db, settings, clock, twilio):
    tools = ConsoleTwilio(CallPlacer(twilio.client, SERVICE_NUMBER), twilio.recordings)
    return create_app(settings, clock=clock, engine=db.engine, console_twilio=tools)


@pytest.fixture
def accounts(db) -> SqlStaffAccounts:
    return SqlStaffAccounts(db.sessions)


@pytest.fixture
def make_staff(accounts, clock, fast_hashing):
    def make(
        username: str, role: str = "staff", phone: str | None = "07700 900201", name: str = ""
    ) -> Staff:
        display = name or username.title()
        member = create_account(
            accounts,
            username=username,
            display_name=display,
            password=PASSWORD,
            role=role,
            phone=phone,
            at=clock.now(),
        )
        return Staff(member.id, username, PASSWORD, display)

    return make


@pytest.fixture
def alice(make_staff) -> Staff:
    return make_staff("alice", name="Alice Adams")


@pytest.fixture
def bob(make_staff) -> Staff:
    return make_staff("bob", phone="07700 900202", name="Bob Brown")


@pytest.fixture
def sam(make_staff) -> Staff:
    return make_staff("sam", role="supervisor", name="Sam Supervisor")


def csrf_token(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1) or found.group(2)


class Console:
    """A browser-like client: signs in and posts forms with the page's CSRF token."""

    def __init__(self, app) -> None:
        self.client = app.test_client()

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, **kwargs)

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def sign_in(self, staff: Staff, password: str | None = None):
        token = csrf_token(self.page("/console/login"))
        return self.client.post(
            "/console/login",
            data={
                "username": staff.username,
                "password": password or staff.password,
                "csrf_token": token,
            },
        )

    def post(self, path: str, data: dict[str, Any] | None = None, token_from: str = "/console/"):
        form = dict(data or {})
        form["csrf_token"] = csrf_token(self.page(token_from))
        return self.client.post(path, data=form)


@pytest.fixture
def console(app) -> Console:
    return Console(app)


@pytest.fixture
def signed_in(app):
    """A signed-in console for a member of staff."""

    def open_console(staff: Staff) -> Console:
        browser = Console(app)
        response = browser.sign_in(staff)
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return open_console
