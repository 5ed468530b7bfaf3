"""applications from people with no account wait for their email address to be
confirmed (pending_application); person.email_verified_at records when it was

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_application',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('time_bank_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('display_name', sa.String(length=120), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('offers_text', sa.Text(), nullable=False),
        sa.Column('needs_text', sa.Text(), nullable=False),
        sa.Column('consent_reporting', sa.Boolean(), nullable=False),
        sa.Column('consent_research', sa.Boolean(), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['time_bank_id'],
            ['time_bank.id'],
            name=op.f('fk_pending_application_time_bank_id_time_bank'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_application')),
        sa.UniqueConstraint(
            'email', 'time_bank_id', name=op.f('uq_pending_application_email_time_bank_id')
        ),
        sa.UniqueConstraint('token_hash', name=op.f('uq_pending_application_token_hash')),
    )
    op.create_index(
        op.f('ix_pending_application_expires_at'),
        'pending_application',
        ['expires_at'],
        unique=False,
    )
    op.add_column('person', sa.Column('email_verified_at', sa.DateTime(), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35 and later): rebuilding person, as a batch
    # would, breaks the foreign keys of every table that refers to it.
    op.drop_column('person', 'email_verified_at')
    op.drop_index(op.f('ix_pending_application_expires_at'), table_name='pending_application')
    op.drop_table('pending_application')
