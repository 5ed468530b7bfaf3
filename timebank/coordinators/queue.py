"""Coordinators: the approval queue, one entry in full (approve, reject, correct) and
bulk approval after a review. The posted exchanges and their reversals are in
``reversals``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from timebank.community.notifications import Kind, notify_transfer_outcome
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.extensions import db
from timebank.i18n import labels_now, ledger_message
from timebank.ids import id_arg, parse_id
from timebank.kept_parts import kept_part
from timebank.ledger import errors
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.database import read_rows, run_in_transaction
from timebank.ledger.duties import needs_another_coordinator, own_account_id, own_entry_rule
from timebank.ledger.models import Category, Transfer, TransferStatus
from timebank.ledger.rules import MAX_TEXT_LENGTH
from timebank.ledger.transfers import (
    approve_transfer,
    entry_versions,
    loaded_entry_version,
    reject_transfer,
)
from timebank.quick_gettext import gettext as _
from timebank.quick_gettext import lazy_gettext as _l
from timebank.quick_gettext import ngettext
from timebank.reports.keyset import Cursor
from timebank.reports.queue import (
    STAGE_APPROVAL,
    STAGE_CONFIRMATION,
    QueueFilters,
    count_waiting,
    list_queue,
    load_pending_selection,
)
from timebank.reports.transfer_detail import transfer_detail
from timebank.row_links import RowLink
from timebank.select_widget import QuickSelect
from timebank.transfer_words import ENTRY_KIND_LABELS
from timebank.web import get_in_bank, perform

# The kinds of entry in words: the filters' choices and the pages' tags.
KIND_LABELS = ENTRY_KIND_LABELS
# The kind filters' first choice, with the kinds' labels.
ANY_KIND = ""
KIND_FILTER_LABELS = {ANY_KIND: _l("Any kind"), **KIND_LABELS}
QUEUE_KINDS = (ANY_KIND, "exchange", "group")


def kind_choices(labels: Mapping[str, str], kinds: Iterable[str]) -> list[SelectChoice]:
    """A kind filter's choices from ``labels_now(KIND_FILTER_LABELS)``: translated once
    for the request (the page's rows use the same labels), not twice per choice as
    WTForms draws lazy labels."""
    return [SelectChoice(kind, labels[kind]) for kind in kinds]


def _minutes_from_hours(hours: Decimal | None) -> int | None:
    if hours is None:
        return None
    return int((hours * 60).to_integral_value())


# The bank's active categories for a select box: built once.
ACTIVE_CATEGORIES = (
    sa.select(Category.slug, Category.name)
    .where(
        Category.time_bank_id == sa.bindparam("time_bank_id", type_=sa.Integer),
        Category.active.is_(True),
    )
    .order_by(Category.name)
)


def _category_choices(blank: str) -> list[SelectChoice]:
    """The bank's active categories, after a first choice ``blank`` (already in the
    reader's language)."""
    rows = read_rows(db.session(), ACTIVE_CATEGORIES, {"time_bank_id": bank().id})
    return [SelectChoice("", blank)] + [SelectChoice(slug, name) for slug, name in rows]


def page_cursor() -> Cursor:
    """Where a keyset-paged list starts: ``?after=<id>`` or ``?before=<id>``."""
    return Cursor(
        after=request.args.get("after", None, type=id_arg),
        before=request.args.get("before", None, type=id_arg),
    )


PAGING_ARGS = frozenset({"page", "after", "before"})


def filter_args() -> dict[str, str]:
    """The request's filters, for the links to other pages of the same list."""
    return {k: v for k, v in request.args.items() if k not in PAGING_ARGS and v}


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    member = StringField(_l("Member's name"), validators=[Optional(), Length(max=120)])
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice("", _l("Any category"))],
        validate_choice=False,
        widget=QuickSelect(),
    )
    min_hours = DecimalField(
        _l("At least (hours)"),
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
    max_hours = DecimalField(
        _l("At most (hours)"),
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
    age = IntegerField(
        _l("Waiting at least (days)"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
    )
    # Its choices are given per request (kind_choices).
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False, widget=QuickSelect())


class ApproveForm(FlaskForm):
    pass


class RejectForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it not accepted?"),
        validators=[
            DataRequired(_l("Give a reason; it is kept in the record.")),
            Length(max=MAX_TEXT_LENGTH),
        ],
    )


class CorrectForm(FlaskForm):
    hours = IntegerField(
        _l("Hours"),
        validators=[InputRequired(_l("Give the hours, or 0.")), NumberRange(min=0, max=24)],
    )
    minutes = IntegerField(
        _l("Minutes"),
        validators=[InputRequired(_l("Give the minutes, or 0.")), NumberRange(min=0, max=59)],
    )
    service_date = DateField(
        _l("Date the time was given"), validators=[DataRequired(_l("Give a date."))]
    )
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice("", _l("No category"))],
        validate_choice=False,
        widget=QuickSelect(),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=MAX_TEXT_LENGTH)],
    )
    reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[
            DataRequired(_l("Give a reason; it is kept in the record.")),
            Length(max=MAX_TEXT_LENGTH),
        ],
    )

    @property
    def total_minutes(self) -> int:
        return (self.hours.data or 0) * 60 + (self.minutes.data or 0)


