"""A member's own pages through the real app: the dashboard and the time-bank chooser.

A person sees only their own account: their balance, their recent exchanges with the
names of the people on the other side, and only the time banks they actively belong to.
"""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, TimeBankFactory, bank_today
from tests.web.test_auth import (
    DASHBOARD,
    SIGN_IN,
    location_path,
    make_member,
    sign_in,
)
from timebank.ledger.banks import update_policy
from timebank.ledger.models import MembershipStatus
from timebank.ledger.transfers import record_transfer

CHOOSER = "/members/time-banks"
TODAY = bank_today()


def give(session, giver, receiver, minutes, description):
    return record_transfer(
        session,
        actor=giver,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=TODAY,
        description=description,
    )


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    update_policy(
        session, actor=None, bank=bank, requires_confirmation=False, requires_approval=False
    )
    session.commit()
    return bank


@pytest.fixture
def people(session, bank):
    """Alice gave Bob 1 h 30 min; Carol gave Dave 45 min (nothing to do with Alice)."""
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    carol = make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank)
    dave = make_member(session, email="dave@example.org", name="Dave Dlamini", bank=bank)
    give(session, alice, bob, 90, "Weeding the front garden")
    give(session, carol, dave, 45, "Fixing a bicycle puncture")
    session.commit()
    return alice, bob, carol, dave


def page_text(client, path=DASHBOARD):
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# Signing in is required -------------------------------------------------------------


@pytest.mark.parametrize("path", [DASHBOARD, CHOOSER])
def test_member_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert location_path(response) == SIGN_IN
    assert response.headers["Location"].endswith(f"?next={path.replace('/', '%2F')}")


def test_after_sign_in_the_person_lands_where_they_were_going(client, people):
    first = client.get(CHOOSER)
    response = client.post(
        first.headers["Location"],
        data={"email": "alice@example.org", "password": "a long enough test password"},
    )
    assert response.headers["Location"] == CHOOSER


def test_start_page_sends_to_sign_in_or_dashboard(client, people):
    assert location_path(client.get("/")) == SIGN_IN
    sign_in(client, "alice@example.org")
    assert location_path(client.get("/")) == DASHBOARD


# The dashboard ----------------------------------------------------------------------


def test_dashboard_shows_own_balance_and_exchanges_with_names(client, people):
    sign_in(client, "alice@example.org")
    html = page_text(client)
    assert "My time in Riverside Time Bank" in html
    assert '<span class="figure">1 h 30 min</span>' in html
    assert "You have time credits to spend." in html
    assert "Bob Brennan" in html
    assert "Weeding the front garden" in html
    assert "Gave 1 h 30 min" in html
    assert "Done" in html


def test_dashboard_of_the_receiver_shows_the_other_side(client, people):
    sign_in(client, "bob@example.org")
    html = page_text(client)
    assert '<span class="figure">-1 h 30 min</span>' in html
    assert "You have received more time than you have given." in html
    assert "Alice Ashdown" in html
    assert "Received 1 h 30 min" in html


def test_dashboard_shows_nobody_else_s_exchanges(client, people):
    sign_in(client, "alice@example.org")
    html = page_text(client)
    for other in ("Carol Cheung", "Dave Dlamini", "Fixing a bicycle puncture", "45 min"):
        assert other not in html


def test_new_member_sees_an_empty_dashboard(client, session, bank):
    make_member(session, email="erin@example.org", name="Erin Evans", bank=bank)
    sign_in(client, "erin@example.org")
    html = page_text(client)
    assert '<span class="figure">0 min</span>' in html
    assert "No exchanges yet." in html


def test_waiting_exchanges_are_shown_as_waiting(client, session, bank, people):
    alice, bob, _, _ = people
    update_policy(session, actor=None, bank=bank, requires_confirmation=True)
    give(session, bob, alice, 30, "A lift to the surgery")
    session.commit()
    sign_in(client, "alice@example.org")
    html = page_text(client)
    assert '<span class="figure">1 h 30 min</span>' in html, "pending time is not in the balance"
    # Each waiting entry says who it waits for: here Alice herself, as Bob logged it.
    assert "Not in your balance yet" in html
    assert "Received 30 min, Bob Brennan" in html
    assert "<strong>Waiting for you to confirm" in html
    assert "A lift to the surgery" in html


def test_names_and_descriptions_are_escaped(client, session, bank):
    mallory = make_member(
        session, email="mallory@example.org", name="<script>alert(1)</script>", bank=bank
    )
    erin = make_member(session, email="erin@example.org", name="Erin Evans", bank=bank)
    give(session, mallory, erin, 60, '<img src=x onerror="alert(2)">')
    session.commit()
    sign_in(client, "erin@example.org")
    html = page_text(client)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# Several time banks: the chooser ----------------------------------------------------


