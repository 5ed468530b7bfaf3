"""Applying signed out verifies the address before anything is created (issue 11,
finding 3): the apply page answered a known address with "Check your email" and a new
one by making an account and signing it in, so anyone could tell which addresses have
an account. Now every submitter sees the same page, and a new address gets an emailed
link; only confirming it makes the person (address verified) and the application."""

from __future__ import annotations

import difflib
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.apply_support import (
    CHECK_EMAIL,
    apply_and_confirm,
    confirm,
    confirm_links,
    confirm_path,
)
from tests.web.support import csrf_token_from, location_path, make_member
from tests.web.test_auth import _own_context_app, csrf_app  # noqa: F401 - a fixture
from timebank.auth.reset import RedactTokens
from timebank.community.pending_applications import PendingApplication
from timebank.extensions import db
from timebank.ledger.clock import frozen_at
from timebank.ledger.models import Membership, Person
from timebank.mail import read_outbox

APPLY = "/auth/apply/riverside"
STATUS = "/members/application"
INVALID = "This link has expired or was already used"


@pytest.fixture
def riverside(session):
    bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
    make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    session.commit()
    return bank


def form(**changes):
    data = {
        "display_name": "Nina Newcomer",
        "email": "nina@example.org",
        "password": "a good long password",
        "password_again": "a good long password",
        "offers_text": "Gardening",
        "needs_text": "A lift now and then",
    }
    data.update(changes)
    return data


def counts(session):
    session.expire_all()
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Person, Membership, PendingApplication)
    )


