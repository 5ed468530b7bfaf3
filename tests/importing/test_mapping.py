"""Columns chosen by the coordinator: the guess from a header, the checks of a mapping,
and the reader, the dry run and the real import reading each field from its column."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.importing.support import (
    do_import,
    dry_run,
    import_members,
    ledger_state,
    make_bank,
    write,
)
from timebank.importing import ImportFailed, Layout, load_lookups
from timebank.importing.mapping import (
    guess_mapping,
    header_matches,
    mapping_from_json,
    mapping_problems,
)
from timebank.importing.preview import mapped_preview
from timebank.importing.reading import read_rows
from timebank.importing.rows import MemberRow, TransferRow
from timebank.importing.words import render
from timebank.ledger.models import Membership, Person

NATURAL = "Full name,E-mail,Phone\nNia Jones,Nia@Example.org,0123\nOwen Price,owen@example.org,\n"


def english(problems):
    return {name: str(text) for name, text in problems.items()}


# The guess and the checks: pure, no database ----------------------------------------


def test_the_guess_takes_exact_names_then_any_case_then_known_other_names():
    header = ["E-mail", "Full name", "Phone", "Member number", "JOINED_ON"]
    assert guess_mapping(Layout.MEMBERS, header) == {
        "name": 1,
        "email": 0,
        "external_ref": 3,
        "joined_on": 4,
    }
    assert guess_mapping(Layout.MEMBERS, ["Name", "Email"]) == {"name": 0, "email": 1}
    # The exact name wins over another name for the same field, wherever it stands.
    assert guess_mapping(Layout.MEMBERS, ["Full name", "name", "email"])["name"] == 1
    assert guess_mapping(Layout.MEMBERS, ["Enw", "E-bost"]) == {"name": 0, "email": 1}
    assert guess_mapping(Layout.MEMBERS, ["Colour", "Size"]) == {}


def test_the_guess_never_takes_one_column_twice_nor_hours_and_minutes():
    assert guess_mapping(Layout.TRANSFERS, ["From", "To", "Hours", "Minutes", "Date"]) == {
        "giver": 0,
        "receiver": 1,
        "hours": 2,
        "date": 4,
    }
    assert guess_mapping(Layout.MEMBERS, ["email", "email"]) == {"email": 0}


def test_a_header_matches_when_it_names_every_needed_column_once():
    assert header_matches(Layout.MEMBERS, ["Name", "Email"])
    assert header_matches(Layout.MEMBERS, [" NAME ", "email", "whatever"])
    assert not header_matches(Layout.MEMBERS, ["Full name", "E-mail"])
    assert not header_matches(Layout.MEMBERS, ["name", "email", "Name"])
    assert header_matches(Layout.TRANSFERS, ["giver_email", "receiver", "hours", "date"])
    assert not header_matches(Layout.TRANSFERS, ["giver", "receiver", "date"])
    assert not header_matches(Layout.TRANSFERS, ["giver", "receiver", "hours", "minutes", "date"])


def test_a_mapping_is_refused_field_by_field():
    assert mapping_problems(Layout.MEMBERS, {"name": 0, "email": 1}, 3) == {}
    assert english(mapping_problems(Layout.MEMBERS, {"name": 0}, 2)) == {
        "email": "Choose the column that holds: Email."
    }
    assert english(mapping_problems(Layout.MEMBERS, {"name": 0, "email": 0}, 2)) == {
        "email": "Column 1 is already chosen for Name: choose each column once."
    }
    assert english(mapping_problems(Layout.MEMBERS, {"name": 0, "email": 5}, 2)) == {
        "email": "Choose one of the file's columns."
    }
    assert english(mapping_problems(Layout.MEMBERS, {"name": 0, "email": 1, "colour": 2}, 3)) == {
        "colour": "This layout has no such field."
    }


def test_a_transfers_mapping_needs_one_of_each_pair_and_not_hours_and_minutes():
    problems = english(mapping_problems(Layout.TRANSFERS, {"receiver_email": 1, "date": 2}, 5))
    assert problems == {
        "giver": "Choose the column that holds Giver (number or id), or the one that holds"
        " Giver's email.",
        "hours": "Choose the column that holds Hours, or the one that holds Minutes.",
    }
    both = {"giver": 0, "receiver": 1, "hours": 2, "minutes": 3, "date": 4}
    assert english(mapping_problems(Layout.TRANSFERS, both, 5)) == {
        "minutes": "Choose a column for hours or for minutes, not both."
    }


def test_a_kept_mapping_is_read_back_only_when_it_is_one():
    assert mapping_from_json({"name": 0, "email": 1}) == {"name": 0, "email": 1}
    assert mapping_from_json({"name": "0"}) is None
    assert mapping_from_json({"name": True}) is None
    assert mapping_from_json(None) is None
    assert mapping_from_json([["name", 0]]) is None


# The reader with a mapping, on a real database -------------------------------------


def test_a_natural_members_file_is_read_with_its_columns_mapped(session, tmp_path):
    bank, _coordinator = make_bank(session)
    path = write(tmp_path, "people.csv", NATURAL)
    lookups = load_lookups(session, bank.id)
    session.rollback()
    without = dry_run(session, bank, path, Layout.MEMBERS)
    assert without.file_problem  # the header names no 'name' column
    items = list(read_rows(path, Layout.MEMBERS, lookups, mapping={"name": 0, "email": 1}))
    rows = [item for item in items if isinstance(item, MemberRow)]
    assert [(row.line, row.name, row.email) for row in rows] == [
        (2, "Nia Jones", "nia@example.org"),
        (3, "Owen Price", "owen@example.org"),
    ]
    notes = [item.message for item in items if not isinstance(item, MemberRow)]
    assert notes == ["the column 'Phone' was not matched to anything and is ignored"]


def test_a_mapped_members_file_is_checked_and_imported_all_or_nothing(session, tmp_path):
    bank, coordinator = make_bank(session)
    mapping = {"name": 0, "email": 1}
    bad = write(tmp_path, "bad.csv", NATURAL + "Eve Evans,not-an-email,\n")
    report = dry_run(session, bank, bad, Layout.MEMBERS, mapping=mapping)
    assert (report.total_rows, report.ready_rows, report.error_count) == (3, 2, 1)
    assert report.errors[0].line == 4
    assert report.errors[0].message == "'not-an-email' is not an email address"
    before = ledger_state(session, bank.id)
    with pytest.raises(ImportFailed):
        do_import(session, coordinator, bad, Layout.MEMBERS, mapping=mapping)
    assert ledger_state(session, bank.id) == before

    good = write(tmp_path, "good.csv", NATURAL)
    assert dry_run(session, bank, good, Layout.MEMBERS, mapping=mapping).ok
    outcome = do_import(session, coordinator, good, Layout.MEMBERS, mapping=mapping)
    assert outcome.members == 2
    names = session.scalars(
        sa.select(Person.display_name)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.time_bank_id == bank.id, Person.email.like("%@example.org"))
        .order_by(Person.display_name)
    ).all()
    assert "Nia Jones" in names and "Owen Price" in names


def test_a_mapped_transfers_file_reads_each_field_from_its_column(session, tmp_path):
    bank, coordinator = make_bank(session)
    import_members(session, coordinator, tmp_path)
    text = "When,Hrs,What,From,To\n2024-04-02,1.5,Gardening,1,2\n"
    path = write(tmp_path, "exchanges.csv", text)
    mapping = {"giver": 3, "receiver": 4, "hours": 1, "date": 0, "description": 2}
    lookups = load_lookups(session, bank.id)
    session.rollback()
    rows = [
        item
        for item in read_rows(path, Layout.TRANSFERS, lookups, mapping=mapping)
        if isinstance(item, TransferRow)
    ]
    assert len(rows) == 1
    row = rows[0]
    assert (row.minutes, row.service_date.isoformat(), row.description) == (
        90,
        "2024-04-02",
        "Gardening",
    )
    assert row.credit_account_id == lookups.member_refs["1"]  # the giver
    assert row.debit_account_id == lookups.member_refs["2"]
    outcome = do_import(session, coordinator, path, Layout.TRANSFERS, mapping=mapping)
    assert (outcome.transfers, outcome.minutes) == (1, 90)


def test_a_mapping_that_no_longer_fits_the_file_is_a_file_problem(session, tmp_path):
    bank, _coordinator = make_bank(session)
    path = write(tmp_path, "people.csv", NATURAL)
    report = dry_run(session, bank, path, Layout.MEMBERS, mapping={"name": 0, "email": 7})
    assert report.file_problem
    assert report.errors[0].message == "the columns chosen do not fit this file: choose them again"
    report = dry_run(session, bank, path, Layout.MEMBERS, mapping={"name": 0})
    assert report.errors[0].message == "no column was chosen for 'email'"


def test_the_mapped_preview_shows_the_first_rows_with_what_the_check_says(session, tmp_path):
    bank, coordinator = make_bank(session)
    import_members(session, coordinator, tmp_path)  # alice@example.org is a member now
    text = NATURAL + "Alice Again,alice@example.org,\n,lost@example.org,\n"
    path = write(tmp_path, "people.csv", text)
    lookups = load_lookups(session, bank.id)
    session.rollback()
    rows, problem = mapped_preview(path, Layout.MEMBERS, lookups, {"email": 1, "name": 0})
    assert problem is None
    assert [(row.line, row.cells) for row in rows] == [
        (2, {"email": "Nia@Example.org", "name": "Nia Jones"}),
        (3, {"email": "owen@example.org", "name": "Owen Price"}),
        (4, {"email": "alice@example.org", "name": "Alice Again"}),
        (5, {"email": "lost@example.org", "name": ""}),
    ]
    assert [render(row.problems) if row.problems else None for row in rows] == [
        None,
        None,
        "'alice@example.org' is already a member of this time bank",
        "the name is missing",
    ]
    few, _ = mapped_preview(path, Layout.MEMBERS, lookups, {"email": 1, "name": 0}, count=2)
    assert [row.line for row in few] == [2, 3]
