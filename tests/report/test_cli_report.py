"""``carers-line report``: the same report on the command line, to the screen or a file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from cli import main
from store.database import make_engine, make_session_factory
from store.migrate import upgrade
from tests.jobs.records import Records
from tests.report.conftest import seed_quarter


@dataclass
class Database:
    sessions: sessionmaker[Session]


@pytest.fixture
def runner(tmp_path, monkeypatch, knowledge) -> CliRunner:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_quarter(Records(Database(make_session_factory(engine))), knowledge)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("CARERS_LINE_NOW", "2026-11-23T10:30")
    monkeypatch.delenv("SERVICE_PROFILE", raising=False)
    return CliRunner()


QUARTER = ["report", "--from", "2026-07-01", "--to", "2026-09-30"]


def test_the_headlines_on_the_screen(runner):
    result = runner.invoke(main, QUARTER)
    assert result.exit_code == 0, result.output
    assert "Callbacks made within 2 working days (L7): 50.0% (3 met, 3 missed" in result.output


def test_csv_to_a_file(runner, tmp_path):
    target = tmp_path / "q2.csv"
    result = runner.invoke(main, [*QUARTER, "--format", "csv", "--output", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert rows[0] == ["section", "requirement", "measure", "dimension", "category", "value"]
    assert ["contacts", "K2", "calls and chats", "channel", "Phone", "8"] in rows


def test_html_on_the_screen(runner):
    result = runner.invoke(main, [*QUARTER, "--format", "html"])
    assert result.exit_code == 0
    assert result.output.startswith("<!doctype html>")
    assert '<svg role="img"' in result.output


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (["--from", "2026-09-30", "--to", "2026-07-01"], "the period ends before it starts"),
        (["--from", "July", "--to", "2026-09-30"], "expected dates like 2026-07-01"),
    ],
)
def test_bad_dates_get_a_clear_message(runner, dates, message):
    result = runner.invoke(main, ["report", *dates])
    assert result.exit_code == 2 and message in result.output


def test_an_unmigrated_database_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(main, QUARTER)
    assert result.exit_code == 1
    assert "run `carers-line db upgrade` first" in result.output
