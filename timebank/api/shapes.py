"""Domain objects as the API's plain dicts (the schemas in ``schemas`` describe them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from timebank.ledger.models import Account, Membership, Transfer
from timebank.reports.statements import Statement


def utc(value: datetime | None) -> datetime | None:
    """A stored timestamp (naive UTC) as an aware one, so it is written with +00:00."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def bank(membership: Membership) -> dict[str, Any]:
    return {
        "id": membership.time_bank_id,
        "name": membership.time_bank.name,
        "slug": membership.time_bank.slug,
        "role": str(membership.role),
        "kind": str(membership.kind),
        "account": membership.account.id if membership.account is not None else None,
        "membership": membership.id,
    }


def member(membership: Membership) -> dict[str, Any]:
    return {
        "membership": membership.id,
        "bank": membership.time_bank_id,
        "display_name": membership.person.display_name,
        "role": str(membership.role),
        "kind": str(membership.kind),
        "status": str(membership.status),
        "account": membership.account.id if membership.account is not None else None,
        "joined_at": utc(membership.joined_at),
    }


def account(acc: Account) -> dict[str, Any]:
    return {
        "id": acc.id,
        "bank": acc.time_bank_id,
        "kind": str(acc.kind),
        "holder": acc.label,
        "balance": acc.balance,
        "posted_credits": acc.posted_credits,
        "posted_debits": acc.posted_debits,
        "pending_credits": acc.pending_credits,
        "pending_debits": acc.pending_debits,
    }


def transfer(t: Transfer) -> dict[str, Any]:
    return {
        "id": t.id,
        "bank": t.time_bank_id,
        "kind": str(t.kind),
        "status": str(t.status),
        "giver_account": t.credit_account_id,
        "receiver_account": t.debit_account_id,
        "minutes": t.minutes,
        "service_date": t.service_date,
        "description": t.description or "",
        "category": t.category.slug if t.category is not None else None,
        "needs_confirmation": t.needs_confirmation,
        "needs_approval": t.needs_approval,
        "recorded_at": utc(t.recorded_at),
        "confirmed_at": utc(t.confirmed_at),
        "approved_at": utc(t.approved_at),
        "rejected_at": utc(t.rejected_at),
        "posted_at": utc(t.posted_at),
        "reason": t.reason,
        "reverses": t.reverses_id,
        "batch": t.batch_id,
    }


def statement(st: Statement) -> dict[str, Any]:
    return {
        "account": st.account_id,
        "start": st.start,
        "end": st.end,
        "opening_balance": st.opening_balance,
        "closing_balance": st.closing_balance,
        "lines": [
            {
                "transfer": line.transfer_id,
                "service_date": line.service_date,
                "kind": line.kind,
                "description": line.description,
                "category": line.category,
                "counterpart": line.counterpart,
                "counterpart_kind": line.counterpart_kind,
                "minutes": line.minutes,
                "running_balance": line.running_balance,
                "reverses": line.reverses_id,
            }
            for line in st.lines
        ],
    }
