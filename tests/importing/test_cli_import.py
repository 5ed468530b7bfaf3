"""The import commands: a dry run lists every bad row; the real run writes all rows."""

from __future__ import annotations

import sqlalchemy as sa

from tests.importing.support import MEMBERS_CSV, make_bank, write
from timebank.ledger.models import Membership, Transfer, TransferKind
from timebank.ledger.verify import verify_ledger


def test_import_members_then_transfers_from_the_command_line(runner, session, tmp_path):
    bank, coordinator = make_bank(session)
    email = coordinator.person.email
    members = write(tmp_path, "members.csv", MEMBERS_CSV)
    args = ["timebank", "import-members", "--bank", bank.slug, "--coordinator", email]

    result = runner.invoke(args=[*args, "--dry-run", str(members)])
    assert result.exit_code == 0, result.output
    assert "4 rows ready to import. Nothing was written (dry run)." in result.output
    session.expire_all()
    count = sa.select(sa.func.count()).select_from(Membership)
    assert session.scalar(count.where(Membership.time_bank_id == bank.id)) == 1

    result = runner.invoke(args=[*args, str(members)])
    assert result.exit_code == 0, result.output
    assert "4 members added, 2 with an opening balance." in result.output
    assert members.exists()  # the operator's own file is left alone
    session.expire_all()
    assert session.scalar(count.where(Membership.time_bank_id == bank.id)) == 5

    bad = write(
        tmp_path,
        "t.csv",
        "1,Member,2,Member,3600,2020-01-01,ok,\n1,Member,9,Member,60,2020-01-01,x,\n",
    )
    transfers = ["timebank", "import-transfers", "--bank", bank.slug, "--coordinator", email]
    result = runner.invoke(args=[*transfers, str(bad)])
    assert result.exit_code == 1
    assert "line 2: unknown member '9'" in result.output
    assert "1 bad row(s) out of 2. Nothing was imported" in result.output
    session.expire_all()
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Transfer)
            .where(Transfer.kind == TransferKind.EXCHANGE)
        )
        == 0
    )

    good = write(tmp_path, "t2.csv", "1,Member,2,Member,3600,2020-01-01,ok,\n")
    result = runner.invoke(args=[*transfers, str(good)])
    assert result.exit_code == 0, result.output
    assert "1 past exchanges added (1.00 hours)" in result.output
    result = runner.invoke(args=[*transfers, str(good)])
    assert result.exit_code == 1
    assert "already been imported" in result.output
    session.expire_all()
    assert verify_ledger(session, bank.id) == []
