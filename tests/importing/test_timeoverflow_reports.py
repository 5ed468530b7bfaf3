"""TimeOverflow's two reports, as a coordinator downloads them, imported as they come:
every language TimeOverflow ships, members matched by number, stand-ins for former
members, and every balance checked against the members report to the minute."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.importing.support import balance_of, do_import, dry_run, ledger_state, make_bank
from tests.importing.timeoverflow_bank import ORGANISATION, later, seed_bank
from timebank.importing import ImportFailed, Layout
from timebank.importing.timeoverflow_reports import DELETED_REF, INACTIVE_REF
from timebank.importing.timeoverflow_words import LANGUAGES
from timebank.ledger.models import (
    Account,
    Membership,
    MembershipStatus,
    Organisation,
    Person,
    Transfer,
    TransferKind,
)
from timebank.ledger.verify import verify_ledger

REPORTS = Layout.TIMEOVERFLOW_REPORTS


def reports(tmp_path, bank, language="es", name=""):
    members = bank.members_report(tmp_path / f"members{name}.csv", language)
    transfers = bank.transfers_report(tmp_path / f"transfers{name}.csv", language)
    return members, transfers


def import_reports(session, coordinator, members, transfers):
    return do_import(session, coordinator, transfers, REPORTS, members_path=members)


def organisation_balance(session, bank_id, name):
    account = session.scalars(
        sa.select(Account)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(Organisation.time_bank_id == bank_id, Organisation.name == name)
    ).one()
    return account.posted_credits - account.posted_debits


@pytest.mark.parametrize("language", LANGUAGES)
def test_both_reports_import_as_they_come_and_every_balance_matches(session, tmp_path, language):
    bank, coordinator = make_bank(session)
    timeoverflow = seed_bank()
    members, transfers = reports(tmp_path, timeoverflow, language)

    report = dry_run(session, bank, transfers, REPORTS, members_path=members)
    assert report.errors == [], [issue.message for issue in report.errors]
    assert report.warnings == [], [issue.message for issue in report.warnings]
    # 6 active members in the members report, 12 transfers.
    assert (report.total_rows, report.ready_rows) == (18, 18)
    assert (report.new_members, report.stand_ins, report.new_organisations) == (6, 2, 1)
    assert report.balances_checked == 6 and report.balance_differences == []
    assert ledger_state(session, bank.id)[0] == 0  # the dry run wrote nothing

    outcome = import_reports(session, coordinator, members, transfers)

    assert outcome.transfers == 12 and outcome.repeats == 0
    assert outcome.balances_checked == 6 and outcome.balance_differences == []
    session.expire_all()
    for member in timeoverflow.members:
        if member.active and not member.deleted:
            # To the minute: TimeOverflow's balance is in seconds.
            assert balance_of(session, bank.id, str(member.uid)) * 60 == timeoverflow.balance(
                member
            ), member.username
    inactive = [m for m in timeoverflow.members if not m.active and not m.deleted]
    deleted = [m for m in timeoverflow.members if m.deleted]
    assert balance_of(session, bank.id, INACTIVE_REF) * 60 == sum(
        timeoverflow.balance(m) for m in inactive
    )
    assert balance_of(session, bank.id, DELETED_REF) * 60 == sum(
        timeoverflow.balance(m) for m in deleted
    )
    assert organisation_balance(session, bank.id, ORGANISATION) * 60 == timeoverflow.balance(
        ORGANISATION
    )
    assert verify_ledger(session, bank.id) == []


def test_members_are_people_here_with_their_number_and_stand_ins_have_left(session, tmp_path):
    bank, coordinator = make_bank(session)
    members, transfers = reports(tmp_path, seed_bank())
    import_reports(session, coordinator, members, transfers)

    rows = {
        ref: (name, email)
        for ref, name, email in session.execute(
            sa.select(Membership.external_ref, Person.display_name, Person.email)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.time_bank_id == bank.id, Membership.external_ref.is_not(None))
        )
    }
    assert rows["1"] == ("Manuel Administrador", "admin@timeoverflow.org")
    assert rows["8"] == ("Núria & Pau", "nuria.pau@timeoverflow.org")  # unescaped
    # No real email in TimeOverflow: an address nobody can receive mail at.
    assert rows["7"] == (
        'Ramon "Moncho" O\'Brien',
        f"member-7.{bank.slug}@timeoverflow.invalid",
    )
    assert rows[INACTIVE_REF][0] == "Inactive members (from TimeOverflow)"
    assert rows[DELETED_REF][0] == "Deleted members (from TimeOverflow)"
    assert "4" not in rows and "6" not in rows  # not in the members report
    statuses = dict(
        session.execute(
            sa.select(Membership.external_ref, Membership.status).where(
                Membership.time_bank_id == bank.id,
                Membership.external_ref.in_([INACTIVE_REF, DELETED_REF, "1"]),
            )
        ).all()
    )
    assert statuses == {
        INACTIVE_REF: MembershipStatus.LEFT,
        DELETED_REF: MembershipStatus.LEFT,
        "1": MembershipStatus.ACTIVE,
    }
    described = session.scalars(
        sa.select(Transfer.description)
        .where(Transfer.time_bank_id == bank.id, Transfer.kind == TransferKind.EXCHANGE)
        .order_by(Transfer.service_date, Transfer.id)
    ).all()
    assert described[:2] == ["", "Ruby on Rails nivel principiante"]


def test_a_newer_export_posts_only_the_new_rows(session, tmp_path):
    bank, coordinator = make_bank(session)
    timeoverflow = seed_bank()
    import_reports(session, coordinator, *reports(tmp_path, timeoverflow, "ca"))
    before = ledger_state(session, bank.id)[0]

    newer = reports(tmp_path, later(timeoverflow), "ca", name="-newer")
    report = dry_run(session, bank, newer[1], REPORTS, members_path=newer[0])
    assert report.errors == []
    assert (report.repeats, report.ready_rows - report.balances_checked) == (12, 2)
    assert report.new_members == 0 and report.balance_differences == []

    outcome = import_reports(session, coordinator, *newer)
    assert (outcome.repeats, outcome.transfers) == (12, 2)
    session.expire_all()
    assert ledger_state(session, bank.id)[0] == before + 2
    for member in timeoverflow.members:
        if member.active and not member.deleted:
            assert balance_of(session, bank.id, str(member.uid)) * 60 == timeoverflow.balance(
                member
            )
    assert verify_ledger(session, bank.id) == []


def test_balances_that_differ_are_named_with_the_difference(session, tmp_path):
    """The members report downloaded before the last two exchanges: the dry run and the
    outcome name the members whose balance will differ, and by how much."""
    bank, coordinator = make_bank(session)
    timeoverflow = seed_bank()
    members = timeoverflow.members_report(tmp_path / "members.csv", "en")
    transfers = later(timeoverflow).transfers_report(tmp_path / "transfers.csv", "en")

    report = dry_run(session, bank, transfers, REPORTS, members_path=members)
    assert report.errors == []
    found = {d.number: (d.expected_seconds, d.minutes * 60) for d in report.balance_differences}
    manuel, anna = timeoverflow.member(1), timeoverflow.member(3)
    assert found == {
        "1": (timeoverflow.balance(manuel) + 2700, timeoverflow.balance(manuel)),
        "3": (timeoverflow.balance(anna) - 2700 + 600, timeoverflow.balance(anna)),
    }

    outcome = import_reports(session, coordinator, members, transfers)
    assert outcome.balance_difference_count == 2
    assert "2 of 6 balances differ from TimeOverflow's members report" in outcome.describe()


def test_reports_swapped_or_not_from_timeoverflow_are_refused_in_plain_words(session, tmp_path):
    bank, coordinator = make_bank(session)
    members, transfers = reports(tmp_path, seed_bank())

    swapped = dry_run(session, bank, members, REPORTS, members_path=transfers)
    assert [issue.message for issue in swapped.errors] == [
        "Members report: this is TimeOverflow's transfers report; choose it as the transfers"
        " report and the members report (its first column is N) here"
    ]
    other = tmp_path / "other.csv"
    other.write_text("external_ref,name,email\n1,A,a@example.org\n", encoding="utf-8")
    wrong = dry_run(session, bank, transfers, REPORTS, members_path=other)
    assert "this is not TimeOverflow's members report" in wrong.errors[0].message
    with pytest.raises(ImportFailed, match="transfers report"):
        import_reports(session, coordinator, transfers, members)
    assert ledger_state(session, bank.id)[0] == 0


def test_bad_rows_are_listed_with_their_report_and_line(session, tmp_path):
    bank, _ = make_bank(session)
    members, transfers = reports(tmp_path, seed_bank(), "en")
    text = transfers.read_text(encoding="utf-8").splitlines()
    text += [
        "2019-06-01 10:00:00 UTC,Nobody Here (99),Anna Laparra (3),,1:00",
        "2019-06-02 10:00:00 UTC,Anna Laparra (3),Manuel Administrador (1),,1.5",
        "2019-06-03 10:00:00 UTC,A (1),B,C,D,E (2),F,,1:00",
        "2019-06-04 10:00:00 UTC,Anna Laparra (3),Manuel Administrador (1),,0:00",
    ]
    transfers.write_text("\n".join(text) + "\n", encoding="utf-8")

    report = dry_run(session, bank, transfers, REPORTS, members_path=members)

    assert [(issue.line, issue.message) for issue in report.errors] == [
        (
            14,
            "Transfers report: the from 'Nobody Here (99)' is member number 99, who is not in"
            " the members report (download both reports at the same time)",
        ),
        (
            15,
            "Transfers report: the quantity '1.5' is not hours and minutes as TimeOverflow"
            " writes them (1:30)",
        ),
        (
            16,
            "Transfers report: this is a transfer between two allied time banks (three names"
            " on each side), which this import cannot read yet; record it here by hand",
        ),
    ]
    assert [issue.line for issue in report.warnings] == [17]
    assert "less than a minute" in report.warnings[0].message


def test_a_renamed_member_is_matched_by_number_with_a_note(session, tmp_path):
    bank, coordinator = make_bank(session)
    timeoverflow = seed_bank()
    members = timeoverflow.members_report(tmp_path / "members.csv", "gl")
    timeoverflow.member(2).username = "Josep M. Calastruc"
    transfers = timeoverflow.transfers_report(tmp_path / "transfers.csv", "gl")

    report = dry_run(session, bank, transfers, REPORTS, members_path=members)
    assert report.errors == []
    assert report.warning_count == 4  # the rows naming member 2
    assert "matched by the number" in report.warnings[0].message
    outcome = import_reports(session, coordinator, members, transfers)
    assert outcome.balance_differences == []


def test_a_report_that_is_not_utf8_is_named(session, tmp_path):
    bank, _ = make_bank(session)
    members, transfers = reports(tmp_path, seed_bank(), "ca")
    transfers.write_bytes(transfers.read_text(encoding="utf-8").encode("latin-1"))
    report = dry_run(session, bank, transfers, REPORTS, members_path=members)
    assert [issue.message for issue in report.errors] == [
        "Transfers report: the file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8"
    ]


def test_a_stand_ins_hours_can_be_given_back_to_a_returning_member(session, tmp_path):
    """The merge the guide describes: reverse the stand-in's entry, record it again for
    the right person; the stand-in then holds only the other former members' hours."""
    from timebank.ledger.database import run_in_transaction
    from timebank.ledger.transfers import reverse_transfer

    bank, coordinator = make_bank(session)
    timeoverflow = seed_bank()
    import_reports(session, coordinator, *reports(tmp_path, timeoverflow))
    stand_in = (
        session.scalars(
            sa.select(Account)
            .join(Membership, Membership.id == Account.membership_id)
            .where(Membership.time_bank_id == bank.id, Membership.external_ref == INACTIVE_REF)
        )
        .one()
        .id
    )
    # Julia (inactive in TimeOverflow) paid Anna 45 minutes for small repairs.
    entry = session.scalars(
        sa.select(Transfer).where(
            Transfer.debit_account_id == stand_in, Transfer.description.like("Pequeñas%")
        )
    ).one()
    before = balance_of(session, bank.id, INACTIVE_REF)

    run_in_transaction(
        session,
        lambda: reverse_transfer(
            session,
            actor=coordinator,
            transfer_id=entry.id,
            reason="Julia's own exchange: she has rejoined",
        ),
    )

    session.expire_all()
    assert balance_of(session, bank.id, INACTIVE_REF) == before + entry.minutes
    assert verify_ledger(session, bank.id) == []
