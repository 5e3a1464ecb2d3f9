"""Web composition root: ``create_app(settings)`` wires the store, the core and the blueprints.

Gunicorn runs ``app:create_app()`` (see the Procfile); tests pass their own Settings and clock.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask, Response, g, jsonify, render_template, request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.send import RequestFactory, TelegramSender
from bot.views import blueprint as telegram_blueprint
from console.auth import install as install_console_auth
from console.calls import twilio_call_placer
from console.recordings import TwilioRecordings
from console.views import ConsoleReport, ConsoleServices, ConsoleTwilio
from console.views import blueprint as console_blueprint
from handlers.callbacks import AttemptPolicy, CallbackDesk, DeskPorts
from handlers.clocks import FixedClock, SystemClock
from handlers.hours import DueByRules, WorkingCalendar
from handlers.jobs import CLOCK_HEARTBEAT, clock_health
from handlers.ports import Clock
from handlers.profile import ServiceProfile, load_profile
from handlers.service import DialogService
from ivr.spool import FileSpool
from ivr.views import PhoneLine
from ivr.views import blueprint as ivr_blueprint
from knowledge.base import KnowledgeBase, load_knowledge
from logs import configure_logging
from settings import Settings
from store.audit import SqlAuditTrail
from store.blocklist import SqlBlockList
from store.cards import SqlCardWork
from store.casefiles import SqlCaseFiles
from store.casework import SqlCallbackWork
from store.crypto import DataKeys
from store.database import make_engine, make_session_factory, ping
from store.dialog import SqlStore
from store.heartbeats import SqlHeartbeats
from store.limits import SqlSignInThrottle
from store.migrate import current_revision, head_revision
from store.outbox import SqlOutbox
from store.queue import SqlCallbackQueue
from store.referrals import SqlReferralWork
from store.report import SqlReportSource
from store.staff import SqlStaffAccounts
from store.telegram_chats import SqlTelegramChats
from store.voicemails import SqlVoicemails

log = logging.getLogger("carers_line.web")
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Runtime:
    """Everything a process (web, clock or CLI) builds once at start-up."""

    settings: Settings
    profile: ServiceProfile
    calendar: WorkingCalendar
    due_by: DueByRules
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    knowledge: KnowledgeBase
    dialog: DialogService


def build_runtime(
    settings: Settings, clock: Clock | None = None, engine: Engine | None = None
) -> Runtime:
    """Load the profile and knowledge base, open the database pool, choose the clock."""
    profile = load_profile(settings.service_profile)
    calendar = WorkingCalendar(profile)
    if clock is None:
        clock = FixedClock(settings.fixed_now) if settings.fixed_now else SystemClock()
    keys = DataKeys(settings.data_encryption_keys, settings.phone_hash_key)
    engine = engine or make_engine(settings.database_url, keys=keys)
    sessions = make_session_factory(engine)
    knowledge = load_knowledge(profile.placeholders())
    return Runtime(
        settings=settings,
        profile=profile,
        calendar=calendar,
        due_by=DueByRules(calendar),
        clock=clock,
        engine=engine,
        sessions=sessions,
        knowledge=knowledge,
        dialog=DialogService(SqlStore(sessions), profile, knowledge, clock, calendar=calendar),
    )


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    telegram_request: RequestFactory | None = None,
    console_twilio: ConsoleTwilio | None = None,
) -> Flask:
    """The Flask application for one deployment.

    Tests may give the Bot API's request class, and the console's Twilio stand-ins.
    """
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    runtime = build_runtime(settings, clock, engine)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
    )
    app.extensions["carers_line"] = runtime
    # The client address (the console's sign-in limit counts by it) comes from X-Forwarded-For
    # only behind TRUSTED_PROXY_COUNT proxies; scheme and host from one proxy hop as before.
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=settings.trusted_proxy_count, x_proto=1, x_host=1
    )
    _register_basics(app, runtime)
    _register_console(app, runtime, console_twilio)
    _register_phone_line(app, runtime)
    _register_telegram(app, runtime, telegram_request)
    _register_request_log(app)
    _register_security_headers(app, hsts=settings.production)
    return app


def _register_console(app: Flask, runtime: Runtime, twilio: ConsoleTwilio | None) -> None:
    """The staff console at /console/: sign-in, CSRF, the queue and its casework."""
    sessions = runtime.sessions
    accounts = SqlStaffAccounts(sessions)
    audit = SqlAuditTrail(sessions)
    ports = DeskPorts(
        accounts=accounts,
        queue=SqlCallbackQueue(sessions),
        files=SqlCaseFiles(sessions),
        work=SqlCallbackWork(sessions),
        referrals=SqlReferralWork(sessions),
        cards=SqlCardWork(sessions),
        audit=audit,
        outbox=SqlOutbox(sessions),
    )
    desk = CallbackDesk(ports, runtime.clock, AttemptPolicy.from_profile(runtime.profile.callbacks))
    settings = runtime.settings
    if twilio is None and settings.twilio_account_sid and settings.twilio_auth_token:
        twilio = ConsoleTwilio(
            calls=twilio_call_placer(
                settings.twilio_account_sid,
                settings.twilio_auth_token,
                runtime.profile.phones.main,
                settings.twilio_voice,
                runtime.profile.allowed_international_prefixes,
            ),
            recordings=TwilioRecordings(settings.twilio_account_sid, settings.twilio_auth_token),
        )
    install_console_auth(app, accounts)
    report = ConsoleReport(SqlReportSource(sessions), runtime.knowledge)
    services = ConsoleServices(
        desk,
        accounts,
        audit,
        runtime.calendar,
        runtime.profile,
        twilio,
        report,
        blocklist=SqlBlockList(sessions),
        throttle=SqlSignInThrottle(sessions),
    )
    app.register_blueprint(console_blueprint(services))


def _register_phone_line(app: Flask, runtime: Runtime) -> None:
    """The Twilio voice and SMS routes, when Twilio is configured (otherwise they answer 404)."""
    settings = runtime.settings
    if not settings.twilio_enabled or settings.public_base_url is None:
        log.warning(
            "phone line off: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set, so /ivr/* "
            "and /sms/incoming are not served; try the line with `carers-line call`"
        )
        return
    line = PhoneLine(
        public_base_url=settings.public_base_url,
        auth_token=settings.twilio_auth_token,
        voice=settings.twilio_voice,
        confidence_threshold=settings.twilio_speech_confidence,
    )
    phone = ivr_blueprint(
        runtime.dialog, line, SqlVoicemails(runtime.sessions), FileSpool(settings.spool_dir)
    )
    app.register_blueprint(phone)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(phone)  # Twilio signs its requests; it cannot send a CSRF token


def telegram_sender(
    runtime: Runtime, request_factory: RequestFactory | None = None
) -> TelegramSender | None:
    """The Bot API sender when a bot token is set; it marks chats that block the bot."""
    settings = runtime.settings
    if settings.telegram_bot_token is None:
        return None
    return TelegramSender(
        settings.telegram_bot_token,
        settings.telegram_api_base_url,
        runtime.clock,
        chats=SqlTelegramChats(runtime.sessions),
        request_factory=request_factory,
    )


def _register_telegram(app: Flask, runtime: Runtime, request: RequestFactory | None) -> None:
    """The Telegram webhook, when the bot token and webhook secret are set (otherwise 404)."""
    sender = telegram_sender(runtime, request)
    secret = runtime.settings.telegram_webhook_secret
    if sender is None or secret is None:
        log.warning(
            "chat bot off: TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET are not set, so "
            "/telegram/webhook is not served; try the chat with `carers-line chat`"
        )
        return
    webhook = telegram_blueprint(
        runtime.dialog,
        sender,
        SqlOutbox(runtime.sessions),
        secret=secret,
        chats=SqlTelegramChats(runtime.sessions),
    )
    app.register_blueprint(webhook)
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(webhook)  # Telegram proves itself with the secret header instead


def _register_basics(app: Flask, runtime: Runtime) -> None:
    @app.get("/")
    def landing() -> str:
        now = runtime.clock.now()
        return render_template(
            "landing.html",
            profile=runtime.profile,
            settings=runtime.settings,
            is_open=runtime.calendar.is_open(now),
            next_opening=runtime.calendar.local(runtime.calendar.next_opening(now)),
            local_now=runtime.calendar.local(now),
            has_console="console" in app.blueprints,
        )

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        try:
            ping(runtime.engine)
            current = current_revision(runtime.engine)
        except SQLAlchemyError as error:
            log.warning(
                "readiness check: database unreachable", extra={"error": type(error).__name__}
            )
            return jsonify(status="unavailable", database="unreachable"), 503
        head = head_revision(runtime.engine)
        if current != head:
            return jsonify(
                status="unavailable", database="ok", migrations="behind", current=current, head=head
            ), 503
        # The clock's heartbeat: reported always, required in production, where the Procfile
        # runs a clock; a development server started alone stays ready (docs/operations.md).
        clock = clock_health(
            SqlHeartbeats(runtime.sessions).last(CLOCK_HEARTBEAT), runtime.clock.now()
        )
        if runtime.settings.production and clock != "running":
            return jsonify(status="unavailable", database="ok", migrations="head", clock=clock), 503
        return jsonify(
            status="ready", database="ok", migrations="head", revision=head, clock=clock
        ), 200


CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _register_security_headers(app: Flask, *, hsts: bool) -> None:
    """Headers for every response: no script but our own files, never framed, no sniffing.

    Inline styles stay allowed (the standalone report and landing pages carry their CSS);
    inline script never is. HSTS only in production, where TLS is required.
    """

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if hsts:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def _register_request_log(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info(
            "request",
            extra={
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else "unmatched",
                "status": response.status_code,
                "ms": round(elapsed, 1),
            },
        )
        return response
