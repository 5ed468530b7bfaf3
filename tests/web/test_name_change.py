"""Changing one's name: every bank one belongs to shows the new name at once (and sorts
by it), each bank's audit log records that it changed without keeping either name, and
a bad name gets a clear error and changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import MembershipFactory, TimeBankFactory
from tests.web.support import make_member, sign_in
from timebank.ledger.models import AuditEntry, Membership, Person, Role, sort_name_of


def world(session):
    bank = TimeBankFactory(name="Riverside")
    other = TimeBankFactory(name="Hillside")
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    MembershipFactory(bank=other, person=alice.person)
    cora = make_member(
        session, email="cora@example.org", name="Cora Coordinator", bank=bank, role=Role.COORDINATOR
    )
    session.commit()
    return bank, alice, cora


def renames(session) -> list[tuple[int, str | None, str | None]]:
    return [
        (entry.time_bank_id, entry.before, entry.after)
        for entry in session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "membership.renamed")
        )
    ]


def test_a_member_changes_their_name_in_every_bank(client, session):
    world(session)
    sign_in(client, "alice@example.org")
    page = client.get("/auth/security").get_data(as_text=True)
    assert "The other members see you as Alice Ashdown." in page
    form = client.get("/auth/name").get_data(as_text=True)
    assert 'value="Alice Ashdown"' in form
    response = client.post("/auth/name", data={"display_name": "  Alice Zephaniah "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/auth/security")
    assert "Your name is now Alice Zephaniah." in client.get("/auth/security").get_data(
        as_text=True
    )
    session.expire_all()
    person = session.scalar(sa.select(Person).where(Person.email == "alice@example.org"))
    assert person.display_name == "Alice Zephaniah"
    memberships = session.scalars(sa.select(Membership).where(Membership.person_id == person.id))
    assert {m.sort_name for m in memberships} == {sort_name_of("Alice Zephaniah")}
    # Both banks' logs say the name changed, and neither keeps a name.
    logged = renames(session)
    assert len(logged) == 2
    assert all("Ashdown" not in str(entry) and "Zephaniah" not in str(entry) for entry in logged)


def test_the_members_list_sorts_by_the_new_name(client, session):
    world(session)
    sign_in(client, "alice@example.org")
    client.post("/auth/name", data={"display_name": "Zoe Ashdown"})
    client.post("/auth/sign-out")
    sign_in(client, "cora@example.org")
    page = client.get("/coordinators/members").get_data(as_text=True)
    assert page.index("Cora Coordinator") < page.index("Zoe Ashdown")
    log = client.get("/coordinators/audit").get_data(as_text=True)
    assert "Name changed: Zoe Ashdown" in log


def test_a_bad_name_gets_a_clear_error_and_changes_nothing(client, session):
    world(session)
    sign_in(client, "alice@example.org")
    for name, message in (("   ", "Enter your name."), ("x" * 121, "Keep your name under 120")):
        response = client.post("/auth/name", data={"display_name": name})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    session.expire_all()
    assert (
        session.scalar(sa.select(Person.display_name).where(Person.email == "alice@example.org"))
        == "Alice Ashdown"
    )
    assert renames(session) == []


def test_the_same_name_again_writes_nothing(client, session):
    world(session)
    sign_in(client, "alice@example.org")
    client.post("/auth/name", data={"display_name": "Alice Ashdown"})
    assert "Your name is unchanged." in client.get("/auth/security").get_data(as_text=True)
    assert renames(session) == []


def test_signed_out_visitors_cannot_change_a_name(client, session):
    world(session)
    response = client.post("/auth/name", data={"display_name": "Mallory"})
    assert response.status_code in (302, 303)
    assert "/auth/sign-in" in response.headers["Location"]
