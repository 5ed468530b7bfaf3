"""The partner role, route by route, for every route of the member and partner areas
(the coordinators' area is in test_coordinator_access.py).

A partner (a commissioner) reaches none of the member area's people, listings or
messages: every member route sends them to the partners' area and changes nothing.
The partners' area opens only to a signed-in person with an active partner membership,
and only for the banks they are linked to: another bank does not exist for them (404).
The routes are read from the app's URL map, so a new page is covered the day it is
added.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in
from timebank.community import listings as listing_service
from timebank.community import messages as message_service
from timebank.community.models import Listing, Message, MessageThread, Notification
from timebank.ledger.models import AuditChain, Role, Transfer
from timebank.ledger.transfers import record_transfer

TODAY = bank_today()
PARTNERS_HOME = "/partners/"


@pytest.fixture
def world(session):
    """Time bank A with a coordinator, two members, a listing, a conversation and
    transfers, and a partner; time bank B with its own coordinator and partner; a
    council officer who is a partner of both."""
    bank_a = TimeBankFactory(slug="bank-a", name="Bank A")
    bank_b = TimeBankFactory(slug="bank-b", name="Bank B")
    coordinator_a = make_member(
        session, email="coord-a@example.org", bank=bank_a, role=Role.COORDINATOR
    )
    member_a = make_member(session, email="member-a@example.org", name="Mary Able", bank=bank_a)
    other_a = make_member(session, email="other-a@example.org", name="Otto Other", bank=bank_a)
    partner_a = make_member(
        session, email="partner-a@example.org", name="Pat Partner", bank=bank_a, role=Role.PARTNER
    )
    make_member(session, email="coord-b@example.org", bank=bank_b, role=Role.COORDINATOR)
    make_member(session, email="partner-b@example.org", bank=bank_b, role=Role.PARTNER)
    council = make_member(
        session, email="council@example.org", name="Cara Council", bank=bank_a, role=Role.PARTNER
    )
    from timebank.ledger.banks import add_membership

    add_membership(session, actor=None, bank=bank_b, person=council.person, role=Role.PARTNER)
    posted = record_transfer(
        session,
        actor=coordinator_a,
        giver=member_a.account,
        receiver=other_a.account,
        minutes=60,
        service_date=TODAY,
    )
    pending = record_transfer(
        session,
        actor=member_a,
        giver=member_a.account,
        receiver=other_a.account,
        minutes=30,
        service_date=TODAY,
    )
    listing = listing_service.post_listing(
        session, actor=member_a, kind="offer", title="Gardening help", description="Weeding"
    )
    thread = message_service.start_thread(session, member_a, other_a, "Hello", "Tea on Friday?")
    session.commit()
    return {
        "bank_a": bank_a.id,
        "slug_a": bank_a.slug,
        "slug_b": bank_b.slug,
        "partner_a": partner_a,
        "ids": {
            "transfer_id": pending.id,
            "posted_transfer_id": posted.id,
            "listing_id": listing.id,
            "thread_id": thread.id,
            "membership_id": other_a.id,
        },
    }


def routes_of(app, blueprint: str):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{blueprint}."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule, method))
    return routes


def member_url(rule, world) -> str:
    values = {}
    for name in rule.arguments:
        assert name in world["ids"], (
            f"route {rule.rule} uses parameter {name!r}: add it to the world of "
            "tests/web/test_partner_access.py"
        )
        values[name] = world["ids"][name]
    return rule.build(values, append_unknown=False)[1]


def partner_url(rule, slug: str) -> str | None:
    """The route for one bank (``slug``), or None for a route without a bank."""
    if "slug" not in rule.arguments or "slug" in (rule.defaults or {}):
        return None
    assert set(rule.arguments) == {"slug"}, f"route {rule.rule}: add its parameters here"
    return rule.build({"slug": slug}, append_unknown=False)[1]


def any_bank_url(rule) -> str:
    """A partner route that names no bank (the list, the combined report)."""
    return rule.build(dict(rule.defaults or {}), append_unknown=False)[1]


def state(session, bank_id):
    session.expire_all()

    def count(model):
        return session.scalar(sa.select(sa.func.count()).select_from(model))

    return (
        session.scalar(sa.select(AuditChain.last_seq).where(AuditChain.time_bank_id == bank_id)),
        session.execute(
            sa.select(Transfer.id, Transfer.status)
            .where(Transfer.time_bank_id == bank_id)
            .order_by(Transfer.id)
        ).all(),
        count(Listing),
        count(MessageThread),
        count(Message),
        count(Notification),
    )


def request(client, method, url):
    response = client.open(url, method=method, data={}, follow_redirects=False)
    response.get_data()  # run streamed responses to the end
    response.close()
    return response


# The member area ------------------------------------------------------------------------


def test_there_are_member_and_partner_routes(app):
    assert len(routes_of(app, "members")) >= 20
    assert len(routes_of(app, "partners")) >= 3


def test_a_partner_reaches_no_member_page_or_action(app, client, session, world):
    before = state(session, world["bank_a"])
    sign_in(client, "partner-a@example.org")
    for rule, method in routes_of(app, "members"):
        url = member_url(rule, world)
        response = request(client, method, url)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.headers["Location"].endswith(PARTNERS_HOME), (method, url)
    assert state(session, world["bank_a"]) == before


def test_a_partner_of_several_banks_reaches_no_member_page_either(app, client, session, world):
    sign_in(client, "council@example.org")
    for rule, method in routes_of(app, "members"):
        if method != "GET":
            continue
        response = request(client, method, member_url(rule, world))
        assert response.headers["Location"].endswith(PARTNERS_HOME), rule.rule


def test_a_partner_lands_on_the_partners_area(client, world):
    response = sign_in(client, "partner-a@example.org")
    assert response.headers["Location"].endswith(PARTNERS_HOME)
    assert client.get("/").headers["Location"].endswith(PARTNERS_HOME)
    page = client.get(PARTNERS_HOME)
    assert page.status_code == 200


def test_a_partners_navigation_is_the_partners_area_not_the_member_menu(client, world):
    sign_in(client, "partner-a@example.org")
    html = client.get(PARTNERS_HOME).get_data(as_text=True)
    assert "Partners&#39; reports" in html or "Partners' reports" in html
    for member_link in ("My time", "Offers and requests", "Messages", "News", "Coordinate"):
        assert f">{member_link}<" not in html, member_link
    assert 'href="/members/' not in html


def test_a_members_navigation_has_no_partners_link(client, world):
    sign_in(client, "member-a@example.org")
    html = client.get("/members/").get_data(as_text=True)
    assert ">My time<" in html
    assert 'href="/partners/' not in html


def test_a_partner_is_offered_as_nobodys_counterpart(app, client, session, world):
    """Nowhere a member or a coordinator picks a person does the partner appear."""
    sign_in(client, "member-a@example.org")
    for url in ("/members/log", "/members/messages/new"):
        html = client.get(url).get_data(as_text=True)
        assert "Pat Partner" not in html and "Cara Council" not in html, url
    for among in ("exchange", "message"):
        for text in ("o", "pat", "cara"):
            answer = client.post("/members/people/search", data={"q": text, "among": among})
            names = [match["name"] for match in answer.get_json()["matches"]]
            assert "Pat Partner" not in names and "Cara Council" not in names, among
        answer = client.post("/members/people/search", data={"q": "otto", "among": among})
        assert [match["name"] for match in answer.get_json()["matches"]] == ["Otto Other"]
    client.post("/auth/sign-out")
    sign_in(client, "coord-a@example.org")
    coordinator_pages = [
        rule.rule
        for rule, method in routes_of(app, "coordinators")
        if method == "GET" and not rule.arguments and not rule.rule.endswith((".csv", ".pdf"))
    ]
    for url in coordinator_pages:
        if url in ("/coordinators/members", "/coordinators/audit"):
            # The people list names partners as partners, and the audit log names
            # whoever acted (a partner reading a report is in it).
            continue
        html = client.get(url).get_data(as_text=True)
        assert "Pat Partner" not in html and "Cara Council" not in html, url


def test_a_member_cannot_open_a_partners_profile_or_write_to_them(client, session, world):
    sign_in(client, "member-a@example.org")
    partner_id = world["partner_a"].id
    assert client.get(f"/members/people/{partner_id}").status_code == 404
    before = state(session, world["bank_a"])
    response = client.post(
        "/members/messages/new",
        data={"recipient": str(partner_id), "subject": "Hi", "body": "Hello"},
    )
    assert "error-message" in response.get_data(as_text=True)
    assert state(session, world["bank_a"]) == before


# The partners' area ---------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in(app, client, world):
    for rule, method in routes_of(app, "partners"):
        url = partner_url(rule, world["slug_a"]) or any_bank_url(rule)
        response = request(client, method, url)
        assert response.status_code == 302, (method, url)
        assert "/auth/sign-in" in response.headers["Location"], (method, url)


@pytest.mark.parametrize("email", ["member-a@example.org", "coord-a@example.org"])
def test_members_and_coordinators_reach_no_partner_page(app, client, session, world, email):
    before = state(session, world["bank_a"])
    sign_in(client, email)
    for rule, method in routes_of(app, "partners"):
        url = partner_url(rule, world["slug_a"]) or any_bank_url(rule)
        assert request(client, method, url).status_code == 403, (email, method, url)
    assert state(session, world["bank_a"]) == before


def test_a_partner_sees_nothing_of_a_bank_it_is_not_linked_to(app, client, session, world):
    sign_in(client, "partner-a@example.org")
    checked = 0
    for rule, method in routes_of(app, "partners"):
        url = partner_url(rule, world["slug_b"])
        if url is None:
            continue
        response = request(client, method, url)
        assert response.status_code == 404, (method, url, response.status_code)
        assert b"Bank B" not in response.data
        checked += 1
    assert checked >= 2
    for missing in ("no-such-bank",):
        assert client.get(f"/partners/banks/{missing}/report").status_code == 404


def test_a_partner_opens_every_page_of_their_own_bank(app, client, world):
    sign_in(client, "partner-a@example.org")
    for rule, method in routes_of(app, "partners"):
        if method != "GET":
            continue
        url = partner_url(rule, world["slug_a"]) or any_bank_url(rule)
        response = request(client, method, url)
        assert response.status_code == 200, (url, response.status_code)
        assert b"Bank B" not in response.data, url


def test_the_partners_list_shows_only_their_own_banks(client, world):
    sign_in(client, "partner-a@example.org")
    html = client.get(PARTNERS_HOME).get_data(as_text=True)
    assert "Bank A" in html and "Bank B" not in html
    client.post("/auth/sign-out")
    sign_in(client, "council@example.org")
    html = client.get(PARTNERS_HOME).get_data(as_text=True)
    assert "Bank A" in html and "Bank B" in html
    assert "All 2 time banks combined" in html


def test_a_suspended_partner_membership_opens_nothing(client, session, world):
    from timebank.ledger.models import MembershipStatus

    world["partner_a"].status = MembershipStatus.SUSPENDED
    session.commit()
    sign_in(client, "partner-a@example.org")
    assert client.get(PARTNERS_HOME).status_code == 403
    assert client.get(f"/partners/banks/{world['slug_a']}/report").status_code == 403
