"""Coordinators: the import formats as a page of the app (the columns of each layout,
what each holds, which are needed) and a template CSV of each to download and fill in.

The columns come from the importing rooms' own lists, so the page and the templates
cannot drift from what the check reads."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template

from timebank.coordinators import bp
from timebank.importing.rows import MEMBER_COLUMNS, MEMBER_OPTIONAL, TRANSFER_COLUMNS_OPTIONAL
from timebank.quick_gettext import lazy_gettext as _l

MEMBER_MEANINGS = {
    "name": _l("The name people know them by (up to 120 characters)."),
    "email": _l(
        "Their email address, one per member. They sign in with it once they have chosen"
        " a password."
    ),
    "external_ref": _l(
        "Their number or id in the old software, so that past exchanges can name them by"
        " it. Leave it out and the exchanges name them by email."
    ),
    "kind": _l("participant (the usual) or professional."),
    "role": _l("member (the usual), coordinator or partner."),
    "opening_balance_hours": _l(
        "Their balance in the old software, in hours; may be negative (-2.5)."
    ),
    "joined_on": _l("When they joined, like 2024-03-31."),
}
TRANSFER_MEANINGS = {
    "giver": _l("Who gave the time: a member's external_ref, or an organisation's."),
    "giver_email": _l("Or, in place of giver: the giver's email."),
    "receiver": _l("Who received the time, the same way."),
    "receiver_email": _l("Or, in place of receiver: the receiver's email."),
    "hours": _l("How long, in hours (1.5 is an hour and a half)."),
    "minutes": _l("Or, in place of hours: how long in minutes."),
    "date": _l("When it happened, like 2024-03-31 or 31/03/2024; never in the future."),
    "category": _l("A category's short name or name, like gardening."),
    "description": _l("What was done."),
    "transfer_id": _l("The exchange's own id in the old software, if it has one."),
}
TRANSFER_REQUIRED = (
    "giver",
    "giver_email",
    "receiver",
    "receiver_email",
    "hours",
    "minutes",
    "date",
)
# Pairs of which a file needs one column, not both.
ONE_OF = {"giver", "giver_email", "receiver", "receiver_email", "hours", "minutes"}
EITHER = "either"

TEMPLATES = {
    "members": (
        [*MEMBER_COLUMNS, *MEMBER_OPTIONAL],
        [
            [
                "Nia Jones",
                "nia.jones@example.org",
                "101",
                "participant",
                "member",
                "2.5",
                "2024-03-31",
            ],
            ["Owen Price", "owen.price@example.org", "102", "professional", "member", "", ""],
        ],
    ),
    "transfers": (
        ["giver", "receiver", "hours", "date", *TRANSFER_COLUMNS_OPTIONAL],
        [
            ["101", "102", "1.5", "2024-04-02", "gardening", "Weeded the front garden", ""],
            ["102", "101", "1", "2024-04-09", "", "Lift to the surgery", ""],
        ],
    ),
}


@bp.get("/imports/formats")
def import_formats():
    return render_template(
        "coordinators/import_formats.html",
        member_columns=[
            (name, name in MEMBER_COLUMNS, MEMBER_MEANINGS[name])
            for name in (*MEMBER_COLUMNS, *MEMBER_OPTIONAL)
        ],
        transfer_columns=[
            (name, EITHER if name in ONE_OF else name in TRANSFER_REQUIRED, TRANSFER_MEANINGS[name])
            for name in (*TRANSFER_REQUIRED, *TRANSFER_COLUMNS_OPTIONAL)
        ],
    )


def _template(name: str) -> Response:
    header, rows = TEMPLATES[name]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}-template.csv"'},
    )


# One route per template, without parameters: nothing here depends on a time bank.
@bp.get("/imports/templates/members.csv")
def import_template_members():
    return _template("members")


@bp.get("/imports/templates/transfers.csv")
def import_template_transfers():
    return _template("transfers")
