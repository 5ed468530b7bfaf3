"""The person boxes' JSON searches (``POST /members/people/search`` and
``/coordinators/people/search``): who may ask, whom each offers, and that names never
travel in an address.

What a member may search: the other active members of their own bank (never partners,
applicants, suspended people, themselves or another bank's people); a partner, who sees
no members, is refused; a coordinator's searches offer exactly whom each form accepts.
"""

from __future__ import annotations

import pytest

from tests.factories import OrganisationFactory, TimeBankFactory
from tests.web.support import PASSWORD, csrf_token_from, make_member, sign_in
from tests.web.test_auth import csrf_app  # noqa: F401 - fixture
from timebank.extensions import db
from timebank.ledger.models import MembershipStatus, Role

MEMBERS = "/members/people/search"
COORDINATORS = "/coordinators/people/search"


@pytest.fixture
def world(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    other = TimeBankFactory(name="Hillside Time Bank")
    session.commit()
    people = {
        "cora": make_member(
            session, email="cora@example.org", name="Cora Rivers", bank=bank, role=Role.COORDINATOR
        ),
        "ann": make_member(session, email="ann@example.org", name="Ann Rivers", bank=bank),
        "bob": make_member(session, email="bob@example.org", name="Bob Rivers", bank=bank),
        "sue": make_member(
            session,
            email="sue@example.org",
            name="Sue Rivers",
            bank=bank,
            status=MembershipStatus.SUSPENDED,
        ),
        "pat": make_member(
            session, email="pat@example.org", name="Pat Rivers", bank=bank, role=Role.PARTNER
        ),
        "hal": make_member(session, email="hal@example.org", name="Hal Rivers", bank=other),
    }
    people["org"] = OrganisationFactory(bank=bank, name="Rivers Youth Team")
    people["far_org"] = OrganisationFactory(bank=other, name="Rivers Far Team")
    session.commit()
    return people


def names(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "no-store"
    return [match["name"] for match in response.get_json()["matches"]]


def ask(client, url, text="rivers", **form):
    return client.post(url, data={"q": text, **form})


def test_a_member_finds_the_other_active_members_of_their_bank_only(client, world):
    sign_in(client, "ann@example.org")
    for among in ("exchange", "message"):
        assert names(ask(client, MEMBERS, among=among)) == [
            "Bob Rivers",
            "Cora Rivers",
        ]  # not me, a suspended member, a partner, an organisation or another bank
    ids = {m["id"] for m in ask(client, MEMBERS, among="exchange").get_json()["matches"]}
    assert ids == {world["bob"].account.id, world["cora"].account.id}  # accounts
    ids = {m["id"] for m in ask(client, MEMBERS, among="message").get_json()["matches"]}
    assert ids == {world["bob"].id, world["cora"].id}  # memberships
    assert names(ask(client, MEMBERS, "hal", among="exchange")) == []
    assert names(ask(client, MEMBERS, "", among="exchange")) == []
    assert names(ask(client, MEMBERS, "%", among="exchange")) == []  # no wildcards


def test_the_member_search_is_refused_to_the_signed_out_partners_and_other_sites(client, world):
    assert ask(client, MEMBERS, among="exchange").status_code == 302  # to sign in
    sign_in(client, "pat@example.org")
    refused = ask(client, MEMBERS, among="exchange")
    assert refused.status_code == 302 and "/partners" in refused.headers["Location"]
    assert "Rivers" not in refused.get_data(as_text=True)
    client.post("/auth/sign-out")
    sign_in(client, "ann@example.org")
    assert ask(client, MEMBERS, among="everyone").status_code == 400
    cross = client.post(
        MEMBERS,
        data={"q": "rivers", "among": "exchange"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 403


def test_the_member_search_takes_no_name_in_the_address(client, world):
    sign_in(client, "ann@example.org")
    assert client.get(f"{MEMBERS}?q=rivers&among=exchange").status_code == 405


def test_the_search_needs_the_pages_csrf_token(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        bank = TimeBankFactory()
        make_member(db.session, email="ann@example.org", name="Ann Rivers", bank=bank)
        make_member(db.session, email="bob@example.org", name="Bob Rivers", bank=bank)
        db.session.commit()
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/sign-in").get_data(as_text=True))
    client.post(
        "/auth/sign-in",
        data={"email": "ann@example.org", "password": PASSWORD, "csrf_token": token},
    )
    refused = client.post(MEMBERS, data={"q": "rivers", "among": "exchange"})
    assert refused.status_code == 400
    page = client.get("/members/log").get_data(as_text=True)
    token = csrf_token_from(page)
    answer = client.post(MEMBERS, data={"q": "rivers", "among": "exchange", "csrf_token": token})
    assert names(answer) == ["Bob Rivers"]


def test_the_coordinators_searches_offer_whom_each_form_accepts(client, world):
    sign_in(client, "cora@example.org")
    # The audit log's filters: every member of the bank, any status, by membership.
    assert names(ask(client, COORDINATORS)) == [
        "Ann Rivers",
        "Bob Rivers",
        "Cora Rivers",
        "Pat Rivers",
        "Sue Rivers",
    ]
    # A grant: active members, by account.
    accounts = ask(client, COORDINATORS, among="accounts").get_json()["matches"]
    assert [m["name"] for m in accounts] == ["Ann Rivers", "Bob Rivers", "Cora Rivers"]
    assert accounts[0]["id"] == world["ann"].account.id
    # A donation or a group's centre: active members and the bank's organisations.
    assert names(ask(client, COORDINATORS, among="payers")) == [
        "Ann Rivers",
        "Bob Rivers",
        "Cora Rivers",
        "Rivers Youth Team (organisation)",
    ]
    # The staff of an organisation: active members; one of another bank is not found.
    org_id = world["org"].id
    assert names(ask(client, COORDINATORS, among="staff", organisation=org_id)) == [
        "Ann Rivers",
        "Bob Rivers",
        "Cora Rivers",
    ]
    far_id = world["far_org"].id
    assert ask(client, COORDINATORS, among="staff", organisation=far_id).status_code == 404
    assert ask(client, COORDINATORS, among="nobody").status_code == 400


def test_the_coordinators_search_is_for_coordinators(client, world):
    sign_in(client, "ann@example.org")
    assert ask(client, COORDINATORS, among="accounts").status_code == 403


def test_without_the_script_a_typed_name_is_chosen_in_a_second_step(client, world):
    """The log form posted with a typed name only (no script): part of a name brings
    back the matches to choose from, a whole name is taken, and a choice made from the
    matches goes on to the review; nothing is chosen on a partial match."""
    from tests.web.test_member_exchanges import LOG, entry

    sign_in(client, "ann@example.org")
    form = {**entry({"bob": world["bob"]}), "counterpart": "", "action": "review"}
    html = client.post(LOG, data={**form, "counterpart_name": "rIv"}).get_data(as_text=True)
    assert "Choose one of the names below." in html
    assert "<legend>Names that match</legend>" in html
    bob, cora = world["bob"].account.id, world["cora"].account.id
    assert f'name="counterpart_pick" value="{bob}"' in html
    assert f'name="counterpart_pick" value="{cora}"' in html
    assert "Ann Rivers</label>" not in html and "Hal Rivers" not in html
    assert "Weeding the front garden</textarea>" in html  # the rest is kept
    chosen = client.post(
        LOG, data={**form, "counterpart_name": "rIv", "counterpart_pick": str(bob)}
    ).get_data(as_text=True)
    assert "<h1>Check your entry</h1>" in chosen and "You gave time to Bob Rivers" in chosen
    whole = client.post(LOG, data={**form, "counterpart_name": " bob rivers "})
    assert "You gave time to Bob Rivers" in whole.get_data(as_text=True)
    # A pick that is not one of the names offered (another bank's) is not taken.
    stranger = world["hal"].account.id
    html = client.post(
        LOG, data={**form, "counterpart_name": "hal", "counterpart_pick": str(stranger)}
    ).get_data(as_text=True)
    assert "Check your entry" not in html
    assert "Nobody you can choose here has a name containing" in html
