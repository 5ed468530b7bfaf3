"""``GET /coordinators/people/search?q=...``: the members of the coordinator's time bank
whose name contains the text, as JSON, for the search-as-you-type boxes
(``static/js/person-search.js``).

Behind the blueprint's coordinator gate; scoped to the coordinator's own bank; reads
only (a GET that changes nothing, so no CSRF token is involved), and refuses a request
that the browser says comes from another site, so no other site can read the names.
"""

from __future__ import annotations

from flask import abort, jsonify, request

from timebank.coordinators import bp
from timebank.coordinators.access import bank
from timebank.extensions import db
from timebank.reports.people_search import find_people


@bp.get("/people/search")
def people_search():
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort(403)
    found, more = find_people(db.session(), bank().id, request.args.get("q", ""))
    response = jsonify(matches=[{"id": i, "name": name} for i, name in found], more=more)
    response.headers["Cache-Control"] = "no-store"
    return response
