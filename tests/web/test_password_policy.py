"""Choosing a password (OWASP ASVS 5.0 V6.2): at least 10 characters, 64 and far more
allowed, no rules about kinds of characters, and never one of the 40,101 common and
breached passwords shipped with the app (no network) nor a word guessable from the
person or the site. The same rule wherever a password is chosen: applying, joining by
invitation, the reset link (which people brought in by an import use to choose their
first password), changing it, and the create-coordinator command.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.test_auth import PASSWORD, make_member, sign_in
from tests.web.test_password_reset import ask_for_link, choose, reset_path
from timebank.auth.password_policy import (
    COMMON_PASSWORDS,
    PasswordProblem,
    common_passwords,
    context_words,
    password_problem,
)
from timebank.auth.passwords import verify_password
from timebank.community import invitations as invitation_service
from timebank.ledger.models import Membership, Person, Role

COMMON = "That password is on a list of common passwords"
GUESSABLE = "That password is too easy to guess"
# On the shipped list, ten characters or more (so only the list refuses them).
LISTED = ["password123", "qwertyuiop", "1234567890", "iloveyou12", "Football12"]


# The rule itself ---------------------------------------------------------------------


def test_the_shipped_list_is_read_from_the_package_with_no_network():
    assert COMMON_PASSWORDS.exists()
    assert COMMON_PASSWORDS.parent.name == "data"
    assert (COMMON_PASSWORDS.parent / "NOTICE.md").exists()
    listed = common_passwords()
    assert len(listed) == 40_101
    assert all(word == word.lower() for word in listed)


@pytest.mark.parametrize("password", LISTED)
def test_listed_passwords_are_refused_whatever_their_case(password):
    assert password_problem(password) == PasswordProblem.COMMON
    assert password_problem(password.upper()) == PasswordProblem.COMMON


@pytest.mark.parametrize(
    "password",
    [
        "violet kettle on the moor",  # words and spaces
        "zzzzzzzzzzqq",  # no digits, no capitals, no signs: no composition rules
        "ŷ-gwynt-yn-chwythu-o'r-de",  # letters beyond ASCII
        "x" * 63 + "!",  # 64 characters
        "long passphrase " * 60,  # 960 characters
    ],
)
def test_long_and_plain_passwords_are_allowed(password):
    assert password_problem(password) is None


def test_length_limits():
    assert password_problem("nine char") == PasswordProblem.TOO_SHORT
    assert password_problem("ten chars!") is None
    assert password_problem("x" * 1025) == PasswordProblem.TOO_LONG


def test_words_from_the_person_or_the_site_are_refused():
    words = context_words(email="dorothy.evans@example.org", name="Dorothy Evans")
    assert password_problem("Dorothy-1234", words) == PasswordProblem.GUESSABLE
    assert password_problem("dorothyevans!!", words) == PasswordProblem.GUESSABLE
    assert password_problem("Timebank-2026!") == PasswordProblem.GUESSABLE
    assert password_problem("bancamser2026") == PasswordProblem.GUESSABLE
    # A name inside a longer passphrase is fine: it is not the whole password.
    assert password_problem("dorothy walks the long lane", words) is None


# Everywhere a password is chosen ------------------------------------------------------


def _new_person(**changes):
    data = {
        "display_name": "Nina Newcomer",
        "email": "nina@example.org",
        "password": "a good long password",
        "password_again": "a good long password",
    }
    data.update(changes)
    return data


def _people(session) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(Person))


def test_applying_with_a_listed_password_is_a_field_error_and_writes_nothing(client, session):
    TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    session.commit()
    before = _people(session)
    data = _new_person(password="Password123", password_again="Password123")
    response = client.post("/auth/apply/riverside", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert COMMON in html
    assert 'id="password-error"' in html
    assert _people(session) == before


def test_joining_by_invitation_with_a_guessable_password_is_refused(client, session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    coordinator = make_member(session, email="coord@example.org", bank=bank, role=Role.COORDINATOR)
    _invitation, token = invitation_service.create_invitation(session, actor=coordinator)
    session.commit()
    before = _people(session)
    data = _new_person(password="Nina-Newcomer-1", password_again="Nina-Newcomer-1")
    response = client.post(f"/auth/join/{token}", data=data)
    assert response.status_code == 400
    assert GUESSABLE in response.get_data(as_text=True)
    assert _people(session) == before
    # The same form with a good password goes through.
    assert client.post(f"/auth/join/{token}", data=_new_person()).status_code == 302
    assert _people(session) == before + 1


@pytest.fixture
def outbox(app, tmp_path) -> Path:
    folder = tmp_path / "outbox"
    app.config["MAIL_OUTBOX"] = str(folder)
    return folder


def test_the_reset_link_refuses_a_listed_password_and_keeps_the_old_one(client, session, outbox):
    # People brought in by a members import choose their first password by this link.
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown")
    ask_for_link(client, "alice@example.org")
    path = reset_path(outbox)
    refused = choose(client, path, "letmein123")
    assert refused.status_code == 400
    assert COMMON in refused.get_data(as_text=True)
    person = session.get(Person, alice.person_id)
    session.refresh(person)
    assert verify_password(person.password_hash, PASSWORD)
    # The link still works for a good password.
    assert choose(client, path, "a kettle on the moor").status_code == 302


def test_changing_a_password_refuses_a_listed_one(client, session):
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown")
    sign_in(client, "alice@example.org")
    response = client.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "password": "iloveyou12",
            "password_again": "iloveyou12",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert COMMON in html
    assert 'id="password-error"' in html
    person = session.get(Person, alice.person_id)
    session.refresh(person)
    assert verify_password(person.password_hash, PASSWORD)


def test_the_create_coordinator_command_refuses_a_listed_password(runner, session):
    bank = TimeBankFactory(slug="hillside")
    session.commit()
    result = runner.invoke(
        args=[
            "timebank",
            "create-coordinator",
            "--bank",
            "hillside",
            "--email",
            "ana@example.org",
            "--name",
            "Ana Silva",
            "--password",
            "qwertyuiop",
        ]
    )
    assert result.exit_code != 0
    assert "list of common passwords" in result.output
    session.expire_all()
    assert session.scalar(sa.select(Person).where(Person.email == "ana@example.org")) is None
    assert not session.scalars(
        sa.select(Membership).where(Membership.time_bank_id == bank.id)
    ).all()
