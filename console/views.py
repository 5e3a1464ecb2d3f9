"""The staff console: sign in, clear the queue, work an item, referrals, cards, audit trail.

Server-rendered HTML only (no script). Every route but sign-in needs a signed-in member of
staff; reassigning and the audit trail need a supervisor. Every POST carries a CSRF token.
The views only translate HTTP to ``CallbackDesk`` calls and back: the rules live in
``handlers.callbacks``. A form that cannot be accepted is shown again with what was typed, so
nothing a member of staff wrote about a carer is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped]
from werkzeug.wrappers import Response as BaseResponse

from console import accounts as account_pages
from console import blocklist as blocklist_page
from console import wording
from console.auth import (
    SignInFrom,
    check_sign_in,
    current_member,
    end_session,
    protect_console_post,
    signed_in,
    start_session,
    supervisors_only,
)
from console.calls import CallFailedError, CallPlacer
from console.forms import (
    MAX_ID,
    MAX_PAGE,
    ActionForm,
    AttemptForm,
    AuditFilterForm,
    CardPlanForm,
    CompleteForm,
    DeclineCardForm,
    FollowUpDoneForm,
    LoginForm,
    QueueFilterForm,
    ReassignForm,
    TellReferrerForm,
)
from console.recordings import RecordingSource, RecordingUnavailableError
from console.report_page import render_report_html
from handlers.callbacks import (
    ATTEMPT_RESULTS,
    CLOSING_OUTCOMES,
    FOLLOW_UP_METHODS,
    KINDS,
    OUTCOMES,
    SERVICES,
    CallbackDesk,
    Result,
    deadline,
    failed_tries,
    next_try_from,
)
from handlers.hours import WorkingCalendar
from handlers.phones import clean_phone
from handlers.ports import (
    Actor,
    AuditQuery,
    AuditTrail,
    BlockList,
    CardRecord,
    CaseFile,
    QueueQuery,
    ReportSource,
    SignInThrottle,
    StaffAccounts,
)
from handlers.profile import ServiceProfile
from handlers.report import Period, build_report
from handlers.report_formats import report_csv
from knowledge.base import KnowledgeBase

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100

ViewResult = str | BaseResponse | tuple[str, int]


@dataclass(frozen=True)
class ConsoleTwilio:
    """Twilio for the console: placing staff-first calls and fetching recordings."""

    calls: CallPlacer
    recordings: RecordingSource


@dataclass(frozen=True)
class ConsoleReport:
    """The monitoring report's rows, and the knowledge base that names each article's topic."""

    source: ReportSource
    knowledge: KnowledgeBase


@dataclass(frozen=True)
class ConsoleServices:
    """What the console needs: the desk, accounts, the audit trail and the deployment.

    ``twilio`` exists only when Twilio is configured; ``report`` when the report is wired in;
    ``blocklist`` and ``throttle`` (failed sign-ins per address) when the store provides them.
    """

    desk: CallbackDesk
    accounts: StaffAccounts
    audit: AuditTrail
    calendar: WorkingCalendar
    profile: ServiceProfile
    twilio: ConsoleTwilio | None = None
    report: ConsoleReport | None = None
    blocklist: BlockList | None = None
    throttle: SignInThrottle | None = None

    @property
    def calls(self) -> CallPlacer | None:
        """Staff-first calls, when Twilio is configured."""
        return self.twilio.calls if self.twilio else None

    @property
    def recordings(self) -> RecordingSource | None:
        """Voicemail audio, when Twilio is configured."""
        return self.twilio.recordings if self.twilio else None


def blueprint(services: ConsoleServices) -> Blueprint:
    """The ``/console`` routes for one deployment."""
    bp = Blueprint(
        "console",
        __name__,
        url_prefix="/console",
        template_folder="templates",
        static_folder="static",
    )
    desk = services.desk
    calendar = services.calendar

    def when(moment: datetime | None) -> str:
        if moment is None:
            return ""
        return f"{calendar.local(moment):%a %-d %b %Y, %H:%M}"

    def refuse(result: Result) -> None:
        flash(wording.refusal_message(result, when), "error")

    @bp.url_value_preprocessor
    def ids_in_range(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        """An id beyond the database's integers names no record: 404, not a database error."""
        if values and any(isinstance(value, int) and value > MAX_ID for value in values.values()):
            abort(404)

    @bp.before_request
    def check_csrf() -> None:
        if request.method == "POST":
            protect_console_post()

    @bp.after_request
    def private(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @bp.errorhandler(CSRFError)
    def csrf_refused(_error: Any) -> tuple[str, int]:
        return render_template(
            "console/error.html",
            title="This form has expired",
            message=(
                "The page was open too long, or it came from somewhere else. Nothing was "
                "changed. Go back, reload the page, and try again."
            ),
        ), 400

    @bp.errorhandler(403)
    def forbidden(_error: Any) -> tuple[str, int]:
        return render_template(
            "console/error.html",
            title="Supervisors only",
            message="This page is for supervisors. Ask a supervisor if you need it.",
        ), 403

    @bp.context_processor
    def helpers() -> dict[str, Any]:
        member = current_member() if current_user.is_authenticated else None
        return {
            "me": member,
            "when": when,
            "deadline": lambda due_by: deadline(due_by, desk.clock.now()),
            "kinds": KINDS,
            "attempt_results": ATTEMPT_RESULTS,
            "outcomes": {**OUTCOMES, **CLOSING_OUTCOMES},
            "services": SERVICES,
            "follow_up_methods": FOLLOW_UP_METHODS,
            "words": wording,
            "profile": services.profile,
            "has_calls": services.calls is not None,
            "has_recordings": services.recordings is not None,
            "policy": desk.policy,
            "has_report": "console.report" in current_app.view_functions,
            "has_blocklist": services.blocklist is not None,
        }

    # Signing in and out -------------------------------------------------------------------

    @bp.route("/login", methods=["GET", "POST"])
    def login() -> ViewResult:
        if current_user.is_authenticated:
            return redirect(url_for("console.queue"))
        form = LoginForm()
        error = None
        if form.validate_on_submit():
            now = desk.clock.now()
            origin = (
                SignInFrom(request.remote_addr or "unknown", services.throttle)
                if services.throttle is not None
                else None
            )
            outcome = check_sign_in(
                services.accounts,
                services.audit,
                form.username.data,
                form.password.data,
                now,
                origin,
            )
            if outcome.throttled:
                return render_template(
                    "console/login.html", form=form, error=wording.SIGN_IN_THROTTLED
                ), 429
            if outcome.member is not None:
                start_session(outcome.member)
                flash(f"Signed in as {outcome.member.display_name}.", "info")
                return redirect(_safe_next(request.args.get("next")))
            if outcome.locked_until is not None:
                error = (
                    "Too many wrong passwords: this account is locked until "
                    f"{when(outcome.locked_until)}. Try again then, or ask a supervisor."
                )
            else:
                error = (
                    "That username and password do not match an account that can sign in. "
                    "Check them and try again."
                )
        status = 200 if error is None else 401
        return render_template("console/login.html", form=form, error=error), status

    @bp.post("/logout")
    @signed_in
    def logout() -> ViewResult:
        member = current_member()
        services.audit.record(
            Actor.staff(member), "signed_out", "staff", member.id, desk.clock.now()
        )
        end_session()
        flash("You have signed out.", "info")
        return redirect(url_for("console.login"))

    account_pages.add_routes(bp, services.accounts, services.audit, desk.clock)
    if services.blocklist is not None:
        blocklist_page.add_routes(bp, services.blocklist, desk.clock, when)

    # The queue --------------------------------------------------------------------------

    @bp.get("/")
    @signed_in
    def queue() -> ViewResult:
        form = QueueFilterForm(formdata=request.args)
        valid = form.validate()
        view = form.view.data if valid and form.view.data in ("all", "mine", "unclaimed") else "all"
        kind = form.kind.data if valid and form.kind.data in KINDS else None
        query = QueueQuery(
            view=view,
            overdue=bool(valid and form.overdue.data),
            urgent=bool(valid and form.urgent.data),
            kind=kind,
        )
        page_number = int(form.page.data or 1) if valid else 1
        page = desk.queue(current_member(), query, (page_number - 1) * PAGE_SIZE, PAGE_SIZE)
        pages = max(1, -(-page.total // PAGE_SIZE)) if page.exact else None
        has_next = len(page.rows) == PAGE_SIZE and (pages is None or page_number < pages)
        filters = {
            key: value
            for key, value in {
                "view": view if view != "all" else None,
                "kind": kind,
                "overdue": "y" if query.overdue else None,
                "urgent": "y" if query.urgent else None,
            }.items()
            if value
        }
        return render_template(
            "console/queue.html",
            form=form,
            page=page,
            page_number=page_number,
            pages=pages,
            has_next=has_next,
            filters=filters,
            claim_form=ActionForm(),
        )

    # One item ---------------------------------------------------------------------------

    def render_item(case: CaseFile, status: int = 200, **forms: Any) -> tuple[str, int]:
        member = current_member()
        history = desk.history(case)
        reassign = forms.pop("reassign_form", None) or ReassignForm()
        reassign.staff_id.choices = {
            str(other.id): other.display_name for other in services.accounts.active_members()
        }
        plan_form = CardPlanForm()
        tell = forms.pop("tell_form", None) or TellReferrerForm(
            message=wording.referrer_message(services.profile, case.referral)
        )
        return render_template(
            "console/item.html",
            case=case,
            item=case.item,
            holding=case.item.holder_id == member.id and case.status == "open",
            failed=failed_tries(history),
            next_try=next_try_from(desk.policy, history),
            now=desk.clock.now(),
            action_form=ActionForm(),
            attempt_form=forms.pop("attempt_form", None) or AttemptForm(),
            complete_form=forms.pop("complete_form", None) or CompleteForm(),
            decline_form=forms.pop("decline_form", None) or DeclineCardForm(),
            reassign_form=reassign,
            tell_form=tell,
            plan_form=plan_form,
            can_call=bool(services.calls and member.phone and case.phone),
        ), status

    def load(callback_id: int) -> CaseFile:
        case = desk.open_case(current_member(), callback_id)
        if case is None:
            abort(404)
        return case

    def find(callback_id: int) -> CaseFile:
        """The item, to find what a change applies to (the change itself is audited)."""
        case = desk.find_case(callback_id)
        if case is None:
            abort(404)
        return case

    def back(callback_id: int) -> BaseResponse:
        return redirect(url_for("console.item", callback_id=callback_id))

    @bp.get("/callbacks/<int:callback_id>")
    @signed_in
    def item(callback_id: int) -> ViewResult:
        return render_item(load(callback_id))

    @bp.post("/callbacks/<int:callback_id>/claim")
    @signed_in
    def claim(callback_id: int) -> ViewResult:
        result = desk.claim(current_member(), callback_id)
        if result.done:
            flash("You hold this item now. Nobody else can work it until you release it.", "info")
        else:
            flash("Someone else already holds this item, or it is closed.", "error")
        return back(callback_id)

    @bp.post("/callbacks/<int:callback_id>/release")
    @signed_in
    def release(callback_id: int) -> ViewResult:
        result = desk.release(current_member(), callback_id)
        if result.done:
            flash("Released: the item is back in the queue for anyone to claim.", "info")
        else:
            refuse(result)
        return back(callback_id)

    @bp.post("/callbacks/<int:callback_id>/reassign")
    @supervisors_only
    def reassign(callback_id: int) -> ViewResult:
        form = ReassignForm()
        form.staff_id.choices = {
            str(other.id): other.display_name for other in services.accounts.active_members()
        }
        if not form.validate_on_submit():
            return render_item(load(callback_id), 400, reassign_form=form)
        result = desk.reassign(current_member(), callback_id, int(form.staff_id.data))
        if result.done:
            flash("Reassigned.", "info")
        else:
            refuse(result)
        return back(callback_id)

    @bp.post("/callbacks/<int:callback_id>/attempts")
    @signed_in
    def record_attempt(callback_id: int) -> ViewResult:
        form = AttemptForm()
        if not form.validate_on_submit():
            return render_item(load(callback_id), 400, attempt_form=form)
        result = desk.record_attempt(
            current_member(), callback_id, str(form.result.data), form.notes.data
        )
        if not result.done:
            refuse(result)
            return render_item(load(callback_id), 409, attempt_form=form)
        message = "Attempt recorded."
        if result.closing is not None:
            method = result.closing.follow_up_method
            if method is not None:
                message += (
                    f" The item is now closed, and a follow-up {FOLLOW_UP_METHODS[method].lower()}"
                    " task is on the follow-ups list."
                )
            else:
                message += " The item is now closed."
        flash(message, "info")
        return back(callback_id)

    @bp.post("/callbacks/<int:callback_id>/complete")
    @signed_in
    def complete(callback_id: int) -> ViewResult:
        form = CompleteForm()
        if not form.validate_on_submit():
            return render_item(load(callback_id), 400, complete_form=form)
        result = desk.complete(
            current_member(),
            callback_id,
            str(form.outcome.data),
            [str(service) for service in form.services.data or []],
            form.notes.data,
        )
        if not result.done:
            refuse(result)
            return render_item(load(callback_id), 409, complete_form=form)
        flash("Completed. Thank you.", "info")
        return redirect(url_for("console.queue"))

    @bp.post("/callbacks/<int:callback_id>/call")
    @signed_in
    def call_now(callback_id: int) -> ViewResult:
        member = current_member()
        case = find(callback_id)
        if services.calls is None or not case.phone or not member.phone:
            flash(
                "Call now needs Twilio set up, your phone number on your account, "
                "and a number for the carer.",
                "error",
            )
            return back(callback_id)
        if case.item.holder_id != member.id:
            flash("Claim the item before you call.", "error")
            return back(callback_id)
        try:
            call_id = services.calls.connect(member.phone, case.phone, case.item.reference)
        except (CallFailedError, ValueError) as error:
            flash(f"The call could not be started. {error}", "error")
            return back(callback_id)
        desk.audit_note(member, "call_started", "callback", callback_id, call_sid=call_id)
        flash(
            "Your phone will ring now. When you answer, we dial the carer. "
            "Afterwards, record what happened below.",
            "info",
        )
        return back(callback_id)

    # Voicemail audio ----------------------------------------------------------------------

    @bp.get("/voicemails/<int:voicemail_id>/audio")
    @signed_in
    def voicemail_audio(voicemail_id: int) -> ViewResult:
        if services.recordings is None:
            abort(404)
        voicemail = desk.listen(current_member(), voicemail_id)
        if voicemail is None:
            abort(404)
        if voicemail.deleted_at is not None:
            abort(410)
        try:
            audio = services.recordings.open(voicemail.recording_sid)
        except RecordingUnavailableError:
            return render_template(
                "console/error.html",
                title="The recording is not available",
                message="Twilio could not give us this recording just now. Try again later.",
            ), 502
        headers = {"Cache-Control": "no-store"}
        if audio.length is not None:
            headers["Content-Length"] = str(audio.length)
        return Response(
            stream_with_context(audio.chunks),
            mimetype=audio.content_type,
            headers=headers,
        )

    # Referrals (K5, K6) ------------------------------------------------------------------

    def referral_of(callback_id: int) -> int:
        case = find(callback_id)
        if case.referral is None:
            abort(404)
        return case.referral.id

    @bp.post("/callbacks/<int:callback_id>/referral/acknowledge")
    @signed_in
    def acknowledge(callback_id: int) -> ViewResult:
        result = desk.acknowledge_referral(current_member(), referral_of(callback_id))
        if result.done:
            flash("Referral acknowledged.", "info")
        else:
            refuse(result)
        return back(callback_id)

    @bp.post("/callbacks/<int:callback_id>/referral/first-contact")
    @signed_in
    def first_contact(callback_id: int) -> ViewResult:
        result = desk.record_first_contact(current_member(), referral_of(callback_id))
        if result.done:
            flash("First contact recorded.", "info")
        else:
            refuse(result)
        return back(callback_id)

    @bp.post("/callbacks/<int:callback_id>/referral/tell-referrer")
    @signed_in
    def tell_referrer(callback_id: int) -> ViewResult:
        form = TellReferrerForm()
        referral_id = referral_of(callback_id)
        if not form.validate_on_submit():
            return render_item(load(callback_id), 400, tell_form=form)
        result = desk.tell_referrer(current_member(), referral_id, str(form.message.data))
        if not result.done:
            refuse(result)
            return render_item(load(callback_id), 409, tell_form=form)
        flash("The text to the referrer is on its way.", "info")
        return back(callback_id)

    # Emergency cards (K7, P2) ----------------------------------------------------------

    def request_of(callback_id: int) -> CaseFile:
        case = find(callback_id)
        if case.card_request is None:
            abort(404)
        return case

    @bp.post("/callbacks/<int:callback_id>/card-request/approve")
    @signed_in
    def approve_card(callback_id: int) -> ViewResult:
        case = request_of(callback_id)
        request_record = case.card_request
        assert request_record is not None
        card_id = desk.approve_card(
            current_member(),
            request_record.id,
            request_record.help_needed,
            request_record.contacts,
        )
        if card_id is None:
            flash("This request was already decided. Nothing was changed.", "error")
            return back(callback_id)
        flash("Card issued. Check the plan and contacts, then print the card.", "info")
        return redirect(url_for("console.card_plan", card_id=card_id, item=callback_id))

    @bp.post("/callbacks/<int:callback_id>/card-request/decline")
    @signed_in
    def decline_card(callback_id: int) -> ViewResult:
        case = request_of(callback_id)
        form = DeclineCardForm()
        if not form.validate_on_submit():
            return render_item(load(callback_id), 400, decline_form=form)
        assert case.card_request is not None
        result = desk.decline_card(current_member(), case.card_request.id, str(form.note.data))
        if result.done:
            flash("Request declined.", "info")
        else:
            refuse(result)
        return back(callback_id)

    def load_card(card_id: int, purpose: str) -> CardRecord:
        card = desk.open_card(current_member(), card_id, purpose=purpose)
        if card is None:
            abort(404)
        return card

    @bp.get("/cards/<int:card_id>")
    @signed_in
    def card(card_id: int) -> ViewResult:
        return render_template(
            "console/card.html",
            card=load_card(card_id, "viewed"),
            item_id=request.args.get("item", type=int),
        )

    @bp.route("/cards/<int:card_id>/plan", methods=["GET", "POST"])
    @signed_in
    def card_plan(card_id: int) -> ViewResult:
        item_id = request.args.get("item", type=int)
        most = services.profile.emergency_card.max_contacts
        if request.method == "POST":
            form = CardPlanForm()
            if form.validate_on_submit():
                contacts = _contacts(form.contacts.data)[:most]
                result = desk.update_plan(current_member(), card_id, form.plan.data, contacts)
                if result.done:
                    flash("Plan saved.", "info")
                    return redirect(url_for("console.card", card_id=card_id, item=item_id))
                refuse(result)
            record = load_card(card_id, "viewed")
            status = 409 if not form.errors else 400
            return render_template(
                "console/card_plan.html", card=record, form=form, item_id=item_id
            ), status
        record = load_card(card_id, "viewed")
        rows = list(record.contacts)
        rows += [{}] * (most - len(rows))
        form = CardPlanForm(formdata=None, plan=record.plan, contacts=rows[:most])
        return render_template("console/card_plan.html", card=record, form=form, item_id=item_id)

    # Follow-ups ------------------------------------------------------------------------

    @bp.get("/follow-ups")
    @signed_in
    def follow_ups() -> ViewResult:
        show_all = request.args.get("show") == "all"
        page_number = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
        tasks, total = desk.follow_ups(
            current_member(), not show_all, (page_number - 1) * PAGE_SIZE, PAGE_SIZE
        )
        return render_template(
            "console/follow_ups.html",
            tasks=tasks,
            total=total,
            show_all=show_all,
            page_number=page_number,
            pages=max(1, -(-total // PAGE_SIZE)),
            form=FollowUpDoneForm(),
        )

    @bp.post("/follow-ups/<int:task_id>/done")
    @signed_in
    def follow_up_done(task_id: int) -> ViewResult:
        form = FollowUpDoneForm()
        if form.validate_on_submit():
            result = desk.finish_follow_up(current_member(), task_id, form.notes.data)
            if result.done:
                flash("Follow-up marked as sent.", "info")
            else:
                refuse(result)
        else:
            flash("The note is too long. Nothing was changed.", "error")
        return redirect(url_for("console.follow_ups"))

    # The audit trail (supervisors) -----------------------------------------------------

    @bp.get("/audit")
    @supervisors_only
    def audit() -> ViewResult:
        members = {member.id: member for member in services.accounts.active_members()}
        form = AuditFilterForm(formdata=request.args)
        form.staff_id.choices = {
            "": "Anyone",
            **{str(member.id): member.display_name for member in members.values()},
        }
        valid = form.validate()
        query = AuditQuery(
            staff_id=int(form.staff_id.data)
            if valid and str(form.staff_id.data).isdigit()
            else None,
            subject_type=(form.subject_type.data or None) if valid else None,
            subject_id=form.subject_id.data if valid else None,
        )
        page_number = int(form.page.data or 1) if valid else 1
        page = services.audit.search(query, (page_number - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE)
        pages = max(1, -(-page.total // AUDIT_PAGE_SIZE)) if page.exact else None
        filters = {
            key: value
            for key, value in {
                "staff_id": query.staff_id,
                "subject_type": query.subject_type,
                "subject_id": query.subject_id,
            }.items()
            if value is not None
        }
        return render_template(
            "console/audit.html",
            form=form,
            entries=page.entries,
            total=page.total,
            exact=page.exact,
            page_number=page_number,
            pages=pages,
            has_next=len(page.entries) == AUDIT_PAGE_SIZE
            and (pages is None or page_number < pages),
            filters=filters,
        )

    # The monitoring report (supervisors) -------------------------------------------

    @bp.get("/report")
    @supervisors_only
    def report() -> ViewResult:
        if services.report is None:
            abort(404)
        first, last = request.args.get("from", ""), request.args.get("to", "")
        if not first and not last:
            start, end = previous_quarter(calendar.local(desk.clock.now()).date())
            return render_template("console/report_form.html", first=start, last=end, error=None)
        try:
            period = Period.parse(first, last)
        except ValueError:
            error = "Give two dates, the first on or before the second, like 2026-07-01."
            return render_template(
                "console/report_form.html", first=first, last=last, error=error
            ), 400
        now = desk.clock.now()
        built = build_report(
            services.report.source, calendar, services.report.knowledge, period, now
        )
        wants_csv = request.args.get("format") == "csv"
        desk.audit_note(
            current_member(),
            "viewed_report",
            "report",
            None,
            first=period.first.isoformat(),
            last=period.last.isoformat(),
            format="csv" if wants_csv else "html",
        )
        if wants_csv:
            name = f"carers-line-report-{period.first}-to-{period.last}.csv"
            return Response(
                report_csv(built),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return render_report_html(built)

    return bp


def previous_quarter(today: date) -> tuple[date, date]:
    """The last complete calendar quarter before ``today`` (councils report quarterly)."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    this_quarter = date(today.year, first_month, 1)
    end = this_quarter - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


def _safe_next(target: str | None) -> str:
    """Only a path inside the console, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/console/"):
            return target
    return url_for("console.queue")


def _contacts(rows: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The filled-in contact rows, phone numbers tidied."""
    contacts = []
    for row in rows:
        name = str(row.get("name") or "").strip()
        phone = clean_phone(str(row.get("phone") or ""))
        if name and phone:
            contact = {"name": name, "phone": phone}
            relationship = str(row.get("relationship") or "").strip()
            if relationship:
                contact["relationship"] = relationship
            contacts.append(contact)
    return contacts
