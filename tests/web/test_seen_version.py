"""The confirm, dispute, approve, reject and bulk-approve forms carry the version of the
entry they show; a correction in between makes the click change nothing and say why."""

from __future__ import annotations

import re

import pytest

from tests.web import test_coordinators_queue as queue_tests
from tests.web.test_auth import sign_in
from tests.web.test_coordinators_queue import QUEUE, pending, reload, text
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.models import TransferStatus

world = queue_tests.world  # the same people and bank as the queue's tests

CHANGED = "This entry was changed after you opened it, so nothing was done."


def seen_in(page: str, name: str = "seen") -> str:
    [version] = re.findall(rf'name="{re.escape(name)}" value="([0-9a-f]+)"', page)[:1]
    return version


def corrected_meanwhile(session, world, transfer_id, minutes=90):
    correct_pending_transfer(
        session,
        actor=world["second"],
        transfer_id=transfer_id,
        minutes=minutes,
        reason="Bob says it was longer",
    )
    session.commit()


def test_approving_what_was_shown_before_a_correction_is_refused(client, session, world):
    tid = pending(session, world["alice"], world["bob"], 60)
    sign_in(client, "cora@example.org")
    page = client.get(f"{QUEUE}/{tid}").get_data(as_text=True)
    seen = seen_in(page)
    assert page.count(f'name="seen" value="{seen}"') == 2  # approve and reject
    corrected_meanwhile(session, world, tid)

    response = client.post(f"{QUEUE}/{tid}/approve", data={"seen": seen}, follow_redirects=True)
    assert CHANGED in text(response)
    assert reload(session, tid).approved_at is None

    fresh = seen_in(client.get(f"{QUEUE}/{tid}").get_data(as_text=True))
    assert fresh != seen
    client.post(f"{QUEUE}/{tid}/approve", data={"seen": fresh})
    # Approved; the new time now waits for Bob's confirmation again.
    assert reload(session, tid).approved_at is not None


def test_rejecting_what_was_shown_before_a_correction_is_refused(client, session, world):
    tid = pending(session, world["alice"], world["bob"], 60)
    sign_in(client, "cora@example.org")
    seen = seen_in(client.get(f"{QUEUE}/{tid}").get_data(as_text=True))
    corrected_meanwhile(session, world, tid)
    response = client.post(
        f"{QUEUE}/{tid}/reject", data={"reject-reason": "Not in the diary", "seen": seen}
    )
    assert response.status_code == 400 and CHANGED in text(response)
    assert reload(session, tid).status == TransferStatus.PENDING


def test_bulk_approval_refuses_the_entry_corrected_after_the_review(client, session, world):
    alice, bob, carol = world["alice"], world["bob"], world["carol"]
    changed = pending(session, alice, bob, 60)
    unchanged = pending(session, bob, carol, 30)
    sign_in(client, "cora@example.org")
    review = client.post(f"{QUEUE}/bulk", data={"selected": [changed, unchanged]})
    page = review.get_data(as_text=True)
    versions = {tid: seen_in(page, f"seen-{tid}") for tid in (changed, unchanged)}
    corrected_meanwhile(session, world, changed)

    data = {"selected": [changed, unchanged], "confirm": "yes"}
    data.update({f"seen-{tid}": version for tid, version in versions.items()})
    result = text(client.post(f"{QUEUE}/bulk", data=data))
    assert "1 approved, 1 refused" in result and CHANGED in result
    assert reload(session, changed).approved_at is None
    assert reload(session, unchanged).status == TransferStatus.POSTED


@pytest.mark.parametrize("action", ["confirm", "dispute"])
def test_a_member_confirming_or_disputing_an_entry_corrected_meanwhile(
    client, session, world, action
):
    tid = pending(session, world["alice"], world["bob"], 60, confirmed=False)
    sign_in(client, "bob@example.org")
    page = client.get("/members/confirm").get_data(as_text=True)
    seen = seen_in(page)
    assert page.count(f'name="seen" value="{seen}"') == 2
    corrected_meanwhile(session, world, tid)
    data = {"seen": seen, f"t{tid}-reason": "It was half an hour"}
    response = client.post(f"/members/{action}/{tid}", data=data, follow_redirects=True)
    assert CHANGED in text(response)
    transfer = reload(session, tid)
    assert (transfer.status, transfer.confirmed_at) == (TransferStatus.PENDING, None)
    # The page now shows the corrected entry, with its new version.
    assert "1 h 30 min" in text(response)
