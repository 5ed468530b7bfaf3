"""My application's status, my profile in this time bank, and other members' profiles.

/members/application: where each of my applications is (waiting, declined, accepted).
/members/profile: what I offer and need, availability, area, how to contact me, email
notifications and my consent choices (withdrawn as easily as given).
/members/people/<id>: another active member of my own time bank, never their email.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from timebank.auth.consent import ConsentForm
from timebank.community import profiles
from timebank.extensions import db
from timebank.ledger.database import read_rows
from timebank.ledger.errors import NotFoundError
from timebank.ledger.models import Category, Membership, MembershipStatus
from timebank.members.views import bp
from timebank.quick_gettext import lazy_gettext as _l
from timebank.web import perform


def _length(limit: int):
    return Length(max=limit, message=_l("Keep this under %(num)s characters.", num=limit))


class ProfileForm(ConsentForm):
    skill_category_ids = SelectMultipleField(_l("Kinds of help I can offer"), coerce=int)
    offers_text = TextAreaField(_l("What I can offer"), validators=[_length(profiles.MAX_TEXT)])
    needs_text = TextAreaField(
        _l("What I would like help with"), validators=[_length(profiles.MAX_TEXT)]
    )
    availability = StringField(
        _l("When I am usually available"), validators=[_length(profiles.MAX_AVAILABILITY)]
    )
    area = StringField(
        _l("My area"),
        validators=[_length(profiles.MAX_AREA)],
        render_kw={"autocomplete": "address-level2"},
    )
    contact_preference = RadioField(
        _l("How I would like other members to contact me"),
        choices=[
            SelectChoice("messages", _l("By messages in this app")),
            SelectChoice("email", _l("By email")),
        ],
        validators=[InputRequired(_l("Choose how you would like to be contacted."))],
    )
    email_notifications = BooleanField(_l("Send me an email when something needs my attention"))


@bp.get("/application")
@login_required
def application():
    memberships = profiles.applications_of(db.session(), current_user.person)
    reasons = {
        m.id: profiles.decline_reason(db.session(), m)
        for m in memberships
        if m.status == MembershipStatus.DECLINED
    }
    return render_template(
        "members/profile_application.html", memberships=memberships, reasons=reasons
    )


SKILL_CHOICES = (
    sa.select(Category.id, Category.name)
    .where(Category.time_bank_id == sa.bindparam("bank_id"), Category.active.is_(True))
    .order_by(Category.name)
)


def _skill_choices(membership: Membership) -> list[SelectChoice]:
    rows = read_rows(db.session(), SKILL_CHOICES, {"bank_id": membership.time_bank_id})
    return [SelectChoice(row.id, row.name) for row in rows]


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    membership = current_user.current_membership()
    if membership is None:
        return redirect(url_for("members.dashboard"))
    form = ProfileForm(obj=membership)
    form.skill_category_ids.choices = _skill_choices(membership)
    if not form.is_submitted():
        form.skill_category_ids.data = [c.id for c in profiles.skills_of(db.session(), membership)]
    if form.validate_on_submit():

        def save():
            profiles.update_profile(
                db.session(),
                actor=membership,
                offers_text=form.offers_text.data,
                needs_text=form.needs_text.data,
                availability=form.availability.data,
                area=form.area.data,
                contact_preference=form.contact_preference.data,
                email_notifications=form.email_notifications.data,
                consent_reporting=form.consent_reporting.data,
                consent_research=form.consent_research.data,
                skill_category_ids=form.skill_category_ids.data or [],
            )
            return True

        if perform(save, form):
            flash(_("Your profile is saved."))
            return redirect(url_for("members.profile"))
    status = 400 if form.errors else 200
    return (
        render_template(
            "members/profile.html",
            form=form,
            membership=membership,
            bank=membership.time_bank,
        ),
        status,
    )


@bp.get("/people/<int:membership_id>")
@login_required
def person(membership_id: int):
    viewer = current_user.current_membership()
    if viewer is None:
        return redirect(url_for("members.dashboard"))
    # A read: no write transaction (``perform`` would begin one, and its commit would
    # expire the viewer, loaded again for the page).
    try:
        other = profiles.visible_profile(db.session(), viewer=viewer, membership_id=membership_id)
    except NotFoundError:
        abort(404)
    return render_template(
        "members/profile_person.html",
        other=other,
        skills=profiles.skills_of(db.session(), other),
        bank=viewer.time_bank,
        is_me=other == viewer,
    )
