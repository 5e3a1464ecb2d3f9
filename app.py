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

from handlers.clocks import FixedClock, SystemClock
from handlers.hours import DueByRules, WorkingCalendar
from handlers.ports import Clock
from handlers.profile import ServiceProfile, load_profile
from handlers.service import DialogService
from knowledge.base import KnowledgeBase, load_knowledge
from logs import configure_logging
from settings import Settings
from store.database import make_engine, make_session_factory, ping
from store.dialog import SqlStore
from store.migrate import current_revision, head_revision

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
    engine = engine or make_engine(settings.database_url)
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
        dialog=DialogService(SqlStore(sessions), profile, knowledge, clock),
    )


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, engine: Engine | None = None
) -> Flask:
    """The Flask application for one deployment."""
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
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    _register_basics(app, runtime)
    _register_request_log(app)
    return app


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
        return jsonify(status="ready", database="ok", migrations="head", revision=head), 200


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
