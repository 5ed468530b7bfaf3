"""The coordinators' area: /coordinators/...

Every route here is behind one gate (``access.require_coordinator``, run before each
request of the blueprint): signed in, an active coordinator of the time bank chosen
for this session. Objects are always looked up within that time bank.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coordinators", __name__, url_prefix="/coordinators")

from timebank.coordinators import (  # noqa: E402, F401
    access,
    audit,
    exports,
    group,
    home,
    import_columns,
    import_formats,
    import_invitations,
    imports,
    member_name,
    member_sessions,
    members,
    organisations,
    people_search,
    pot,
    queue,
    report,
    reversals,
    security_log,
    settings,
    two_step_reset,
)
