"""A member logs an exchange (with a review step) and follows it until it posts.

Routes join the ``members`` blueprint (imported at the bottom of views.py); the form's
helpers are in ``exchange_form``, confirming in ``confirm``, donating in ``donate``."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from timebank.community.listing_exchanges import (
    listing_answered,
)
from timebank.community.notifications import Kind, notify_transfer_outcome
from timebank.extensions import db
from timebank.filters import ledger_words
from timebank.ledger.models import (
    Membership,
    Transfer,
    TransferStatus,
)
from timebank.ledger.rules import Counters
from timebank.ledger.transfers import (
    find_by_idempotency_key,
)
from timebank.ledger.waiting import waiting_for
from timebank.members.error_summary import problems
from timebank.members.exchange_form import (
    CARRIED,
    REMAP,
    label_of,
    log_form,
    may_see,
    own_account,
    own_membership,
    read_entry,
    record_entry,
    rehearse_entry,
)
from timebank.members.views import bp
from timebank.reports.account_name import account_name
from timebank.reports.transfer_detail import entry_history
from timebank.transfer_words import waiting_words, words_for_side
from timebank.web import perform


def _render_form(membership, form, status=200):
    return (
        render_template(
            "members/log_exchange.html",
            form=form,
            problems=problems(form),
            bank=membership.time_bank,
        ),
        status,
    )


@bp.route("/log", methods=["GET", "POST"])
@login_required
def log_exchange():
    membership = own_membership()
    form = log_form(membership)
    if request.method == "GET" or request.form.get("action") == "change":
        return _render_form(membership, form)
    if not form.validate():
        return _render_form(membership, form, 422)
    entry = read_entry(form, membership)
    if entry is None:
        return _render_form(membership, form, 422)
    key = (form.idempotency_key.data or "")[:80] or None

    if request.form.get("action") != "record":
        outcome = rehearse_entry(membership, form, entry)
        if outcome is None:
            return _render_form(membership, form, 422)
        membership = own_membership()
        counters = Counters.of(membership.account)
        _giver, _receiver, other, minutes, listing_id = entry
        gave = form.direction.data == "gave"
        category = label_of(form.category) if form.category.data else ""
        answers = label_of(form.listing) if listing_id else ""
        return render_template(
            "members/log_review.html",
            form=form,
            carried={
                **{name: request.form.get(name, "") for name in CARRIED},
                # The person as chosen (the id), not as typed.
                "counterpart": form.counterpart.data,
                "counterpart_name": form.counterpart_name.data,
            },
            other_name=other.label,
            gave=gave,
            minutes=minutes,
            category=category,
            answers=answers,
            counters=counters,
            after=counters.balance + (minutes if gave else -minutes),
            outcome=outcome,
            bank=membership.time_bank,
        )

    bank_id = membership.time_bank_id

    def work():
        first_time = key is None or find_by_idempotency_key(db.session(), bank_id, key) is None
        transfer = record_entry(membership, form, entry, key)
        if first_time and transfer.status == TransferStatus.PENDING and transfer.needs_confirmation:
            notify_transfer_outcome(db.session(), [transfer], kind=Kind.TO_CONFIRM, skip=membership)
        return transfer.id

    transfer_id = perform(work, form, remap=REMAP, own_account_id=own_account(membership).id)
    if transfer_id is None:
        return _render_form(own_membership(), form, 422)
    return redirect(url_for("members.exchange_status", transfer_id=transfer_id))


def _my_transfer(membership: Membership, transfer_id: int) -> Transfer:
    """A transfer with my account on one side, else 404 (never 403)."""
    transfer = db.session.get(Transfer, transfer_id)
    mine = own_account(membership).id
    if (
        transfer is None
        or transfer.time_bank_id != membership.time_bank_id
        or mine not in (transfer.debit_account_id, transfer.credit_account_id)
    ):
        abort(404)
    return transfer


def next_step(transfer: Transfer, other_name: str, mine: Membership) -> str:
    """Where an entry stands and what happens next, in plain words."""
    if transfer.status == TransferStatus.POSTED:
        return _("Done — counted in the balances.")
    if transfer.status == TransferStatus.REJECTED:
        return _("Not accepted, so nothing was added to either balance.")
    waiting = waiting_for(
        needs_confirmation=transfer.needs_confirmation,
        confirmed=transfer.confirmed_at is not None,
        needs_approval=transfer.needs_approval,
        approved=transfer.approved_at is not None,
        recorded_by_id=transfer.recorded_by_id,
        reader_id=mine.id,
    )
    return waiting_words(waiting, other_name)


@bp.get("/log/<int:transfer_id>")
@login_required
def exchange_status(transfer_id: int):
    """One entry's own page, for either person in it: what it was, where it stands, its
    history and any reason (a refusal, a correction, a reversal)."""
    membership = own_membership()
    transfer = _my_transfer(membership, transfer_id)
    mine = own_account(membership)
    credited = transfer.credit_account_id == mine.id
    other_name = account_name(
        db.session(), transfer.debit_account_id if credited else transfer.credit_account_id
    )
    answers = listing_answered(db.session(), transfer.id)
    return render_template(
        "members/log_status.html",
        transfer=transfer,
        answers=answers,
        answers_url=(
            url_for("members.listing_show", listing_id=answers.id)
            if answers is not None and may_see(answers, membership)
            else None
        ),
        what=words_for_side(transfer, mine.id),
        other_name=ledger_words(other_name),
        next_step=next_step(transfer, other_name, membership),
        history=entry_history(db.session(), membership.time_bank_id, transfer),
        counters=Counters.of(mine),
        bank=membership.time_bank,
    )
