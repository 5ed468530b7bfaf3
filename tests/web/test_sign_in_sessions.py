"""Sessions as rows (OWASP ASVS 7.5.2, 7.4.x): each sign-in is listed on "Your sign-in and
security" with a coarse device name, this one marked; any other can be ended, or all of
them at once, and an ended session is refused at its next request. Real requests, real
database; two browsers are two test clients with their own cookies and User-Agents.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.test_auth import PASSWORD, make_member, sign_in
from timebank.auth.reset import make_reset_token
from timebank.auth.sessions import SESSION_KEY
from timebank.community import security_events as ev
from timebank.community.security_events import SecurityEvent
from timebank.community.sign_in_sessions import SignInSession, device_of, digest
from timebank.ledger.clock import frozen_at
from timebank.ledger.models import Person

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SECURITY = "/auth/security"
DASHBOARD = "/members/"
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


def browser(app, user_agent: str):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def rows_of(session, person_id) -> list[SignInSession]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(SignInSession)
            .where(SignInSession.person_id == person_id)
            .order_by(SignInSession.id)
        )
    )


def cookie_session(app, client) -> dict:
    """What the signed session cookie holds."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie.value)


def sessions_section(html: str) -> str:
    start = html.index('id="sessions-title"')
    return html[start : html.index("</section>", start)]


def test_devices_are_named_coarsely_from_the_user_agent():
    assert device_of(FIREFOX_ANDROID) == ("Firefox", "Android")
    assert device_of(CHROME_WINDOWS) == ("Chrome", "Windows")
    assert device_of(SAFARI_IPHONE) == ("Safari", "iPhone")
    edge = CHROME_WINDOWS + " Edg/126.0.0.0"
    assert device_of(edge) == ("Edge", "Windows")
    assert device_of("curl/8.5.0") == (None, None)
    assert device_of(None) == (None, None)


