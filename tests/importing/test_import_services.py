"""The import services on a real database: parsing, the dry run, the all-or-nothing
import in batches, members with opening balances, idempotency and progress."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TimeBankFactory,
    bank_today,
)
from tests.importing.support import (
    MEMBERS_CSV,
    account_of,
    do_import,
    dry_run,
    import_members,
    ledger_state,
    make_bank,
    write,
)
from timebank.importing import ImportFailed, Layout
from timebank.importing.checking import file_sha256
from timebank.importing.models import ImportRun
from timebank.importing.progress import REGISTRY
from timebank.importing.runs import CHECKED, DONE, FAILED, claim, create_run, execute, record_check
from timebank.ledger.banks import get_equity_account
from timebank.ledger.models import (
    AuditEntry,
    MemberKind,
    Membership,
    Person,
    Role,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.verify import verify_ledger

TOMORROW = (bank_today() + timedelta(days=2)).isoformat()


@pytest.fixture
def bank(session, tmp_path):
    """A time bank with a coordinator and members 1-4 imported from the generic layout."""
    bank, coordinator = make_bank(session)
    import_members(session, coordinator, tmp_path)
    return bank, coordinator


def test_timeoverflow_layout_posts_past_exchanges_in_minutes(session, tmp_path, bank):
    bank, coordinator = bank
    organisation = OrganisationFactory(bank=bank, name="Parish council")
    organisation.external_ref = "7"
    session.commit()
    before = {ref: account_of(session, bank.id, ref).balance for ref in "12"}
    text = (
        # source (receives, pays the time) -> destination (gives): 1.5 hours
        "1,Member,2,Member,5400,2015-06-01 10:00:00 UTC,Gardening help,42\n"
        # 3,630 seconds is 60.5 minutes: rounded to 61 with a warning
        '2,Member,1,Member,3630,2016-02-03T09:30:00Z,"Lift, to the station",\n'
        "7,Organization,1,Member,7200,2016-02-04,Council workshop,\n"
    )
    path = write(tmp_path, "transfers.csv", text)
    report = dry_run(session, bank, path, Layout.TIMEOVERFLOW_TRANSFERS)
    assert report.ok and report.total_rows == 3 and report.ready_rows == 3
    assert [(w.line, w.message) for w in report.warnings] == [
        (2, "3630 seconds is not a whole number of minutes: imported as 61 minutes")
    ]

    outcome = do_import(session, coordinator, path, Layout.TIMEOVERFLOW_TRANSFERS)

    assert (outcome.transfers, outcome.minutes, outcome.warnings) == (3, 90 + 61 + 120, 1)
    transfers = session.scalars(
        sa.select(Transfer)
        .where(Transfer.time_bank_id == bank.id, Transfer.kind == TransferKind.EXCHANGE)
        .order_by(Transfer.id)
    ).all()
    alice, bob = account_of(session, bank.id, "1"), account_of(session, bank.id, "2")
    first = transfers[0]
    assert (first.credit_account_id, first.debit_account_id) == (bob.id, alice.id)
    assert first.minutes == 90 and first.status == TransferStatus.POSTED
    # Older than the back-dating limit, kept as it happened.
    assert first.service_date == date(2015, 6, 1)
    assert transfers[1].description == "Lift, to the station" and transfers[1].minutes == 61
    assert transfers[2].credit_account_id == alice.id
    assert transfers[2].debit_account_id == organisation.account.id
    assert alice.balance == before["1"] - 90 + 61 + 120
    assert bob.balance == before["2"] + 90 - 61
    assert verify_ledger(session, bank.id) == []
    audit = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "transfer.imported")
        .order_by(AuditEntry.seq)
    ).all()
    assert len(audit) == 3 and json.loads(audit[0].after)["source_post_id"] == "42"


def test_one_dry_run_finds_every_bad_row_with_its_line(session, tmp_path, bank):
    bank, _ = bank
    before = ledger_state(session, bank.id)
    text = "\n".join(
        [
            "1,Member,2,Member,3600,2020-01-01,ok,",  # 1 good
            "99,Member,2,Member,3600,2020-01-01,x,",  # 2 unknown member
            "1,Member,2,Member,abc,2020-01-01,x,",  # 3 bad number
            "1,Member,2,Member,0,2020-01-01,x,",  # 4 zero
            "1,Member,2,Member,-60,2020-01-01,x,",  # 5 negative
            "1,Member,1,Member,60,2020-01-01,x,",  # 6 same person
            "1,Member,2,Member,60,31/31/2020,x,",  # 7 bad date
            f"1,Member,2,Member,60,{TOMORROW},x,",  # 8 future
            "1,Robot,2,Member,60,2020-01-01,x,",  # 9 unknown type
            "1,Member,2,Member,60",  # 10 too few columns
            "",  # 11 blank: skipped
            "1,Member,3,Member,20,2020-01-01,x,",  # 12 less than half a minute
            '1,Member,2,Member,60,2020-01-01,"a reason',  # 13-14 open quote to the end
            'over two lines",',
            "55,Organization,2,Member,60,2020-01-01,x,",  # 15 unknown organisation
        ]
    )
    path = write(tmp_path, "bad.csv", text + "\n")
    report = dry_run(session, bank, path, Layout.TIMEOVERFLOW_TRANSFERS)
    found = {issue.line: issue.message for issue in report.errors}
    assert sorted(found) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15]
    assert found[2] == "unknown member '99'"
    assert found[3] == "the amount 'abc' is not a number"
    assert found[4] == "the amount must be more than zero (it is 0 seconds)"
    assert found[5] == "the amount must be more than zero (it is -60 seconds)"
    assert found[6] == "the same person is on both sides"
    assert "is not a date" in found[7]
    assert found[8].endswith("is in the future")
    assert "unknown account type 'Robot'" in found[9]
    assert found[10].startswith("expected 8 columns")
    assert found[12] == "the amount 20 seconds is less than half a minute"
    assert found[15] == "unknown organisation '55'"
    assert (report.total_rows, report.ready_rows, report.error_count) == (13, 2, 11)
    assert ledger_state(session, bank.id) == before


def test_generic_transfers_and_members_layouts_report_their_own_bad_rows(session, tmp_path, bank):
    bank, _ = bank
    transfers = write(
        tmp_path,
        "t.csv",
        "giver,receiver_email,hours,date,category,description,colour\n"
        "1,bob@example.org,1.5,2021-05-01,gardening,Hedge\n"
        "1,nobody@example.org,1,2021-05-01,,x\n"
        "2,bob@example.org,1,2021-05-01,knitting,x\n"
        ",bob@example.org,1,2021-05-01,,x\n",
    )
    report = dry_run(session, bank, transfers, Layout.TRANSFERS)
    assert [(i.line, i.message) for i in report.errors] == [
        (3, "no member with the email 'nobody@example.org' (receiver)"),
        (4, "the same person is on both sides; unknown category 'knitting'"),
        (5, "the giver is missing"),
    ]
    assert report.warnings[0].line == 1 and "'colour'" in report.warnings[0].message

    members = write(
        tmp_path,
        "m.csv",
        "external_ref,name,email,kind,role,opening_balance_hours\n"
        "10,Eve,eve@example.org,participant,member,1\n"
        "11,Fay,eve@example.org,participant,member,x\n"
        "10,Gus,gus@example.org,wizard,chief,\n"
        "1,Hal,alice@example.org,,,\n"
        "12,,not-an-email,,,\n",
    )
    report = dry_run(session, bank, members, Layout.MEMBERS)
    assert [(i.line, i.message) for i in report.errors] == [
        (
            3,
            "duplicate email 'eve@example.org' (also on line 2);"
            " the opening balance 'x' is not a number",
        ),
        (
            4,
            "duplicate external_ref '10' (also on line 2); unknown kind 'wizard'"
            " (participant or professional); unknown role 'chief' (member, coordinator"
            " or partner)",
        ),
        (
            5,
            "a member with external_ref '1' is already here;"
            " 'alice@example.org' is already a member of this time bank",
        ),
        (6, "the name is missing; 'not-an-email' is not an email address"),
    ]

    # A plain list of names and emails is a members file: the rest has defaults.
    header = write(tmp_path, "h.csv", "Name,Email\nx,y\n")
    report = dry_run(session, bank, header, Layout.MEMBERS)
    assert [(i.line, i.message) for i in report.errors] == [(2, "'y' is not an email address")]
    header = write(tmp_path, "h2.csv", "name,phone\nx,y\n")
    report = dry_run(session, bank, header, Layout.MEMBERS)
    assert [(i.line, i.message) for i in report.errors] == [
        (1, "the header row has no 'email' column (the first row must name the columns)")
    ]


def test_a_name_and_email_list_imports_members_with_the_defaults(session, tmp_path, bank):
    bank, coordinator = bank
    members = write(
        tmp_path,
        "people.csv",
        "Name,Email\nNia Jones,nia@example.org\nOwen Price,OWEN@example.org\n",
    )
    report = dry_run(session, bank, members, Layout.MEMBERS)
    assert report.ok and report.total_rows == 2
    do_import(session, coordinator, members, Layout.MEMBERS)
    rows = session.execute(
        sa.select(Person.email, Membership.kind, Membership.role, Membership.external_ref)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.time_bank_id == bank.id,
            Person.email.in_(["nia@example.org", "owen@example.org"]),
        )
        .order_by(Person.email)
    ).all()
    assert rows == [
        ("nia@example.org", MemberKind.PARTICIPANT, Role.MEMBER, None),
        ("owen@example.org", MemberKind.PARTICIPANT, Role.MEMBER, None),
    ]
    assert verify_ledger(session) == []


def test_a_bad_row_found_late_leaves_nothing_written(session, tmp_path, bank):
    bank, coordinator = bank
    before = ledger_state(session, bank.id)
    lines = [f"1,Member,2,Member,60,2020-01-{1 + i % 28:02d},row {i}," for i in range(30)]
    lines.append("1,Member,99,Member,60,2020-02-01,the bad one,")
    path = write(tmp_path, "late.csv", "\n".join(lines) + "\n")
    with pytest.raises(ImportFailed) as failure:
        do_import(session, coordinator, path, Layout.TIMEOVERFLOW_TRANSFERS, batch_size=7)
    assert failure.value.line == 31 and failure.value.message == "unknown member '99'"
    assert ledger_state(session, bank.id) == before
    assert verify_ledger(session, bank.id) == []


def test_a_failure_midway_through_a_run_leaves_nothing_and_marks_the_run_failed(
    session, tmp_path, bank
):
    bank, coordinator = bank
    lines = [f"2,Member,1,Member,120,2019-07-{1 + i % 28:02d},row {i}," for i in range(10)]
    path = write(tmp_path, "ok.csv", "\n".join(lines) + "\n")
    run = _checked_run(session, coordinator, bank, path, Layout.TIMEOVERFLOW_TRANSFERS)
    before = ledger_state(session, bank.id)
    batches = []

    def fail_on_third_batch(rows):
        batches.append(rows)
        if len(batches) == 3:
            raise RuntimeError("the disk is full")

    result = execute(session, run.id, path, batch_size=3, progress_hook=fail_on_third_batch)

    assert not result.ok and batches == [3, 6, 9]
    assert ledger_state(session, bank.id)[:3] == before[:3]
    run = session.get(ImportRun, run.id)
    assert run.status == FAILED and run.processed_rows == 0
    assert "Nothing was imported" in json.loads(run.message)["summary"]
    assert not path.exists()  # the uploaded copy is removed
    assert verify_ledger(session, bank.id) == []


def test_members_import_creates_people_memberships_and_opening_balances(session, tmp_path):
    bank, coordinator = make_bank(session)
    # Dev already belongs to another time bank: he is invited, not enrolled (issue 11).
    other = TimeBankFactory()
    dev = PersonFactory(email="dev@example.org", display_name="Dev D")
    MembershipFactory(bank=other, person=dev)
    session.commit()

    outcome = import_members(session, coordinator, tmp_path)

    assert (outcome.members, outcome.opening_balances) == (3, 2)
    assert [i.person_id for i in outcome.invitations] == [dev.id]
    alice, bob, carol = (account_of(session, bank.id, ref) for ref in "123")
    assert alice.membership.person.display_name == "Alice Ashdown"
    assert alice.membership.joined_at.date() == date(2015, 3, 1)
    assert (alice.balance, bob.balance, carol.balance) == (150, -60, 0)
    assert carol.membership.role == Role.COORDINATOR
    assert [m.time_bank_id for m in dev.memberships] == [other.id]
    assert (
        session.scalar(sa.select(sa.func.count()).select_from(Person)) == 5
    )  # coordinator, Dev, 3 new
    equity = get_equity_account(session, bank.id)
    assert equity.balance == -90
    openings = session.scalars(
        sa.select(Transfer).where(Transfer.kind == TransferKind.OPENING_BALANCE)
    ).all()
    assert sorted(t.minutes for t in openings) == [60, 150]
    assert all(t.status == TransferStatus.POSTED for t in openings)
    assert verify_ledger(session, bank.id) == []
    actions = session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.time_bank_id == bank.id)
        .order_by(AuditEntry.seq)
    ).all()
    assert actions.count("membership.created") == 3 + 1  # the coordinator too
    assert actions.count("invitation.created") == 1
    assert actions.count("transfer.opening_balance") == 2
    assert actions[-1] == "import.completed"


def test_the_same_file_cannot_be_imported_twice(session, tmp_path, bank):
    bank, coordinator = bank
    path = write(tmp_path, "t.csv", "1,Member,2,Member,3600,2020-01-01,ok,\n")
    do_import(session, coordinator, path, Layout.TIMEOVERFLOW_TRANSFERS)
    before = ledger_state(session, bank.id)
    with pytest.raises(ImportFailed, match="already been imported"):
        do_import(session, coordinator, path, Layout.TIMEOVERFLOW_TRANSFERS)
    assert ledger_state(session, bank.id) == before
    # A members file again: every row is reported as already here.
    again = write(tmp_path, "members-again.csv", MEMBERS_CSV)
    report = dry_run(session, bank, again, Layout.MEMBERS)
    assert report.error_count == 4
    assert all("already" in issue.message for issue in report.errors)


def test_batches_keep_counters_audit_and_verify_consistent(session, tmp_path, bank):
    bank, coordinator = bank
    refs = "1234"
    lines = []
    for i in range(2_500):
        giver, receiver = refs[i % 4], refs[(i + 1) % 4]
        lines.append(f"{receiver},Member,{giver},Member,{60 * (1 + i % 5)},2018-03-04,r{i},")
    path = write(tmp_path, "many.csv", "\n".join(lines) + "\n")
    seq_before = ledger_state(session, bank.id)[3]
    outcome = do_import(session, coordinator, path, Layout.TIMEOVERFLOW_TRANSFERS, batch_size=400)
    assert outcome.transfers == 2_500
    assert ledger_state(session, bank.id)[3] == seq_before + 2_500 + 1
    assert verify_ledger(session, bank.id) == []


def _checked_run(session, coordinator, bank, path, layout):
    run = create_run(
        session,
        actor=coordinator,
        layout=layout,
        filename=path.name,
        sha256=file_sha256(path),
        stored_as=path.name,
    )
    session.commit()
    report = dry_run(session, bank, path, layout)
    run = session.get(ImportRun, run.id)
    record_check(run, report)
    session.commit()
    assert run.status == CHECKED and claim(session, run)
    session.commit()
    return run


def test_progress_is_visible_outside_the_import_transaction(session, tmp_path, bank, engine_name):
    bank, coordinator = bank
    lines = [f"1,Member,2,Member,60,2020-03-{1 + i % 28:02d},r{i}," for i in range(12)]
    path = write(tmp_path, "p.csv", "\n".join(lines) + "\n")
    run = _checked_run(session, coordinator, bank, path, Layout.TIMEOVERFLOW_TRANSFERS)
    engine = session.get_bind()
    seen = []

    def look(rows):
        snapshot = REGISTRY.get(run.id)
        seen.append(("registry", snapshot.processed_rows, snapshot.total_rows))
        if engine_name == "postgresql":
            # Another connection reads the run's progress, and none of the uncommitted
            # transfers.
            with engine.connect() as other:
                processed = other.scalar(
                    sa.select(ImportRun.processed_rows).where(ImportRun.id == run.id)
                )
                transfers = other.scalar(
                    sa.select(sa.func.count())
                    .select_from(Transfer)
                    .where(Transfer.kind == TransferKind.EXCHANGE)
                )
                other.rollback()
            seen.append(("database", processed, transfers))
        else:
            # SQLite: the import holds the write lock, so a second writer cannot even
            # begin; that is why progress lives in the registry there.
            database = engine.url.database
            other = sqlite3.connect(database, timeout=0.05, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
            seen.append(("locked", rows))

    result = execute(session, run.id, path, batch_size=5, progress_hook=look, remove_file=False)

    assert result.ok, result.message
    if engine_name == "postgresql":
        assert seen == [
            ("registry", 5, 12),
            ("database", 5, 0),
            ("registry", 10, 12),
            ("database", 10, 0),
            ("registry", 12, 12),
            ("database", 12, 0),
        ]
    else:
        assert seen == [
            ("registry", 5, 12),
            ("locked", 5),
            ("registry", 10, 12),
            ("locked", 10),
            ("registry", 12, 12),
            ("locked", 12),
        ]
    assert REGISTRY.get(run.id) is None
    run = session.get(ImportRun, run.id)
    assert (run.status, run.processed_rows) == (DONE, 12)
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.time_bank_id == bank.id)
        )
        == 5
    )
