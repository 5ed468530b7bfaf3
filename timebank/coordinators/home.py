"""The coordinators' overview, where a coordinator lands: what waits for them (entries,
applications), this month's time, the people who may need a call, and the pot."""

from __future__ import annotations

from flask import render_template

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.ledger.banks import get_pot_account
from timebank.ledger.clock import today_in
from timebank.reports.coordinator_overview import (
    SHOWN,
    get_waiting,
    last_month,
    lately,
    list_applicants,
    month_time,
    people_to_call,
    this_month,
)


@bp.get("/")
def home():
    time_bank = bank()
    today = today_in(time_bank.timezone)
    month, previous, recent = this_month(today), last_month(today), lately(today)
    session = db.session()
    people = people_to_call(session, time_bank.id, recent)
    return render_template(
        "coordinators/home.html",
        bank=time_bank,
        today=today,
        waiting=get_waiting(db.session(), time_bank.id),
        applicants=list_applicants(db.session(), time_bank.id),
        month=month,
        month_time=month_time(session, time_bank.id, month),
        previous=previous,
        previous_time=month_time(session, time_bank.id, previous),
        recent=recent,
        only_received=people.only_received,
        quiet=people.quiet,
        shown=SHOWN,
        pot=get_pot_account(db.session(), time_bank.id),
    )
