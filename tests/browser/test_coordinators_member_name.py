"""A coordinator corrects a member's name on a phone 320 px wide: the form on the
member's page, a refusal with the error summary and the message at the field, then the
correction; axe-core at each step and no sideways scrolling."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.browser.test_coordinators_members import NO_SIDEWAYS_SCROLL, sign_in
from tests.factories import TimeBankFactory
from tests.web.test_auth import make_member
from timebank.extensions import db
from timebank.ledger.models import Person, Role

PHONE = {"width": 320, "height": 640}


@pytest.fixture
def alice_id(live_server):
    with live_server.app.app_context():
        session = db.session
        bank = TimeBankFactory(name="Riverside Time Bank")
        make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        )
        alice = make_member(session, email="alice@example.org", name="Alice Ashdwon", bank=bank)
        session.commit()
        return alice.id


def name_of(live_server, email):
    with live_server.app.app_context():
        return db.session.scalar(sa.select(Person.display_name).where(Person.email == email))


def test_correcting_a_name_on_a_phone(new_page, live_server, alice_id, axe_check):
    page = new_page(viewport=PHONE)
    sign_in(page, live_server)
    page.goto(live_server.url(f"/coordinators/members/{alice_id}"))
    name_box = page.get_by_label("Name", exact=True)
    assert name_box.input_value() == "Alice Ashdwon"
    assert page.get_by_text("so it changes there too, not only in this one").is_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)

    submit = page.locator("main form[action$='/name'] button[type=submit]")
    name_box.fill("   ")
    submit.click()
    assert page.title().startswith("Error:")
    assert page.locator("#name-display_name-error").inner_text().endswith("Enter their name.")
    assert page.get_by_role("alert").get_by_role("link", name="Enter their name.").is_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    assert name_of(live_server, "alice@example.org") == "Alice Ashdwon"

    page.get_by_label("Name", exact=True).fill("Alice Ashdown")
    page.locator("main form[action$='/name'] button[type=submit]").click()
    assert page.get_by_text(
        "Their name is now Alice Ashdown, in every time bank they belong to."
    ).is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "Alice Ashdown"
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    axe_check(page)
    assert name_of(live_server, "alice@example.org") == "Alice Ashdown"
