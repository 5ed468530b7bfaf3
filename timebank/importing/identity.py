"""Recognising a row of past history that is already in the ledger.

A file's hash tells only whether the very same file came back. A newer export of the old
software holds the old rows and new ones, and a file saved again may differ only in
spacing; so each row has an identity of its own: its two accounts, its amount, its
moment and its description (spaces collapsed), or, where the old software gives one, its
own id for the row. The n-th row of a file with a given identity has the key
``<identity>:<n>``, so two identical rows of one file (two hours of gardening on the same
day between the same people) stay two; a later file holding them both again repeats
both keys, and a third copy is new.

The keys of imported rows are kept in ``imported_row`` (unique per time bank). A row
whose key is there already is *already imported*: the dry run counts it and the import
skips it, in the same way. Rows are keyed in batches: the occurrences seen so far are
counted in a scratch SQLite file on disk (not in memory, so memory stays flat however
long the file), and the time bank's known keys are asked for one batch at a time.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.importing.models import ImportedRow
from timebank.importing.rows import TransferRow

# Keys asked of the database (and of the scratch file) in one statement: well under
# SQLite's limit on bound parameters.
CHUNK = 900

KnownKeys = Callable[[list[str]], set[str]]


def _side(account_id: int | None, key: str | None) -> str:
    return f"a{account_id}" if account_id is not None else f"k{key}"


def identity_of(row: TransferRow) -> bytes:
    """What a row says, hashed: the old software's id for it if it has one, else its
    accounts, amount, moment and description (spaces collapsed)."""
    if row.source_id:
        parts = ["id", row.source_id]
    else:
        parts = [
            _side(row.debit_account_id, row.debit_key),
            _side(row.credit_account_id, row.credit_key),
            str(row.minutes),
            row.happened_at.isoformat(),
            " ".join(row.description.split()),
            row.source_ref or "",
        ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()[:16]


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class Occurrences:
    """How often each identity has come so far in one file, counted in a scratch SQLite
    file in the system's temporary folder (removed by :meth:`close`)."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="timebank-import-")
        self._db = sqlite3.connect(Path(self._folder.name) / "seen.sqlite3", isolation_level=None)
        # A scratch file: nothing to recover after a crash, so no journal and no syncing.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE seen (identity BLOB PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID"
        )

    def number(self, identities: list[bytes]) -> list[int]:
        """The occurrence (0, 1, ...) of each identity, in order, counting every earlier
        call too."""
        distinct = list(dict.fromkeys(identities))
        counts: dict[bytes, int] = {}
        for chunk in _chunks(distinct):
            marks = ",".join("?" * len(chunk))
            counts.update(
                # Only "?" placeholders are formatted in; the values are bound.
                self._db.execute(f"SELECT identity, n FROM seen WHERE identity IN ({marks})", chunk)  # noqa: S608
            )
        numbers = []
        for identity in identities:
            n = counts.get(identity, 0)
            numbers.append(n)
            counts[identity] = n + 1
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO seen (identity, n) VALUES (?, ?)"
            " ON CONFLICT (identity) DO UPDATE SET n = excluded.n",
            [(identity, counts[identity]) for identity in distinct],
        )
        self._db.execute("COMMIT")
        return numbers

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


def known_keys_in(session: Session, bank_id: int, *, end_transaction: bool = False) -> KnownKeys:
    """Which of some keys the time bank already has. With ``end_transaction`` each
    question is its own short read (the dry run holds no transaction while it reads).
    A time bank with no imported rows yet (the usual first import) is asked once."""
    try:
        first = session.scalar(
            sa.select(ImportedRow.id).where(ImportedRow.time_bank_id == bank_id).limit(1)
        )
    finally:
        if end_transaction:
            session.rollback()
    if first is None:
        # The rows this very import writes never repeat each other's keys (a key holds
        # the row's occurrence in its file), so nothing here can be known.
        return nothing_known

    def known(keys: list[str]) -> set[str]:
        found: set[str] = set()
        try:
            for chunk in _chunks(keys):
                found.update(
                    session.scalars(
                        sa.select(ImportedRow.row_key).where(
                            ImportedRow.time_bank_id == bank_id, ImportedRow.row_key.in_(chunk)
                        )
                    )
                )
        finally:
            if end_transaction:
                session.rollback()
        return found

    return known


def nothing_known(keys: list[str]) -> set[str]:
    return set()


class RowKeys:
    """Gives each transfer row of one file its key and says which are already imported."""

    def __init__(self, known: KnownKeys) -> None:
        self.known = known
        self.occurrences = Occurrences()

    def mark(self, rows: list[TransferRow]) -> None:
        if not rows:
            return
        identities = [identity_of(row) for row in rows]
        for row, identity, n in zip(
            rows, identities, self.occurrences.number(identities), strict=True
        ):
            row.row_key = f"{identity.hex()}:{n}"
            # The old software's id names one exchange: twice in a file is a mistake.
            row.duplicate = bool(row.source_id) and n > 0
        known = self.known([row.row_key for row in rows if row.row_key])
        for row in rows:
            row.repeat = row.row_key in known

    def close(self) -> None:
        self.occurrences.close()


def in_batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """The items in order, in lists holding at most ``size`` transfer rows each (and
    whatever else came between them)."""
    group: list[Any] = []
    transfers = 0
    for item in items:
        group.append(item)
        if isinstance(item, TransferRow):
            transfers += 1
            if transfers >= size:
                yield group
                group, transfers = [], 0
    if group:
        yield group
