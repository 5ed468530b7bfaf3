"""Coordinators: organisation accounts (a council team, a charity) and their staff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from timebank.community import organisations as services
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.people_search import staff_among
from timebank.extensions import db
from timebank.ledger.banks import create_organisation
from timebank.ledger.models import (
    Account,
    Membership,
    Organisation,
    OrganisationStaff,
)
from timebank.person_choice import PersonIdField, choose
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.statements import list_recent_transfers
from timebank.web import get_in_bank, perform


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name of the organisation"),
        validators=[InputRequired(_l("Give the organisation a name.")), Length(max=200)],
    )
    external_ref = StringField(
        _l("Its number in your old time-bank software (optional)"),
        validators=[Length(max=80)],
    )


class StaffForm(FlaskForm):
    membership_name = StringField(
        _l("Member who will act for it"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    membership_id = PersonIdField()


class ActionForm(FlaskForm):
    """CSRF only: remove, deactivate and reactivate buttons."""


def _list(form: OrganisationForm, status: int = 200):
    time_bank = bank()
    staff_count = (
        sa.select(sa.func.count())
        .select_from(OrganisationStaff)
        .where(OrganisationStaff.organisation_id == Organisation.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Organisation, Account, staff_count)
        .join(Account, Account.organisation_id == Organisation.id)
        .where(Organisation.time_bank_id == time_bank.id)
        .order_by(Organisation.active.desc(), Organisation.name)
    ).all()
    return (
        render_template(
            "coordinators/organisations.html",
            bank=time_bank,
            rows=rows,
            form=form,
        ),
        status,
    )


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    form = OrganisationForm()
    if not form.is_submitted():
        return _list(form)
    if form.validate_on_submit():
        time_bank, actor = bank(), coordinator()
        organisation = perform(
            lambda: create_organisation(
                db.session(),
                actor=actor,
                bank=time_bank,
                name=form.name.data,
                external_ref=form.external_ref.data,
            ),
            form,
        )
        if organisation is not None:
            flash(
                _(
                    "Added %(organisation)s. You can now add the staff who act for it.",
                    organisation=organisation.name,
                )
            )
            return redirect(url_for("coordinators.organisation", organisation_id=organisation.id))
    return _list(form, 400)


def _staff_form(organisation: Organisation, **kw) -> StaffForm:
    return StaffForm(**kw)


def _detail(organisation: Organisation, staff_form: StaffForm, status: int = 200):
    account = organisation.account
    if account is None:  # create_organisation makes every organisation with its account
        raise LookupError(f"organisation {organisation.id} has no account")
    # Current without a refresh: nothing in a request changes the account without a
    # commit or a rollback, and either expires what the session holds.
    return (
        render_template(
            "coordinators/organisations_detail.html",
            organisation=organisation,
            account=account,
            recent=list_recent_transfers(db.session(), account, limit=20),
            staff=services.list_staff(db.session(), organisation),
            staff_form=staff_form,
            action_form=ActionForm(formdata=None),
        ),
        status,
    )


def _organisation(organisation_id: int) -> Organisation:
    return get_in_bank(Organisation, organisation_id, bank().id)


@bp.get("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):
    organisation = _organisation(organisation_id)
    return _detail(organisation, _staff_form(organisation, formdata=None))


@bp.post("/organisations/<int:organisation_id>/staff")
def organisation_add_staff(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = _staff_form(organisation)
    valid = form.validate_on_submit()
    form.membership_id.chosen = choose(
        form.membership_id,
        form.membership_name,
        organisation.time_bank_id,
        staff_among(organisation.id),
        missing=_("Type the name of a member, and choose them."),
    )
    if valid and form.membership_id.chosen.id is not None:
        member = get_in_bank(Membership, form.membership_id.chosen.id, bank().id)
        actor = coordinator()
        done = perform(
            lambda: services.add_staff(
                db.session(), actor=actor, organisation=organisation, member=member
            ),
            form,
        )
        if done is not None:
            flash(
                _(
                    "%(name)s can now act for %(organisation)s.",
                    name=member.person.display_name,
                    organisation=organisation.name,
                )
            )
            return redirect(url_for("coordinators.organisation", organisation_id=organisation.id))
    return _detail(organisation, form, 400)


@bp.post("/organisations/<int:organisation_id>/staff/<int:membership_id>/remove")
def organisation_remove_staff(organisation_id: int, membership_id: int):
    organisation = _organisation(organisation_id)
    member = get_in_bank(Membership, membership_id, bank().id)
    form = ActionForm()
    if form.validate_on_submit():
        actor = coordinator()
        staff_form = _staff_form(organisation, formdata=None)

        def work():
            services.remove_staff(
                db.session(), actor=actor, organisation=organisation, member=member
            )
            return True

        if perform(work, staff_form) is not None:
            flash(
                _(
                    "%(name)s no longer acts for %(organisation)s.",
                    name=member.person.display_name,
                    organisation=organisation.name,
                )
            )
            return redirect(url_for("coordinators.organisation", organisation_id=organisation.id))
        return _detail(organisation, staff_form, 400)
    flash(_("The form had expired; please try again."))
    return redirect(url_for("coordinators.organisation", organisation_id=organisation.id))


def _set_active(organisation_id: int, active: bool):
    organisation = _organisation(organisation_id)
    form = ActionForm()
    if form.validate_on_submit():
        actor = coordinator()
        service = services.reactivate_organisation if active else services.deactivate_organisation
        staff_form = _staff_form(organisation, formdata=None)
        done = perform(
            lambda: service(db.session(), actor=actor, organisation=organisation), staff_form
        )
        if done is None:
            return _detail(organisation, staff_form, 400)
        if active:
            flash(_("%(organisation)s is active again.", organisation=organisation.name))
        else:
            flash(
                _(
                    "%(organisation)s is now inactive: its history stays, but it can take part"
                    " in no new exchange.",
                    organisation=organisation.name,
                )
            )
    else:
        flash(_("The form had expired; please try again."))
    return redirect(url_for("coordinators.organisation", organisation_id=organisation.id))


@bp.post("/organisations/<int:organisation_id>/deactivate")
def organisation_deactivate(organisation_id: int):
    return _set_active(organisation_id, False)


@bp.post("/organisations/<int:organisation_id>/reactivate")
def organisation_reactivate(organisation_id: int):
    return _set_active(organisation_id, True)
