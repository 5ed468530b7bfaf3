"""The reciprocity report for partners and coordinators: mutuality, shared roles,
assets, the core economy, the community pot and the exchange network, over any period,
for one time bank or several, with partners' privacy rules applied.

The public interface (see docs/reports.md):

- :func:`get_report` (cached) and :func:`build_report` (not cached) return a
  :class:`~timebank.reports.reciprocity.model.ReciprocityReport`;
- :func:`report_csv` writes it as CSV text;
- :func:`partner_banks`, :func:`require_partner_of`, :func:`require_coordinator_of`
  say who may read which report.
"""

from timebank.reports.reciprocity.access import (
    partner_banks,
    require_coordinator_of,
    require_partner_of,
)
from timebank.reports.reciprocity.build import build_report
from timebank.reports.reciprocity.cache import get_report
from timebank.reports.reciprocity.csv_export import report_csv
from timebank.reports.reciprocity.model import (
    DERIVABLE,
    SMALL,
    Figure,
    Graph,
    ReciprocityReport,
    Scope,
    Suppressed,
    SuppressionReason,
    Table,
    Unit,
    is_shown,
)
from timebank.reports.reciprocity.period import (
    Audience,
    BankSelection,
    InvalidPeriodError,
    InvalidSelectionError,
    Period,
)

__all__ = [
    "DERIVABLE",
    "SMALL",
    "Audience",
    "BankSelection",
    "Figure",
    "Graph",
    "InvalidPeriodError",
    "InvalidSelectionError",
    "Period",
    "ReciprocityReport",
    "Scope",
    "Suppressed",
    "SuppressionReason",
    "Table",
    "Unit",
    "build_report",
    "get_report",
    "is_shown",
    "partner_banks",
    "report_csv",
    "require_coordinator_of",
    "require_partner_of",
]
