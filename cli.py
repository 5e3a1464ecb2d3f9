"""The ``carers-line`` command: run the server, migrate, check the profile, show deadlines.

Later parts add their own sub-commands to the ``main`` group (knowledge base, simulators,
Telegram set-up, staff accounts, reports).
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from handlers.hours import DueByRules, WorkingCalendar
from handlers.profile import ProfileError, load_profile
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
