"""The partners' pages: the list of their banks with the period chooser, the report
and the network view for one bank or for all of them combined, and the downloads.
Every view and download of a report is written to each bank's audit log."""

from __future__ import annotations

from flask import abort, render_template, request

from timebank.ledger.clock import today_in
from timebank.partners import bp
from timebank.partners.access import memberships_for, partner_memberships
from timebank.report_views import downloads
from timebank.report_views.kept_body import kept_body
from timebank.report_views.page import (
    network_measures_context,
    network_picture_context,
    report_context,
    report_title,
)
from timebank.report_views.periods import period_from
from timebank.report_views.reading import read_report, read_report_and_source
from timebank.reports.reciprocity import Audience


def _today():
    # The first bank's own calendar: "this quarter" is the same for every bank in the
    # UK, and a partner's banks share a region.
    return today_in(partner_memberships()[0].time_bank.timezone)


@bp.get("/")
def home():
    memberships = partner_memberships()
    form, chosen = period_from(request.args, _today())
    return render_template(
        "partners/home.html", memberships=memberships, form=form, period=chosen
    ), (200 if chosen is not None else 400)


def _scope_links(slug: str | None, endpoint: str, chosen) -> dict:
    """url_for arguments for this scope and period (one bank, or all combined)."""
    args = dict(chosen.query()) if chosen is not None else {}
    if slug is not None:
        args["slug"] = slug
    return {"endpoint": endpoint, "args": args}


def _page(slug: str | None, page: str):
    memberships = memberships_for(slug)
    form, chosen = period_from(request.args, _today())
    context = {
        "memberships": memberships,
        "slug": slug,
        "page": page,
        "title": None,
        "form": form,
        "period": chosen,
        "links": {
            name: _scope_links(slug, f"partners.{name}", chosen)
            for name in ("report", "network", "report_csv", "report_pdf")
        },
    }
    if chosen is None:
        return render_template(f"partners/{page}.html", report=None, **context), 400
    report, source = read_report_and_source(
        memberships, chosen, Audience.PARTNER, page=page, format="web", record=True
    )
    if page == "network":
        # The picture has new pseudonyms on every view: drawn afresh. The measures and
        # quarters under it are the same for every view of the cached report: kept
        # under it, as the report page's body is.
        context.update(network_picture_context(report))
        context["kept_measures"] = kept_body(
            report,
            source,
            "report_views/_network_measures.html",
            (),
            lambda: {**context, **network_measures_context(report)},
        )
        return render_template(f"partners/{page}.html", report=report, **context)
    # The report's body never shows the picture (the only part made anew for each
    # view): kept per cached report, language and period (report_views/kept_body.py).
    context["title"] = report_title(report)  # the heading's, as report_context gives it
    body = kept_body(
        report,
        source,
        "report_views/_report_body.html",
        (tuple(sorted(chosen.query().items())),),
        lambda: {**context, **report_context(report)},
    )
    return render_template(f"partners/{page}.html", report=report, report_body=body, **context)


@bp.get("/all-banks/report", defaults={"slug": None})
@bp.get("/banks/<slug>/report")
def report(slug: str | None):
    return _page(slug, "report")


@bp.get("/all-banks/network", defaults={"slug": None})
@bp.get("/banks/<slug>/network")
def network(slug: str | None):
    return _page(slug, "network")


def _download(slug: str | None, format: str):
    memberships = memberships_for(slug)
    _form, chosen = period_from(request.args, _today())
    if chosen is None:
        # The chooser on the report page explains what is wrong with the dates.
        return _page(slug, "report")
    report = read_report(
        memberships, chosen, Audience.PARTNER, page="report", format=format, record=True
    )
    if format == "csv":
        return downloads.csv_response(report)
    if format == "pdf":
        return downloads.pdf_response(report)
    abort(404)


@bp.get("/all-banks/report.csv", defaults={"slug": None})
@bp.get("/banks/<slug>/report.csv")
def report_csv(slug: str | None):
    return _download(slug, "csv")


@bp.get("/all-banks/report.pdf", defaults={"slug": None})
@bp.get("/banks/<slug>/report.pdf")
def report_pdf(slug: str | None):
    return _download(slug, "pdf")
