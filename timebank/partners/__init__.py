"""The partners' area: /partners/...

Commissioners, councils, health boards and funders read the reciprocity report and
the network view of the time banks they hold a partner membership in, one bank or all
of them combined, for a period they choose. Aggregates only: no names, no per-person
rows, no member's own words, and small numbers suppressed (the figures come from
``timebank.reports``, which applies consent and suppression before anything reaches a
page). Every view and download is written to each bank's audit log.

Every route is behind one gate (``access.require_partner``): signed in, with an active
partner membership; a bank is reached only through the person's own partner
membership of it (404 otherwise).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("partners", __name__, url_prefix="/partners")

from timebank.partners import access, views  # noqa: E402, F401
