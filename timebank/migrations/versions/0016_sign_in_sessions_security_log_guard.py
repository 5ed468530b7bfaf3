"""signed-in sessions as rows (sign_in_session), and the security event log made
append-only by triggers, with the prune's permit table (security_event_prune)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
# The lead renumbers this at merge.
down_revision = '0015'
branch_labels = None
depends_on = None


# The same statements as timebank/community/security_log_guard.py, copied here so that
# this migration keeps meaning what it meant when it was written.
SQLITE_TRIGGERS = [
    """CREATE TRIGGER trg_security_event_no_update BEFORE UPDATE ON security_event
    BEGIN SELECT RAISE(ABORT, 'security_event is append-only'); END""",
    """CREATE TRIGGER trg_security_event_no_delete BEFORE DELETE ON security_event
    WHEN NOT EXISTS (
        SELECT 1 FROM security_event_prune WHERE OLD.occurred_at < security_event_prune.older_than
    )
    BEGIN SELECT RAISE(ABORT, 'security_event is append-only'); END""",
]
POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION timebank_guard_security_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (
            SELECT 1 FROM security_event_prune p WHERE OLD.occurred_at < p.older_than
        ) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'security_event is append-only'
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER trg_security_event_append_only BEFORE UPDATE OR DELETE ON security_event
    FOR EACH ROW EXECUTE FUNCTION timebank_guard_security_event()""",
]


def upgrade():
    op.create_table(
        'sign_in_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('browser', sa.String(length=40), nullable=True),
        sa.Column('system', sa.String(length=40), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('ended_reason', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ['person_id'], ['person.id'], name=op.f('fk_sign_in_session_person_id_person')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_session')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_sign_in_session_secret_hash')),
    )
    op.create_index(
        'ix_sign_in_session_person', 'sign_in_session', ['person_id', 'ended_at'], unique=False
    )
    op.create_table(
        'security_event_prune',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('older_than', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_security_event_prune')),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_security_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS trg_security_event_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_security_event_append_only ON security_event")
        op.execute("DROP FUNCTION IF EXISTS timebank_guard_security_event()")
    op.drop_table('security_event_prune')
    op.drop_index('ix_sign_in_session_person', table_name='sign_in_session')
    op.drop_table('sign_in_session')
