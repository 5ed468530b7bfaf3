"""Logging an exchange in answer to an offer or a request, through the real app: the
listing page's link opens the form with that listing (and its author) chosen; the form
offers my own active and paused listings; the review and the status page say what it
answers; a listing that cannot be answered is refused at its field with everything
else kept; the listing page shows the time exchanged in answer to it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import bank_today
from tests.web import test_member_exchanges as exchanges
from tests.web.test_auth import location_path, sign_in
from tests.web.test_member_exchanges import (
    LOG,
    chosen_value,
    entry,
    field_error,
    selected_value,
    transfers,
)
from timebank.community import listings
from timebank.community.listing_exchanges import record_answering
from timebank.community.models import ListingExchange

TODAY = bank_today()

# The time bank and its people of the exchange tests (Dora is in another time bank).
bank = exchanges.bank
people = exchanges.people


def post(session, actor, title, kind="offer"):
    listing = listings.post_listing(session, actor=actor, kind=kind, title=title)
    session.commit()
    return listing


def options(html, field_id):
    block = re.search(rf'<select[^>]*id="{field_id}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', block)


def links(session):
    session.expire_all()
    return session.execute(sa.select(ListingExchange.transfer_id, ListingExchange.listing_id)).all()


def test_the_listing_page_opens_the_form_with_the_listing_and_its_author(client, session, people):
    offer = post(session, people["bob"], "Lifts to the shops")
    mine = post(session, people["alice"], "Help with my phone", kind="request")
    paused = post(session, people["alice"], "Ironing")
    listings.pause_listing(session, actor=people["alice"], listing_id=paused.id)
    closed = post(session, people["alice"], "Dog walking")
    listings.close_listing(session, actor=people["alice"], listing_id=closed.id)
    post(session, people["carol"], "Carol's cakes")
    session.commit()
    sign_in(client, "alice@example.org")

    page = client.get(f"/members/listings/{offer.id}").get_data(as_text=True)
    assert f'href="/members/log?listing={offer.id}"' in page
    html = client.get(f"{LOG}?listing={offer.id}").get_data(as_text=True)
    assert selected_value(html, "listing") == str(offer.id)
    assert chosen_value(html) == str(people["bob"].account.id)
    assert options(html, "listing") == [
        ("", "Nothing in particular"),
        (str(offer.id), "Offer by Bob Brennan: Lifts to the shops"),
        (str(paused.id), "Your offer: Ironing"),
        (str(mine.id), "Your request: Help with my phone"),
    ]
    assert "What it answers (optional)" in html


def test_without_listings_the_form_does_not_ask(client, session, people):
    sign_in(client, "alice@example.org")
    html = client.get(LOG).get_data(as_text=True)
    assert 'id="listing"' not in html
    # A listing of another time bank in the address is ignored, and not named.
    foreign = post(session, people["dora"], "Hillside secret")
    html = client.get(f"{LOG}?listing={foreign.id}").get_data(as_text=True)
    assert 'id="listing"' not in html and "Hillside secret" not in html


def test_logging_with_a_listing_links_it_and_says_so(client, session, people):
    offer = post(session, people["bob"], "Lifts to the shops")
    sign_in(client, "alice@example.org")
    data = entry(people, direction="received", listing=str(offer.id))
    review = client.post(LOG, data={**data, "action": "review"}).get_data(as_text=True)
    assert re.search(
        r"<dt>What it answers</dt><dd>Offer by Bob Brennan: Lifts to the shops</dd>", review
    )
    assert f'name="listing" value="{offer.id}"' in review
    assert transfers(session) == [] and links(session) == []

    response = client.post(LOG, data={**data, "action": "record"})
    assert response.status_code == 302
    [transfer] = transfers(session)
    assert links(session) == [(transfer.id, offer.id)]
    status = client.get(location_path(response)).get_data(as_text=True)
    assert f'This answers: <a href="/members/listings/{offer.id}">Lifts to the shops</a>' in status
    # A double submit links once.
    client.post(LOG, data={**data, "action": "record"})
    assert len(transfers(session)) == 1 and len(links(session)) == 1


def test_the_other_person_sees_what_it_answers(client, session, people):
    request = post(session, people["alice"], "Help with my phone", kind="request")
    sign_in(client, "alice@example.org")
    data = entry(people, direction="received", listing=str(request.id))
    response = client.post(LOG, data={**data, "action": "record"})
    client.post("/auth/sign-out")
    sign_in(client, "bob@example.org")
    status = client.get(location_path(response)).get_data(as_text=True)
    assert f'<a href="/members/listings/{request.id}">Help with my phone</a>' in status


def test_a_foreign_listing_is_refused_at_the_field_keeping_what_was_typed(client, session, people):
    foreign = post(session, people["dora"], "Hillside secret")
    sign_in(client, "alice@example.org")
    for action in ("review", "record"):
        response = client.post(
            LOG, data={**entry(people, listing=str(foreign.id)), "action": action}
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert field_error(html, "listing").startswith(
            "We could not find that offer or request in your time bank."
        )
        assert "Hillside secret" not in html
        assert "Weeding the front garden</textarea>" in html
        assert chosen_value(html) == str(people["bob"].account.id)
        assert selected_value(html, "minutes") == "30"
        assert 'value="key-1"' in html
    assert transfers(session) == [] and links(session) == []


def test_someone_elses_listing_is_refused_at_the_field(client, session, people):
    cakes = post(session, people["carol"], "Carol's cakes")
    sign_in(client, "alice@example.org")
    response = client.post(LOG, data={**entry(people, listing=str(cakes.id)), "action": "record"})
    assert response.status_code == 422
    message = field_error(response.get_data(as_text=True), "listing")
    assert message.startswith("That offer or request was posted by someone else.")
    assert transfers(session) == [] and links(session) == []


def test_the_listing_page_shows_the_time_exchanged_in_answer_to_it(client, session, people):
    offer = post(session, people["bob"], "Lifts to the shops")
    sign_in(client, "alice@example.org")
    page = client.get(f"/members/listings/{offer.id}").get_data(as_text=True)
    assert "Time exchanged in answer to this" in page
    assert "No exchanges have been logged in answer to this yet." in page

    def answer(actor, giver, receiver, minutes):
        record_answering(
            session,
            actor=actor,
            giver=giver.account,
            receiver=receiver.account,
            listing_id=offer.id,
            minutes=minutes,
            service_date=TODAY,
        )
        session.commit()

    # Recorded by a coordinator: posted at once. Recorded by Alice: waits for Bob.
    answer(people["coord"], people["bob"], people["alice"], 90)
    answer(people["coord"], people["bob"], people["carol"], 60)
    answer(people["alice"], people["bob"], people["alice"], 30)
    page = client.get(f"/members/listings/{offer.id}").get_data(as_text=True)
    assert re.search(r"<dt>Done</dt><dd>2 exchanges, 2 h 30 min</dd>", page)
    assert re.search(r"<dt>Waiting</dt><dd>1 exchange, 30 min</dd>", page)
    assert "No exchanges have been logged" not in page


def test_an_unreadable_listing_is_refused_at_the_field(client, session, people):
    sign_in(client, "alice@example.org")
    for value in ("abc", "-1", "99999999999999999999"):
        assert client.get(f"{LOG}?listing={value}").status_code == 200
        response = client.post(LOG, data={**entry(people, listing=value), "action": "review"})
        assert response.status_code == 422
        message = field_error(response.get_data(as_text=True), "listing")
        assert message.startswith("We could not find that offer or request in your time bank.")
    assert transfers(session) == []


def checked_direction(html):
    found = re.findall(r'<input[^>]*name="direction"[^>]*>', html)
    return [re.search(r'value="([^"]+)"', tag).group(1) for tag in found if "checked" in tag]


@pytest.mark.parametrize(
    ("author", "kind", "direction"),
    [
        ("bob", "request", "gave"),  # helping with someone's request: I gave time
        ("bob", "offer", "received"),  # taking up someone's offer: I received time
        ("alice", "offer", "gave"),  # my own offer taken up: I gave
        ("alice", "request", "received"),  # my own request answered: I received
    ],
)
def test_the_form_opened_from_a_listing_chooses_which_way_the_time_went(
    client, session, people, author, kind, direction
):
    listing = post(session, people[author], "Help with the garden", kind=kind)
    sign_in(client, "alice@example.org")
    html = client.get(f"{LOG}?listing={listing.id}").get_data(as_text=True)
    assert checked_direction(html) == [direction]
