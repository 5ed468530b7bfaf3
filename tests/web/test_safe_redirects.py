"""Every ``next`` goes through one check (issue 11, finding 6).

``/language`` had its own, weaker filter: ``next=/\\t/evil.example/`` redirected to
what a browser reads as ``//evil.example/``, and a newline gave a 500.
"""

from __future__ import annotations

import pytest

from tests.web.test_auth import as_browser_resolves, make_member, sign_in
from timebank.safe_redirect import is_local_path

HOSTILE = [
    "//evil.example",
    "https://evil.example/",
    "/\\evil.example",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example",
    "/ok\r\nSet-Cookie: x=1",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    " //evil.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_never_leaves_the_site(client, target):
    response = client.post("/language", data={"language": "cy", "next": target})
    assert response.status_code == 302
    resolved = as_browser_resolves(response.headers["Location"])
    assert (resolved.scheme, resolved.netloc) == ("http", "localhost")


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_never_leaves_the_site(client, session, target):
    make_member(session, email="alice@example.org")
    response = sign_in(client, "alice@example.org", query_string={"next": target})
    assert response.status_code == 302
    resolved = as_browser_resolves(response.headers["Location"])
    assert (resolved.scheme, resolved.netloc) == ("http", "localhost")


def test_a_local_page_is_followed(client):
    response = client.post("/language", data={"language": "cy", "next": "/auth/apply?x=1"})
    assert response.headers["Location"] == "/auth/apply?x=1"


@pytest.mark.parametrize("target", [*HOSTILE, "", None, "relative/path", "/" + "a" * 2001])
def test_the_check_refuses(target):
    assert not is_local_path(target)
