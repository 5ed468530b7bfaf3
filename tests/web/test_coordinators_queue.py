"""Request tests for the approval queue, an entry in full (approve, reject, correct),
bulk approval and reversals: every action, its refusals, and the notifications both
people receive."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from tests.factories import TimeBankFactory, bank_today
from tests.reports.test_statements import count_queries
from tests.two_step_support import give_code_with_csrf_token, set_up_two_step
from tests.web.support import PASSWORD, csrf_token_from, make_member, page_without_tokens, sign_in
from tests.web.test_auth import csrf_app  # noqa: F401
from timebank.community.models import Notification
from timebank.community.notifications import Kind
from timebank.extensions import db
from timebank.ledger.banks import update_policy
from timebank.ledger.models import Account, AuditEntry, Role, Transfer, TransferStatus
from timebank.ledger.opening import record_opening_balance
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import (
    approve_transfer,
    confirm_transfer,
    record_transfer,
    reverse_transfer,
)
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()
QUEUE = "/coordinators/approvals"


@pytest.fixture
def world(session):
    bank = TimeBankFactory(name="Riverside Time Bank", floor_minutes=-600)
    people = {
        "coordinator": make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        ),
        "second": make_member(
            session,
            email="sam@example.org",
            name="Sam Second",
            bank=bank,
            role=Role.COORDINATOR,
        ),
        "alice": make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank),
        "bob": make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank),
        "carol": make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank),
    }
    return {"bank": bank, **people}


def pending(session, giver, receiver, minutes=60, *, confirmed=True, **kw):
    """``giver`` records giving time; the receiver confirms it unless told not to."""
    transfer = record_transfer(
        session,
        actor=giver,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=kw.pop("service_date", TODAY),
        **kw,
    )
    if confirmed:
        confirm_transfer(session, actor=receiver, transfer_id=transfer.id)
    session.commit()
    return transfer.id


def posted(session, coordinator, giver, receiver, minutes=60, **kw):
    transfer = record_transfer(
        session,
        actor=coordinator,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=TODAY,
        **kw,
    )
    session.commit()
    return transfer.id


def reload(session, transfer_id):
    session.expire_all()
    return session.get(Transfer, transfer_id)


def balance(session, membership):
    session.expire_all()
    return session.get(Account, membership.account.id).balance


def notifications(session, *memberships, kind=None):
    session.expire_all()
    query = sa.select(Notification).where(
        Notification.membership_id.in_([m.id for m in memberships])
    )
    if kind:
        query = query.where(Notification.kind == kind)
    return session.scalars(query.order_by(Notification.id)).all()


def text(response):
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True)))


# The queue --------------------------------------------------------------------------


def test_the_queue_shows_waiting_entries_oldest_first_with_filters(client, session, world):
    alice, bob, carol = world["alice"], world["bob"], world["carol"]
    first = pending(
        session, alice, bob, 90, description="Weeding the front garden", category="gardening"
    )
    second = pending(session, bob, carol, 30, confirmed=False, description="A lift to the surgery")
    sign_in(client, "cora@example.org")

    page = text(client.get(QUEUE))
    assert "Waiting for approval (2)" in page
    assert page.index("Weeding the front garden") < page.index("A lift to the surgery")
    assert "Alice Ashdown" in page and "Bob Brennan" in page and "1 h 30 min" in page
    assert "Not yet confirmed" in page  # the second one
    assert "2 entries, 2 h in all" in page

    filtered = text(client.get(QUEUE, query_string={"member": "carol"}))
    assert "A lift to the surgery" in filtered and "Weeding" not in filtered
    assert "1 entry match" in filtered
    by_hours = text(client.get(QUEUE, query_string={"min_hours": "1"}))
    assert "Weeding" in by_hours and "A lift" not in by_hours
    by_category = text(client.get(QUEUE, query_string={"category": "gardening"}))
    assert "Weeding" in by_category and "A lift" not in by_category
    old = text(client.get(QUEUE, query_string={"age": "2"}))
    assert "No entries match these filters." in old

    # The other tab holds what waits for the other person alone: an entry is in one
    # tab, never both.
    waiting = text(client.get(QUEUE, query_string={"stage": "confirmation"}))
    assert "Waiting for the other person (0)" in waiting
    assert "A lift to the surgery" not in waiting and "Weeding" not in waiting
    assert f'href="/coordinators/approvals/{first}"' in client.get(QUEUE).get_data(as_text=True)
    approve_transfer(session, actor=world["coordinator"], transfer_id=second)
    session.commit()
    waiting = text(client.get(QUEUE, query_string={"stage": "confirmation"}))
    assert "Waiting for the other person (1)" in waiting and "A lift to the surgery" in waiting
    page = text(client.get(QUEUE))
    assert "Waiting for approval (1)" in page and "A lift to the surgery" not in page


def test_a_bad_filter_says_so_and_shows_everything(client, session, world):
    pending(session, world["alice"], world["bob"], 60, description="Weeding")
    sign_in(client, "cora@example.org")
    page = text(client.get(QUEUE, query_string={"min_hours": "lots"}))
    assert "There is a problem" in page and "Weeding" in page


def test_the_queue_page_takes_the_same_queries_for_10_or_60_entries(client, session, world):
    alice, bob, carol = world["alice"], world["bob"], world["carol"]
    sign_in(client, "cora@example.org")

    def add(count):
        for i in range(count):
            giver, receiver = [(alice, bob), (bob, carol), (carol, alice)][i % 3]
            pending(session, giver, receiver, 15, confirmed=i % 2 == 0, category="gardening")

    def measure():
        with count_queries(db.engine) as statements:
            response = client.get(QUEUE)
        assert response.status_code == 200
        return len(statements)

    add(10)
    ten = measure()
    add(50)
    sixty = measure()
    assert ten == sixty
    first = client.get(QUEUE).get_data(as_text=True)
    assert "Next page" in first and "Previous page" not in first
    after = re.search(r'href="[^"]*after=(\d+)[^"]*" rel="next"', first)
    assert after is not None
    second = text(client.get(QUEUE, query_string={"after": after.group(1)}))
    assert "Previous page" in second and "Next page" not in second


# One entry --------------------------------------------------------------------------


def test_the_detail_page_shows_history_balances_and_effect(client, session, world):
    alice, bob, coordinator = world["alice"], world["bob"], world["coordinator"]
    posted(session, coordinator, bob, alice, 120, description="Painting the hallway")
    transfer_id = pending(session, alice, bob, 90, description="Weeding")
    sign_in(client, "cora@example.org")
    page = text(client.get(f"{QUEUE}/{transfer_id}"))
    assert "Alice Ashdown gave 1 h 30 min to Bob Brennan" in page
    assert "Painting the hallway" in page  # both histories
    assert "Recent entries of Alice Ashdown" in page and "Recent entries of Bob Brennan" in page
    # Alice -2 h now, -30 min after; Bob +2 h now, +30 min after.
    assert "-2 h" in page and "-30 min" in page and "Within the limits" in page
    assert "Approve and post" in page
    assert "Recorded" in page and "Confirmed" in page  # the audit trail


def test_approve_posts_and_tells_both_people(client, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60)
    sign_in(client, "cora@example.org")
    response = client.post(f"{QUEUE}/{transfer_id}/approve", follow_redirects=True)
    assert "Approved and posted" in text(response)
    assert reload(session, transfer_id).status == TransferStatus.POSTED
    assert (balance(session, alice), balance(session, bob)) == (60, -60)
    told = notifications(session, alice, bob, kind=Kind.POSTED)
    assert {n.membership_id for n in told} == {alice.id, bob.id}
    assert "you gave to Bob Brennan" in next(n.message for n in told if n.membership_id == alice.id)


def test_approving_before_confirmation_waits_for_the_other_person(client, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60, confirmed=False)
    sign_in(client, "cora@example.org")
    response = client.post(f"{QUEUE}/{transfer_id}/approve", follow_redirects=True)
    assert "It will post when the other person confirms it" in text(response)
    transfer = reload(session, transfer_id)
    assert transfer.status == TransferStatus.PENDING and transfer.approved_at is not None
    assert len(notifications(session, alice, bob, kind=Kind.APPROVED)) == 2


def test_two_coordinators_approving_the_same_entry_post_it_once(app, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60)
    first, second = app.test_client(), app.test_client()
    sign_in(first, "cora@example.org")
    sign_in(second, "sam@example.org")
    # Both have the entry open.
    assert first.get(f"{QUEUE}/{transfer_id}").status_code == 200
    assert second.get(f"{QUEUE}/{transfer_id}").status_code == 200
    assert "Approved and posted" in text(
        first.post(f"{QUEUE}/{transfer_id}/approve", follow_redirects=True)
    )
    response = second.post(f"{QUEUE}/{transfer_id}/approve", follow_redirects=True)
    assert "This exchange was already posted; nothing was changed." in text(response)
    assert (balance(session, alice), balance(session, bob)) == (60, -60)
    approvals = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "transfer.approved", AuditEntry.entity_id == transfer_id)
    )
    assert approvals == 1
    assert len(notifications(session, alice, bob, kind=Kind.POSTED)) == 2
    assert verify_ledger(session) == []


def test_approval_over_the_floor_is_refused_with_the_reason(client, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 120)
    update_policy(session, actor=None, bank=world["bank"], floor_minutes=-60)
    session.commit()
    sign_in(client, "cora@example.org")
    detail = text(client.get(f"{QUEUE}/{transfer_id}"))
    assert "Approving will be refused until this is resolved" in detail
    response = client.post(f"{QUEUE}/{transfer_id}/approve", follow_redirects=True)
    assert "Bob Brennan has reached the time bank's limit of -1 h" in text(response)
    assert reload(session, transfer_id).status == TransferStatus.PENDING
    assert notifications(session, alice, bob, kind=Kind.POSTED) == []


def test_reject_needs_a_reason_and_tells_both_people_why(client, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60)
    sign_in(client, "cora@example.org")

    response = client.post(f"{QUEUE}/{transfer_id}/reject", data={"reject-reason": "  "})
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page and "Give a reason; it is kept in the record." in page
    assert 'aria-invalid="true"' in page
    assert reload(session, transfer_id).status == TransferStatus.PENDING

    response = client.post(
        f"{QUEUE}/{transfer_id}/reject",
        data={"reject-reason": "Recorded twice"},
        follow_redirects=True,
    )
    assert "Not accepted" in text(response)
    transfer = reload(session, transfer_id)
    assert (transfer.status, transfer.reason) == (TransferStatus.REJECTED, "Recorded twice")
    told = notifications(session, alice, bob, kind=Kind.REJECTED)
    assert len(told) == 2 and all("Reason: Recorded twice" in n.message for n in told)

    # Rejecting again: a plain message, nothing changes.
    response = client.post(f"{QUEUE}/{transfer_id}/reject", data={"reject-reason": "Again"})
    assert response.status_code == 400
    assert "This exchange was already rejected; nothing was changed." in text(response)
    assert len(notifications(session, alice, bob, kind=Kind.REJECTED)) == 2


def correction(**values):
    data = {
        "correct-hours": "1",
        "correct-minutes": "0",
        "correct-service_date": TODAY.isoformat(),
        "correct-category": "",
        "correct-description": "Weeding",
        "correct-reason": "Bob says it was longer",
    }
    data.update({f"correct-{k}": v for k, v in values.items()})
    return data


def test_correct_before_approving(client, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60, description="Weeding")
    sign_in(client, "cora@example.org")
    page = client.get(f"{QUEUE}/{transfer_id}").get_data(as_text=True)
    assert 'name="correct-hours" required type="number" value="1"' in page
    assert 'name="correct-minutes" required type="number" value="0"' in page

    response = client.post(
        f"{QUEUE}/{transfer_id}/correct",
        data=correction(minutes="30", description="Weeding and mowing"),
        follow_redirects=True,
    )
    page = text(response)
    assert "Corrected. Both people have been told" in page
    assert "needs to confirm the new time" in page
    assert "Time: 1 h → 1 h 30 min" in page and "Reason: Bob says it was longer" in page
    transfer = reload(session, transfer_id)
    assert (transfer.minutes, transfer.description) == (90, "Weeding and mowing")
    told = notifications(session, alice, bob, kind=Kind.CORRECTED)
    assert len(told) == 2 and "corrected by a coordinator" in told[0].message

    client.post(f"{QUEUE}/{transfer_id}/approve")
    # Bob confirmed one hour, not an hour and a half: he confirms again before it posts.
    assert (balance(session, alice), balance(session, bob)) == (0, 0)
    confirm_transfer(session, actor=bob, transfer_id=transfer_id)
    session.commit()
    assert (balance(session, alice), balance(session, bob)) == (90, -90)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"reason": ""}, "Give a reason; it is kept in the record."),
        ({"hours": ""}, "Give the hours, or 0."),
        ({"minutes": "10"}, "Time is recorded in steps of 15 minutes."),
        ({"minutes": "75"}, "Number must be between 0 and 59."),
        ({"hours": "13"}, "One entry can carry at most 12 h."),
        ({"hours": "0"}, "The time must be more than zero."),
        ({"service_date": (TODAY + timedelta(days=2)).isoformat()}, "cannot be in the future"),
        ({"category": "astrology"}, "Choose one of this time bank's categories."),
        ({}, "Nothing was changed"),
    ],
)
def test_bad_corrections_are_refused_and_nothing_changes(client, session, world, values, message):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60, description="Weeding")
    sign_in(client, "cora@example.org")
    data = correction(**values)
    if not values:
        data["correct-reason"] = "No change"
    response = client.post(f"{QUEUE}/{transfer_id}/correct", data=data)
    assert response.status_code == 400
    assert message in text(response)
    transfer = reload(session, transfer_id)
    assert (transfer.minutes, transfer.description) == (60, "Weeding")
    assert notifications(session, alice, bob, kind=Kind.CORRECTED) == []


def test_a_correction_past_the_floor_is_refused_beside_the_time(client, session, world):
    alice, bob = world["alice"], world["bob"]
    update_policy(session, actor=None, bank=world["bank"], floor_minutes=-120)
    session.commit()
    transfer_id = pending(session, alice, bob, 60)
    sign_in(client, "cora@example.org")
    response = client.post(f"{QUEUE}/{transfer_id}/correct", data=correction(hours="3"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="correct-minutes-error"' in page and "limit of -2 h" in page
    assert reload(session, transfer_id).minutes == 60


def test_a_posted_entry_cannot_be_corrected_or_rejected(client, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = posted(session, world["coordinator"], alice, bob, 60)
    sign_in(client, "cora@example.org")
    page = text(client.get(f"{QUEUE}/{transfer_id}"))
    assert "This entry is posted" in page and "Save the correction" not in page
    response = client.post(f"{QUEUE}/{transfer_id}/correct", data=correction(hours="2"))
    assert response.status_code == 400
    assert "already posted; nothing was changed. Reverse it instead" in text(response)
    assert reload(session, transfer_id).minutes == 60


def test_another_banks_entry_is_not_found_and_nothing_changes(app, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60)
    posted_id = posted(session, world["coordinator"], alice, bob, 30)
    other_bank = TimeBankFactory()
    make_member(session, email="oscar@example.org", bank=other_bank, role=Role.COORDINATOR)
    client = app.test_client()
    sign_in(client, "oscar@example.org")
    for url, data in [
        (f"{QUEUE}/{transfer_id}/approve", {}),
        (f"{QUEUE}/{transfer_id}/reject", {"reject-reason": "No"}),
        (f"{QUEUE}/{transfer_id}/correct", correction(hours="2")),
        (f"/coordinators/transfers/{posted_id}/reverse", {"reason": "No"}),
    ]:
        assert client.post(url, data=data).status_code == 404, url
    assert client.get(f"{QUEUE}/{transfer_id}").status_code == 404
    # Bulk approval leaves out what is not this bank's.
    response = client.post(
        f"{QUEUE}/bulk", data={"selected": [transfer_id], "confirm": "yes"}, follow_redirects=True
    )
    assert "Choose at least one entry" in text(response)
    assert reload(session, transfer_id).status == TransferStatus.PENDING
    assert reload(session, transfer_id).minutes == 60
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 2


# Bulk approval ----------------------------------------------------------------------


def test_bulk_approval_reviews_first_then_reports_each_entry(client, session, world):
    alice, bob, carol = world["alice"], world["bob"], world["carol"]
    big = pending(session, alice, bob, 120, description="Moving house")
    small = pending(session, alice, bob, 60, description="Shopping")
    fine = pending(session, bob, carol, 30, description="Reading")
    waiting = pending(session, carol, alice, 45, confirmed=False, description="Cooking")
    # Bob may now go only to -2 h: his 3 h pending cannot both post.
    update_policy(session, actor=None, bank=world["bank"], floor_minutes=-120)
    session.commit()
    sign_in(client, "cora@example.org")
    selected = [big, small, fine, waiting]

    review = client.post(f"{QUEUE}/bulk", data={"selected": selected})
    page = text(review)
    assert review.status_code == 200 and "Approve these 4 entries?" in page
    assert "4 h 15 min in 4 entries" in page
    assert "Posts once the other person confirms" in page
    assert all(reload(session, i).approved_at is None for i in selected)  # nothing yet

    form = review.get_data(as_text=True)
    assert form.count('name="selected"') == 4 and 'name="confirm" value="yes"' in form
    result = text(client.post(f"{QUEUE}/bulk", data={"selected": selected, "confirm": "yes"}))
    assert "2 approved, 2 refused" in result
    # Each result says once what happened ("Approved and posted."), not "Approved.
    # Approved and posted."
    words = re.sub(r"<[^>]+>", "", result)
    assert "Approved. Approved" not in words and "Approved and posted." in words
    assert "Approved. It will post when the other person confirms it." in result
    assert result.count("Not approved:") == 2
    assert result.count("Bob Brennan has reached the time bank's limit of -2 h") == 2
    assert reload(session, fine).status == TransferStatus.POSTED
    assert reload(session, waiting).approved_at is not None
    assert reload(session, big).status == TransferStatus.PENDING
    assert reload(session, small).status == TransferStatus.PENDING
    assert len(notifications(session, bob, carol, kind=Kind.POSTED)) == 2
    assert verify_ledger(session) == []


def test_bulk_approval_with_nothing_chosen(client, session, world):
    sign_in(client, "cora@example.org")
    response = client.post(f"{QUEUE}/bulk", data={}, follow_redirects=True)
    assert "Choose at least one entry that is waiting for approval." in text(response)


def test_actions_need_the_csrf_token(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        bank = TimeBankFactory()
        make_member(db.session, email="cora@example.org", bank=bank, role=Role.COORDINATOR)
        alice = make_member(db.session, email="alice@example.org", bank=bank)
        bob = make_member(db.session, email="bob@example.org", bank=bank)
        transfer_id = pending(db.session, alice, bob, 60)
    client = csrf_app.test_client()
    set_up_two_step(csrf_app, "cora@example.org")
    token = csrf_token_from(client.get("/auth/sign-in").get_data(as_text=True))
    client.post(
        "/auth/sign-in",
        data={"email": "cora@example.org", "password": PASSWORD, "csrf_token": token},
    )
    give_code_with_csrf_token(client, "cora@example.org")
    page = client.get(QUEUE)
    assert page.status_code == 200
    data = {"selected": [transfer_id], "confirm": "yes"}
    assert client.post(f"{QUEUE}/bulk", data=data).status_code == 400
    assert client.post(f"{QUEUE}/{transfer_id}/approve").status_code == 400
    with csrf_app.app_context():
        assert db.session.get(Transfer, transfer_id).approved_at is None
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(f"{QUEUE}/bulk", data={**data, "csrf_token": token})
    assert "1 approved" in text(response)
    with csrf_app.app_context():
        assert db.session.get(Transfer, transfer_id).status == TransferStatus.POSTED


# Posted exchanges and reversals -----------------------------------------------------


def test_the_exchanges_page_lists_posted_entries_with_search(client, session, world):
    alice, bob, carol, coordinator = (world[k] for k in ("alice", "bob", "carol", "coordinator"))
    posted(session, coordinator, alice, bob, 60, description="Weeding")
    posted(session, coordinator, bob, carol, 30, description="Reading")
    pending(session, carol, alice, 45, description="Still waiting")
    sign_in(client, "cora@example.org")
    page = text(client.get("/coordinators/transfers"))
    assert page.index("Reading") < page.index("Weeding") and "Still waiting" not in page
    found = text(client.get("/coordinators/transfers", query_string={"member": "alice"}))
    assert "Weeding" in found and "Reading" not in found
    future = (TODAY + timedelta(days=1)).isoformat()
    assert "No entries match" in text(
        client.get("/coordinators/transfers", query_string={"start": future})
    )
    assert "Reading" in text(
        client.get("/coordinators/transfers", query_string={"kind": "exchange"})
    )


def test_reverse_needs_a_reason_then_links_both_and_tells_both(client, session, world):
    alice, bob = world["alice"], world["bob"]
    original = posted(session, world["coordinator"], alice, bob, 60, description="Weeding")
    sign_in(client, "cora@example.org")
    url = f"/coordinators/transfers/{original}/reverse"
    assert "Reverse entry" in text(client.get(url))

    response = client.post(url, data={"reason": " "})
    assert response.status_code == 400
    assert "Give a reason; it is kept in the record." in text(response)
    assert balance(session, alice) == 60

    response = client.post(url, data={"reason": "Recorded by mistake"}, follow_redirects=True)
    page = text(response)
    assert "Reversed: entry" in page and f"Entry {original} was reversed" in page
    assert "Reason</dt><dd>Recorded by mistake" in page.replace("> <", "><")
    assert (balance(session, alice), balance(session, bob)) == (0, 0)
    reversal = session.scalars(sa.select(Transfer).where(Transfer.reverses_id == original)).one()
    assert reversal.reason == "Recorded by mistake"
    told = notifications(session, alice, bob, kind=Kind.REVERSED)
    assert len(told) == 2 and all(
        "was reversed. Reason: Recorded by mistake" in n.message for n in told
    )

    listing = text(client.get("/coordinators/transfers"))
    assert f"Reversed by entry {reversal.id}" in listing
    assert f"Reverses entry {original}" in listing

    # Reversing again changes nothing.
    response = client.post(url, data={"reason": "Again"})
    assert response.status_code == 400
    assert "This exchange has already been reversed." in text(response)
    assert (balance(session, alice), balance(session, bob)) == (0, 0)
    # A reversal itself cannot be reversed.
    page = text(client.get(f"/coordinators/transfers/{reversal.id}/reverse"))
    assert "cannot be reversed" in page
    assert verify_ledger(session) == []


def test_a_pending_entry_has_no_reverse_page(client, session, world):
    transfer_id = pending(session, world["alice"], world["bob"], 60)
    sign_in(client, "cora@example.org")
    assert client.get(f"/coordinators/transfers/{transfer_id}/reverse").status_code == 404


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"min_hours": "1e30"}, '<a href="#min_hours">Number must be between 0 and 1000.</a>'),
        ({"age": "99999999999999999999"}, '<a href="#age">Number must be between 0 and 3650.</a>'),
    ],
)
def test_absurd_filter_values_are_refused_politely(client, session, world, query, error):
    """The value is named at its field, and the queue is still shown, unfiltered."""
    pending(session, world["alice"], world["bob"], 60, description="Weeding")
    sign_in(client, "cora@example.org")
    response = client.get(QUEUE, query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and error in page
    assert "Weeding" in page


def test_a_link_past_the_last_page_shows_the_first(client, session, world):
    waiting = pending(session, world["alice"], world["bob"], 60, description="Weeding")
    sign_in(client, "cora@example.org")
    for query in (
        {"after": str(waiting)},
        {"before": str(waiting)},
        {"after": "99999999999999999999"},
    ):
        response = client.get(QUEUE, query_string=query)
        page = text(response)
        assert response.status_code == 200
        assert "Weeding" in page
        assert "Nothing is waiting" not in page


def test_a_date_that_is_not_one_is_refused_at_its_field(client, session, world):
    sign_in(client, "cora@example.org")
    response = client.get("/coordinators/transfers", query_string={"start": "not a date"})
    assert response.status_code == 200
    assert "There is a problem" in text(response)
    assert 'href="#start"' in response.get_data(as_text=True)


def test_the_reverse_page_reads_a_grants_description_in_welsh(client, session, world):
    """The ledger writes a grant's description in English; the reverse page showed it
    so on a Welsh page."""
    coordinator, alice = world["coordinator"], world["alice"]
    posted(session, coordinator, alice, world["carol"], 120)
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=120)
    grant = grant_from_pot(
        session, actor=coordinator, recipient=world["bob"].account, minutes=60, reason="Help"
    )
    coordinator.person.preferred_locale = "cy"
    session.commit()
    sign_in(client, "cora@example.org")
    page = text(client.get(f"/coordinators/transfers/{grant.id}/reverse"))
    assert "Grant o&#39;r pot cymunedol" in page or "Grant o'r pot cymunedol" in page
    assert "Grant from the community pot" not in page


# Who each entry was between, and an entry's category -----------------------------


def _every_kind(session, world):
    """A posted exchange, a donation, a grant, a reversal and an opening balance either
    way; returns the original and the reversal's ids."""
    coordinator, alice, bob, carol = (world[k] for k in ("coordinator", "alice", "bob", "carol"))
    dafydd = make_member(
        session, email="dafydd@example.org", name="Dafydd & <Sons>", bank=world["bank"]
    )
    original = posted(session, coordinator, alice, dafydd, 60, description="Weeding")
    posted(session, coordinator, alice, bob, 180, description="Painting")
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=60)
    grant_from_pot(session, actor=coordinator, recipient=bob.account, minutes=30, reason="Help")
    reversal = reverse_transfer(session, actor=coordinator, transfer_id=original, reason="Oops")
    record_opening_balance(session, actor=coordinator, account=carol.account, minutes=120)
    record_opening_balance(session, actor=coordinator, account=bob.account, minutes=-45)
    session.commit()
    return original, reversal.id


