"""Offers and requests as services: checked input, only the author (or a coordinator)
changes a listing, expired and paused ones are not browsed, searching finds words
literally (a % or _ is not a wildcard), and browsing costs the same number of queries
whatever the number of listings."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory
from timebank.community import listings
from timebank.ledger import errors
from timebank.ledger.clock import today_in
from timebank.ledger.models import AuditEntry, Category


@pytest.fixture
def alice(session, bank):
    return MembershipFactory(bank=bank, person__display_name="Alice Ashdown")


@pytest.fixture
def bob(session, bank):
    return MembershipFactory(bank=bank, person__display_name="Bob Brennan")


def category(session, bank, slug="gardening"):
    return session.scalar(
        sa.select(Category).where(Category.time_bank_id == bank.id, Category.slug == slug)
    )


def post(session, actor, title="Help in the garden", **kw):
    kw.setdefault("kind", "offer")
    return listings.post_listing(session, actor=actor, title=title, **kw)


def test_post_listing_is_active_and_audited(session, bank, alice):
    garden = category(session, bank)
    listing = post(
        session,
        alice,
        title="  Help   in the garden ",
        description="Weeding",
        category_id=garden.id,
    )
    assert listing.status == "active"
    assert listing.title == "Help in the garden"
    entry = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "listing", AuditEntry.entity_id == listing.id
        )
    )
    assert entry.action == "listing.posted"
    assert entry.actor_id == alice.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "ab"}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"description": "x" * 2001}, "description"),
        ({"kind": "gift"}, "kind"),
        ({"expires_on": "yesterday"}, "expires_on"),
        ({"expires_on": "too far"}, "expires_on"),
    ],
)
def test_bad_input_is_refused_at_the_field(session, bank, alice, changes, field):
    today = today_in(bank.timezone)
    if changes.get("expires_on") == "yesterday":
        changes["expires_on"] = today - timedelta(days=1)
    elif changes.get("expires_on") == "too far":
        changes["expires_on"] = today + timedelta(days=400)
    with pytest.raises(errors.LedgerError) as raised:
        post(session, alice, **changes)
    assert raised.value.field == field


def test_title_limits_and_expiry_limits_are_inclusive(session, bank, alice):
    today = today_in(bank.timezone)
    assert post(session, alice, title="abc", expires_on=today).expires_on == today
    assert post(session, alice, title="x" * 120, expires_on=today + timedelta(days=365))


def test_category_must_be_of_the_same_bank_and_active(session, bank, alice):
    other_bank = TimeBankFactory()
    with pytest.raises(errors.UnknownCategoryError):
        post(session, alice, category_id=category(session, other_bank).id)
    garden = category(session, bank)
    garden.active = False
    session.flush()
    with pytest.raises(errors.UnknownCategoryError):
        post(session, alice, category_id=garden.id)


def test_only_the_author_or_a_coordinator_changes_a_listing(session, bank, alice, bob):
    listing = post(session, alice)
    for change in (listings.pause_listing, listings.close_listing):
        with pytest.raises(errors.NotAllowedError):
            change(session, actor=bob, listing_id=listing.id)
    with pytest.raises(errors.NotAllowedError):
        listings.edit_listing(session, actor=bob, listing_id=listing.id, title="Mine now")
    assert listing.status == "active" and listing.title == "Help in the garden"
    # A coordinator of another bank does not even find it.
    stranger = CoordinatorFactory(bank=TimeBankFactory())
    with pytest.raises(errors.NotFoundError):
        listings.pause_listing(session, actor=stranger, listing_id=listing.id)
    coordinator = CoordinatorFactory(bank=bank)
    listings.pause_listing(session, actor=coordinator, listing_id=listing.id)
    assert listing.status == "paused"


def test_pause_resume_close_and_edit(session, bank, alice):
    listing = post(session, alice)
    listings.edit_listing(
        session, actor=alice, listing_id=listing.id, title="Weeding", description="Saturdays"
    )
    assert (listing.title, listing.description) == ("Weeding", "Saturdays")
    listings.pause_listing(session, actor=alice, listing_id=listing.id)
    with pytest.raises(errors.NotAllowedError):
        listings.pause_listing(session, actor=alice, listing_id=listing.id)
    listings.resume_listing(session, actor=alice, listing_id=listing.id)
    assert listing.status == "active"
    listings.close_listing(session, actor=alice, listing_id=listing.id)
    assert listing.status == "closed"
    with pytest.raises(errors.NotAllowedError):
        listings.resume_listing(session, actor=alice, listing_id=listing.id)
    with pytest.raises(errors.NotAllowedError):
        listings.edit_listing(session, actor=alice, listing_id=listing.id, title="Again")
    actions = session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.entity_type == "listing", AuditEntry.entity_id == listing.id)
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == [
        "listing.posted",
        "listing.edited",
        "listing.paused",
        "listing.resumed",
        "listing.closed",
    ]


def test_browse_shows_active_unexpired_newest_first_with_names(session, bank, alice, bob):
    today = today_in(bank.timezone)
    first = post(session, alice, title="Lifts to the shops")
    second = post(session, bob, title="Help with my phone", kind="request")
    paused = post(session, alice, title="Paused one")
    listings.pause_listing(session, actor=alice, listing_id=paused.id)
    expiring = post(session, alice, title="Ends today", expires_on=today)
    post(session, MembershipFactory(), title="Another bank's offer")
    page = listings.list_listings(session, bank.id, today=today)
    assert [r.title for r in page.items] == [
        "Ends today",
        "Help with my phone",
        "Lifts to the shops",
    ]
    assert page.items[1].author_name == "Bob Brennan"
    # The day after its end date, it is no longer shown.
    later = listings.list_listings(session, bank.id, today=today + timedelta(days=1))
    assert expiring.id not in {r.id for r in later.items}
    offers = listings.list_listings(session, bank.id, kind="offer", today=today)
    assert {r.id for r in offers.items} == {first.id, expiring.id}
    assert second.id not in {r.id for r in offers.items}


def test_browse_by_category_and_pages(session, bank, alice):
    garden = category(session, bank)
    gardened = post(session, alice, title="Mowing", category_id=garden.id)
    for i in range(5):
        post(session, alice, title=f"Other {i}")
    assert [r.id for r in listings.list_listings(session, bank.id, category=garden.id).items] == [
        gardened.id
    ]
    first = listings.list_listings(session, bank.id, per_page=4)
    second = listings.list_listings(session, bank.id, after=first.next_after, per_page=4)
    assert first.has_next and not first.has_previous
    assert not second.has_next and second.has_previous
    back = listings.list_listings(session, bank.id, before=second.previous_before, per_page=4)
    assert [r.id for r in back.items] == [r.id for r in first.items]
    # A listing of another bank named in a link gives the first page.
    assert [
        r.id for r in listings.list_listings(session, bank.id, after=10**9, per_page=4).items
    ] == [r.id for r in first.items]
    assert len(first.items) == 4 and len(second.items) == 2
    assert not {r.id for r in first.items} & {r.id for r in second.items}


def test_search_is_case_insensitive_and_escapes_wildcards(session, bank, alice):
    post(session, alice, title="Garden help", description="Mowing LAWNS")
    percent = post(session, alice, title="Half price: 50% off")
    underscore = post(session, alice, title="Fix my snake_case files")
    plain = post(session, alice, title="Fix my snakeXcase files")

    def found(words):
        return {r.title for r in listings.list_listings(session, bank.id, words=words).items}

    assert found("lawns") == {"Garden help"}
    assert found("GARDEN") == {"Garden help"}
    assert found("50%") == {percent.title}
    assert found("%") == {percent.title}
    assert found("snake_case") == {underscore.title}
    assert plain.title not in found("_")
    assert found("\\") == set()


def count_queries(engine):
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    return statements, lambda: sa.event.remove(engine, "before_cursor_execute", before)


def test_browse_query_count_does_not_grow(session, bank):
    today = today_in(bank.timezone)
    members = [MembershipFactory(bank=bank) for _ in range(5)]

    def queries_for_page():
        session.expire_all()
        statements, stop = count_queries(session.get_bind())
        try:
            page = listings.list_listings(session, bank.id, today=today, per_page=100)
            names = [r.author_name for r in page.items]
        finally:
            stop()
        return len(statements), names

    for i in range(5):
        post(session, members[i % 5], title=f"Listing {i}")
    few, names = queries_for_page()
    assert len(names) == 5
    for i in range(45):
        post(session, members[i % 5], title=f"More {i}")
    many, names = queries_for_page()
    assert len(names) == 50
    assert few == many <= 2, (few, many)


def test_my_listings_include_every_status(session, bank, alice):
    today = today_in(bank.timezone)
    active = post(session, alice, title="Active one", expires_on=today)
    closed = post(session, alice, title="Closed one")
    listings.close_listing(session, actor=alice, listing_id=closed.id)
    rows = listings.list_my_listings(session, alice)
    assert [r.title for r in rows] == ["Closed one", "Active one"]
    assert rows[1].is_expired(today + timedelta(days=1))
    assert not rows[1].is_expired(today)
    assert active.status == "active"
