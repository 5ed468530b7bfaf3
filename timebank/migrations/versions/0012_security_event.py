"""the security event log: sign-ins, failures, sign-outs, password changes and resets,
limits reached, MFA events, role changes and sessions ended

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
# The lead chains this after the MFA branch's 0011 when both are merged.
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'security_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('time_bank_id', sa.Integer(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['person.id'], name=op.f('fk_security_event_actor_id_person')
        ),
        sa.ForeignKeyConstraint(
            ['person_id'], ['person.id'], name=op.f('fk_security_event_person_id_person')
        ),
        sa.ForeignKeyConstraint(
            ['time_bank_id'],
            ['time_bank.id'],
            name=op.f('fk_security_event_time_bank_id_time_bank'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_security_event')),
    )
    op.create_index('ix_security_event_kind', 'security_event', ['kind', 'id'], unique=False)
    op.create_index(
        'ix_security_event_person', 'security_event', ['person_id', 'id'], unique=False
    )
    op.create_index(
        'ix_security_event_time_bank', 'security_event', ['time_bank_id', 'id'], unique=False
    )


def downgrade():
    op.drop_index('ix_security_event_time_bank', table_name='security_event')
    op.drop_index('ix_security_event_person', table_name='security_event')
    op.drop_index('ix_security_event_kind', table_name='security_event')
    op.drop_table('security_event')