def test_the_exchanges_page_says_who_each_kind_of_entry_was_between(client, session, world):
    """Each kind in its own words, the names escaped; the opening balance names its
    holder on whichever side the holder is (credited when it adds, debited when it
    takes off)."""
    original, reversal = _every_kind(session, world)
    sign_in(client, "cora@example.org")
    page = client.get("/coordinators/transfers").get_data(as_text=True)
    assert (
        'Alice Ashdown <span aria-hidden="true">→</span><span class="visually-hidden">'
        " gave to </span> Dafydd &amp; &lt;Sons&gt;"
    ) in page
    assert "Alice Ashdown donated to the community pot" in page
    assert "Grant to Bob Brennan from the community pot" in page
    assert (
        f"Reversal of entry {original}: back to Dafydd &amp; &lt;Sons&gt; from Alice Ashdown"
    ) in page
    assert "Opening balance of Carol Cheung" in page
    assert "Opening balance of Bob Brennan" in page
    assert "Opening balances" not in page
    assert f"Reversed by entry {reversal}" in page and f"Reverses entry {original}: Oops" in page

    world["coordinator"].person.preferred_locale = "cy"
    session.commit()
    page = client.get("/coordinators/transfers").get_data(as_text=True)
    assert (
        'Alice Ashdown <span aria-hidden="true">→</span><span class="visually-hidden">'
        " wedi rhoi i </span> Dafydd &amp; &lt;Sons&gt;"
    ) in page
    assert "Cyfrannodd Alice Ashdown i'r pot cymunedol" in page
    assert "Grant i Bob Brennan o'r pot cymunedol" in page
    assert f"Gwrthdroi cofnod {original}: yn ôl i Dafydd &amp; &lt;Sons&gt; gan Alice" in page
    assert "Balans agoriadol Carol Cheung" in page


