"""The ``carers-line`` command: help, migrations, profile check, the due-by table."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("SERVICE_PROFILE", raising=False)
    return CliRunner()


def test_help_lists_the_commands(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "db", "profile", "due-by"):
        assert command in result.output


def test_db_upgrade_then_current(runner):
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    current = runner.invoke(main, ["db", "current"])
    revision = result.output.split()[-1]
    assert current.output.strip() == f"current: {revision}  head: {revision}"


def test_profile_check_reports_the_bad_field(runner, tmp_path):
    good = runner.invoke(main, ["profile", "check"])
    assert good.exit_code == 0 and "Monday to Friday, 9am to 5pm" in good.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (ROOT / "profiles" / "example.yaml").read_text().replace("Europe/London", "Nowhere")
    )
    result = runner.invoke(main, ["profile", "check", str(bad)])
    assert result.exit_code != 0 and "profile field time_zone" in result.output


def test_due_by_prints_the_documented_deadlines(runner):
    result = runner.invoke(main, ["due-by", "2026-04-02T17:30"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.splitlines())
    assert lines["counts from"].strip() == "Tue 07 Apr 2026"
    assert lines["callback"].strip() == "Thu 09 Apr 2026 17:00"
    assert lines["urgent callback"].strip() == "Tue 07 Apr 2026 17:00"
    assert lines["referral acknowledged"].strip() == "Wed 08 Apr 2026 17:00"
    assert lines["referral first contact"].strip() == "Tue 14 Apr 2026 17:00"


def test_bad_setting_stops_with_a_named_message(runner, monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    result = runner.invoke(main, ["db", "current"])
    assert result.exit_code != 0 and "PORT" in result.output


def test_installed_command_answers_help():
    executable = Path(sys.executable).parent / "carers-line"
    result = subprocess.run(
        [str(executable), "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PORT": "5000"},
    )
    assert result.returncode == 0 and "due-by" in result.stdout
