"""The report cache: one row per (banks, period, audience), valid while no bank in the
selection has changed since it was built.

A bank's *generation* is the sequence number of its last audit entry that is not
someone reading (a report viewed, an export downloaded). Everything that can change a
figure appends an audit entry in the same transaction: an exchange posted or reversed,
a donation or grant, a member joining, leaving or changing consent, skills or offers, a
category or setting changed. So a row whose generation is still the banks' current one
is exactly what a new build would give (apart from ``generated_at`` and the partners'
pseudonyms, which are made afresh on every read).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from timebank.ledger.clock import utcnow
from timebank.ledger.database import read_rows
from timebank.ledger.models import AuditEntry, TimeBank
from timebank.reports.models import ReportCache
from timebank.reports.reciprocity import codec, network_cache
from timebank.reports.reciprocity.build import compute, finish
from timebank.reports.reciprocity.model import ReciprocityReport
from timebank.reports.reciprocity.period import Audience, BankSelection, Period

# Rows not rebuilt for this long are removed when another is written: partners can
# choose any period, and each choice leaves a row.
KEEP_DAYS = 30

# Audit actions that record someone reading (a report viewed, an export downloaded):
# they do not change any figure, so they leave the cache valid. Web views that audit
# a report being read should use an action starting with "report.".
READING_ACTION_PREFIXES = ("report.", "export.")


# A bank's generation (parameter "time_bank_id"): its newest audit sequence number outside
# reading actions, one short index scan backwards. Built once, for every report page.
_LATEST = (
    sa.select(AuditEntry.seq)
    .where(
        AuditEntry.time_bank_id == TimeBank.id,
        *[~AuditEntry.action.startswith(p, autoescape=True) for p in READING_ACTION_PREFIXES],
    )
    .order_by(AuditEntry.seq.desc())
    .limit(1)
    .correlate(TimeBank)
    .scalar_subquery()
)
_GENERATIONS = (
    sa.select(TimeBank.id, _LATEST)
    .where(TimeBank.id.in_(sa.bindparam("bank_ids", expanding=True)))
    .order_by(TimeBank.id)
)
# The cached row of a report (parameters "selection_hash", "period_start", "period_end",
# "audience"), built once.
CACHED_ROW = sa.select(ReportCache.generation, ReportCache.payload).where(
    ReportCache.selection_hash == sa.bindparam("selection_hash", type_=sa.String),
    ReportCache.period_start == sa.bindparam("period_start", type_=sa.Date),
    ReportCache.period_end == sa.bindparam("period_end", type_=sa.Date),
    ReportCache.audience == sa.bindparam("audience", type_=sa.String),
)


def generation(session: Session, selection: BankSelection) -> str:
    """ "bank:seq,bank:seq..." with each bank's last audit sequence number outside
    reading actions (one short index scan per bank, backwards from its newest entry)."""
    if session.autoflush:
        session.flush()  # what Session.execute would do; the reads then go past the ORM
    rows = read_rows(session, _GENERATIONS, {"bank_ids": list(selection.bank_ids)}).all()
    return ",".join(f"{bank_id}:{seq or 0}" for bank_id, seq in rows)


def cached_row(
    session: Session, selection: BankSelection, period: Period, audience: str
) -> tuple[str, str | None]:
    """The selection's current generation and the payload of its cached row for the
    period and audience when that row was built at this generation (else None)."""
    key = selection_hash(selection)
    current = generation(session, selection)
    row = read_rows(
        session,
        CACHED_ROW,
        {
            "selection_hash": key,
            "period_start": period.start,
            "period_end": period.end,
            "audience": audience,
        },
    ).first()
    return current, (row.payload if row is not None and row.generation == current else None)


def cached_report(
    session: Session, selection: BankSelection, period: Period, audience: Audience
) -> tuple[ReciprocityReport, ReciprocityReport] | None:
    """As ``get_report`` from the cache, if it is current, without writing anything (a
    page can read it outside a write transaction); None when it must be built."""
    _current, payload = cached_row(session, selection, period, str(audience))
    return _finished(codec.loads(payload)) if payload is not None else None


def _finished(source: ReciprocityReport) -> tuple[ReciprocityReport, ReciprocityReport]:
    return finish(source), source


def selection_hash(selection: BankSelection) -> str:
    return hashlib.sha256(selection.key.encode()).hexdigest()


def get_report(
    session: Session, selection: BankSelection, period: Period, audience: Audience
) -> ReciprocityReport:
    """The report from the cache when every bank's ledger generation (its last audit
    sequence number outside reading actions) is what it was when the report was built;
    otherwise built afresh and stored (flushed, not committed: the caller owns the
    transaction). A partner's network picture gets new pseudonyms on every call."""
    return get_report_and_source(session, selection, period, audience)[0]


def get_report_and_source(
    session: Session, selection: BankSelection, period: Period, audience: Audience
) -> tuple[ReciprocityReport, ReciprocityReport]:
    """``get_report``'s report, and the report it was finished from (the same object
    for a coordinator). The source is the decoded cached report: the same object for as
    long as the banks' generation holds (``codec.loads`` keeps the last few by their
    text), so pages can keep what they draw from it by its identity. Only the finished
    report is shown: a partner's source still has the picture's internal ids."""
    key = selection_hash(selection)
    current, payload = cached_row(session, selection, period, str(audience))
    if payload is not None:
        return _finished(codec.loads(payload))
    report = compute(session, selection, period, audience, remember_networks=True)
    values = {
        "selection_hash": key,
        "bank_ids": selection.key,
        "period_start": period.start,
        "period_end": period.end,
        "audience": str(audience),
        "generation": current,
        "payload": codec.dumps(report),
        "built_at": utcnow(),
    }
    _store(session, values)
    return _finished(report)


def store_row(session: Session, values: dict) -> None:
    """Insert or replace one row of the cache (for other readers that keep what they
    built by generation, like the coordinators' overview)."""
    _store(session, values)


def _store(session: Session, values: dict) -> None:
    """Insert or replace the row. Two readers building the same report at once both
    write it: the later one wins, which is the same report."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(ReportCache)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["selection_hash", "period_start", "period_end", "audience"],
        set_={k: values[k] for k in ("generation", "payload", "built_at", "bank_ids")},
    )
    session.execute(statement)
    session.execute(
        sa.delete(ReportCache).where(
            ReportCache.built_at < values["built_at"] - timedelta(days=KEEP_DAYS)
        )
    )
    session.flush()


def combined_selections(session: Session, bank_id: int) -> list[BankSelection]:
    """The combined selections (several banks, one of them ``bank_id``) that a partner
    has a report of in the cache: what a posting in the bank makes stale beside the
    bank's own reports."""
    keys = session.scalars(
        sa.select(ReportCache.bank_ids)
        .where(
            ReportCache.audience == str(Audience.PARTNER),
            ReportCache.bank_ids.contains(","),
        )
        .distinct()
    ).all()
    found = [BankSelection(tuple(int(part) for part in key.split(","))) for key in keys]
    return sorted((s for s in found if bank_id in s.bank_ids), key=lambda s: s.bank_ids)


def clear_cache(session: Session) -> int:
    """Remove every cached report and the networks' measures kept beside them (for an
    operator; they are rebuilt when read). Returns how many reports."""
    networks = ReportCache.audience == network_cache.AUDIENCE
    session.execute(sa.delete(ReportCache).where(networks))
    return cast(sa.CursorResult, session.execute(sa.delete(ReportCache).where(~networks))).rowcount
