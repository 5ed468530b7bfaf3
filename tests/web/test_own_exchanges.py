"""A coordinator's own exchanges through the pages (issue 10 item 10, issue 11 finding
10): with two coordinators another one must approve them (in the queue, on the entry's
page and in bulk); with one, or when the bank allows it, they are approved and flagged
in the queue, on the entry's page and in the audit log. The setting is on the settings
page; the rule itself is the ledger's (tests/ledger/test_duties.py).
"""

from __future__ import annotations

import html

import pytest

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from tests.web.test_coordinators_queue import QUEUE, pending
from timebank.ledger.models import Role, Transfer, TransferStatus

REFUSED = "You are part of this exchange, so another coordinator must approve it."
FLAGGED = "You are part of this exchange. Your time bank lets you approve it yourself"


@pytest.fixture
def bank(session):
    return TimeBankFactory(name="Riverside Time Bank", floor_minutes=-600)


@pytest.fixture
def cora(session, bank):
    return make_member(
        session, email="cora@example.org", name="Cora Coordinator", bank=bank, role=Role.COORDINATOR
    )


@pytest.fixture
def alice(session, bank):
    return make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)


def page(client, url):
    return html.unescape(client.get(url).get_data(as_text=True))


def status_of(session, transfer_id):
    session.expire_all()
    return session.get(Transfer, transfer_id).status


def test_with_two_coordinators_another_must_approve(client, session, bank, cora, alice):
    make_member(session, email="sam@example.org", name="Sam", bank=bank, role=Role.COORDINATOR)
    own = pending(session, cora, alice)
    sign_in(client, "cora@example.org")

    assert "Yours: another coordinator approves it" in page(client, QUEUE)
    detail = page(client, f"{QUEUE}/{own}")
    assert REFUSED in detail
    assert f'action="{QUEUE}/{own}/approve"' not in detail

    # Posting the form anyway is refused by the ledger, and nothing changes.
    response = client.post(f"{QUEUE}/{own}/approve", follow_redirects=True)
    assert REFUSED in html.unescape(response.get_data(as_text=True))
    assert status_of(session, own) == TransferStatus.PENDING

    # So is bulk approval.
    review = page(client, f"{QUEUE}?stage=approval")
    assert "another coordinator approves it" in review
    result = client.post(f"{QUEUE}/bulk", data={"selected": [str(own)], "confirm": "yes"})
    assert REFUSED in html.unescape(result.get_data(as_text=True))
    assert status_of(session, own) == TransferStatus.PENDING

    # Sam approves it.
    client.post("/auth/sign-out")
    sign_in(client, "sam@example.org")
    assert REFUSED not in page(client, f"{QUEUE}/{own}")
    client.post(f"{QUEUE}/{own}/approve")
    assert status_of(session, own) == TransferStatus.POSTED


def test_a_lone_coordinator_approves_and_it_is_flagged(client, session, bank, cora, alice):
    own = pending(session, cora, alice)
    sign_in(client, "cora@example.org")
    assert "Your own exchange" in page(client, QUEUE)
    assert FLAGGED in page(client, f"{QUEUE}/{own}")
    client.post(f"{QUEUE}/{own}/approve")
    assert status_of(session, own) == TransferStatus.POSTED
    assert "an exchange they are part of" in page(client, "/coordinators/audit")


def test_the_setting_on_the_settings_page(client, session, bank, cora, alice):
    make_member(session, email="sam@example.org", name="Sam", bank=bank, role=Role.COORDINATOR)
    sign_in(client, "cora@example.org")
    form = page(client, "/coordinators/settings")
    assert "A coordinator's own exchanges need another coordinator" in form
    assert settings_data(client)["own_exchanges_rule"] == ""

    data = settings_data(client)
    data["own_exchanges_rule"] = "no"
    assert client.post("/coordinators/settings", data=data).status_code == 302
    session.expire_all()
    assert bank.own_exchanges_need_another_coordinator is False
    assert settings_data(client)["own_exchanges_rule"] == "no"

    # Now Cora may approve her own exchange, flagged.
    own = pending(session, cora, alice)
    assert FLAGGED in page(client, f"{QUEUE}/{own}")
    client.post(f"{QUEUE}/{own}/approve")
    assert status_of(session, own) == TransferStatus.POSTED
    audit = page(client, "/coordinators/audit")
    assert "an exchange they are part of" in audit
    assert (
        "Changed the time bank's settings: a coordinator's own exchanges need another"
        " coordinator" in audit
    )


def test_a_made_up_choice_is_refused(client, session, bank, cora):
    sign_in(client, "cora@example.org")
    data = settings_data(client)
    data["own_exchanges_rule"] = "sometimes"
    response = client.post("/coordinators/settings", data=data)
    assert response.status_code == 400
    session.expire_all()
    assert bank.own_exchanges_need_another_coordinator is None


def settings_data(client) -> dict[str, str]:
    """The settings form as the page fills it in."""
    import re

    text = client.get("/coordinators/settings").get_data(as_text=True)
    form = text[text.index('action="/coordinators/settings"') :]
    form = form[: form.index("</form>")]
    data: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        data[name] = html.unescape(value)
    for name in re.findall(r'<input[^>]*type="checkbox"[^>]*name="([^"]+)"[^>]*checked', form):
        data[name] = "y"
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"', body) or re.search(
            r'<option[^>]*value="([^"]*)"[^>]*selected', body
        )
        data[name] = chosen.group(1) if chosen else ""
    return data
