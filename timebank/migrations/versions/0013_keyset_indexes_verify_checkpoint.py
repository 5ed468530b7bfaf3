"""indexes that serve the coordinators' keyset-paged lists; the verify checkpoint

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # The posted exchanges newest first and the queue oldest first, within a bank and a
    # status; both start with (time_bank_id, status), so the old index goes.
    op.create_index(
        'ix_transfer_bank_status_posted',
        'transfer',
        ['time_bank_id', 'status', 'posted_at', 'id'],
    )
    op.create_index(
        'ix_transfer_bank_status_recorded',
        'transfer',
        ['time_bank_id', 'status', 'recorded_at', 'id'],
    )
    op.drop_index('ix_transfer_bank_status', table_name='transfer')
    op.create_table(
        'verify_checkpoint',
        sa.Column('time_bank_id', sa.Integer(), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        sa.Column('last_hash', sa.String(length=64), nullable=False),
        sa.Column('last_transfer_id', sa.Integer(), nullable=False),
        sa.Column('verified_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['time_bank_id'], ['time_bank.id'],
            name=op.f('fk_verify_checkpoint_time_bank_id_time_bank'),
        ),
        sa.PrimaryKeyConstraint('time_bank_id', name=op.f('pk_verify_checkpoint')),
    )
    op.create_table(
        'verify_checkpoint_account',
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('time_bank_id', sa.Integer(), nullable=False),
        sa.Column('posted_debits', sa.Integer(), nullable=False),
        sa.Column('posted_credits', sa.Integer(), nullable=False),
        sa.Column('pending_debits', sa.Integer(), nullable=False),
        sa.Column('pending_credits', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['account_id'], ['account.id'],
            name=op.f('fk_verify_checkpoint_account_account_id_account'),
        ),
        sa.ForeignKeyConstraint(
            ['time_bank_id'], ['time_bank.id'],
            name=op.f('fk_verify_checkpoint_account_time_bank_id_time_bank'),
        ),
        sa.PrimaryKeyConstraint('account_id', name=op.f('pk_verify_checkpoint_account')),
    )
    op.create_index(
        op.f('ix_verify_checkpoint_account_time_bank_id'),
        'verify_checkpoint_account',
        ['time_bank_id'],
    )


def downgrade():
    op.drop_index(
        op.f('ix_verify_checkpoint_account_time_bank_id'), table_name='verify_checkpoint_account'
    )
    op.drop_table('verify_checkpoint_account')
    op.drop_table('verify_checkpoint')
    op.create_index('ix_transfer_bank_status', 'transfer', ['time_bank_id', 'status'])
    op.drop_index('ix_transfer_bank_status_recorded', table_name='transfer')
    op.drop_index('ix_transfer_bank_status_posted', table_name='transfer')
