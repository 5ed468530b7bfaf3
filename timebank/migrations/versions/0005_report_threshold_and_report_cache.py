"""partners' small-number threshold per time bank (default 5, at least 3) and the
cache of built reciprocity reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:23:30.611070

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('selection_hash', sa.String(length=64), nullable=False),
    sa.Column('bank_ids', sa.Text(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('generation', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_cache')),
    sa.UniqueConstraint('selection_hash', 'period_start', 'period_end', 'audience', name=op.f('uq_report_cache_selection_hash_period_start_period_end_audience'))
    )
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its own CHECK in place; a batch copy of time_bank
        # would have to drop a table that every other table refers to.
        op.execute(
            "ALTER TABLE time_bank ADD COLUMN report_threshold INTEGER DEFAULT '5' NOT NULL"
            " CONSTRAINT ck_time_bank_report_threshold_at_least_3 CHECK (report_threshold >= 3)"
        )
    else:
        op.add_column('time_bank', sa.Column('report_threshold', sa.Integer(), server_default='5', nullable=False))
        op.create_check_constraint(op.f('ck_time_bank_report_threshold_at_least_3'), 'time_bank', 'report_threshold >= 3')


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE time_bank DROP COLUMN report_threshold')
    else:
        op.drop_constraint(op.f('ck_time_bank_report_threshold_at_least_3'), 'time_bank', type_='check')
        op.drop_column('time_bank', 'report_threshold')

    op.drop_table('report_cache')
