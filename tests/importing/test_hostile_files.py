"""Import files that break the CSV rules (issue 11, finding 9): a quote that is never
closed swallowed every following line without a word; a file with no rows said
"1 bad row out of 0"."""

from __future__ import annotations

import pytest

from tests.importing.support import dry_run, make_bank, write
from timebank.importing import Layout
from timebank.importing.preview import preview_rows
from timebank.importing.rows import read_records


@pytest.fixture
def bank(session):
    return make_bank(session)[0]


def test_an_unclosed_quote_is_a_bad_row_with_its_line(session, tmp_path, bank):
    # Line 3 opens a quote and never closes it: the csv module would read lines 3-5 as
    # one record (Bob's email holding Carol's and Dan's rows) and say nothing.
    text = (
        "name,email\n"
        "Alice Ashdown,alice@example.org\n"
        'Bob Brennan,"bob@example.org\n'
        "Carol Cheung,carol@example.org\n"
        "Dev Dhillon,dev@example.org\n"
    )
    report = dry_run(session, bank, write(tmp_path, "m.csv", text), Layout.MEMBERS)
    assert [(issue.line, issue.message) for issue in report.errors] == [
        (
            3,
            'a quote mark (") in this row is never closed, so lines 3 to 5 were read as one'
            " row: close the quote, or remove it",
        )
    ]
    assert (report.total_rows, report.ready_rows, report.error_count) == (2, 1, 1)
    assert not report.ok and not report.file_problem and not report.no_rows


def test_an_unclosed_quote_in_a_description_is_refused_too(session, tmp_path, bank):
    # Where the swallowed lines would have passed as one long description.
    text = (
        "giver,receiver,hours,date,description\n"
        'alice@example.org,bob@example.org,1,2020-01-01,"Gardening\n'
        "bob@example.org,alice@example.org,2,2020-01-02,Shopping\n"
    )
    report = dry_run(session, bank, write(tmp_path, "t.csv", text), Layout.TRANSFERS)
    assert [issue.line for issue in report.errors] == [2]
    assert "never closed" in report.errors[0].message


def test_quotes_that_close_are_read_as_before(tmp_path):
    text = 'name,note\n"Alice","two\nlines"\nBob,plain "inner" quotes\n"Carol","last"'
    assert list(read_records(write(tmp_path, "ok.csv", text))) == [
        (1, ["name", "note"]),
        (2, ["Alice", "two\nlines"]),
        (4, ["Bob", 'plain "inner" quotes']),
        (5, ["Carol", "last"]),
    ]
    # The preview shows what was read before such a quote, and nothing breaks.
    broken = write(tmp_path, "broken.csv", 'name,email\nA,a@example.org\n"B,b@example.org\n')
    assert preview_rows(broken) == [["name", "email"], ["A", "a@example.org"]]


@pytest.mark.parametrize(
    ("text", "layout"),
    [
        ("name,email\n", Layout.MEMBERS),
        ("name,email\n,\n\n", Layout.MEMBERS),
        ("giver,receiver,hours,date\n", Layout.TRANSFERS),
        ("", Layout.TIMEOVERFLOW_TRANSFERS),
        ("\n\n", Layout.TIMEOVERFLOW_TRANSFERS),
        ("", Layout.MEMBERS),
    ],
)
def test_a_file_with_no_rows_says_so(session, tmp_path, bank, text, layout):
    report = dry_run(session, bank, write(tmp_path, "empty.csv", text), layout)
    assert report.no_rows and not report.ok and not report.file_problem
    assert report.total_rows == 0
    assert [issue.message for issue in report.errors] == [
        "the file has no rows to import, only a header row or nothing at all"
    ]
