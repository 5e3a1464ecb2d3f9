"""The web app's basics: health, readiness, landing page, disabled channels, safe logs."""

import json
import logging
from dataclasses import replace

import pytest

from app import build_runtime, create_app
from logs import JsonFormatter, redact
from store.database import make_engine
from store.migrate import upgrade


@pytest.fixture
def app(db, settings, clock):
    return create_app(settings, clock=clock, engine=db.engine)


def test_healthz_says_the_process_is_up(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_migrated(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["migrations"] == "head"


def test_readyz_is_unavailable_before_migrations(settings, clock):
    app = create_app(settings, clock=clock)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "behind"
    upgrade(app.extensions["carers_line"].engine)
    assert app.test_client().get("/readyz").status_code == 200


def test_readyz_is_unavailable_when_the_database_is_unreachable(settings, clock):
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_pre_ping=False)
    app = create_app(settings, clock=clock, engine=engine)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_landing_page_says_what_is_running(app):
    page = app.test_client().get("/").get_data(as_text=True)
    assert "Westshire Carers Line" in page
    assert "The service is <strong>open</strong> now" in page  # Monday 10:30
    assert "/ivr/voice" in page and "/telegram/webhook" in page
    assert "off until TWILIO_ACCOUNT_SID" in page


def test_landing_page_out_of_hours_names_the_next_opening(db, settings, clock):
    from tests.conftest import london

    clock.set(london("2026-12-25T10:00"))
    page = (
        create_app(settings, clock=clock, engine=db.engine)
        .test_client()
        .get("/")
        .get_data(as_text=True)
    )
    assert "<strong>closed</strong>" in page and "Tuesday 29 December at 09:00" in page


@pytest.mark.parametrize("path", ["/ivr/voice", "/ivr/step", "/sms/incoming", "/telegram/webhook"])
def test_channel_routes_are_off_without_credentials(app, path):
    assert app.test_client().post(path, data={"CallSid": "CA1"}).status_code == 404


def test_proxy_headers_are_honoured(app):
    @app.get("/_scheme")
    def scheme():
        from flask import request

        return request.scheme

    response = app.test_client().get("/_scheme", headers={"X-Forwarded-Proto": "https"})
    assert response.get_data(as_text=True) == "https"


def test_oversized_requests_are_refused(app):
    response = app.test_client().post("/healthz", data=b"x" * (2 * 1024 * 1024))
    assert response.status_code in (405, 413)


def test_production_sets_secure_cookies(db, settings, clock):
    prod = replace(settings, environment="production", secret_key="k" * 40)
    app = create_app(prod, clock=clock, engine=db.engine)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "max-age=" in app.test_client().get("/").headers["Strict-Transport-Security"]


def test_every_page_forbids_inline_script_and_framing(app):
    for path in ("/", "/healthz", "/console/login"):
        headers = app.test_client().get(path).headers
        policy = dict(part.split(" ", 1) for part in headers["Content-Security-Policy"].split("; "))
        assert policy["script-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in headers


def test_json_logs_mask_personal_data():
    record = logging.makeLogRecord(
        {
            "name": "carers_line.test",
            "levelname": "INFO",
            "levelno": 20,
            "msg": "carer rang from 07700 900123 and wrote to jo@example.org",
            "args": (),
            "caller": "+44 7700 900123",
        }
    )
    line = json.loads(JsonFormatter().format(record))
    assert "900123" not in json.dumps(line) and "jo@example.org" not in json.dumps(line)
    assert line["event"] == "carer rang from [phone] and wrote to [email]"
    assert line["caller"] == "[phone]"
    assert redact("reference CL-7K3P, 2026-11-23") == "reference CL-7K3P, 2026-11-23"


def test_request_log_names_the_route_not_the_content(app, caplog):
    caplog.set_level(logging.INFO, logger="carers_line.web")
    app.test_client().get("/healthz?phone=07700900123")
    entry = next(r for r in caplog.records if r.getMessage() == "request")
    assert entry.route == "/healthz" and entry.status == 200
    assert "07700900123" not in json.dumps(entry.__dict__, default=str)


def test_the_dialog_core_shares_the_runtimes_working_calendar(settings, db, clock):
    runtime = build_runtime(settings, clock, db.engine)
    # one calendar per process, so the days it has worked out serve the web and the core alike
    assert runtime.dialog.calendar is runtime.calendar
