"""The dry run: read the whole file, find every bad row, write nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from timebank.importing.balances import KEEP_DIFFERENCES, BalanceCheck, BalanceDifference
from timebank.importing.identity import KnownKeys, RowKeys, in_batches, nothing_known
from timebank.importing.reading import Item, read_rows
from timebank.importing.rows import (
    BadFile,
    BankLookups,
    EmptyFile,
    Issue,
    Layout,
    MemberRow,
    TransferRow,
    UnclosedQuote,
)
from timebank.importing.timeoverflow_reports import STAND_INS, ExpectedBalance, NewOrganisation
from timebank.importing.words import _l

# How many errors (and warnings) a report keeps to show; the counts are always exact.
KEEP_ISSUES = 10_000
BATCH_SIZE = 5_000

NO_ROWS = _l("the file has no rows to import, only a header row or nothing at all")


@dataclass
class CheckReport:
    total_rows: int = 0
    ready_rows: int = 0
    error_count: int = 0
    warning_count: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # Rows already in the ledger (an earlier import of the same rows): skipped.
    repeats: int = 0
    new_members: int = 0
    stand_ins: int = 0
    new_organisations: int = 0
    balances_checked: int = 0
    balance_difference_count: int = 0
    balance_differences: list[BalanceDifference] = field(default_factory=list)
    # The file as a whole could not be read as this layout (its header, its encoding).
    file_problem: bool = False
    # The file was read and holds no row at all (a header row alone, or nothing).
    no_rows: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, issue: Issue, keep: int) -> None:
        self.error_count += 1
        if len(self.errors) < keep:
            self.errors.append(issue)


def check_file(
    lookups: BankLookups,
    path: Path,
    layout: Layout,
    *,
    keep: int = KEEP_ISSUES,
    members_path: Path | None = None,
    known: KnownKeys = nothing_known,
    batch_size: int = BATCH_SIZE,
    on_issue: Callable[[Issue], None] | None = None,
    mapping: dict[str, int] | None = None,
) -> CheckReport:
    """Every bad row of the file with its line number, and the rows already imported
    (``known`` answers which keys the time bank has; without it none are).
    ``on_issue`` hears of each error and note as it is found; ``mapping`` says which
    column holds which field (``timebank.importing.mapping``)."""
    report = CheckReport()
    balances = BalanceCheck()
    keys = RowKeys(known)
    stopped: list[BadFile] = []
    try:
        items = _to_the_end(read_rows(path, layout, lookups, members_path, mapping), stopped)
        for group in in_batches(items, batch_size):
            keys.mark([item for item in group if isinstance(item, TransferRow)])
            for item in group:
                issue = _count(report, balances, item, keep)
                if issue is not None and on_issue is not None:
                    on_issue(issue)
    finally:
        keys.close()
    for error in stopped:
        report.file_problem = True
        report.error(Issue(error.line, error.text), keep)
        if on_issue is not None:
            on_issue(Issue(error.line, error.text))
    if report.total_rows == 0 and not report.file_problem:
        report.no_rows = True
        report.error(Issue(1, NO_ROWS), keep)
        if on_issue is not None:
            on_issue(Issue(1, NO_ROWS))
    report.balances_checked = balances.checked
    differences = balances.differences()
    report.balance_difference_count = len(differences)
    report.balance_differences = differences[:KEEP_DIFFERENCES]
    return report


def _to_the_end(items: Iterator[Item], stopped: list[BadFile]) -> Iterator[Item]:
    """The items read; a quote never closed as the bad row it is (the file's last); a
    file that cannot be read on put in ``stopped``, so that the rows read before it
    are still counted."""
    try:
        yield from items
    except UnclosedQuote as error:
        yield Issue(error.line, error.text)
    except EmptyFile:
        return  # said as "no rows"
    except BadFile as error:
        stopped.append(error)


def _count(report: CheckReport, balances: BalanceCheck, item, keep: int) -> Issue | None:
    """Count one item; the issue it is or raises, if any."""
    if isinstance(item, Issue):
        if item.warning:
            report.warning_count += 1
            if len(report.warnings) < keep:
                report.warnings.append(item)
        else:
            report.total_rows += 1
            report.error(item, keep)
        return item
    elif isinstance(item, ExpectedBalance):
        report.total_rows += 1
        report.ready_rows += 1
        balances.expect(item)
    elif isinstance(item, NewOrganisation):
        report.new_organisations += 1
    elif isinstance(item, TransferRow):
        report.total_rows += 1
        if item.duplicate:
            issue = Issue(item.line, duplicate_text(item))
            report.error(issue, keep)
            return issue
        if item.repeat:
            report.repeats += 1
        else:
            report.ready_rows += 1
            balances.add(item)
    elif isinstance(item, MemberRow):
        if item.counted:
            report.total_rows += 1
            report.ready_rows += 1
        if item.external_ref in STAND_INS:
            report.stand_ins += 1
        else:
            report.new_members += 1
    return None


def duplicate_text(row: TransferRow):
    return _l("the transfer_id %(id)s appears more than once in the file", id=repr(row.source_id))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def reports_sha256(members_path: Path, transfers_path: Path) -> str:
    """One hash for TimeOverflow's two reports imported together."""
    both = f"{file_sha256(members_path)}:{file_sha256(transfers_path)}"
    return hashlib.sha256(both.encode("ascii")).hexdigest()
