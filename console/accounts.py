"""Your account and staff accounts: change password, sign out everywhere, disable (issue 8 item 7).

Each ends live sessions on the server: the account's session generation goes up, and every
session signed in under the old one is refused at its next request, on any worker.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse
from wtforms import PasswordField  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Length  # type: ignore[import-untyped]

from console import wording
from console.auth import (
    change_password,
    current_member,
    set_account_active,
    sign_out_everywhere,
    signed_in,
    supervisors_only,
)
from console.forms import ActionForm, ConsoleForm
from handlers.ports import AuditTrail, Clock, StaffAccounts

ViewResult = str | BaseResponse | tuple[str, int]


class PasswordForm(ConsoleForm):
    """The current password, and the new one twice."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    again = PasswordField("New password again", validators=[DataRequired(), Length(max=200)])


def add_routes(bp: Blueprint, accounts: StaffAccounts, audit: AuditTrail, clock: Clock) -> None:
    """Register the account routes on the console blueprint."""

    def account_page(form: PasswordForm, problems: list[str], status: int) -> tuple[str, int]:
        return render_template(
            "console/account.html", form=form, problems=problems, action_form=ActionForm()
        ), status

    @bp.get("/account")
    @signed_in
    def account() -> ViewResult:
        return account_page(PasswordForm(formdata=None), [], 200)

    @bp.post("/account/password")
    @signed_in
    def new_password() -> ViewResult:
        form = PasswordForm()
        if not form.validate_on_submit():
            return account_page(form, [], 400)
        if form.new.data != form.again.data:
            return account_page(form, [wording.PASSWORDS_DIFFER], 400)
        problems = change_password(
            accounts, audit, str(form.current.data), str(form.new.data), clock.now()
        )
        if problems:
            return account_page(form, problems, 400)
        flash(wording.PASSWORD_CHANGED, "info")
        return redirect(url_for("console.queue"))

    @bp.post("/account/sign-out-everywhere")
    @signed_in
    def everywhere() -> ViewResult:
        sign_out_everywhere(accounts, audit, clock.now())
        flash(wording.SIGNED_OUT_EVERYWHERE, "info")
        return redirect(url_for("console.login"))

    @bp.get("/staff")
    @supervisors_only
    def staff_accounts() -> ViewResult:
        return render_template(
            "console/staff.html",
            members=accounts.active_members(),
            disabled=accounts.disabled_members(),
            me_id=current_member().id,
            action_form=ActionForm(),
        )

    @bp.post("/staff/<int:staff_id>/disable")
    @supervisors_only
    def disable(staff_id: int) -> ViewResult:
        if set_account_active(accounts, audit, staff_id, False, clock.now()):
            flash(wording.ACCOUNT_DISABLED, "info")
        else:
            flash(wording.ACCOUNT_NOT_CHANGED, "error")
        return redirect(url_for("console.staff_accounts"))

    @bp.post("/staff/<int:staff_id>/enable")
    @supervisors_only
    def enable(staff_id: int) -> ViewResult:
        if set_account_active(accounts, audit, staff_id, True, clock.now()):
            flash(wording.ACCOUNT_ENABLED, "info")
        else:
            flash(wording.ACCOUNT_NOT_CHANGED, "error")
        return redirect(url_for("console.staff_accounts"))
