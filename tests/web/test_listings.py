"""Offers and requests through the real app: browse, search, post, change, pause,
resume and close; other members' listings cannot be changed (404), names are shown
only to signed-in members of the same time bank, and the form refuses a missing CSRF
token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import csrf_token_from, location_path, make_member, sign_in
from tests.web.test_auth import (
    PASSWORD,
    csrf_app,  # noqa: F401 - a fixture
    member_in,
)
from timebank.community import listings
from timebank.community.models import Listing
from timebank.extensions import db
from timebank.ledger.clock import today_in
from timebank.ledger.models import Category

BROWSE = "/members/listings"
NEW = "/members/listings/new"
MINE = "/members/listings/mine"


@pytest.fixture
def bank(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    session.commit()
    return bank


@pytest.fixture
def alice(session, bank):
    return make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)


@pytest.fixture
def bob(session, bank):
    return make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)


def posted(session, actor, title="Lifts to the shops", **kw):
    kw.setdefault("kind", "offer")
    listing = listings.post_listing(session, actor=actor, title=title, **kw)
    session.commit()
    return listing


def gardening(session, bank):
    return session.scalar(
        sa.select(Category).where(Category.time_bank_id == bank.id, Category.slug == "gardening")
    )


def text(response):
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", [BROWSE, NEW, MINE, "/members/listings/1", "/members/listings/1/edit"]
)
def test_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert location_path(response) == "/auth/sign-in"


def test_browse_shows_my_banks_listings_with_names(client, session, bank, alice, bob):
    posted(session, bob, title="Help with my phone", kind="request", description="Texts")
    other = make_member(session, email="carol@example.org", name="Carol Cheung")
    posted(session, other, title="Another bank's offer")
    sign_in(client, "alice@example.org")
    page = text(client.get(BROWSE))
    assert "Help with my phone" in page and "Bob Brennan" in page and "Texts" in page
    assert "Another bank" not in page and "Carol Cheung" not in page


def test_member_without_active_membership_sees_no_listings(client, session, bank, bob):
    posted(session, bob, title="Help with my phone")
    from timebank.ledger.models import MembershipStatus

    make_member(
        session,
        email="dora@example.org",
        name="Dora",
        bank=bank,
        status=MembershipStatus.SUSPENDED,
    )
    sign_in(client, "dora@example.org")
    response = client.get(BROWSE)
    assert response.status_code == 302
    assert "Bob Brennan" not in text(client.get(BROWSE, follow_redirects=True))


def test_browse_filters_by_kind_category_and_words(client, session, bank, alice, bob):
    garden = gardening(session, bank)
    posted(session, bob, title="Mowing lawns", category_id=garden.id)
    posted(session, bob, title="Help with my phone", kind="request")
    posted(session, bob, title="50% of a cake")
    sign_in(client, "alice@example.org")
    offers = text(client.get(BROWSE, query_string={"kind": "offer"}))
    assert "Mowing lawns" in offers and "Help with my phone" not in offers
    requests = text(client.get(BROWSE, query_string={"kind": "request"}))
    assert "Help with my phone" in requests and "Mowing lawns" not in requests
    by_category = text(client.get(BROWSE, query_string={"category": garden.id}))
    assert "Mowing lawns" in by_category and "50%" not in by_category
    found = text(client.get(BROWSE, query_string={"q": "PHONE"}))
    assert "Help with my phone" in found and "Mowing lawns" not in found
    percent = text(client.get(BROWSE, query_string={"q": "%"}))
    assert "50% of a cake" in percent and "Mowing lawns" not in percent
    nothing = text(client.get(BROWSE, query_string={"q": "piano"}))
    assert "Nothing matches your search" in nothing


def test_browse_is_paginated(client, session, bank, alice, bob):
    for i in range(listings.PER_PAGE + 3):
        posted(session, bob, title=f"Offer number {i:02d}")
    sign_in(client, "alice@example.org")
    first_html = client.get(BROWSE).get_data(as_text=True)
    first = text(client.get(BROWSE))
    assert "Offer number 22" in first and "Offer number 02" not in first
    assert "Next page" in first and "page=" not in first_html
    after = re.search(r'href="/members/listings\?after=(\d+)" rel="next"', first_html).group(1)
    second = text(client.get(BROWSE, query_string={"after": after}))
    assert "Offer number 02" in second and "Offer number 22" not in second
    assert "Previous page" in second


def test_post_an_offer(client, session, bank, alice):
    sign_in(client, "alice@example.org")
    assert client.get(NEW).status_code == 200
    garden = gardening(session, bank)
    response = client.post(
        NEW,
        data={
            "kind": "offer",
            "title": "Weeding on Saturdays",
            "description": "Bring your own gloves",
            "category": str(garden.id),
            "expires_on": "",
        },
    )
    assert response.status_code == 302
    listing = session.scalar(sa.select(Listing))
    assert location_path(response) == f"/members/listings/{listing.id}"
    assert (listing.kind, listing.title, listing.membership_id) == (
        "offer",
        "Weeding on Saturdays",
        alice.id,
    )
    assert listing.category_id == garden.id
    page = text(client.get(location_path(response)))
    assert "Bring your own gloves" in page and "Gardening" in page
    assert f'href="/members/log?listing={listing.id}"' in page


def test_bad_new_listing_keeps_what_was_typed(client, session, bank, alice):
    sign_in(client, "alice@example.org")
    too_far = today_in(bank.timezone) + timedelta(days=400)
    response = client.post(
        NEW,
        data={
            "kind": "request",
            "title": "ab",
            "description": "Typed words stay",
            "expires_on": too_far.isoformat(),
        },
    )
    assert response.status_code == 400
    page = text(response)
    assert "Give a title of at least 3 characters" in page
    assert 'aria-describedby="title-hint title-error"' in page
    assert "Typed words stay" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
    response = client.post(
        NEW, data={"kind": "offer", "title": "Good title", "expires_on": too_far.isoformat()}
    )
    assert response.status_code == 400
    assert "within a year" in text(response)
    response = client.post(NEW, data={"title": "Good title"})
    assert "Choose whether this is an offer or a request." in text(response)
    response = client.post(NEW, data={"kind": "offer", "title": "Good title", "category": "99999"})
    assert response.status_code == 400
    assert "Choose one of the categories in the list." in text(response)


def test_edit_my_listing(client, session, bank, alice):
    listing = posted(session, alice)
    sign_in(client, "alice@example.org")
    edit = f"/members/listings/{listing.id}/edit"
    assert "Lifts to the shops" in text(client.get(edit))
    response = client.post(edit, data={"title": "Lifts to the doctor", "description": "Tuesdays"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Listing, listing.id).title == "Lifts to the doctor"
    response = client.post(edit, data={"title": ""})
    assert response.status_code == 400


def test_pause_resume_close_from_mine(client, session, bank, alice):
    today = today_in(bank.timezone)
    listing = posted(session, alice)
    old = posted(session, alice, title="Old one", expires_on=today)
    session.execute(
        sa.update(Listing).where(Listing.id == old.id).values(expires_on=today - timedelta(days=2))
    )
    session.commit()
    sign_in(client, "alice@example.org")
    mine = text(client.get(MINE))
    assert "Showing to members" in mine and "Expired on" in mine
    assert "Old one" not in text(client.get(BROWSE))
    base = f"/members/listings/{listing.id}"
    assert location_path(client.post(f"{base}/pause")) == MINE
    session.expire_all()
    assert session.get(Listing, listing.id).status == "paused"
    assert "Paused" in text(client.get(MINE))
    assert "Lifts to the shops" not in text(client.get(BROWSE))
    client.post(f"{base}/resume", data={"next": "show"})
    session.expire_all()
    assert session.get(Listing, listing.id).status == "active"
    client.post(f"{base}/close")
    session.expire_all()
    assert session.get(Listing, listing.id).status == "closed"
    assert "Closed" in text(client.get(MINE))
    # Closed is final: no editing, and resuming only says why not.
    assert client.get(f"{base}/edit").status_code == 404
    response = client.post(f"{base}/resume", follow_redirects=True)
    assert "Only a paused listing can be shown again." in text(response)


@pytest.mark.parametrize("action", ["edit", "pause", "resume", "close"])
def test_another_members_listing_cannot_be_changed(client, session, bank, alice, bob, action):
    listing = posted(session, bob)
    sign_in(client, "alice@example.org")
    path = f"/members/listings/{listing.id}/{action}"
    response = client.get(path) if action == "edit" else client.post(path)
    assert response.status_code == 404
    if action == "edit":
        assert client.post(path, data={"title": "Taken over"}).status_code == 404
    session.expire_all()
    after = session.get(Listing, listing.id)
    assert (after.status, after.title) == ("active", "Lifts to the shops")


def test_listing_page(client, session, bank, alice, bob):
    listing = posted(session, bob, description="First line\nSecond line")
    other_bank = posted(session, make_member(session, email="c@example.org", name="Carol"))
    paused = posted(session, bob, title="Paused one")
    listings.pause_listing(session, actor=bob, listing_id=paused.id)
    session.commit()
    sign_in(client, "alice@example.org")
    page = text(client.get(f"/members/listings/{listing.id}"))
    assert "First line" in page and "Second line" in page and "Bob Brennan" in page
    assert "Log an exchange for this" in page
    assert "Pause" not in page  # not mine
    assert client.get(f"/members/listings/{other_bank.id}").status_code == 404
    assert client.get(f"/members/listings/{paused.id}").status_code == 404
    assert client.get("/members/listings/999999").status_code == 404


def test_listing_page_reply_link_only_if_messages_exist(app, client, session, bank, alice, bob):
    listing = posted(session, bob)
    sign_in(client, "alice@example.org")
    page = text(client.get(f"/members/listings/{listing.id}"))
    if "members.new_thread" in app.view_functions:
        assert ">Reply<" in page
    else:
        assert ">Reply<" not in page


def test_new_listing_form_refuses_a_missing_csrf_token(csrf_app):  # noqa: F811
    member_in(csrf_app, "alice@example.org")
    client = csrf_app.test_client()
    token = csrf_token_from(text(client.get("/auth/sign-in")))
    client.post(
        "/auth/sign-in",
        data={"email": "alice@example.org", "password": PASSWORD, "csrf_token": token},
    )
    form = {"kind": "offer", "title": "Weeding on Saturdays"}
    assert client.post(NEW, data=form).status_code == 400
    token = csrf_token_from(text(client.get(NEW)))
    response = client.post(NEW, data={**form, "csrf_token": token})
    assert response.status_code == 302
    with csrf_app.app_context():
        assert db.session.scalar(sa.select(Listing.title)) == "Weeding on Saturdays"