def test_the_queue_and_its_bulk_review_say_who_an_entry_is_between(client, session, world):
    dafydd = make_member(
        session, email="dafydd@example.org", name="Dafydd & <Sons>", bank=world["bank"]
    )
    transfer_id = pending(session, dafydd, world["bob"], 60, description="Weeding")
    sign_in(client, "cora@example.org")
    between = (
        'Dafydd &amp; &lt;Sons&gt; <span aria-hidden="true">→</span>'
        '<span class="visually-hidden"> gave to </span> Bob Brennan'
    )
    assert between in client.get(QUEUE).get_data(as_text=True)
    review = client.post(f"{QUEUE}/bulk", data={"selected": [str(transfer_id)]})
    assert between in review.get_data(as_text=True)


def test_an_entrys_category_is_shown_chosen_and_its_correction_named(client, session, world):
    alice, bob = world["alice"], world["bob"]
    transfer_id = pending(session, alice, bob, 60, description="Weeding", category="gardening")
    sign_in(client, "cora@example.org")
    raw = client.get(f"{QUEUE}/{transfer_id}").get_data(as_text=True)
    assert "<dt>Category</dt><dd>Gardening</dd>" in raw
    assert '<option selected value="gardening">Gardening</option>' in raw

    client.post(
        f"{QUEUE}/{transfer_id}/correct", data=correction(category="transport", reason="A lift")
    )
    page = text(client.get(f"{QUEUE}/{transfer_id}"))
    assert "Category: Gardening → Lifts and transport" in page
    assert "<dt>Category</dt><dd>Lifts and transport</dd>" in page
    approve_transfer(session, actor=world["second"], transfer_id=transfer_id)
    session.commit()
    reverse_page = text(client.get(f"/coordinators/transfers/{transfer_id}/reverse"))
    assert "<dt>Category</dt><dd>Lifts and transport</dd>" in reverse_page
    uncategorised = pending(session, bob, alice, 30, description="Tea")
    assert "<dt>Category</dt><dd>None</dd>" in text(client.get(f"{QUEUE}/{uncategorised}"))


