"""The block list page, ``/console/blocklist`` (supervisors; issue 8 item 6).

A supervisor blocks a phone number or a Telegram chat id, with a reason and how many days the
block lasts, and lifts a block early. Every form carries a CSRF token and every change is
audited by the store in the same transaction. A blocked number or chat still hears the emergency
numbers and how else to reach the service; the page shows how often each has tried since.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as BaseResponse
from wtforms import IntegerField, RadioField, StringField, TextAreaField  # type: ignore[import-untyped]
from wtforms.validators import (  # type: ignore[import-untyped]
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
)

from console import wording
from console.auth import current_member, supervisors_only
from console.forms import ActionForm, ConsoleForm
from handlers.limits import MAX_BLOCK_DAYS, block_expiry, block_subject
from handlers.ports import Actor, BlockList, Clock

ViewResult = str | BaseResponse | tuple[str, int]


class BlockForm(ConsoleForm):
    """What to block, why, and for how long."""

    kind = RadioField(
        "What to block",
        choices={"phone": "A phone number", "chat": "A Telegram chat id"},
        default="phone",
        validators=[InputRequired()],
    )
    value = StringField("Number or chat id", validators=[DataRequired(), Length(max=40)])
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=500)])
    days = IntegerField(
        "Days the block lasts",
        default=30,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_BLOCK_DAYS)],
    )


def add_routes(
    bp: Blueprint, blocklist: BlockList, clock: Clock, when: Callable[[datetime | None], str]
) -> None:
    """Register the block list's routes on the console blueprint."""

    def page(form: BlockForm, status: int = 200) -> tuple[str, int]:
        return render_template(
            "console/blocklist.html",
            form=form,
            entries=blocklist.active(clock.now()),
            remove_form=ActionForm(),
            kinds=wording.BLOCK_KINDS,
            when=when,
        ), status

    @bp.get("/blocklist")
    @supervisors_only
    def blocklist_page() -> tuple[str, int]:
        return page(BlockForm(formdata=None))

    @bp.post("/blocklist")
    @supervisors_only
    def block() -> ViewResult:
        form = BlockForm()
        if not form.validate_on_submit():
            return page(form, 400)
        now = clock.now()
        subject = block_subject(str(form.kind.data), str(form.value.data))
        expires = block_expiry(now, int(form.days.data))
        if subject is None or expires is None:
            form.value.errors = [*form.value.errors, wording.BLOCK_NOT_A_CONTACT]
            return page(form, 400)
        actor = Actor.staff(current_member())
        blocklist.add(subject, str(form.reason.data).strip(), expires, actor, now)
        flash(wording.BLOCK_ADDED.format(until=when(expires)), "info")
        return redirect(url_for("console.blocklist_page"))

    @bp.post("/blocklist/<int:entry_id>/remove")
    @supervisors_only
    def unblock(entry_id: int) -> ViewResult:
        if blocklist.remove(entry_id, Actor.staff(current_member()), clock.now()):
            flash(wording.BLOCK_REMOVED, "info")
        else:
            flash(wording.BLOCK_ALREADY_GONE, "error")
        return redirect(url_for("console.blocklist_page"))
