"""The real import: every row in one transaction, written in batches.

Historical exchanges are posted as they are (kind exchange, status posted, no limits,
the service date of the original even if older than the back-dating limit); opening
balances become opening-balance transfers against the time bank's equity account, as
``timebank.ledger.opening`` records one at a time.

For a million rows the services' one-row-at-a-time path is too slow and would keep
ORM objects, so this writes with Core statements per batch:

- transfers: one multi-row INSERT ... RETURNING id per batch;
- counters: the minutes each account gains are summed in memory for the batch and
  applied once per account with ``UPDATE account SET x = x + :d``;
- audit: one entry per transfer or membership through ``append_audit_entries``.

Nothing of a batch is kept once it is written, so memory stays flat whatever the size
of the file. Before any write, every account of the time bank and then the audit chain
head are locked (the ledger's lock order): concurrent exchanges in this time bank wait
for the import instead of deadlocking with it. At the end ``verify_ledger`` must find
nothing wrong, or the import fails. The caller commits (or rolls everything back).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.importing.balances import KEEP_DIFFERENCES, BalanceCheck
from timebank.importing.checking import duplicate_text
from timebank.importing.identity import RowKeys, in_batches, known_keys_in
from timebank.importing.reading import read_rows
from timebank.importing.rows import BadFile, Issue, Layout, MemberRow, TransferRow, load_lookups
from timebank.importing.timeoverflow_reports import ExpectedBalance, NewOrganisation
from timebank.importing.words import Text, _l, render
from timebank.importing.writer import ACCOUNT, BatchWriter, ImportOutcome
from timebank.ledger.audit import append_audit_entries
from timebank.ledger.banks import get_equity_account
from timebank.ledger.models import (
    AuditChain,
    Membership,
    Transfer,
)
from timebank.ledger.posting import require_coordinator
from timebank.ledger.verify import verify_ledger

BATCH_SIZE = 5_000


Progress = Callable[[int], None]


class ImportFailed(Exception):
    """The import stopped; nothing of it is written once the caller rolls back.
    ``text`` says why (``message`` in English), ``line`` where."""

    def __init__(self, text: Text | list[Text], line: int | None = None) -> None:
        self.text = text
        self.message = render(text)
        self.line = line
        super().__init__(self.message)

    @property
    def described(self) -> Text | list[Text]:
        """Why, with the line if there is one."""
        if self.line:
            return _l("line %(line)s: %(problem)s", line=self.line, problem=self.text)
        return self.text

    def __str__(self) -> str:
        return render(self.described)


def idempotency_prefix(sha256: str) -> str:
    return f"csv:{sha256[:32]}:"


def already_imported(session: Session, bank_id: int, sha256: str) -> bool:
    """Whether rows of this very file are already in the ledger."""
    prefix = idempotency_prefix(sha256)
    return (
        session.scalar(
            sa.select(Transfer.id)
            .where(Transfer.time_bank_id == bank_id, Transfer.idempotency_key.like(prefix + "%"))
            .limit(1)
        )
        is not None
    )


def import_file(
    session: Session,
    *,
    actor: Membership,
    path: Path,
    layout: Layout,
    sha256: str,
    import_run_id: int | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    members_path: Path | None = None,
    mapping: dict[str, int] | None = None,
) -> ImportOutcome:
    """Write every new row of the file, or raise :class:`ImportFailed` at the first bad
    row (the caller rolls back, so nothing is written). Rows already imported (by an
    earlier file) are skipped and counted. For TimeOverflow's reports ``path`` is the
    transfers report and ``members_path`` the members report; ``mapping`` says which
    column holds which field (``timebank.importing.mapping``). Flushes, never commits."""
    started = time.perf_counter()
    bank_id = actor.time_bank_id
    require_coordinator(actor, bank_id)
    if already_imported(session, bank_id, sha256):
        raise ImportFailed(_l("this file has already been imported into this time bank"))
    _lock_bank(session, bank_id)
    # After the locks: creating it appends an audit entry, which takes the chain head.
    equity_id = get_equity_account(session, bank_id, actor=actor).id
    lookups = load_lookups(session, bank_id)
    writer = BatchWriter(
        session, lookups, actor, equity_id, idempotency_prefix(sha256), import_run_id
    )
    outcome = writer.outcome
    balances = BalanceCheck()
    keys = RowKeys(known_keys_in(session, bank_id))
    members: list[MemberRow] = []
    transfers: list[TransferRow] = []
    counted = 0

    def write_members() -> None:
        if members:
            writer.members(members)
            members.clear()

    def write_transfers() -> None:
        write_members()  # rows may name members of this very import
        if transfers:
            writer.transfers(transfers)
            transfers.clear()

    def report() -> None:
        if progress is not None and counted != outcome.rows:
            progress(counted)
        outcome.rows = counted

    try:
        for group in in_batches(
            read_rows(path, layout, lookups, members_path, mapping), batch_size
        ):
            keys.mark([item for item in group if isinstance(item, TransferRow)])
            for item in group:
                if isinstance(item, Issue):
                    if not item.warning:
                        raise ImportFailed(item.text, item.line)
                    outcome.warnings += 1
                elif isinstance(item, TransferRow):
                    counted += 1
                    if item.duplicate:
                        raise ImportFailed(duplicate_text(item), item.line)
                    if item.repeat:
                        outcome.repeats += 1
                        continue
                    balances.add(item)
                    transfers.append(item)
                elif isinstance(item, MemberRow):
                    counted += 1 if item.counted else 0
                    members.append(item)
                    if len(members) >= batch_size:
                        write_members()
                        report()
                elif isinstance(item, ExpectedBalance):
                    counted += 1
                    balances.expect(item)
                elif isinstance(item, NewOrganisation):
                    writer.organisation(item)
            write_transfers()
            report()
    except BadFile as error:
        raise ImportFailed(error.text, error.line) from None
    finally:
        keys.close()
    write_transfers()
    report()
    if outcome.rows == 0:
        raise ImportFailed(_l("the file has no rows to import"))
    outcome.balances_checked = balances.checked
    differences = balances.differences()
    outcome.balance_difference_count = len(differences)
    outcome.balance_differences = differences[:KEEP_DIFFERENCES]
    append_audit_entries(
        session,
        time_bank_id=bank_id,
        actor=actor,
        entries=[
            (
                "import.completed",
                "import_run",
                import_run_id,
                None,
                {
                    "layout": str(layout),
                    "sha256": sha256,
                    "rows": outcome.rows,
                    "transfers": outcome.transfers,
                    "members": outcome.members,
                    "opening_balances": outcome.opening_balances,
                    "minutes": outcome.minutes,
                    "already_imported": outcome.repeats,
                    "balance_differences": outcome.balance_difference_count,
                },
            )
        ],
    )
    session.flush()
    problems = verify_ledger(session, bank_id)
    if problems:
        raise ImportFailed(
            _l(
                "after the import the ledger would not be consistent, so nothing was written:"
                " %(problems)s",
                problems="; ".join(p.message for p in problems[:3]),
            )
        )
    outcome.seconds = time.perf_counter() - started
    return outcome


def _lock_bank(session: Session, bank_id: int) -> None:
    """Every account of the bank in id order, then the chain head (the ledger's order)."""
    session.execute(
        sa.select(ACCOUNT.c.id)
        .where(ACCOUNT.c.time_bank_id == bank_id)
        .order_by(ACCOUNT.c.id)
        .with_for_update()
    ).all()
    session.execute(
        sa.select(AuditChain.last_seq).where(AuditChain.time_bank_id == bank_id).with_for_update()
    ).one()
