"""an index on audit entries by the thing they are about (time_bank_id, entity_type,
entity_id), so an entry's history and the audit log filtered to a member read their
own entries instead of the whole log

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_audit_entry_entity', 'audit_entry', ['time_bank_id', 'entity_type', 'entity_id']
    )


def downgrade():
    op.drop_index('ix_audit_entry_entity', table_name='audit_entry')
