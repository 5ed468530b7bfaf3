"""The read resources: who I am, my banks, my profile, members (coordinators),
accounts and statements, offers and requests; each answers only what the caller's role
in that bank may see, and another bank's objects answer 404."""

from __future__ import annotations

import sqlalchemy as sa

from tests.api.support import call, exchange
from tests.api.test_tokens import assert_problem
from timebank.community.listings import post_listing


def test_me_and_my_banks(client, world):
    me = call(client, "GET", "/api/v1/me", world["tokens"]["paula"]).get_json()
    assert [b["slug"] for b in me["banks"]] == ["riverside", "valley"]
    assert all(b["account"] is None for b in me["banks"])
    banks = call(client, "GET", "/api/v1/banks", world["tokens"]["alice"]).get_json()
    assert [(b["slug"], b["role"]) for b in banks] == [("riverside", "member")]


def test_my_profile_and_members_for_coordinators_only(client, world):
    a, b = world["a"].id, world["b"].id
    profile = call(client, "GET", f"/api/v1/banks/{a}/profile", world["tokens"]["alice"])
    assert profile.get_json()["display_name"] == "Alice"
    assert_problem(
        call(client, "GET", f"/api/v1/banks/{b}/profile", world["tokens"]["alice"]),
        404,
        "not_found",
    )
    # A partner has no profile or member objects.
    assert (
        call(client, "GET", f"/api/v1/banks/{a}/profile", world["tokens"]["paula"]).status_code
        == 404
    )
    members = call(client, "GET", f"/api/v1/banks/{a}/members", world["tokens"]["cora"])
    assert {m["display_name"] for m in members.get_json()} >= {"Alice", "Bob", "Cora"}
    assert "email" not in members.get_json()[0]
    assert_problem(
        call(client, "GET", f"/api/v1/banks/{a}/members", world["tokens"]["alice"]),
        403,
        "not_allowed",
    )
    assert (
        call(client, "GET", f"/api/v1/banks/{a}/members", world["tokens"]["vera"]).status_code
        == 404
    )
    one = f"/api/v1/banks/{a}/members/{world['bob'].id}"
    assert call(client, "GET", one, world["tokens"]["cora"]).get_json()["display_name"] == "Bob"
    assert (
        call(
            client, "GET", f"/api/v1/banks/{b}/members/{world['bob'].id}", world["tokens"]["vera"]
        ).status_code
        == 404
    )


def test_accounts_balances_and_statements(client, world):
    a = world["a"].id
    call(client, "POST", "/api/v1/transfers", world["tokens"]["cora"], json=exchange(world))
    alice = world["tokens"]["alice"]
    accounts = call(client, "GET", f"/api/v1/accounts?bank={a}", alice).get_json()
    assert [acc["id"] for acc in accounts] == [world["alice"].account.id]
    assert accounts[0]["balance"] == 60
    everyone = call(client, "GET", f"/api/v1/accounts?bank={a}", world["tokens"]["cora"]).get_json()
    assert len(everyone) >= 4
    bobs = f"/api/v1/accounts/{world['bob'].account.id}"
    assert_problem(call(client, "GET", bobs, alice), 404, "not_found")
    assert_problem(call(client, "GET", bobs, world["tokens"]["dan"]), 404, "not_found")
    statement = call(
        client, "GET", f"/api/v1/accounts/{world['alice'].account.id}/statement", alice
    )
    body = statement.get_json()
    assert body["closing_balance"] == 60 and body["lines"][0]["counterpart"] == "Bob"
    bad = call(
        client, "GET", f"/api/v1/accounts/{world['alice'].account.id}/statement?from=nope", alice
    )
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "from"


def test_offers_and_requests(client, session, world):
    listing = post_listing(
        session, actor=world["bob"], kind="offer", title="Gardening help", description="Weeding"
    )
    session.commit()
    found = call(client, "GET", f"/api/v1/listings?bank={world['a'].id}", world["tokens"]["alice"])
    assert [item["title"] for item in found.get_json()] == ["Gardening help"]
    one = call(client, "GET", f"/api/v1/listings/{listing.id}", world["tokens"]["alice"])
    assert one.get_json()["author"] == "Bob"
    assert (
        call(client, "GET", f"/api/v1/listings/{listing.id}", world["tokens"]["dan"]).status_code
        == 404
    )
    assert (
        call(
            client, "GET", f"/api/v1/listings?bank={world['a'].id}", world["tokens"]["dan"]
        ).status_code
        == 404
    )


def test_the_members_list_pages_by_keyset_in_name_order(client, session, world):
    """100 a page by name (case folded), the next page ``after`` the last membership."""
    from tests.factories import MembershipFactory
    from timebank.ledger.models import Membership

    bank = world["a"]
    bank_id = bank.id
    for _ in range(105):
        MembershipFactory(bank=bank)
    session.commit()
    url = f"/api/v1/banks/{bank_id}/members"
    seen, pages = [], 0
    while url:
        page = call(client, "GET", url, world["tokens"]["cora"])
        assert page.status_code == 200
        seen += [m["membership"] for m in page.get_json()]
        pages += 1
        link = page.headers.get("Link")
        url = link.split(">")[0].lstrip("<").replace("http://localhost", "") if link else None
        assert url is None or "after=" in url
    expected = session.scalars(
        sa.select(Membership.id)
        .where(Membership.time_bank_id == bank_id)
        .order_by(Membership.sort_name, Membership.id)
    ).all()
    assert seen == expected and pages == 2
