"""Keyset paging of the coordinators' lists: following the links forwards, then
backwards, visits every row exactly once, in order, even when many rows share the
sort key (posted or recorded in the same instant), with filters, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    PersonFactory,
    TimeBankFactory,
    bank_today,
)
from timebank.ledger import clock
from timebank.ledger.banks import update_policy
from timebank.ledger.models import Transfer
from timebank.ledger.transfers import record_transfer
from timebank.reports.keyset import Cursor
from timebank.reports.posted import HistoryFilters, list_posted
from timebank.reports.queue import list_queue

pytestmark = pytest.mark.both_engines

TODAY = bank_today()
# Three instants; several entries are written in each, so their keys tie.
INSTANTS = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=m) for m in (0, 0, 7, 30)]


def _people(bank, *names):
    return [MembershipFactory(bank=bank, person=PersonFactory(display_name=n)) for n in names]


def _write(session, bank, *, approval: bool):
    """Entries in ``bank``, written in groups at the same instant: returns them."""
    update_policy(
        session, actor=None, bank=bank, requires_approval=approval, requires_confirmation=False
    )
    coordinator = CoordinatorFactory(bank=bank)
    alice, bob, carol = _people(bank, "Alice Ashdown", "Bob Brennan", "Carol Cheung")
    pairs = [(alice, bob), (bob, carol), (carol, alice)]
    written = []
    for n, instant in enumerate(INSTANTS * 4):
        giver, receiver = pairs[n % 3]
        with clock.frozen_at(instant):
            written.append(
                record_transfer(
                    session,
                    actor=giver if approval else coordinator,
                    giver=giver.account,
                    receiver=receiver.account,
                    minutes=15 * (1 + n % 4),
                    service_date=instant.date(),
                )
            )
    session.commit()
    return written


def _walk(fetch, per_page):
    """Every page forwards from the first, then backwards from the last: the ids."""
    forwards, pages = [], []
    page = fetch(Cursor())
    assert not page.has_previous
    while True:
        pages.append(page)
        forwards += [row_id(r) for r in page.rows]
        assert len(page.rows) <= per_page
        if not page.has_next:
            break
        page = fetch(Cursor(after=page.next_after))
    backwards = [row_id(r) for r in pages[-1].rows]
    page = pages[-1]
    while page.has_previous:
        page = fetch(Cursor(before=page.previous_before))
        backwards = [row_id(r) for r in page.rows] + backwards
    return forwards, backwards, len(pages)


def row_id(row):
    return row.id


@pytest.fixture
def banks(session):
    return TimeBankFactory(floor_minutes=None), TimeBankFactory(floor_minutes=None)


@pytest.mark.parametrize("per_page", [1, 4, 5, 16, 50])
def test_posted_pages_visit_every_entry_once_with_ties(session, banks, per_page):
    bank, other = banks
    written = _write(session, bank, approval=False)
    _write(session, other, approval=False)
    expected = [
        t.id
        for t in sorted(
            (session.get(Transfer, t.id) for t in written),
            key=lambda t: (t.posted_at, t.id),
            reverse=True,
        )
    ]
    # The ties are real: four entries share each instant but one.
    assert len({t.posted_at for t in written}) == 3

    def fetch(cursor):
        return list_posted(session, bank.id, cursor=cursor, per_page=per_page)

    forwards, backwards, pages = _walk(fetch, per_page)
    assert forwards == expected
    assert backwards == expected
    assert pages == -(-len(expected) // per_page)
    assert fetch(Cursor()).total == len(expected)


def test_posted_pages_keep_the_filter(session, banks):
    bank = banks[0]
    _write(session, bank, approval=False)
    everything = list_posted(session, bank.id, per_page=100).rows
    expected = [r.id for r in everything if "Carol Cheung" in (r.giver, r.receiver)]
    assert 0 < len(expected) < len(everything)

    def fetch(cursor):
        return list_posted(
            session, bank.id, HistoryFilters(member="carol"), cursor=cursor, per_page=3
        )

    forwards, backwards, _ = _walk(fetch, 3)
    assert forwards == backwards == expected


def test_a_cursor_from_another_bank_gives_the_first_page(session, banks):
    bank, other = banks
    _write(session, bank, approval=False)
    theirs = _write(session, other, approval=False)
    first = list_posted(session, bank.id, per_page=5)
    forged = list_posted(session, bank.id, cursor=Cursor(after=theirs[0].id), per_page=5)
    assert [r.id for r in forged.rows] == [r.id for r in first.rows]
    assert not forged.has_previous


@pytest.mark.parametrize("per_page", [1, 5, 7])
def test_queue_pages_visit_every_entry_once_with_ties(session, banks, per_page):
    bank, other = banks
    written = _write(session, bank, approval=True)
    _write(session, other, approval=True)
    expected = [t.id for t in sorted(written, key=lambda t: (t.recorded_at, t.id))]
    assert len({t.recorded_at for t in written}) == 3

    def fetch(cursor):
        return list_queue(session, bank.id, cursor=cursor, per_page=per_page)

    forwards, backwards, _ = _walk(fetch, per_page)
    assert forwards == backwards == expected
