"""Transfers: list (filters, keyset paging), one in full, record one, and its life
cycle: confirm, approve, reject with a reason, reverse with a reason. Each write calls
the ledger's own service with the caller's membership, tells the people concerned as
the web pages do, and runs under the request's Idempotency-Key."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_smorest import Blueprint
from sqlalchemy.orm import joinedload

from timebank.api import shapes
from timebank.api.access import member_in, transfer_for, visible_account_ids
from timebank.api.idempotency import Written, run_write
from timebank.api.paging import links
from timebank.api.paths import ID
from timebank.api.schemas import Reason, RecordTransfer, TransferFilters, TransferSchema
from timebank.community.listing_exchanges import record_answering
from timebank.community.notifications import Kind, notify_transfer_outcome
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.models import Account, Transfer, TransferStatus
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    reject_transfer,
    reverse_transfer,
)

blp = Blueprint(
    "api_transfers",
    __name__,
    url_prefix="/api/v1/transfers",
    description="Exchanges and their life cycle. Minutes are whole minutes.",
)

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "description": "New for each new write; the same key and body replay the first answer.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
}
WRITE_ERRORS = {
    "400": {"description": "No Idempotency-Key, or a body that is not JSON"},
    "403": {"description": "The caller's role or token does not allow it"},
    "404": {"description": "No such transfer the caller may see"},
    "409": {"description": "Already resolved or reversed, or the key was used for another body"},
    "422": {"description": "A rule was broken (the field is named)"},
}
# The ledger's field names -> this body's.
FIELDS = {"counterpart": "receiver_account", "listing": "listing"}


def _location(transfer_id: int) -> str:
    return url_for("api_transfers.transfer", transfer_id=transfer_id)


@blp.route("")
@blp.arguments(TransferFilters, location="query")
@blp.response(200, TransferSchema(many=True))
@blp.alt_response(404, description="Not a bank of the caller (as a member)")
def transfers(args):
    """Transfers of the bank that touch an account I may see (a coordinator: all),
    newest first. Filters: status, kind, account, service dates from/to. Paging by
    keyset: follow the ``Link: rel="next"`` header (``after`` = the last id seen)."""
    membership = member_in(args["bank"])
    query = (
        sa.select(Transfer)
        .where(Transfer.time_bank_id == membership.time_bank_id)
        .options(joinedload(Transfer.category))
    )
    seen = visible_account_ids(membership)
    if seen is not None:
        query = query.where(
            sa.or_(Transfer.debit_account_id.in_(seen), Transfer.credit_account_id.in_(seen))
        )
    if args.get("status"):
        query = query.where(Transfer.status == args["status"])
    if args.get("kind"):
        query = query.where(Transfer.kind == args["kind"])
    if args.get("account"):
        account = args["account"]
        query = query.where(
            sa.or_(Transfer.debit_account_id == account, Transfer.credit_account_id == account)
        )
    if args.get("service_date_from"):
        query = query.where(Transfer.service_date >= args["service_date_from"])
    if args.get("service_date_to"):
        query = query.where(Transfer.service_date <= args["service_date_to"])
    if args.get("after"):
        query = query.where(Transfer.id < args["after"])
    limit = args["limit"]
    rows = list(db.session.scalars(query.order_by(Transfer.id.desc()).limit(limit + 1)))
    page = rows[:limit]
    headers = links(next={"after": page[-1].id} if len(rows) > limit else None)
    return [shapes.transfer(t) for t in page], 200, headers


@blp.route(f"/<{ID}:transfer_id>")
@blp.response(200, TransferSchema)
@blp.alt_response(404, description="No such transfer the caller may see")
def transfer(transfer_id: int):
    """One transfer: who gave, who received, its status and every step's time."""
    _membership, found = transfer_for(transfer_id)
    return shapes.transfer(found)


def _account_in(bank_id: int, account_id: int, field: str) -> Account:
    account = db.session.get(Account, account_id)
    if account is None or account.time_bank_id != bank_id:
        # Another bank's account does not exist here.
        raise errors.InvalidTransferError(
            "We could not find that person in your time bank.", field=field
        )
    return account


