"""The ``carers-line`` command: run the server, migrate, check the profile, show deadlines.

Later parts add their own sub-commands to the ``main`` group (knowledge base, simulators,
Telegram set-up, staff accounts, reports).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app import Runtime
    from bot.send import TelegramSender

NO_TELEGRAM = "TELEGRAM_BOT_TOKEN: set it and TELEGRAM_WEBHOOK_SECRET (see docs/operations.md)"


def load_settings() -> Settings:
    """Settings from the environment, or a clear message and exit code 2."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(f"setting {error}") from None


def _engine(settings: Settings) -> Engine:
    """The configured database, opened with this process's encryption keys (L12)."""
    from store.crypto import DataKeys
    from store.database import make_engine

    keys = DataKeys(settings.data_encryption_keys, settings.phone_hash_key)
    return make_engine(settings.database_url, keys=keys)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Carers Line: the phone and chat front door of a carers' support service."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: the PORT setting, 5000).")
def serve(host: str, port: int | None) -> None:
    """Migrate the database, then serve the web app (development server)."""
    from app import create_app
    from store.migrate import upgrade

    settings = load_settings()
    upgrade(_engine(settings))
    try:
        app = create_app(settings)
    except ProfileError as error:
        raise click.ClickException(str(error)) from None
    address = f"http://{host}:{port or settings.port}"
    _announce_demo_supervisor(app.extensions["carers_line"], address)
    click.echo(f"Carers Line is serving on {address}/", err=True)
    app.run(host=host, port=port or settings.port, threaded=True, use_reloader=False)


def _announce_demo_supervisor(runtime: Runtime, address: str) -> None:
    """The embedded default (SQLite, development) gets a demo supervisor, shown only once."""
    from console.auth import ensure_demo_supervisor
    from store.staff import SqlStaffAccounts

    settings = runtime.settings
    if not settings.is_sqlite or settings.production:
        return
    created = ensure_demo_supervisor(SqlStaffAccounts(runtime.sessions), runtime.clock.now())
    if created is not None:
        username, password = created
        click.echo(
            f"Staff console: sign in at {address}/console/login as {username!r} with password "
            f"{password!r}. This is shown once only; add real accounts with "
            "`carers-line staff add`.",
            err=True,
        )


@main.group()
def staff() -> None:
    """Staff console accounts."""


