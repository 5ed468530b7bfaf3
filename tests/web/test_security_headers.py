"""Headers (issue 11, finding 11): Permissions-Policy everywhere, HSTS over HTTPS, and
no-store on everything a signed-in person is sent, the statement CSV included."""

from __future__ import annotations

from tests.web.test_auth import make_member, sign_in


def test_every_page_says_which_browser_features_it_never_uses(client):
    response = client.get("/auth/sign-in")
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_over_https_the_browser_is_told_to_stay_on_https(client):
    response = client.get("/auth/sign-in", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_signed_in_pages_and_the_statement_are_not_cached(client, session):
    make_member(session, email="alice@example.org")
    sign_in(client, "alice@example.org")
    for url in ("/members/", "/members/statement", "/members/statement.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    # Static files keep their own caching.
    assert client.get("/static/css/site.css").headers.get("Cache-Control") != "no-store"


def test_a_signed_out_page_may_be_cached(client):
    assert client.get("/auth/sign-in").headers.get("Cache-Control") != "no-store"
