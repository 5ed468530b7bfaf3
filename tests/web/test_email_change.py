"""Changing one's email address: confirm it's you, a link to the new address (from the
configured origin, with no address readable in it), the change only when it is used, the
old address told, the same answer for an address that already has an account, and both
steps in the security event log without either address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.test_auth import location_path, make_member, sign_in
from timebank.community import security_events as ev
from timebank.community.security_events import SecurityEvent
from timebank.ledger.clock import frozen_at, now
from timebank.ledger.models import Person
from timebank.mail import read_outbox

CHANGE = "/auth/email"
SENT = "/auth/email/sent"
NEW = "alice.new@example.org"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def alice(session, bank):
    return make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)


@pytest.fixture
def bob(session, bank):
    return make_member(session, email="bob@example.org", name="Bob Baker", bank=bank)


def outbox(app, to: str):
    return read_outbox(Path(app.config["MAIL_OUTBOX"]), to=to)


def link_in(message) -> str:
    [link] = [text for text, is_link in message.body_parts if is_link]
    return link


def email_of(session, person_id) -> str:
    session.expire_all()
    return session.get(Person, person_id).email


def test_the_address_changes_only_when_the_link_sent_to_it_is_used(app, client, session, alice):
    sign_in(client, "alice@example.org")
    assert "Change your email address" in client.get("/auth/security").get_data(as_text=True)
    asked = client.post(CHANGE, data={"new_email": "  Alice.New@Example.org "})
    assert asked.status_code == 303 and location_path(asked) == SENT
    assert "Check your new email address" in client.get(SENT).get_data(as_text=True)
    assert email_of(session, alice.person_id) == "alice@example.org"

    [message] = outbox(app, NEW)
    link = link_in(message)
    assert link.startswith("http://localhost/auth/email/confirm/")
    assert "alice" not in link.lower() and "%40" not in link and "@" not in link

    # Opening the link (a mail scanner does) changes nothing; the button does.
    path = link.removeprefix("http://localhost")
    page = app.test_client().get(path)
    assert page.status_code == 200 and NEW in page.get_data(as_text=True)
    assert email_of(session, alice.person_id) == "alice@example.org"
    done = client.post(path)
    assert done.status_code == 303 and location_path(done) == "/auth/security"
    assert email_of(session, alice.person_id) == NEW
    assert "Your email address is changed" in client.get("/auth/security").get_data(as_text=True)

    [told] = outbox(app, "alice@example.org")
    assert "email address of your time bank account was changed" in " ".join(
        text for text, _ in told.body_parts
    )
    # It works once.
    assert app.test_client().get(path).status_code == 410
    assert client.post(path).status_code == 410

    changes = list(
        session.scalars(
            sa.select(SecurityEvent)
            .where(SecurityEvent.kind.in_([ev.EMAIL_CHANGE_REQUESTED, ev.EMAIL_CHANGED]))
            .order_by(SecurityEvent.id)
        )
    )
    assert [e.kind for e in changes] == [ev.EMAIL_CHANGE_REQUESTED, ev.EMAIL_CHANGED]
    assert all(e.person_id == alice.person_id and e.details is None for e in changes)

    # The new address signs in; the old one no longer does.
    client.post("/auth/sign-out")
    assert sign_in(app.test_client(), "alice@example.org").status_code == 400
    assert location_path(sign_in(app.test_client(), NEW)) == "/members/"


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_is_told(
    app, client, session, alice, bob
):
    sign_in(client, "alice@example.org")
    asked = client.post(CHANGE, data={"new_email": "bob@example.org"})
    assert asked.status_code == 303 and location_path(asked) == SENT
    [message] = outbox(app, "bob@example.org")
    assert "already has a time bank account" in message.subject
    assert not [text for text, is_link in message.body_parts if is_link]
    assert email_of(session, alice.person_id) == "alice@example.org"
    [event] = session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == ev.EMAIL_CHANGE_REQUESTED)
    )
    assert event.person_id == alice.person_id and event.details is None


def test_bad_addresses_are_field_errors_and_send_nothing(app, client, alice):
    sign_in(client, "alice@example.org")
    for typed, said in [
        ("", "Enter your new email address."),
        ("not an address", "Enter an email address like name@example.org."),
        ("ALICE@example.org", "That is already your email address."),
    ]:
        response = client.post(CHANGE, data={"new_email": typed})
        assert response.status_code == 400
        assert said in response.get_data(as_text=True)
    assert not Path(app.config["MAIL_OUTBOX"]).exists() or not list(
        Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    )


def test_it_asks_to_confirm_it_is_you_when_the_sign_in_is_old(app, client, alice):
    sign_in(client, "alice@example.org")
    with frozen_at(now() + timedelta(minutes=11)):
        response = client.post(CHANGE, data={"new_email": NEW})
        assert location_path(response) == "/auth/confirm"
        assert response.headers["Location"].endswith("next=/auth/email")
    assert outbox(app, NEW) == []


def test_a_link_expires_after_an_hour_and_an_altered_one_is_refused(app, client, session, alice):
    with frozen_at(START):
        sign_in(client, "alice@example.org")
        client.post(CHANGE, data={"new_email": NEW})
    path = link_in(outbox(app, NEW)[0]).removeprefix("http://localhost")
    # Opened in another browser (the link needs no sign-in).
    other = app.test_client()
    with frozen_at(START + timedelta(minutes=61)):
        assert other.get(path).status_code == 410
        assert other.post(path).status_code == 410
    altered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert other.get(altered).status_code == 410
    assert email_of(session, alice.person_id) == "alice@example.org"


def test_asking_is_rate_limited_per_person(app, client, alice):
    sign_in(client, "alice@example.org")
    answers = [
        client.post(CHANGE, data={"new_email": f"alice{n}@example.org"}).status_code
        for n in range(4)
    ]
    assert answers == [303, 303, 303, 429]
