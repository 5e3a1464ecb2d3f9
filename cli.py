"""The ``carers-line`` command: run the server, migrate, check the profile, show deadlines.

Later parts add their own sub-commands to the ``main`` group (knowledge base, simulators,
Telegram set-up, staff accounts, reports).
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from handlers.clocks import FixedClock
from handlers.hours import DueByRules, WorkingCalendar
from handlers.profile import ProfileError, ServiceProfile, load_profile
from handlers.service import DialogService
from knowledge.base import KnowledgeBase, load_knowledge
from knowledge.check import check_knowledge
from knowledge.loader import KnowledgeError
from knowledge.render import render_chat_answer
from settings import LONDON, Settings, SettingsError


def load_settings() -> Settings:
    """Settings from the environment, or a clear message and exit code 2."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(f"setting {error}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Carers Line: the phone and chat front door of a carers' support service."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: the PORT setting, 5000).")
def serve(host: str, port: int | None) -> None:
    """Migrate the database, then serve the web app (development server)."""
    from app import create_app
    from store.database import make_engine
    from store.migrate import upgrade

    settings = load_settings()
    upgrade(make_engine(settings.database_url))
    try:
        app = create_app(settings)
    except ProfileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Carers Line is serving on http://{host}:{port or settings.port}/", err=True)
    app.run(host=host, port=port or settings.port, threaded=True, use_reloader=False)


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (the Procfile's release step)."""
    from store.database import make_engine
    from store.migrate import head_revision, upgrade

    engine = make_engine(load_settings().database_url)
    upgrade(engine)
    click.echo(f"database at migration {head_revision(engine)}")


@db.command("current")
def db_current() -> None:
    """Show the database's migration and the newest one the code knows."""
    from store.database import make_engine
    from store.migrate import current_revision, head_revision

    engine = make_engine(load_settings().database_url)
    click.echo(f"current: {current_revision(engine)}  head: {head_revision(engine)}")


@main.group()
def profile() -> None:
    """Service profile commands."""


@profile.command("check")
@click.argument("path", type=click.Path(path_type=Path), required=False)
def profile_check(path: Path | None) -> None:
    """Validate a service profile (default: the SERVICE_PROFILE setting)."""
    target = path or load_settings().service_profile
    try:
        loaded = load_profile(target)
    except ProfileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{target}: valid")
    click.echo(f"  service: {loaded.name} ({loaded.area})")
    click.echo(f"  opening hours: {loaded.opening_hours_text()}")
    click.echo(f"  bank holidays: {loaded.bank_holiday_nation}")
    click.echo(f"  callbacks: {loaded.callback_promise()}")


@main.command("due-by")
@click.argument("received")
def due_by(received: str) -> None:
    """Show every deadline for a contact RECEIVED at a London time, e.g. 2026-12-24T17:30."""
    try:
        moment = datetime.fromisoformat(received)
    except ValueError:
        raise click.BadParameter("expected a date and time like 2026-12-24T17:30") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    try:
        calendar = WorkingCalendar(load_profile(load_settings().service_profile))
    except ProfileError as error:
        raise click.ClickException(str(error)) from None
    rules = DueByRules(calendar)
    local = calendar.local(moment)
    state = "open" if calendar.is_open(moment) else "closed"
    click.echo(f"received:                {_when(local)} ({state})")
    click.echo(f"counts from:             {calendar.counting_day(moment):%a %d %b %Y}")
    rows = [
        ("callback", rules.callback(moment)),
        ("urgent callback", rules.callback(moment, urgent=True)),
        ("referral acknowledged", rules.referral_acknowledgement(moment)),
        ("referral call back", rules.referral_callback(moment)),
        ("referral first contact", rules.referral_first_contact(moment)),
    ]
    for label, deadline in rows:
        click.echo(f"{label + ':':<25}{_when(calendar.local(deadline))}")


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per question).")
@click.option("--limit", default=3, show_default=True, help="How many results to rank.")
def ask(question: str | None, as_json: bool, limit: int) -> None:
    """Ask the knowledge base a QUESTION (with --json and no QUESTION: one per line on stdin)."""
    kb = _knowledge()
    if question is None:
        if not as_json:
            raise click.UsageError("give a QUESTION, or use --json to read questions from stdin")
        for line in sys.stdin:
            if line.strip():
                click.echo(json.dumps(kb.search(line.strip(), limit).as_json()))
        return
    answer = kb.search(question, limit)
    if as_json:
        click.echo(json.dumps(answer.as_json()))
    else:
        click.echo(render_chat_answer(kb, answer))


@main.group("kb")
def knowledge_group() -> None:
    """Knowledge base commands."""


@knowledge_group.command("check")
@click.option("--today", help="Check review dates as of this date (default: today in London).")
def kb_check(today: str | None) -> None:
    """Validate every article, the crisis list and the prompts; non-zero exit on any error."""
    values = _profile().placeholders()
    as_of = date.fromisoformat(today) if today else datetime.now(LONDON).date()
    problems = check_knowledge(values, as_of)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(problem.level == "error" for problem in problems)
    click.echo(f"{errors} error(s), {len(problems) - errors} warning(s)")
    if errors:
        sys.exit(1)


@main.command()
@click.option("--now", "now", help='Pretend it is this London time, e.g. "2026-12-25 10:00".')
@click.option("--caller", default="07700 900123", show_default=True, help="Caller ID to send.")
def call(now: str | None, caller: str) -> None:
    """Try the phone line in the terminal: what a caller would hear, using the configured store."""
    from terminal import run_call

    run_call(_dialog(now), caller or None, input, click.echo)


@main.command()
@click.option("--now", "now", help='Pretend it is this London time, e.g. "2026-12-25 10:00".')
def chat(now: str | None) -> None:
    """Try the chat in the terminal, with buttons shown as numbered choices."""
    from terminal import run_chat

    run_chat(_dialog(now), input, click.echo)


def _dialog(now: str | None) -> DialogService:
    from app import build_runtime
    from store.database import make_engine
    from store.migrate import upgrade

    settings = load_settings()
    clock = None
    if now:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise click.BadParameter('expected a London time like "2026-12-25 10:00"') from None
        clock = FixedClock(moment if moment.tzinfo else moment.replace(tzinfo=LONDON))
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return build_runtime(settings, clock, engine).dialog


def _profile() -> ServiceProfile:
    try:
        return load_profile(load_settings().service_profile)
    except ProfileError as error:
        raise click.ClickException(str(error)) from None


def _knowledge() -> KnowledgeBase:
    try:
        return load_knowledge(_profile().placeholders())
    except KnowledgeError as error:
        raise click.ClickException(f"knowledge base: {error}") from None


def _when(moment: datetime) -> str:
    return f"{moment:%a %d %b %Y %H:%M}"


def run() -> None:
    """Entry point that turns configuration errors into one clear line."""
    try:
        main(standalone_mode=True)
    except (SettingsError, ProfileError) as error:
        click.echo(f"Carers Line cannot start: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    run()
