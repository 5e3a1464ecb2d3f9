"""The supervisors' monitoring report page: dates, the printable report, CSV, roles, audit."""

from __future__ import annotations

from datetime import date, timedelta

from console.views import previous_quarter
from store.models import AuditEvent
from tests.conftest import london
from tests.console.seeding import add_callback, rows


def test_the_form_starts_at_the_last_full_quarter(sam, signed_in):
    page = signed_in(sam).page("/console/report")
    assert 'name="from" type="date" value="2026-07-01"' in page
    assert 'name="to" type="date" value="2026-09-30"' in page
    assert '<label for="from">From</label>' in page


def test_previous_quarter():
    assert previous_quarter(date(2026, 11, 23)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert previous_quarter(date(2026, 1, 1)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert previous_quarter(date(2026, 6, 30)) == (date(2026, 1, 1), date(2026, 3, 31))


def test_the_report_counts_the_services_staff_recorded(db, clock, sam, signed_in):
    done_at = london("2026-08-12T11:00")
    add_callback(
        db,
        done_at - timedelta(days=1),
        status="done",
        outcome="signposted",
        signposted_to=["carers_assessment", "breaks"],
        completed_at=done_at,
    )
    browser = signed_in(sam)
    response = browser.get("/console/report?from=2026-07-01&to=2026-09-30")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 July 2026 to 30 September 2026" in page
    assert "carers_assessment" in page or "Carer&#39;s assessment" in page
    event = rows(db, AuditEvent, AuditEvent.action == "viewed_report")[0]
    assert event.staff_id == sam.id
    assert event.detail == {"first": "2026-07-01", "last": "2026-09-30", "format": "html"}


def test_the_report_downloads_as_csv(sam, signed_in):
    response = signed_in(sam).get("/console/report?from=2026-07-01&to=2026-09-30&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        'filename="carers-line-report-2026-07-01-to-2026-09-30.csv"'
        in (response.headers["Content-Disposition"])
    )
    assert response.get_data(as_text=True).startswith("section,requirement,measure")


def test_bad_dates_are_explained(sam, signed_in):
    response = signed_in(sam).get("/console/report?from=2026-09-30&to=2026-07-01")
    assert response.status_code == 400
    assert "the first on or before the second" in response.get_data(as_text=True)


def test_staff_cannot_open_the_report(alice, signed_in):
    browser = signed_in(alice)
    assert browser.get("/console/report").status_code == 403
    assert "Monitoring report" not in browser.page("/console/")


def test_supervisors_see_the_report_in_the_menu(sam, signed_in):
    assert 'href="/console/report"' in signed_in(sam).page("/console/")
