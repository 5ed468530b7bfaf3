"""Coordinators: record a group exchange - a workshop (one gives to many) or a working
party (many give to one) - with a review step before anything is written.

The shared details come first; the group is built by finding people by name and adding
them (never a list of every member), each with their own time if it differs. How a
workshop's leader is credited is the bank's setting (``timebank.ledger.group``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.form_helpers import (
    account_in_bank,
    active_organisation_accounts,
    hour_choices,
    minute_choices,
    to_minutes,
)
from timebank.coordinators.people_search import ACCOUNTS, PAYERS
from timebank.extensions import db
from timebank.filters import hours
from timebank.i18n import ledger_message
from timebank.ids import parse_id
from timebank.ledger import rules
from timebank.ledger.clock import today_in
from timebank.ledger.database import read_rows, run_in_transaction
from timebank.ledger.errors import LedgerError, NotFoundError
from timebank.ledger.group import MAX_GROUP_SIZE, SESSION, record_group_exchange
from timebank.ledger.models import Account, AccountKind, TimeBank
from timebank.ledger.rules import MAX_TEXT_LENGTH
from timebank.ledger.transfers import find_by_idempotency_key
from timebank.members.exchange_form import CATEGORY_CHOICES
from timebank.person_choice import PersonIdField, choose
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.people_search import Among, count_among, find_among, names_among
from timebank.select_widget import QuickSelect

# A search shows at most this many names to add.
SEARCH_LIMIT = 30

WORKSHOP = "workshop"
WORKING_PARTY = "working_party"


class GroupExchangeForm(FlaskForm):
    direction = RadioField(
        _l("Which way did the time go?"),
        choices=[
            SelectChoice(
                WORKSHOP,
                _l(
                    "One person or organisation gave time to everyone in the group"
                    " (for example, a workshop)"
                ),
            ),
            SelectChoice(
                WORKING_PARTY,
                _l(
                    "Everyone in the group gave time to one person or organisation"
                    " (for example, a working party)"
                ),
            ),
        ],
        default=WORKSHOP,
        validators=[InputRequired(_l("Choose which way the time went."))],
    )
    hub_name = StringField(
        _l("Person or organisation at the centre"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    # Labels given (never shown) so that building the form does not load WTForms' own
    # catalogue to translate a label made from the name.
    hub = PersonIdField("Hub")
    hours = SelectField(_l("Hours"), default="1", widget=QuickSelect())
    minutes = SelectField(_l("Minutes"), default="0", widget=QuickSelect())
    participants = SelectMultipleField(_l("People in the group"), validate_choice=False)
    name_filter = StringField(_l("Find people by name"), validators=[Optional(), Length(max=120)])
    service_date = DateField(
        _l("Date"), validators=[InputRequired(_l("Give the date the time was given."))]
    )
    category = SelectField(_l("Category"), default="", widget=QuickSelect())
    description = TextAreaField(_l("What happened"), validators=[Length(max=MAX_TEXT_LENGTH)])
    funder = SelectField(
        _l("Who pays the leader for the session"), default="", widget=QuickSelect()
    )
    idempotency_key = HiddenField("Idempotency Key")


# The form's choices read as plain columns, before anything is written.
_POT_ACCOUNT_ID = sa.select(Account.id).where(
    Account.time_bank_id == sa.bindparam("bank_id"), Account.kind == AccountKind.POT
)


def _form(time_bank: TimeBank, **kw) -> GroupExchangeForm:
    form = GroupExchangeForm(**kw)
    form.hours.choices = hour_choices(time_bank)
    form.minutes.choices = minute_choices(time_bank)
    session = db.session()
    categories = read_rows(session, CATEGORY_CHOICES, {"bank_id": time_bank.id})
    form.category.choices = [SelectChoice("", _("No category"))] + [
        SelectChoice(c.slug, c.name) for c in categories
    ]
    pot_id = read_rows(session, _POT_ACCOUNT_ID, {"bank_id": time_bank.id}).scalar_one()
    form.funder.choices = [
        SelectChoice("", _("Choose the pot or an organisation")),
        SelectChoice(str(pot_id), _("The community pot")),
    ] + [
        SelectChoice(str(i), _("%(name)s (organisation)", name=name))
        for i, name in active_organisation_accounts(time_bank.id)
    ]
    if form.service_date.data is None and request.method == "GET":
        form.service_date.data = today_in(time_bank.timezone)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    return form


def _ids(values) -> list[int]:
    ids: list[int] = []
    for value in values or []:
        account_id = parse_id(value)
        if account_id is None:
            continue
        if account_id not in ids:
            ids.append(account_id)
    return ids


def _chosen_ids(form: GroupExchangeForm) -> list[int]:
    """The group as posted, with the people just added and without the one removed."""
    chosen = _ids(form.participants.data)
    if request.method == "POST":
        chosen += [i for i in _ids(request.form.getlist("add")) if i not in chosen]
        removed = _ids(request.form.getlist("remove"))
        chosen = [i for i in chosen if i not in removed]
    return chosen


def _people(time_bank: TimeBank, form: GroupExchangeForm, chosen: list[int]):
    """The people in the group, in the order they were added, and the active members
    matching the name searched for who are not in it yet (none before a search): the
    first ``SEARCH_LIMIT`` of them, and how many there are."""
    session = db.session()
    name_filter = (form.name_filter.data or "").strip()
    names = names_among(session, time_bank.id, chosen, ACCOUNTS)
    group = [
        {
            "id": i,
            "name": names[i].name,
            "hours": request.form.get(f"hours_{i}", ""),
            "minutes": request.form.get(f"minutes_{i}", ""),
        }
        for i in chosen
        if i in names
    ]
    if not name_filter:
        return group, [], 0
    among = Among(accounts=True, leave_out_all=tuple(chosen))
    found, _more = find_among(session, time_bank.id, name_filter, among, limit=SEARCH_LIMIT)
    count = count_among(session, time_bank.id, name_filter, among)
    return group, [{"id": m.id, "name": m.name} for m in found], count


def _participants(time_bank: TimeBank, form: GroupExchangeForm, default_minutes: int):
    """[(account, minutes)] from the form; per-person problems go on the form."""
    chosen = _chosen_ids(form)
    result, problems = [], []
    policy = rules.Policy.of(time_bank)
    for account_id in chosen:
        account = account_in_bank(account_id, time_bank.id, (AccountKind.MEMBER,))
        if account is None:
            abort(404)
        hours_text = request.form.get(f"hours_{account_id}", "")
        minutes_text = request.form.get(f"minutes_{account_id}", "")
        minutes = (
            to_minutes(hours_text, minutes_text) if hours_text or minutes_text else default_minutes
        )
        try:
            rules.validate_minutes(minutes, policy)
        except LedgerError as error:
            problems.append(
                _("%(name)s: %(problem)s", name=account.label, problem=ledger_message(error))
            )
        result.append((account, minutes))
    if problems:
        form.participants.errors = [*form.participants.errors, *problems]
    if not chosen:
        form.participants.errors = [
            *form.participants.errors,
            _("Choose at least one person for the group."),
        ]
    elif len(chosen) > MAX_GROUP_SIZE:
        form.participants.errors = [
            *form.participants.errors,
            _("A group exchange can include at most %(most)s people.", most=MAX_GROUP_SIZE),
        ]
    return result


def _place_error(form: GroupExchangeForm, error: LedgerError, hub: Account) -> None:
    """Put a ledger error beside the right part of the form; messages name the person."""
    name = error.field
    if name in ("minutes", "counterpart", "participants"):
        name = "hub_name" if hub.label in error.message else "participants"
    message = ledger_message(error)
    if name in form._fields:
        form._fields[name].errors = [*form._fields[name].errors, message]
    else:
        form.form_errors.append(message)


def _render(form, group=None, found=None, matches=0, review=None, status=200):
    time_bank = bank()
    return (
        render_template(
            "coordinators/group.html",
            form=form,
            group=group or [],
            found=found or [],
            matches=matches,
            search_limit=SEARCH_LIMIT,
            review=review,
            by_session=time_bank.group_credit_rule == SESSION,
            hour_options=[(c.value, c.label) for c in form.hours.choices],
            minute_options=[(c.value, c.label) for c in form.minutes.choices],
            WORKSHOP=WORKSHOP,
        ),
        status,
    )


@bp.route("/group-exchange", methods=["GET", "POST"])
def group_exchange():
    time_bank, actor = bank(), coordinator()
    if request.method == "GET":
        form = _form(time_bank, formdata=None)
        form.name_filter.data = request.args.get("filter", "")[:120]
        return _render(form, *_people(time_bank, form, []))

    form = _form(time_bank)
    action = request.form.get("action", "review")
    if request.form.get("remove"):
        action = "change"
    chosen = _chosen_ids(form)

    def edit(status=200):
        return _render(form, *_people(time_bank, form, chosen), status=status)

    if action in ("filter", "add", "change"):
        if action == "add":
            form.name_filter.data = ""
        form.validate_on_submit()  # CSRF only; field messages are shown after review
        form.form_errors.clear()
        for f in form:
            f.errors = []
        return edit()

    key = (form.idempotency_key.data or "")[:80] or None
    if key and find_by_idempotency_key(db.session(), time_bank.id, key) is not None:
        flash(_("That group exchange was already recorded; it was not recorded twice."))
        return redirect(url_for("coordinators.group_exchange"))

    valid = form.validate_on_submit()
    default_minutes = to_minutes(form.hours.data, form.minutes.data)
    participants = _participants(time_bank, form, default_minutes)
    form.hub.chosen = choose(
        form.hub,
        form.hub_name,
        time_bank.id,
        PAYERS,
        missing=_("Choose the person or organisation at the centre."),
    )
    hub = (
        account_in_bank(form.hub.data, time_bank.id, (AccountKind.MEMBER, AccountKind.ORGANISATION))
        if form.hub.chosen.id is not None
        else None
    )
    hub_gives = form.direction.data == WORKSHOP
    funder = None
    if hub_gives and time_bank.group_credit_rule == SESSION:
        funder = account_in_bank(
            form.funder.data, time_bank.id, (AccountKind.POT, AccountKind.ORGANISATION)
        )
        if funder is None:
            form.funder.errors = [*form.funder.errors, _("Choose who pays for the session.")]
    if not valid or form.participants.errors or form.funder.errors or hub is None:
        return edit(400)

    def work():
        return record_group_exchange(
            db.session(),
            actor=actor,
            hub=hub,
            hub_gives=hub_gives,
            participants=participants,
            service_date=form.service_date.data,
            description=form.description.data or "",
            category=form.category.data or None,
            idempotency_key=key,
            session_minutes=default_minutes,
            funder=funder,
        )

    if action == "record":
        try:
            transfers = run_in_transaction(db.session(), work)
        except NotFoundError:
            abort(404)
        except LedgerError as error:
            _place_error(form, error, hub)
            return edit(400)
        total = sum(t.minutes for t in transfers)
        if funder is not None:
            flash(
                ngettext(
                    "Recorded the session with %(name)s for %(num)d person: %(name)s earns"
                    " %(total)s, paid by %(funder)s.",
                    "Recorded the session with %(name)s for %(num)d people: %(name)s earns"
                    " %(total)s, paid by %(funder)s.",
                    len(participants),
                    name=hub.label,
                    total=hours(total),
                    funder=funder.label,
                )
            )
            return redirect(url_for("coordinators.group_exchange"))
        flash(
            ngettext(
                "Recorded the group exchange with %(name)s: %(num)d person, %(total)s in all.",
                "Recorded the group exchange with %(name)s: %(num)d people, %(total)s in all.",
                len(transfers),
                name=hub.label,
                total=hours(total),
            )
        )
        return redirect(url_for("coordinators.group_exchange"))

    # Review: try it for real, read the balances it would leave, then roll it all back.
    involved = [hub, *(p for p, _ in participants), *([funder] if funder else [])]
    before = {a.id: a.balance for a in involved}
    try:
        work()
        after = {a.id: a.balance for a in involved}
    except NotFoundError:
        db.session.rollback()
        abort(404)
    except LedgerError as error:
        db.session.rollback()
        _place_error(form, error, hub)
        return edit(400)
    db.session.rollback()
    total = default_minutes if funder else sum(m for _, m in participants)
    review = {
        "hub": {"name": hub.label, "before": before[hub.id], "after": after[hub.id]},
        "funder": (
            {"name": funder.label, "before": before[funder.id], "after": after[funder.id]}
            if funder
            else None
        ),
        "hub_gives": hub_gives,
        "rows": [
            {
                "id": account.id,
                "name": account.label,
                "minutes": minutes,
                "before": before[account.id],
                "after": after[account.id],
            }
            for account, minutes in participants
        ],
        "total": total,
        # No category chosen: the sentence names none (not "…, No category.").
        "category": (
            {c.value: c.label for c in form.category.choices}.get(form.category.data, "")
            if form.category.data
            else ""
        ),
        "overrides": {
            account.id: (
                request.form.get(f"hours_{account.id}", ""),
                request.form.get(f"minutes_{account.id}", ""),
            )
            for account, _ in participants
        },
    }
    return _render(form, review=review)
