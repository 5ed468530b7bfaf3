"""Writing an import's rows in batches with Core statements: transfers by multi-row
INSERT ... RETURNING, counters summed per account and applied once per batch, one audit
entry per transfer or membership. Nothing of a batch is kept once it is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.community.invitations import create_invitation
from timebank.importing.balances import BalanceDifference
from timebank.importing.models import ImportedRow
from timebank.importing.rows import (
    BankLookups,
    MemberRow,
    TransferRow,
)
from timebank.importing.timeoverflow_reports import NewOrganisation
from timebank.importing.timeoverflow_words import fold
from timebank.importing.words import Text, _l, render
from timebank.ledger.audit import append_audit_entries
from timebank.ledger.banks import create_organisation
from timebank.ledger.clock import utcnow
from timebank.ledger.models import (
    Account,
    AccountKind,
    Membership,
    MembershipStatus,
    Person,
    TimeBank,
    Transfer,
    TransferKind,
    TransferStatus,
)

TRANSFER = cast(sa.Table, Transfer.__table__)


ACCOUNT = cast(sa.Table, Account.__table__)


PERSON = cast(sa.Table, Person.__table__)


MEMBERSHIP = cast(sa.Table, Membership.__table__)


IMPORTED_ROW = cast(sa.Table, ImportedRow.__table__)


@dataclass(frozen=True)
class ImportInvitation:
    """Someone in the file who already has an account with this app: not enrolled, but
    invited. The token lives only in memory until the email is sent after commit."""

    person_id: int
    token: str


@dataclass
class ImportOutcome:
    rows: int = 0
    transfers: int = 0
    members: int = 0
    opening_balances: int = 0
    minutes: int = 0
    warnings: int = 0
    seconds: float = 0.0
    repeats: int = 0  # rows already imported, skipped
    stand_ins: int = 0
    organisations: int = 0
    balances_checked: int = 0
    balance_difference_count: int = 0
    balance_differences: list[BalanceDifference] = field(default_factory=list)
    invitations: list[ImportInvitation] = field(default_factory=list)

    def describe_text(self) -> Text:
        parts = self._describe_rows()
        if self.invitations:
            parts.append(
                _l(
                    "%(count)s people in the file already have an account with this app:"
                    " each is sent an invitation, and joins once they accept it.",
                    count=f"{len(self.invitations):,}",
                )
            )
        if self.repeats:
            parts.insert(
                0,
                _l(
                    "%(count)s rows were already imported and were skipped.",
                    count=f"{self.repeats:,}",
                ),
            )
        if self.balances_checked:
            if self.balance_difference_count:
                parts.append(
                    _l(
                        "%(count)s of %(checked)s balances differ from TimeOverflow's members"
                        " report (listed below).",
                        count=f"{self.balance_difference_count:,}",
                        checked=f"{self.balances_checked:,}",
                    )
                )
            else:
                parts.append(
                    _l(
                        "All %(checked)s balances match TimeOverflow's members report to the"
                        " minute.",
                        checked=f"{self.balances_checked:,}",
                    )
                )
        text = parts[0]
        for part in parts[1:]:
            text = _l("%(first)s %(then)s", first=text, then=part)
        return text

    def _describe_rows(self) -> list[Text]:
        if self.balances_checked:
            return [
                _l(
                    "%(members)s members and %(transfers)s past exchanges added (%(hours)s"
                    " hours), %(stand_ins)s stand-ins for former members and %(organisations)s"
                    " organisations. Every balance was checked and the ledger is consistent.",
                    members=f"{self.members - self.stand_ins:,}",
                    transfers=f"{self.transfers:,}",
                    hours=f"{self.minutes / 60:,.2f}",
                    stand_ins=f"{self.stand_ins:,}",
                    organisations=f"{self.organisations:,}",
                )
            ]
        return [self._describe_plain()]

    def _describe_plain(self) -> Text:
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
        return render(self.describe_text())


_ADD_TO_COUNTERS = (
    sa.update(ACCOUNT)
    .where(ACCOUNT.c.id == sa.bindparam("account_id"))
    .values(
        posted_debits=ACCOUNT.c.posted_debits + sa.bindparam("add_debits"),
        posted_credits=ACCOUNT.c.posted_credits + sa.bindparam("add_credits"),
    )
)


class BatchWriter:
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

    def _account(self, account_id: int | None, key: str | None) -> int:
        if account_id is not None:
            return account_id
        kind, _, ref = (key or "").partition(":")
        found = (
            self.lookups.member_refs.get(ref)
            if kind == "member"
            else self.lookups.organisation_names.get(ref)
        )
        if found is None:
            raise LookupError(f"no account for {key!r}")
        return found

    def transfers(self, rows: list[TransferRow]) -> None:
        """Post new rows (the caller leaves out those already imported) and keep their
        keys, so that a later file repeating them skips them."""
        params = [
            self._transfer_params(
                line=row.line,
                debit=self._account(row.debit_account_id, row.debit_key),
                credit=self._account(row.credit_account_id, row.credit_key),
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
        keyed = [
            {
                "time_bank_id": self.bank_id,
                "row_key": row.row_key,
                "transfer_id": transfer_id,
                "import_run_id": self.import_run_id,
            }
            for transfer_id, row in zip(ids, rows, strict=True)
            if row.row_key
        ]
        if keyed:
            self.session.execute(sa.insert(IMPORTED_ROW), keyed)
        entries = []
        for transfer_id, p, row in zip(ids, params, rows, strict=True):
            extra: dict[str, Any] = {"import_run_id": self.import_run_id}
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
        # Someone who already has an account (here the check refused them; so in another
        # time bank) is never enrolled by a file: they are invited and decide. Nothing of
        # theirs (their name, their other banks) is shown to this bank meanwhile.
        self._invite([(row, existing[row.email]) for row in rows if row.email in existing])
        rows = [row for row in rows if row.email not in existing]
        if not rows:
            return
        ids = session.execute(
            sa.insert(PERSON).returning(PERSON.c.id, sort_by_parameter_order=True),
            [{"email": row.email, "display_name": row.name, "password_hash": None} for row in rows],
        ).scalars()
        existing.update(zip([row.email for row in rows], ids, strict=True))
        now = utcnow()
        membership_params = [
            {
                "person_id": existing[row.email],
                "time_bank_id": self.bank_id,
                "role": row.role,
                "kind": row.kind,
                "status": row.status,
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
                        "status": str(row.status),
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
        self.outcome.stand_ins += sum(1 for row in rows if row.status != MembershipStatus.ACTIVE)
        self.outcome.opening_balances += len(openings)
        # Later batches and files find these members by their refs and emails.
        for account_id, row in zip(account_ids, rows, strict=True):
            if row.external_ref:
                self.lookups.member_refs[row.external_ref] = account_id
            self.lookups.emails[row.email] = account_id

    def _invite(self, people: list[tuple[MemberRow, int]]) -> None:
        for row, person_id in people:
            _invitation, token = create_invitation(
                self.session, actor=self.actor, role=row.role, kind=row.kind
            )
            self.outcome.invitations.append(ImportInvitation(person_id=person_id, token=token))

    # Organisations ----------------------------------------------------------------

    def organisation(self, item: NewOrganisation) -> None:
        """An organisation named in TimeOverflow's transfers report and not here yet."""
        bank = self.session.get_one(TimeBank, self.bank_id)
        organisation = create_organisation(
            self.session, actor=self.actor, bank=bank, name=item.name
        )
        account_id = self.session.execute(
            sa.select(ACCOUNT.c.id).where(ACCOUNT.c.organisation_id == organisation.id)
        ).scalar_one()
        self.lookups.organisation_names[fold(item.name)] = account_id
        self.outcome.organisations += 1