def test_an_entrys_pages_and_the_posted_list_take_the_same_statements_for_any_history(
    client, session, world
):
    """An entry's page (both people's recent entries, its trail), its reversal page and
    the posted list read a fixed number of statements, however many entries the people
    and the bank have."""
    alice, bob, carol, coordinator = (world[k] for k in ("alice", "bob", "carol", "coordinator"))
    first = posted(session, coordinator, alice, bob, 60, description="Weeding")
    waiting = pending(session, alice, bob, 30, description="Mowing", category="gardening")
    sign_in(client, "cora@example.org")
    paths = [
        f"{QUEUE}/{waiting}",
        f"/coordinators/transfers/{first}/reverse",
        "/coordinators/transfers",
    ]

    def measure():
        counts = []
        for path in paths:
            with count_queries(db.engine) as statements:
                response = client.get(path)
            assert response.status_code == 200
            counts.append(len(statements))
        return counts

    few = measure()
    for i in range(30):
        giver, receiver = [(alice, bob), (bob, carol), (carol, alice)][i % 3]
        posted(session, coordinator, giver, receiver, 15, description=f"Job {i}")
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=30)
    grant_from_pot(session, actor=coordinator, recipient=bob.account, minutes=15, reason="Help")
    session.commit()
    assert measure() == few


