"""Reading a report for a page or a download: the figures and, where the reading must
be on record, its audit entry, in one transaction (the report cache row and the audit
entry commit together or not at all)."""

from __future__ import annotations

import sqlalchemy as sa

from timebank.extensions import db
from timebank.ledger.database import read_rows, run_in_transaction
from timebank.ledger.models import Account, Membership
from timebank.report_views.periods import Chosen
from timebank.reports.reciprocity import Audience, BankSelection, ReciprocityReport
from timebank.reports.reciprocity.cache import cached_report, get_report_and_source
from timebank.reports.report_reads import record_report_read


def read_report(
    readers: list[Membership],
    chosen: Chosen,
    audience: Audience,
    *,
    page: str,
    format: str,
    record: bool,
) -> ReciprocityReport:
    """The report over the readers' banks for the chosen period. ``record``: write the
    reading to each bank's audit log (every partner view and download; a coordinator's
    downloads)."""
    return read_report_and_source(
        readers, chosen, audience, page=page, format=format, record=record
    )[0]


def read_report_and_source(
    readers: list[Membership],
    chosen: Chosen,
    audience: Audience,
    *,
    page: str,
    format: str,
    record: bool,
) -> tuple[ReciprocityReport, ReciprocityReport]:
    """``read_report``'s report and the cached report it was finished from (see
    ``reciprocity.cache.get_report_and_source``: a key for what a page keeps, never
    shown)."""
    selection = BankSelection(tuple(m.time_bank_id for m in readers))
    if not record:
        # Nothing to write when the cached report is current: read it without taking
        # the write lock (BEGIN IMMEDIATE on SQLite) that building and storing one needs.
        found = cached_report(db.session(), selection, chosen.period, audience)
        if found is not None:
            return found

    def work() -> tuple[ReciprocityReport, ReciprocityReport]:
        found = get_report_and_source(db.session(), selection, chosen.period, audience)
        if record:
            record_report_read(
                db.session(),
                readers=readers,
                page=page,
                format=format,
                start=chosen.start,
                end=chosen.end,
            )
        return found

    return run_in_transaction(db.session(), work)


_ACCOUNTS_OF = sa.select(Account.id, Account.membership_id).where(
    Account.membership_id.in_(sa.bindparam("membership_ids", expanding=True))
)


def broker_nodes(report: ReciprocityReport) -> dict[str, float]:
    """The coordinators' graph node ids ("a<account id>") of the brokers, with their
    betweenness. The report names brokers by membership; the picture by account."""
    if report.coordinator is None or not report.coordinator.brokers:
        return {}
    scores = {b.membership_id: b.score or 0.0 for b in report.coordinator.brokers}
    rows = read_rows(db.session(), _ACCOUNTS_OF, {"membership_ids": list(scores)})
    return {
        f"a{account_id}": scores[membership_id]
        for account_id, membership_id in rows
        if membership_id is not None
    }
