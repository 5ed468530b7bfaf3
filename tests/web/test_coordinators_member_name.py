"""A coordinator corrects a member's name from the member's page: only a coordinator of
that member's bank can; the name changes in every bank the person belongs to (as when
they change it themselves); the audit log says who did it but keeps neither name; a
bad name gets a clear error and changes nothing; the page and its messages in Welsh."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from tests.factories import MembershipFactory, TimeBankFactory
from tests.web.support import csrf_token_from, make_member, sign_in
from timebank.i18n import LOCALE_COOKIE
from timebank.ledger.models import (
    AuditEntry,
    Membership,
    MembershipStatus,
    Person,
    Role,
    TimeBank,
)


@pytest.fixture
def world(session):
    riverside = TimeBankFactory(name="Riverside")
    hillside = TimeBankFactory(name="Hillside")
    alice = make_member(session, email="alice@example.org", name="Alice Ashdwon", bank=riverside)
    alice_in_hillside = MembershipFactory(bank=hillside, person=alice.person)
    cora = make_member(
        session,
        email="cora@example.org",
        name="Cora Coordinator",
        bank=riverside,
        role=Role.COORDINATOR,
    )
    make_member(
        session, email="bob@example.org", name="Bob Member", bank=riverside, role=Role.MEMBER
    )
    make_member(
        session,
        email="hugh@example.org",
        name="Hugh Hillside",
        bank=hillside,
        role=Role.COORDINATOR,
    )
    session.commit()
    return {"alice": alice, "alice_in_hillside": alice_in_hillside, "cora": cora}


def page(alice) -> str:
    return f"/coordinators/members/{alice.id}"


def name_of(session, email: str) -> str:
    session.expire_all()
    return session.scalar(sa.select(Person.display_name).where(Person.email == email))


def renames(session) -> list[AuditEntry]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "membership.renamed")
            .order_by(AuditEntry.time_bank_id)
        )
    )


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_coordinator_corrects_a_name_everywhere_and_the_log_names_them(client, session, world):
    alice, cora = world["alice"], world["cora"]
    sign_in(client, "cora@example.org")
    form = text(client.get(page(alice)))
    assert "Correct their name" in form
    assert 'value="Alice Ashdwon"' in form
    assert "not only in this one" in form  # the form says it changes in every bank
    response = client.post(f"{page(alice)}/name", data={"name-display_name": " Alice Ashdown "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(page(alice))
    assert "Their name is now Alice Ashdown, in every time bank they belong to." in text(
        client.get(page(alice))
    )
    assert name_of(session, "alice@example.org") == "Alice Ashdown"
    logged = renames(session)
    by_bank = {entry.time_bank_id: entry for entry in logged}
    assert len(logged) == 2
    # In Cora's bank, Cora did it; in Alice's other bank, no one of that bank did.
    assert by_bank[alice.time_bank_id].actor_id == cora.id
    assert by_bank[alice.time_bank_id].entity_id == alice.id
    assert by_bank[world["alice_in_hillside"].time_bank_id].actor_id is None
    for entry in logged:
        assert entry.before is None and entry.after is None
        assert "Ashd" not in str(vars(entry))
    log = text(client.get("/coordinators/audit"))
    assert "Name changed: Alice Ashdown" in log


def test_a_coordinator_correcting_their_own_name_is_logged_as_their_own_act(client, session, world):
    cora = world["cora"]
    hillside = world["alice_in_hillside"].time_bank_id
    cora_in_hillside = MembershipFactory(bank=session.get(TimeBank, hillside), person=cora.person)
    session.commit()
    sign_in(client, "cora@example.org")
    client.post("/members/time-banks", data={"membership_id": cora.id})  # Riverside
    response = client.post(f"{page(cora)}/name", data={"name-display_name": "Cora Coombes"})
    assert response.status_code == 303
    assert name_of(session, "cora@example.org") == "Cora Coombes"
    assert {(e.time_bank_id, e.actor_id) for e in renames(session)} == {
        (cora.time_bank_id, cora.id),
        (hillside, cora_in_hillside.id),
    }


def test_a_bad_name_gets_a_clear_error_and_changes_nothing(client, session, world):
    alice = world["alice"]
    sign_in(client, "cora@example.org")
    for typed, message in (("   ", "Enter their name."), ("x" * 121, "Keep their name under 120")):
        response = client.post(f"{page(alice)}/name", data={"name-display_name": typed})
        assert response.status_code == 400
        body = text(response)
        assert message in body
        assert "There is a problem" in body
        assert body.count(message) == 2  # in the summary and by the field
    assert name_of(session, "alice@example.org") == "Alice Ashdwon"
    assert renames(session) == []


def test_the_same_name_again_writes_nothing(client, session, world):
    sign_in(client, "cora@example.org")
    client.post(f"{page(world['alice'])}/name", data={"name-display_name": "Alice Ashdwon"})
    assert "Their name is unchanged." in text(client.get(page(world["alice"])))
    assert renames(session) == []


@pytest.mark.parametrize(
    ("who", "refused_with"),
    [("bob@example.org", 403), ("hugh@example.org", 404)],
    ids=["a member of the bank", "a coordinator of another bank"],
)
def test_only_a_coordinator_of_the_members_bank_can(client, session, world, who, refused_with):
    # Hugh coordinates Hillside, where Alice also belongs, but this is her Riverside
    # membership: not his to see or change.
    sign_in(client, who)
    response = client.post(f"{page(world['alice'])}/name", data={"name-display_name": "Mallory"})
    assert response.status_code == refused_with
    assert client.get(page(world["alice"])).status_code == refused_with
    assert name_of(session, "alice@example.org") == "Alice Ashdwon"
    assert renames(session) == []


def test_signed_out_visitors_are_sent_to_sign_in(client, session, world):
    response = client.post(f"{page(world['alice'])}/name", data={"name-display_name": "Mallory"})
    assert response.status_code in (302, 303)
    assert "/auth/sign-in" in response.headers["Location"]
    assert name_of(session, "alice@example.org") == "Alice Ashdwon"


def test_the_form_token_is_required(app, client, session, world):
    sign_in(client, "cora@example.org")
    app.config["WTF_CSRF_ENABLED"] = True
    member_page = client.get(page(world["alice"]))
    assert member_page.status_code == 200
    refused = client.post(f"{page(world['alice'])}/name", data={"name-display_name": "Mallory"})
    assert refused.status_code == 400
    token = csrf_token_from(member_page.get_data(as_text=True))
    accepted = client.post(
        f"{page(world['alice'])}/name",
        data={"name-display_name": "Alice Ashdown", "csrf_token": token},
    )
    assert accepted.status_code == 303
    assert name_of(session, "alice@example.org") == "Alice Ashdown"


def test_someone_who_has_left_keeps_their_name_to_themselves(client, session, world):
    alice = world["alice"]
    session.get(Membership, alice.id).status = MembershipStatus.LEFT
    session.commit()
    sign_in(client, "cora@example.org")
    assert "Correct their name" not in text(client.get(page(alice)))
    response = client.post(f"{page(alice)}/name", data={"name-display_name": "Mallory"})
    assert response.status_code == 400
    assert "is not a member of this time bank now, so only they can change their name" in text(
        response
    )
    assert name_of(session, "alice@example.org") == "Alice Ashdwon"
    assert renames(session) == []


def test_in_welsh(client, session, world):
    alice = world["alice"]
    client.set_cookie(LOCALE_COOKIE, "cy")
    sign_in(client, "cora@example.org")
    form = text(client.get(page(alice)))
    assert "Cywiro eu henw" in form
    assert "nid yn yr un hwn yn unig" in form
    refused = text(client.post(f"{page(alice)}/name", data={"name-display_name": " "}))
    assert "Rhowch eu henw." in refused
    client.post(f"{page(alice)}/name", data={"name-display_name": "Alice Ashdown"})
    assert "Alice Ashdown yw eu henw bellach, ym mhob banc amser" in text(client.get(page(alice)))