@pytest.fixture
def two_banks(session, bank, people):
    """Alice is also in Hillside, where she received 2 h from Frank."""
    alice = people[0]
    hillside = TimeBankFactory(name="Hillside Time Bank")
    update_policy(
        session, actor=None, bank=hillside, requires_confirmation=False, requires_approval=False
    )
    alice_hill = MembershipFactory(bank=hillside, person=alice.person)
    frank = make_member(session, email="frank@example.org", name="Frank Fairweather", bank=hillside)
    give(session, frank, alice_hill, 120, "Help with a tax form")
    session.commit()
    return alice, alice_hill, frank


def test_person_in_two_banks_is_asked_which_one(client, two_banks):
    sign_in(client, "alice@example.org")
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and location_path(response) == CHOOSER
    html = page_text(client, CHOOSER)
    assert "Riverside Time Bank" in html and "Hillside Time Bank" in html


def test_choosing_a_bank_shows_that_bank_only(client, two_banks):
    alice, alice_hill, _ = two_banks
    sign_in(client, "alice@example.org")
    response = client.post(CHOOSER, data={"membership_id": str(alice_hill.id)})
    assert response.status_code == 302 and location_path(response) == DASHBOARD
    html = page_text(client)
    assert "My time in Hillside Time Bank" in html
    assert '<span class="figure">-2 h</span>' in html
    assert "Frank Fairweather" in html and "Help with a tax form" in html
    assert "Bob Brennan" not in html and "Weeding" not in html
    assert "Change time bank" in html

    client.post(CHOOSER, data={"membership_id": str(alice.id)})
    html = page_text(client)
    assert "My time in Riverside Time Bank" in html and "Frank Fairweather" not in html


@pytest.mark.parametrize("whose", ["bob", "frank"])
def test_choosing_someone_else_s_membership_is_forbidden(client, two_banks, people, whose):
    others = {"bob": people[1], "frank": two_banks[2]}
    sign_in(client, "alice@example.org")
    response = client.post(CHOOSER, data={"membership_id": str(others[whose].id)})
    assert response.status_code == 403
    assert "You cannot see this page" in response.get_data(as_text=True)
    # Nothing was chosen: the dashboard still asks.
    assert location_path(client.get(DASHBOARD)) == CHOOSER


@pytest.mark.parametrize("value", ["", "abc", "1.5"])
def test_choosing_nonsense_is_a_bad_request(client, two_banks, value):
    sign_in(client, "alice@example.org")
    assert client.post(CHOOSER, data={"membership_id": value}).status_code == 400


def test_person_in_one_bank_has_no_change_link(client, people):
    sign_in(client, "alice@example.org")
    assert "Change time bank" not in page_text(client)


# Suspended memberships --------------------------------------------------------------


def test_suspended_only_membership_gives_no_dashboard(client, session, people):
    alice = people[0]
    alice.status = MembershipStatus.SUSPENDED
    session.commit()
    sign_in(client, "alice@example.org")
    html = page_text(client)
    assert "You are not an active member of a time bank yet." in html
    assert "Riverside Time Bank" not in html
    assert "Bob Brennan" not in html and "1 h 30 min" not in html


def test_suspended_bank_cannot_be_chosen(client, session, two_banks):
    _, alice_hill, _ = two_banks
    alice_hill.status = MembershipStatus.SUSPENDED
    session.commit()
    sign_in(client, "alice@example.org")
    html = page_text(client)
    assert "My time in Riverside Time Bank" in html, "the one active bank opens directly"
    assert "Hillside" not in html
    assert "Hillside" not in page_text(client, CHOOSER)
    response = client.post(CHOOSER, data={"membership_id": str(alice_hill.id)})
    assert response.status_code == 403
    assert "Hillside" not in page_text(client)


def test_suspension_takes_effect_in_a_session_that_already_chose_the_bank(
    client, session, two_banks
):
    _, alice_hill, _ = two_banks
    sign_in(client, "alice@example.org")
    client.post(CHOOSER, data={"membership_id": str(alice_hill.id)})
    assert "My time in Hillside Time Bank" in page_text(client)

    alice_hill.status = MembershipStatus.SUSPENDED
    session.commit()
    html = page_text(client)
    assert "Hillside" not in html and "Frank Fairweather" not in html
    assert "My time in Riverside Time Bank" in html
