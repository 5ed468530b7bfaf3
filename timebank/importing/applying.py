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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.importing.rows import (
    BadFile,
    BankLookups,
    Issue,
    Layout,
    MemberRow,
    TransferRow,
    load_lookups,
    read_rows,
)
from timebank.importing.words import Text, _l, render
from timebank.ledger.audit import append_audit_entries
from timebank.ledger.banks import get_equity_account
from timebank.ledger.clock import utcnow
from timebank.ledger.models import (
    Account,
    AccountKind,
    AuditChain,
    Membership,
    MembershipStatus,
    Person,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.posting import require_coordinator
from timebank.ledger.verify import verify_ledger

TRANSFER = cast(sa.Table, Transfer.__table__)
ACCOUNT = cast(sa.Table, Account.__table__)
PERSON = cast(sa.Table, Person.__table__)
MEMBERSHIP = cast(sa.Table, Membership.__table__)

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


@dataclass
class ImportOutcome:
    rows: int = 0
    transfers: int = 0
    members: int = 0
    opening_balances: int = 0
    minutes: int = 0
    warnings: int = 0
    seconds: float = 0.0

    def describe_text(self) -> Text:
        if self.members and self.opening_balances:
            return _l(
                "%(members)s members added, %(balances)s with an opening balance. Every"
                " balance was checked and the ledger is consistent.",
                members=f"{self.members:,}",
                balances=f"{self.opening_balances:,}",
            )
        if self.members:
            return _l(
                "%(members)s members added. Every balance was checked and the ledger is"
                " consistent.",
                members=f"{self.members:,}",
            )
        return _l(
            "%(transfers)s past exchanges added (%(hours)s hours). Every balance was checked"
            " and the ledger is consistent.",
            transfers=f"{self.transfers:,}",
            hours=f"{self.minutes / 60:,.2f}",
        )

    def describe(self) -> str:
        return str(self.describe_text())


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
) -> ImportOutcome:
    """Write every row of the file, or raise :class:`ImportFailed` at the first bad
    row (the caller rolls back, so nothing is written). Flushes, never commits."""
    started = time.perf_counter()
    bank_id = actor.time_bank_id
    require_coordinator(actor, bank_id)
    if already_imported(session, bank_id, sha256):
        raise ImportFailed(_l("this file has already been imported into this time bank"))
    equity_id = get_equity_account(session, bank_id).id
    _lock_bank(session, bank_id)
    lookups = load_lookups(session, bank_id)
    writer = _Writer(session, lookups, actor, equity_id, idempotency_prefix(sha256), import_run_id)
    outcome = writer.outcome
    pending: list[Any] = []

    def write_batch() -> None:
        if layout == Layout.MEMBERS:
            writer.members(pending)
        else:
            writer.transfers(pending)
        outcome.rows += len(pending)
        pending.clear()
        if progress is not None:
            progress(outcome.rows)

    try:
        for item in read_rows(path, layout, lookups):
            if isinstance(item, Issue):
                if not item.warning:
                    raise ImportFailed(item.text, item.line)
                outcome.warnings += 1
                continue
            pending.append(item)
            if len(pending) >= batch_size:
                write_batch()
    except BadFile as error:
        raise ImportFailed(error.text, error.line) from None
    if pending:
        write_batch()
    if outcome.rows == 0:
        raise ImportFailed(_l("the file has no rows to import"))
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


_ADD_TO_COUNTERS = (
    sa.update(ACCOUNT)
    .where(ACCOUNT.c.id == sa.bindparam("account_id"))
    .values(
        posted_debits=ACCOUNT.c.posted_debits + sa.bindparam("add_debits"),
        posted_credits=ACCOUNT.c.posted_credits + sa.bindparam("add_credits"),
    )
)


