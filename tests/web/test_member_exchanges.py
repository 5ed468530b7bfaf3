"""A member logs an exchange, the other person confirms or disputes it, and a member
donates hours to the community pot - through the real app and a real database.

What a person notices: the review step shows the balance afterwards and writes
nothing; recording says plainly what happens next; a double submit records once; a
mistake is explained beside the field and what was typed stays; the other person is
told and can confirm or say it is not right; someone else's entry is not found.
"""

from __future__ import annotations

import html as htmllib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import CoordinatorFactory, TimeBankFactory, bank_today
from tests.reports.test_statements import count_queries
from tests.web.test_auth import (
    csrf_app,  # noqa: F401 - fixture
    csrf_token_from,
    location_path,
    make_member,
    sign_in,
)
from timebank.community.models import Notification
from timebank.community.notifications import Kind, notify_transfer_outcome
from timebank.extensions import db
from timebank.ledger.banks import get_pot_account, update_policy
from timebank.ledger.models import MembershipStatus, Transfer, TransferStatus
from timebank.ledger.transfers import approve_transfer, record_transfer, reject_transfer

LOG = "/members/log"
CONFIRM = "/members/confirm"
DONATE = "/members/donate"
TODAY = bank_today()


@pytest.fixture
def bank(session):
    """The default policy: the other person confirms, then a coordinator approves."""
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def people(session, bank):
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    carol = make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank)
    coordinator = CoordinatorFactory(bank=bank)
    other_bank = TimeBankFactory(name="Hillside Time Bank")
    dora = make_member(session, email="dora@example.org", name="Dora Dunn", bank=other_bank)
    session.commit()
    return {"alice": alice, "bob": bob, "carol": carol, "coord": coordinator, "dora": dora}


def set_policy(session, bank, **values):
    update_policy(session, actor=None, bank=bank, **values)
    session.commit()


def entry(people, **overrides):
    data = {
        "direction": "gave",
        "counterpart": str(people["bob"].account.id),
        "hours": "1",
        "minutes": "30",
        "service_date": TODAY.isoformat(),
        "category": "",
        "description": "Weeding the front garden",
        "idempotency_key": "key-1",
    }
    data.update(overrides)
    return data


def transfers(session):
    session.expire_all()
    return session.scalars(sa.select(Transfer).order_by(Transfer.id)).all()


