"""``read_rows``: every data row of a file in its layout, parsed and checked, in file
order."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from timebank.importing.generic_layouts import generic_transfer_rows, member_rows
from timebank.importing.rows import (
    NOT_UTF8,
    BadFile,
    BankLookups,
    Issue,
    Layout,
    MemberRow,
    TransferRow,
    UnclosedQuote,
)
from timebank.importing.timeoverflow_layout import timeoverflow_rows
from timebank.importing.timeoverflow_reports import (
    ExpectedBalance,
    NewOrganisation,
    in_members,
    in_transfers,
    members_report_rows,
)
from timebank.importing.timeoverflow_transfers_report import transfers_report_rows
from timebank.importing.words import _l

Item = TransferRow | MemberRow | Issue | ExpectedBalance | NewOrganisation


def read_rows(
    path: Path,
    layout: Layout,
    lookups: BankLookups,
    members_path: Path | None = None,
    mapping: dict[str, int] | None = None,
) -> Generator[Item, None, None]:
    """Every data row of the file, parsed and checked, in file order. For TimeOverflow's
    reports ``path`` is the transfers report and ``members_path`` the members report
    (read first). ``mapping`` (this app's own layouts only: ``timebank.importing.mapping``)
    says which column holds which field when the header does not name them.

    A row with problems yields one error :class:`Issue` (all its reasons, joined) and
    no parsed row; a good row may be preceded by warnings. A file that cannot be read
    at all raises :class:`BadFile`."""
    if mapping is not None and layout not in (Layout.MEMBERS, Layout.TRANSFERS):
        raise ValueError(f"the layout {layout} has fixed columns")
    try:
        if layout == Layout.TIMEOVERFLOW_REPORTS:
            if members_path is None:
                raise BadFile(_l("TimeOverflow's members report is missing"))
            names: dict[str, str] = {}  # the members report's names, by number
            try:
                yield from members_report_rows(members_path, lookups, names)
            except UnicodeDecodeError:
                raise BadFile(in_members(NOT_UTF8)) from None
            except UnclosedQuote as error:
                raise UnclosedQuote(error.line, error.last_line, in_members(error.text)) from None
            try:
                yield from transfers_report_rows(path, lookups, names)
            except UnicodeDecodeError:
                raise BadFile(in_transfers(NOT_UTF8)) from None
            except UnclosedQuote as error:
                raise UnclosedQuote(error.line, error.last_line, in_transfers(error.text)) from None
        elif layout == Layout.TIMEOVERFLOW_TRANSFERS:
            yield from timeoverflow_rows(path, lookups)
        elif layout == Layout.TRANSFERS:
            yield from generic_transfer_rows(path, lookups, mapping)
        else:
            yield from member_rows(path, lookups, mapping)
    except UnicodeDecodeError:
        raise BadFile(NOT_UTF8) from None
