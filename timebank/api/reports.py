"""The reciprocity report and the network measures: a partner reads their banks' (one,
or all combined) with exactly the partners' pages' consent and suppression rules, since
the figures come from the same ``read_report``; a coordinator reads their own bank's.
Every reading is written to each bank's audit log, like a download."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint

from timebank.api.aborting import abort
from timebank.api.access import active_memberships
from timebank.api.schemas import ReportQuery, ReportSchema
from timebank.api.shapes import utc
from timebank.ledger.clock import today_in
from timebank.ledger.models import Membership
from timebank.report_views.periods import CUSTOM, EARLIEST, resolve
from timebank.report_views.reading import read_report
from timebank.reports.reciprocity import Audience, InvalidPeriodError, Suppressed
from timebank.reports.reciprocity.model import Column, Figure, ReciprocityReport, Row, Table

blp = Blueprint(
    "api_reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="The reciprocity report and the network measures (partners, coordinators).",
)

TRANSLATED = {Figure: ("label", "meaning"), Table: ("label", "meaning"), Column: ("label",)}


def encode(value: Any) -> Any:
    """The report's dataclasses as JSON: words in the caller's language, a suppressed
    number as ``{"suppressed": reason}`` (never 0), dates as ISO 8601."""
    if isinstance(value, Suppressed):
        return {"suppressed": str(value.reason)}
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in TRANSLATED.get(type(value), ()):
            out[name] = _(out[name]) if out[name] else out[name]
        if isinstance(value, Row) and value.translate:
            out["label"] = _(value.label)
        if isinstance(value, Figure):
            out["change"] = encode(value.change)
        return out
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    return value


def _readers(bank_id: int | None) -> tuple[list[Membership], Audience]:
    memberships = active_memberships()
    partners = [m for m in memberships if m.is_partner]
    if bank_id is None:
        if not partners:
            abort(403)
        return partners, Audience.PARTNER
    for membership in memberships:
        if membership.time_bank_id == bank_id:
            if membership.is_partner:
                return [membership], Audience.PARTNER
            if membership.is_coordinator:
                return [membership], Audience.COORDINATOR
            abort(403)
    abort(404)


def _report(args: dict, page: str) -> ReciprocityReport:
    readers, audience = _readers(args.get("bank"))
    today = today_in(readers[0].time_bank.timezone)
    start, end = args["start"], args["end"]
    if start < EARLIEST:
        abort(
            422,
            detail=_("Choose a date from %(year)s onwards.", year=EARLIEST.year),
            field="from",
        )
    if start > today:
        abort(422, detail=_("The first day cannot be in the future."), field="from")
    try:
        chosen = resolve(CUSTOM, today, start, end)
    except InvalidPeriodError as error:
        abort(422, detail=_(error.template), field="to")
    return read_report(readers, chosen, audience, page=page, format="json", record=True)


def _head(report: ReciprocityReport) -> dict[str, Any]:
    return {
        "audience": str(report.audience),
        "banks": encode(report.banks),
        "period": {
            "from": report.period.start.isoformat(),
            "to": report.period.end.isoformat(),
            "previous_from": report.previous_period.start.isoformat(),
            "previous_to": report.previous_period.end.isoformat(),
        },
        "threshold": report.threshold,
        "generated_at": utc(report.generated_at),
    }


@blp.route("/reciprocity")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(403, description="Not a partner or coordinator of the bank")
@blp.alt_response(404, description="Not a bank of the caller")
@blp.alt_response(422, description="The period is not right")
def reciprocity(args):
    """The reciprocity report: headline, mutuality, shared roles, assets, the core
    economy, the community pot, the monthly trends and the network."""
    report = _report(args, "report")
    sections = {
        name: encode(getattr(report, name))
        for name in (
            "headline",
            "mutuality",
            "shared_roles",
            "assets",
            "core_economy",
            "pot",
            "trends",
            "network",
            "coordinator",
        )
    }
    sections["notes"] = [_(note) for note in report.notes]
    return {**_head(report), "sections": sections}


@blp.route("/network")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(403, description="Not a partner or coordinator of the bank")
@blp.alt_response(404, description="Not a bank of the caller")
@blp.alt_response(422, description="The period is not right")
def network(args):
    """The network measures, how they moved quarter by quarter, and the graph (for a
    partner without names, with node ids new in every report)."""
    report = _report(args, "network")
    return {**_head(report), "sections": {"network": encode(report.network)}}
