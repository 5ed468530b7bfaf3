"""The coordinators' version of the reciprocity report: the same figures as the
partners read, for their own bank, counting every member and suppressing nothing, with
names where that helps a coordinator's work (who has only received, who has never
given, who has gone quiet, the brokers) and a network picture with names.

Downloads carry names, so each is written to the audit log like the other exports;
reading the pages is not logged (a coordinator reads their own bank's records)."""

from __future__ import annotations

from flask import current_app, render_template, request

from timebank.coordinators import bp
from timebank.coordinators.access import bank, coordinator
from timebank.ledger.clock import today_in
from timebank.report_views import downloads
from timebank.report_views.kept_body import kept_body
from timebank.report_views.page import network_context, report_context
from timebank.report_views.periods import period_from
from timebank.report_views.reading import broker_nodes, read_report, read_report_and_source
from timebank.reports.reciprocity import Audience, Graph

# Each list of names on the page shows this many; everyone is in the CSV download. A
# big bank's "never given" list runs to thousands: a page of them helps nobody and took
# over a second to draw.
NAMES_SHOWN = 50


def _page(page: str):
    form, chosen = period_from(request.args, today_in(bank().timezone))
    context = {
        "bank": bank(),
        "form": form,
        "period": chosen,
        "page": page,
        "names_shown": current_app.config.get("REPORT_NAMES_SHOWN", NAMES_SHOWN),
    }
    if chosen is None:
        return render_template(f"coordinators/report_{page}.html", report=None, **context), 400
    report, source = read_report_and_source(
        [coordinator()], chosen, Audience.COORDINATOR, page=page, format="web", record=False
    )
    # The body is kept per cached report (a new one whenever the ledger changes), language
    # and what else it shows: see report_views/kept_body.py.
    period_query = tuple(sorted(chosen.query().items()))
    if page == "network":
        brokers = broker_nodes(report)
        body = kept_body(
            report,
            source,
            "report_views/_network_body.html",
            (period_query, tuple(sorted(brokers.items()))),
            lambda: network_context(report, brokers),
        )
        context["picture"] = isinstance(report.network.graph, Graph)
    else:
        body = kept_body(
            report,
            source,
            "report_views/_report_body.html",
            (period_query, context["names_shown"]),
            lambda: {**context, **report_context(report)},
        )
    return render_template(
        f"coordinators/report_{page}.html", report=report, report_body=body, **context
    )


@bp.get("/report")
def report():
    return _page("report")


@bp.get("/report/network")
def report_network():
    return _page("network")


def _download(format: str):
    _form, chosen = period_from(request.args, today_in(bank().timezone))
    if chosen is None:
        return _page("report")
    report = read_report(
        [coordinator()], chosen, Audience.COORDINATOR, page="report", format=format, record=True
    )
    return downloads.csv_response(report) if format == "csv" else downloads.pdf_response(report)


@bp.get("/report.csv")
def report_csv():
    return _download("csv")


@bp.get("/report.pdf")
def report_pdf():
    return _download("pdf")
