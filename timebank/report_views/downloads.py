"""The report as a file: CSV (from ``timebank.reports.reciprocity.report_csv``, in the
reader's language) and PDF (the print page drawn by WeasyPrint). Both carry the same
figures and suppression as the page, with the period, the banks, the definitions and
the date made."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from flask import Response, current_app, render_template

from timebank.coordinators.audit import ReadersWording
from timebank.report_views.page import report_context
from timebank.reports.reciprocity import ReciprocityReport, report_csv

STATIC = Path(__file__).resolve().parent.parent / "static"


def filename(report: ReciprocityReport, extension: str) -> str:
    scope = report.banks[0].slug if len(report.banks) == 1 else "combined"
    period = f"{report.period.start.isoformat()}-to-{report.period.end.isoformat()}"
    return f"{scope}-reciprocity-{period}.{extension}"


def _attachment(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # Figures about people: not kept by the browser or any proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def csv_response(report: ReciprocityReport) -> Response:
    # Written whole before sending (a report is small): the words need the reader's
    # language, which is not to be looked up once the request is over.
    text = "".join(report_csv(report, w=ReadersWording()))
    response = Response(text, mimetype="text/csv")
    return _attachment(response, filename(report, "csv"))


def render_print(report: ReciprocityReport) -> str:
    """The report as one self-contained HTML page for printing (the PDF's source)."""
    measures = report.network.measures
    by_key = {f.name: getattr(measures, f.name) for f in fields(measures)}
    return render_template(
        "report_views/print.html",
        report=report,
        network_measures=list(by_key.values()),
        network_by_key=by_key,
        quarter_fields=list(by_key),
        **report_context(report),
    )


def pdf_response(report: ReciprocityReport) -> Response:
    from weasyprint import CSS, HTML

    html = render_print(report)
    stylesheet = CSS(filename=str(STATIC / "css" / "report-print.css"))
    # No base URL and no fetching: everything the PDF shows is in the page itself.
    document = HTML(string=html, url_fetcher=_refuse_fetch).render(stylesheets=[stylesheet])
    pdf = document.write_pdf()
    current_app.logger.debug("report PDF: %s pages", len(document.pages))
    response = Response(pdf, mimetype="application/pdf")
    return _attachment(response, filename(report, "pdf"))


def _refuse_fetch(url: str, *args, **kwargs):
    raise ValueError(f"the report PDF fetches nothing ({url[:40]})")
