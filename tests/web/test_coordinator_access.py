"""Access to every coordinator route, as a matrix: signed out, an ordinary member, a
partner of the time bank, a coordinator of another time bank and the time bank's own
coordinator.

The routes are read from the app's URL map, so a new coordinator page is covered the
day it is added. Route parameters must use one of the names in ``PARAMETERS``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import OrganisationFactory, TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in
from timebank.community.models import CoordinatorNote, Invitation, Notification
from timebank.importing.models import ImportRun
from timebank.ledger.models import AuditChain, Role, Transfer
from timebank.ledger.transfers import record_transfer

TODAY = bank_today()


@pytest.fixture
def world(session):
    """Time bank A with a coordinator, two members, an organisation and transfers;
    time bank B with its own coordinator."""
    bank_a = TimeBankFactory(slug="bank-a")
    bank_b = TimeBankFactory(slug="bank-b")
    coordinator_a = make_member(
        session, email="coord-a@example.org", bank=bank_a, role=Role.COORDINATOR
    )
    member_a = make_member(session, email="member-a@example.org", bank=bank_a)
    other_a = make_member(session, email="other-a@example.org", bank=bank_a)
    coordinator_b = make_member(
        session, email="coord-b@example.org", bank=bank_b, role=Role.COORDINATOR
    )
    make_member(session, email="partner-a@example.org", bank=bank_a, role=Role.PARTNER)
    organisation = OrganisationFactory(bank=bank_a)
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
    session.commit()
    return {
        "bank_a": bank_a.id,
        "coordinator_a": coordinator_a,
        "member_a": member_a,
        "coordinator_b": coordinator_b,
        "ids": {
            "transfer_id": pending.id,
            "posted_transfer_id": posted.id,
            "membership_id": other_a.id,
            "organisation_id": organisation.id,
        },
    }


# Where each route parameter's value comes from (all objects of time bank A).
PARAMETERS = {
    "transfer_id": "transfer_id",
    "posted_transfer_id": "posted_transfer_id",
    "membership_id": "membership_id",
    "organisation_id": "organisation_id",
    "invitation_id": None,
    "import_id": None,
    "note_id": None,
    "notification_id": None,
    # A big export's token (its state is a file, not a row): one that was never made.
    "token": "never-made",
}
MODELS = {
    "invitation_id": Invitation,
    "import_id": ImportRun,
    "note_id": CoordinatorNote,
    "notification_id": Notification,
}


def coordinator_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("coordinators."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule, method))
    return routes


MISSING = 999_999


def build_url(rule, world, session):
    values = {}
    for name in rule.arguments:
        assert name in PARAMETERS, (
            f"route {rule.rule} uses parameter {name!r}: name it after one of "
            f"{sorted(PARAMETERS)} (or add it to tests/web/test_coordinator_access.py)"
        )
        key = PARAMETERS[name]
        if name == "token":
            values[name] = key
        elif key is not None:
            values[name] = world["ids"][key]
        else:
            # An object of time bank A if there is one; otherwise an id that does not exist.
            found = session.scalar(
                sa.select(MODELS[name].id)
                .where(MODELS[name].time_bank_id == world["bank_a"])
                .limit(1)
            )
            values[name] = found or MISSING
    return rule.build(values, append_unknown=False)[1]


def bank_a_state(session, bank_id):
    session.expire_all()
    return (
        session.scalar(sa.select(AuditChain.last_seq).where(AuditChain.time_bank_id == bank_id)),
        session.execute(
            sa.select(Transfer.id, Transfer.status)
            .where(Transfer.time_bank_id == bank_id)
            .order_by(Transfer.id)
        ).all(),
    )


def request(client, method, url):
    response = client.open(url, method=method, data={}, follow_redirects=False)
    response.get_data()  # run streamed responses (CSV exports) to the end
    response.close()
    return response


def test_there_are_coordinator_routes(app):
    assert len(coordinator_routes(app)) >= 1


def test_signed_out_visitors_are_sent_to_sign_in(app, client, session, world):
    for rule, method in coordinator_routes(app):
        url = build_url(rule, world, session)
        response = request(client, method, url)
        assert response.status_code == 302, (method, url)
        assert "/auth/sign-in" in response.headers["Location"], (method, url)


def test_members_reach_no_coordinator_page_or_action(app, client, session, world):
    before = bank_a_state(session, world["bank_a"])
    sign_in(client, "member-a@example.org")
    for rule, method in coordinator_routes(app):
        url = build_url(rule, world, session)
        assert request(client, method, url).status_code == 403, (method, url)
    assert bank_a_state(session, world["bank_a"]) == before


def test_partners_reach_no_coordinator_page_or_action(app, client, session, world):
    before = bank_a_state(session, world["bank_a"])
    sign_in(client, "partner-a@example.org")
    for rule, method in coordinator_routes(app):
        url = build_url(rule, world, session)
        assert request(client, method, url).status_code == 403, (method, url)
    assert bank_a_state(session, world["bank_a"]) == before


def test_a_coordinator_of_another_bank_can_see_or_change_nothing_here(app, client, session, world):
    before = bank_a_state(session, world["bank_a"])
    sign_in(client, "coord-b@example.org")
    for rule, method in coordinator_routes(app):
        if not rule.arguments:
            continue  # routes without ids act on the coordinator's own bank
        url = build_url(rule, world, session)
        response = request(client, method, url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert bank_a_state(session, world["bank_a"]) == before


def test_the_banks_own_coordinator_can_open_every_page(app, client, session, world):
    sign_in(client, "coord-a@example.org")
    for rule, method in coordinator_routes(app):
        if method != "GET":
            continue
        url = build_url(rule, world, session)
        response = request(client, method, url)
        missing = str(MISSING) in url or PARAMETERS["token"] in url
        expected = 404 if missing else 200
        assert response.status_code == expected, (url, response.status_code)
