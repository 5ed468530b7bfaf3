"""Choosing a language: English or Welsh (Cymraeg).

What a person notices: the switcher at the foot of every page changes the language of
the next page and keeps it (on their record when signed in, so a new phone shows it
too; in a cookie otherwise); a browser set to Welsh gets Welsh without asking; dates,
months and hours follow the language; the switcher cannot send anyone to another site
and refuses a language we do not have, changing nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from tests.web.support import csrf_token_from, make_member, sign_in
from tests.web.test_auth import csrf_app  # noqa: F401 - fixture
from timebank.extensions import db
from timebank.filters import hours, long_date, month_year
from timebank.i18n import LOCALE_COOKIE, ledger_message
from timebank.ledger import errors
from timebank.ledger.models import Person
from timebank.ledger.rules import Minutes

SIGN_IN = "/auth/sign-in"
FOOTER_EN = "One hour of anyone's time is one time credit."
FOOTER_CY = "Mae awr o amser unrhyw un yn un credyd amser."


def test_english_is_the_default(client):
    page = client.get(SIGN_IN).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert FOOTER_EN in page
    assert 'value="cy" lang="cy"' in page


def test_a_browser_that_prefers_welsh_gets_welsh(client):
    page = client.get(SIGN_IN, headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    text = page.get_data(as_text=True)
    assert '<html lang="cy">' in text
    assert FOOTER_CY in text


def test_an_unknown_browser_language_falls_back_to_english(client):
    text = client.get(SIGN_IN, headers={"Accept-Language": "fr, de"}).get_data(as_text=True)
    assert '<html lang="en">' in text


def test_the_switcher_remembers_the_choice_in_a_cookie(client):
    response = client.post("/language", data={"language": "cy", "next": SIGN_IN})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(SIGN_IN)
    cookie = client.get_cookie(LOCALE_COOKIE)
    assert cookie is not None and cookie.value == "cy"
    assert FOOTER_CY in client.get(SIGN_IN).get_data(as_text=True)

    client.post("/language", data={"language": "en", "next": SIGN_IN})
    assert FOOTER_EN in client.get(SIGN_IN).get_data(as_text=True)


def test_a_signed_in_choice_is_kept_on_the_person_and_follows_them(app, client, session):
    membership = make_member(session, email="gwen@example.org", name="Gwen Example")
    sign_in(client, "gwen@example.org")
    client.post("/language", data={"language": "cy", "next": "/members/"})
    session.expire_all()
    assert db.session.get(Person, membership.person_id).preferred_locale == "cy"

    # Another browser (no cookie), signing in as the same person: Welsh again.
    other = app.test_client()
    sign_in(other, "gwen@example.org")
    assert other.get_cookie(LOCALE_COOKIE) is None
    page = other.get("/members/", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="cy">' in page


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "", None]
)
def test_the_switcher_never_leaves_the_site(client, target):
    data = {"language": "cy"}
    if target is not None:
        data["next"] = target
    response = client.post("/language", data=data)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location


@pytest.mark.parametrize("language", ["fr", "", "cy-GB", "../en"])
def test_an_unknown_language_is_refused_and_changes_nothing(client, language):
    response = client.post("/language", data={"language": language, "next": SIGN_IN})
    assert response.status_code == 400
    assert client.get_cookie(LOCALE_COOKIE) is None


def test_the_switcher_needs_the_csrf_token(csrf_app):  # noqa: F811 - fixture
    client = csrf_app.test_client()
    refused = client.post("/language", data={"language": "cy", "next": SIGN_IN})
    assert refused.status_code == 400
    assert client.get_cookie(LOCALE_COOKIE) is None

    token = csrf_token_from(client.get(SIGN_IN).get_data(as_text=True))
    accepted = client.post(
        "/language", data={"language": "cy", "next": SIGN_IN, "csrf_token": token}
    )
    assert accepted.status_code == 302
    assert client.get_cookie(LOCALE_COOKIE).value == "cy"


def test_dates_months_and_hours_follow_the_language(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert long_date(date(2026, 11, 22)) == "22 November 2026"
            assert month_year(date(2026, 3, 1)) == "March 2026"
            assert hours(90) == "1 h 30 min"
            assert hours(-600) == "-10 h"
            assert hours(123_450) == "2,057 h 30 min"
        with force_locale("cy"):
            assert long_date(date(2026, 11, 22)) == "22 Tachwedd 2026"
            assert month_year(date(2026, 3, 1)) == "Mawrth 2026"
            assert hours(90) == "1 awr 30 mun"
            assert hours(45) == "45 mun"


def test_ledger_errors_are_shown_in_the_readers_language(app):
    error = errors.AmountTooLargeError(
        "One entry can carry at most %(most)s."
        " Record longer work as several entries, one for each day.",
        most=Minutes(720),
    )
    assert error.message.startswith("One entry can carry at most 12 h.")
    with app.test_request_context("/"):
        with force_locale("cy"):
            assert ledger_message(error).startswith("Gall un cofnod gynnwys 12 awr ar y mwyaf.")
        with force_locale("en"):
            assert ledger_message(error) == error.message