@blp.route("", methods=["POST"])
@blp.arguments(RecordTransfer)
@blp.response(201, TransferSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY], responses=WRITE_ERRORS)
def record(body):
    """Record that ``giver_account`` gave ``minutes`` to ``receiver_account``: the
    caller must be one side (or staff of an organisation that is), or a coordinator.
    It posts at once or waits for the other person and/or a coordinator, as the bank's
    rules say (``status``, ``needs_confirmation``, ``needs_approval``)."""
    membership = member_in(body["bank"])

    def work() -> Written:
        giver = _account_in(membership.time_bank_id, body["giver_account"], "giver_account")
        receiver = _account_in(
            membership.time_bank_id, body["receiver_account"], "receiver_account"
        )
        done = record_answering(
            db.session(),
            actor=membership,
            giver=giver,
            receiver=receiver,
            listing_id=body["listing"],
            minutes=body["minutes"],
            service_date=body["service_date"],
            description=body["description"],
            category=body["category"],
        )
        if done.status == TransferStatus.PENDING and done.needs_confirmation:
            notify_transfer_outcome(db.session(), [done], kind=Kind.TO_CONFIRM, skip=membership)
        return Written(TransferSchema().dump(shapes.transfer(done)), 201, _location(done.id))

    own = membership.account.id if membership.account is not None else None
    return run_write(work, field_names=FIELDS, own_account_id=own)


def _resolution(transfer_id: int, action) -> object:
    membership, _found = transfer_for(transfer_id)

    def work() -> Written:
        done = action(membership)
        return Written(TransferSchema().dump(shapes.transfer(done)), 200)

    return run_write(work)


@blp.route(f"/<{ID}:transfer_id>/confirm", methods=["POST"])
@blp.response(200, TransferSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY], responses=WRITE_ERRORS)
def confirm(transfer_id: int):
    """The other person confirms an exchange recorded with them."""

    def action(membership):
        done = confirm_transfer(db.session(), actor=membership, transfer_id=transfer_id)
        if done.status == TransferStatus.POSTED:
            notify_transfer_outcome(db.session(), [done], kind=Kind.POSTED, skip=membership)
        return done

    return _resolution(transfer_id, action)


@blp.route(f"/<{ID}:transfer_id>/approve", methods=["POST"])
@blp.response(200, TransferSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY], responses=WRITE_ERRORS)
def approve(transfer_id: int):
    """A coordinator approves a pending transfer (with its whole group, if any)."""

    def action(membership):
        done = approve_transfer(db.session(), actor=membership, transfer_id=transfer_id)
        kind = Kind.POSTED if done[0].status == TransferStatus.POSTED else Kind.APPROVED
        notify_transfer_outcome(db.session(), done, kind=kind, skip=membership)
        return next(t for t in done if t.id == transfer_id)

    return _resolution(transfer_id, action)


@blp.route(f"/<{ID}:transfer_id>/reject", methods=["POST"])
@blp.arguments(Reason)
@blp.response(200, TransferSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY], responses=WRITE_ERRORS)
def reject(body, transfer_id: int):
    """Reject a pending transfer with a reason: a coordinator, the person who recorded
    it (withdrawing it) or the other person (disputing it)."""
    reason = body["reason"]

    def action(membership):
        done = reject_transfer(
            db.session(), actor=membership, transfer_id=transfer_id, reason=reason
        )
        notify_transfer_outcome(
            db.session(), done, kind=Kind.REJECTED, reason=reason.strip(), skip=membership
        )
        return next(t for t in done if t.id == transfer_id)

    return _resolution(transfer_id, action)


@blp.route(f"/<{ID}:transfer_id>/reverse", methods=["POST"])
@blp.arguments(Reason)
@blp.response(201, TransferSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY], responses=WRITE_ERRORS)
def reverse(body, transfer_id: int):
    """A coordinator corrects a posted transfer with a mirror transfer linked to it
    (answered: the reversal)."""
    membership, original = transfer_for(transfer_id)
    reason = body["reason"]

    def work() -> Written:
        reversal = reverse_transfer(
            db.session(), actor=membership, transfer_id=transfer_id, reason=reason
        )
        notify_transfer_outcome(
            db.session(), [original], kind=Kind.REVERSED, reason=reason.strip(), skip=membership
        )
        body = TransferSchema().dump(shapes.transfer(reversal))
        return Written(body, 201, _location(reversal.id))

    return run_write(work)
