"""Forms of a member's own pages: log an exchange, dispute one, donate to the pot."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class PlainDateField(DateField):
    """A date field whose message for an unreadable date is in plain words."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter the date as day, month and year.") from error


DIRECTIONS = [("gave", "I gave time"), ("received", "I received time")]


class LogExchangeForm(FlaskForm):
    direction = RadioField(
        "Did you give time or receive it?",
        choices=DIRECTIONS,
        validators=[InputRequired("Choose whether you gave time or received it.")],
    )
    # The choices are the active members of the bank; an id that is not among them is
    # reported by the view with a plain message (not WTForms' "Not a valid choice").
    counterpart = SelectField(
        "Who was it with?",
        validate_choice=False,
        validators=[InputRequired("Choose the person you exchanged time with.")],
    )
    hours = SelectField("Hours", default="1", validate_choice=False)
    minutes = SelectField("Minutes", default="0", validate_choice=False)
    service_date = PlainDateField(
        "Date",
        validators=[InputRequired("Give the date the time was given.")],
        render_kw={"autocomplete": "off"},
    )
    category = SelectField("Kind of help (optional)", validate_choice=False)
    description = TextAreaField(
        "What was it for? (optional)",
        validators=[Length(max=2000, message="Keep the description under 2,000 characters.")],
    )
    idempotency_key = HiddenField()


class DisputeForm(FlaskForm):
    reason = TextAreaField(
        "What is not right?",
        validators=[
            DataRequired("Say what is not right; the other person will see it."),
            Length(max=2000, message="Keep the reason under 2,000 characters."),
        ],
    )


class DonateForm(FlaskForm):
    hours = SelectField("Hours", default="1", validate_choice=False)
    minutes = SelectField("Minutes", default="0", validate_choice=False)
    description = TextAreaField(
        "A note (optional)",
        validators=[Optional(), Length(max=2000, message="Keep the note under 2,000 characters.")],
    )
    idempotency_key = HiddenField()
