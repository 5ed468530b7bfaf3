"""Messages between members: the inbox, one conversation with a reply form, and a form
to write to someone new (perhaps about an offer or request).

Routes join the ``members`` blueprint (imported at the bottom of views.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from timebank.community import messages as service
from timebank.community.models import Listing
from timebank.extensions import db
from timebank.ids import parse_id
from timebank.ledger.errors import NotFoundError
from timebank.ledger.models import Membership
from timebank.members.error_summary import problems
from timebank.members.views import bp
from timebank.person_choice import PersonIdField, choose, preset
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.people_search import Among, message_among
from timebank.web import perform

TOO_LONG_SUBJECT = _l(
    "The subject can be at most %(num)s characters long.", num=service.SUBJECT_MAX
)
TOO_LONG_BODY = _l("The message can be at most %(num)s characters long.", num=service.BODY_MAX)


class NewThreadForm(FlaskForm):
    # A name typed (search as you type with the script) and the chosen member's
    # membership id, checked by the view (timebank/person_choice.py).
    recipient_name = StringField(
        _l("Who do you want to write to?"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    recipient = PersonIdField()
    subject = StringField(
        _l("Subject"),
        validators=[
            InputRequired(_l("Write a subject.")),
            Length(max=service.SUBJECT_MAX, message=TOO_LONG_SUBJECT),
        ],
    )
    body = TextAreaField(
        _l("Your message"),
        validators=[
            InputRequired(_l("Write a message.")),
            Length(max=service.BODY_MAX, message=TOO_LONG_BODY),
        ],
    )
    listing_id = HiddenField()


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your reply"),
        validators=[
            InputRequired(_l("Write a message.")),
            Length(max=service.BODY_MAX, message=TOO_LONG_BODY),
        ],
    )


def _membership() -> Membership:
    membership = current_user.current_membership()
    if membership is None:
        abort(redirect(url_for("members.dashboard")))
    return membership


def _int_or_none(value) -> int | None:
    return parse_id(value)


def _listing_in_bank(listing_id: int | None, me: Membership) -> Listing | None:
    if listing_id is None:
        return None
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.time_bank_id != me.time_bank_id:
        abort(404)
    return listing


def _chose(form: NewThreadForm, me: Membership, among: Among) -> bool:
    """Check the form, then read the person box: True when it is valid and someone was
    chosen."""
    valid = form.validate_on_submit()
    form.recipient.chosen = choose(
        form.recipient,
        form.recipient_name,
        me.time_bank_id,
        among,
        missing=_("Type the name of the person you want to write to, and choose them."),
    )
    return valid and form.recipient.chosen.id is not None


@bp.get("/messages")
@login_required
def messages():
    me = _membership()
    threads = service.list_threads(db.session(), me)
    return render_template("members/messages.html", threads=threads, bank=me.time_bank)


@bp.route("/messages/new", methods=["GET", "POST"])
@login_required
def new_thread():
    me = _membership()
    form = NewThreadForm()
    among = message_among(me)
    if request.method == "GET":
        listing = _listing_in_bank(_int_or_none(request.args.get("listing_id")), me)
        if listing is not None:
            if listing.membership_id == me.id:
                flash(_("That is your own offer or request, so there is no one to write to."))
                return redirect(url_for("members.messages"))
            owner = db.session.get(Membership, listing.membership_id)
            existing = service.find_listing_thread(db.session(), me, owner, listing)
            if existing is not None:
                flash(_("You already have a conversation about this. Write to them here."))
                return redirect(url_for("members.thread", thread_id=existing.id))
            preset(form.recipient, form.recipient_name, me.time_bank_id, among, owner.id)
            form.subject.data = _("About: %(title)s", title=listing.title)
            form.listing_id.data = str(listing.id)
        elif request.args.get("to"):
            to = _int_or_none(request.args.get("to"))
            preset(form.recipient, form.recipient_name, me.time_bank_id, among, to)
    elif _chose(form, me, among):
        recipient = db.session.get(Membership, _int_or_none(form.recipient.data) or 0)
        listing = _listing_in_bank(_int_or_none(form.listing_id.data), me)
        if listing is not None and listing.membership_id != getattr(recipient, "id", None):
            listing = None
        thread = perform(
            lambda: service.start_thread(
                db.session(), me, recipient, form.subject.data, form.body.data, listing=listing
            ),
            form,
            remap={"recipient": "recipient_name"},
        )
        if thread is not None:
            flash(_("Your message was sent."))
            return redirect(url_for("members.thread", thread_id=thread.id))
    return render_template(
        "members/messages_new.html", form=form, problems=problems(form), bank=me.time_bank
    )


@bp.route("/messages/<int:thread_id>", methods=["GET", "POST"])
@login_required
def thread(thread_id: int):
    me = _membership()
    form = ReplyForm()
    if request.method == "POST" and form.validate_on_submit():
        sent = perform(lambda: service.reply(db.session(), me, thread_id, form.body.data), form)
        if sent is not None:
            flash(_("Your reply was sent."))
            return redirect(url_for("members.thread", thread_id=thread_id))
    if request.method == "GET":
        # Read as any page is; written only when something in it was new to me.
        try:
            found, unread_up_to = service.read_thread(db.session(), me, thread_id)
        except NotFoundError:
            abort(404)
        if unread_up_to is not None:
            perform(lambda: service.mark_read_up_to(db.session(), me, thread_id, unread_up_to))
    else:
        found = perform(lambda: service.get_thread(db.session(), me, thread_id))
    if found is None:
        abort(404)
    conversation, other_name, items = found
    return render_template(
        "members/messages_thread.html",
        thread=conversation,
        other_name=other_name,
        items=items,
        me=me,
        form=form,
        problems=problems(form),
    )
