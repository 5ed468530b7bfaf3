"""Coordinators: the time bank's policies (limits, confirmation and approval, entry
rules, the replacement-cost rate, the time zone) and its categories."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import groupby
from operator import attrgetter
from zoneinfo import available_timezones

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import Select, html_params

from timebank.auth.recent import recent_sign_in_required
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.extensions import db
from timebank.ids import parse_id
from timebank.ledger import categories as category_service
from timebank.ledger.banks import POLICY_FIELDS, update_policy
from timebank.ledger.errors import LedgerError
from timebank.ledger.models import Category
from timebank.quick_gettext import lazy_gettext as _l
from timebank.select_widget import QuickSelect, opening_tag
from timebank.web import get_in_bank, perform

# The time zones, grouped by the region their name begins with (the tz database's
# canonical names only: "US/Eastern" and other old aliases are left out).
REGIONS = {
    "Europe": _l("Europe"),
    "Africa": _l("Africa"),
    "America": _l("The Americas"),
    "Asia": _l("Asia"),
    "Australia": _l("Australia"),
    "Pacific": _l("Pacific Ocean"),
    "Indian": _l("Indian Ocean"),
    "Atlantic": _l("Atlantic Ocean"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
}
TIMEZONES = sorted(n for n in available_timezones() if "/" in n and n.split("/", 1)[0] in REGIONS)


def _place(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" -> "Argentina / Buenos Aires"."""
    return " / ".join(part.replace("_", " ") for part in name.split("/")[1:])


class KeptChoices(tuple):
    """Choices made once and kept (every item a ``SelectChoice``): ``ManyOptionsSelect``
    draws their options once per chosen value."""


def timezone_choices(current: str) -> KeptChoices:
    """The time zones as choices in groups, one group a region, places in alphabetical
    order; UTC first; the bank's own zone is always there, even an old alias. The same
    for every request in a language (kept; WTForms only reads it). Each choice carries
    its group already: given as a dict of groups, WTForms copied all 500 choices into
    their groups twice on every view (once to ask whether there are groups, once to
    draw them)."""
    return _timezone_choices(current, str(get_locale()))


@lru_cache(maxsize=64)
def _timezone_choices(current: str, _language: str) -> KeptChoices:
    universal = _("Universal")
    choices = [SelectChoice("UTC", _("UTC (no summer time)"), optgroup=universal)]
    for region, label in REGIONS.items():
        places = [n for n in TIMEZONES if n.split("/", 1)[0] == region]
        choices += sorted(
            (SelectChoice(n, _place(n), optgroup=str(label)) for n in places),
            key=lambda c: c.label,
        )
    if current not in TIMEZONES and current != "UTC":
        choices.append(SelectChoice(current, current, optgroup=_("Other")))
    return KeptChoices(choices)


@lru_cache(maxsize=4096)
def _option(value: str, label: str, selected: bool) -> str:
    return Select.render_option(Choice(value, label, selected, None))


class _Kept:
    """A kept tuple of choices as a cache key, by identity (WTForms' choices cannot be
    hashed; ``timezone_choices`` gives the same tuple on every request in a language).
    The cache holding the key holds the tuple, so its identity is not reused."""

    __slots__ = ("choices",)

    def __init__(self, choices: KeptChoices) -> None:
        self.choices = choices

    def __hash__(self) -> int:
        return id(self.choices)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Kept) and other.choices is self.choices


@lru_cache(maxsize=256)
def _grouped_options(kept: _Kept, selected: str | None) -> str:
    """The options of the kept choices in their groups, as WTForms' ``Select`` draws
    them for a field whose value is ``selected``."""
    html = []
    for group, members in groupby(kept.choices, key=attrgetter("optgroup")):
        if group is not None:
            html.append(f"<optgroup {html_params(label=group)}>")
        for choice in members:
            selected_here = str(choice.value) == selected
            html.append(
                ManyOptionsSelect.render_option(
                    Choice(choice.value, choice.label, selected_here, choice.render_kw)
                )
            )
        if group is not None:
            html.append("</optgroup>")
    return "".join(html)


