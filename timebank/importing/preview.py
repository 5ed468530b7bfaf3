"""The first rows of an uploaded file as they were read, for the coordinator to see
what the check read (is the first row the header? are the columns where the layout
expects them?). Kept with the import run, so it shows even after a bad file is
removed; a few rows only, each cell cut short. ``mapped_preview`` shows the first rows
as they would be read with the columns a coordinator chose, before the check."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from timebank.importing.mapping import Mapping
from timebank.importing.reading import read_rows
from timebank.importing.rows import BadFile, BankLookups, Issue, Layout, read_records
from timebank.importing.words import Text

PREVIEW_ROWS = 6  # the header and five rows
MAX_CELL = 60
MAX_COLUMNS = 12


def preview_rows(path: Path, count: int = PREVIEW_ROWS) -> list[list[str]]:
    """Up to ``count`` non-blank records of the file (cells cut to ``MAX_CELL``
    characters, at most ``MAX_COLUMNS`` columns); none if it cannot be read."""
    rows: list[list[str]] = []
    try:
        for _line, cells in read_records(path):
            rows.append([cell.strip()[:MAX_CELL] for cell in cells[:MAX_COLUMNS]])
            if len(rows) >= count:
                break
    except (BadFile, UnicodeDecodeError, OSError):
        return rows
    return rows


@dataclass
class MappedRow:
    """One data row as the reader would take it with a mapping: each mapped field's
    cell, and the row's problems if the check would refuse it."""

    line: int
    cells: dict[str, str]
    problems: Text | list[Text] | None = None


def mapped_preview(
    path: Path,
    layout: Layout,
    lookups: BankLookups,
    mapping: Mapping,
    count: int = PREVIEW_ROWS - 1,
) -> tuple[list[MappedRow], Text | None]:
    """The first ``count`` data rows read with ``mapping``, each with what the check
    would say of it, and what stops the whole file being read, if anything. Reads only
    the start of the file."""
    rows: list[MappedRow] = []
    try:
        records = read_records(path)
        next(records, None)  # the header
        for line, cells in records:
            rows.append(
                MappedRow(
                    line,
                    {
                        name: cells[position].strip()[:MAX_CELL] if position < len(cells) else ""
                        for name, position in mapping.items()
                    },
                )
            )
            if len(rows) >= count:
                break
    except (BadFile, UnicodeDecodeError, OSError):
        pass
    if not rows:
        return rows, None
    by_line = {row.line: row for row in rows}
    last = rows[-1].line
    try:
        with closing(read_rows(path, layout, lookups, mapping=mapping)) as items:
            for item in items:
                line = getattr(item, "line", 0)
                if line > last:
                    break
                if isinstance(item, Issue) and not item.warning and line in by_line:
                    by_line[line].problems = item.text
    except BadFile as error:
        return rows, error.text
    return rows, None
