"""Helpers for the import tests: a time bank with a coordinator, files and runs."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.factories import CoordinatorFactory, TimeBankFactory
from timebank.importing import Layout, check_file, file_sha256, import_file, load_lookups
from timebank.importing.checking import reports_sha256
from timebank.importing.identity import known_keys_in
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import Account, AuditChain, Membership, Transfer

MEMBERS_CSV = """external_ref,name,email,kind,role,opening_balance_hours,joined_on
1,Alice Ashdown,alice@example.org,participant,member,2.5,2015-03-01
2,Bob Brennan,bob@example.org,participant,member,-1,
3,Carol Cheung,carol@example.org,professional,coordinator,,2016-01-10
4,Dev Dhillon,dev@example.org,,,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def make_bank(session, **policy):
    bank = TimeBankFactory(**policy)
    coordinator = CoordinatorFactory(bank=bank)
    session.commit()
    return bank, coordinator


def dry_run(
    session,
    bank,
    path: Path,
    layout: Layout,
    members_path: Path | None = None,
    mapping: dict[str, int] | None = None,
):
    lookups = load_lookups(session, bank.id)
    session.rollback()
    return check_file(
        lookups,
        path,
        layout,
        members_path=members_path,
        known=known_keys_in(session, bank.id, end_transaction=True),
        mapping=mapping,
    )


def do_import(session, actor, path: Path, layout: Layout, **options):
    sha = file_sha256(path)
    if options.get("members_path") is not None:
        sha = reports_sha256(options["members_path"], path)
    return run_in_transaction(
        session,
        lambda: import_file(session, actor=actor, path=path, layout=layout, sha256=sha, **options),
        attempts=1,
    )


def import_members(session, actor, tmp_path, text=MEMBERS_CSV):
    return do_import(session, actor, write(tmp_path, "members.csv", text), Layout.MEMBERS)


def ledger_state(session, bank_id: int):
    """Everything an import could change: transfers, counters, members, audit head."""
    session.expire_all()
    return (
        session.scalar(
            sa.select(sa.func.count()).select_from(Transfer).where(Transfer.time_bank_id == bank_id)
        ),
        session.execute(
            sa.select(Account.id, Account.posted_debits, Account.posted_credits)
            .where(Account.time_bank_id == bank_id)
            .order_by(Account.id)
        ).all(),
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == bank_id)
        ),
        session.scalar(sa.select(AuditChain.last_seq).where(AuditChain.time_bank_id == bank_id)),
    )


def account_of(session, bank_id: int, ref: str) -> Account:
    return session.scalars(
        sa.select(Account)
        .join(Membership, Membership.id == Account.membership_id)
        .where(Membership.time_bank_id == bank_id, Membership.external_ref == ref)
    ).one()


def balance_of(session, bank_id: int, ref: str) -> int:
    """A member's balance here, in minutes."""
    account = account_of(session, bank_id, ref)
    return account.posted_credits - account.posted_debits
