"""Confirming or disputing an exchange the other person logged."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from timebank.community.listing_exchanges import (
    listing_time,
)
from timebank.community.notifications import Kind, notify_transfer_outcome
from timebank.extensions import db
from timebank.ledger.database import read_rows
from timebank.ledger.models import (
    Account,
    Membership,
    Transfer,
    TransferStatus,
)
from timebank.ledger.transfers import (
    confirm_transfer,
    entry_versions,
    reject_transfer,
)
from timebank.members.error_summary import problems
from timebank.members.exchange_form import own_account, own_membership
from timebank.members.exchanges import _my_transfer
from timebank.members.forms import DisputeForm
from timebank.members.views import bp
from timebank.reports.statements import counterpart_label, entries_with_counterpart
from timebank.web import perform

# Made once, with its values as parameters (the dashboard asks on every visit), and
# read as plain columns with the other side's name.
_MINE = sa.bindparam("waiting_account_id", type_=sa.Integer)
WAITING = (
    entries_with_counterpart(
        _MINE,
        Transfer.id,
        Transfer.minutes,
        Transfer.service_date,
        Transfer.description,
        Transfer.credit_account_id,
        Transfer.needs_approval,
        Transfer.approved_at,
    )
    .where(
        Transfer.time_bank_id == sa.bindparam("waiting_time_bank_id"),
        Transfer.status == TransferStatus.PENDING,
        Transfer.needs_confirmation.is_(True),
        Transfer.confirmed_at.is_(None),
        Transfer.recorded_by_id != sa.bindparam("waiting_membership_id"),
    )
    .order_by(Transfer.service_date, Transfer.id)
    .limit(sa.bindparam("waiting_limit"))
)


def waiting_for(membership: Membership | None, limit: int = 50) -> list[dict]:
    """Entries the other person recorded that wait for my confirmation (one query)."""
    if membership is None or membership.account is None:
        return []
    mine = own_account(membership).id
    parameters = {
        "waiting_account_id": mine,
        "waiting_time_bank_id": membership.time_bank_id,
        "waiting_membership_id": membership.id,
        "waiting_limit": limit,
    }
    rows = read_rows(db.session(), WAITING, parameters).all()
    balance = membership.account.balance
    return [
        {
            # The entry's id, minutes, service_date, description and category (a name).
            "transfer": transfer,
            "other_name": counterpart_label(transfer),
            "i_gave": transfer.credit_account_id == mine,
            # My balance once this entry is done, as the log's review step shows it.
            "balance": balance,
            "after": balance
            + (transfer.minutes if transfer.credit_account_id == mine else -transfer.minutes),
            "then_coordinator": transfer.needs_approval and transfer.approved_at is None,
        }
        for transfer in rows
    ]


def time_answering(time_bank_id: int, listing_id: int):
    """The exchanges that answer a listing, counted and summed (for its page)."""
    return listing_time(db.session(), time_bank_id, listing_id)


@bp.app_context_processor
def _exchange_helpers():
    return {"exchanges_waiting_for": waiting_for, "time_answering": time_answering}


def _render_confirm(membership, failed: DisputeForm | None = None, failed_id=None, status=200):
    entries = waiting_for(membership)
    # The entry as shown: confirming or disputing it is refused if it changes.
    versions = entry_versions(db.session(), [entry["transfer"].id for entry in entries])
    for entry in entries:
        tid = entry["transfer"].id
        entry["dispute"] = failed if failed is not None and tid == failed_id else _dispute_form(tid)
        entry["version"] = versions[tid]
    return (
        render_template(
            "members/confirm.html",
            entries=entries,
            problems=problems(failed) if failed is not None else [],
            bank=membership.time_bank,
        ),
        status,
    )


def _dispute_form(transfer_id: int) -> DisputeForm:
    # One form per entry on the page, so each gets its own field ids. The app-wide
    # CSRFProtect checks the token (it reads the plain csrf_token field) before any view.
    return DisputeForm(prefix=f"t{transfer_id}", meta={"csrf": False})


@bp.get("/confirm")
@login_required
def confirm_list():
    return _render_confirm(own_membership())


def _other_name(transfer: Transfer, membership: Membership) -> str:
    mine = own_account(membership).id
    other_id = (
        transfer.debit_account_id
        if transfer.credit_account_id == mine
        else (transfer.credit_account_id)
    )
    return db.session.get_one(Account, other_id).label


@bp.post("/confirm/<int:transfer_id>")
@login_required
def confirm(transfer_id: int):
    membership = own_membership()
    transfer = _my_transfer(membership, transfer_id)
    name = _other_name(transfer, membership)
    seen = request.form.get("seen") or None

    def work():
        done = confirm_transfer(
            db.session, actor=membership, transfer_id=transfer_id, seen_version=seen
        )
        if done.status == TransferStatus.POSTED:
            notify_transfer_outcome(db.session(), [done], kind=Kind.POSTED, skip=membership)
        return done.status

    status = perform(work, own_account_id=own_account(membership).id)
    if status == TransferStatus.POSTED:
        flash(
            _(
                "Thank you. The exchange with %(name)s is confirmed and added to both balances.",
                name=name,
            )
        )
    elif status is not None:
        flash(
            _(
                "Thank you. The exchange with %(name)s is confirmed. It now waits for a"
                " coordinator to approve it.",
                name=name,
            )
        )
    return redirect(url_for("members.confirm_list"))


@bp.post("/dispute/<int:transfer_id>")
@login_required
def dispute(transfer_id: int):
    membership = own_membership()
    transfer = _my_transfer(membership, transfer_id)
    name = _other_name(transfer, membership)
    form = _dispute_form(transfer_id)
    if not form.validate_on_submit():
        return _render_confirm(membership, form, transfer_id, 422)
    reason = form.reason.data
    seen = request.form.get("seen") or None

    def work():
        rejected = reject_transfer(
            db.session, actor=membership, transfer_id=transfer_id, reason=reason, seen_version=seen
        )
        notify_transfer_outcome(
            db.session(), rejected, kind=Kind.REJECTED, reason=reason.strip(), skip=membership
        )
        return True

    if perform(work, form, remap={"reason": "reason"}) is None:
        if form.errors:
            return _render_confirm(own_membership(), form, transfer_id, 422)
        return redirect(url_for("members.confirm_list"))
    flash(
        _(
            "You said the entry with %(name)s is not right. %(name)s has been told, with your"
            " reason. Nothing was added to either balance.",
            name=name,
        )
    )
    return redirect(url_for("members.confirm_list"))
