"""``POST /members/people/search``: the people a member may name in a form (the other
person of an exchange, the person to write to) whose name contains the text, as JSON,
for the search-as-you-type boxes (``static/js/person-search.js``).

Only for an active member or coordinator of the bank chosen for the session, and only
within that bank; a partner (who sees no members) is refused. The text travels in the
body of a POST with the page's CSRF token, never in an address, and the request log
records only the route's pattern. A request the browser says comes from another site
is refused.
"""

from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user, login_required

from timebank.extensions import db
from timebank.ledger.models import MEMBER_ROLES
from timebank.members.views import bp
from timebank.person_choice import as_json
from timebank.reports.people_search import exchange_among, find_among, message_among

AMONG = {"exchange": exchange_among, "message": message_among}


@bp.post("/people/search")
@login_required
def people_search():
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        abort(403)
    me = current_user.current_membership()
    if me is None or me.role not in MEMBER_ROLES or me.account is None:
        abort(403)
    among = AMONG.get(request.form.get("among", ""))
    if among is None:
        abort(400)
    found = find_among(db.session(), me.time_bank_id, request.form.get("q", ""), among(me))
    response = jsonify(as_json(*found))
    response.headers["Cache-Control"] = "no-store"
    return response