def notes_of(session, membership, kind=None):
    session.expire_all()
    query = sa.select(Notification).where(Notification.membership_id == membership.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return session.scalars(query).all()


def balance_of(session, membership):
    session.expire_all()
    return membership.account.balance


def field_error(html, field_id):
    """The error text shown at a field, checking the field points at it."""
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no error at the field {field_id}"
    control = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', html)
    assert control and f"{field_id}-error" in control.group(0), "error not tied to field"
    assert 'aria-invalid="true"' in control.group(0)
    assert f'href="#{field_id}"' in html, "the error summary does not link to the field"
    text = re.sub(r"<[^>]+>", "", match.group(1)).replace("Error:", "").strip()
    return htmllib.unescape(text)


def selected(html, field_id):
    block = re.search(rf'<select[^>]*id="{field_id}".*?</select>', html, re.S).group(0)
    return re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', block)


def chosen_value(html, field_id="counterpart"):
    """The id a person box holds (its hidden field)."""
    match = re.search(
        rf'<input id="{field_id}" name="{field_id}" type="hidden" value="([^"]*)"', html
    )
    return match and match.group(1)


def selected_value(html, field_id):
    match = selected(html, field_id)
    return match and (match.group(1) or match.group(2))


# The log form ------------------------------------------------------------------------


def test_the_form_offers_the_other_members_of_my_bank_by_search_not_a_list(client, session, people):
    make_member(
        session,
        email="eve@example.org",
        name="Eve Gone",
        bank=people["alice"].time_bank,
        status=MembershipStatus.LEFT,
    )
    sign_in(client, "alice@example.org")
    html = client.get(LOG).get_data(as_text=True)
    # No drop-down of members: a name box and the chosen person's id.
    assert not re.search(r'<select[^>]*id="counterpart', html)
    assert "Bob Brennan" not in html and "Carol Cheung" not in html
    assert re.search(r'<input[^>]*id="counterpart_name"[^>]*type="text"', html)
    assert chosen_value(html) == ""
    assert 'data-person-search="/members/people/search"' in html
    # What the box offers: the other active members of my bank, by name only.
    token = csrf_token_from(html)
    names = [
        m["name"]
        for m in client.post(
            "/members/people/search", data={"q": "e", "among": "exchange", "csrf_token": token}
        ).get_json()["matches"]
    ]
    assert "Bob Brennan" in names and "Carol Cheung" in names
    assert names == sorted(names)
    assert "Alice Ashdown" not in names  # not me
    assert "Dora Dunn" not in names  # another bank
    assert "Eve Gone" not in names  # left
    assert f'value="{TODAY.isoformat()}"' in html  # the date defaults to today
    minutes = re.search(r'<select[^>]*id="minutes".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\d+)"', minutes) == ["0", "15", "30", "45"]
    assert "I gave time" in html and "I received time" in html


def test_the_review_step_shows_the_balance_afterwards_and_writes_nothing(client, session, people):
    sign_in(client, "alice@example.org")
    response = client.post(LOG, data={**entry(people), "action": "review"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Check your entry</h1>" in html
    assert "You gave time to Bob Brennan" in html
    assert "adds 1 h 30 min" in html
    assert re.search(r"<dt>Afterwards</dt><dd[^>]*>1 h 30 min</dd>", html)
    assert "Bob Brennan is asked to confirm it. Then a coordinator approves it." in html
    # The typed values travel on as hidden fields with the same idempotency key.
    assert 'name="idempotency_key" value="key-1"' in html
    assert 'name="description" value="Weeding the front garden"' in html
    assert 'value="record"' in html and 'value="change"' in html
    assert transfers(session) == []


def test_receiving_shows_the_balance_going_down(client, session, people):
    sign_in(client, "alice@example.org")
    html = client.post(
        LOG,
        data={**entry(people, direction="received", hours="2", minutes="0"), "action": "review"},
    ).get_data(as_text=True)
    assert "You received time from Bob Brennan" in html
    assert "takes away 2 h" in html
    assert re.search(r"<dt>Afterwards</dt><dd[^>]*>-2 h</dd>", html)


def test_change_brings_back_the_form_with_what_was_typed(client, session, people):
    sign_in(client, "alice@example.org")
    html = client.post(LOG, data={**entry(people), "action": "change"}).get_data(as_text=True)
    assert "<h1>Log an exchange</h1>" in html
    assert "Weeding the front garden</textarea>" in html
    assert chosen_value(html) == str(people["bob"].account.id)
    assert selected_value(html, "minutes") == "30"
    assert 'value="key-1"' in html
    assert transfers(session) == []


def test_recording_waits_for_the_other_person_and_tells_them(client, session, people):
    sign_in(client, "alice@example.org")
    response = client.post(LOG, data={**entry(people), "action": "record"})
    assert response.status_code == 302
    [transfer] = transfers(session)
    assert location_path(response) == f"/members/log/{transfer.id}"
    assert transfer.status == TransferStatus.PENDING
    assert transfer.credit_account_id == people["alice"].account.id
    assert transfer.minutes == 90 and transfer.description == "Weeding the front garden"
    html = client.get(location_path(response)).get_data(as_text=True)
    assert "Waiting for Bob Brennan to confirm, then for a coordinator to approve" in html
    [note] = notes_of(session, people["bob"], Kind.TO_CONFIRM)
    assert "received from Alice Ashdown" in note.message
    assert note.transfer_id == transfer.id
    assert notes_of(session, people["alice"]) == []


def test_a_double_submit_records_once(client, session, people):
    sign_in(client, "alice@example.org")
    first = client.post(LOG, data={**entry(people), "action": "record"})
    second = client.post(LOG, data={**entry(people), "action": "record"})
    assert len(transfers(session)) == 1
    assert first.headers["Location"] == second.headers["Location"]
    assert len(notes_of(session, people["bob"], Kind.TO_CONFIRM)) == 1
    assert people["bob"].account.pending_credits == 0
    assert people["bob"].account.pending_debits == 90


def test_with_approval_only_it_waits_for_a_coordinator(client, session, people, bank):
    set_policy(session, bank, requires_confirmation=False)
    sign_in(client, "alice@example.org")
    response = client.post(LOG, data={**entry(people), "action": "record"})
    html = client.get(location_path(response)).get_data(as_text=True)
    assert "Waiting for a coordinator to approve" in html
    assert notes_of(session, people["bob"]) == []


def test_without_checks_it_is_done_at_once(client, session, people, bank):
    set_policy(session, bank, requires_confirmation=False, requires_approval=False)
    sign_in(client, "alice@example.org")
    review = client.post(LOG, data={**entry(people), "action": "review"}).get_data(as_text=True)
    assert "It is added to both balances straight away." in review
    response = client.post(LOG, data={**entry(people), "action": "record"})
    html = client.get(location_path(response)).get_data(as_text=True)
    assert "Done — counted in the balances." in html
    assert balance_of(session, people["alice"]) == 90
    assert balance_of(session, people["bob"]) == -90


# Refusals at the field, keeping what was typed ----------------------------------------


@pytest.mark.parametrize("action", ["review", "record"])
def test_a_future_date_is_refused_at_the_date(client, session, people, action):
    sign_in(client, "alice@example.org")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = client.post(LOG, data={**entry(people, service_date=tomorrow), "action": action})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Error: Log an exchange" in html
    assert field_error(html, "service_date") == "The date cannot be in the future."
    assert f'value="{tomorrow}"' in html
    assert "Weeding the front garden</textarea>" in html
    assert chosen_value(html) == str(people["bob"].account.id)
    assert selected_value(html, "hours") == "1" and selected_value(html, "minutes") == "30"
    assert re.search(r'<input checked id="direction-0"[^>]*value="gave"', html)
    assert transfers(session) == []


def test_a_date_too_long_ago_is_refused_at_the_date(client, session, people):
    sign_in(client, "alice@example.org")
    old = (TODAY - timedelta(days=200)).isoformat()
    html = client.post(LOG, data={**entry(people, service_date=old), "action": "review"}).get_data(
        as_text=True
    )
    assert field_error(html, "service_date").startswith("The date cannot be more than 90 days ago")


def test_too_many_hours_are_refused_at_the_hours(client, session, people):
    sign_in(client, "alice@example.org")
    html = client.post(
        LOG, data={**entry(people, hours="12", minutes="15"), "action": "review"}
    ).get_data(as_text=True)
    assert field_error(html, "hours").startswith("One entry can carry at most 12 h.")
    assert selected_value(html, "hours") == "12" and selected_value(html, "minutes") == "15"


def test_zero_time_is_refused_at_the_hours(client, session, people):
    sign_in(client, "alice@example.org")
    html = client.post(
        LOG, data={**entry(people, hours="0", minutes="0"), "action": "review"}
    ).get_data(as_text=True)
    assert field_error(html, "hours") == "The time must be more than zero."


def test_going_below_the_floor_is_refused_at_the_hours(client, session, people, bank):
    set_policy(session, bank, floor_minutes=-120, requires_approval=False)
    sign_in(client, "alice@example.org")
    html = client.post(
        LOG,
        data={**entry(people, direction="received", hours="3", minutes="0"), "action": "record"},
    ).get_data(as_text=True)
    # Said to Alice herself, with the numbers.
    assert field_error(html, "hours") == (
        "You can receive up to 2 h more just now: your balance is 0 min and the time bank"
        " lets balances go down to -2 h. Give some time first, then you can receive more."
    )
    assert transfers(session) == []


def test_the_floor_message_counts_the_entries_still_waiting(client, session, people, bank):
    """Her balance is 0, yet she cannot receive 1 h 30: 45 min she received is still
    waiting for her to confirm it, and it counts first."""
    set_policy(session, bank, floor_minutes=-120)
    bob_logs(session, people, minutes=45)
    sign_in(client, "alice@example.org")
    data = entry(
        people, direction="received", counterpart=str(people["carol"].account.id), minutes="30"
    )
    html = client.post(LOG, data={**data, "hours": "1", "action": "record"}).get_data(as_text=True)
    assert field_error(html, "hours") == (
        "You can receive up to 1 h 15 min more just now. Your balance is 0 min, and 45 min"
        " you have received is still waiting to be confirmed or approved; the time bank lets"
        " balances go down to -2 h."
    )
    # Logged for Carol the other way round, the limit is Carol's: named in the third person.
    set_policy(session, bank, floor_minutes=0)
    html = client.post(
        LOG, data={**data, "direction": "gave", "action": "record", "idempotency_key": "k2"}
    ).get_data(as_text=True)
    assert "Carol Cheung has reached the time bank's limit" in field_error(html, "hours")


def test_the_donate_page_explains_what_waits(client, session, people, bank):
    set_policy(session, bank, requires_confirmation=False, requires_approval=False)
    record_transfer(
        session,
        actor=people["alice"],
        giver=people["alice"].account,
        receiver=people["bob"].account,
        minutes=60,
        service_date=TODAY,
    )
    set_policy(session, bank, requires_confirmation=True)
    bob_logs(session, people, minutes=45)
    sign_in(client, "alice@example.org")
    html = htmllib.unescape(client.get(DONATE).get_data(as_text=True))
    assert "You can donate up to <strong>15 min</strong>" in html
    assert (
        "Your balance is 1 h, but 45 min you have received is still waiting to be confirmed or"
        " approved" in html
    )


@pytest.mark.parametrize("who", ["nobody", "other-bank", "blank"])
def test_an_unknown_person_is_refused_at_the_name(client, session, people, who):
    sign_in(client, "alice@example.org")
    value = {"nobody": "999999", "other-bank": str(people["dora"].account.id), "blank": ""}[who]
    html = client.post(LOG, data={**entry(people, counterpart=value), "action": "review"}).get_data(
        as_text=True
    )
    message = field_error(html, "counterpart_name")
    assert message in (
        "Choose someone from the list.",
        "Type the name of the person you exchanged time with, and choose them.",
    )
    assert "Weeding the front garden</textarea>" in html
    assert transfers(session) == []


def test_myself_is_refused_at_the_name(client, session, people):
    sign_in(client, "alice@example.org")
    mine = str(people["alice"].account.id)
    html = client.post(LOG, data={**entry(people, counterpart=mine), "action": "record"}).get_data(
        as_text=True
    )
    # I am not among the people the box may name.
    assert field_error(html, "counterpart_name") == "Choose someone from the list."
    assert transfers(session) == []


def test_a_missing_direction_is_refused_at_the_choice(client, session, people):
    sign_in(client, "alice@example.org")
    data = entry(people)
    del data["direction"]
    html = client.post(LOG, data={**data, "action": "review"}).get_data(as_text=True)
    assert 'id="direction-error"' in html and 'href="#direction-0"' in html
    assert 'aria-describedby="direction-error"' in html
    assert "Choose whether you gave time or received it." in html


def test_the_log_form_refuses_a_post_without_the_csrf_token(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        bank = TimeBankFactory()
        alice = make_member(db.session, email="alice@example.org", name="Alice A", bank=bank)
        bob = make_member(db.session, email="bob@example.org", name="Bob B", bank=bank)
        bob_account = bob.account.id
        del alice
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/sign-in").get_data(as_text=True))
    client.post(
        "/auth/sign-in",
        data={
            "email": "alice@example.org",
            "password": "a long enough test password",
            "csrf_token": token,
        },
    )
    page = client.get(LOG)
    assert page.status_code == 200
    data = {
        "direction": "gave",
        "counterpart": str(bob_account),
        "hours": "1",
        "minutes": "0",
        "service_date": TODAY.isoformat(),
        "idempotency_key": "csrf-test",
        "action": "record",
    }
    assert client.post(LOG, data=data).status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0
    # With the token from the page, the same request records.
    token = csrf_token_from(page.get_data(as_text=True))
    assert client.post(LOG, data={**data, "csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 1


def test_the_log_page_needs_sign_in(client, people):
    response = client.get(LOG)
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_the_status_of_someone_elses_entry_is_not_found(client, session, people):
    transfer = record_transfer(
        session,
        actor=people["bob"],
        giver=people["bob"].account,
        receiver=people["carol"].account,
        minutes=60,
        service_date=TODAY,
    )
    session.commit()
    sign_in(client, "alice@example.org")
    assert client.get(f"/members/log/{transfer.id}").status_code == 404


# Confirm or dispute ---------------------------------------------------------------------


def bob_logs(session, people, minutes=60, giver="bob", receiver="alice"):
    transfer = record_transfer(
        session,
        actor=people["bob"],
        giver=people[giver].account,
        receiver=people[receiver].account,
        minutes=minutes,
        service_date=TODAY,
        description="A lift to the surgery",
    )
    session.commit()
    return transfer.id


def test_the_confirm_page_lists_what_waits_for_me(client, session, people):
    waiting = bob_logs(session, people)
    bob_logs(session, people, giver="bob", receiver="carol")  # not mine
    sign_in(client, "alice@example.org")
    html = client.get(CONFIRM).get_data(as_text=True)
    assert "Bob Brennan gave you 1 h" in html
    assert "A lift to the surgery" in html
    assert f'action="/members/confirm/{waiting}"' in html
    assert f'action="/members/dispute/{waiting}"' in html
    assert html.count('<section class="card confirm-entry"') == 1
    # The recorder does not see it as something to confirm.
    client.post("/auth/sign-out")
    sign_in(client, "bob@example.org")
    assert "Nothing is waiting for you to confirm." in client.get(CONFIRM).get_data(as_text=True)


def test_confirming_posts_and_tells_the_recorder(client, session, people, bank):
    set_policy(session, bank, requires_approval=False)
    tid = bob_logs(session, people)
    sign_in(client, "alice@example.org")
    response = client.post(f"/members/confirm/{tid}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The exchange with Bob Brennan is confirmed and added to both balances." in html
    assert "Nothing is waiting for you to confirm." in html
    assert balance_of(session, people["alice"]) == -60
    assert balance_of(session, people["bob"]) == 60
    [note] = notes_of(session, people["bob"], Kind.POSTED)
    assert "is done and counted in your balance" in note.message
    assert notes_of(session, people["alice"], Kind.POSTED) == []


def test_confirming_then_a_coordinator_approves(client, session, people):
    tid = bob_logs(session, people)
    sign_in(client, "alice@example.org")
    html = client.post(f"/members/confirm/{tid}", follow_redirects=True).get_data(as_text=True)
    assert "It now waits for a coordinator to approve it." in html
    assert notes_of(session, people["bob"], Kind.POSTED) == []
    session.expire_all()
    approve_transfer(session, actor=people["coord"], transfer_id=tid)
    session.commit()
    assert balance_of(session, people["alice"]) == -60


def test_confirming_twice_says_so_plainly(client, session, people):
    tid = bob_logs(session, people)
    sign_in(client, "alice@example.org")
    client.post(f"/members/confirm/{tid}")
    html = client.post(f"/members/confirm/{tid}", follow_redirects=True).get_data(as_text=True)
    assert "This exchange is not waiting for a confirmation." in html


def test_a_dispute_needs_a_reason_at_the_field(client, session, people):
    tid = bob_logs(session, people)
    sign_in(client, "alice@example.org")
    response = client.post(f"/members/dispute/{tid}", data={f"t{tid}-reason": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say what is not right" in field_error(html, f"t{tid}-reason")
    assert '<details class="dispute" open>' in html
    session.expire_all()
    assert session.get(Transfer, tid).status == TransferStatus.PENDING


def test_a_dispute_rejects_and_tells_the_recorder_why(client, session, people):
    tid = bob_logs(session, people)
    sign_in(client, "alice@example.org")
    response = client.post(
        f"/members/dispute/{tid}",
        data={f"t{tid}-reason": "It was 30 minutes, not an hour."},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "You said the entry with Bob Brennan is not right." in html
    session.expire_all()
    transfer = session.get(Transfer, tid)
    assert transfer.status == TransferStatus.REJECTED
    assert transfer.reason == "It was 30 minutes, not an hour."
    [note] = notes_of(session, people["bob"], Kind.REJECTED)
    assert "Reason: It was 30 minutes, not an hour." in note.message
    assert people["alice"].account.pending_debits == 0


@pytest.mark.parametrize("action", ["confirm", "dispute"])
def test_someone_elses_entry_is_not_found(client, session, people, action):
    tid = bob_logs(session, people, giver="bob", receiver="carol")
    sign_in(client, "alice@example.org")
    response = client.post(f"/members/{action}/{tid}", data={f"t{tid}-reason": "Not mine"})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Transfer, tid).status == TransferStatus.PENDING
    assert client.post(f"/members/{action}/999999").status_code == 404


def test_the_dashboard_lists_what_waits_for_me_in_fixed_queries(client, session, people):
    sign_in(client, "alice@example.org")
    html = client.get("/members/").get_data(as_text=True)
    assert 'href="/members/log"' in html and 'href="/members/donate"' in html
    assert "Waiting for you to confirm" not in html
    bob_logs(session, people)
    with count_queries(db.engine) as one:
        html = client.get("/members/").get_data(as_text=True)
    assert "Waiting for you to confirm" in html and "Bob Brennan gave you 1 h" in html
    for _ in range(5):
        bob_logs(session, people, minutes=15)
    with count_queries(db.engine) as six:
        html = client.get("/members/").get_data(as_text=True)
    assert html.count("Bob Brennan gave you") == 6
    assert len(six) == len(one)


# Donate -------------------------------------------------------------------------------


def earn(session, people, minutes):
    transfer = record_transfer(
        session,
        actor=people["coord"],
        giver=people["alice"].account,
        receiver=people["bob"].account,
        minutes=minutes,
        service_date=TODAY,
    )
    session.commit()
    return transfer


def test_donating_shows_what_i_can_give_and_gives_it(client, session, people, bank):
    earn(session, people, 180)
    sign_in(client, "alice@example.org")
    html = client.get(DONATE).get_data(as_text=True)
    assert "You can donate up to <strong>3 h</strong>" in html
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    data = {"hours": "1", "minutes": "15", "description": "For the pot", "idempotency_key": key}
    response = client.post(DONATE, data=data, follow_redirects=True)
    assert "Thank you. You gave 1 h 15 min to the community pot." in response.get_data(as_text=True)
    client.post(DONATE, data=data)  # a double submit
    session.expire_all()
    assert get_pot_account(session, bank.id).balance == 75
    assert balance_of(session, people["alice"]) == 180 - 75
    assert "You can donate up to <strong>1 h 45 min</strong>" in client.get(DONATE).get_data(
        as_text=True
    )


def test_donating_more_than_earned_is_refused_at_the_hours(client, session, people, bank):
    earn(session, people, 60)
    sign_in(client, "alice@example.org")
    response = client.post(
        DONATE, data={"hours": "2", "minutes": "0", "description": "Kept", "idempotency_key": "d1"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "hours").startswith("You can donate at most 1 h")
    assert "Kept</textarea>" in html and selected_value(html, "hours") == "2"
    session.expire_all()
    assert get_pot_account(session, bank.id).balance == 0


def test_with_nothing_earned_the_donate_page_says_why(client, people):
    sign_in(client, "alice@example.org")
    html = client.get(DONATE).get_data(as_text=True)
    assert "You can donate up to <strong>0 min</strong>" in html
    assert "When you give time to someone, you earn hours you can donate." in html


# Each entry's own page -------------------------------------------------------------------


def test_a_refused_entry_keeps_its_reason_on_its_own_page_for_both_people(client, session, people):
    transfer_id = bob_logs(session, people)
    reject_transfer(
        session, actor=people["coord"], transfer_id=transfer_id, reason="Logged twice by mistake"
    )
    session.commit()
    for email in ("alice@example.org", "bob@example.org"):
        sign_in(client, email)
        page = client.get(f"/members/log/{transfer_id}").get_data(as_text=True)
        assert "This entry was not accepted" in page
        assert "Why it was not accepted" in page and "Logged twice by mistake" in page
        assert "History of this entry" in page
        assert "Recorded" in page and "Not accepted" in page
        client.post("/auth/sign-out")
    # The dashboard links each line to its page.
    sign_in(client, "alice@example.org")
    assert f'href="/members/log/{transfer_id}"' in client.get("/members/").get_data(as_text=True)


def test_approval_before_confirmation_says_who_must_still_confirm(client, session, people):
    transfer_id = bob_logs(session, people)
    approve_transfer(session, actor=people["coord"], transfer_id=transfer_id)
    transfer = session.get(Transfer, transfer_id)
    notify_transfer_outcome(session, [transfer], kind=Kind.APPROVED, skip=people["coord"])
    session.commit()

    sign_in(client, "alice@example.org")
    news = client.get("/members/notifications").get_data(as_text=True)
    assert "was approved. It is now waiting for you to confirm it." in news
    dashboard = client.get("/members/").get_data(as_text=True)
    assert "Approved by a coordinator; waiting for you to confirm" in dashboard
    client.post("/auth/sign-out")
    sign_in(client, "bob@example.org")
    news = client.get("/members/notifications").get_data(as_text=True)
    assert "was approved. It is now waiting for Alice Ashdown to confirm it." in news
    page = client.get(f"/members/log/{transfer_id}").get_data(as_text=True)
    assert "Approved by a coordinator; waiting for Alice Ashdown to confirm" in page