class ManyOptionsSelect(Select):
    """WTForms' select, each plain option's HTML made once: the time zones are about
    500 options, and WTForms' attribute rendering took most of the settings page's
    time. Given a kept tuple of choices (``timezone_choices``), the options are drawn
    once per choices and chosen value."""

    def __call__(self, field, **kwargs):
        choices, selected = field.choices, field.data
        if self.multiple or field.coerce is not str or type(choices) is not KeptChoices:
            return super().__call__(field, **kwargs)
        if selected is not None and not isinstance(selected, str):
            return super().__call__(field, **kwargs)
        options = _grouped_options(_Kept(choices), selected)
        # Our own options, each label and value escaped as WTForms escapes them.
        return Markup(f"{opening_tag(self, field, **kwargs)}{options}</select>")  # noqa: S704

    @classmethod
    def render_option(cls, choice: Choice, **kwargs) -> str:
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        return _option(choice.value, str(choice.label), choice.selected)


# The form's field for each policy setting (errors from the service land there).
FORM_FIELD = {
    "floor_minutes": "floor_hours",
    "cap_minutes": "cap_hours",
    "auto_approve_max_minutes": "auto_approve_hours",
    "max_minutes_per_transfer": "max_hours_per_entry",
    "replacement_rate_pence": "replacement_rate",
    "own_exchanges_need_another_coordinator": "own_exchanges_rule",
    "two_step_required_for_staff": "two_step_rule",
}


