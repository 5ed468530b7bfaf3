"""separation of duties: whether a coordinator's own exchanges need another
coordinator (NULL: yes when the bank has two or more coordinators)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column with no constraint: SQLite adds it in place (no batch copy of
    # time_bank, which every other table refers to).
    op.add_column(
        'time_bank',
        sa.Column('own_exchanges_need_another_coordinator', sa.Boolean(), nullable=True),
    )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE time_bank DROP COLUMN own_exchanges_need_another_coordinator')
    else:
        op.drop_column('time_bank', 'own_exchanges_need_another_coordinator')