def test_the_exchanges_rows_show_every_change_at_once(client, session, world):
    """The posted list's rows are kept by what they show (timebank/kept_parts.py): a
    reversal, a name changed and the other language each draw what they should, never
    what was kept."""
    from timebank.kept_parts import forget_all

    alice, bob, coordinator = world["alice"], world["bob"], world["coordinator"]
    original = posted(session, coordinator, alice, bob, 60, description="Weeding")
    sign_in(client, "cora@example.org")
    first = page_without_tokens(client, "/coordinators/transfers")
    assert page_without_tokens(client, "/coordinators/transfers") == first
    assert "Alice Ashdown" in first and "Reversed by entry" not in first

    reversal = reverse_transfer(
        session, actor=coordinator, transfer_id=original, reason="Recorded by mistake"
    )
    session.commit()
    reversed_listing = text(client.get("/coordinators/transfers"))
    assert f"Reversed by entry {reversal.id}" in reversed_listing
    assert f"Reverses entry {original}: Recorded by mistake" in reversed_listing

    alice.person.display_name = "Alys Ashdown"
    session.commit()
    renamed = page_without_tokens(client, "/coordinators/transfers")
    assert "Alys Ashdown" in renamed and "Alice Ashdown" not in renamed

    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = page_without_tokens(client, "/coordinators/transfers")
    with force_locale("cy"):
        assert gettext("Reversed by entry %(id)s", id=reversal.id) in welsh
    assert "Reversed by entry" not in welsh
    forget_all()
    assert page_without_tokens(client, "/coordinators/transfers") == welsh


