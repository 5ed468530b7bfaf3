"""My statement as a CSV file, for the dates I choose (this year unless I say).

The headings and words follow the reader's language; the figures stay machine-readable
so any spreadsheet can add them up: dates as ISO dates (2025-01-31) and hours as decimal
hours with a dot (1.50), whatever the language.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.exports import BOM
from timebank.ledger.statements import get_statement
from timebank.members.views import bp, counterpart_name, description_of, kind_label

HEADER = [
    _l("Date"),
    _l("With whom"),
    _l("What"),
    _l("Category"),
    _l("Given (h)"),
    _l("Received (h)"),
    _l("Running balance (h)"),
]
# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str | None) -> str:
    """Text as a spreadsheet will show it, never run it: a leading ' stops formulas."""
    text = text or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def hours(minutes: int) -> str:
    """Minutes as decimal hours, e.g. 90 -> '1.50'. Numbers we write ourselves.

    Not localised on purpose: a dot and no grouping in every language, so spreadsheets
    read the cells as numbers (timebank.filters.hours is for text a person reads)."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    return f"{sign}{whole}.{round(rest * 100 / 60):02d}"


def _bad_request(detail: str):
    return (
        render_template("error.html", title=_("We could not make that statement"), detail=detail),
        400,
    )


def _parse(name: str, default: date) -> date:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    return date.fromisoformat(raw)


@bp.get("/statement.csv")
@login_required
def statement_csv():
    membership = current_user.current_membership()
    if membership is None:
        return redirect(url_for("members.dashboard"))
    bank = membership.time_bank
    today = today_in(bank.timezone)
    try:
        start = _parse("from", date(today.year, 1, 1))
        end = _parse("to", today)
    except ValueError:
        return _bad_request(
            _("Please give the dates as year, month and day, for example 2025-01-31.")
        )
    if start > end:
        return _bad_request(_("The 'from' date must be on or before the 'to' date."))
    statement = get_statement(db.session, membership.account, start=start, end=end)

    out = io.StringIO()
    # A byte-order mark, so that Excel reads the file as UTF-8 (Welsh ŵ and ŷ, names).
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow([str(heading) for heading in HEADER])
    writer.writerow(
        [
            start.isoformat(),
            "",
            _("Balance at the start"),
            "",
            "",
            "",
            hours(statement.opening_balance),
        ]
    )
    for line in statement.lines:
        what = description_of(line) or kind_label(line.kind)
        writer.writerow(
            [
                line.service_date.isoformat(),
                safe_cell(counterpart_name(line)),
                safe_cell(what),
                safe_cell(line.category),
                hours(line.minutes) if line.minutes > 0 else "",
                hours(-line.minutes) if line.minutes < 0 else "",
                hours(line.running_balance or 0),
            ]
        )
    filename = f"statement-{bank.slug}-{start.isoformat()}-to-{end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
