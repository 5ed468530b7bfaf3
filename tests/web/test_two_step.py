"""Two-step sign-in through the real app: setting it up, signing in with a code or a
recovery code, what is refused (a wrong code, a used code, too many tries, a stale
wait), the requirement for coordinators and partners, turning it off, new recovery
codes, a coordinator's reset, and "confirm it's you" before changes that need care.

Requests post the password and the code themselves here (not ``sign_in``, which
satisfies two-step sign-in for other tests).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
import zxingcpp

from tests.factories import MembershipFactory, TimeBankFactory
from tests.two_step_support import box_of, code_for, set_up_two_step
from tests.web.test_auth import PASSWORD, location_path, make_member
from tests.web.test_coordinators_settings import current_form
from timebank.auth.limits import reset_limits
from timebank.auth.reset import make_reset_token
from timebank.auth.security import ISSUER
from timebank.community import totp, two_step
from timebank.community.security_events import SecurityEvent
from timebank.ledger import clock
from timebank.ledger.models import AuditEntry, Person, Role

SIGN_IN = "/auth/sign-in"
CODE = "/auth/sign-in/code"
SET_UP = "/auth/security/two-step"
SECURITY = "/auth/security"
CONFIRM = "/auth/confirm"


def post_password(client, email, password=PASSWORD):
    return client.post(SIGN_IN, data={"email": email, "password": password})


def person(session, email) -> Person:
    return session.scalar(sa.select(Person).where(Person.email == email))


def turn_on_through_the_page(client, session, email) -> tuple[str, list[str]]:
    """Set up two-step sign-in as a person does (signed in): read the key off the page,
    type the code it makes. Returns the secret and the recovery codes shown."""
    page = client.get(SET_UP)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    code = totp.code_at(secret, totp.step_at(clock.now()))
    done = client.post(SET_UP, data={"code": code})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))
    return secret, codes


@pytest.fixture
def bank(session):
    return TimeBankFactory()


@pytest.fixture
def alice(session, bank):
    return make_member(session, email="alice@example.org", bank=bank)


@pytest.fixture
def alice_with_two_step(client, session, alice):
    assert post_password(client, "alice@example.org").status_code == 302
    secret, codes = turn_on_through_the_page(client, session, "alice@example.org")
    client.post("/auth/sign-out")
    return secret, codes


# Setting it up -------------------------------------------------------------------------


def test_a_member_is_offered_it_and_sets_it_up_with_a_qr_code(client, session, alice):
    post_password(client, "alice@example.org")
    assert "/auth/security" in client.get("/members/profile").get_data(as_text=True)
    assert "Two-step sign-in is off." in client.get(SECURITY).get_data(as_text=True)
    page = client.get(SET_UP)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    # The QR code is drawn on the server, inline: no picture from anywhere else.
    assert '<svg aria-hidden="true"' in html and "<path" in html
    assert "<img" not in html.split("<main", 1)[-1]
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    # Reloading shows the same key (a half-scanned code still works).
    assert secret.replace(" ", "") in client.get(SET_UP).get_data(as_text=True).replace(" ", "")
    record = session.get(two_step.TwoStep, alice.person_id)
    assert record.enabled_at is None
    assert secret not in record.secret_encrypted
    assert box_of(client.application).decrypt(record.secret_encrypted) == secret


def _decoded(svg: str) -> list[str]:
    """What a QR scanner (zxing-cpp) reads in the page's inline SVG: segno draws each
    row's dark runs as ``h`` strokes on a half-module line; they are painted back into
    a picture, four pixels a module."""
    size = int(re.search(r'<path fill="#fff" d="M0 0h(\d+)v', svg).group(1))
    path = re.search(r'class="qrline" stroke="#000" d="([^"]+)"', svg).group(1)
    modules = np.full((size, size), 255, dtype=np.uint8)
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            modules[int(y), int(x) : int(x + float(a))] = 0
            x += float(a)
    picture = np.kron(modules, np.ones((4, 4), dtype=np.uint8))
    return [found.text for found in zxingcpp.read_barcodes(picture)]


def test_the_qr_code_scans_to_the_key_shown(client, session, alice):
    # The code is drawn with one fixed mask (the standard allows any of the eight):
    # a scanner still reads the authenticator address with the key written below it.
    post_password(client, "alice@example.org")
    html = client.get(SET_UP).get_data(as_text=True)
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    svg = re.search(r'<div class="qr">(.*?)</div>', html, re.S).group(1)
    assert _decoded(svg) == [
        totp.provisioning_uri(secret, account="alice@example.org", issuer=ISSUER)
    ]


def _grouped_key(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def test_it_is_on_only_once_a_right_code_is_typed(client, session, alice):
    post_password(client, "alice@example.org")
    html = client.get(SET_UP).get_data(as_text=True)
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    step = totp.step_at(clock.now())
    wrong = client.post(SET_UP, data={"code": totp.code_at(secret, step + 5)})
    assert wrong.status_code == 400
    assert "That code does not match" in wrong.get_data(as_text=True)
    assert _grouped_key(secret) in wrong.get_data(as_text=True)  # still the same key
    assert not two_step.is_on(session, person(session, "alice@example.org"))
    done = client.post(SET_UP, data={"code": totp.code_at(secret, step)})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "Two-step sign-in is on." in text
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", text)
    assert len(codes) == 10
    assert two_step.is_on(session, person(session, "alice@example.org"))
    stored = session.scalars(
        sa.select(two_step.RecoveryCode.code_hash).where(
            two_step.RecoveryCode.person_id == alice.person_id
        )
    ).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    # Shown once: the security page gives only how many are left.
    security = client.get(SECURITY).get_data(as_text=True)
    assert "10 recovery codes left" in security and codes[0] not in security


# Signing in ------------------------------------------------------------------------------


def test_the_password_alone_signs_nobody_in(client, alice_with_two_step):
    response = post_password(client, "alice@example.org")
    assert location_path(response) == CODE
    assert location_path(client.get("/members/")) == SIGN_IN
    assert client.get(CODE).status_code == 200


def test_the_code_from_the_app_signs_in_and_goes_on_to_next(client, alice_with_two_step):
    secret, _codes = alice_with_two_step
    client.post(
        SIGN_IN + "?next=/members/profile",
        data={"email": "alice@example.org", "password": PASSWORD},
    )
    code = totp.code_at(secret, totp.step_at(clock.now()) + 1)
    response = client.post(CODE, data={"code": code})
    assert location_path(response) == "/members/profile"
    assert client.get("/members/").status_code == 200


def test_a_wrong_code_is_refused_and_nobody_is_signed_in(client, alice_with_two_step):
    secret, _codes = alice_with_two_step
    post_password(client, "alice@example.org")
    wrong = totp.code_at(secret, totp.step_at(clock.now()) + 3)
    response = client.post(CODE, data={"code": wrong})
    assert response.status_code == 400
    assert "That code does not match" in response.get_data(as_text=True)
    assert location_path(client.get("/members/")) == SIGN_IN


def test_a_code_cannot_be_used_twice(app, client, alice_with_two_step):
    secret, _codes = alice_with_two_step
    code = totp.code_at(secret, totp.step_at(clock.now()) + 1)
    post_password(client, "alice@example.org")
    assert client.post(CODE, data={"code": code}).status_code == 302
    client.post("/auth/sign-out")
    # Someone who saw it over her shoulder, within the same 30 seconds.
    other = app.test_client()
    post_password(other, "alice@example.org")
    replay = other.post(CODE, data={"code": code})
    assert replay.status_code == 400
    assert location_path(other.get("/members/")) == SIGN_IN


def test_a_recovery_code_signs_in_once(app, client, session, alice_with_two_step):
    _secret, codes = alice_with_two_step
    post_password(client, "alice@example.org")
    used = client.post(CODE, data={"code": codes[3].upper()})
    assert used.status_code == 302
    assert "You have 9 left" in client.get("/members/").get_data(as_text=True)
    client.post("/auth/sign-out")
    again = app.test_client()
    post_password(again, "alice@example.org")
    assert again.post(CODE, data={"code": codes[3]}).status_code == 400
    assert again.post(CODE, data={"code": codes[4]}).status_code == 302


def test_the_code_step_is_rate_limited_per_person(app, client, alice_with_two_step):
    reset_limits(app)
    secret, _codes = alice_with_two_step
    post_password(client, "alice@example.org")
    wrong = totp.code_at(secret, totp.step_at(clock.now()) + 4)
    # As many tries as signing in allows (5 a minute), then no more, even the right code.
    for _ in range(5):
        assert client.post(CODE, data={"code": wrong}).status_code == 400
    refused = client.post(CODE, data={"code": totp.code_at(secret, totp.step_at(clock.now()))})
    assert refused.status_code == 429
    assert location_path(client.get("/members/")) == SIGN_IN


def test_the_wait_for_the_code_runs_out(client, alice_with_two_step):
    secret, _codes = alice_with_two_step
    post_password(client, "alice@example.org")
    later = clock.now() + timedelta(minutes=6)
    with clock.frozen_at(later):
        code = totp.code_at(secret, totp.step_at(later))
        response = client.post(CODE, data={"code": code})
    assert location_path(response) == SIGN_IN
    assert location_path(client.get("/members/")) == SIGN_IN


def test_a_password_reset_link_still_asks_for_the_code(app, client, session, alice_with_two_step):
    with app.test_request_context():
        token = make_reset_token(person(session, "alice@example.org"))
    response = client.post(
        f"/auth/reset/{token}",
        data={"password": "a brand new password", "password_again": "a brand new password"},
    )
    assert location_path(response) == CODE
    assert location_path(client.get("/members/")) == SIGN_IN


# Required for coordinators and partners ---------------------------------------------------


def test_a_coordinator_must_set_it_up_before_anything_else(client, session, bank):
    make_member(session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
    response = post_password(client, "cora@example.org")
    assert location_path(response) == "/coordinators/"
    for path in ("/coordinators/", "/coordinators/members", "/members/", SECURITY):
        gated = client.get(path)
        assert gated.status_code == 302 and location_path(gated) == SET_UP, path
    assert "next=/coordinators/members" in client.get("/coordinators/members").headers["Location"]
    # Nothing is written through the gate either.
    assert location_path(client.post("/coordinators/settings", data={})) == SET_UP
    html = client.get(SET_UP).get_data(as_text=True)
    assert "Your role in the time bank needs two-step sign-in" in html
    turn_on_through_the_page(client, session, "cora@example.org")
    assert client.get("/coordinators/").status_code == 200


def test_a_partner_must_set_it_up_too(client, session, bank):
    make_member(session, email="pat@example.org", bank=bank, role=Role.PARTNER)
    post_password(client, "pat@example.org")
    assert location_path(client.get("/partners/")) == SET_UP


def test_a_bank_can_leave_it_to_each_coordinator(client, session):
    relaxed = TimeBankFactory(two_step_required_for_staff=False)
    make_member(session, email="cora@example.org", bank=relaxed, role=Role.COORDINATOR)
    post_password(client, "cora@example.org")
    assert client.get("/coordinators/").status_code == 200


def test_members_of_a_requiring_bank_are_not_made_to(client, alice):
    post_password(client, "alice@example.org")
    assert client.get("/members/").status_code == 200


def test_the_setting_is_changed_on_the_settings_page_and_audited(client, session, bank):
    make_member(session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
    signed_in_with_two_step(client, "cora@example.org")
    page = client.get("/coordinators/settings").get_data(as_text=True)
    assert 'name="two_step_rule"' in page
    data = current_form(two_step_rule="no")
    response = client.post("/coordinators/settings", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    session.refresh(bank)
    assert bank.two_step_required_for_staff is False
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank.id, AuditEntry.action == "time_bank.policy_changed")
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert json.loads(entry.before)["two_step_required_for_staff"] is True
    assert json.loads(entry.after)["two_step_required_for_staff"] is False


# Turning it off, new codes, a coordinator's reset ------------------------------------------


def signed_in_with_two_step(client, email):
    set_up_two_step(client.application, email)
    post_password(client, email)
    return client.post(CODE, data={"code": code_for(client.application, email)})


def test_new_recovery_codes_replace_the_old(app, client, session, alice_with_two_step):
    _secret, old_codes = alice_with_two_step
    signed_in_with_two_step(client, "alice@example.org")
    response = client.post("/auth/security/two-step/recovery-codes")
    new_codes = re.findall(
        r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.get_data(as_text=True)
    )
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    client.post("/auth/sign-out")
    other = app.test_client()
    post_password(other, "alice@example.org")
    assert other.post(CODE, data={"code": old_codes[0]}).status_code == 400
    assert other.post(CODE, data={"code": new_codes[0]}).status_code == 302


def test_turning_it_off_asks_again_when_the_sign_in_is_old(client, session, alice_with_two_step):
    signed_in_with_two_step(client, "alice@example.org")
    later = clock.now() + timedelta(minutes=11)
    with clock.frozen_at(later):
        response = client.post("/auth/security/two-step/off")
        assert location_path(response) == CONFIRM
        assert "next=/auth/security" in response.headers["Location"]
        assert two_step.is_on(session, person(session, "alice@example.org"))
        # The password alone is not enough when two-step sign-in is on.
        page = client.post(CONFIRM + "?next=/auth/security", data={"password": PASSWORD})
        assert page.status_code == 400
        confirmed = client.post(
            CONFIRM + "?next=/auth/security",
            data={"password": PASSWORD, "code": code_for(client.application, "alice@example.org")},
        )
        assert location_path(confirmed) == SECURITY
        assert location_path(client.post("/auth/security/two-step/off")) == SECURITY
    assert not two_step.is_on(session, person(session, "alice@example.org"))
    # Signing in is the password alone again.
    client.post("/auth/sign-out")
    assert location_path(post_password(client, "alice@example.org")) == "/members/"


def test_turning_it_on_ends_her_other_sessions(app, client, session, alice):
    elsewhere = app.test_client()
    post_password(elsewhere, "alice@example.org")
    post_password(client, "alice@example.org")
    turn_on_through_the_page(client, session, "alice@example.org")
    assert client.get("/members/").status_code == 200
    assert location_path(elsewhere.get("/members/")) == SIGN_IN


def test_a_coordinator_resets_a_members_two_step_and_it_is_audited(
    app, client, session, bank, alice_with_two_step
):
    make_member(session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
    alices_phone = app.test_client()
    signed_in_with_two_step(alices_phone, "alice@example.org")
    signed_in_with_two_step(client, "cora@example.org")
    alice = session.scalar(sa.select(Person).where(Person.email == "alice@example.org"))
    membership = alice.memberships[0]
    detail = client.get(f"/coordinators/members/{membership.id}").get_data(as_text=True)
    assert "Reset two-step sign-in for" in detail
    response = client.post(f"/coordinators/members/{membership.id}/two-step/reset")
    assert location_path(response) == f"/coordinators/members/{membership.id}"
    assert not two_step.is_on(session, person(session, "alice@example.org"))
    assert location_path(alices_phone.get("/members/")) == SIGN_IN
    entry = session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank.id)
        .order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.action == "membership.two_step_reset" and entry.entity_id == membership.id
    audit_page = client.get("/coordinators/audit").get_data(as_text=True)
    assert "Two-step sign-in reset:" in audit_page


def test_a_coordinator_of_another_bank_cannot_reset_it(client, session, alice_with_two_step):
    other_bank = TimeBankFactory()
    make_member(session, email="olga@example.org", bank=other_bank, role=Role.COORDINATOR)
    signed_in_with_two_step(client, "olga@example.org")
    alice = person(session, "alice@example.org")
    response = client.post(f"/coordinators/members/{alice.memberships[0].id}/two-step/reset")
    assert response.status_code == 404
    assert two_step.is_on(session, person(session, "alice@example.org"))


# Confirm it's you ----------------------------------------------------------------------------


@pytest.fixture
def cora(client, session, bank):
    membership = make_member(session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
    signed_in_with_two_step(client, "cora@example.org")
    return membership


def test_fresh_from_signing_in_nobody_is_asked_again(client, cora):
    assert client.get("/coordinators/settings").status_code == 200


def test_settings_ask_again_after_ten_minutes_and_come_back(client, cora):
    with clock.frozen_at(clock.now() + timedelta(minutes=11)):
        response = client.get("/coordinators/settings")
        assert location_path(response) == CONFIRM
        assert response.headers["Location"].endswith("next=/coordinators/settings")
        page = client.get(response.headers["Location"])
        assert "<h1>Confirm it" in page.get_data(as_text=True)
        wrong = client.post(
            CONFIRM + "?next=/coordinators/settings",
            data={
                "password": "not the password",
                "code": code_for(client.application, "cora@example.org"),
            },
        )
        assert wrong.status_code == 400
        assert "That password is not right." in wrong.get_data(as_text=True)
        back = client.post(
            CONFIRM + "?next=/coordinators/settings",
            data={"password": PASSWORD, "code": code_for(client.application, "cora@example.org")},
        )
        assert location_path(back) == "/coordinators/settings"
        assert client.get("/coordinators/settings").status_code == 200


def test_a_role_change_after_ten_minutes_changes_nothing_until_confirmed(
    client, session, bank, cora
):
    bob = make_member(session, email="bob@example.org", bank=bank)
    with clock.frozen_at(clock.now() + timedelta(minutes=11)):
        response = client.post(
            f"/coordinators/members/{bob.id}/role", data={"role-role": "coordinator"}
        )
    assert location_path(response) == CONFIRM
    assert f"next=/coordinators/members/{bob.id}" in response.headers["Location"]
    session.refresh(bob)
    assert bob.role == Role.MEMBER


def test_the_confirm_page_never_sends_anyone_off_the_site(client, cora):
    response = client.post(
        CONFIRM + "?next=//evil.example/",
        data={"password": PASSWORD, "code": code_for(client.application, "cora@example.org")},
    )
    assert location_path(response) == "/coordinators/"


def test_the_confirm_page_is_rate_limited(app, client, cora):
    reset_limits(app)
    for _ in range(5):
        client.post(CONFIRM, data={"password": "wrong", "code": "000000"})
    assert client.post(CONFIRM, data={"password": PASSWORD, "code": "000000"}).status_code == 429


def test_members_without_two_step_confirm_with_the_password(client, alice):
    post_password(client, "alice@example.org")
    with clock.frozen_at(clock.now() + timedelta(minutes=11)):
        assert location_path(client.get(SET_UP)) == CONFIRM
        page = client.get(CONFIRM).get_data(as_text=True)
        assert 'name="code"' not in page
        back = client.post(CONFIRM + "?next=" + SET_UP, data={"password": PASSWORD})
        assert location_path(back) == SET_UP
        assert client.get(SET_UP).status_code == 200


def test_membership_factory_banks_require_it(session):
    membership = MembershipFactory(role=Role.COORDINATOR)
    session.commit()
    assert two_step.is_required(membership.person)


def test_the_command_line_resets_a_coordinators_two_step(app, runner, session, bank):
    make_member(session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
    set_up_two_step(app, "cora@example.org")
    result = runner.invoke(args=["timebank", "reset-two-step", "--email", "cora@example.org"])
    assert result.exit_code == 0, result.output
    assert not two_step.is_on(session, person(session, "cora@example.org"))
    unknown = runner.invoke(args=["timebank", "reset-two-step", "--email", "nobody@example.org"])
    assert unknown.exit_code != 0


def test_changing_the_password_asks_again_after_ten_minutes_and_logs_the_confirmation(
    client, session, alice
):
    post_password(client, "alice@example.org")
    with clock.frozen_at(clock.now() + timedelta(minutes=11)):
        change = {
            "current_password": PASSWORD,
            "password": "a quite new and long passphrase",
            "password_again": "a quite new and long passphrase",
        }
        refused = client.post("/auth/password", data=change)
        assert location_path(refused) == CONFIRM
        session.expire_all()
        assert person(session, "alice@example.org").password_hash == alice.person.password_hash
        assert client.post(CONFIRM, data={"password": "not it"}).status_code == 400
        back = client.post(CONFIRM + "?next=/auth/password", data={"password": PASSWORD})
        assert location_path(back) == "/auth/password"
    kinds = session.scalars(
        sa.select(SecurityEvent.kind)
        .where(SecurityEvent.person_id == alice.person_id)
        .order_by(SecurityEvent.id)
    ).all()
    assert kinds[-2:] == ["reauthentication_failed", "reauthenticated"]


def test_reloading_the_set_up_page_writes_nothing(client, session, alice):
    # The key already waiting is read without a writing transaction.
    post_password(client, "alice@example.org")
    first = client.get(SET_UP).get_data(as_text=True)
    statements: list[str] = []

    reads_of_the_key: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 1)[0].upper())
        if "FROM two_step" in statement:
            reads_of_the_key.append(statement)

    def committed(conn):
        statements.append("COMMIT")

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", seen)
    sa.event.listen(engine, "commit", committed)
    try:
        again = client.get(SET_UP).get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
        sa.event.remove(engine, "commit", committed)
    key = re.compile(r'id="setup-key">([A-Z2-7 ]+)<')
    assert key.search(again).group(1) == key.search(first).group(1)
    assert statements and not {"INSERT", "UPDATE", "DELETE", "COMMIT"} & set(statements)
    # Whether it is on, and the key waiting: one read.
    assert len(reads_of_the_key) == 1


def test_a_waiting_key_that_cannot_be_read_is_replaced(client, session, alice):
    post_password(client, "alice@example.org")
    client.get(SET_UP)
    record = session.get(two_step.TwoStep, alice.person_id)
    record.secret_encrypted = "not a secret this server can read"
    session.commit()
    html = client.get(SET_UP).get_data(as_text=True)
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    session.expire_all()
    record = session.get(two_step.TwoStep, alice.person_id)
    assert box_of(client.application).decrypt(record.secret_encrypted) == secret
