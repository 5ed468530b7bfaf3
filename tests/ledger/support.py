"""Helpers for ledger service tests: what a refused operation must leave untouched."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Account, AuditChain, AuditEntry, Transfer


def ledger_state(session):
    """Everything a failed operation must leave untouched, read from the database."""
    return {
        "transfers": session.scalar(sa.select(sa.func.count()).select_from(Transfer)),
        "audit": session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        "accounts": [
            tuple(row)
            for row in session.execute(
                sa.select(
                    Account.id,
                    Account.kind,
                    Account.posted_debits,
                    Account.posted_credits,
                    Account.pending_debits,
                    Account.pending_credits,
                ).order_by(Account.id)
            )
        ],
        "chains": [
            tuple(row)
            for row in session.execute(
                sa.select(AuditChain.time_bank_id, AuditChain.last_seq, AuditChain.last_hash)
            )
        ],
    }


def assert_refused(session, error, work):
    """Run ``work`` as the app does (commit or roll back) and check nothing was written."""
    session.commit()
    before = ledger_state(session)
    with pytest.raises(error) as caught:
        run_in_transaction(session, work)
    assert ledger_state(session) == before
    return caught.value
