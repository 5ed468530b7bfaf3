"""Offers and requests: browse and search my time bank's, post my own, change them.

/members/listings: what members of my time bank offer and would like help with.
/members/listings/new, /<id>, /<id>/edit, /<id>/pause|resume|close, /mine.
Names are shown to signed-in, active members of the same time bank only.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from timebank.community import listings, profiles
from timebank.extensions import db
from timebank.i18n import labels_now
from timebank.ids import id_arg, parse_id
from timebank.ledger.clock import today_in
from timebank.ledger.database import read_rows
from timebank.ledger.errors import NotFoundError
from timebank.ledger.models import Category
from timebank.members.views import bp
from timebank.quick_gettext import lazy_gettext as _l
from timebank.select_widget import QuickSelect
from timebank.web import perform

KIND_LABELS = {"offer": _l("Offer"), "request": _l("Request")}


def _optional_int(value):
    if value in (None, ""):
        return None
    number = parse_id(value)
    # No such category: refused by the service with a message.
    return number if number is not None else -1


class ListingForm(FlaskForm):
    kind = RadioField(
        _l("Is this something you offer or something you would like help with?"),
        choices=[
            SelectChoice("offer", _l("I can offer this")),
            SelectChoice("request", _l("I would like help with this")),
        ],
        validators=[InputRequired(_l("Choose whether this is an offer or a request."))],
    )
    title = StringField(_l("Title"))
    description = TextAreaField(_l("More about it (optional)"))
    category = SelectField(
        _l("Category (optional)"),
        coerce=_optional_int,
        validate_choice=False,
        widget=QuickSelect(),
    )
    expires_on = DateField(
        _l("Show it until (optional)"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )


ACTIVE_CATEGORIES = (
    sa.select(Category.id, Category.name)
    .where(Category.time_bank_id == sa.bindparam("bank_id"), Category.active.is_(True))
    .order_by(Category.name)
)


def _categories(bank_id: int) -> list[sa.Row[tuple[int, str]]]:
    """The bank's active categories (id and name), by name."""
    return list(read_rows(db.session(), ACTIVE_CATEGORIES, {"bank_id": bank_id}))


def _membership():
    membership = current_user.current_membership()
    if membership is None:
        abort(redirect(url_for("members.dashboard")))
    return membership


def _people_route() -> bool:
    return "members.person" in current_app.view_functions


@bp.get("/listings")
@login_required
def listings_browse():
    membership = _membership()
    bank = membership.time_bank
    kind = request.args.get("kind", "")
    if kind not in listings.KINDS:
        kind = ""
    category = request.args.get("category", type=id_arg)
    words = request.args.get("q", "").strip()[:200]
    result = listings.list_listings(
        db.session(),
        bank.id,
        kind=kind or None,
        category=category,
        words=words or None,
        after=request.args.get("after", type=id_arg),
        before=request.args.get("before", type=id_arg),
        today=today_in(bank.timezone),
    )
    filters = {"kind": kind, "category": category or "", "q": words}
    helpers = profiles.members_offering(db.session(), bank.id, category) if category else []
    return render_template(
        "members/listings.html",
        helpers=helpers,
        bank=bank,
        result=result,
        categories=_categories(bank.id),
        filters={k: v for k, v in filters.items() if v},
        kind=kind,
        category=category,
        words=words,
        people_route=_people_route(),
        kind_labels=labels_now(KIND_LABELS),
    )


@bp.get("/listings/mine")
@login_required
def listings_mine():
    membership = _membership()
    bank = membership.time_bank
    return render_template(
        "members/listings_mine.html",
        bank=bank,
        items=listings.list_my_listings(db.session(), membership),
        today=today_in(bank.timezone),
        kind_labels=labels_now(KIND_LABELS),
        action_form=FlaskForm(),
    )


def _form_page(form, *, bank, listing=None):
    status = 400 if form.errors else 200
    return (
        render_template(
            "members/listings_form.html",
            form=form,
            bank=bank,
            listing=listing,
            max_title=listings.MAX_TITLE,
            max_description=listings.MAX_DESCRIPTION,
        ),
        status,
    )


def _fill_categories(form, bank_id: int) -> None:
    form.category.choices = [SelectChoice("", _("No category"))] + [
        SelectChoice(c.id, c.name) for c in _categories(bank_id)
    ]


