"""`carers-line staff add` and the demo supervisor the embedded default prints once."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from app import build_runtime
from cli import _announce_demo_supervisor, main
from store.database import make_engine, make_session_factory
from store.migrate import upgrade
from store.staff import SqlStaffAccounts
from tests.console.conftest import PASSWORD


@pytest.fixture
def database_url(tmp_path, monkeypatch, fast_hashing) -> str:
    url = f"sqlite:///{tmp_path / 'staff.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("SERVICE_PROFILE", raising=False)
    return url


def _accounts(url: str) -> SqlStaffAccounts:
    return SqlStaffAccounts(make_session_factory(make_engine(url)))


def test_staff_add_asks_for_the_password_twice_and_never_shows_it(database_url):
    result = CliRunner().invoke(
        main,
        [
            "staff",
            "add",
            "carol",
            "--name",
            "Carol Davies",
            "--role",
            "supervisor",
            "--phone",
            "07700 900123",
        ],
        input=f"short\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Use at least 12 characters." in result.output
    assert PASSWORD not in result.output
    assert "Created the supervisor account 'carol' for Carol Davies." in result.output
    login = _accounts(database_url).find("carol")
    assert login is not None and login.member.phone == "07700900123"
    assert login.password_hash.startswith("scrypt:")


def test_staff_add_refuses_mismatched_passwords_then_accepts(database_url):
    result = CliRunner().invoke(
        main,
        ["staff", "add", "dan", "--name", "Dan"],
        input=f"{PASSWORD}\nsomething-else-9\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "The two entered values do not match." in result.output
    assert _accounts(database_url).find("dan") is not None


def test_staff_add_refuses_a_taken_username_and_bad_details(database_url):
    runner = CliRunner()
    runner.invoke(
        main, ["staff", "add", "erin", "--name", "Erin"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    again = runner.invoke(
        main, ["staff", "add", "ERIN", "--name", "Erin"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert again.exit_code == 1 and "already an account called ERIN" in again.output
    bad = runner.invoke(main, ["staff", "add", "x y", "--name", "X"])
    assert bad.exit_code == 1 and "A username is 3 to 64" in bad.output
    phone = runner.invoke(main, ["staff", "add", "fay", "--name", "Fay", "--phone", "123"])
    assert phone.exit_code == 1 and "UK number" in phone.output


def test_the_embedded_default_prints_a_demo_supervisor_once(settings, clock, capsys):
    engine = make_engine(settings.database_url)
    upgrade(engine)
    runtime = build_runtime(settings, clock, engine)
    _announce_demo_supervisor(runtime, "http://127.0.0.1:5000")
    first = capsys.readouterr().err
    assert "sign in at http://127.0.0.1:5000/console/login as 'demo' with password" in first
    _announce_demo_supervisor(runtime, "http://127.0.0.1:5000")
    assert capsys.readouterr().err == ""


def test_no_demo_supervisor_in_production(settings, clock, capsys):
    engine = make_engine(settings.database_url)
    upgrade(engine)
    production = build_runtime(replace(settings, environment="production"), clock, engine)
    _announce_demo_supervisor(production, "https://carers.example")
    assert capsys.readouterr().err == ""
    assert not SqlStaffAccounts(production.sessions).any_exist()
