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


def test_import_timeoverflow_reports_from_the_command_line(runner, session, tmp_path):
    from tests.importing.support import balance_of
    from tests.importing.timeoverflow_bank import later, seed_bank

    bank, coordinator = make_bank(session)
    timeoverflow = seed_bank()
    members = timeoverflow.members_report(tmp_path / "members.csv", "eu")
    transfers = timeoverflow.transfers_report(tmp_path / "transfers.csv", "eu")
    args = [
        "timebank",
        "import-timeoverflow",
        "--bank",
        bank.slug,
        "--coordinator",
        coordinator.person.email,
        "--members",
        str(members),
        "--transfers",
        str(transfers),
    ]

    result = runner.invoke(args=[*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "0 of 6 balances would differ from TimeOverflow's members report." in result.output
    assert "18 rows ready to import. Nothing was written (dry run)." in result.output

    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "6 members and 12 past exchanges added (12.83 hours)" in result.output
    assert "All 6 balances match TimeOverflow's members report to the minute." in result.output
    session.expire_all()
    for member in timeoverflow.members:
        if member.active and not member.deleted:
            assert balance_of(session, bank.id, str(member.uid)) * 60 == timeoverflow.balance(
                member
            )

    # A newer transfers report with the old members report: only the new rows post, and
    # the two members whose balance will not match are named, with the difference.
    later(timeoverflow).transfers_report(transfers, "eu")
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "12 rows were already imported and were skipped." in result.output
    assert "2 of 6 balances differ" in result.output
    assert "member 1 (Manuel Administrador), line 2: TimeOverflow says 2:15, here 2:15" not in (
        result.output
    )
    assert "member 3 (Anna Laparra), line 4: TimeOverflow says" in result.output
    assert "(difference 0:35)" in result.output
    assert verify_ledger(session, bank.id) == []

    result = runner.invoke(
        args=[*args[:-4], "--members", str(transfers), "--transfers", str(members)]
    )
    assert result.exit_code == 1
    assert "this is TimeOverflow's transfers report" in result.output
