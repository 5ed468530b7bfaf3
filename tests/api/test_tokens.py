"""Personal access tokens: what gets in, what does not, and the page where a person
makes and revokes their own."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from tests.api.support import call, exchange, token_for
from tests.web.support import sign_in
from timebank.community.api_tokens import ApiToken, hash_secret
from timebank.ledger.clock import frozen_at, now, utcnow
from timebank.ledger.models import Transfer

ME = "/api/v1/me"


def assert_problem(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:timebank:problem:{code}"
    assert body["status"] == status
    assert body["detail"]
    return body


def test_without_a_valid_token_the_answer_is_401_problem_json(client, world):
    assert_problem(call(client, "GET", ME), 401, "unauthorized")
    assert_problem(call(client, "GET", ME, "tbk_not-a-real-token"), 401, "unauthorized")
    assert_problem(call(client, "GET", ME, "something else"), 401, "unauthorized")
    response = call(client, "GET", ME, world["tokens"]["alice"])
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "Alice"


def test_a_token_is_stored_hashed_and_never_in_clear(session, world):
    secret = world["tokens"]["alice"]
    stored = session.scalars(sa.select(ApiToken)).all()
    assert all(secret not in (t.token_hash + t.hint + t.name) for t in stored)
    assert any(t.token_hash == hash_secret(secret) for t in stored)


def test_revoking_and_expiry_take_effect_at_once(client, session, world):
    secret = world["tokens"]["alice"]
    assert call(client, "GET", ME, secret).status_code == 200
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    token.revoked_at = utcnow()
    session.commit()
    assert_problem(call(client, "GET", ME, secret), 401, "unauthorized")
    other = token_for(session, world["bob"])
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(other)))
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert_problem(call(client, "GET", ME, other), 401, "unauthorized")


def test_a_read_only_token_cannot_write(client, session, world):
    reader = token_for(session, world["alice"], scope="read")
    assert call(client, "GET", ME, reader).status_code == 200
    response = call(client, "POST", "/api/v1/transfers", reader, json=exchange(world))
    assert_problem(response, 403, "token_read_only")
    assert session.scalar(sa.select(sa.func.count(Transfer.id))) == 0


def test_a_signed_in_browser_cannot_call_the_api_and_no_cookie_is_set(client, world):
    assert sign_in(client, "alice@example.org").status_code == 302
    assert client.get("/members/").status_code == 200
    assert_problem(client.get(ME), 401, "unauthorized")
    response = call(client, "GET", ME, world["tokens"]["alice"])
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_every_use_is_rate_limited_per_token(app, client, world):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    alice, bob = world["tokens"]["alice"], world["tokens"]["bob"]
    for _ in range(3):
        assert call(client, "GET", ME, alice).status_code == 200
    body = assert_problem(call(client, "GET", ME, alice), 429, "rate_limited")
    assert body["title"]
    assert call(client, "GET", ME, alice).headers["Retry-After"] == "60"
    # Another token has its own count.
    assert call(client, "GET", ME, bob).status_code == 200


def test_a_person_creates_sees_once_and_revokes_a_token_on_their_own_page(client, session, world):
    sign_in(client, "paula@example.org")
    page = client.get("/auth/api-tokens")
    assert page.status_code == 200
    made = client.post(
        "/auth/api-tokens", data={"name": "Council dashboard", "scope": "read", "days": "30"}
    )
    assert made.status_code == 201
    secret = re.search(r'value="(tbk_[^"]+)"', made.get_data(as_text=True)).group(1)
    listing = client.get("/auth/api-tokens").get_data(as_text=True)
    assert "Council dashboard" in listing and secret not in listing
    me = call(client.application.test_client(), "GET", ME, secret).get_json()
    assert me["token_scope"] == "read"
    assert {b["role"] for b in me["banks"]} == {"partner"}
    token = session.scalar(sa.select(ApiToken).where(ApiToken.name == "Council dashboard"))
    client.post(f"/auth/api-tokens/{token.id}/revoke")
    assert "Revoked" in client.get("/auth/api-tokens").get_data(as_text=True)
    assert call(client.application.test_client(), "GET", ME, secret).status_code == 401


def test_making_a_token_asks_to_confirm_it_is_you_when_the_sign_in_is_old(client, session, world):
    sign_in(client, "alice@example.org")
    with frozen_at(now() + timedelta(minutes=11)):
        made = client.post(
            "/auth/api-tokens", data={"name": "Old sign-in", "scope": "read", "days": "30"}
        )
        assert made.status_code == 302
        assert made.headers["Location"] == "/auth/confirm?next=/auth/api-tokens"
        assert client.get("/auth/api-tokens").headers["Location"].startswith("/auth/confirm")
    assert session.scalar(sa.select(ApiToken).where(ApiToken.name == "Old sign-in")) is None


def test_the_token_page_refuses_bad_input_and_others_tokens(client, session, world):
    sign_in(client, "alice@example.org")
    assert (
        client.post(
            "/auth/api-tokens", data={"name": "", "scope": "read", "days": "30"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/auth/api-tokens", data={"name": "x", "scope": "admin", "days": "30"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/auth/api-tokens", data={"name": "x", "scope": "read", "days": "9999"}
        ).status_code
        == 422
    )
    bobs = session.scalar(sa.select(ApiToken).where(ApiToken.person_id == world["bob"].person_id))
    client.post(f"/auth/api-tokens/{bobs.id}/revoke")
    session.expire_all()
    assert session.get(ApiToken, bobs.id).revoked_at is None


def test_the_token_page_is_linked_from_the_profile_and_needs_sign_in(client, world):
    assert client.get("/auth/api-tokens").status_code == 302
    sign_in(client, "alice@example.org")
    assert "/auth/api-tokens" in client.get("/members/profile").get_data(as_text=True)
