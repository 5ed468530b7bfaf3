"""My statement, for the dates I choose (this year unless I say): a page to read or
print, and the same lines as a CSV file.

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
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from timebank.extensions import db
from timebank.kept_parts import kept_part
from timebank.ledger.clock import today_in
from timebank.members.forms import StatementForm
from timebank.members.views import bp
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.exports import BOM
from timebank.reports.member_figures import member_figures
from timebank.reports.statements import get_statement
from timebank.transfer_words import counterpart_name, description_of, kind_label

HEADER = [
    _l("Date"),
    _l("With whom"),
    _l("What"),
    _l("Category"),
    _l("Time given (h)"),
    _l("Time received (h)"),
    # Donations, grants, reversals and opening balances move credits, not time.
    _l("Other credits in or out (h)"),
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


def _chosen_dates(form: StatementForm, today: date) -> tuple[date, date]:
    """The statement's dates: what the member chose, or this year so far."""
    return (form.date_from.data or date(today.year, 1, 1), form.date_to.data or today)


def _form() -> StatementForm:
    # The CSV link and older bookmarks use ?from=...&to=...; the form's own names too.
    args = request.args.to_dict()
    for short, name in (("from", "date_from"), ("to", "date_to")):
        if short in args and name not in args:
            args[name] = args.pop(short)
    return StatementForm(formdata=MultiDict(args))


@bp.get("/statement")
@login_required
def statement_page():
    """My statement as a page that reads well on a phone and prints cleanly, with the
    months chart; the CSV has the same lines for a spreadsheet."""
    membership = current_user.current_membership()
    if membership is None or membership.account is None:
        return redirect(url_for("members.dashboard"))
    bank = membership.time_bank
    today = today_in(bank.timezone)
    form = _form()
    valid = form.validate() if request.args else True
    start, end = _chosen_dates(form, today) if valid else (date(today.year, 1, 1), today)
    if valid:
        # Show the dates used, also when none were chosen.
        form.date_from.data, form.date_to.data = start, end
    statement = get_statement(db.session(), membership.account, start=start, end=end)
    figures = member_figures(db.session(), membership.account, today=today)
    # The rows and the chart are kept by the values they are drawn from (the lines; the
    # months), the language and the time zone: see timebank/kept_parts.py.
    lines = tuple(statement.lines)
    rows = kept_part(
        "members/_statement_rows.html",
        lines,
        lambda: {"lines": lines},
    )
    # The chart reads nothing of the figures but their months.
    chart = kept_part(
        "members/_chart_months.html", tuple(figures.months), lambda: {"figures": figures}
    )
    return render_template(
        "members/statement.html",
        form=form,
        valid=valid,
        bank=bank,
        statement=statement,
        start=start,
        end=end,
        statement_rows=rows,
        months_chart=chart,
    ), (200 if valid else 400)


@bp.get("/statement.csv")
@login_required
def statement_csv():
    membership = current_user.current_membership()
    if membership is None:
        return redirect(url_for("members.dashboard"))
    bank = membership.time_bank
    today = today_in(bank.timezone)
    form = _form()
    if not form.validate():
        # Answered at the field on the statement page, with what was typed kept.
        return statement_page()
    start, end = _chosen_dates(form, today)
    statement = get_statement(db.session(), membership.account, start=start, end=end)

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
            "",
            hours(statement.opening_balance),
        ]
    )
    for line in statement.lines:
        time = line.view.is_time
        writer.writerow(
            [
                line.service_date.isoformat(),
                safe_cell(counterpart_name(line)),
                safe_cell(description_of(line) or kind_label(line.kind)),
                safe_cell(line.category),
                hours(line.minutes) if time and line.minutes > 0 else "",
                hours(-line.minutes) if time and line.minutes < 0 else "",
                "" if time else hours(line.minutes),
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