def test_an_entrys_recent_entries_show_every_change_at_once(client, session, world):
    """Both people's recent entries on an entry's page are kept by the rows they are
    drawn from (timebank/kept_parts.py): a confirmation, a new entry, a name changed and
    the other language each draw what they should, never what was kept."""
    from timebank.kept_parts import forget_all

    alice, bob, carol = world["alice"], world["bob"], world["carol"]
    waiting = pending(session, alice, bob, 60, confirmed=False, description="Weeding")
    sign_in(client, "cora@example.org")
    path = f"{QUEUE}/{waiting}"
    first = page_without_tokens(client, path)
    assert page_without_tokens(client, path) == first
    assert "Waiting for Bob Brennan to confirm" in first

    confirm_transfer(session, actor=bob, transfer_id=waiting)
    session.commit()
    confirmed = page_without_tokens(client, path)
    assert "Waiting for Bob Brennan to confirm" not in confirmed

    pending(session, carol, alice, 30, description="Mending a bike")
    later = page_without_tokens(client, path)
    assert "Mending a bike" in later and "Mending a bike" not in confirmed

    carol.person.display_name = "Caryl Cheung"
    session.commit()
    renamed = page_without_tokens(client, path)
    assert "Caryl Cheung" in renamed and "Carol Cheung" not in renamed

    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = page_without_tokens(client, path)
    with force_locale("cy"):
        assert gettext("Recent entries of %(name)s", name="Alice Ashdown") in welsh
    assert "Recent entries of" not in welsh
    forget_all()
    assert page_without_tokens(client, path) == welsh


