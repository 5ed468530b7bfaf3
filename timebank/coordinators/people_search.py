"""``/coordinators/people/search``: the members of the coordinator's time bank whose
name contains the text, as JSON, for the search-as-you-type boxes
(``static/js/person-search.js``).

Behind the blueprint's coordinator gate; scoped to the coordinator's own bank. The
boxes ask by POST (the text in the body, with the page's CSRF token, so a name never
travels in an address); a GET with ``?q=`` is still answered for the audit log's
filters, and the request log records neither (only the route's pattern). Refuses a
request that the browser says comes from another site, so no other site can read the
names.

``among`` says whom the box may name (the same rule the form checks the chosen id
against): ``members`` (default: every member of the bank, any status, by membership:
the audit log's filters), ``accounts`` (active members, by account: grants),
``payers`` (active members and organisations, by account: donations, a group's
leader), ``staff`` (active members not yet on the staff of ``organisation``, by
membership).
"""

from __future__ import annotations

from flask import abort, jsonify, request

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.ids import parse_id
from timebank.ledger.models import Organisation
from timebank.person_choice import as_json
from timebank.reports.people_search import Among, find_among, find_people

ACCOUNTS = Among(accounts=True)
PAYERS = Among(accounts=True, organisations=True)


def staff_among(organisation_id: int) -> Among:
    return Among(not_staff_of=organisation_id)


@bp.route("/people/search", methods=["GET", "POST"])
def people_search():
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort(403)
    asked = request.form if request.method == "POST" else request.args
    text = asked.get("q", "")
    time_bank_id = bank().id
    kind = asked.get("among", "members")
    if kind == "members":
        found, more = find_people(db.session(), time_bank_id, text)
        answer = {"matches": [{"id": i, "name": name} for i, name in found], "more": more}
    else:
        if kind == "accounts":
            among = ACCOUNTS
        elif kind == "payers":
            among = PAYERS
        elif kind == "staff":
            organisation_id = parse_id(asked.get("organisation"))
            organisation = (
                db.session.get(Organisation, organisation_id) if organisation_id else None
            )
            if organisation is None or organisation.time_bank_id != time_bank_id:
                abort(404)
            among = staff_among(organisation.id)
        else:
            abort(400)
        answer = as_json(*find_among(db.session(), time_bank_id, text, among))
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response
