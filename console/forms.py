"""The console's forms (Flask-WTF): every one carries a CSRF token and checks its input.

Flask-WTF and WTForms ship no type hints; ``ConsoleForm`` gives the views a typed face for the
few methods they use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_wtf import FlaskForm  # type: ignore[import-untyped]
from wtforms import (  # type: ignore[import-untyped]
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (  # type: ignore[import-untyped]
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget  # type: ignore[import-untyped]

from handlers.callbacks import ATTEMPT_RESULTS, KINDS, OUTCOMES, SERVICES
from handlers.phones import clean_phone

NOTES_LIMIT = 4000
MAX_PAGE = 1_000_000
MAX_ID = 2**31 - 1  # the largest id a table holds; beyond it, a database error (tests/fuzz)
SMS_LIMIT = 459  # three text-message segments

if TYPE_CHECKING:

    class ConsoleForm:
        """What the views use of Flask-WTF's ``FlaskForm``."""

        errors: dict[str, Any]

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

        def validate_on_submit(self) -> bool: ...

        def validate(self) -> bool: ...

else:
    ConsoleForm = FlaskForm


class LoginForm(ConsoleForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ActionForm(ConsoleForm):
    """A button that changes something: only the CSRF token."""


class ReassignForm(ConsoleForm):
    """Give an item to another member of staff (supervisors)."""

    staff_id = SelectField("Give this item to", coerce=int, validators=[InputRequired()])


class AttemptForm(ConsoleForm):
    """One try at reaching the carer."""

    result = RadioField(
        "What happened?",
        choices=dict(ATTEMPT_RESULTS),
        validators=[InputRequired(message="Choose what happened on the call.")],
    )
    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=NOTES_LIMIT)])


class MultiCheckboxField(SelectMultipleField):  # type: ignore[misc]
    """A group of checkboxes (one per choice) rather than a multiple-select box."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CompleteForm(ConsoleForm):
    """Finish an item: the outcome and the services the carer was referred or signposted to."""

    outcome = RadioField(
        "Outcome",
        choices=dict(OUTCOMES),
        validators=[InputRequired(message="Choose the outcome.")],
    )
    services = MultiCheckboxField(
        "Services the carer was referred or signposted to", choices=dict(SERVICES)
    )
    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=NOTES_LIMIT)])


class TellReferrerForm(ConsoleForm):
    """The text message to a third-party referrer (K6)."""

    message = TextAreaField(
        "Text message to the referrer",
        validators=[
            DataRequired(message="Write the message to send."),
            Length(max=SMS_LIMIT),
        ],
    )


class DeclineCardForm(ConsoleForm):
    """Decline an emergency card request, with the reason."""

    note = TextAreaField(
        "Why is the request declined?",
        validators=[DataRequired(message="Say why."), Length(max=NOTES_LIMIT)],
    )


class FollowUpDoneForm(ConsoleForm):
    """A follow-up letter or e-mail was sent."""

    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=NOTES_LIMIT)])


def _uk_phone(_form: Any, field: Any) -> None:
    if field.data and clean_phone(str(field.data)) is None:
        raise ValidationError("Enter a UK phone number, like 07700 900123.")


class ContactForm(Form):  # type: ignore[misc]
    """One emergency contact: everyone listed has agreed to step in."""

    name = StringField("Name", validators=[Optional(), Length(max=200)])
    relationship = StringField("Relationship", validators=[Optional(), Length(max=100)])
    phone = StringField("Phone", validators=[Optional(), Length(max=32), _uk_phone])

    def validate(self, extra_validators: Any = None) -> bool:
        """A contact needs a name and a phone number together, or neither."""
        valid = bool(super().validate(extra_validators))
        if bool(self.name.data) != bool(self.phone.data):
            missing = self.phone if self.name.data else self.name
            missing.errors = [*missing.errors, "Give both a name and a phone number."]
            return False
        return valid


class CardPlanForm(ConsoleForm):
    """The emergency plan and contacts on a card."""

    plan = TextAreaField(
        "Emergency plan: who steps in, and what the cared-for person needs",
        validators=[Optional(), Length(max=NOTES_LIMIT)],
    )
    contacts = FieldList(FormField(ContactForm), min_entries=1)


class QueueFilterForm(ConsoleForm):
    """The queue's filters (a GET form: no CSRF token, nothing changes)."""

    class Meta:
        """Filters change nothing, so no token is needed."""

        csrf = False

    view = SelectField(
        "Show",
        choices={"all": "All open items", "mine": "Mine", "unclaimed": "Unclaimed"},
        default="all",
        validators=[Optional()],
    )
    kind = SelectField(
        "Type",
        choices={"": "Any type", **KINDS},
        default="",
        validators=[Optional()],
    )
    overdue = BooleanField("Overdue only")
    urgent = BooleanField("Urgent only")
    page = IntegerField(
        "Page", default=1, validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)]
    )


class AuditFilterForm(ConsoleForm):
    """Narrow the audit trail (GET)."""

    class Meta:
        """Filters change nothing, so no token is needed."""

        csrf = False

    subject_type = SelectField(
        "Record type",
        choices={
            "": "Any",
            "callback": "Queue item",
            "referral": "Referral",
            "voicemail": "Voicemail",
            "card": "Emergency card",
            "card_request": "Card request",
            "follow_up": "Follow-up task",
            "staff": "Staff sign-in",
            "queue": "Queue",
        },
        default="",
        validators=[Optional()],
    )
    subject_id = IntegerField(
        "Record number", validators=[Optional(), NumberRange(min=1, max=MAX_ID)]
    )
    staff_id = SelectField("Member of staff", coerce=str, default="", validators=[Optional()])
    page = IntegerField(
        "Page", default=1, validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)]
    )
