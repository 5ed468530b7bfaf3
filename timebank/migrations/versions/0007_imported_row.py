"""imported rows recognised by their own identity, so that a newer export repeating
old rows posts only the new ones

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('imported_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('time_bank_id', sa.Integer(), nullable=False),
    sa.Column('row_key', sa.String(length=80), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('import_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_run.id'], name=op.f('fk_imported_row_import_run_id_import_run')),
    sa.ForeignKeyConstraint(['time_bank_id'], ['time_bank.id'], name=op.f('fk_imported_row_time_bank_id_time_bank')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_imported_row_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_row')),
    sa.UniqueConstraint('time_bank_id', 'row_key', name=op.f('uq_imported_row_time_bank_id_row_key')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_imported_row_transfer_id'))
    )
    op.create_index(op.f('ix_imported_row_import_run_id'), 'imported_row', ['import_run_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_imported_row_import_run_id'), table_name='imported_row')
    op.drop_table('imported_row')
