"""Coordinators: the posted exchanges, and reversing one that was a mistake (a new
entry that undoes it, with a reason; history is never edited)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from timebank.community.notifications import Kind, notify_transfer_outcome
from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.coordinators.queue import (
    KIND_FILTER_LABELS,
    KIND_LABELS,
    filter_args,
    kind_choices,
    page_cursor,
)
from timebank.extensions import db
from timebank.filters import hours
from timebank.i18n import labels_now
from timebank.kept_parts import kept_part
from timebank.ledger.models import Transfer, TransferKind, TransferStatus
from timebank.ledger.rules import MAX_TEXT_LENGTH
from timebank.ledger.transfers import reverse_transfer
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.posted import HistoryFilters, list_posted
from timebank.reports.transfer_detail import transfer_detail
from timebank.row_links import RowLink
from timebank.select_widget import QuickSelect
from timebank.web import get_in_bank, perform


class HistoryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    member = StringField(_l("Member's name"), validators=[Optional(), Length(max=120)])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
    # Its choices are given per request (kind_choices).
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False, widget=QuickSelect())


class ReverseForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it being reversed?"),
        validators=[
            DataRequired(_l("Give a reason; it is kept in the record.")),
            Length(max=MAX_TEXT_LENGTH),
        ],
    )


@bp.get("/transfers")
def transfers():
    form = HistoryFilterForm(request.args)
    kind_labels = labels_now(KIND_FILTER_LABELS)
    form.kind.choices = kind_choices(kind_labels, KIND_FILTER_LABELS)
    filters = HistoryFilters()
    if form.validate():
        filters = HistoryFilters(
            member=(form.member.data or "").strip(),
            start=form.start.data,
            end=form.end.data,
            kind=form.kind.data if form.kind.data in KIND_LABELS else "",
        )
    page = list_posted(db.session(), bank().id, filters, cursor=page_cursor())
    args = filter_args()
    # The rows are kept by what they show (posted entries, their reversals' ids and
    # both sides' names), the language and the time zone: see timebank/kept_parts.py.
    shown = tuple(page.rows)
    rows = kept_part(
        "coordinators/_transfers_rows.html",
        shown,
        lambda: {
            "rows": shown,
            "kind_labels": kind_labels,
            "reverse_link": RowLink("coordinators.transfers_reverse", "posted_transfer_id"),
        },
    )
    return render_template(
        "coordinators/transfers.html",
        form=form,
        page=page,
        rows=rows,
        args=args,
        filtered=bool(args),
    )


def _posted_in_bank(posted_transfer_id: int) -> Transfer:
    transfer = get_in_bank(Transfer, posted_transfer_id, bank().id)
    if transfer.status != TransferStatus.POSTED:
        abort(404)
    return transfer


def _render_reverse(original: Transfer, form: ReverseForm, status: int = 200):
    detail = transfer_detail(db.session(), bank(), original, history=0)
    reversal = db.session.get(Transfer, detail.reversed_by_id) if detail.reversed_by_id else None
    return (
        render_template(
            "coordinators/transfers_reverse.html",
            detail=detail,
            original=original,
            reversal=reversal,
            reversible=reversal is None and original.kind != TransferKind.REVERSAL,
            form=form,
            kind_labels=labels_now(KIND_LABELS),
        ),
        status,
    )


@bp.route("/transfers/<int:posted_transfer_id>/reverse", methods=["GET", "POST"])
def transfers_reverse(posted_transfer_id: int):
    original = _posted_in_bank(posted_transfer_id)
    form = ReverseForm()
    if request.method == "GET":
        return _render_reverse(original, ReverseForm(formdata=None))
    if form.validate_on_submit():
        reason = form.reason.data

        def work():
            actor = coordinator()
            reversal = reverse_transfer(
                db.session(), actor=actor, transfer_id=posted_transfer_id, reason=reason
            )
            # Told about the entry they know (the original), with the reason.
            notify_transfer_outcome(
                db.session(), [original], kind=Kind.REVERSED, reason=reason.strip(), skip=actor
            )
            return reversal

        reversal = perform(work, form)
        if reversal is not None:
            flash(
                _(
                    "Reversed: entry %(entry)s gives back the %(time)s."
                    " Both people have been told.",
                    entry=reversal.id,
                    time=hours(original.minutes),
                )
            )
            return redirect(
                url_for("coordinators.transfers_reverse", posted_transfer_id=posted_transfer_id)
            )
    return _render_reverse(original, form, status=400)
