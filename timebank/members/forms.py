"""Forms of a member's own pages: log an exchange, dispute one, donate to the pot."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from timebank.ledger.rules import MAX_TEXT_LENGTH
from timebank.person_choice import PersonIdField
from timebank.quick_gettext import lazy_gettext as _l
from timebank.select_widget import QuickSelect


class PlainDateField(DateField):
    """A date field whose message for an unreadable date is in plain words."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter the date as day, month and year.")) from error


DIRECTIONS = [
    SelectChoice("gave", _l("I gave time")),
    SelectChoice("received", _l("I received time")),
]


class LogExchangeForm(FlaskForm):
    direction = RadioField(
        _l("Did you give time or receive it?"),
        choices=DIRECTIONS,
        validators=[InputRequired(_l("Choose whether you gave time or received it."))],
    )
    # Who it was with: a name typed in the box (search as you type with the script) and
    # the chosen member's account id; the view checks it (timebank/person_choice.py).
    counterpart_name = StringField(
        _l("Who was it with?"), validators=[Length(max=120)], render_kw={"autocomplete": "off"}
    )
    # Labels given (never shown) so that building the form does not load WTForms'
    # own catalogue to translate a label made from the name.
    counterpart = PersonIdField("Counterpart")
    hours = SelectField(_l("Hours"), default="1", validate_choice=False, widget=QuickSelect())
    minutes = SelectField(_l("Minutes"), default="0", validate_choice=False, widget=QuickSelect())
    service_date = PlainDateField(
        _l("Date"),
        validators=[InputRequired(_l("Give the date the time was given."))],
        render_kw={"autocomplete": "off"},
    )
    # My own offers and requests, and the one the page was opened from; the view checks
    # the choice (through the ledger) with a plain message.
    listing = SelectField(
        _l("What it answers (optional)"), default="", validate_choice=False, widget=QuickSelect()
    )
    category = SelectField(
        _l("Kind of help (optional)"), validate_choice=False, widget=QuickSelect()
    )
    description = TextAreaField(
        _l("What was it for? (optional)"),
        validators=[
            Length(max=MAX_TEXT_LENGTH, message=_l("Keep the description under 2,000 characters."))
        ],
    )
    idempotency_key = HiddenField("Idempotency Key")


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        _l("What is not right?"),
        validators=[
            DataRequired(_l("Say what is not right; the other person will see it.")),
            Length(max=MAX_TEXT_LENGTH, message=_l("Keep the reason under 2,000 characters.")),
        ],
    )


class DonateForm(FlaskForm):
    hours = SelectField(_l("Hours"), default="1", validate_choice=False)
    minutes = SelectField(_l("Minutes"), default="0", validate_choice=False)
    description = TextAreaField(
        _l("A note (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_TEXT_LENGTH, message=_l("Keep the note under 2,000 characters.")),
        ],
    )
    idempotency_key = HiddenField()


class StatementForm(FlaskForm):
    """The dates of a statement: a GET form that changes nothing."""

    class Meta:
        csrf = False

    date_from = PlainDateField(_l("From"), validators=[Optional()])
    date_to = PlainDateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date must be the same as or after the start date."))
