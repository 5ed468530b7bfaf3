"""Sign-in limits that cannot lock the owner out, sessions that end after inactivity and
absolutely, changing a password, and the security event log (coordinators' page and
each person's recent activity), all through real requests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import table_rows
from tests.web.test_auth import PASSWORD, make_member, sign_in
from timebank.auth.known_devices import COOKIE
from timebank.auth.passwords import verify_password
from timebank.community import security_events as ev
from timebank.community.security_events import (
    SecurityEvent,
    SecurityEventError,
    record_security_event,
)
from timebank.ledger.clock import frozen_at
from timebank.ledger.models import MembershipStatus, Person, Role

TOO_MANY = "Too many tries. Wait a minute and try again."
SECURITY_LOG = "/coordinators/security-log"


def events(session, **where) -> list[SecurityEvent]:
    session.expire_all()
    query = sa.select(SecurityEvent).order_by(SecurityEvent.id)
    for name, value in where.items():
        query = query.where(getattr(SecurityEvent, name) == value)
    return list(session.scalars(query))


def kinds(session, person_id) -> list[str]:
    return [e.kind for e in events(session, person_id=person_id)]


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def alice(session, bank):
    return make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)


# A lockout that cannot lock the owner out ----------------------------------------------


def test_a_browser_used_before_still_signs_in_while_strangers_are_held_back(app, session, alice):
    owner = app.test_client()
    assert sign_in(owner, "alice@example.org").status_code == 302
    assert owner.get_cookie(COOKIE, path="/auth/") is not None
    owner.post("/auth/sign-out")

    # Five tries a minute per account from new browsers; the owner's own sign-in above
    # was one of them.
    attacker = app.test_client()
    for _ in range(4):
        assert sign_in(attacker, "alice@example.org", "guess guess guess").status_code == 400
    assert sign_in(attacker, "alice@example.org", PASSWORD).status_code == 429

    # A new browser (even with the right password) is held back...
    stranger = app.test_client()
    refused = sign_in(stranger, "alice@example.org")
    assert refused.status_code == 429
    assert TOO_MANY in refused.get_data(as_text=True)
    # ...and so is one with a forged device cookie...
    forged = app.test_client()
    forged.set_cookie(COOKIE, owner.get_cookie(COOKIE, path="/auth/").value + "x", path="/auth/")
    assert sign_in(forged, "alice@example.org").status_code == 429
    # ...but the owner's browser gets in.
    assert sign_in(owner, "alice@example.org").status_code == 302
    assert owner.get("/members/").status_code == 200

    # The limit reached is logged once for the account, however often it is hit.
    assert kinds(session, alice.person_id).count(ev.SIGN_IN_LIMITED) == 1


def test_the_device_cookie_is_for_one_account_only(app, session, alice, bank):
    make_member(session, email="bob@example.org", name="Bob Brown", bank=bank)
    shared = app.test_client()
    assert sign_in(shared, "bob@example.org").status_code == 302
    shared.post("/auth/sign-out")
    attacker = app.test_client()
    for _ in range(5):
        sign_in(attacker, "alice@example.org", "guess guess guess")
    # Bob's browser has never signed in to Alice's account: it is a stranger to it.
    assert sign_in(shared, "alice@example.org").status_code == 429


def test_choosing_a_new_password_by_the_emailed_link_makes_the_browser_known(
    app, session, alice, tmp_path
):
    from tests.web.test_password_reset import ask_for_link, choose, reset_path

    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    attacker = app.test_client()
    for _ in range(5):
        sign_in(attacker, "alice@example.org", "guess guess guess")
    new_phone = app.test_client()
    assert sign_in(new_phone, "alice@example.org").status_code == 429
    ask_for_link(new_phone, "alice@example.org")
    assert choose(new_phone, reset_path(tmp_path / "outbox")).status_code == 302
    new_phone.post("/auth/sign-out")
    assert sign_in(new_phone, "alice@example.org", "a brand new passphrase").status_code == 302
    assert ev.PASSWORD_RESET in kinds(session, alice.person_id)


# Sessions that end ------------------------------------------------------------------


START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_session_ends_after_thirty_minutes_without_a_request(client, session, alice):
    with frozen_at(START):
        assert sign_in(client, "alice@example.org").status_code == 302
    with frozen_at(START + timedelta(minutes=29)):
        assert client.get("/members/").status_code == 200
    # 29 + 30 minutes: still within 30 minutes of the last request.
    with frozen_at(START + timedelta(minutes=59)):
        assert client.get("/members/").status_code == 200
    with frozen_at(START + timedelta(minutes=89, seconds=30)):
        ended = client.get("/members/messages")
        assert ended.status_code == 303
        assert ended.headers["Location"] == "/auth/sign-in?next=/members/messages"
        page = client.get(ended.headers["Location"])
        assert "nothing happened for 30 minutes" in page.get_data(as_text=True)
        assert client.get("/members/").status_code == 302  # signed out for good
    [expired] = events(session, kind=ev.SESSION_EXPIRED)
    assert expired.person_id == alice.person_id
    assert expired.details == {"reason": "idle"}


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(client, session, alice):
    with frozen_at(START):
        sign_in(client, "alice@example.org")
    for step in range(1, 29):  # a request every 25 minutes, to 11 h 40
        moment = START + timedelta(minutes=25 * step)
        with frozen_at(moment):
            assert client.get("/members/").status_code == 200, moment
    with frozen_at(START + timedelta(hours=12, minutes=1)):
        ended = client.get("/members/")
        assert ended.status_code == 303
        page = client.get(ended.headers["Location"])
        assert "had been signed in for 12 hours" in page.get_data(as_text=True)
    assert events(session, kind=ev.SESSION_EXPIRED)[0].details == {"reason": "absolute"}


def test_a_cookie_without_the_times_is_not_accepted(app, client, session, alice):
    sign_in(client, "alice@example.org")
    with client.session_transaction() as flask_session:
        del flask_session["signed_in_at"]
    assert client.get("/members/").status_code == 303


# Changing a password ----------------------------------------------------------------


def change(client, current, new, again=None):
    return client.post(
        "/auth/password",
        data={"current_password": current, "password": new, "password_again": again or new},
    )


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app, session, alice):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, "alice@example.org")
    sign_in(elsewhere, "alice@example.org")

    wrong = change(here, "not my password", "a kettle on the moor")
    assert wrong.status_code == 400
    assert "That is not your current password." in wrong.get_data(as_text=True)
    person = session.get(Person, alice.person_id)
    session.refresh(person)
    assert verify_password(person.password_hash, PASSWORD)

    done = change(here, PASSWORD, "a kettle on the moor")
    assert done.status_code == 303
    session.refresh(person)
    assert verify_password(person.password_hash, "a kettle on the moor")
    assert here.get("/members/").status_code == 200  # this session goes on
    assert elsewhere.get("/members/").status_code == 302  # the other one ended
    assert kinds(session, alice.person_id)[-4:] == [
        ev.SIGN_IN,
        ev.REAUTHENTICATION_FAILED,
        ev.PASSWORD_CHANGED,
        ev.SESSIONS_REVOKED,
    ]


# The security event log --------------------------------------------------------------


def test_sign_ins_failures_and_sign_outs_are_logged_without_addresses_or_passwords(
    client, session, alice
):
    sign_in(client, "alice@example.org", "wrong password!")
    sign_in(client, "nobody@example.org", "wrong password!")
    sign_in(client, "alice@example.org")
    client.post("/auth/sign-out")
    assert kinds(session, alice.person_id) == [
        ev.SIGN_IN_FAILED,
        ev.SIGN_IN,
        ev.SIGN_OUT,
    ]
    [unknown] = [e for e in events(session, kind=ev.SIGN_IN_FAILED) if e.person_id is None]
    assert unknown.details is None and unknown.time_bank_id is None
    # Nothing stored anywhere in the table names an address or a password.
    dump = " ".join(
        str(value)
        for row in session.execute(sa.text("SELECT * FROM security_event")).all()
        for value in row
    )
    for secret in ("alice@", "nobody@", "example.org", "wrong password", PASSWORD):
        assert secret not in dump


def test_the_record_function_refuses_unknown_kinds_and_anything_secret(session, alice):
    with pytest.raises(SecurityEventError):
        record_security_event(session, kind="made_up", person_id=alice.person_id)
    for details in (
        {"password": "x"},
        {"token": "abc"},
        {"code": "123456"},
        {"email_address": "a"},
        {"note": "alice@example.org"},
        {"nested": {"a": 1}},
    ):
        with pytest.raises(SecurityEventError):
            record_security_event(
                session, kind=ev.MFA_FAILED, person_id=alice.person_id, details=details
            )
    event = record_security_event(
        session,
        kind=ev.MFA_RECOVERY_CODE_USED,
        person_id=alice.person_id,
        details={"codes_left": 7},
    )
    assert event.id is not None and event.details == {"codes_left": 7}
    session.rollback()


def test_a_role_change_is_logged_with_who_did_it(app, session, bank, alice):
    coordinator = make_member(
        session, email="cora@example.org", name="Cora Coordinator", bank=bank, role=Role.COORDINATOR
    )
    client = app.test_client()
    sign_in(client, "cora@example.org")
    response = client.post(
        f"/coordinators/members/{alice.id}/role", data={"role-role": "coordinator"}
    )
    assert response.status_code in (302, 303)
    [changed] = events(session, kind=ev.ROLE_CHANGED)
    assert changed.person_id == alice.person_id
    assert changed.actor_id == coordinator.person_id
    assert changed.time_bank_id == bank.id
    assert changed.details == {"from": "member", "to": "coordinator"}
    page = client.get(SECURITY_LOG, query_string={"kind": ev.ROLE_CHANGED})
    rows = table_rows(page.get_data(as_text=True))
    assert rows[1] == [
        rows[1][0],
        "Alice Ashdown",
        "Role changed",
        "By Cora Coordinator. From member to coordinator.",
    ]


def test_coordinators_read_their_own_banks_log_paged_and_filtered(app, session, bank, alice):
    make_member(session, email="cora@example.org", name="Cora", bank=bank, role=Role.COORDINATOR)
    other_bank = TimeBankFactory(name="Valley")
    outsider = make_member(session, email="olly@example.org", name="Olly Outsider", bank=other_bank)
    for _ in range(55):
        record_security_event(session, kind=ev.SIGN_IN_FAILED, person_id=alice.person_id)
    record_security_event(session, kind=ev.SIGN_IN, person_id=outsider.person_id)
    # Someone who left the bank: their account's events are no longer this bank's.
    former = make_member(
        session,
        email="fred@example.org",
        name="Fred Former",
        bank=bank,
        status=MembershipStatus.LEFT,
    )
    record_security_event(session, kind=ev.SIGN_IN, person_id=former.person_id)
    record_security_event(
        session, kind=ev.ROLE_CHANGED, person_id=outsider.person_id, time_bank_id=other_bank.id
    )
    session.commit()

    client = app.test_client()
    sign_in(client, "cora@example.org")
    first = client.get(SECURITY_LOG)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    rows = table_rows(html)[1:]
    assert len(rows) == 50
    assert rows[0][1:3] == ["Cora", "Signed in"]
    assert "Olly Outsider" not in html
    assert "Fred Former" not in html
    older = client.get(SECURITY_LOG, query_string={"before": first_older(html)})
    older_rows = table_rows(older.get_data(as_text=True))[1:]
    assert len(older_rows) == 6  # 55 + Cora's sign-in = 56
    assert all(row[1] == "Alice Ashdown" for row in older_rows)

    filtered = client.get(SECURITY_LOG, query_string={"kind": ev.SIGN_IN})
    assert [row[1:3] for row in table_rows(filtered.get_data(as_text=True))[1:]] == [
        ["Cora", "Signed in"]
    ]
    assert client.get(SECURITY_LOG, query_string={"kind": "nonsense"}).status_code == 400
    huge = client.get(SECURITY_LOG, query_string={"before": "99999999999999999999"})
    assert huge.status_code == 200


def first_older(html: str) -> str:
    import re

    match = re.search(r'security-log\?before=(\d+)"', html)
    assert match, "no link to older events"
    return match.group(1)


def test_members_cannot_read_the_banks_log_but_see_their_own_activity(app, session, bank, alice):
    make_member(session, email="bob@example.org", name="Bob Brown", bank=bank)
    client = app.test_client()
    sign_in(client, "bob@example.org", "wrong password!")
    sign_in(client, "alice@example.org", "wrong password!")
    sign_in(client, "alice@example.org")
    assert client.get(SECURITY_LOG).status_code == 403
    page = client.get("/auth/security")
    assert page.status_code == 200
    rows = table_rows(page.get_data(as_text=True))[1:]
    # The refused look at the bank's log is her own activity too (ASVS 16.3.2).
    assert [row[1] for row in rows] == [
        "Page refused (not allowed)",
        "Signed in",
        "Sign-in failed (wrong password)",
    ]
    assert rows[1][2] == "From a browser not used before."


def test_the_security_pages_need_a_sign_in(client):
    for path in ("/auth/security", "/auth/password", SECURITY_LOG):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/sign-in")
