"""Nobody learns from the sign-in or apply pages whether an address has an account
(issue 11, findings 3 and 7).

- Sign-in checks the password against a hash for every attempt (a dummy one when the
  address has no account, or no password yet, or is closed), so it takes as long either
  way. It used to answer an unknown address in ~5-30 ms and a known one in ~600 ms.
- The apply form used to answer "That email address already has an account". Now the
  address's owner is told by email, and the page says only that a message was sent.
  Applying is rate-limited like signing in.
- The per-account limits read the email from a JSON body too: JSON sign-ins used to all
  count under the empty email, so anyone could fill that one bucket.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.test_auth import PASSWORD, location_path, make_member, sign_in
from timebank.auth import views as auth_views
from timebank.ledger.models import Membership, Person

APPLY = "/auth/apply/riverside"


@pytest.fixture
def riverside(session):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    return bank


def outbox_mails(app) -> list[str]:
    return [f.read_text() for f in sorted(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))]


@pytest.fixture
def checked(monkeypatch):
    """Every password check the sign-in view makes, with the hash it was checked against."""
    calls = []
    real = auth_views.verify_password

    def spy(stored_hash, password):
        calls.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(auth_views, "verify_password", spy)
    return calls


def test_an_unknown_address_still_has_a_password_checked(client, riverside, checked):
    response = sign_in(client, "nobody@example.org", "some password or other")
    assert response.status_code == 400
    assert checked == [None]  # checked against the dummy hash


def test_a_closed_account_has_its_password_checked_too(client, session, riverside, checked):
    person = session.scalar(sa.select(Person).where(Person.email == "alice@example.org"))
    person.is_active = False
    session.commit()
    assert sign_in(client, "alice@example.org", PASSWORD).status_code == 400
    assert len(checked) == 1


def test_a_wrong_password_takes_as_long_for_an_unknown_address(client, riverside):
    def slowest_of_three(email):
        times = []
        for _ in range(3):
            started = time.perf_counter()
            sign_in(client, email, "wrong password!")
            times.append(time.perf_counter() - started)
        return min(times)

    known = slowest_of_three("alice@example.org")
    unknown = slowest_of_three("nobody@example.org")
    # Before the fix the unknown address answered about twenty times faster.
    assert unknown > known / 3, (known, unknown)


def counts(session):
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Person, Membership)
    )


def test_applying_with_a_known_address_tells_its_owner_not_the_visitor(
    app, client, session, riverside
):
    before = counts(session)
    response = client.post(
        APPLY,
        data={
            "display_name": "Someone Curious",
            "email": "Alice@Example.org",
            "password": "a good long password",
            "password_again": "a good long password",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Check your email" in page
    assert "already" not in page and "account" not in page
    # Nothing written, nobody signed in.
    assert counts(session) == before
    assert location_path(client.get("/members/")).startswith("/auth/sign-in")
    [mail] = outbox_mails(app)
    assert "To: alice@example.org" in mail
    assert "You already have an account" in mail
    assert "http://localhost/auth/sign-in?next=/auth/apply/riverside" in mail


def test_applying_is_rate_limited_per_address_given(client, riverside):
    answers = [
        client.post(
            APPLY,
            data={
                "display_name": "Someone Curious",
                "email": "probe@example.org",
                "password": "short",
                "password_again": "short",
            },
        ).status_code
        for _ in range(4)
    ]
    assert answers == [400, 400, 400, 429]


def test_json_sign_ins_are_counted_under_their_own_email(client, riverside):
    # Five tries at one address from JSON fill that address's bucket...
    for _ in range(5):
        client.post(
            "/auth/sign-in", json={"email": "alice@example.org", "password": "wrong password!"}
        )
    assert (
        client.post("/auth/sign-in", json={"email": "alice@example.org", "password": PASSWORD})
    ).status_code == 429
    # ...and only that one: another address still gets its password checked.
    other = client.post(
        "/auth/sign-in", json={"email": "bob@example.org", "password": "wrong password!"}
    )
    assert other.status_code == 400


def test_json_sign_ins_with_many_addresses_do_not_share_one_bucket(client, riverside):
    answers = [
        client.post(
            "/auth/sign-in", json={"email": f"person{n}@example.org", "password": "wrong!"}
        ).status_code
        for n in range(6)
    ]
    assert 429 not in answers
