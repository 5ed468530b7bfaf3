"""A file that repeats rows already imported posts only its new rows: rows are known by
what they say (accounts, amount, moment, description, or the old software's id for
them), not by the file's hash or their line."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.importing.support import (
    MEMBERS_CSV,
    balance_of,
    do_import,
    dry_run,
    import_members,
    ledger_state,
    make_bank,
    write,
)
from timebank.importing import ImportFailed, Layout
from timebank.importing.models import ImportedRow
from timebank.ledger.verify import verify_ledger

OLD = [
    "1,Member,2,Member,3600,2020-01-05 10:00:00 UTC,Gardening,31",
    "2,Member,3,Member,1800,2020-01-06 11:00:00 UTC,Lift to the clinic,",
    # The same exchange twice in one file: both are real, both post.
    "3,Member,1,Member,900,2020-01-07 09:00:00 UTC,Shopping,",
    "3,Member,1,Member,900,2020-01-07 09:00:00 UTC,Shopping,",
]
NEW = [
    "1,Member,4,Member,2700,2020-02-01 10:00:00 UTC,Ironing,",
    "3,Member,1,Member,900,2020-01-07 09:00:00 UTC,Shopping,",  # a third copy: new
]


@pytest.fixture
def bank(session, tmp_path):
    bank, coordinator = make_bank(session)
    import_members(session, coordinator, tmp_path)
    return bank, coordinator


def exchanges(session, bank_id):
    return ledger_state(session, bank_id)[0] - 2  # less the two opening balances


def test_a_newer_timeoverflow_export_posts_only_its_new_rows(session, tmp_path, bank):
    bank, coordinator = bank
    layout = Layout.TIMEOVERFLOW_TRANSFERS
    first = write(tmp_path, "first.csv", "\n".join(OLD) + "\n")
    do_import(session, coordinator, first, layout)
    assert exchanges(session, bank.id) == 4
    balances = {ref: balance_of(session, bank.id, ref) for ref in "1234"}

    # The newer export: the old rows in another order, with other spacing and line
    # endings, among new ones.
    spaced = [OLD[2], " " + OLD[0].replace(",", " , "), NEW[0], OLD[3], OLD[1], NEW[1]]
    newer = write(tmp_path, "newer.csv", "\r\n".join(spaced) + "\r\n")
    report = dry_run(session, bank, newer, layout)
    assert (report.ready_rows, report.repeats, report.error_count) == (2, 4, 0)

    outcome = do_import(session, coordinator, newer, layout)

    assert (outcome.transfers, outcome.repeats) == (2, 4)
    assert "4 rows were already imported and were skipped." in outcome.describe()
    session.expire_all()
    assert exchanges(session, bank.id) == 6
    assert balance_of(session, bank.id, "4") == balances["4"] + 45
    assert balance_of(session, bank.id, "3") == balances["3"] - 15
    assert balance_of(session, bank.id, "1") == balances["1"] - 45 + 15
    assert verify_ledger(session, bank.id) == []

    # Everything in it is in now: a third file with the same rows posts nothing.
    again = write(tmp_path, "again.csv", "\n".join(reversed(spaced)) + "\n")
    outcome = do_import(session, coordinator, again, layout)
    assert (outcome.transfers, outcome.repeats) == (0, 6)
    session.expire_all()
    assert exchanges(session, bank.id) == 6


def test_the_generic_layout_knows_rows_by_their_transfer_id(session, tmp_path, bank):
    bank, coordinator = bank
    header = "giver,receiver,hours,date,description,transfer_id\n"
    first = write(
        tmp_path,
        "first.csv",
        header + "1,2,1,2021-05-01,Hedge,T1\n2,3,0.5,2021-05-02,Shopping,T2\n",
    )
    do_import(session, coordinator, first, Layout.TRANSFERS)

    # T2 was corrected in the old software since: the same id is the same exchange.
    newer = write(
        tmp_path,
        "newer.csv",
        header + "2,3,0.75,2021-05-02,Shopping (corrected),T2\n1,2,1,2021-05-01,Hedge,T1\n"
        "3,4,2,2021-05-09,Painting,T3\n",
    )
    outcome = do_import(session, coordinator, newer, Layout.TRANSFERS)
    assert (outcome.transfers, outcome.repeats) == (1, 2)

    twice = write(tmp_path, "twice.csv", header + "1,2,1,2021-06-01,A,T9\n2,1,1,2021-06-02,B,T9\n")
    report = dry_run(session, bank, twice, Layout.TRANSFERS)
    assert [(i.line, i.message) for i in report.errors] == [
        (3, "the transfer_id 'T9' appears more than once in the file")
    ]
    with pytest.raises(ImportFailed, match="appears more than once"):
        do_import(session, coordinator, twice, Layout.TRANSFERS)


def test_each_posted_row_keeps_its_key_once_per_bank(session, tmp_path, bank):
    bank, coordinator = bank
    path = write(tmp_path, "t.csv", "\n".join(OLD) + "\n")
    do_import(session, coordinator, path, Layout.TIMEOVERFLOW_TRANSFERS)
    keys = session.scalars(
        sa.select(ImportedRow.row_key).where(ImportedRow.time_bank_id == bank.id)
    ).all()
    assert len(keys) == len(set(keys)) == 4
    shopping = sorted(key for key in keys if key.endswith((":1",)))
    assert len(shopping) == 1  # the second identical row is occurrence 1 of the first

    # Another time bank may hold rows with the same keys.
    _other, other_coordinator = make_bank(session)
    # Its own members (people with an account elsewhere are invited, not imported).
    import_members(
        session, other_coordinator, tmp_path, MEMBERS_CSV.replace("@example.org", "@other.example")
    )
    outcome = do_import(session, other_coordinator, path, Layout.TIMEOVERFLOW_TRANSFERS)
    assert outcome.transfers == 4