def test_each_sign_in_is_a_row_and_the_page_lists_them_with_this_one_marked(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    laptop = browser(app, CHROME_WINDOWS)
    assert sign_in(phone, "alice@example.org").status_code == 302
    assert sign_in(laptop, "alice@example.org").status_code == 302

    first, second = rows_of(session, alice.person_id)
    assert (first.browser, first.system) == ("Firefox", "Android")
    assert (second.browser, second.system) == ("Chrome", "Windows")
    assert first.ended_at is None and second.ended_at is None
    # The cookie holds a random secret; the table only its hash, and no address at all.
    secret = cookie_session(app, phone)[SESSION_KEY]
    assert len(secret) >= 43 and first.secret_hash == digest(secret) != secret
    columns = {c.name for c in SignInSession.__table__.columns}
    assert not {c for c in columns if "ip" in c.split("_") or "address" in c}

    page = phone.get(SECURITY)
    assert page.status_code == 200
    listed = sessions_section(page.get_data(as_text=True))
    assert "Firefox on Android" in listed and "Chrome on Windows" in listed
    # "This device" is the phone's own session, and it has no "End" button.
    assert listed.index("Firefox on Android") < listed.index("This device")
    assert listed.index("This device") < listed.index("Chrome on Windows")
    assert f"/auth/security/sessions/{second.id}/end" in listed
    assert f"/auth/security/sessions/{first.id}/end" not in listed
    assert "Sign out everywhere else" in listed


def test_ending_a_session_signs_that_device_out_at_its_next_request(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    laptop = browser(app, CHROME_WINDOWS)
    sign_in(phone, "alice@example.org")
    sign_in(laptop, "alice@example.org")
    assert laptop.get(DASHBOARD).status_code == 200
    _, laptop_row = rows_of(session, alice.person_id)

    ended = phone.post(f"/auth/security/sessions/{laptop_row.id}/end")
    assert ended.status_code == 302
    assert "That session has ended" in phone.get(SECURITY).get_data(as_text=True)

    refused = laptop.get(DASHBOARD)
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/auth/sign-in")
    said = laptop.get(refused.headers["Location"]).get_data(as_text=True)
    assert "You were signed out on this device" in said
    assert laptop.get(DASHBOARD).status_code == 302  # for good
    # The phone goes on; the laptop's row is ended, with why.
    assert phone.get(DASHBOARD).status_code == 200
    phone_row, laptop_row = rows_of(session, alice.person_id)
    assert phone_row.ended_at is None
    assert laptop_row.ended_at is not None and laptop_row.ended_reason == "ended_by_person"
    assert "Chrome on Windows" not in sessions_section(phone.get(SECURITY).get_data(as_text=True))
    kinds = [e.kind for e in session.scalars(sa.select(SecurityEvent).order_by(SecurityEvent.id))]
    assert kinds.count(ev.SESSION_ENDED) == 1


def test_a_copied_cookie_of_an_ended_session_is_refused(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    laptop = browser(app, CHROME_WINDOWS)
    sign_in(phone, "alice@example.org")
    sign_in(laptop, "alice@example.org")
    name = app.config["SESSION_COOKIE_NAME"]
    copy = browser(app, CHROME_WINDOWS)
    copy.set_cookie(name, laptop.get_cookie(name).value)
    assert copy.get(DASHBOARD).status_code == 200
    _, laptop_row = rows_of(session, alice.person_id)
    phone.post(f"/auth/security/sessions/{laptop_row.id}/end")
    assert copy.get(DASHBOARD).status_code == 302


def test_nobody_ends_someone_elses_session(app, session, alice, bob):
    alices = browser(app, FIREFOX_ANDROID)
    bobs = browser(app, CHROME_WINDOWS)
    sign_in(alices, "alice@example.org")
    sign_in(bobs, "bob@example.org")
    [alice_row] = rows_of(session, alice.person_id)
    assert bobs.post(f"/auth/security/sessions/{alice_row.id}/end").status_code == 302
    assert alices.get(DASHBOARD).status_code == 200
    [alice_row] = rows_of(session, alice.person_id)
    assert alice_row.ended_at is None


def test_ending_needs_the_form_token(app, session, alice):
    app.config["WTF_CSRF_ENABLED"] = True
    phone = browser(app, FIREFOX_ANDROID)
    laptop = browser(app, CHROME_WINDOWS)
    for client in (phone, laptop):
        sign_in_page = client.get("/auth/sign-in").get_data(as_text=True)
        from tests.web.test_auth import csrf_token_from

        client.post(
            "/auth/sign-in",
            data={
                "email": "alice@example.org",
                "password": PASSWORD,
                "csrf_token": csrf_token_from(sign_in_page),
            },
        )
    _, laptop_row = rows_of(session, alice.person_id)
    refused = phone.post(f"/auth/security/sessions/{laptop_row.id}/end")
    assert refused.status_code == 400
    assert laptop.get(DASHBOARD).status_code == 200


def test_sign_out_everywhere_else_keeps_this_one(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    laptop = browser(app, CHROME_WINDOWS)
    tablet = browser(app, SAFARI_IPHONE)
    for client in (phone, laptop, tablet):
        sign_in(client, "alice@example.org")

    done = phone.post("/auth/security/sessions/end-others")
    assert done.status_code == 302
    assert "You are signed out everywhere else" in phone.get(SECURITY).get_data(as_text=True)
    assert phone.get(DASHBOARD).status_code == 200
    assert laptop.get(DASHBOARD).status_code == 302
    assert tablet.get(DASHBOARD).status_code == 302
    phone_row, *others = rows_of(session, alice.person_id)
    assert phone_row.ended_at is None
    assert all(row.ended_reason == "others_ended" for row in others)
    [revoked] = session.scalars(
        sa.select(SecurityEvent).where(SecurityEvent.kind == ev.SESSIONS_REVOKED)
    )
    assert revoked.details == {"because": "signed_out_elsewhere", "count": 2}


def test_signing_out_ends_every_row_and_a_password_change_all_but_this(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    laptop = browser(app, CHROME_WINDOWS)
    sign_in(phone, "alice@example.org")
    sign_in(laptop, "alice@example.org")
    changed = phone.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "password": "a quite new passphrase for alice",
            "password_again": "a quite new passphrase for alice",
        },
    )
    assert changed.status_code == 303
    phone_row, laptop_row = rows_of(session, alice.person_id)
    assert phone_row.ended_at is None and laptop_row.ended_reason == "others_ended"
    assert phone.get(DASHBOARD).status_code == 200

    phone.post("/auth/sign-out")
    phone_row, _ = rows_of(session, alice.person_id)
    assert phone_row.ended_reason == "signed_out"


def test_last_seen_is_written_at_most_once_a_minute(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    with frozen_at(START):
        sign_in(phone, "alice@example.org")
    naive_start = START.replace(tzinfo=None)
    with frozen_at(START + timedelta(seconds=40)):
        assert phone.get(DASHBOARD).status_code == 200
    [row] = rows_of(session, alice.person_id)
    assert row.last_seen_at == naive_start
    with frozen_at(START + timedelta(seconds=75)):
        assert phone.get(DASHBOARD).status_code == 200
    [row] = rows_of(session, alice.person_id)
    assert row.last_seen_at == naive_start + timedelta(seconds=75)
    assert row.created_at == naive_start


def test_a_session_that_timed_out_is_ended_and_no_longer_listed(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    laptop = browser(app, CHROME_WINDOWS)
    with frozen_at(START):
        sign_in(laptop, "alice@example.org")
    with frozen_at(START + timedelta(minutes=20)):
        sign_in(phone, "alice@example.org")
    with frozen_at(START + timedelta(minutes=45)):
        # The laptop has been idle for 45 minutes: not listed even before it is back.
        listed = sessions_section(phone.get(SECURITY).get_data(as_text=True))
        assert "Chrome on Windows" not in listed and "Firefox on Android" in listed
        assert laptop.get(DASHBOARD).status_code == 303
    laptop_row, phone_row = rows_of(session, alice.person_id)
    assert phone_row.ended_at is None
    assert laptop_row.ended_reason == "idle"


def test_a_cookie_without_a_session_row_is_signed_out(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    sign_in(phone, "alice@example.org")
    # As a cookie made before sessions were rows: the same signed cookie, no secret.
    held = cookie_session(app, phone)
    held.pop(SESSION_KEY)
    forged = app.session_interface.get_signing_serializer(app).dumps(held)
    old = browser(app, FIREFOX_ANDROID)
    old.set_cookie(app.config["SESSION_COOKIE_NAME"], forged)
    assert old.get(DASHBOARD).status_code == 302


def test_a_reset_link_used_while_signed_in_starts_a_fresh_session_that_works(app, session, alice):
    phone = browser(app, FIREFOX_ANDROID)
    sign_in(phone, "alice@example.org")
    [before] = rows_of(session, alice.person_id)
    token = make_reset_token(session.get(Person, alice.person_id))
    new = "another quite new passphrase"
    done = phone.post(f"/auth/reset/{token}", data={"password": new, "password_again": new})
    assert done.status_code == 302
    assert phone.get(DASHBOARD).status_code == 200
    old_row, new_row = rows_of(session, alice.person_id)
    assert old_row.id == before.id and old_row.ended_reason == "others_ended"
    assert new_row.ended_at is None
    assert cookie_session(app, phone)[SESSION_KEY] != ""
    assert digest(cookie_session(app, phone)[SESSION_KEY]) == new_row.secret_hash
