"""The approval queue and reversals in a real Chromium: approve one, reject one with a
reason, approve several after a review, reverse a posted exchange; axe-core finds
nothing on any of the pages, and the queue reflows at 320 px."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.test_pages import sign_in
from tests.factories import TimeBankFactory, bank_today
from tests.web.test_auth import make_member
from timebank.community.models import Notification
from timebank.extensions import db
from timebank.ledger.models import Account, Role, Transfer, TransferStatus
from timebank.ledger.transfers import confirm_transfer, record_transfer

TODAY = bank_today()


def _pending(session, giver, receiver, minutes, description, confirm=True):
    transfer = record_transfer(
        session,
        actor=giver,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=TODAY,
        description=description,
        category="gardening",
    )
    if confirm:
        confirm_transfer(session, actor=receiver, transfer_id=transfer.id)
    return transfer.id


@pytest.fixture
def queue(live_server):
    """Riverside Time Bank: Cora coordinates; four entries wait, one is posted."""
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank")
        cora = make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
        bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
        carol = make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank)
        ids = {
            "weeding": _pending(session, alice, bob, 90, "Weeding the front garden"),
            "twice": _pending(session, bob, carol, 30, "A lift recorded twice"),
            "shopping": _pending(session, carol, alice, 60, "Weekly shopping"),
            "reading": _pending(session, alice, carol, 45, "Reading aloud", confirm=False),
        }
        posted = record_transfer(
            session,
            actor=cora,
            giver=bob.account,
            receiver=alice.account,
            minutes=120,
            service_date=TODAY,
            description="Painting the hallway",
        )
        ids["painting"] = posted.id
        session.commit()
        return ids


def status_of(live_server, transfer_id):
    with live_server.app.app_context():
        return db.session.get(Transfer, transfer_id).status


def open_queue(page, live_server):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/approvals"))
    assert page.get_by_role("heading", level=1).inner_text() == "Approval queue"


def test_queue_pages_pass_axe(page, live_server, queue, axe_check):
    open_queue(page, live_server)
    assert page.locator("tbody tr").count() == 4
    axe_check(page)

    page.get_by_label("Member's name").fill("carol")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(3)  # waits for the filtered page
    axe_check(page)

    # The unconfirmed entry still waits for a coordinator too: it is listed there, once.
    page.goto(live_server.url("/coordinators/approvals?stage=confirmation"))
    assert page.locator("tbody tr").count() == 0
    assert page.get_by_text("Nothing is waiting for the other person.").is_visible()
    axe_check(page)

    page.goto(live_server.url(f"/coordinators/approvals/{queue['weeding']}"))
    assert "Alice Ashdown gave 1 h 30 min to Bob Brennan" in page.locator("h1").inner_text()
    axe_check(page)
    # With errors on the page.
    page.get_by_role("button", name="Reject this entry").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.get_by_label("Why is it not accepted?").get_attribute("aria-invalid") == "true"
    axe_check(page)

    page.goto(live_server.url("/coordinators/approvals"))
    page.get_by_label(f"Select entry {queue['weeding']}:").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Approve this entry?", use_inner_text=True
    )
    axe_check(page)

    page.goto(live_server.url("/coordinators/transfers"))
    assert "Painting the hallway" in page.locator("tbody").inner_text()
    axe_check(page)
    page.goto(live_server.url(f"/coordinators/transfers/{queue['painting']}/reverse"))
    axe_check(page)


def test_approve_one_and_reject_one_with_a_reason(page, live_server, queue):
    open_queue(page, live_server)
    page.get_by_role("link", name=f"Review entry {queue['weeding']}").click()
    page.get_by_role("button", name="Approve and post").click()
    expect(page.locator(".notice")).to_contain_text("Approved and posted", use_inner_text=True)
    assert status_of(live_server, queue["weeding"]) == TransferStatus.POSTED
    assert page.locator("tbody tr").count() == 3

    page.get_by_role("link", name=f"Review entry {queue['twice']}").click()
    page.get_by_role("button", name="Reject this entry").click()
    expect(page.locator(".error-summary")).to_contain_text("Give a reason", use_inner_text=True)
    assert status_of(live_server, queue["twice"]) == TransferStatus.PENDING
    page.get_by_label("Why is it not accepted?").fill("Recorded twice by mistake")
    page.get_by_role("button", name="Reject this entry").click()
    expect(page.locator(".notice")).to_contain_text("Not accepted", use_inner_text=True)
    assert status_of(live_server, queue["twice"]) == TransferStatus.REJECTED
    with live_server.app.app_context():
        messages = db.session.scalars(
            sa.select(Notification.message).where(Notification.transfer_id == queue["twice"])
        ).all()
    assert len(messages) == 2 and all("Recorded twice by mistake" in m for m in messages)


def test_bulk_approve_after_a_review(page, live_server, queue):
    open_queue(page, live_server)
    for key in ("weeding", "shopping", "reading"):
        page.get_by_label(f"Select entry {queue[key]}:").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Approve these 3 entries?", use_inner_text=True
    )
    assert "3 h 15 min in 3 entries" in page.locator("tfoot").inner_text()
    assert status_of(live_server, queue["weeding"]) == TransferStatus.PENDING  # not yet

    page.get_by_role("button", name="Approve all 3").click()
    expect(page.locator("main [role=status]")).to_contain_text("3 approved", use_inner_text=True)
    assert status_of(live_server, queue["weeding"]) == TransferStatus.POSTED
    assert status_of(live_server, queue["shopping"]) == TransferStatus.POSTED
    # Approved, but waits for Carol to confirm.
    assert status_of(live_server, queue["reading"]) == TransferStatus.PENDING
    page.get_by_role("link", name="Back to the approval queue").click()
    expect(page.locator("tbody tr")).to_have_count(1)  # only the lift is left


def test_select_all_ticks_every_entry_on_the_page(page, live_server, queue, axe_check):
    open_queue(page, live_server)
    select_all = page.get_by_label("Select every entry on this page")
    assert select_all.is_visible()
    select_all.check()
    boxes = page.locator("tbody input[name=selected]")
    assert boxes.count() == 4
    assert all(boxes.nth(i).is_checked() for i in range(4))
    # Clearing one shows "some"; clearing the box clears them all.
    boxes.nth(0).uncheck()
    assert page.evaluate("() => document.getElementById('select-all').indeterminate")
    select_all.click()  # from "some" to all
    select_all.click()  # and to none
    assert not any(boxes.nth(i).is_checked() for i in range(4))
    select_all.check()
    axe_check(page)
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Approve these 4 entries?", use_inner_text=True
    )
    page.get_by_role("button", name="Approve all 4").click()
    result = page.locator("main table").inner_text()
    assert "Approved. Approved" not in result
    assert result.count("Approved and posted.") == 3
    assert "Approved. It will post when the other person confirms it." in result
    axe_check(page)
    # The approved entry now waits for Carol alone: it moved to the other tab.
    page.goto(live_server.url("/coordinators/approvals?stage=confirmation"))
    assert "Reading aloud" in page.locator("tbody").inner_text()


def test_reverse_a_posted_exchange(page, live_server, queue, axe_check):
    sign_in(page, live_server, email="cora@example.org")
    page.goto(live_server.url("/coordinators/transfers"))
    page.get_by_role("link", name=f"Reverse entry {queue['painting']}").click()
    page.get_by_role("button", name="Reverse this entry").click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe_check(page)
    page.get_by_label("Why is it being reversed?").fill("Alice painted it herself")
    page.get_by_role("button", name="Reverse this entry").click()
    expect(page.locator(".notice")).to_contain_text("Reversed: entry", use_inner_text=True)
    assert f"Entry {queue['painting']} was reversed" in page.locator("h1").inner_text()
    assert "Alice painted it herself" in page.locator("main").inner_text()
    axe_check(page)
    with live_server.app.app_context():
        balances = db.session.scalars(
            sa.select(Account.posted_credits - Account.posted_debits).where(
                Account.membership_id.is_not(None)
            )
        ).all()
    assert set(balances) == {0}
    page.goto(live_server.url("/coordinators/transfers"))
    assert "Reversed by entry" in page.locator("tbody").inner_text()


@pytest.mark.parametrize("width", [320])
def test_the_queue_reflows_at_320_px(new_page, live_server, queue, width):
    page = new_page(viewport={"width": width, "height": 640})
    open_queue(page, live_server)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.goto(live_server.url(f"/coordinators/approvals/{queue['weeding']}"))
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
