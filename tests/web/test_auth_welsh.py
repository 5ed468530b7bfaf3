"""Signing in, applying and resetting a password in Welsh (Cymraeg).

What a person who chose Welsh notices: the sign-in, apply, forgot-password and
invitation pages, their mistakes and the navigation are in Welsh; the password-reset
email is in the language the person chose for themselves (or, if they never chose, the
language of the page they asked from).
"""

from __future__ import annotations

import html
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from timebank.extensions import db
from timebank.i18n import LOCALE_COOKIE
from timebank.ledger.models import Person

SIGN_IN = "/auth/sign-in"
FORGOT = "/auth/forgot"


def welsh(client):
    client.set_cookie(LOCALE_COOKIE, "cy")
    return client


def text_of(response) -> str:
    # Apostrophes in messages are escaped in the page (&#39;): compare the text.
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def outbox(app, tmp_path) -> Path:
    folder = tmp_path / "outbox"
    app.config["MAIL_OUTBOX"] = str(folder)
    return folder


def only_email(outbox: Path):
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 1, f"expected one message in the outbox, found {len(files)}"
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    page = message.get_body(preferencelist=("html",)).get_content()
    return str(message["Subject"]), text, page


def test_the_sign_in_page_is_in_welsh(client):
    page = text_of(welsh(client).get(SIGN_IN))
    assert '<html lang="cy">' in page
    assert "<h1>Mewngofnodi</h1>" in page
    assert "Cyfeiriad e-bost" in page
    assert "Cyfrinair" in page
    assert "Wedi anghofio eich cyfrinair?" in page
    assert "Neidio i'r prif gynnwys" in page
    assert "Forgot your password?" not in page
    assert "Skip to main content" not in page


def test_sign_in_mistakes_are_in_welsh(client, session):
    make_member(session, email="gwen@example.org", name="Gwen Example")
    welsh(client)
    empty = client.post(SIGN_IN, data={"email": "", "password": ""})
    assert empty.status_code == 400
    page = text_of(empty)
    assert "Gwall: Mewngofnodi" in page
    assert "Mae problem" in page
    assert "Rhowch eich cyfeiriad e-bost." in page
    assert "Rhowch eich cyfrinair." in page

    wrong = text_of(sign_in(client, "gwen@example.org", "not the password at all"))
    assert "Dydy'r cyfeiriad e-bost a'r cyfrinair ddim yn cyfateb." in wrong


def test_the_navigation_and_sign_out_are_in_welsh(client, session):
    make_member(session, email="gwen@example.org", name="Gwen Example")
    welsh(client)
    assert sign_in(client, "gwen@example.org").status_code == 302
    page = text_of(client.get("/members/"))
    assert "Fy amser" in page
    assert "Allgofnodi" in page

    client.post("/auth/sign-out")
    assert "Rydych chi wedi allgofnodi." in text_of(client.get(SIGN_IN))


def test_a_page_that_needs_signing_in_asks_in_welsh(client):
    page = text_of(welsh(client).get("/members/", follow_redirects=True))
    assert "Mewngofnodwch i weld y dudalen honno." in page


def test_the_apply_pages_are_in_welsh(client, session):
    TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    session.commit()
    welsh(client)
    listing = text_of(client.get("/auth/apply"))
    assert "Gwneud cais i ymuno â banc amser" in listing
    assert "Gwneud cais i fod yn aelod o Riverside Time Bank" in listing

    page = text_of(client.get("/auth/apply/riverside"))
    assert "<h1>Gwneud cais i fod yn aelod o Riverside Time Bank</h1>" in page
    assert "Eich enw" in page
    assert "Beth y gallaf ei gynnig" in page
    assert "Cynnwys fy nghyfnewidiadau yn yr adroddiadau" in page
    assert "Anfon fy nghais" in page
    assert "Send my application" not in page


def test_apply_mistakes_are_in_welsh(client, session):
    TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    session.commit()
    response = welsh(client).post("/auth/apply/riverside", data={"password": "short"})
    assert response.status_code == 400
    page = text_of(response)
    assert "Gwall: Gwneud cais i fod yn aelod o Riverside Time Bank" in page
    assert "Rhowch eich enw." in page
    assert "Defnyddiwch o leiaf 10 nod." in page


def test_the_forgot_password_pages_are_in_welsh(client, outbox):
    welsh(client)
    page = text_of(client.get(FORGOT))
    assert "<h1>Wedi anghofio eich cyfrinair?</h1>" in page
    assert "Anfonwch ddolen ataf i" in page
    assert "Yn ôl i fewngofnodi" in page

    sent = text_of(client.post(FORGOT, data={"email": "nobody@example.org"}, follow_redirects=True))
    assert "Gwiriwch eich e-bost" in sent
    assert "Mae'r ddolen yn gweithio unwaith, am 60 munud." in sent


def test_the_reset_email_follows_the_persons_own_language(client, session, outbox):
    membership = make_member(session, email="gwen@example.org", name="Gwen Example")
    db.session.get(Person, membership.person_id).preferred_locale = "cy"
    session.commit()

    # Asked from an English page: the email is still in Welsh, as Gwen chose.
    client.post(FORGOT, data={"email": "gwen@example.org"})
    subject, text, page = only_email(outbox)
    assert subject == "Dewiswch gyfrinair newydd ar gyfer eich banc amser"
    assert "Helo Gwen Example," in text
    assert "I ddewis cyfrinair newydd, agorwch y ddolen hon:" in text
    assert '<html lang="cy">' in page
    assert "Dewis cyfrinair newydd" in html.unescape(page)


def test_the_reset_email_follows_the_page_when_no_language_was_chosen(client, session, outbox):
    make_member(session, email="gwen@example.org", name="Gwen Example")
    welsh(client).post(FORGOT, data={"email": "gwen@example.org"})
    subject, text, _page = only_email(outbox)
    assert subject == "Dewiswch gyfrinair newydd ar gyfer eich banc amser"
    assert "Helo Gwen Example," in text


def test_someone_who_chose_english_gets_english_mail_from_a_welsh_page(client, session, outbox):
    membership = make_member(session, email="alice@example.org", name="Alice Ashdown")
    db.session.get(Person, membership.person_id).preferred_locale = "en"
    session.commit()
    welsh(client).post(FORGOT, data={"email": "alice@example.org"})
    subject, text, page = only_email(outbox)
    assert subject == "Choose a new password for your time bank"
    assert "Hello Alice Ashdown," in text
    assert '<html lang="en">' in page


def test_an_invitation_link_that_is_not_valid_says_so_in_welsh(client):
    response = welsh(client).get("/auth/join/no-such-link")
    assert response.status_code == 404
    page = text_of(response)
    assert "Does dim modd defnyddio'r ddolen wahoddiad hon" in page
    assert "Nid yw'r ddolen wahoddiad hon yn ddilys." in page


def test_error_pages_are_in_welsh(client):
    response = welsh(client).get("/no/such/page")
    assert response.status_code == 404
    page = text_of(response)
    assert "Heb ddod o hyd i'r dudalen" in page
    assert "Mynd i'r dudalen gychwyn" in page
