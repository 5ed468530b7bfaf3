"""Coordinators' organisation pages: list, add, staff, deactivate - through the real app."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import OrganisationFactory, TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in
from timebank.community.organisations import add_staff
from timebank.ledger.models import AuditEntry, Organisation, OrganisationStaff, Role
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()
LIST = "/coordinators/organisations"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def staff_ids(session, organisation_id):
    session.expire_all()
    return set(
        session.scalars(
            sa.select(OrganisationStaff.membership_id).where(
                OrganisationStaff.organisation_id == organisation_id
            )
        )
    )


def last_action(session, bank_id):
    return session.scalar(
        sa.select(AuditEntry.action)
        .where(AuditEntry.time_bank_id == bank_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )


@pytest.fixture
def world(session, client):
    bank = TimeBankFactory(name="Riverside Time Bank")
    coordinator = make_member(
        session,
        email="coord@example.org",
        name="Cora Coordinator",
        bank=bank,
        role=Role.COORDINATOR,
    )
    sam = make_member(session, email="sam@example.org", name="Sam Staff", bank=bank)
    alice = make_member(session, email="alice@example.org", name="Alice Example", bank=bank)
    council = OrganisationFactory(bank=bank, name="Council Youth Team")
    record_transfer(
        session,
        actor=coordinator,
        giver=council.account,
        receiver=alice.account,
        minutes=90,
        service_date=TODAY,
        description="Garden clearance",
    )
    session.commit()
    sign_in(client, "coord@example.org")
    return {"bank": bank, "coordinator": coordinator, "sam": sam, "alice": alice, "org": council}


def detail(world):
    return f"{LIST}/{world['org'].id}"


def test_the_list_shows_each_organisation_with_its_balance(client, world):
    html = text_of(client.get(LIST))
    assert (
        f'<a href="/coordinators/organisations/{world["org"].id}">Council Youth Team</a></td>'
        " <td>1 h 30 min</td> <td>0</td> <td>Active</td>" in html
    )


def test_adding_an_organisation(client, session, world):
    response = client.post(LIST, data={"name": "  Food Bank Charity "})
    assert response.status_code == 302
    added = session.scalar(sa.select(Organisation).where(Organisation.name == "Food Bank Charity"))
    assert added is not None and added.account is not None
    assert response.headers["Location"].endswith(f"/coordinators/organisations/{added.id}")
    assert "Added Food Bank Charity." in text_of(client.get(response.headers["Location"]))
    assert last_action(session, world["bank"].id) == "organisation.created"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the organisation a name."),
        ("Council Youth Team", "An organisation with that name already exists here."),
    ],
)
def test_adding_an_organisation_is_refused_with_a_message(client, session, world, name, message):
    count = session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    response = client.post(LIST, data={"name": name})
    assert response.status_code == 400
    html = text_of(response)
    assert message in html and 'aria-invalid="true"' in html
    assert session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == count


def test_the_detail_page_shows_recent_exchanges_and_staff(client, session, world):
    add_staff(session, actor=world["coordinator"], organisation=world["org"], member=world["sam"])
    session.commit()
    html = text_of(client.get(detail(world)))
    assert "<h1>Council Youth Team</h1>" in html
    assert "Alice Example</td> <td>Garden clearance</td> <td>Gave 1 h 30 min</td>" in html
    assert "<td>Sam Staff</td> <td>sam@example.org</td>" in html


def test_adding_and_removing_staff(client, session, world):
    org_id, sam = world["org"].id, world["sam"]
    response = client.post(f"{detail(world)}/staff", data={"membership_id": str(sam.id)})
    assert response.status_code == 302
    assert "Sam Staff can now act for Council Youth Team." in text_of(
        client.get(response.headers["Location"])
    )
    assert staff_ids(session, org_id) == {sam.id}
    assert last_action(session, world["bank"].id) == "organisation.staff_added"

    # Already staff: no longer offered, so the form refuses it.
    again = client.post(f"{detail(world)}/staff", data={"membership_id": str(sam.id)})
    assert again.status_code == 400 and "Choose someone from the list." in text_of(again)

    response = client.post(f"{detail(world)}/staff/{sam.id}/remove")
    assert response.status_code == 302
    assert "Sam Staff no longer acts for Council Youth Team." in text_of(
        client.get(response.headers["Location"])
    )
    assert staff_ids(session, org_id) == set()
    assert last_action(session, world["bank"].id) == "organisation.staff_removed"
    assert verify_ledger(session) == []


def test_removing_someone_who_is_not_staff_says_so(client, session, world):
    response = client.post(f"{detail(world)}/staff/{world['alice'].id}/remove")
    assert response.status_code == 400
    assert "Alice Example does not act for Council Youth Team." in text_of(response)


def test_a_member_of_another_bank_cannot_be_made_staff(client, session, world):
    stranger = make_member(session, email="x@example.org", name="Xavier Elsewhere")
    response = client.post(f"{detail(world)}/staff", data={"membership_id": str(stranger.id)})
    assert response.status_code == 400
    assert staff_ids(session, world["org"].id) == set()
    response = client.post(f"{detail(world)}/staff/{stranger.id}/remove")
    assert response.status_code == 404


def test_an_organisation_of_another_bank_is_not_found(client, session, world):
    elsewhere = OrganisationFactory(bank=TimeBankFactory(), name="Elsewhere Trust")
    session.commit()
    assert client.get(f"{LIST}/{elsewhere.id}").status_code == 404
    response = client.post(
        f"{LIST}/{elsewhere.id}/staff", data={"membership_id": str(world["sam"].id)}
    )
    assert response.status_code == 404
    assert client.post(f"{LIST}/{elsewhere.id}/deactivate").status_code == 404
    assert staff_ids(session, elsewhere.id) == set()


def test_deactivating_and_reactivating(client, session, world):
    response = client.post(f"{detail(world)}/deactivate")
    assert response.status_code == 302
    html = text_of(client.get(response.headers["Location"]))
    assert "Council Youth Team is now inactive" in html
    assert "Make Council Youth Team active again" in html
    assert "<td>Inactive</td>" in text_of(client.get(LIST))
    assert last_action(session, world["bank"].id) == "organisation.deactivated"
    # Inactive organisations are not offered for group exchanges or donations.
    assert "Council Youth Team (organisation)" not in text_of(
        client.get("/coordinators/group-exchange")
    )
    again = client.post(f"{detail(world)}/deactivate")
    assert again.status_code == 400
    assert "Council Youth Team is already inactive." in text_of(again)

    assert client.post(f"{detail(world)}/reactivate").status_code == 302
    session.expire_all()
    assert session.get(Organisation, world["org"].id).active is True
    assert last_action(session, world["bank"].id) == "organisation.reactivated"


def test_an_organisation_can_carry_its_number_from_the_old_software(client, session, world):
    response = client.post(
        "/coordinators/organisations",
        data={"name": "Old Town Library", "external_ref": "17"},
    )
    assert response.status_code == 302
    assert (
        session.scalar(
            sa.select(Organisation.external_ref).where(Organisation.name == "Old Town Library")
        )
        == "17"
    )
    again = client.post(
        "/coordinators/organisations", data={"name": "New Town Library", "external_ref": "17"}
    )
    assert again.status_code == 400
    assert "already has that reference" in again.get_data(as_text=True)
