"""Registered people at several dates, counted with a sorted list, against the plain
count of each person's first joining."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from timebank.reports.reciprocity.members import MemberFacts, registered_at

START = date(2025, 1, 1)
days = st.integers(0, 400).map(lambda n: START + timedelta(days=n))


@st.composite
def memberships(draw):
    found = []
    for i in range(draw(st.integers(0, 30))):
        joined = draw(days)
        first = draw(st.none() | days)
        found.append(
            MemberFacts(
                membership_id=i,
                person_id=draw(st.integers(1, 12)),  # some people in several banks
                kind="participant",
                counted=draw(st.booleans()),
                consenting=draw(st.booleans()),
                joined_at=datetime.combine(joined, datetime.min.time()),
                first_exchange=first,
                first_given=None,
                last_exchange=first,
            )
        )
    return found


@settings(max_examples=200, deadline=None)
@given(memberships(), st.lists(days, max_size=14), st.booleans())
def test_registered_at_is_the_plain_count(facts, ends, consenting):
    first: dict[int, date] = {}
    for m in facts:
        if m.counted and (m.consenting or not consenting):
            first[m.person_id] = min(first.get(m.person_id, m.joined), m.joined)
    expected = [sum(1 for day in first.values() if day <= end) for end in ends]
    assert registered_at(facts, ends, consenting=consenting) == expected
