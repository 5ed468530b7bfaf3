"""The coordinators' overview, where a coordinator lands: what waits for them (entries,
applications), this month's time, the people who may need a call, and the pot."""

from __future__ import annotations

from flask import render_template

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.kept_parts import kept_part
from timebank.ledger.clock import today_in
from timebank.ledger.database import run_in_transaction
from timebank.reports.coordinator_overview import (
    SHOWN,
    get_waiting,
    kept_overview,
    last_month,
    lately,
    list_applicants,
    overview_figures,
    pot_balance,
    this_month,
)


@bp.get("/")
def home():
    time_bank = bank()
    today = today_in(time_bank.timezone)
    month, previous, recent = this_month(today), last_month(today), lately(today)
    session = db.session()
    # Kept in the report cache while nothing in the bank changes: read without a write
    # transaction; worked out and written (committed at once) only when it has changed.
    figures = kept_overview(session, time_bank.id, today) or run_in_transaction(
        session, lambda: overview_figures(session, time_bank.id, today)
    )
    people = figures.people
    # Drawn from the figures and the day alone (the periods are today's): kept by them,
    # the language and the time zone (timebank/kept_parts.py).
    drawn = kept_part(
        "coordinators/_overview_figures.html",
        (today, figures),
        lambda: {
            "month": month,
            "month_time": figures.month_time,
            "previous": previous,
            "previous_time": figures.previous_time,
            "recent": recent,
            "only_received": people.only_received,
            "quiet": people.quiet,
            "shown": SHOWN,
        },
    )
    return render_template(
        "coordinators/home.html",
        bank=time_bank,
        today=today,
        waiting=get_waiting(session, time_bank.id),
        applicants=list_applicants(session, time_bank.id),
        overview_figures=drawn,
        shown=SHOWN,
        pot_balance=pot_balance(session, time_bank.id),
    )