# The setting's choices: the default (by the number of coordinators), always, never.
OWN_RULE_VALUES: dict[str, bool | None] = {"": None, "yes": True, "no": False}
TWO_STEP_RULE_VALUES = {"yes": True, "no": False}


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
    own_exchanges_rule = SelectField(
        _l("A coordinator's own exchanges need another coordinator"),
        choices=[
            SelectChoice("", _l("Yes when the time bank has two or more coordinators")),
            SelectChoice("yes", _l("Yes, always")),
            SelectChoice("no", _l("No: coordinators may approve their own (the log shows it)")),
        ],
        # Checked below: a form posted without it (an older page) leaves it as it is.
        validate_choice=False,
        widget=QuickSelect(),
    )
    two_step_rule = SelectField(
        _l("Coordinators and partners must use two-step sign-in"),
        choices=[
            SelectChoice("yes", _l("Yes: a code from an app after the password")),
            SelectChoice("no", _l("No: it is up to each of them")),
        ],
        # Checked below: a form posted without it (an older page) leaves it as it is.
        validate_choice=False,
        widget=QuickSelect(),
    )
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
    report_threshold = IntegerField(
        _l("Smallest group partners' reports show (people)"),
        validators=[
            InputRequired(_l("Enter a number of people from 3 to 100.")),
            NumberRange(3, 100, _l("Enter a number of people from 3 to 100.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    timezone = SelectField(_l("Time zone"), choices=[], widget=ManyOptionsSelect())
    group_credit_rule = RadioField(
        _l("How a workshop's leader is credited"),
        choices=[
            SelectChoice(
                "each",
                _l(
                    "With each participant's hours: ten people at a two-hour workshop give"
                    " the leader 20 hours, and each of them spends 2"
                ),
            ),
            SelectChoice(
                "session",
                _l(
                    "With the session's length: the leader earns 2 hours, paid by the"
                    " community pot or an organisation, and the people who came spend"
                    " nothing"
                ),
            ),
        ],
        validators=[InputRequired(_l("Choose how a workshop's leader is credited."))],
    )

    def validate_own_exchanges_rule(self, field):
        if field.data is not None and field.data not in OWN_RULE_VALUES:
            raise ValidationError(_("Choose who approves a coordinator's own exchanges."))

    def validate_two_step_rule(self, field):
        if field.data is not None and field.data not in TWO_STEP_RULE_VALUES:
            raise ValidationError(
                _("Choose whether coordinators and partners must use two-step sign-in.")
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
        return (
            {
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
                "report_threshold": self.report_threshold.data,
                "timezone": self.timezone.data,
                "group_credit_rule": self.group_credit_rule.data,
            }
            | (
                {}
                if self.two_step_rule.data is None
                else {"two_step_required_for_staff": TWO_STEP_RULE_VALUES[self.two_step_rule.data]}
            )
            | (
                {}
                if self.own_exchanges_rule.data is None
                else {
                    "own_exchanges_need_another_coordinator": OWN_RULE_VALUES[
                        self.own_exchanges_rule.data
                    ]
                }
            )
        )


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
        own_exchanges_rule={v: k for k, v in OWN_RULE_VALUES.items()}[
            time_bank.own_exchanges_need_another_coordinator
        ],
        two_step_rule="yes" if time_bank.two_step_required_for_staff else "no",
        auto_approve_hours=_hours_text(time_bank.auto_approve_max_minutes),
        max_hours_per_entry=_hours_text(time_bank.max_minutes_per_transfer),
        max_backdate_days=time_bank.max_backdate_days,
        minute_step=time_bank.minute_step,
        replacement_rate=f"{time_bank.replacement_rate_pence / 100:.2f}",
        report_threshold=time_bank.report_threshold,
        timezone=time_bank.timezone,
        group_credit_rule=time_bank.group_credit_rule,
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
    # Labels (never shown) given as WTForms would make them from the names, so that
    # building the form does not load WTForms' own catalogue on every request.
    category_id = HiddenField("Category Id")
    name = StringField(_l("New name"), validators=[Length(max=120)])
    value = HiddenField("Value")


def _render(policy_form=None, category_form=None, category_errors=None, status: int = 200):
    time_bank = bank()
    policy_form = policy_form or _policy_form(time_bank)
    policy_form.timezone.choices = timezone_choices(time_bank.timezone)
    return (
        render_template(
            "coordinators/settings.html",
            bank=time_bank,
            form=policy_form,
            category_form=category_form or CategoryForm(prefix="category"),
            categories=category_service.list_categories(db.session(), time_bank.id),
            category_errors=category_errors or {},
        ),
        status,
    )


def _settings_page(**_kwargs) -> str:
    return url_for("coordinators.settings")


# The settings page itself asks first, so nobody fills in the form only to be stopped.
@bp.route("/settings", methods=["GET", "POST"])
@recent_sign_in_required(back=_settings_page)
def settings():
    if request.method == "GET":
        return _render()
    form = PolicyForm()
    form.timezone.choices = timezone_choices(bank().timezone)
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
            return update_policy(db.session(), actor=actor, bank=time_bank, **changes)
        except LedgerError as error:
            if error.field in FORM_FIELD:
                error.field = FORM_FIELD[error.field]
            raise

    if perform(work, form) is None:
        return _render(policy_form=form, status=400)
    flash(_("The settings were saved."))
    return redirect(url_for("coordinators.settings"))


def _category_from_form(form: CategoryActionForm) -> Category:
    category_id = parse_id(form.category_id.data)
    if category_id is None:
        abort(404)
    return get_in_bank(Category, category_id, bank().id)


@bp.post("/settings/categories")
@recent_sign_in_required(back=_settings_page)
def add_category():
    form = CategoryForm(prefix="category")
    if form.validate_on_submit():
        actor = coordinator()
        category = perform(
            lambda: category_service.add_category(
                db.session(), actor=actor, name=form.name.data, is_sensitive=form.is_sensitive.data
            ),
            form,
        )
        if category is not None:
            flash(_("The category %(name)s was added.", name=category.name))
            return redirect(url_for("coordinators.settings") + "#categories-title")
    return _render(category_form=form, status=400)


@bp.post("/settings/categories/rename")
@recent_sign_in_required(back=_settings_page)
def rename_category():
    form = CategoryActionForm()
    category = _category_from_form(form)
    if form.validate_on_submit():
        actor = coordinator()
        old_name = category.name
        done = perform(
            lambda: category_service.rename_category(
                db.session(), actor=actor, category=category, name=form.name.data
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
        done = perform(lambda: setter(db.session(), actor=actor, category=category, value=value))
        if done is not None:
            flash(message(category))
    return redirect(url_for("coordinators.settings") + "#categories-title")


@bp.post("/settings/categories/active")
@recent_sign_in_required(back=_settings_page)
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
@recent_sign_in_required(back=_settings_page)
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
