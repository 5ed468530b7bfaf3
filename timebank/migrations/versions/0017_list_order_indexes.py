"""indexes that serve the lists still paged by OFFSET, now by keyset: a bank's members
by name (with the name's sort key kept on the membership), an account's entries by date
(the pot page; each member's last exchange on the coordinators' overview) and the
notice board newest first

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _sort_name(display_name):
    # timebank.ledger.models.sort_name_of, as it is today.
    return " ".join(display_name.split()).casefold()[:120]


def upgrade():
    op.add_column(
        'membership',
        sa.Column('sort_name', sa.String(length=120), server_default=sa.text("''"), nullable=False),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            'SELECT membership.id, person.display_name FROM membership'
            ' JOIN person ON person.id = membership.person_id'
        )
    ).all()
    if rows:
        connection.execute(
            sa.text('UPDATE membership SET sort_name = :name WHERE id = :id'),
            [{'id': row.id, 'name': _sort_name(row.display_name)} for row in rows],
        )
    op.create_index(
        'ix_membership_bank_sort_name', 'membership', ['time_bank_id', 'sort_name', 'id']
    )
    op.drop_index('ix_membership_time_bank_id', table_name='membership')
    op.create_index(
        'ix_transfer_debit_date', 'transfer', ['debit_account_id', 'service_date', 'id']
    )
    op.create_index(
        'ix_transfer_credit_date', 'transfer', ['credit_account_id', 'service_date', 'id']
    )
    op.drop_index('ix_transfer_debit_account_id', table_name='transfer')
    op.drop_index('ix_transfer_credit_account_id', table_name='transfer')
    op.create_index(
        'ix_listing_bank_status_created', 'listing', ['time_bank_id', 'status', 'created_at', 'id']
    )


def downgrade():
    op.drop_index('ix_listing_bank_status_created', table_name='listing')
    op.create_index('ix_transfer_credit_account_id', 'transfer', ['credit_account_id'])
    op.create_index('ix_transfer_debit_account_id', 'transfer', ['debit_account_id'])
    op.drop_index('ix_transfer_credit_date', table_name='transfer')
    op.drop_index('ix_transfer_debit_date', table_name='transfer')
    op.create_index('ix_membership_time_bank_id', 'membership', ['time_bank_id'])
    op.drop_index('ix_membership_bank_sort_name', table_name='membership')
    op.drop_column('membership', 'sort_name')
