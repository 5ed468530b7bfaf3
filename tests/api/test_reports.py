# ruff: noqa: F811 - the partners' world fixture is imported under another name
"""The reciprocity report and the network measures through the API: the partners'
consent and suppression rules exactly as on their pages (the same ``read_report``),
every reading in each bank's audit log, and only for partners and coordinators."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.api.support import call, token_for
from tests.web.test_partner_reports import (
    TODAY,
    assert_no_names,
    report_entries,
)
from tests.web.test_partner_reports import world as partner_world  # noqa: F401
from timebank.api.reports import encode
from timebank.ledger.models import Membership
from timebank.reports.reciprocity import Audience, BankSelection, Period, get_report

FIRST = TODAY - timedelta(days=90)
START = FIRST.isoformat()


@pytest.fixture
def council(session, partner_world):
    membership = session.query(Membership).filter_by(time_bank_id=partner_world["banks"]["a"]).all()
    partner = next(m for m in membership if m.role == "partner")
    return token_for(session, partner, scope="read")


def test_a_partners_report_has_no_names_and_suppresses_small_numbers(
    app,
    client,
    session,
    partner_world,
    council,
):
    c = partner_world["banks"]["c"]
    response = call(
        client, "GET", f"/api/v1/reports/reciprocity?bank={c}&from={START}&to={TODAY}", council
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["audience"] == "partner"
    text = json.dumps(body)
    assert_no_names(text, partner_world)
    assert body["sections"]["mutuality"]["two_way_rate"]["value"] == {"suppressed": "small"}
    assert body["sections"]["coordinator"] is None
    # Exactly the figures the partners' pages read for the same period.
    expected = get_report(session, BankSelection((c,)), Period(FIRST, TODAY), Audience.PARTNER)
    with app.test_request_context("/api/v1/reports/reciprocity"):  # words in English
        headline = json.loads(json.dumps(encode(expected.headline)))
    assert body["sections"]["headline"] == headline
    assert [json.loads(e.after)["format"] for e in report_entries(session, c)] == ["json"]


def test_all_banks_combined_and_the_network_is_pseudonymised(
    client, session, partner_world, council
):
    combined = call(client, "GET", f"/api/v1/reports/reciprocity?from={START}&to={TODAY}", council)
    assert len(combined.get_json()["banks"]) == 3
    a = partner_world["banks"]["a"]
    network = call(
        client, "GET", f"/api/v1/reports/network?bank={a}&from={START}&to={TODAY}", council
    )
    graph = network.get_json()["sections"]["network"]["graph"]
    assert graph["pseudonymised"] is True
    assert all(node["label"] is None for node in graph["nodes"])
    assert_no_names(network.get_data(as_text=True), partner_world)


def test_only_partners_and_coordinators_of_the_bank_read_it(
    client, session, partner_world, council
):
    a = partner_world["banks"]["a"]
    query = f"from={START}&to={TODAY}"
    coordinator = token_for(session, partner_world["coordinator"])
    own = call(client, "GET", f"/api/v1/reports/reciprocity?bank={a}&{query}", coordinator)
    assert own.get_json()["audience"] == "coordinator"
    member = token_for(session, partner_world["members_a"][0])
    assert (
        call(client, "GET", f"/api/v1/reports/reciprocity?bank={a}&{query}", member).status_code
        == 403
    )
    assert call(client, "GET", f"/api/v1/reports/reciprocity?{query}", member).status_code == 403
    b = partner_world["banks"]["b"]
    assert (
        call(
            client, "GET", f"/api/v1/reports/reciprocity?bank={b}&{query}", coordinator
        ).status_code
        == 404
    )
    assert (
        call(client, "GET", f"/api/v1/reports/reciprocity?bank=99999&{query}", council).status_code
        == 404
    )


def test_a_wrong_period_is_422_at_its_field(client, partner_world, council):
    a = partner_world["banks"]["a"]
    backwards = call(
        client, "GET", f"/api/v1/reports/reciprocity?bank={a}&from={TODAY}&to=2020-01-01", council
    )
    assert backwards.status_code == 422 and backwards.get_json()["field"] == "to"
    ancient = call(
        client,
        "GET",
        f"/api/v1/reports/reciprocity?bank={a}&from=1900-01-01&to=2020-01-01",
        council,
    )
    assert ancient.status_code == 422 and ancient.get_json()["field"] == "from"
    welsh = call(
        client,
        "GET",
        f"/api/v1/reports/reciprocity?bank={a}&from=1900-01-01&to=2020-01-01",
        council,
        lang="cy",
    )
    assert welsh.get_json()["detail"] != ancient.get_json()["detail"]
    missing = call(client, "GET", f"/api/v1/reports/reciprocity?bank={a}", council)
    assert missing.status_code == 422