class _Writer:
    def __init__(
        self,
        session: Session,
        lookups: BankLookups,
        actor: Membership,
        equity_id: int,
        key_prefix: str,
        import_run_id: int | None,
    ) -> None:
        self.session = session
        self.bank_id = lookups.bank_id
        self.lookups = lookups
        self.actor = actor
        self.equity_id = equity_id
        self.key_prefix = key_prefix
        self.import_run_id = import_run_id
        self.outcome = ImportOutcome()

    # Shared -------------------------------------------------------------------------

    def _insert_transfers(self, params: list[dict[str, Any]]) -> list[int]:
        result = self.session.execute(
            sa.insert(TRANSFER).returning(TRANSFER.c.id, sort_by_parameter_order=True), params
        )
        return list(result.scalars())

    def _add_to_counters(self, params: list[dict[str, Any]]) -> None:
        deltas: dict[int, list[int]] = {}
        for p in params:
            deltas.setdefault(p["debit_account_id"], [0, 0])[0] += p["minutes"]
            deltas.setdefault(p["credit_account_id"], [0, 0])[1] += p["minutes"]
        self.session.execute(
            _ADD_TO_COUNTERS,
            [
                {"account_id": account_id, "add_debits": d, "add_credits": c}
                for account_id, (d, c) in sorted(deltas.items())
            ],
        )

    def _audit(self, entries: list[tuple]) -> None:
        if entries:
            append_audit_entries(
                self.session, time_bank_id=self.bank_id, actor=self.actor, entries=entries
            )

    @staticmethod
    def _snapshot(transfer_id: int, p: dict[str, Any], line: int, **extra: Any) -> dict:
        return {
            "id": transfer_id,
            "kind": str(p["kind"]),
            "status": "posted",
            "debit_account_id": p["debit_account_id"],
            "credit_account_id": p["credit_account_id"],
            "minutes": p["minutes"],
            "service_date": p["service_date"].isoformat(),
            "category_id": p["category_id"],
            "description": p["description"],
            "import_line": line,
            **extra,
        }

    def _transfer_params(
        self,
        *,
        line: int,
        debit: int,
        credit: int,
        minutes: int,
        service_date,
        happened_at: datetime,
        description: str,
        category_id: int | None,
        kind: TransferKind,
    ) -> dict[str, Any]:
        return {
            "time_bank_id": self.bank_id,
            "debit_account_id": debit,
            "credit_account_id": credit,
            "minutes": minutes,
            "service_date": service_date,
            "description": description,
            "category_id": category_id,
            "kind": kind,
            "status": TransferStatus.POSTED,
            "needs_confirmation": False,
            "needs_approval": False,
            "recorded_by_id": self.actor.id,
            "recorded_at": happened_at,
            "posted_at": happened_at,
            "idempotency_key": f"{self.key_prefix}{line}",
        }

    # Past exchanges -----------------------------------------------------------------

    def transfers(self, rows: list[TransferRow]) -> None:
        params = [
            self._transfer_params(
                line=row.line,
                debit=row.debit_account_id,
                credit=row.credit_account_id,
                minutes=row.minutes,
                service_date=row.service_date,
                happened_at=row.happened_at,
                description=row.description,
                category_id=row.category_id,
                kind=TransferKind.EXCHANGE,
            )
            for row in rows
        ]
        ids = self._insert_transfers(params)
        self._add_to_counters(params)
        entries = []
        for transfer_id, p, row in zip(ids, params, rows, strict=True):
            extra = {"import_run_id": self.import_run_id}
            if row.source_ref:
                extra["source_post_id"] = row.source_ref
            entries.append(
                (
                    "transfer.imported",
                    "transfer",
                    transfer_id,
                    None,
                    self._snapshot(transfer_id, p, row.line, **extra),
                )
            )
            self.outcome.minutes += p["minutes"]
        self._audit(entries)
        self.outcome.transfers += len(ids)

    # Members --------------------------------------------------------------------------

    def members(self, rows: list[MemberRow]) -> None:
        session = self.session
        existing = dict(
            session.execute(
                sa.select(PERSON.c.email, PERSON.c.id).where(
                    PERSON.c.email.in_([row.email for row in rows])
                )
            ).all()
        )
        new_people = [row for row in rows if row.email not in existing]
        if new_people:
            ids = session.execute(
                sa.insert(PERSON).returning(PERSON.c.id, sort_by_parameter_order=True),
                [
                    {"email": row.email, "display_name": row.name, "password_hash": None}
                    for row in new_people
                ],
            ).scalars()
            existing.update(zip([row.email for row in new_people], ids, strict=True))
        now = utcnow()
        membership_params = [
            {
                "person_id": existing[row.email],
                "time_bank_id": self.bank_id,
                "role": row.role,
                "kind": row.kind,
                "status": MembershipStatus.ACTIVE,
                "consent_reporting": False,
                "consent_research": False,
                "joined_at": row.joined_at or now,
                "external_ref": row.external_ref,
            }
            for row in rows
        ]
        membership_ids = list(
            session.execute(
                sa.insert(MEMBERSHIP).returning(MEMBERSHIP.c.id, sort_by_parameter_order=True),
                membership_params,
            ).scalars()
        )
        account_ids = list(
            session.execute(
                sa.insert(ACCOUNT).returning(ACCOUNT.c.id, sort_by_parameter_order=True),
                [
                    {
                        "time_bank_id": self.bank_id,
                        "kind": AccountKind.MEMBER,
                        "membership_id": membership_id,
                    }
                    for membership_id in membership_ids
                ],
            ).scalars()
        )
        entries: list[tuple] = []
        for membership_id, p, row in zip(membership_ids, membership_params, rows, strict=True):
            entries.append(
                (
                    "membership.created",
                    "membership",
                    membership_id,
                    None,
                    {
                        "person_id": p["person_id"],
                        "role": str(row.role),
                        "kind": str(row.kind),
                        "status": "active",
                        "external_ref": row.external_ref,
                        "import_run_id": self.import_run_id,
                        "import_line": row.line,
                    },
                )
            )
        openings = []
        opening_rows = []
        for account_id, row in zip(account_ids, rows, strict=True):
            if not row.opening_minutes:
                continue
            debit, credit = (
                (self.equity_id, account_id)
                if row.opening_minutes > 0
                else (account_id, self.equity_id)
            )
            joined = row.joined_at or now
            openings.append(
                self._transfer_params(
                    line=row.line,
                    debit=debit,
                    credit=credit,
                    minutes=abs(row.opening_minutes),
                    service_date=joined.date() if row.joined_at else self.lookups.today,
                    happened_at=now,
                    description="Opening balance",
                    category_id=None,
                    kind=TransferKind.OPENING_BALANCE,
                )
            )
            opening_rows.append(row)
        if openings:
            transfer_ids = self._insert_transfers(openings)
            self._add_to_counters(openings)
            for transfer_id, p, row in zip(transfer_ids, openings, opening_rows, strict=True):
                entries.append(
                    (
                        "transfer.opening_balance",
                        "transfer",
                        transfer_id,
                        None,
                        self._snapshot(transfer_id, p, row.line, import_run_id=self.import_run_id),
                    )
                )
        self._audit(entries)
        self.outcome.members += len(membership_ids)
        self.outcome.opening_balances += len(openings)
        # Later batches and files find these members by their refs and emails.
        for account_id, row in zip(account_ids, rows, strict=True):
            self.lookups.member_refs[row.external_ref] = account_id
            self.lookups.emails[row.email] = account_id
