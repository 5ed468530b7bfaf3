"""Group exchanges, the pot and organisations in a real Chromium (CSRF on), with
axe-core on every page and state: the form, its errors, the review step, the pot with
errors, and the organisation pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.test_person_boxes import choose_person
from tests.factories import OrganisationFactory, TimeBankFactory, bank_today
from tests.two_step_support import give_code_in_browser, set_up_two_step
from tests.web.test_auth import PASSWORD, make_member
from timebank.community.models import Notification
from timebank.extensions import db
from timebank.ledger.banks import get_pot_account
from timebank.ledger.models import Account, Role, Transfer, TransferKind
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.transfers import record_transfer

TODAY = bank_today()


@pytest.fixture
def riverside(live_server):
    """A coordinator, four members (Dan already at the floor) and an organisation."""
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank", floor_minutes=-120)
        coordinator = make_member(
            session,
            email="coord@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        people = {
            name: make_member(
                session, email=f"{name.lower()}@example.org", name=f"{name} Example", bank=bank
            )
            for name in ("Alice", "Bob", "Carol", "Dan")
        }
        organisation = OrganisationFactory(bank=bank, name="Council Youth Team")
        record_transfer(
            session,
            actor=coordinator,
            giver=people["Carol"].account,
            receiver=people["Dan"].account,
            minutes=120,
            service_date=TODAY,
        )
        donate_to_pot(session, actor=coordinator, donor=organisation.account, minutes=300)
        session.commit()
        return {
            "bank_id": bank.id,
            "organisation_id": organisation.id,
            **{name: m.account.id for name, m in people.items()},
        }


def sign_in(page, live_server, email="coord@example.org"):
    set_up_two_step(live_server.app, email)
    page.goto(live_server.url("/auth/sign-in"))
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    give_code_in_browser(page, live_server.app, email)


def read(live_server, fn):
    with live_server.app.app_context():
        db.session.expire_all()
        return fn(db.session)


def group_count(session):
    return session.scalar(
        sa.select(sa.func.count()).select_from(Transfer).where(Transfer.kind == TransferKind.GROUP)
    )


def balance_of(account_id):
    return lambda session: session.get(Account, account_id).balance


def test_recording_a_workshop_with_one_invalid_person_then_success(
    page, live_server, riverside, axe_check
):
    sign_in(page, live_server)
    page.goto(live_server.url("/coordinators/group-exchange"))
    assert page.get_by_role("heading", level=1).inner_text() == "Record a group exchange"
    axe_check(page)

    # The shared details first; the date is already today's.
    assert page.get_by_label("Date").input_value() == TODAY.isoformat()
    page.get_by_label("One person or organisation gave time to everyone").check()
    choose_person(page, "#hub_name", "alice", "Alice Example")
    page.locator("#hours").select_option("2")
    page.get_by_label("Category").select_option(label="Learning and skills")
    page.get_by_label("What happened").fill("Bike maintenance workshop")

    # Find Bob and Dan, add them, then Carol: nothing typed is lost.
    page.get_by_label("Find people by name").fill("b")
    page.get_by_label("Find people by name").press("Enter")  # Enter searches
    page.get_by_role("checkbox", name="Bob Example").check()
    page.get_by_label("Find people by name").fill("dan")
    page.get_by_role("button", name="Find").click()
    # Someone ticked before searching again is added, not lost.
    assert page.locator("#group-title").inner_text() == "In the group: 1 person"
    page.get_by_role("checkbox", name="Dan Example").check()
    page.get_by_role("button", name="Add the ticked people").click()
    expect(page.locator("#group-title")).to_have_text("In the group: 2 people", use_inner_text=True)
    page.get_by_label("Find people by name").fill("car")
    page.get_by_role("button", name="Find").click()
    # Ticking Carol waits for the search's page; then Alice is seen not to be on it.
    page.get_by_role("checkbox", name="Carol Example").check()
    assert page.get_by_role("checkbox", name="Alice Example").count() == 0
    page.get_by_role("button", name="Add the ticked people").click()
    expect(page.locator("#group-title")).to_have_text("In the group: 3 people", use_inner_text=True)
    assert page.get_by_label("What happened").input_value() == "Bike maintenance workshop"
    page.get_by_label("Hours for Bob Example").select_option("1")
    page.get_by_label("Minutes for Bob Example").select_option("30")
    axe_check(page)

    # Dan is at the floor: the review names him and nothing is written.
    page.get_by_role("button", name="Review the group exchange").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Dan Example has reached the time bank's limit of -2 h" in summary.inner_text()
    assert page.title().startswith("Error: ")
    assert page.locator("#participants").get_attribute("aria-describedby") == ("participants-error")
    axe_check(page)
    assert read(live_server, group_count) == 0

    # Take Dan out and review again.
    page.get_by_role("button", name="Remove Dan Example").click()
    expect(page.locator("#group-title")).to_have_text("In the group: 2 people", use_inner_text=True)
    page.get_by_role("button", name="Review the group exchange").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the group exchange", use_inner_text=True
    )
    assert page.locator("#group-total").inner_text() == "3 h 30 min"
    rows = page.locator("tbody tr")
    assert rows.nth(0).inner_text().split("\t") == [
        "Alice Example (at the centre)",
        "Gives 3 h 30 min",
        "0 min",
        "3 h 30 min",
    ]
    assert "Receives 1 h 30 min" in rows.nth(1).inner_text()
    axe_check(page)
    assert read(live_server, group_count) == 0

    # A double submit: the same form sent twice (here once by script, then by the button).
    page.evaluate(
        """async () => {
            const form = document.querySelector('main form');
            const data = new FormData(form);
            data.append('action', 'record');
            await fetch(location.href, {method: 'POST', body: data, redirect: 'manual'});
        }"""
    )
    assert read(live_server, group_count) == 2
    page.get_by_role("button", name="Record the group exchange").click()
    notice = page.locator(".notice").inner_text()
    assert "Recorded the group exchange with Alice Example: 2 people, 3 h 30 min in all." in notice
    assert "That group exchange was already recorded; it was not recorded twice." in notice
    assert read(live_server, group_count) == 2
    assert read(live_server, balance_of(riverside["Alice"])) == 210
    assert read(live_server, balance_of(riverside["Bob"])) == -90
    assert read(live_server, balance_of(riverside["Carol"])) == 0
    axe_check(page)


def test_granting_from_the_pot(page, live_server, riverside, axe_check):
    sign_in(page, live_server)
    page.goto(live_server.url("/coordinators/pot"))
    assert page.locator("#pot-balance").inner_text() == "5 h"
    axe_check(page)

    # Missing reason and more than the pot holds: errors beside the fields.
    choose_person(page, "#grant-counterpart_name", "alice", "Alice Example")
    page.locator("#grant-hours").select_option("6")
    page.get_by_role("button", name="Grant from the pot").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert "Give a reason" in page.locator("#grant-reason-error").inner_text()
    axe_check(page)

    page.get_by_label("Reason for the grant").fill("Recovering from an operation")
    page.get_by_role("button", name="Grant from the pot").click()
    expect(page.locator("#grant-hours-error")).to_contain_text(
        "The community pot holds 5 h", use_inner_text=True
    )
    axe_check(page)
    assert read(live_server, lambda s: get_pot_account(s, riverside["bank_id"]).balance) == 300

    page.locator("#grant-hours").select_option("2")
    page.get_by_role("button", name="Grant from the pot").click()
    expect(page.locator(".notice")).to_contain_text(
        "Granted 2 h from the pot to Alice Example.", use_inner_text=True
    )
    assert page.locator("#pot-balance").inner_text() == "3 h"
    assert "Recovering from an operation" in page.locator("tbody").inner_text()
    axe_check(page)
    assert read(live_server, balance_of(riverside["Alice"])) == 120
    messages = read(
        live_server,
        lambda s: s.scalars(
            sa.select(Notification.message).where(Notification.kind == "pot_grant")
        ).all(),
    )
    assert messages == [
        "You received 2 h from the community pot. Reason: Recovering from an operation"
    ]


def test_organisation_pages_pass_axe(page, live_server, riverside, axe_check):
    sign_in(page, live_server)
    page.goto(live_server.url("/coordinators/organisations"))
    axe_check(page)
    page.get_by_role("button", name="Add the organisation").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Give the organisation a name.", use_inner_text=True
    )
    axe_check(page)
    page.get_by_label("Name of the organisation").fill("Food Bank Charity")
    page.get_by_role("button", name="Add the organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Food Bank Charity", use_inner_text=True
    )
    choose_person(page, "#membership_name", "bob", "Bob Example")
    page.get_by_role("button", name="Add to the staff").click()
    expect(page.locator(".notice")).to_contain_text(
        "Bob Example can now act for Food Bank Charity.", use_inner_text=True
    )
    axe_check(page)
    page.goto(live_server.url(f"/coordinators/organisations/{riverside['organisation_id']}"))
    assert "Community pot" in page.locator("main").inner_text()
    axe_check(page)


def test_the_group_form_reflows_at_320_px(new_page, live_server, riverside):
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, live_server)
    for path in ("/coordinators/group-exchange", "/coordinators/pot"):
        page.goto(live_server.url(path))
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)
