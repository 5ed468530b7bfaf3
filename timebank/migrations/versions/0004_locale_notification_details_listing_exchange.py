"""language choice, notification details, exchanges linked to listings, applications,
skills offered by category

Existing time banks stay open to applications (server default true).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('person', sa.Column('preferred_locale', sa.String(length=10), nullable=True))
    op.add_column('time_bank', sa.Column('accepts_applications', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column('notification', sa.Column('details', sa.JSON(), nullable=True))
    op.create_table('listing_exchange',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_listing_exchange_listing_id_listing')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfer.id'], name=op.f('fk_listing_exchange_transfer_id_transfer')),
    sa.PrimaryKeyConstraint('transfer_id', name=op.f('pk_listing_exchange'))
    )
    op.create_index(op.f('ix_listing_exchange_listing_id'), 'listing_exchange', ['listing_id'], unique=False)
    op.create_table('member_skill',
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_member_skill_category_id_category')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_member_skill_membership_id_membership')),
    sa.PrimaryKeyConstraint('membership_id', 'category_id', name=op.f('pk_member_skill'))
    )
    op.create_index(op.f('ix_member_skill_category_id'), 'member_skill', ['category_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_member_skill_category_id'), table_name='member_skill')
    op.drop_table('member_skill')
    op.drop_index(op.f('ix_listing_exchange_listing_id'), table_name='listing_exchange')
    op.drop_table('listing_exchange')
    op.drop_column('notification', 'details')
    op.drop_column('time_bank', 'accepts_applications')
    op.drop_column('person', 'preferred_locale')
