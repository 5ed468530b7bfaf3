"""Links in emails come from the configured origin, and unknown hosts are refused.

Issue 11, finding 1: a forgot-password POST with ``Host: evil.example`` used to email a
working reset link to evil.example. Now every absolute link is built from
EXTERNAL_ORIGIN, and a request for a host the app does not serve is answered 400.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.test_auth import app_with, make_member
from timebank.extensions import db
from timebank.links import OriginError, external_url

ORIGIN = "https://timebank.example.org"


def mails(folder: Path) -> list[str]:
    return [f.read_text() for f in sorted(folder.glob("*.eml"))]


@pytest.fixture
def site(database_url, tmp_path):
    """The app as an operator runs it: an origin is configured, nothing else."""
    app = app_with(
        database_url,
        EXTERNAL_ORIGIN=ORIGIN,
        WTF_CSRF_ENABLED=False,
        MAIL_OUTBOX=str(tmp_path / "outbox"),
    )
    with app.app_context():
        make_member(db.session, email="alice@example.org")
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_forged_host_header_gets_no_reset_link(site, tmp_path):
    client = site.test_client()
    response = client.post(
        "/auth/forgot",
        data={"email": "alice@example.org"},
        base_url="http://evil.example",
    )
    assert response.status_code == 400
    assert mails(tmp_path / "outbox") == []


def test_the_reset_link_starts_with_the_configured_origin(site, tmp_path):
    client = site.test_client()
    response = client.post("/auth/forgot", data={"email": "alice@example.org"}, base_url=ORIGIN)
    assert response.status_code == 303
    [mail] = mails(tmp_path / "outbox")
    assert re.search(r"https://timebank\.example\.org/auth/reset/\S+", mail)
    assert "evil" not in mail


def test_a_second_trusted_name_still_links_to_the_origin(database_url, tmp_path):
    # An operator may answer on two names; the links still use the one configured.
    app = app_with(
        database_url,
        EXTERNAL_ORIGIN=ORIGIN,
        TRUSTED_HOSTS="timebank.example.org, old-name.example.org",
        WTF_CSRF_ENABLED=False,
        MAIL_OUTBOX=str(tmp_path / "outbox"),
    )
    with app.app_context():
        make_member(db.session, email="alice@example.org")
        client = app.test_client()
        response = client.post(
            "/auth/forgot",
            data={"email": "alice@example.org"},
            base_url="https://old-name.example.org",
        )
        assert response.status_code == 303
        [mail] = mails(tmp_path / "outbox")
        assert "https://timebank.example.org/auth/reset/" in mail
        assert "old-name" not in mail
        db.session.remove()
        db.engine.dispose()


def test_the_development_default_answers_loopback_names_only(database_url):
    app = app_with(database_url)
    assert app.config["EXTERNAL_ORIGIN"] == "http://127.0.0.1:5000"
    client = app.test_client()
    assert client.get("/auth/sign-in", base_url="http://127.0.0.1:5000").status_code == 200
    assert client.get("/auth/sign-in", base_url="http://localhost").status_code == 200
    assert client.get("/auth/sign-in", base_url="http://evil.example").status_code == 400


def test_links_outside_a_request_use_the_origin(site):
    # A background import sends invitations with no request around it.
    assert external_url("auth.join", token="abc") == f"{ORIGIN}/auth/join/abc"


def test_an_origin_under_a_path_keeps_its_prefix(database_url):
    app = app_with(database_url, EXTERNAL_ORIGIN="https://example.org/timebank/")
    with app.app_context():
        assert external_url("auth.forgot") == "https://example.org/timebank/auth/forgot"


@pytest.mark.parametrize("origin", ["timebank.example.org", "ftp://example.org", "https://"])
def test_a_malformed_origin_stops_the_app_starting(database_url, origin):
    with pytest.raises(OriginError):
        app_with(database_url, EXTERNAL_ORIGIN=origin)


def test_forwarded_host_is_never_believed(database_url, tmp_path):
    app = app_with(
        database_url,
        EXTERNAL_ORIGIN=ORIGIN,
        PROXY_COUNT=1,
        WTF_CSRF_ENABLED=False,
        MAIL_OUTBOX=str(tmp_path / "outbox"),
    )
    with app.app_context():
        make_member(db.session, email="alice@example.org")
        client = app.test_client()
        client.post(
            "/auth/forgot",
            data={"email": "alice@example.org"},
            base_url=ORIGIN,
            headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        )
        [mail] = mails(tmp_path / "outbox")
        assert "evil" not in mail
        db.session.remove()
        db.engine.dispose()


def test_a_load_balancers_probe_is_answered_whatever_host_it_names(site):
    # A probe names the app server by its own address, which is not a site's host.
    client = site.test_client()
    for path in ("/healthz", "/readyz"):
        response = client.get(path, base_url="http://10.0.0.5:8000")
        assert response.status_code == 200, path
        assert response.get_json()["status"] == "ok"
        assert client.head(path, base_url="http://10.0.0.5:8000").status_code == 200
    # Nothing else is: not another page, not another method on a probe's path.
    assert client.get("/auth/sign-in", base_url="http://10.0.0.5:8000").status_code == 400
    assert client.get("/healthz/", base_url="http://10.0.0.5:8000").status_code == 400
    assert client.post("/healthz", base_url="http://10.0.0.5:8000").status_code == 400


def test_a_probe_is_answered_when_the_trusted_hosts_are_a_whole_domain(database_url, tmp_path):
    app = app_with(
        database_url,
        EXTERNAL_ORIGIN=ORIGIN,
        TRUSTED_HOSTS=".example.org",
        MAIL_OUTBOX=str(tmp_path / "outbox"),
    )
    with app.app_context():
        client = app.test_client()
        assert client.get("/healthz", base_url="http://10.0.0.5:8000").status_code == 200
        assert client.get("/auth/sign-in", base_url="http://10.0.0.5:8000").status_code == 400
        assert (
            client.get("/auth/sign-in", base_url="https://timebank.example.org").status_code == 200
        )
        db.session.remove()
        db.engine.dispose()
