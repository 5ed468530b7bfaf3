"""Coordinators: applications, members, roles, suspensions, private notes and
invitation links."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from timebank.auth.name_field import name_field
from timebank.auth.recent import recent_sign_in_required
from timebank.community import invitations as invitation_service
from timebank.community import memberships as service
from timebank.community import two_step
from timebank.community.models import Invitation
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.queue import filter_args, page_cursor
from timebank.extensions import db
from timebank.i18n import labels_now
from timebank.kept_parts import kept_part
from timebank.ledger.models import (
    MemberKind,
    Membership,
    MembershipStatus,
    Person,
    Role,
)
from timebank.ledger.rules import MAX_TEXT_LENGTH, Counters
from timebank.links import external_url
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.member_list import (
    ALL,
    CURRENT,
    MemberFilters,
    list_applications,
    list_members,
)
from timebank.reports.statements import list_recent_transfers
from timebank.row_links import RowLink
from timebank.select_widget import QuickSelect
from timebank.web import get_in_bank, perform, then_true

ROLE_LABELS = {
    Role.MEMBER: _l("Member"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.PARTNER: _l("Partner"),
}
KIND_LABELS = {
    MemberKind.PARTICIPANT: _l("Participant"),
    MemberKind.PROFESSIONAL: _l("Professional"),
}
ROLE_CHOICES = [SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()]
KIND_CHOICES = [SelectChoice(k.value, label) for k, label in KIND_LABELS.items()]
STATUS_LABELS = {
    "applied": _l("Applied"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "declined": _l("Declined"),
    "left": _l("Left"),
}
# The members list's filters: any role, any kind, and these statuses (in STATUS_LABELS'
# words) between "Active and suspended" and "Everyone".
FILTER_WORDS = {
    "any role": _l("Any role"),
    "any kind": _l("Any kind"),
    "current": _l("Active and suspended"),
    "all": _l("Everyone"),
}
FILTERED_STATUSES = ("active", "suspended", "declined", "left")


# Forms --------------------------------------------------------------------------------


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=120)])
    # The selects' choices are given per request (_filter_choices).
    role = SelectField(_l("Role"), choices=[], validate_choice=False, widget=QuickSelect())
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False, widget=QuickSelect())
    status = SelectField(
        _l("Status"), choices=[], default="current", validate_choice=False, widget=QuickSelect()
    )


class ActionForm(FlaskForm):
    """A button: nothing but the CSRF token and where to go back to."""

    # Its label (never shown) given, as WTForms would make it from the name, so that
    # building the form does not load WTForms' own catalogue on every request.
    return_to = HiddenField("Return To")


class ReasonForm(ActionForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason; it is kept in the record.")),
            Length(max=MAX_TEXT_LENGTH),
        ],
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, widget=QuickSelect())


class KindForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, widget=QuickSelect())


class NameForm(FlaskForm):
    """A coordinator correcting a member's name (``member_name``): the member's own
    rule, in words for someone else's name."""

    display_name = name_field(
        _l("Name"),
        description=_l(
            "A person has one name in every time bank they belong to, so it changes there"
            " too, not only in this one. The audit log records that it changed and who"
            " changed it, but not the old or the new name."
        ),
        when_empty=_l("Enter their name."),
        when_too_long=_l("Keep their name under 120 characters."),
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("New note"),
        validators=[
            DataRequired(_l("Write the note first.")),
            Length(max=service.MAX_NOTE_LENGTH, message=_l("Keep a note under 5,000 characters.")),
        ],
    )


class InvitationForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="member", widget=QuickSelect())
    kind = SelectField(
        _l("Kind"), choices=KIND_CHOICES, default="participant", widget=QuickSelect()
    )
    note = StringField(
        _l("Who is it for? (optional)"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Keep the note under 200 characters.")),
        ],
    )
    valid_days = IntegerField(
        _l("Valid for (days)"),
        default=invitation_service.DEFAULT_INVITATION_DAYS,
        validators=[
            InputRequired(_l("Give the number of days the link stays valid.")),
            NumberRange(
                1, invitation_service.MAX_INVITATION_DAYS, _l("Choose between 1 and 90 days.")
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )


# Reading ------------------------------------------------------------------------------


def _member_filters(form: FilterForm) -> MemberFilters:
    status = form.status.data or CURRENT
    if status in {s.value for s in MembershipStatus}:
        status = MembershipStatus(status)
    elif status != CURRENT:
        status = ALL  # "Everyone" (or anything else): all but the applications
    return MemberFilters(
        text=(form.q.data or "").strip()[:120],
        role=Role(form.role.data) if form.role.data in {r.value for r in Role} else None,
        kind=(
            MemberKind(form.kind.data) if form.kind.data in {k.value for k in MemberKind} else None
        ),
        status=status,
    )


def _filter_choices(form: FilterForm, roles, kinds, statuses) -> None:
    """The filters' choices in the words of ``labels_now``, translated once for the
    request (the rows show the same words), not twice per choice as WTForms draws lazy
    labels."""
    words = labels_now(FILTER_WORDS)
    form.role.choices = [
        SelectChoice("", words["any role"]),
        *(SelectChoice(role.value, label) for role, label in roles.items()),
    ]
    form.kind.choices = [
        SelectChoice("", words["any kind"]),
        *(SelectChoice(kind.value, label) for kind, label in kinds.items()),
    ]
    form.status.choices = [
        SelectChoice("current", words["current"]),
        *(SelectChoice(status, statuses[status]) for status in FILTERED_STATUSES),
        SelectChoice("all", words["all"]),
    ]


@bp.get("/members")
def members():
    time_bank = bank()
    form = FilterForm(request.args)
    role_labels = labels_now(ROLE_LABELS)
    kind_labels = labels_now(KIND_LABELS)
    status_labels = labels_now(STATUS_LABELS)
    _filter_choices(form, role_labels, kind_labels, status_labels)
    session = db.session()
    applications = list_applications(session, time_bank.id)
    page = list_members(session, time_bank.id, _member_filters(form), cursor=page_cursor())
    args = filter_args()
    member_link = RowLink("coordinators.member", "membership_id")
    # The rows are kept by what they show, the language and the time zone: see
    # timebank/kept_parts.py.
    shown = tuple(page.rows)
    rows_html = kept_part(
        "coordinators/_members_rows.html",
        shown,
        lambda: {
            "rows": shown,
            "role_labels": role_labels,
            "kind_labels": kind_labels,
            "status_labels": status_labels,
            "member_link": member_link,
        },
    )
    return render_template(
        "coordinators/members.html",
        bank=time_bank,
        form=form,
        applications=applications,
        rows=page.rows,
        rows_html=rows_html,
        total=page.total,
        page=page,
        page_args=args,
        kind_labels=kind_labels,
        member_link=member_link,
        approve_link=RowLink("coordinators.approve_application", "membership_id"),
        decline_link=RowLink("coordinators.decline_application", "membership_id"),
    )


def render_profile(membership: Membership, status: int = 200, **forms):
    account = membership.account
    defaults = {
        "decline_form": ReasonForm(prefix="decline"),
        "suspend_form": ReasonForm(prefix="suspend"),
        "role_form": RoleForm(prefix="role", role=membership.role.value),
        "kind_form": KindForm(prefix="kind", kind=membership.kind.value),
        "note_form": NoteForm(prefix="note"),
        "name_form": NameForm(prefix="name", display_name=membership.person.display_name),
        "action_form": ActionForm(),
    }
    defaults.update(forms)
    two_step_on = two_step.is_on(db.session(), membership.person)
    return (
        render_template(
            "coordinators/members_detail.html",
            bank=bank(),
            membership=membership,
            me=coordinator(),
            counters=Counters.of(account) if account else Counters(),
            recent=list_recent_transfers(db.session(), account, limit=10) if account else [],
            notes=service.list_notes(db.session(), membership),
            status_labels=labels_now(STATUS_LABELS),
            role_labels=labels_now(ROLE_LABELS),
            kind_labels=labels_now(KIND_LABELS),
            two_step_on=two_step_on,
            **defaults,
        ),
        status,
    )


# The page reads the member's person and account: loaded with the membership.
WITH_PERSON_AND_ACCOUNT = (joinedload(Membership.person), joinedload(Membership.account))


@bp.get("/members/<int:membership_id>")
def member(membership_id: int):
    membership = db.session.get(Membership, membership_id, options=WITH_PERSON_AND_ACCOUNT)
    if membership is None or membership.time_bank_id != bank().id:
        abort(404)
    return render_profile(membership)


# Changing -----------------------------------------------------------------------------


def _back(membership: Membership, form: ActionForm | None = None):
    if form is not None and form.return_to.data == "list":
        return redirect(url_for("coordinators.members"))
    if not coordinator().is_coordinator:
        # The coordinator just gave up their own role: this area is closed to them now.
        return redirect(url_for("members.dashboard"))
    return redirect(url_for("coordinators.member", membership_id=membership.id))


def _name(membership: Membership) -> str:
    return membership.person.display_name


def _role_changed(membership: Membership) -> str:
    name = _name(membership)
    if membership.role == Role.COORDINATOR:
        return _("%(name)s is now a coordinator.", name=name)
    if membership.role == Role.PARTNER:
        return _("%(name)s is now a partner.", name=name)
    return _("%(name)s is now a member.", name=name)


def _kind_changed(membership: Membership) -> str:
    name = _name(membership)
    if membership.kind == MemberKind.PROFESSIONAL:
        return _("%(name)s is now recorded as a professional.", name=name)
    return _("%(name)s is now recorded as a participant.", name=name)


# A change is made by the signed-in coordinator (``change(actor)``) in one transaction;
# once it is done, ``said()`` (read after the change) is flashed.
Change = Callable[[Membership], object]


def _press(membership: Membership, change: Change, said: Callable[[], str]):
    """A button on the member's page (nothing to fill in): back to where it was pressed,
    done or refused (the refusal flashed)."""
    form = ActionForm()
    if not form.validate_on_submit():
        return render_profile(membership, 400)
    actor = coordinator()
    if perform(then_true(lambda: change(actor))):
        flash(said())
    return _back(membership, form)


def _submit(
    membership: Membership,
    form: FlaskForm,
    name: str,
    change: Change,
    said: Callable[[], str],
    *,
    back: ActionForm | None = None,
):
    """A form of the member's page: done, back to the page (or where ``back`` says);
    invalid or refused, the page again with this form (``name``) and its errors."""
    actor = coordinator()
    if form.validate_on_submit() and perform(then_true(lambda: change(actor)), form):
        flash(said())
        return _back(membership, back)
    return render_profile(membership, 400, **{name: form})


@bp.post("/members/<int:membership_id>/approve")
def approve_application(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    return _press(
        membership,
        lambda actor: service.approve_application(db.session(), actor=actor, membership=membership),
        lambda: _("%(name)s is now a member.", name=_name(membership)),
    )


@bp.post("/members/<int:membership_id>/decline")
def decline_application(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = ReasonForm(prefix="decline")
    return _submit(
        membership,
        form,
        "decline_form",
        lambda actor: service.decline_application(
            db.session(), actor=actor, membership=membership, reason=form.reason.data
        ),
        lambda: _("The application from %(name)s was declined.", name=_name(membership)),
        back=form,
    )


def member_page(membership_id: int) -> str:
    return url_for("coordinators.member", membership_id=membership_id)


@bp.post("/members/<int:membership_id>/role")
@recent_sign_in_required(back=member_page)
def set_role(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = RoleForm(prefix="role")
    return _submit(
        membership,
        form,
        "role_form",
        lambda actor: service.set_role(
            db.session(), actor=actor, membership=membership, role=Role(form.role.data)
        ),
        lambda: _role_changed(membership),
    )


@bp.post("/members/<int:membership_id>/kind")
def set_kind(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = KindForm(prefix="kind")
    return _submit(
        membership,
        form,
        "kind_form",
        lambda actor: service.set_kind(
            db.session(), actor=actor, membership=membership, kind=MemberKind(form.kind.data)
        ),
        lambda: _kind_changed(membership),
    )


@bp.post("/members/<int:membership_id>/suspend")
def suspend(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = ReasonForm(prefix="suspend")
    return _submit(
        membership,
        form,
        "suspend_form",
        lambda actor: service.suspend(
            db.session(), actor=actor, membership=membership, reason=form.reason.data
        ),
        lambda: _("%(name)s is suspended.", name=_name(membership)),
    )


@bp.post("/members/<int:membership_id>/reactivate")
def reactivate(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    return _press(
        membership,
        lambda actor: service.reactivate(db.session(), actor=actor, membership=membership),
        lambda: _("%(name)s is active again.", name=_name(membership)),
    )


@bp.post("/members/<int:membership_id>/notes")
def add_note(membership_id: int):
    membership = get_in_bank(Membership, membership_id, bank().id)
    form = NoteForm(prefix="note")
    actor = coordinator()
    if form.validate_on_submit():
        done = perform(
            lambda: service.add_note(
                db.session(), actor=actor, membership=membership, body=form.body.data
            ),
            form,
        )
        if done:
            flash(_("Your note was saved."))
            return redirect(
                url_for("coordinators.member", membership_id=membership.id) + "#notes-title"
            )
    return render_profile(membership, 400, note_form=form)


# Invitations --------------------------------------------------------------------------


def _render_invitations(form: InvitationForm, new_link: str | None = None, status: int = 200):
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(Invitation.time_bank_id == bank().id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(100)
    ).all()
    used_by_ids = {i.used_by_id for i in invitations if i.used_by_id}
    names = dict(
        db.session.execute(
            sa.select(Membership.id, Person.display_name)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.id.in_(sorted(used_by_ids)))
        ).all()
    )
    return (
        render_template(
            "coordinators/members_invitations.html",
            bank=bank(),
            form=form,
            invitations=invitations,
            used_by=names,
            state_of=invitation_service.invitation_state,
            new_link=new_link,
            action_form=ActionForm(),
            role_labels=labels_now(ROLE_LABELS),
            kind_labels=labels_now(KIND_LABELS),
        ),
        status,
    )


@bp.route("/members/invitations", methods=["GET", "POST"])
def invitations():
    form = InvitationForm()
    if request.method == "GET":
        return _render_invitations(form)
    if form.validate_on_submit():
        actor = coordinator()
        created = perform(
            lambda: invitation_service.create_invitation(
                db.session(),
                actor=actor,
                role=Role(form.role.data),
                kind=MemberKind(form.kind.data),
                note=form.note.data or "",
                valid_days=form.valid_days.data,
            ),
            form,
        )
        if created is not None:
            _, token = created
            link = external_url("auth.join", token=token)
            # Shown in this response only: the token is not stored, so it cannot be
            # shown again. A fresh, empty form for the next one.
            return _render_invitations(InvitationForm(formdata=None), new_link=link, status=201)
    return _render_invitations(form, status=400)


@bp.post("/members/invitations/<int:invitation_id>/revoke")
def revoke_invitation(invitation_id: int):
    invitation = get_in_bank(Invitation, invitation_id, bank().id)
    form = ActionForm()
    if form.validate_on_submit():
        actor = coordinator()
        done = perform(
            then_true(
                lambda: invitation_service.revoke_invitation(
                    db.session(), actor=actor, invitation=invitation
                )
            )
        )
        if done:
            flash(_("The link was withdrawn; it can no longer be used."))
    return redirect(url_for("coordinators.invitations"))