@staff.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The name colleagues know them by.")
@click.option(
    "--role",
    type=click.Choice(["staff", "supervisor"]),
    default="staff",
    show_default=True,
    help="Supervisors may reassign work and read the audit trail.",
)
@click.option("--phone", help="Their phone number, rung first by Call now (UK number).")
def staff_add(username: str, display_name: str, role: str, phone: str | None) -> None:
    """Create a console account; the password is asked for twice and never shown."""
    from console.auth import AccountError, check_details, create_account, password_problems
    from handlers.clocks import SystemClock
    from handlers.ports import DuplicateAccountError
    from store.database import make_session_factory
    from store.migrate import upgrade
    from store.staff import SqlStaffAccounts

    def checked(password: str) -> str:
        problems = password_problems(password, username)
        if problems:
            raise click.UsageError(" ".join(problems))
        return password

    try:
        check_details(username, display_name, role, phone)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    engine = _engine(load_settings())
    upgrade(engine)
    password = click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, value_proc=checked
    )
    try:
        member = create_account(
            SqlStaffAccounts(make_session_factory(engine)),
            username=username,
            display_name=display_name,
            password=password,
            role=role,
            phone=phone,
            at=SystemClock().now(),
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    except DuplicateAccountError:
        raise click.ClickException(f"there is already an account called {username}") from None
    click.echo(f"Created the {member.role} account {member.username!r} for {member.display_name}.")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (the Procfile's release step)."""
    from store.migrate import head_revision, upgrade

    engine = _engine(load_settings())
    upgrade(engine)
    click.echo(f"database at migration {head_revision(engine)}")


@db.command("current")
def db_current() -> None:
    """Show the database's migration and the newest one the code knows."""
    from store.migrate import current_revision, head_revision

    engine = _engine(load_settings())
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


@main.group()
def telegram() -> None:
    """Telegram bot: set the webhook at each deploy, check it, or poll while developing."""


@telegram.command("set-webhook")
def telegram_set_webhook() -> None:
    """Point Telegram at PUBLIC_BASE_URL/telegram/webhook with the secret; list the commands."""
    from bot import admin
    from knowledge.prompts import load_prompts

    settings, sender = _telegram_api()
    if settings.public_base_url is None or settings.telegram_webhook_secret is None:
        raise click.ClickException("PUBLIC_BASE_URL: set it to the service's public https address")
    base_url, secret = settings.public_base_url, settings.telegram_webhook_secret
    words = load_prompts(_profile().placeholders())
    _telegram_step(lambda: admin.set_webhook(sender, base_url, secret, words, click.echo))


@telegram.command("delete-webhook")
def telegram_delete_webhook() -> None:
    """Stop webhook delivery (before polling, or when taking the bot down)."""
    from bot import admin

    _, sender = _telegram_api()
    _telegram_step(lambda: admin.delete_webhook(sender, click.echo))


@telegram.command("info")
def telegram_info() -> None:
    """Show the bot's name, where updates go and Telegram's last delivery error."""
    from bot import admin

    _, sender = _telegram_api()
    _telegram_step(lambda: admin.info(sender, click.echo))


@telegram.command("poll")
def telegram_poll() -> None:
    """Development without a public URL: fetch updates by long polling and answer them."""
    from app import build_runtime, telegram_sender
    from bot import admin
    from bot.handler import UpdateHandler
    from store.migrate import upgrade
    from store.outbox import SqlOutbox
    from store.telegram_chats import SqlTelegramChats

    runtime = build_runtime(load_settings())
    sender = telegram_sender(runtime)
    if sender is None:
        raise click.ClickException(NO_TELEGRAM)
    upgrade(runtime.engine)
    handler = UpdateHandler(
        runtime.dialog, sender, SqlOutbox(runtime.sessions), SqlTelegramChats(runtime.sessions)
    )
    words = runtime.knowledge.prompts
    try:
        _telegram_step(lambda: admin.poll(handler, sender, words, click.echo))
    except KeyboardInterrupt:
        click.echo("stopped")


def _telegram_api() -> tuple[Settings, TelegramSender]:
    """A Bot API sender for set-up commands (no database, no knowledge base)."""
    from bot.send import TelegramSender
    from handlers.clocks import SystemClock

    settings = load_settings()
    if settings.telegram_bot_token is None:
        raise click.ClickException(NO_TELEGRAM)
    sender = TelegramSender(
        settings.telegram_bot_token, settings.telegram_api_base_url, SystemClock()
    )
    return settings, sender


def _telegram_step(step: Callable[[], object]) -> None:
    from bot.admin import AdminError

    try:
        step()
    except AdminError as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option("--from", "first", required=True, help="First day, e.g. 2026-07-01.")
@click.option("--to", "last", required=True, help="Last day, included, e.g. 2026-09-30.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "html", "csv"]),
    default="text",
    show_default=True,
    help="text: headline figures; html: the full report with charts; csv: every figure.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report to this file instead of printing it.",
)
def report(first: str, last: str, output_format: str, output: Path | None) -> None:
    """The commissioners' monitoring report for the days FROM to TO (docs/report.md)."""
    from console.report_page import render_report_html
    from handlers.report import Period, build_report
    from handlers.report_formats import report_csv, report_text
    from store.report import SqlReportSource

    try:
        period = Period.parse(first, last)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--from/--to") from None
    runtime = _migrated_runtime()
    built = build_report(
        SqlReportSource(runtime.sessions),
        runtime.calendar,
        runtime.knowledge,
        period,
        runtime.clock.now(),
    )
    render = {"text": report_text, "html": render_report_html, "csv": report_csv}[output_format]
    if output is None:
        click.echo(render(built), nl=False)
        return
    output.write_text(render(built), encoding="utf-8", newline="")
    click.echo(f"{output_format} report for {period.label} written to {output}", err=True)


@main.command()
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
def retention(dry_run: bool) -> None:
    """Apply the profile's retention periods now (the clock does this every hour)."""
    from clock import build_recording_deleter
    from handlers.jobs import purge_expired
    from store.jobs import SqlRetention

    runtime = _migrated_runtime()
    done = purge_expired(
        SqlRetention(runtime.sessions),
        build_recording_deleter(runtime.settings),
        runtime.profile.retention,
        runtime.clock,
        dry_run=dry_run,
    )
    for line in done.lines():
        click.echo(line)


@main.group()
def data() -> None:
    """Personal data: encryption keys, subject access and erasure (docs/security.md)."""


@data.command("new-key")
def data_new_key() -> None:
    """Print a new encryption key and phone-hash key, to store as secrets (never in git)."""
    import secrets

    from cryptography.fernet import Fernet

    click.echo(f"DATA_ENCRYPTION_KEYS={Fernet.generate_key().decode('ascii')}")
    click.echo(f"PHONE_HASH_KEY={secrets.token_urlsafe(48)}")


@data.command("rotate-key")
def data_rotate_key() -> None:
    """Re-encrypt every stored value under the newest key; refresh the phone hashes."""
    from store.key_rotation import rotate_keys

    for line in rotate_keys(_migrated_runtime().engine).lines():
        click.echo(line)


@data.command("export")
@click.option("--phone", required=True, help="The carer's phone number.")
@click.option("--telegram-chat", help="Their Telegram chat id, if they used the chat.")
@click.option(
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for subject-access.json and subject-access.html.",
)
def data_export(phone: str, telegram_chat: str | None, output: Path) -> None:
    """Subject access: everything held about a carer, for review before release."""
    from store.subject_access import NotAPhoneNumberError, export_subject
    from store.subject_access_html import REVIEW_CHECKLIST, render_html

    runtime = _migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            document = export_subject(session, phone, telegram_chat, runtime.clock.now())
            output.mkdir(parents=True, exist_ok=True)
            _write_private(
                output / "subject-access.json",
                json.dumps(document, indent=2, ensure_ascii=False) + "\n",
            )
            _write_private(output / "subject-access.html", render_html(document))
    except NotAPhoneNumberError as error:
        raise click.BadParameter(str(error), param_hint="--phone") from None
    records = document["records"]
    click.echo(f"written to {output}: subject-access.json and subject-access.html")
    click.echo(
        ", ".join(f"{name.replace('_', ' ')}: {len(rows)}" for name, rows in records.items())
    )
    click.echo(f"to review before release: {len(document['review_before_release'])} items")
    click.echo("Before anything is sent:")
    for number, step in enumerate(REVIEW_CHECKLIST, start=1):
        click.echo(f"  {number}. {step}")


@data.command("erase")
@click.option("--phone", required=True, help="The carer's phone number.")
@click.option("--telegram-chat", help="Their Telegram chat id, if they used the chat.")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
@click.option("--reason", help="Why, e.g. the request's reference (no personal details).")
def data_erase(phone: str, telegram_chat: str | None, dry_run: bool, reason: str | None) -> None:
    """Erase a carer's personal data, leaving tombstones; refused while records must be kept."""
    from clock import build_recording_deleter
    from store.erasure import erase_subject
    from store.subject_access import NotAPhoneNumberError

    runtime = _migrated_runtime()
    recordings = None if dry_run else build_recording_deleter(runtime.settings)
    try:
        with runtime.sessions.begin() as session:
            done = erase_subject(
                session,
                phone,
                telegram_chat,
                runtime.clock.now(),
                reason=reason,
                dry_run=dry_run,
                recordings=recordings,
            )
    except NotAPhoneNumberError as error:
        raise click.BadParameter(str(error), param_hint="--phone") from None
    if done.refused:
        click.echo("Nothing was erased: these records must be kept for now.", err=True)
        for why in done.refused:
            click.echo(f"  - {why}", err=True)
        raise SystemExit(1)
    verb = "would erase" if dry_run else "erased"
    for name, count in done.counts.items():
        click.echo(f"{name.replace('_', ' ')}: {verb} {count}")
    if done.recordings_left_at_twilio:
        click.echo(
            f"recordings still at Twilio: {done.recordings_left_at_twilio} (the retention job "
            "deletes them when their period ends; delete them sooner in the Twilio console)"
        )


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds personal data)."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


def _migrated_runtime() -> Runtime:
    """The configured runtime, refusing a database that is not at the newest migration."""
    from app import build_runtime
    from store.migrate import is_at_head

    try:
        runtime = build_runtime(load_settings())
    except ProfileError as error:
        raise click.ClickException(str(error)) from None
    if not is_at_head(runtime.engine):
        raise click.ClickException(
            "the database is not at the newest migration: run `carers-line db upgrade` first"
        )
    return runtime


def _dialog(now: str | None) -> DialogService:
    from app import build_runtime
    from store.migrate import upgrade

    settings = load_settings()
    clock = None
    if now:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise click.BadParameter('expected a London time like "2026-12-25 10:00"') from None
        clock = FixedClock(moment if moment.tzinfo else moment.replace(tzinfo=LONDON))
    engine = _engine(settings)
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
