"""two-step sign-in: each person's authenticator secret (encrypted) and recovery codes
(hashed), and whether a time bank requires it of its coordinators and partners

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('two_step',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=255), nullable=False),
    sa.Column('enabled_at', sa.DateTime(), nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_two_step_person_id_person')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_two_step'))
    )
    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_recovery_code_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
    sa.UniqueConstraint('person_id', 'code_hash', name=op.f('uq_recovery_code_person_id_code_hash'))
    )
    op.create_index(op.f('ix_recovery_code_person_id'), 'recovery_code', ['person_id'], unique=False)
    # Not null with a default: SQLite adds it in place (no batch copy of time_bank).
    # Existing banks require it from now on, as new ones do.
    op.add_column(
        'time_bank',
        sa.Column('two_step_required_for_staff', sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE time_bank DROP COLUMN two_step_required_for_staff')
    else:
        op.drop_column('time_bank', 'two_step_required_for_staff')
    op.drop_index(op.f('ix_recovery_code_person_id'), table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_table('two_step')
