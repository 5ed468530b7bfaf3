"""The plan in docs/scaling.md for spreading the database over several machines (Citus,
distributed by ``time_bank_id``) stays true as the schema grows.

Every table is placed in exactly one group: distributed by time bank (it carries
``time_bank_id``), a tenant table that must first be given ``time_bank_id``, a reference
table (copied to every machine), or a table kept on the coordinator. Foreign keys between
tenant tables must include ``time_bank_id`` on both sides (Citus enforces only those
between tables of one tenant), and unique constraints on distributed tables must include
it (a shard can only check its own rows); every exception is listed here with what has
to change, and the plan's table in docs/scaling.md must say the same. A new table, a new
foreign key or a new unique constraint that breaks the plan fails here until it is
placed. The migrations build exactly these models (tests/ledger/test_migrations.py), so
this holds for the migrated database too.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import sqlalchemy as sa

import timebank.community
import timebank.extensions
import timebank.importing
import timebank.ledger
import timebank.reports
from timebank.app import create_app  # noqa: F401  (registers the blueprints' models)
from timebank.ledger.models import Base

BANK = "time_bank_id"
DOC = Path(__file__).resolve().parent.parent / "docs" / "scaling.md"

DISTRIBUTED = {
    "account",
    "audit_chain",
    "audit_entry",
    "category",
    "coordinator_note",
    "import_run",
    "imported_row",
    "invitation",
    "listing",
    "membership",
    "message_thread",
    "notification",
    "organisation",
    "transfer",
    "verify_checkpoint",
    "verify_checkpoint_account",
}
# Tenant tables reached only through another tenant table: each gets its own
# time_bank_id (filled from its parent) before it can be distributed.
ADD_TIME_BANK_ID = {
    "listing_exchange": "keyed by its transfer; time_bank_id from transfer",
    "member_skill": "keyed by membership and category; time_bank_id from membership",
    "message": "belongs to a thread; time_bank_id from message_thread",
    "organisation_staff": "links organisation and membership; time_bank_id from organisation",
    "thread_participant": "links thread and membership; time_bank_id from message_thread",
}
REFERENCE = {
    "time_bank": "every tenant row refers to it; 1,000 rows",
    "person": "one person may belong to several banks; sign-in finds them by email first",
}
COORDINATOR_ONLY = {
    "api_token": "looked up by token hash before any bank is known; refers to person only",
    "api_idempotency_key": "per person, across banks; refers to person only",
    "pending_application": "looked up by token hash before any bank is known; no person yet",
    "report_cache": "a partner's selection may span banks (a combined report)",
    "security_event": "account-wide events (sign-in, two-step) have no bank; refers to person",
    "security_event_prune": "empty but inside the prune's own transaction; no foreign keys",
    "sign_in_session": "looked up by its secret's hash before a bank is known; refers to person",
    "two_step": "per person, across banks; refers to person only",
    "recovery_code": "per person, across banks; refers to two_step only",
}
# Foreign keys between tenant tables without time_bank_id: (table, columns) -> the
# referred table. Each becomes (columns..., time_bank_id) -> (id, time_bank_id), which
# needs a unique (id, time_bank_id) on the referred table (account has one already).
FOREIGN_KEYS_WITHOUT_BANK = {
    ("account", ("membership_id",)): "membership",
    ("account", ("organisation_id",)): "organisation",
    ("audit_entry", ("actor_id",)): "membership",
    ("coordinator_note", ("author_id",)): "membership",
    ("coordinator_note", ("membership_id",)): "membership",
    ("import_run", ("created_by_id",)): "membership",
    ("imported_row", ("import_run_id",)): "import_run",
    ("imported_row", ("transfer_id",)): "transfer",
    ("invitation", ("created_by_id",)): "membership",
    ("invitation", ("used_by_id",)): "membership",
    ("listing", ("category_id",)): "category",
    ("listing", ("membership_id",)): "membership",
    ("listing_exchange", ("listing_id",)): "listing",
    ("listing_exchange", ("transfer_id",)): "transfer",
    ("member_skill", ("category_id",)): "category",
    ("member_skill", ("membership_id",)): "membership",
    ("message", ("sender_id",)): "membership",
    ("message", ("thread_id",)): "message_thread",
    ("message_thread", ("listing_id",)): "listing",
    ("notification", ("membership_id",)): "membership",
    ("notification", ("transfer_id",)): "transfer",
    ("organisation_staff", ("membership_id",)): "membership",
    ("organisation_staff", ("organisation_id",)): "organisation",
    ("thread_participant", ("membership_id",)): "membership",
    ("thread_participant", ("thread_id",)): "message_thread",
    ("transfer", ("approved_by_id",)): "membership",
    ("transfer", ("category_id",)): "category",
    ("transfer", ("confirmed_by_id",)): "membership",
    ("transfer", ("recorded_by_id",)): "membership",
    ("transfer", ("rejected_by_id",)): "membership",
    ("transfer", ("reverses_id",)): "transfer",
    ("verify_checkpoint_account", ("account_id",)): "account",
}
# Unique constraints of distributed tables without time_bank_id (besides the ``id``
# primary keys, which all become (time_bank_id, id)): each gains time_bank_id.
UNIQUE_WITHOUT_BANK = {
    ("account", ("membership_id",)),
    ("account", ("organisation_id",)),
    ("imported_row", ("transfer_id",)),
    ("invitation", ("token_hash",)),
    ("transfer", ("reverses_id",)),
}
# Primary keys of distributed tables that are neither ``id`` nor ``time_bank_id``: each
# becomes (time_bank_id, ...).
PRIMARY_KEYS_WITHOUT_BANK = {"verify_checkpoint_account": ("account_id",)}
GROUPS = {
    "distributed": DISTRIBUTED,
    "add time_bank_id, then distributed": set(ADD_TIME_BANK_ID),
    "reference": set(REFERENCE),
    "coordinator only": set(COORDINATOR_ONLY),
}
TENANT = DISTRIBUTED | set(ADD_TIME_BANK_ID)


def tables() -> dict[str, sa.Table]:
    # Every module of the rooms that hold models, so that a table defined in a module
    # nothing has imported yet is still seen.
    for room in (timebank.ledger, timebank.community, timebank.reports, timebank.importing):
        for module in pkgutil.walk_packages(room.__path__, room.__name__ + "."):
            importlib.import_module(module.name)
    return dict(Base.metadata.tables)


def foreign_keys():
    for name, table in sorted(tables().items()):
        for fk in table.foreign_key_constraints:
            yield name, fk


def carries_bank(fk: sa.ForeignKeyConstraint) -> bool:
    pairs = {(e.parent.name, e.column.name) for e in fk.elements}
    return (BANK, BANK) in pairs


def test_every_table_is_placed_in_exactly_one_group():
    placed = [name for group in GROUPS.values() for name in group]
    assert len(placed) == len(set(placed)), "a table is in two groups"
    assert set(placed) - set(tables()) == set(), "the plan names a table that is gone"
    assert set(tables()) - set(placed) == set(), (
        "a new table: place it in docs/scaling.md and in this test's groups (a tenant"
        " table carries time_bank_id)"
    )


def test_distributed_tables_carry_the_bank_and_the_others_do_not_yet():
    for name in DISTRIBUTED:
        column = tables()[name].c.get(BANK)
        assert column is not None, f"{name} has no {BANK}"
        assert not column.nullable, f"{name}.{BANK} may be empty"
        assert "time_bank" in {fk.column.table.name for fk in column.foreign_keys}
    for name in ADD_TIME_BANK_ID:
        assert BANK not in tables()[name].c, f"{name} has {BANK} now: move it to DISTRIBUTED"


def test_foreign_keys_between_tenant_tables_carry_the_bank_or_are_listed():
    found = {}
    for name, fk in foreign_keys():
        referred = fk.referred_table.name
        if name in TENANT and referred in TENANT and not carries_bank(fk):
            found[(name, tuple(fk.column_keys))] = referred
    assert found == FOREIGN_KEYS_WITHOUT_BANK, (
        "a foreign key between tenant tables must include time_bank_id on both sides"
        " (or be listed, with the change in docs/scaling.md)"
    )


def test_the_bank_carrying_foreign_keys_are_the_transfers_sides():
    """What already has the shape Citus needs (so a change to it is noticed)."""
    carrying = {
        (name, tuple(fk.column_keys))
        for name, fk in foreign_keys()
        if fk.referred_table.name in TENANT and carries_bank(fk)
    }
    assert carrying == {
        ("transfer", ("debit_account_id", BANK)),
        ("transfer", ("credit_account_id", BANK)),
    }


def test_no_reference_or_coordinator_table_points_at_a_tenant_table():
    for name, fk in foreign_keys():
        if name not in TENANT:
            assert fk.referred_table.name not in TENANT, (
                f"{name} refers to the tenant table {fk.referred_table.name}: Citus cannot"
                " keep that foreign key"
            )


def test_unique_constraints_of_distributed_tables_carry_the_bank_or_are_listed():
    found = set()
    for name in DISTRIBUTED:
        table = tables()[name]
        # Column names only: building a UniqueConstraint from an index's columns would
        # attach it to the shared metadata (and the migrations test would then see it).
        keys = [c.columns for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
        keys += [index.columns for index in table.indexes if index.unique]
        for key in keys:
            columns = tuple(c.name for c in key)
            if BANK not in columns:
                found.add((name, columns))
        primary = tuple(c.name for c in table.primary_key.columns)
        allowed = (("id",), (BANK,), PRIMARY_KEYS_WITHOUT_BANK.get(name))
        assert primary in allowed, f"{name}: primary key {primary}"
    assert found == UNIQUE_WITHOUT_BANK


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", DOC.read_text(), flags=re.MULTILINE)
    return dict(rows)


def test_the_plan_in_docs_scaling_says_the_same():
    documented = _documented()
    expected = {name: group for group, names in GROUPS.items() for name in names}
    assert documented == expected
    text = DOC.read_text()
    for table, columns in sorted(UNIQUE_WITHOUT_BANK):
        assert f"`{table}` ({', '.join(columns)})" in text, (table, columns)
