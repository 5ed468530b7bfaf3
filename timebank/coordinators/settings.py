"""Coordinators: the time bank's policies (limits, confirmation and approval, entry
rules, the replacement-cost rate, the time zone) and its categories."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from zoneinfo import available_timezones

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.extensions import db
from timebank.ledger import categories as category_service
from timebank.ledger.banks import POLICY_FIELDS, update_policy
from timebank.ledger.errors import LedgerError
from timebank.ledger.models import Category
from timebank.web import get_in_bank, perform

TIMEZONES = [
    "UTC",
    *sorted(n for n in available_timezones() if "/" in n and not n.startswith("Etc/")),
]

# The form's field for each policy setting (errors from the service land there).
FORM_FIELD = {
    "floor_minutes": "floor_hours",
    "cap_minutes": "cap_hours",
    "auto_approve_max_minutes": "auto_approve_hours",
    "max_minutes_per_transfer": "max_hours_per_entry",
    "replacement_rate_pence": "replacement_rate",
}


def _parse_hours(field, *, required: bool) -> Decimal | None:
    text = (field.data or "").strip().lstrip("+")
    if not text:
        if required:
            raise ValidationError(_("Enter a number of hours, like 10 or 2.5."))
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter a number of hours, like 10 or 2.5.")) from None
    if not value.is_finite() or abs(value) > 100_000:
        raise ValidationError(_("Enter a number of hours, like 10 or 2.5."))
    if (value * 60) % 1:
        raise ValidationError(_("Give the hours in whole minutes, like 2.5 or 0.25."))
    return value


def _minutes(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 60)


class PolicyForm(FlaskForm):
    floor_hours = StringField(
        _l("Lowest balance allowed (hours below zero)"), render_kw={"inputmode": "decimal"}
    )
    cap_hours = StringField(
        _l("Highest balance allowed (hours)"), render_kw={"inputmode": "decimal"}
    )
    requires_confirmation = BooleanField(_l("The other person confirms each exchange"))
    requires_approval = BooleanField(_l("A coordinator approves each exchange"))
    accepts_applications = BooleanField(_l("People can apply to join on the website"))
    auto_approve_hours = StringField(
        _l("Approve automatically up to (hours)"), render_kw={"inputmode": "decimal"}
    )
    max_hours_per_entry = StringField(
        _l("Most hours in one entry"), render_kw={"inputmode": "decimal"}
    )
    max_backdate_days = IntegerField(
        _l("How many days back an exchange can be dated"),
        validators=[
            InputRequired(_l("Enter a number of days, like 90.")),
            NumberRange(0, 3650, _l("Enter a number of days from 0 to 3,650.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    minute_step = IntegerField(
        _l("Time is recorded in steps of (minutes)"),
        validators=[
            InputRequired(_l("Enter a number of minutes from 1 to 60.")),
            NumberRange(1, 60, _l("Enter a number of minutes from 1 to 60.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    replacement_rate = StringField(
        _l("Replacement-cost rate (pounds an hour)"), render_kw={"inputmode": "decimal"}
    )
    timezone = SelectField(
        _l("Time zone"), choices=[SelectChoice(name, name) for name in TIMEZONES]
    )

    def validate_floor_hours(self, field):
        self.floor_value = _parse_hours(field, required=False)

    def validate_cap_hours(self, field):
        self.cap_value = _parse_hours(field, required=False)
        if self.cap_value is not None and self.cap_value <= 0:
            raise ValidationError(_("The highest balance must be above zero, or leave it blank."))

    def validate_auto_approve_hours(self, field):
        self.auto_value = _parse_hours(field, required=True)
        if self.auto_value is not None and self.auto_value < 0:
            raise ValidationError(_("Enter 0 or more hours (0 means none)."))

    def validate_max_hours_per_entry(self, field):
        self.max_value = _parse_hours(field, required=True)
        if self.max_value is not None and self.max_value <= 0:
            raise ValidationError(_("Enter more than 0 hours."))

    def validate_replacement_rate(self, field):
        text = (field.data or "").strip().lstrip("£")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Enter an amount in pounds, like 12.60.")) from None
        if not value.is_finite() or value < 0 or value > 10_000 or (value * 100) % 1:
            raise ValidationError(_("Enter an amount in pounds, like 12.60."))
        self.rate_value = value

    def policy_values(self) -> dict:
        """The settings in the ledger's units (minutes, pence)."""
        return {
            # "10" and "-10" both mean ten hours below zero.
            "floor_minutes": None
            if self.floor_value is None
            else -abs(_minutes(self.floor_value) or 0),
            "cap_minutes": _minutes(self.cap_value),
            "requires_confirmation": bool(self.requires_confirmation.data),
            "requires_approval": bool(self.requires_approval.data),
            "accepts_applications": bool(self.accepts_applications.data),
            "auto_approve_max_minutes": _minutes(self.auto_value),
            "max_minutes_per_transfer": _minutes(self.max_value),
            "max_backdate_days": self.max_backdate_days.data,
            "minute_step": self.minute_step.data,
            "replacement_rate_pence": int(self.rate_value * 100),
            "timezone": self.timezone.data,
        }


def _hours_text(minutes: int | None) -> str:
    if minutes is None:
        return ""
    value = Decimal(abs(minutes)) / 60
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


