"""Coordinators' group exchanges and the community pot, through the real app."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import OrganisationFactory, TimeBankFactory, bank_today
from tests.web.support import make_member, sign_in
from timebank.community.models import Notification
from timebank.community.notifications import Kind
from timebank.ledger.banks import get_pot_account, update_policy
from timebank.ledger.models import (
    Account,
    AuditEntry,
    MembershipStatus,
    Role,
    TimeBank,
    Transfer,
    TransferKind,
    TransferStatus,
)
from timebank.ledger.pot import donate_to_pot, grant_from_pot
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger

TODAY = bank_today()
GROUP = "/coordinators/group-exchange"
POT = "/coordinators/pot"


def ledger_state(session):
    session.expire_all()
    return (
        session.scalar(sa.select(sa.func.count()).select_from(Transfer)),
        session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
        session.execute(
            sa.select(
                Account.id,
                Account.posted_debits,
                Account.posted_credits,
                Account.pending_debits,
                Account.pending_credits,
            ).order_by(Account.id)
        ).all(),
    )


def balance(session, membership_or_org):
    session.expire_all()
    return session.get(Account, membership_or_org.account.id).balance


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def world(session, client):
    bank = TimeBankFactory(name="Riverside Time Bank", floor_minutes=-120, cap_minutes=600)
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
    gone = make_member(
        session,
        email="gone@example.org",
        name="Gwen Gone",
        bank=bank,
        status=MembershipStatus.SUSPENDED,
    )
    organisation = OrganisationFactory(bank=bank, name="Council Youth Team")
    # Dan has already received as much as the floor allows.
    record_transfer(
        session,
        actor=coordinator,
        giver=people["Carol"].account,
        receiver=people["Dan"].account,
        minutes=120,
        service_date=TODAY,
    )
    session.commit()
    sign_in(client, "coord@example.org")
    return {"bank": bank, "coordinator": coordinator, "org": organisation, "gone": gone, **people}


def group_form(
    world,
    hub,
    members,
    *,
    action="review",
    hours="1",
    minutes="0",
    direction="workshop",
    key="key-1",
    **extra,
):
    data = {
        "direction": direction,
        "hub": str(hub.account.id),
        "hours": hours,
        "minutes": minutes,
        "participants": [str(m.account.id) for m in members],
        "service_date": TODAY.isoformat(),
        "category": "learning",
        "description": "Bike maintenance workshop",
        "idempotency_key": key,
        "action": action,
    }
    data.update(extra)
    return data


# Group exchange -----------------------------------------------------------------------


def test_the_form_lists_active_members_and_carries_a_fresh_request_key(client, world):
    page = client.get(GROUP)
    assert page.status_code == 200
    html = text_of(page)
    assert "Record a group exchange" in html
    # No drop-down of members: the person at the centre is found by search as you type,
    # which offers active members and organisations.
    assert "Alice Example" not in html and "Bob Example" not in html
    assert 'data-person-among="payers"' in html
    offered = client.post(
        "/coordinators/people/search", data={"q": "e", "among": "payers"}
    ).get_json()["matches"]
    names = [m["name"] for m in offered]
    for name in ("Alice Example", "Bob Example", "Council Youth Team (organisation)"):
        assert name in names
    assert "Gwen Gone" not in names
    keys = {
        re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', client.get(GROUP).text).group(1)
        for _ in range(2)
    }
    assert len(keys) == 2


def found(html: str) -> list[str]:
    """The names a search offers to add."""
    return re.findall(r'<label for="add-\d+">([^<]+)</label>', html)


def in_group(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)<input type="hidden" name="participants"', html)


def test_the_shared_details_come_first_and_the_date_is_filled_in(client, world):
    html = text_of(client.get(GROUP))
    # No list of every member: nobody is offered before a search.
    assert found(html) == [] and in_group(html) == []
    assert "Nobody yet. Find people by name above and add them." in html
    for earlier, later in (
        ("Which way", "Find people"),
        ('id="service_date"', "Find people"),
        ('id="category"', "Find people"),
        ('id="description"', "Find people"),
    ):
        assert html.index(earlier) < html.index(later)
    date_input = re.search(r'<input[^>]*id="service_date"[^>]*>', html).group(0)
    assert f'value="{TODAY.isoformat()}"' in date_input
    # How a workshop's hours are credited is said plainly.
    assert "The leader earns each participant's hours" in html


def test_people_are_found_by_name_added_and_removed(client, world):
    assert found(text_of(client.get(GROUP + "?filter=ali"))) == ["Alice Example"]
    alice, bob, carol = world["Alice"], world["Bob"], world["Carol"]
    # Bob is in the group; a search for "e" offers everyone else, Bob not twice.
    data = group_form(world, alice, [bob], action="filter", name_filter="e")
    html = text_of(client.post(GROUP, data=data))
    assert in_group(html) == ["Bob Example"]
    assert "Bob Example" not in found(html) and "Carol Example" in found(html)
    # Ticking two and adding them keeps the order people were added in, and clears the
    # search; the details typed so far stay.
    data = group_form(
        world,
        alice,
        [bob],
        action="add",
        name_filter="e",
        add=[str(carol.account.id), str(world["Dan"].account.id)],
        **{f"hours_{bob.account.id}": "2"},
    )
    html = text_of(client.post(GROUP, data=data))
    assert in_group(html) == ["Bob Example", "Carol Example", "Dan Example"]
    assert found(html) == [] and "In the group: 3 people" in html
    assert "Bike maintenance workshop" in html
    assert '<option value="2" selected>' in html  # Bob's own time kept
    # Removing one.
    data = group_form(world, alice, [bob, carol], remove=str(bob.account.id))
    html = text_of(client.post(GROUP, data=data))
    assert in_group(html) == ["Carol Example"]
    assert "Check the group exchange" not in html


def test_a_bank_that_credits_the_sessions_length_pays_the_leader_from_the_pot(
    client, session, world
):
    """The other common rule, chosen in Settings: the leader earns the session's length
    once, paid by the pot (or an organisation), and the people who came spend nothing."""
    from tests.web.test_coordinators_settings import current_form

    response = client.post("/coordinators/settings", data=current_form(group_credit_rule="session"))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(TimeBank, world["bank"].id).group_credit_rule == "session"
    pot = get_pot_account(session, world["bank"].id)
    donate_to_pot(session, actor=world["coordinator"], donor=world["org"].account, minutes=300)
    session.commit()

    html = text_of(client.get(GROUP))
    assert "The leader earns the session's length once" in html
    alice, bob, carol = world["Alice"], world["Bob"], world["Carol"]
    # Without a payer the form says so at the field and records nothing.
    data = group_form(world, alice, [bob, carol], hours="2")
    response = client.post(GROUP, data=data)
    assert response.status_code == 400
    assert "Choose who pays for the session." in text_of(response)

    data = group_form(world, alice, [bob, carol], hours="2", funder=str(pot.id))
    review = text_of(client.post(GROUP, data=data))
    assert (
        "Community pot (pays for the session)</th> <td>Pays 2 h</td> <td>5 h</td> <td>3 h</td>"
        in review
    )
    assert review.count("Came; spends nothing") == 2

    response = client.post(GROUP, data={**data, "action": "record"})
    assert response.status_code == 302
    follow = text_of(client.get(response.headers["Location"]))
    assert (
        "Recorded the session with Alice Example for 2 people: Alice Example earns 2 h,"
        " paid by Community pot." in follow
    )
    session.expire_all()
    transfers = session.scalars(
        sa.select(Transfer).where(Transfer.kind == TransferKind.GROUP)
    ).all()
    assert [(t.debit_account_id, t.credit_account_id, t.minutes) for t in transfers] == [
        (pot.id, alice.account.id, 120)
    ]
    assert session.get(Account, bob.account.id).balance == 0


def test_review_shows_totals_and_balances_after_and_writes_nothing(client, session, world):
    before = ledger_state(session)
    data = group_form(
        world,
        world["Alice"],
        [world["Bob"], world["Carol"]],
        hours="2",
        **{f"hours_{world['Carol'].account.id}": "1", f"minutes_{world['Carol'].account.id}": "30"},
    )
    response = client.post(GROUP, data=data)
    assert response.status_code == 200
    html = text_of(response)
    assert "Check the group exchange" in html
    assert 'id="group-total">3 h 30 min<' in html
    # Alice gives 3 h 30 min: 0 -> 3 h 30 min; Bob receives 2 h; Carol (at 2 h) 1 h 30 min.
    assert (
        "Alice Example (at the centre)</th> <td>Gives 3 h 30 min</td> <td>0 min</td>"
        " <td>3 h 30 min</td>" in html
    )
    assert "Bob Example</th> <td>Receives 2 h</td> <td>0 min</td> <td>-2 h</td>" in html
    assert "Carol Example</th> <td>Receives 1 h 30 min</td> <td>2 h</td> <td>30 min</td>" in html
    assert ledger_state(session) == before


def test_recording_posts_every_entry_together_and_a_double_submit_records_once(
    client, session, world
):
    data = group_form(world, world["Alice"], [world["Bob"], world["Carol"]], action="record")
    response = client.post(GROUP, data=data)
    assert response.status_code == 302
    follow = text_of(client.get(response.headers["Location"]))
    assert "Recorded the group exchange with Alice Example: 2 people, 2 h in all." in follow
    transfers = session.scalars(
        sa.select(Transfer).where(Transfer.kind == TransferKind.GROUP)
    ).all()
    assert len(transfers) == 2
    assert {t.status for t in transfers} == {TransferStatus.POSTED}
    assert len({t.batch_id for t in transfers}) == 1
    assert balance(session, world["Alice"]) == 120
    assert balance(session, world["Bob"]) == -60

    again = client.post(GROUP, data=data)
    assert again.status_code == 302
    assert "already recorded" in text_of(client.get(again.headers["Location"]))
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Transfer)
            .where(Transfer.kind == TransferKind.GROUP)
        )
        == 2
    )
    assert balance(session, world["Alice"]) == 120
    assert verify_ledger(session) == []


def test_one_person_breaking_a_rule_names_them_and_nothing_is_written(client, session, world):
    before = ledger_state(session)
    for action in ("review", "record"):
        data = group_form(world, world["Alice"], [world["Bob"], world["Dan"]], action=action)
        response = client.post(GROUP, data=data)
        assert response.status_code == 400
        html = text_of(response)
        assert "There is a problem" in html
        assert "Dan Example has reached the time bank&#39;s limit of -2 h" in html
        assert ledger_state(session) == before


def test_an_inactive_member_in_the_group_is_named(client, session, world):
    before = ledger_state(session)
    response = client.post(
        GROUP, data=group_form(world, world["Alice"], [world["Bob"], world["gone"]])
    )
    assert response.status_code == 400
    assert "Gwen Gone is not an active member of this time bank." in text_of(response)
    assert ledger_state(session) == before


def test_a_working_party_for_an_organisation_with_a_different_time_for_one_person(
    client, session, world
):
    data = group_form(
        world,
        world["org"],
        [world["Alice"], world["Bob"]],
        direction="working_party",
        action="record",
        hours="3",
        **{f"hours_{world['Bob'].account.id}": "0", f"minutes_{world['Bob'].account.id}": "45"},
    )
    assert client.post(GROUP, data=data).status_code == 302
    assert balance(session, world["Alice"]) == 180
    assert balance(session, world["Bob"]) == 45
    assert balance(session, world["org"]) == -225


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"participants": []}, "Choose at least one person for the group."),
        ({"hub": ""}, "Choose the person or organisation at the centre."),
        (
            {"service_date": (TODAY + timedelta(days=1)).isoformat()},
            "The date cannot be in the future.",
        ),
        ({"hours": "0", "minutes": "0"}, "Alice Example: The time must be more than zero."),
    ],
)
def test_refusals_show_a_message_and_write_nothing(client, session, world, change, message):
    before = ledger_state(session)
    data = group_form(world, world["Bob"], [world["Alice"]], action="record")
    data.update(change)
    response = client.post(GROUP, data=data)
    assert response.status_code == 400
    assert message in text_of(response)
    assert ledger_state(session) == before


def test_the_person_at_the_centre_cannot_also_be_in_the_group(client, session, world):
    response = client.post(
        GROUP, data=group_form(world, world["Alice"], [world["Alice"], world["Bob"]])
    )
    assert response.status_code == 400
    assert (
        "Alice Example is at the centre of the exchange and cannot also be in the group."
        in text_of(response)
    )


def test_someone_from_another_bank_cannot_be_added(client, session, world):
    stranger = make_member(session, email="x@example.org", name="Xavier Elsewhere")
    before = ledger_state(session)
    response = client.post(
        GROUP, data=group_form(world, world["Alice"], [stranger], action="record")
    )
    assert response.status_code == 404
    assert ledger_state(session) == before


# The pot ------------------------------------------------------------------------------


def pot_balance(session, bank):
    session.expire_all()
    return get_pot_account(session, bank.id).balance


def grant(client, world, member, hours="1", minutes="0", reason="Recovering from surgery", key=""):
    return client.post(
        POT + "/grant",
        data={
            "grant-counterpart": str(member.account.id),
            "grant-hours": hours,
            "grant-minutes": minutes,
            "grant-reason": reason,
            "grant-idempotency_key": key,
        },
    )


def donate(client, donor, hours="1", minutes="0", key="donation-key"):
    return client.post(
        POT + "/donate",
        data={
            "donate-donor": str(donor.account.id),
            "donate-hours": hours,
            "donate-minutes": minutes,
            "donate-description": "Spare hours",
            "donate-idempotency_key": key,
        },
    )


def test_the_pot_page_shows_the_balance_and_the_forms(client, session, world):
    page = client.get(POT)
    assert page.status_code == 200
    html = text_of(page)
    assert 'id="pot-balance">0 min<' in html
    assert "Nothing has been donated or granted yet." in html
    assert "Grant hours to a member" in html and "Record a donation to the pot" in html


def test_a_member_donation_then_a_grant_with_a_notification(client, session, world):
    # Carol earned 2 h from Dan.
    response = donate(client, world["Carol"], hours="1", minutes="30")
    assert response.status_code == 302
    assert "Recorded a donation of 1 h 30 min from Carol Example." in text_of(
        client.get(response.headers["Location"])
    )
    assert pot_balance(session, world["bank"]) == 90
    assert balance(session, world["Carol"]) == 30
    assert 'id="pot-balance">1 h 30 min<' in text_of(client.get(POT))

    response = grant(client, world, world["Alice"], hours="1", reason="Recovering from surgery")
    assert response.status_code == 302
    assert pot_balance(session, world["bank"]) == 30
    assert balance(session, world["Alice"]) == 60
    note = session.scalar(
        sa.select(Notification).where(
            Notification.membership_id == world["Alice"].id, Notification.kind == Kind.GRANT
        )
    )
    assert note is not None
    assert note.message == (
        "You received 1 h from the community pot. Reason: Recovering from surgery"
    )

    html = text_of(client.get(POT))
    assert 'id="pot-balance">30 min<' in html
    assert (
        "Grant out</td> <td>Alice Example</td> <td>&minus;1 h</td>"
        " <td>Recovering from surgery</td>" in html
    )
    assert "Donation in</td> <td>Carol Example</td> <td>+1 h 30 min</td>" in html
    assert verify_ledger(session) == []


def test_a_donation_submitted_twice_is_recorded_once(client, session, world):
    assert donate(client, world["Carol"], key="same").status_code == 302
    again = donate(client, world["Carol"], key="same")
    assert "already recorded" in text_of(client.get(again.headers["Location"]))
    assert pot_balance(session, world["bank"]) == 60


def test_a_grant_submitted_twice_is_granted_once(client, session, world):
    donate(client, world["Carol"], hours="2", minutes="0")
    assert grant(client, world, world["Alice"], key="grant-1").status_code == 302
    again = grant(client, world, world["Alice"], key="grant-1")
    assert "already recorded" in text_of(client.get(again.headers["Location"]))
    assert balance(session, world["Alice"]) == 60
    told = session.scalars(
        sa.select(Notification).where(
            Notification.membership_id == world["Alice"].id, Notification.kind == Kind.GRANT
        )
    ).all()
    assert len(told) == 1


def test_an_organisation_can_donate(client, session, world):
    assert donate(client, world["org"], hours="5").status_code == 302
    assert pot_balance(session, world["bank"]) == 300
    # Donating hands credits over: the organisation's balance goes down.
    assert balance(session, world["org"]) == -300


def test_a_member_cannot_donate_hours_they_have_not_earned(client, session, world):
    before = ledger_state(session)
    response = donate(client, world["Bob"])
    assert response.status_code == 400
    html = text_of(response)
    assert "You can donate at most 0 min: only hours you have earned can go to the pot." in html
    assert 'id="donate-hours-error"' in html
    assert ledger_state(session) == before


def test_a_grant_over_the_pots_balance_is_refused(client, session, world):
    donate(client, world["Carol"], hours="1")
    before = ledger_state(session)
    response = grant(client, world, world["Alice"], hours="2")
    assert response.status_code == 400
    html = text_of(response)
    assert "The community pot holds 1 h that is not already promised" in html
    assert 'id="grant-hours-error"' in html
    assert ledger_state(session) == before


def test_a_grant_over_the_recipients_cap_is_refused(client, session, world):
    update_policy(session, actor=None, bank=world["bank"], cap_minutes=60)
    donate_to_pot(session, actor=world["coordinator"], donor=world["org"].account, minutes=300)
    session.commit()
    before = ledger_state(session)
    response = grant(client, world, world["Alice"], hours="2")
    assert response.status_code == 400
    assert "Alice Example has reached the time bank&#39;s upper limit of 1 h" in text_of(response)
    assert ledger_state(session) == before


def test_a_grant_needs_a_reason(client, session, world):
    donate(client, world["Carol"], hours="1")
    before = ledger_state(session)
    response = grant(client, world, world["Alice"], reason="   ")
    assert response.status_code == 400
    assert "Give a reason; it is kept in the record." in text_of(response)
    assert ledger_state(session) == before


def test_a_grant_to_someone_of_another_bank_is_refused(client, session, world):
    stranger = make_member(session, email="x@example.org", name="Xavier Elsewhere")
    donate(client, world["Carol"], hours="1")
    before = ledger_state(session)
    response = grant(client, world, stranger)
    assert response.status_code == 400
    assert "Choose someone from the list." in text_of(response)
    assert ledger_state(session) == before


def test_the_pot_history_is_paged_by_keyset(client, session, world):
    """Donations in and grants out, newest first, 25 a page; the links carry the id of
    an entry (no page number, no OFFSET); every entry shows once."""
    for i in range(30):
        donate_to_pot(session, actor=world["coordinator"], donor=world["org"].account, minutes=15)
        if i == 10:
            grant_from_pot(
                session,
                actor=world["coordinator"],
                recipient=world["Alice"].account,
                minutes=15,
                reason="Grant in the middle",
            )
    session.commit()
    pot = get_pot_account(session, world["bank"].id).id
    total = session.scalar(
        sa.select(sa.func.count())
        .select_from(Transfer)
        .where(sa.or_(Transfer.debit_account_id == pot, Transfer.credit_account_id == pot))
    )
    assert total == 31

    def shown(text):
        return text.count("Donation in") + text.count("Grant out")

    first = client.get(POT).text
    assert shown(text_of(client.get(POT))) == 25
    older = re.search(r'href="(/coordinators/pot\?after=\d+)" rel="next">Older entries', first)
    assert older and "page=" not in first
    second_html = client.get(older.group(1)).text
    second = text_of(client.get(older.group(1)))
    assert shown(second) == total - 25
    assert "Grant in the middle" in first + second and "Older entries" not in second
    newer = re.search(
        r'href="(/coordinators/pot\?before=\d+)" rel="prev">Newer entries', second_html
    )
    assert newer
    back = text_of(client.get(newer.group(1)))
    assert shown(back) == 25 and "Newer entries" not in back and "Older entries" in back
    # An id that is not one of this pot's entries gives the first page.
    assert shown(text_of(client.get(POT + "?after=999999"))) == 25


def test_the_review_names_no_category_when_none_was_chosen(client, world):
    """With no category the review read "…gave time to 2 people on <date>, No category."."""
    html = text_of(
        client.post(
            GROUP,
            data=group_form(world, world["Alice"], [world["Bob"], world["Carol"]], category=""),
        )
    )
    sentence = re.search(r"<strong>Alice Example</strong> gave time to 2 people on [^<]*", html)
    assert sentence is not None, html
    assert "No category" not in sentence.group(0)
    assert sentence.group(0).rstrip().endswith(".")
