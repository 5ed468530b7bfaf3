"""CSV exports on a real database: the files parse back, every value matches the ledger,
a long ledger streams in chunks, formulas are neutralised and nothing of another time
bank is ever included."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TimeBankFactory,
    bank_today,
)
from tests.ledger.test_verify import history
from timebank.ledger import errors
from timebank.ledger.banks import update_policy
from timebank.ledger.group import record_group_exchange
from timebank.ledger.models import (
    Account,
    AuditEntry,
    MembershipStatus,
    Transfer,
    TransferStatus,
)
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger
from timebank.reports.exports import (
    BALANCE_COLUMNS,
    MEMBER_COLUMNS,
    TRANSFER_COLUMNS,
    TransferFilter,
    balances_csv,
    export_filename,
    members_csv,
    record_export,
    safe_cell,
    transfers_csv,
)

TODAY = bank_today()


def parse(chunks) -> list[dict[str, str]]:
    text = "".join(chunks)
    assert text.startswith("\ufeff"), "the file starts with a byte order mark for Excel"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@pytest.fixture
def two_banks(session):
    """Bank A with a full history; bank B with its own members and exchanges."""
    a = history(session)
    other = TimeBankFactory(slug="elsewhere")
    update_policy(
        session, actor=None, bank=other, requires_confirmation=False, requires_approval=False
    )
    outsider = MembershipFactory(
        bank=other, person=PersonFactory(email="outsider@elsewhere.example")
    )
    friend = MembershipFactory(bank=other)
    record_transfer(
        session,
        actor=outsider,
        giver=outsider.account,
        receiver=friend.account,
        minutes=75,
        service_date=TODAY,
        description="Secret of another bank",
    )
    session.commit()
    return a["bank"], other


# Members ------------------------------------------------------------------------------


def test_members_export_matches_the_ledger(session, two_banks):
    bank, _other = two_banks
    rows = parse(members_csv(session, bank.id))
    assert list(rows[0].keys()) == MEMBER_COLUMNS
    accounts = {
        a.membership_id: a
        for a in session.scalars(
            sa.select(Account).where(Account.time_bank_id == bank.id, Account.kind == "member")
        )
    }
    assert {int(r["membership_id"]) for r in rows} == set(accounts)
    for row in rows:
        account = accounts[int(row["membership_id"])]
        membership = account.membership
        assert row["name"] == membership.person.display_name
        assert row["email"] == membership.person.email
        assert row["role"] == str(membership.role)
        assert row["status"] == str(membership.status)
        assert row["joined"] == membership.joined_at.date().isoformat()
        assert int(row["account_id"]) == account.id
        assert int(row["balance_minutes"]) == account.balance
        assert Decimal(row["balance_hours"]) == (Decimal(account.balance) / 60).quantize(
            Decimal("0.01")
        )
        assert row["consent_reporting"] == ("yes" if membership.consent_reporting else "no")
    # A negative balance stays a plain number (not text with a quote in front).
    negative = [r for r in rows if int(r["balance_minutes"]) < 0]
    assert negative and all(r["balance_hours"].startswith("-") for r in negative)
    text = "".join(members_csv(session, bank.id))
    assert "elsewhere.example" not in text


def test_members_of_every_status_and_their_references_are_exported(session):
    bank = TimeBankFactory()
    applicant = MembershipFactory(bank=bank, status=MembershipStatus.APPLIED, consent_research=True)
    applicant.external_ref = "TO-1234"
    session.commit()
    (row,) = parse(members_csv(session, bank.id))
    assert row["status"] == "applied"
    assert row["external_ref"] == "TO-1234"
    assert row["consent_research"] == "yes"
    assert row["balance_minutes"] == "0"


# Transfers ----------------------------------------------------------------------------


def test_transfers_export_matches_the_ledger(session, two_banks):
    bank, _other = two_banks
    rows = parse(transfers_csv(session, bank.id))
    assert list(rows[0].keys()) == TRANSFER_COLUMNS
    transfers = session.scalars(
        sa.select(Transfer).where(Transfer.time_bank_id == bank.id).order_by(Transfer.id)
    ).all()
    assert [int(r["id"]) for r in rows] == [t.id for t in transfers]
    for row, transfer in zip(rows, transfers, strict=True):
        assert row["service_date"] == transfer.service_date.isoformat()
        assert row["status"] == str(transfer.status)
        assert row["kind"] == str(transfer.kind)
        # Time goes from the credited side (the giver); credits from the debited side.
        is_time = str(transfer.kind) in ("exchange", "group")
        origin, destination = (
            (transfer.credit_account, transfer.debit_account)
            if is_time
            else (transfer.debit_account, transfer.credit_account)
        )
        assert row["counts_as_time"] == ("yes" if is_time else "no")
        assert int(row["from_account_id"]) == origin.id
        assert int(row["to_account_id"]) == destination.id
        assert row["from"] == origin.label.replace("Community pot", "the community pot").replace(
            "Opening balances", "opening balances"
        )
        assert int(row["minutes"]) == transfer.minutes
        assert Decimal(row["hours"]) * 60 == pytest.approx(transfer.minutes, abs=0.5)
        assert row["description"] == (transfer.description or "")
        assert row["reason"] == (transfer.reason or "")
        assert row["reverses_id"] == (str(transfer.reverses_id) if transfer.reverses_id else "")
        assert row["batch_id"] == (transfer.batch_id or "")
        assert (row["posted_at"] != "") == (transfer.status == TransferStatus.POSTED)
    reversal = next(r for r in rows if r["kind"] == "reversal")
    assert reversal["reason"] == "Twice"
    assert {r["status"] for r in rows} == {"posted", "pending", "rejected"}
    assert "Secret of another bank" not in "".join(transfers_csv(session, bank.id))


def test_transfers_can_be_filtered_by_status_and_date(session):
    bank = TimeBankFactory()
    update_policy(
        session, actor=None, bank=bank, requires_confirmation=False, requires_approval=False
    )
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    for days_ago in (20, 10, 5, 0):
        record_transfer(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            minutes=30,
            service_date=TODAY - timedelta(days=days_ago),
            description=f"{days_ago} days ago",
        )
    update_policy(session, actor=None, bank=bank, requires_confirmation=True)
    record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=45,
        service_date=TODAY,
        description="waiting",
    )
    session.commit()
    window = TransferFilter(date_from=TODAY - timedelta(days=10), date_to=TODAY - timedelta(days=5))
    assert [r["description"] for r in parse(transfers_csv(session, bank.id, window))] == [
        "10 days ago",
        "5 days ago",
    ]
    pending = TransferFilter(status=TransferStatus.PENDING)
    assert [r["description"] for r in parse(transfers_csv(session, bank.id, pending))] == [
        "waiting"
    ]
    posted_today = TransferFilter(date_from=TODAY, status=TransferStatus.POSTED)
    assert [r["description"] for r in parse(transfers_csv(session, bank.id, posted_today))] == [
        "0 days ago"
    ]
    nothing = TransferFilter(date_from=TODAY + timedelta(days=1))
    assert parse(transfers_csv(session, bank.id, nothing)) == []


# Balances -----------------------------------------------------------------------------


def test_balances_export_matches_the_accounts_and_sums_to_zero(session, two_banks):
    bank, _other = two_banks
    rows = parse(balances_csv(session, bank.id))
    assert list(rows[0].keys()) == BALANCE_COLUMNS
    accounts = {
        a.id: a for a in session.scalars(sa.select(Account).where(Account.time_bank_id == bank.id))
    }
    assert {int(r["account_id"]) for r in rows} == set(accounts)
    for row in rows:
        account = accounts[int(row["account_id"])]
        assert row["kind"] == str(account.kind)
        assert int(row["balance_minutes"]) == account.balance
        assert int(row["credits_minutes"]) == account.posted_credits
        assert int(row["debits_minutes"]) == account.posted_debits
        assert int(row["pending_credits_minutes"]) == account.pending_credits
        assert int(row["pending_debits_minutes"]) == account.pending_debits
    assert sum(int(r["balance_minutes"]) for r in rows) == 0
    holders = {r["holder"] for r in rows}
    assert "the community pot" in holders and "opening balances" in holders
    assert any(r["kind"] == "organisation" for r in rows)


# Streaming ----------------------------------------------------------------------------


def many_transfers(session, count: int):
    """``count`` real transfers through the group-exchange service: an organisation
    and 50 members, the organisation giving and receiving in turn."""
    bank = TimeBankFactory()
    update_policy(
        session, actor=None, bank=bank, requires_confirmation=False, requires_approval=False
    )
    coordinator = CoordinatorFactory(bank=bank)
    hub = OrganisationFactory(bank=bank).account
    members = [MembershipFactory(bank=bank).account for _ in range(50)]
    for n in range(count // 50):
        record_group_exchange(
            session,
            actor=coordinator,
            hub=hub,
            hub_gives=n % 2 == 0,
            participants=[(account, 15 + n // 2 % 4 * 15) for account in members],
            service_date=TODAY,
        )
    session.commit()
    return bank


def test_five_thousand_transfers_stream_in_chunks_in_constant_memory(session):
    bank = many_transfers(session, 5_000)
    assert verify_ledger(session, bank.id) == []
    pieces = list(transfers_csv(session, bank.id, chunk_size=500))
    # The header, then one piece per 500 rows: the file is never built whole.
    assert len(pieces) == 1 + 10
    assert all(piece.count("\r\n") == 500 for piece in pieces[1:])
    rows = parse(pieces)
    assert len(rows) == 5_000
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)
    total = session.scalar(
        sa.select(sa.func.sum(Transfer.minutes)).where(Transfer.time_bank_id == bank.id)
    )
    assert sum(int(r["minutes"]) for r in rows) == total

    def peak(limit: int) -> int:
        tracemalloc.start()
        try:
            for number, _piece in enumerate(transfers_csv(session, bank.id, chunk_size=250)):
                if number * 250 >= limit:
                    break
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_000), peak(5_000)
    # Reading five times as many rows takes about the same memory: one chunk at a time.
    assert large < small * 1.5, (small, large)


def test_the_first_piece_comes_before_the_ledger_is_read(session):
    bank = many_transfers(session, 100)
    generator = transfers_csv(session, bank.id, chunk_size=40)
    assert next(generator).startswith("\ufeffid,")
    assert next(generator).count("\r\n") == 40
    assert [piece.count("\r\n") for piece in generator] == [40, 20]


def test_an_export_refuses_unsaved_changes(session):
    bank = TimeBankFactory()
    session.commit()
    session.add(Account(time_bank_id=bank.id, kind="member"))
    with pytest.raises(RuntimeError):
        list(members_csv(session, bank.id))
    session.rollback()


# Formula injection --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"],
)
def test_a_cell_that_looks_like_a_formula_is_neutralised(text):
    assert safe_cell(text) == "'" + text


def test_ordinary_values_are_left_alone():
    assert safe_cell("Weeding the garden") == "Weeding the garden"
    assert safe_cell(-90) == -90
    assert safe_cell(Decimal("-1.50")) == Decimal("-1.50")
    assert safe_cell(None) == ""
    assert safe_cell(True) == "yes"
    assert safe_cell(date(2024, 5, 1)) == "2024-05-01"


def test_formulas_in_names_and_descriptions_are_neutralised_in_the_files(session):
    bank = TimeBankFactory()
    update_policy(
        session, actor=None, bank=bank, requires_confirmation=False, requires_approval=False
    )
    mallory = MembershipFactory(
        bank=bank, person=PersonFactory(display_name='=HYPERLINK("http://evil.example")')
    )
    bob = MembershipFactory(bank=bank, person=PersonFactory(display_name="@Bob"))
    record_transfer(
        session,
        actor=mallory,
        giver=mallory.account,
        receiver=bob.account,
        minutes=60,
        service_date=TODAY,
        description="+cmd|' /C calc'!A0",
    )
    session.commit()
    members = parse(members_csv(session, bank.id))
    assert {r["name"] for r in members} == {'\'=HYPERLINK("http://evil.example")', "'@Bob"}
    (transfer,) = parse(transfers_csv(session, bank.id))
    assert transfer["description"] == "'+cmd|' /C calc'!A0"
    assert transfer["from"].startswith("'=") and transfer["to"] == "'@Bob"
    balances = parse(balances_csv(session, bank.id))
    assert {r["holder"] for r in balances if r["kind"] == "member"} == {
        '\'=HYPERLINK("http://evil.example")',
        "'@Bob",
    }
    # The receiver's balance is -60 minutes: a number, not neutralised text.
    assert {r["balance_minutes"] for r in balances if r["holder"] == "'@Bob"} == {"-60"}


# Recording exports --------------------------------------------------------------------


def test_an_export_is_recorded_in_the_audit_log(session):
    bank = TimeBankFactory()
    coordinator = CoordinatorFactory(bank=bank)
    record_export(
        session,
        actor=coordinator,
        bank=bank,
        what="transfers",
        filters={"status": "posted", "date_from": None},
    )
    session.commit()
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank.id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one()
    assert entry.action == "export.transfers"
    assert entry.actor_id == coordinator.id
    assert json.loads(entry.after) == {"format": "csv", "status": "posted"}
    assert verify_ledger(session, bank.id) == []


def test_only_a_coordinator_of_the_bank_may_export(session):
    bank, other = TimeBankFactory(), TimeBankFactory()
    member = MembershipFactory(bank=bank)
    stranger = CoordinatorFactory(bank=other)
    with pytest.raises(errors.NotAllowedError):
        record_export(session, actor=member, bank=bank, what="members")
    with pytest.raises(errors.NotAllowedError):
        record_export(session, actor=stranger, bank=bank, what="members")


def test_the_file_name_has_the_bank_and_the_date(session):
    bank = TimeBankFactory(slug="riverside")
    assert export_filename(bank, "members", date(2025, 3, 9)) == "riverside-members-2025-03-09.csv"


def test_organisations_appear_in_balances_not_members(session):
    bank = TimeBankFactory()
    OrganisationFactory(bank=bank, name="Council Team")
    session.commit()
    assert parse(members_csv(session, bank.id)) == []
    assert "Council Team" in {r["holder"] for r in parse(balances_csv(session, bank.id))}