def _queue_filters(form: QueueFilterForm, stage: str) -> QueueFilters:
    valid = form.validate()
    if not valid:
        return QueueFilters(stage=stage)
    return QueueFilters(
        stage=stage,
        member=(form.member.data or "").strip(),
        category=form.category.data or "",
        min_minutes=_minutes_from_hours(form.min_hours.data),
        max_minutes=_minutes_from_hours(form.max_hours.data),
        min_age_days=form.age.data,
        kind=form.kind.data if form.kind.data in ("exchange", "group") else "",
    )


@bp.get("/approvals")
def queue():
    stage = request.args.get("stage", STAGE_APPROVAL)
    if stage not in (STAGE_APPROVAL, STAGE_CONFIRMATION):
        stage = STAGE_APPROVAL
    form = QueueFilterForm(request.args)
    form.category.choices = _category_choices(_("Any category"))
    kind_labels = labels_now(KIND_FILTER_LABELS)
    form.kind.choices = kind_choices(kind_labels, QUEUE_KINDS)
    filters = _queue_filters(form, stage)
    page = list_queue(db.session(), bank().id, filters, cursor=page_cursor())
    args = filter_args()
    # The reader's own entries are marked (separation of duties); the bank's rule is
    # read only when the page shows one of them.
    own = own_account_id(coordinator())
    shows_own = own is not None and any(
        own in (row.debit_account_id, row.credit_account_id) for row in page.rows
    )
    return render_template(
        "coordinators/queue.html",
        form=form,
        page=page,
        stage=stage,
        counts=count_waiting(db.session(), bank().id),
        filtered=any(v for k, v in args.items() if k != "stage"),
        args=args,
        kind_labels=kind_labels,
        own_account_id=own,
        own_needs_another=shows_own and needs_another_coordinator(db.session, bank()),
        detail_link=RowLink("coordinators.queue_detail", "transfer_id"),
    )


def _correct_form(transfer: Transfer, category_slug: str | None, formdata=None) -> CorrectForm:
    """The correction form, filled in with the entry as it stands (``category_slug``:
    its category's)."""
    form = CorrectForm(
        formdata=formdata,
        prefix="correct",
        hours=transfer.minutes // 60,
        minutes=transfer.minutes % 60,
        service_date=transfer.service_date,
        category=category_slug or "",
        description=transfer.description,
    )
    form.category.choices = _category_choices(_("No category"))
    return form


def _render_detail(transfer: Transfer, *, reject_form=None, correct_form=None, status=200):
    detail = transfer_detail(db.session(), bank(), transfer)
    problems = [
        ledger_message(effect.error) if effect.error else effect.problem
        for effect in (detail.giver_effect, detail.receiver_effect)
        if effect.problem
    ]
    kind_labels = labels_now(KIND_LABELS)
    # Both people's recent entries are kept by what they are drawn from (and the entry
    # the page is about), the language and the time zone: see timebank/kept_parts.py.
    recent_entries = kept_part(
        "coordinators/_entry_recent.html",
        (transfer.id, detail.recent_shown),
        lambda: {
            "transfer_id": transfer.id,
            "giver_label": detail.giver_label,
            "giver_history": detail.giver_history,
            "receiver_label": detail.receiver_label,
            "receiver_history": detail.receiver_history,
        },
    )
    return (
        render_template(
            "coordinators/queue_detail.html",
            detail=detail,
            problems=problems,
            transfer=transfer,
            recent_entries=recent_entries,
            approve_form=ApproveForm(prefix="approve"),
            reject_form=reject_form or RejectForm(formdata=None, prefix="reject"),
            correct_form=correct_form or _correct_form(transfer, detail.category_slug),
            # The entry as shown: approving or rejecting it is refused if it changes.
            seen_version=loaded_entry_version(db.session(), transfer),
            kind_labels=kind_labels,
            ledger_message=ledger_message,
            own_entry=own_entry_rule(db.session(), bank(), coordinator(), [transfer]),
        ),
        status,
    )


@bp.get("/approvals/<int:transfer_id>")
def queue_detail(transfer_id: int):
    transfer = get_in_bank(Transfer, transfer_id, bank().id)
    return _render_detail(transfer)


def _outcome_kind(transfers: list[Transfer]) -> str:
    return Kind.POSTED if transfers[0].status == TransferStatus.POSTED else Kind.APPROVED


def _seen(name: str = "seen") -> str | None:
    """The version of the entry the coordinator was shown (see ``entry_version``)."""
    return request.form.get(name) or None


def _approve(transfer_id: int, seen: str | None) -> list[Transfer]:
    actor = coordinator()
    transfers = approve_transfer(
        db.session(), actor=actor, transfer_id=transfer_id, seen_version=seen
    )
    notify_transfer_outcome(db.session(), transfers, kind=_outcome_kind(transfers), skip=actor)
    return transfers