def _policy_form(time_bank) -> PolicyForm:
    return PolicyForm(
        formdata=None,
        floor_hours=_hours_text(time_bank.floor_minutes),
        cap_hours=_hours_text(time_bank.cap_minutes),
        requires_confirmation=time_bank.requires_confirmation,
        requires_approval=time_bank.requires_approval,
        accepts_applications=time_bank.accepts_applications,
        auto_approve_hours=_hours_text(time_bank.auto_approve_max_minutes),
        max_hours_per_entry=_hours_text(time_bank.max_minutes_per_transfer),
        max_backdate_days=time_bank.max_backdate_days,
        minute_step=time_bank.minute_step,
        replacement_rate=f"{time_bank.replacement_rate_pence / 100:.2f}",
        timezone=time_bank.timezone,
    )


class CategoryForm(FlaskForm):
    name = StringField(
        _l("Name of the new category"),
        validators=[
            InputRequired(_l("Give the category a name.")),
            Length(max=120, message=_l("Keep the name under 120 characters.")),
        ],
    )
    is_sensitive = BooleanField(_l("It can reveal someone's health (for example personal care)"))


class CategoryActionForm(FlaskForm):
    category_id = HiddenField()
    name = StringField(_l("New name"), validators=[Length(max=120)])
    value = HiddenField()


def _render(policy_form=None, category_form=None, category_errors=None, status: int = 200):
    time_bank = bank()
    return (
        render_template(
            "coordinators/settings.html",
            bank=time_bank,
            form=policy_form or _policy_form(time_bank),
            category_form=category_form or CategoryForm(prefix="category"),
            categories=category_service.list_categories(db.session, time_bank.id),
            category_errors=category_errors or {},
        ),
        status,
    )


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    if request.method == "GET":
        return _render()
    form = PolicyForm()
    if not form.validate_on_submit():
        return _render(policy_form=form, status=400)
    time_bank = bank()
    actor = coordinator()
    values = form.policy_values()
    changes = {
        name: value
        for name, value in values.items()
        if name in POLICY_FIELDS and getattr(time_bank, name) != value
    }
    if not changes:
        flash(_("Nothing was changed."))
        return redirect(url_for("coordinators.settings"))

    def work():
        try:
            return update_policy(db.session, actor=actor, bank=time_bank, **changes)
        except LedgerError as error:
            if error.field in FORM_FIELD:
                error.field = FORM_FIELD[error.field]
            raise

    if perform(work, form) is None:
        return _render(policy_form=form, status=400)
    flash(_("The settings were saved."))
    return redirect(url_for("coordinators.settings"))


def _category_from_form(form: CategoryActionForm) -> Category:
    try:
        category_id = int(form.category_id.data or "")
    except ValueError:
        abort(404)
    return get_in_bank(Category, category_id, bank().id)


@bp.post("/settings/categories")
def add_category():
    form = CategoryForm(prefix="category")
    if form.validate_on_submit():
        actor = coordinator()
        category = perform(
            lambda: category_service.add_category(
                db.session, actor=actor, name=form.name.data, is_sensitive=form.is_sensitive.data
            ),
            form,
        )
        if category is not None:
            flash(_("The category %(name)s was added.", name=category.name))
            return redirect(url_for("coordinators.settings") + "#categories-title")
    return _render(category_form=form, status=400)


@bp.post("/settings/categories/rename")
def rename_category():
    form = CategoryActionForm()
    category = _category_from_form(form)
    if form.validate_on_submit():
        actor = coordinator()
        old_name = category.name
        done = perform(
            lambda: category_service.rename_category(
                db.session, actor=actor, category=category, name=form.name.data
            ),
            form,
        )
        if done is not None:
            flash(_("%(old)s is now called %(new)s.", old=old_name, new=category.name))
            return redirect(url_for("coordinators.settings") + "#categories-title")
    message = (form.name.errors or form.form_errors or [_("Check the name.")])[0]
    return _render(category_errors={category.id: message}, status=400)


def _toggle(setter, form: CategoryActionForm, message):
    category = _category_from_form(form)
    if form.validate_on_submit():
        actor = coordinator()
        value = form.value.data == "1"
        done = perform(lambda: setter(db.session, actor=actor, category=category, value=value))
        if done is not None:
            flash(message(category))
    return redirect(url_for("coordinators.settings") + "#categories-title")


@bp.post("/settings/categories/active")
def set_category_active():
    return _toggle(
        lambda session, actor, category, value: category_service.set_category_active(
            session, actor=actor, category=category, active=value
        ),
        CategoryActionForm(),
        lambda c: (
            _("%(name)s is offered again.", name=c.name)
            if c.active
            else _("%(name)s is retired.", name=c.name)
        ),
    )


@bp.post("/settings/categories/sensitive")
def set_category_sensitive():
    return _toggle(
        lambda session, actor, category, value: category_service.set_category_sensitive(
            session, actor=actor, category=category, sensitive=value
        ),
        CategoryActionForm(),
        lambda c: (
            _("%(name)s is now marked sensitive.", name=c.name)
            if c.is_sensitive
            else _("%(name)s is no longer marked sensitive.", name=c.name)
        ),
    )
