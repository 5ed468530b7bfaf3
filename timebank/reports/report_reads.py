"""Who read which reciprocity report: every partner view and download, and every
coordinator download, goes into the audit log of each time bank it covers.

The actions start with ``report.``: reading changes no figure, so the report cache
stays valid (``timebank.reports.reciprocity.cache.READING_ACTION_PREFIXES``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.models import Membership, Role

# What was read: the report's pages and its downloads.
PAGES = ("report", "network")
FORMATS = ("web", "csv", "pdf", "json")


def record_report_read(
    session: Session,
    *,
    readers: list[Membership],
    page: str,
    format: str,
    start: date,
    end: date,
) -> None:
    """Log one reading of a report in each bank's audit log, with that bank's own
    membership of the reader as the actor. ``readers`` are the reader's memberships of
    the banks the report covers: partner memberships, or the coordinator's own. The
    entry says which page, in which format, for which dates, and how many banks the
    report combined (never the other banks' names: each bank's log is its own)."""
    if page not in PAGES or format not in FORMATS:
        raise errors.InvalidPolicyError("There is no such report.")
    if not readers:
        raise errors.NotAllowedError("Choose at least one time bank.")
    for reader in readers:
        if not reader.is_active or reader.role not in (Role.PARTNER, Role.COORDINATOR):
            raise errors.NotAllowedError("Only partners and coordinators read these reports.")
    audience = "partner" if readers[0].role == Role.PARTNER else "coordinator"
    action = "report.viewed" if format == "web" else "report.downloaded"
    for reader in sorted(readers, key=lambda m: m.time_bank_id):
        append_audit(
            session,
            time_bank_id=reader.time_bank_id,
            actor=reader,
            action=action,
            entity_type="time_bank",
            entity_id=reader.time_bank_id,
            after={
                "audience": audience,
                "page": page,
                "format": format,
                "date_from": start.isoformat(),
                "date_to": end.isoformat(),
                "time_banks": len(readers),
            },
        )
