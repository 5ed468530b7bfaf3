"""The dry run: read the whole file, find every bad row, write nothing."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from timebank.importing.rows import BadFile, BankLookups, Issue, Layout, read_rows

# How many errors (and warnings) a report keeps to show; the counts are always exact.
KEEP_ISSUES = 10_000


@dataclass
class CheckReport:
    total_rows: int = 0
    ready_rows: int = 0
    error_count: int = 0
    warning_count: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def check_file(
    lookups: BankLookups, path: Path, layout: Layout, *, keep: int = KEEP_ISSUES
) -> CheckReport:
    """Every bad row of the file with its line number; needs no database."""
    report = CheckReport()
    try:
        for item in read_rows(path, layout, lookups):
            if isinstance(item, Issue):
                if item.warning:
                    report.warning_count += 1
                    if len(report.warnings) < keep:
                        report.warnings.append(item)
                else:
                    report.total_rows += 1
                    report.error_count += 1
                    if len(report.errors) < keep:
                        report.errors.append(item)
            else:
                report.total_rows += 1
                report.ready_rows += 1
    except BadFile as error:
        report.error_count += 1
        report.errors.append(Issue(error.line, error.text))
    return report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