def _entry_rows(page: str, labelled_by: str) -> list[tuple[bool, list[str]]]:
    """The rows of the recent-entries table labelled by ``labelled_by``: whether each is
    marked as the page's entry, and its cells."""
    start = page.index(f'role="region" aria-labelledby="{labelled_by}"')
    table = page[start : page.index("</table>", start)]
    rows = re.finditer(r'<tr( class="current-entry")?>(.*?)</tr>', table, re.S)
    return [
        (bool(row[1]), cells)
        for row in rows
        if (cells := re.findall(r"<td>(.*?)</td>", row[2], re.S))
    ]


def test_an_entrys_recent_entries_are_the_member_pages_rows_with_the_entry_marked(
    client, session, world
):
    """One table (coordinators/_entries_table.html) draws an account's recent entries on
    an entry's page and on the member's page: the same rows and cells, the pot named in
    the reader's language; the entry's page marks the entry it is about in both
    people's tables, and nothing else."""
    coordinator, alice, bob = world["coordinator"], world["alice"], world["bob"]
    posted(session, coordinator, alice, bob, 120, description="Painting the hallway")
    donate_to_pot(session, actor=alice, donor=alice.account, minutes=30)
    session.commit()
    waiting = pending(session, alice, bob, 90, description="Weeding")
    sign_in(client, "cora@example.org")
    entry_page = client.get(f"{QUEUE}/{waiting}").get_data(as_text=True)
    member_page = client.get(f"/coordinators/members/{alice.id}").get_data(as_text=True)

    this_entry = ' <span class="tag">This entry</span>'
    on_entry = _entry_rows(entry_page, "giver-history")
    on_member = _entry_rows(member_page, "recent-title")
    assert [marked for marked, _ in on_entry] == [True, False, False]
    assert on_entry[0][1][2] == "Weeding" + this_entry
    unmarked = [[cell.removesuffix(this_entry) for cell in cells] for _, cells in on_entry]
    assert unmarked == [cells for _, cells in on_member]
    assert [marked for marked, _ in on_member] == [False, False, False]
    assert [cells[1:3] for _, cells in on_member] == [
        ["Bob Brennan", "Weeding"],
        ["Community pot", "Donation to the pot"],
        ["Bob Brennan", "Painting the hallway"],
    ]
    receiver = _entry_rows(entry_page, "receiver-history")
    assert [marked for marked, _ in receiver] == [True, False]
    assert receiver[0][1][1:3] == ["Alice Ashdown", "Weeding" + this_entry]

    client.post("/language", data={"language": "cy", "next": "/"})
    welsh = _entry_rows(
        client.get(f"/coordinators/members/{alice.id}").get_data(as_text=True), "recent-title"
    )
    assert welsh[1][1][1:3] == ["Pot cymunedol", "Cyfraniad i&#39;r pot"]