def signed_in(client) -> bool:
    return client.get("/members/").status_code == 200


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token"( type="hidden")? value="[^"]+"', "", html)


def test_a_known_and_a_new_address_get_the_same_answer(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
        make_member(db.session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        db.session.commit()

    def answer(email):
        client = csrf_app.test_client()
        token = csrf_token_from(client.get(APPLY).get_data(as_text=True))
        response = client.post(APPLY, data={**form(email=email), "csrf_token": token})
        headers = sorted(
            (name, value)
            for name, value in response.headers.items()
            if name not in ("Date", "Content-Length", "Set-Cookie", "X-Request-Id")
        )
        cookies = sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))
        body = without_csrf(response.get_data(as_text=True))
        return response.status_code, headers, cookies, body, signed_in(client)

    known = answer("Alice@Example.org")
    new = answer("nina@example.org")
    # Before the fix: known 200 "Check your email", new 302 to the status page.
    lines = [answer[3].split("\n") for answer in (known, new)]
    assert known[3] == new[3], "\n".join(difflib.unified_diff(*lines))
    assert known == new
    status, _, _, body, is_signed_in = new
    assert status == 200 and CHECK_EMAIL in body and not is_signed_in
    # Each address's owner got the email that fits.
    sent = {m.to: m.subject for m in read_outbox(csrf_app.config["MAIL_OUTBOX"])}
    assert sent == {
        "alice@example.org": "Applying to Riverside Time Bank",
        "nina@example.org": "Confirm your application to Riverside Time Bank",
    }


def test_the_two_answers_take_comparable_time(client, riverside):
    def quickest_of_three(email):
        times = []
        for n in range(3):
            started = time.perf_counter()
            client.post(APPLY, data=form(email=email.format(n=n)))
            times.append(time.perf_counter() - started)
        return min(times)

    known = quickest_of_three("alice@example.org")
    new = quickest_of_three("new{n}@example.org")
    # Both hash the password; neither answers many times faster than the other.
    assert new > known / 3 and known > new / 3, (known, new)


def test_nothing_is_created_before_the_link_is_confirmed(app, client, session, riverside):
    before = counts(session)
    response = client.post(APPLY, data=form())
    assert response.status_code == 200 and CHECK_EMAIL in response.get_data(as_text=True)
    assert counts(session) == (before[0], before[1], 1)
    assert not signed_in(client)
    # Opening the link only shows the button: nothing is created by a GET (a mail
    # scanner that follows links makes no account).
    path = confirm_path(app, "nina@example.org")
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Confirm your application to Riverside Time Bank" in html
    assert '<form method="post"' in html and "Confirm my application" in html
    assert counts(session) == (before[0], before[1], 1)
    # The password is kept only as its hash.
    pending = session.scalar(sa.select(PendingApplication))
    assert "a good long password" not in pending.password_hash
    assert pending.token_hash not in path


def test_confirming_creates_the_verified_person_and_signs_in(app, client, session, riverside):
    before = counts(session)
    response = apply_and_confirm(client, APPLY, form(consent_reporting="y"))
    assert response.status_code == 302 and location_path(response) == STATUS
    assert counts(session) == (before[0] + 1, before[1] + 1, 0)
    nina = session.scalar(sa.select(Person).where(Person.email == "nina@example.org"))
    assert nina.email_verified_at is not None and nina.preferred_locale == "en"
    [membership] = nina.memberships
    assert membership.offers_text == "Gardening" and membership.consent_reporting is True
    assert signed_in(client)


def test_the_link_works_once(app, client, session, riverside):
    client.post(APPLY, data=form())
    path = confirm_path(app, "nina@example.org")
    assert location_path(confirm(client, path)) == STATUS
    client.post("/auth/sign-out")
    after = counts(session)
    for again in (client.get(path), client.post(path)):
        assert again.status_code == 404
        html = again.get_data(as_text=True)
        assert INVALID in html and 'href="/auth/apply"' in html
    assert counts(session) == after


def test_an_expired_link_is_refused_and_creates_nothing(app, client, session, riverside):
    sent = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with frozen_at(sent):
        client.post(APPLY, data=form())
    path = confirm_path(app, "nina@example.org")
    before = counts(session)
    with frozen_at(sent + timedelta(hours=24) - timedelta(seconds=1)):
        assert client.get(path).status_code == 200
    with frozen_at(sent + timedelta(hours=24, seconds=1)):
        assert client.get(path).status_code == 410
        response = client.post(path)
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert INVALID in html and "Apply again" in html
    assert counts(session) == before and not signed_in(client)


def test_an_unknown_link_is_refused(client, riverside):
    response = client.get("/auth/apply/confirm/not-a-real-token")
    assert response.status_code == 404
    assert INVALID in response.get_data(as_text=True)


def test_applying_again_replaces_the_waiting_application(app, client, session, riverside):
    client.post(APPLY, data=form(display_name="Nina First"))
    client.post(APPLY, data=form(display_name="Nina Second", email="NINA@example.org"))
    newer, older = confirm_links(app, "nina@example.org")
    assert session.scalar(sa.select(sa.func.count()).select_from(PendingApplication)) == 1
    assert client.get(older).status_code == 404
    assert location_path(confirm(client, newer)) == STATUS
    nina = session.scalar(sa.select(Person).where(Person.email == "nina@example.org"))
    assert nina.display_name == "Nina Second"


def test_no_second_account_if_the_address_got_one_meanwhile(app, client, session, riverside):
    client.post(APPLY, data=form())
    path = confirm_path(app, "nina@example.org")
    # Meanwhile Nina joined another way (an invitation, an import).
    make_member(session, email="nina@example.org", name="Nina Invited")
    session.commit()
    before = counts(session)
    response = confirm(client, path)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "You already have an account" in html
    assert 'href="/auth/sign-in?next=/auth/apply/riverside"' in html
    assert counts(session) == (before[0], before[1], 0)
    assert not signed_in(client)
    assert client.get(path).status_code == 404


def test_a_bank_that_stopped_taking_applications_meanwhile_is_said_so(
    app, client, session, riverside
):
    client.post(APPLY, data=form())
    path = confirm_path(app, "nina@example.org")
    riverside.accepts_applications = False
    session.commit()
    before = counts(session)
    response = confirm(client, path)
    assert response.status_code == 400
    assert "is not taking applications through the website" in response.get_data(as_text=True)
    # Nothing written, and the link is not used up.
    assert counts(session) == before and not signed_in(client)
    assert client.get(path).status_code == 200


def test_applying_is_rate_limited_per_client_with_a_clear_page(client, riverside):
    answers = [
        client.post(APPLY, data=form(email=f"probe{n}@example.org", password="short"))
        for n in range(11)
    ]
    assert [a.status_code for a in answers] == [400] * 10 + [429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "3600"
    html = refused.get_data(as_text=True)
    assert "Too many applications" in html and "Wait an hour and try again." in html


def test_applying_is_rate_limited_per_email_address(app, client, session, riverside):
    answers = [client.post(APPLY, data=form()).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    # Three links sent, no more; the one waiting is the last.
    assert len(confirm_links(app, "nina@example.org")) == 3
    assert counts(session)[2] == 1


def test_the_email_is_in_the_language_applied_in(app, client, riverside):
    client.post("/language", data={"language": "cy", "next": APPLY})
    assert client.post(APPLY, data=form()).status_code == 200
    [message] = read_outbox(app.config["MAIL_OUTBOX"], to="nina@example.org")
    assert message.subject == "Cadarnhewch eich cais i Riverside Time Bank"
    text = "".join(part for part, _ in message.body_parts)
    assert "Cadarnhau fy nghais" in text and "http://localhost/auth/apply/confirm/" in text
    # Whatever language the link is opened in, the account keeps the one applied in.
    client.post("/language", data={"language": "en", "next": "/"})
    confirm(client, confirm_path(app, "nina@example.org"))
    nina = db.session.scalar(sa.select(Person).where(Person.email == "nina@example.org"))
    assert nina.preferred_locale == "cy"


def test_the_link_is_built_from_the_configured_origin(app, client, riverside):
    # The request came to another name of this server: the link still starts with the
    # configured origin (http://localhost in the tests), never the request's Host.
    client.post(APPLY, data=form(), headers={"Host": "127.0.0.1"})
    [message] = read_outbox(app.config["MAIL_OUTBOX"], to="nina@example.org")
    [link] = [part for part, is_link in message.body_parts if "/confirm/" in part]
    assert link.startswith("http://localhost/auth/apply/confirm/")


def test_the_token_is_kept_out_of_the_request_log(app, client, riverside):
    client.post(APPLY, data=form())
    path = confirm_path(app, "nina@example.org")
    token = path.rsplit("/", 1)[1]
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"%s" %s', (f"GET {path}", 200), None
    )
    assert RedactTokens().filter(record)
    assert token not in record.getMessage()
    assert "/auth/apply/confirm/[hidden]" in record.getMessage()


# The demo outbox (make run): the journey works without a mail server, and a browser
# sees only the mail its own application caused.


@pytest.fixture
def demo(database_url):
    """The app as `make run` has it: the demo outbox page on (and CSRF off)."""
    for app in _own_context_app(
        database_url,
        DEMO_OUTBOX_PAGE=True,
        WTF_CSRF_ENABLED=False,
        SESSION_COOKIE_SECURE=False,
        EXTERNAL_ORIGIN="http://localhost",
    ):
        with app.app_context():
            bank = TimeBankFactory(name="Riverside Time Bank", slug="riverside")
            make_member(db.session, email="alice@example.org", name="Alice Ashdown", bank=bank)
            db.session.commit()
        yield app


def test_the_demo_journey_reads_the_link_in_the_outbox(demo):
    client = demo.test_client()
    page = client.post(APPLY, data=form()).get_data(as_text=True)
    assert 'href="/auth/outbox"' in page
    outbox = client.get("/auth/outbox")
    assert outbox.status_code == 200
    html = outbox.get_data(as_text=True)
    [link] = re.findall(r'href="http://localhost(/auth/apply/confirm/[^"]+)"', html)
    assert location_path(confirm(client, link)) == STATUS


def test_the_demo_outbox_shows_a_browser_only_its_own_mail(demo):
    client = demo.test_client()
    client.post(APPLY, data=form())
    stranger = demo.test_client()
    assert location_path(stranger.get("/auth/outbox")).startswith("/auth/sign-in")
    # A stranger who applies too sees their own mail, not Nina's, nor anyone's reset link.
    stranger.post(APPLY, data=form(email="sam@example.org", display_name="Sam"))
    stranger.post("/auth/forgot", data={"email": "alice@example.org"})
    html = stranger.get("/auth/outbox").get_data(as_text=True)
    assert "sam@example.org" in html
    assert "nina@example.org" not in html and "alice@example.org" not in html
    assert "/auth/reset/" not in html
