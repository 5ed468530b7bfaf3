"""The logs never hold an email address, a name, a password, a token or a message's
text: values like these are sent through the sign-in, password-reset, profile, message
and exchange forms (and a failing request), and every log record is searched for them.
Each request leaves one JSON line with a request id."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.factories import TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in
from timebank.request_log import JsonFormatter, RequestIdFilter

SECRETS = {
    "email": "harriet.secret@example.org",
    "name": "Harriet Quibblesworth",
    "password": "correct horse battery staple 77",
    "wrong password": "not-my-password-xyzzy",
    "message": "my door code is 4471 and I am out on Tuesdays",
    "description": "collected prescriptions for Mrs Pettigrew",
    "profile": "Quibble Lane flat 9",
}


def _all_text(records) -> str:
    formatter = JsonFormatter()
    id_filter = RequestIdFilter()
    lines = []
    for record in records:
        id_filter.filter(record)
        lines.append(formatter.format(record))
        lines.append(record.getMessage())
    return "\n".join(lines)


@pytest.fixture
def people(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    harriet = make_member(
        session,
        email=SECRETS["email"],
        name=SECRETS["name"],
        bank=bank,
        password=SECRETS["password"],
    )
    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    return harriet, bob


def test_no_personal_value_sent_through_the_forms_reaches_the_logs(client, people, caplog):
    _harriet, bob = people
    with caplog.at_level(logging.DEBUG):
        sign_in(client, SECRETS["email"], SECRETS["wrong password"])
        client.post("/auth/forgot", data={"email": SECRETS["email"]})
        sign_in(client, SECRETS["email"], SECRETS["password"])
        client.post(
            "/members/messages/new",
            data={"recipient": bob.id, "subject": SECRETS["name"], "body": SECRETS["message"]},
        )
        client.post(
            "/members/log",
            data={
                "direction": "gave",
                "counterpart": str(bob.account.id),
                "hours": "1",
                "minutes": "0",
                "service_date": bank_today().isoformat(),
                "category": "",
                "description": SECRETS["description"],
                "idempotency_key": "log-test",
                "action": "record",
            },
        )
        client.post(
            "/members/profile",
            data={"offers_text": "x", "area": SECRETS["profile"], "contact_preference": "email"},
        )
        client.get(f"/members/people/{bob.id}?q={SECRETS['name']}")
        # A person box's search as you type, and a name typed without the script.
        client.post("/members/people/search", data={"q": SECRETS["name"], "among": "message"})
        client.post(
            "/members/messages/new",
            data={"recipient_name": SECRETS["name"], "subject": "Hi", "body": "Hello"},
        )
        client.get(f"/auth/reset/{'t' * 40}")
    text = _all_text(caplog.records)
    for what, value in SECRETS.items():
        assert value not in text, f"the {what} is in the logs"
    assert "harriet" not in text.lower() and "t" * 40 not in text

    lines = [r for r in caplog.records if r.name == "timebank.requests"]
    assert len(lines) >= 8
    for record in lines:
        entry = json.loads(JsonFormatter().format(record))
        assert set(entry) == {
            "time", "level", "logger", "message", "request_id",
            "method", "route", "endpoint", "status", "ms",
        }  # fmt: skip
    routes = {r.fields["route"] for r in lines}
    assert "/auth/reset/<token>" in routes and "/members/messages/new" in routes


def test_each_request_has_an_id_sent_back_and_a_proxys_plain_id_is_kept(client):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    kept = client.get("/healthz", headers={"X-Request-Id": "lb-1234-abcd"})
    assert kept.headers["X-Request-Id"] == "lb-1234-abcd"
    # Anything else offered as an id (here, an address) is replaced, never logged.
    offered = client.get("/healthz", headers={"X-Request-Id": SECRETS["email"]})
    assert offered.headers["X-Request-Id"] != SECRETS["email"]


def test_an_error_is_logged_by_kind_and_place_without_its_text():
    try:
        raise ValueError(f"duplicate key (email)=({SECRETS['email']})")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["error"] == "ValueError" and entry["where"]
    assert SECRETS["email"] not in json.dumps(entry)
