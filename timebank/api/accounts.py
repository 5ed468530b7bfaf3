"""Accounts, balances and statements: a member's own account and those of the
organisations they record for; a coordinator's every account of their bank."""

from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Blueprint

from timebank.api import shapes
from timebank.api.access import account_for, member_in, visible_account_ids
from timebank.api.paths import ID
from timebank.api.schemas import AccountSchema, BankQuery, StatementQuery, StatementSchema
from timebank.extensions import db
from timebank.ledger.models import Account
from timebank.reports.statements import get_statement

blp = Blueprint(
    "api_accounts",
    __name__,
    url_prefix="/api/v1/accounts",
    description="Accounts, balances (in minutes) and statements.",
)


@blp.route("")
@blp.arguments(BankQuery, location="query")
@blp.response(200, AccountSchema(many=True))
@blp.alt_response(404, description="Not a bank of the caller (as a member)")
def accounts(args):
    """The accounts I may see in this bank, with their balances."""
    membership = member_in(args["bank"])
    query = sa.select(Account).where(Account.time_bank_id == membership.time_bank_id)
    seen = visible_account_ids(membership)
    if seen is not None:
        query = query.where(Account.id.in_(seen))
    return [shapes.account(a) for a in db.session.scalars(query.order_by(Account.id))]


@blp.route(f"/<{ID}:account_id>")
@blp.response(200, AccountSchema)
@blp.alt_response(404, description="No such account the caller may see")
def account(account_id: int):
    """One account and its balance: posted, and what is pending either way."""
    _membership, acc = account_for(account_id)
    return shapes.account(acc)


@blp.route(f"/<{ID}:account_id>/statement")
@blp.arguments(StatementQuery, location="query")
@blp.response(200, StatementSchema)
@blp.alt_response(404, description="No such account the caller may see")
def statement(args, account_id: int):
    """Posted entries between two service dates (both optional, inclusive) with a
    running balance, and the balances before and after."""
    _membership, acc = account_for(account_id)
    return shapes.statement(get_statement(db.session(), acc, args.get("start"), args.get("end")))
