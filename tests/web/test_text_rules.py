"""No control characters, and no text made only of invisible characters, in any text
field (issue 11, finding 5): a NUL byte gave a 500 on PostgreSQL and was stored on
SQLite. One validator, added to every text field of every form."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.test_auth import make_member, sign_in
from timebank.community.models import Listing
from timebank.ledger.models import Person
from timebank.text_rules import has_control_characters, is_only_invisible

CONTROL = "Remove the invisible control characters from this text."
INVISIBLE = "Type some text that can be seen, or leave this empty."


@pytest.fixture
def alice(client, session):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    sign_in(client, "alice@example.org")
    return bank


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("Help with\x00 shopping", CONTROL),
        ("Help\x1b[31m with shopping", CONTROL),
        ("\u200b\u200b\u200d", INVISIBLE),
    ],
)
def test_a_listing_title_is_refused_at_the_field(client, session, alice, title, message):
    response = client.post(
        "/members/listings/new",
        data={"kind": "offer", "title": title, "description": "", "category": ""},
    )
    assert response.status_code in (400, 422)
    assert message in response.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_the_sign_in_form_refuses_a_nul_plainly(client, session):
    response = client.post(
        "/auth/sign-in", data={"email": "alice@example.org\x00", "password": "whatever it is"}
    )
    assert response.status_code == 400
    assert CONTROL in response.get_data(as_text=True)


def test_the_apply_form_refuses_an_invisible_name(client, session):
    TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    response = client.post(
        "/auth/apply/riverside",
        data={
            "display_name": "\u200b\u2060",
            "email": "new@example.org",
            "password": "a good long password",
            "password_again": "a good long password",
        },
    )
    assert INVISIBLE in response.get_data(as_text=True)
    assert session.scalar(sa.select(Person).where(Person.email == "new@example.org")) is None


def test_tabs_and_newlines_and_ordinary_text_pass():
    for text in ("Line one\nLine two\r\n\tindented", "Cymraeg: ŵ ŷ", "😀", "a\u200bb"):
        assert not has_control_characters(text) and not is_only_invisible(text)
