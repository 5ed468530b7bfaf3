"""The period a report covers: this quarter, last quarter, the last 12 months or dates
of one's own. Read from the query string (a report is a GET: bookmarkable, and nothing
but the audit log changes), checked at the field, and turned into two dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, StopValidation, ValidationError

from timebank.quick_gettext import lazy_gettext as _l
from timebank.report_views.period_options import radio_buttons
from timebank.reports.reciprocity import Period
from timebank.reports.reciprocity.period import MAX_PERIOD_DAYS

THIS_QUARTER = "this-quarter"
LAST_QUARTER = "last-quarter"
LAST_12_MONTHS = "last-12-months"
CUSTOM = "custom"

CHOICES = [
    SelectChoice(THIS_QUARTER, _l("This quarter so far")),
    SelectChoice(LAST_QUARTER, _l("Last quarter")),
    SelectChoice(LAST_12_MONTHS, _l("The last 12 months")),
    SelectChoice(CUSTOM, _l("Dates I choose")),
]

# Reports go back no further than this: a typo such as 1025 for 2025 is caught at the
# field instead of scanning a thousand empty years.
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Chosen:
    """The period asked for: which choice, and its dates as the reports take them."""

    choice: str
    period: Period

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    def query(self) -> dict[str, str]:
        """The query string that asks for this period again (links, downloads)."""
        if self.choice == CUSTOM:
            return {"period": CUSTOM, "start": self.start.isoformat(), "end": self.end.isoformat()}
        return {"period": self.choice}


def resolve(choice: str, today: date, start: date | None = None, end: date | None = None) -> Chosen:
    """The dates of a chosen period, both included."""
    if choice == THIS_QUARTER:
        this = Period.quarter(today.year, (today.month - 1) // 3 + 1)
        return Chosen(choice, Period(this.start, today))
    if choice == LAST_QUARTER:
        last = Period.quarter(today.year, (today.month - 1) // 3 + 1).previous()
        return Chosen(choice, Period.quarter(last.end.year, (last.end.month - 1) // 3 + 1))
    if choice == LAST_12_MONTHS:
        # Twelve calendar months with this one: each month of the trends is whole except
        # the current one.
        return Chosen(choice, Period.last_months(today, 12))
    if start is None or end is None:
        raise ValueError("a custom period needs both its dates")
    return Chosen(CUSTOM, Period(start, end))


def _needed_for_custom(form, field) -> None:
    """Both days are needed for one's own dates (and ignored otherwise)."""
    if form.period.data == CUSTOM and not (field.raw_data and field.raw_data[0].strip()):
        # In place of the date parser's "Not a valid date value" for an empty box.
        field.errors[:] = []
        if field.name == "start":
            raise StopValidation(_("Enter the first day of the period."))
        raise StopValidation(_("Enter the last day of the period."))


class PeriodForm(FlaskForm):
    """The period chooser. A GET form: no CSRF token (nothing is changed by it)."""

    class Meta:
        csrf = False

    period = RadioField(_l("Period"), choices=CHOICES, default=LAST_12_MONTHS)
    start = DateField(_l("From"), validators=[_needed_for_custom, Optional()])
    end = DateField(_l("To"), validators=[_needed_for_custom, Optional()])

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_start(self, field):
        if self.period.data != CUSTOM or field.data is None:
            return
        if field.data < EARLIEST:
            raise ValidationError(_("Choose a date from %(year)s onwards.", year=EARLIEST.year))
        if field.data > self.today:
            raise ValidationError(_("The first day cannot be in the future."))

    def validate_end(self, field):
        if self.period.data != CUSTOM or field.data is None:
            return
        if self.start.data and field.data < self.start.data:
            raise ValidationError(_("The last day must be the same as or after the first day."))
        if self.start.data and (field.data - self.start.data).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(_("Choose a period of at most ten years."))

    def radio_buttons(self) -> Markup:
        """The period's radio buttons as the chooser draws them (period_options.py)."""
        return radio_buttons(self.period)

    def chosen(self) -> Chosen:
        """The period asked for (call after ``validate``)."""
        if self.period.data == CUSTOM:
            return resolve(CUSTOM, self.today, self.start.data, self.end.data)
        return resolve(self.period.data, self.today)


def period_from(args, today: date) -> tuple[PeriodForm, Chosen | None]:
    """The chooser filled from the query string, and the period it asks for (None when
    a field needs correcting). No ``period`` at all means the default."""
    form = PeriodForm(formdata=args if args.get("period") else None, today=today)
    if not args.get("period"):
        return form, resolve(form.period.default, today)
    if not form.validate():
        return form, None
    return form, form.chosen()