def _approved_message(transfers: list[Transfer]) -> str:
    if transfers[0].status == TransferStatus.POSTED:
        if len(transfers) > 1:
            return ngettext(
                "Approved and posted, with the %(num)d other entry of its group.",
                "Approved and posted, with the %(num)d other entries of its group.",
                len(transfers) - 1,
            )
        return _("Approved and posted. Both people have been told.")
    return _("Approved. It will post when the other person confirms it.")


@bp.post("/approvals/<int:transfer_id>/approve")
def queue_approve(transfer_id: int):
    get_in_bank(Transfer, transfer_id, bank().id)
    form = ApproveForm(prefix="approve")
    if not form.validate_on_submit():
        abort(400)
    seen = _seen()
    transfers = perform(lambda: _approve(transfer_id, seen))
    if transfers is None:
        return redirect(url_for("coordinators.queue_detail", transfer_id=transfer_id))
    flash(_approved_message(transfers))
    return redirect(url_for("coordinators.queue"))


@bp.post("/approvals/<int:transfer_id>/reject")
def queue_reject(transfer_id: int):
    transfer = get_in_bank(Transfer, transfer_id, bank().id)
    form = RejectForm(prefix="reject")
    if form.validate_on_submit():
        reason = form.reason.data
        seen = _seen()

        def work():
            actor = coordinator()
            transfers = reject_transfer(
                db.session(), actor=actor, transfer_id=transfer_id, reason=reason, seen_version=seen
            )
            notify_transfer_outcome(
                db.session(), transfers, kind=Kind.REJECTED, reason=reason.strip(), skip=actor
            )
            return transfers

        if perform(work, form) is not None:
            flash(_("Not accepted. Both people have been told why."))
            return redirect(url_for("coordinators.queue"))
        db.session.refresh(transfer)
    return _render_detail(transfer, reject_form=form, status=400)


@bp.post("/approvals/<int:transfer_id>/correct")
def queue_correct(transfer_id: int):
    transfer = get_in_bank(Transfer, transfer_id, bank().id)
    category = db.session.get(Category, transfer.category_id) if transfer.category_id else None
    form = _correct_form(transfer, category.slug if category else None, formdata=request.form)
    if form.validate_on_submit():
        values = {
            "minutes": form.total_minutes,
            "service_date": form.service_date.data,
            "category": form.category.data or "",
            "description": form.description.data or "",
            "reason": form.reason.data,
        }

        def work():
            actor = coordinator()
            corrected = correct_pending_transfer(
                db.session(), actor=actor, transfer_id=transfer_id, **values
            )
            notify_transfer_outcome(
                db.session(),
                [corrected],
                kind=Kind.CORRECTED,
                reason=values["reason"].strip(),
                skip=actor,
            )
            return corrected

        corrected = perform(work, form)
        if corrected is not None:
            if corrected.needs_confirmation and corrected.confirmed_at is None:
                flash(
                    _(
                        "Corrected. Both people have been told. The other person needs to"
                        " confirm the new time before it posts; you can approve it now."
                    )
                )
            else:
                flash(_("Corrected. Both people have been told; you can now approve it."))
            return redirect(url_for("coordinators.queue_detail", transfer_id=transfer_id))
        db.session.refresh(transfer)
    return _render_detail(transfer, correct_form=form, status=400)


def _selected_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("selected"):
        number = parse_id(value)
        if number is not None:
            ids.append(number)
    return ids


@bp.post("/approvals/bulk")
def queue_bulk():
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    ids = _selected_ids()
    rows = load_pending_selection(db.session(), bank().id, ids)
    if not rows:
        flash(_("Choose at least one entry that is waiting for approval."))
        return redirect(url_for("coordinators.queue"))
    if request.form.get("confirm") != "yes":
        return render_template(
            "coordinators/queue_bulk_review.html",
            form=form,
            rows=rows,
            total_minutes=sum(row.minutes for row in rows),
            versions=entry_versions(db.session(), [row.id for row in rows]),
            kind_labels=labels_now(KIND_LABELS),
            own_account_id=own_account_id(coordinator()),
            own_needs_another=needs_another_coordinator(db.session, bank()),
        )
    results = []
    done: set[int] = set()
    for row in rows:
        transfer_id = row.id
        if transfer_id in done:
            results.append((row, True, _("Approved with the rest of its group.")))
            continue
        try:
            seen = _seen(f"seen-{transfer_id}")
            transfers = run_in_transaction(
                db.session(), lambda tid=transfer_id, seen=seen: _approve(tid, seen)
            )
        except errors.LedgerError as error:
            results.append((row, False, ledger_message(error)))
            continue
        done.update(t.id for t in transfers)
        results.append((row, True, _approved_message(transfers)))
    approved = sum(1 for _, ok, _ in results if ok)
    return render_template(
        "coordinators/queue_bulk_result.html",
        results=results,
        approved=approved,
        refused=len(results) - approved,
        kind_labels=labels_now(KIND_LABELS),
    )
