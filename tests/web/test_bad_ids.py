"""Numbers too large for any id are a 404 or are ignored, never a 500 (issue 11,
finding 5): on every ``<int:...>`` route (SQLite raised OverflowError past 2^63,
PostgreSQL past 2^31), in page and category numbers, and in bulk selections."""

from __future__ import annotations

import pytest

from tests.factories import TimeBankFactory
from tests.web.test_auth import make_member, sign_in
from timebank.ids import MAX_ID, parse_id
from timebank.ledger.models import Role

HUGE = [str(2**31), str(2**63), "9" * 30]


@pytest.fixture
def coordinator(client, session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    make_member(session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
    make_member(session, email="alice@example.org", bank=bank)
    sign_in(client, "cora@example.org")


def int_routes(app):
    for rule in app.url_map.iter_rules():
        names = [
            name for name, conv in rule._converters.items() if type(conv).__name__ == "IdConverter"
        ]
        if names:
            yield rule, names


@pytest.mark.parametrize("number", HUGE)
def test_every_id_route_answers_404_for_a_number_past_any_id(app, client, coordinator, number):
    checked = 0
    for rule, names in int_routes(app):
        path = rule.rule
        for name in names:
            path = path.replace(f"<int:{name}>", number)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("number", [*HUGE, "-1", "0", "١٢"])
def test_page_and_category_numbers_never_break_a_list(client, coordinator, number):
    for url in (
        f"/members/listings?page={number}",
        f"/members/listings?category={number}",
        f"/coordinators/approvals?after={number}",
        f"/coordinators/approvals?before={number}",
        f"/coordinators/transfers?after={number}",
        f"/coordinators/members?page={number}",
        f"/coordinators/pot?page={number}",
        f"/coordinators/audit?before={number}",
        f"/coordinators/audit?after={number}",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("number", HUGE)
def test_a_bulk_selection_of_huge_numbers_selects_nothing(client, coordinator, number):
    response = client.post("/coordinators/approvals/bulk", data={"selected": [number]})
    assert response.status_code == 302


def test_parse_id():
    assert parse_id("42") == 42 and parse_id(" 7 ") == 7 and parse_id(MAX_ID) == MAX_ID
    for bad in ("", "0", "-3", "4.0", "١٢", str(MAX_ID + 1), None, True, 2**40, "1e3"):
        assert parse_id(bad) is None, bad


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_audit_log_takes_the_first_and_last_dates_there_are(client, coordinator, day):
    for name in ("date_from", "date_to"):
        assert client.get(f"/coordinators/audit?{name}={day}").status_code in (200, 400)


@pytest.mark.parametrize("number", [*HUGE, "١٢", "-1"])
def test_a_group_exchange_with_a_huge_hub_or_funder_is_refused_plainly(client, coordinator, number):
    # The form fuzz (tests/web/test_form_fuzz.py) found this one: an OverflowError on SQLite.
    for field in ("hub", "funder"):
        response = client.post(
            "/coordinators/group-exchange",
            data={"action": "review", "direction": "workshop", field: number},
        )
        assert response.status_code in (400, 404), (field, response.status_code)


def test_the_listing_an_exchange_answers_is_read_in_ascii_digits_only():
    from timebank.members.exchange_form import listing_id_of

    assert listing_id_of("3") == 3 and listing_id_of("") is None and listing_id_of(None) is None
    for unreadable in ("\u0661", "\uff11", "9" * 40, "-2", "0", "x"):
        assert listing_id_of(unreadable) == 0, unreadable
