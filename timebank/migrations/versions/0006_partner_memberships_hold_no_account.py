"""partner memberships hold no account

A partner (a commissioner or funder) reads reports and takes no part in exchanges, so
its membership has no account. The accounts that earlier versions opened for partner
memberships are removed when nothing ever touched them (no transfer refers to them and
every counter is zero); one with history stays, and the ledger refuses it as a party
to any new exchange.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        """
        DELETE FROM account
        WHERE kind = 'member'
          AND posted_debits = 0 AND posted_credits = 0
          AND pending_debits = 0 AND pending_credits = 0
          AND membership_id IN (SELECT id FROM membership WHERE role = 'partner')
          AND NOT EXISTS (
            SELECT 1 FROM transfer
            WHERE transfer.debit_account_id = account.id
               OR transfer.credit_account_id = account.id
          )
        """
    )


def downgrade():
    # Every membership had an account before: give the partners theirs back (empty).
    op.execute(
        """
        INSERT INTO account (time_bank_id, kind, membership_id, posted_debits,
                             posted_credits, pending_debits, pending_credits, created_at)
        SELECT membership.time_bank_id, 'member', membership.id, 0, 0, 0, 0, CURRENT_TIMESTAMP
        FROM membership
        WHERE membership.role = 'partner'
          AND NOT EXISTS (SELECT 1 FROM account WHERE account.membership_id = membership.id)
        """
    )
