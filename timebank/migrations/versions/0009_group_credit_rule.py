"""how a workshop's leader is credited: with each participant's hours (as before) or
with the session's length, paid by the pot or an organisation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # As in 0005: SQLite adds a column with its own CHECK in place.
        op.execute(
            "ALTER TABLE time_bank ADD COLUMN group_credit_rule VARCHAR(20) DEFAULT 'each'"
            " NOT NULL CONSTRAINT ck_time_bank_group_credit_rule_known"
            " CHECK (group_credit_rule IN ('each', 'session'))"
        )
    else:
        op.add_column('time_bank', sa.Column('group_credit_rule', sa.String(length=20), server_default='each', nullable=False))
        op.create_check_constraint(op.f('ck_time_bank_group_credit_rule_known'), 'time_bank', "group_credit_rule IN ('each', 'session')")


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE time_bank DROP COLUMN group_credit_rule')
    else:
        op.drop_constraint(op.f('ck_time_bank_group_credit_rule_known'), 'time_bank', type_='check')
        op.drop_column('time_bank', 'group_credit_rule')