@bp.route("/listings/new", methods=["GET", "POST"])
@login_required
def listing_new():
    membership = _membership()
    bank = membership.time_bank
    form = ListingForm()
    if request.method == "GET" and request.args.get("kind") in listings.KINDS:
        form.kind.data = request.args["kind"]
    _fill_categories(form, bank.id)
    if form.validate_on_submit():

        def post():
            return listings.post_listing(
                db.session(),
                actor=membership,
                kind=form.kind.data,
                title=form.title.data or "",
                description=form.description.data or "",
                category_id=form.category.data,
                expires_on=form.expires_on.data,
                today=today_in(bank.timezone),
            )

        listing = perform(post, form, remap={"category": "category"})
        if listing is not None:
            flash(
                _("Your offer is posted.")
                if listing.kind == "offer"
                else _("Your request is posted.")
            )
            return redirect(url_for("members.listing_show", listing_id=listing.id))
    return _form_page(form, bank=bank)


def _own_listing(membership, listing_id: int):
    """The listing if this member may change it; 404 otherwise (never say whose)."""
    try:
        listing = listings.get_listing(db.session(), membership.time_bank_id, listing_id)
    except NotFoundError:
        abort(404)
    if not listings.may_change(membership, listing):
        abort(404)
    return listing


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def listing_edit(listing_id: int):
    membership = _membership()
    bank = membership.time_bank
    listing = _own_listing(membership, listing_id)
    if listing.status == "closed":
        abort(404)
    form = ListingForm(
        data={
            "title": listing.title,
            "description": listing.description,
            "category": listing.category_id,
            "expires_on": listing.expires_on,
        }
        if request.method == "GET"
        else None
    )
    del form.kind  # the kind is not changed by editing
    _fill_categories(form, bank.id)
    if request.method == "POST" and form.validate():

        def edit():
            return listings.edit_listing(
                db.session(),
                actor=membership,
                listing_id=listing.id,
                title=form.title.data or "",
                description=form.description.data or "",
                category_id=form.category.data,
                expires_on=form.expires_on.data,
                today=today_in(bank.timezone),
            )

        if perform(edit, form) is not None:
            flash(_("Your changes are saved."))
            return redirect(url_for("members.listing_show", listing_id=listing.id))
    return _form_page(form, bank=bank, listing=listing)


def _status_action(listing_id: int, service, message: str):
    membership = _membership()
    listing = _own_listing(membership, listing_id)
    # A CSRF-checked empty form: the token is all these buttons send.
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    if perform(lambda: service(db.session(), actor=membership, listing_id=listing.id)):
        flash(message)
    target = request.form.get("next")
    if target == "show":
        return redirect(url_for("members.listing_show", listing_id=listing.id))
    return redirect(url_for("members.listings_mine"))


@bp.post("/listings/<int:listing_id>/pause")
@login_required
def listing_pause(listing_id: int):
    return _status_action(
        listing_id, listings.pause_listing, _("Paused. Other members will not see it for now.")
    )


@bp.post("/listings/<int:listing_id>/resume")
@login_required
def listing_resume(listing_id: int):
    return _status_action(
        listing_id, listings.resume_listing, _("Showing again. Other members can see it.")
    )


@bp.post("/listings/<int:listing_id>/close")
@login_required
def listing_close(listing_id: int):
    return _status_action(
        listing_id, listings.close_listing, _("Closed. Thank you for updating it.")
    )


@bp.get("/listings/<int:listing_id>")
@login_required
def listing_show(listing_id: int):
    membership = _membership()
    bank = membership.time_bank
    try:
        row = listings.listing_row(db.session(), bank.id, listing_id)
    except NotFoundError:
        abort(404)
    today = today_in(bank.timezone)
    mine = row.membership_id == membership.id
    can_change = mine or membership.is_coordinator
    if not can_change and (row.status != "active" or row.is_expired(today)):
        abort(404)
    reply_route = "members.new_thread" in current_app.view_functions
    return render_template(
        "members/listings_show.html",
        bank=bank,
        row=row,
        mine=mine,
        can_change=can_change,
        expired=row.is_expired(today),
        reply_url=(
            url_for("members.new_thread", listing_id=row.id) if reply_route and not mine else None
        ),
        people_route=_people_route(),
        kind_labels=labels_now(KIND_LABELS),
        action_form=FlaskForm(),
    )
