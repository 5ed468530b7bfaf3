"""The report cache, the JSON it keeps, the CSV export and who may read what."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date

import pytest
import sqlalchemy as sa

from tests.reports.reciprocity.support import Bank
from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.categories import add_category
from timebank.ledger.models import MembershipStatus, Role
from timebank.reports.audit_wording import Wording
from timebank.reports.models import ReportCache
from timebank.reports.reciprocity import (
    Audience,
    BankSelection,
    Period,
    build_report,
    get_report,
    network_cache,
    partner_banks,
    report_csv,
    require_coordinator_of,
    require_partner_of,
)
from timebank.reports.reciprocity.build import compute
from timebank.reports.reciprocity.cache import generation
from timebank.reports.reciprocity.codec import dumps, loads

PERIOD = Period(date(2026, 1, 1), date(2026, 4, 30))


@pytest.fixture
def ring(session):
    """Six members exchanging in a ring each month, one organisation."""
    b = Bank(session, threshold=3)
    members = [b.member(n) for n in ("Ann Abbott", "Ben Brown", "Cat Clark", "Dan Dale")]
    members += [b.member(n) for n in ("Eve Evans", "Fay Ford")]
    org = b.organisation("=HYPERLINK(1) Trust")
    for month in (1, 2, 3, 4):
        for giver, receiver in zip(members, members[1:] + members[:1], strict=True):
            b.give(giver, receiver, 60, date(2026, month, 5), "care")
            b.give(receiver, giver, 30, date(2026, month, 6), "gardening")
    b.give(org, members[0], 30, date(2026, 2, 1))
    b.members = members
    return b


def cached_rows(session):
    """The cached reports (not the networks' measures kept beside them)."""
    return session.execute(
        sa.select(ReportCache.audience, ReportCache.generation, ReportCache.built_at).where(
            ReportCache.audience != network_cache.AUDIENCE
        )
    ).all()


def test_the_cache_is_used_until_something_changes(session, ring):
    selection = BankSelection.one(ring.id)
    first = get_report(session, selection, PERIOD, Audience.PARTNER)
    rows = cached_rows(session)
    assert len(rows) == 1
    again = get_report(session, selection, PERIOD, Audience.PARTNER)
    assert cached_rows(session) == rows
    assert again.headline == first.headline and again.generated_at == first.generated_at

    # Someone reading a report is audited without changing any figure.
    append_audit(
        session,
        time_bank_id=ring.id,
        actor=ring.coordinator,
        action="report.viewed",
        entity_type="time_bank",
        entity_id=ring.id,
    )
    get_report(session, selection, PERIOD, Audience.PARTNER)
    assert cached_rows(session) == rows

    # A new exchange changes the generation: the report is built again.
    before = generation(session, selection)
    posted = ring.give(ring.members[0], ring.members[2], 90, date(2026, 4, 20))
    assert generation(session, selection) != before
    rebuilt = get_report(session, selection, PERIOD, Audience.PARTNER)
    assert rebuilt.headline.hours.value == first.headline.hours.value + 90
    assert cached_rows(session)[0].generation == generation(session, selection)

    # So does a reversal.
    ring.reverse(posted, date(2026, 4, 30))
    assert get_report(session, selection, PERIOD, Audience.PARTNER).headline.hours.value == (
        first.headline.hours.value
    )


def test_each_audience_and_period_has_its_own_row(session, ring):
    selection = BankSelection.one(ring.id)
    get_report(session, selection, PERIOD, Audience.PARTNER)
    get_report(session, selection, PERIOD, Audience.COORDINATOR)
    get_report(session, selection, Period.month(2026, 2), Audience.PARTNER)
    assert sorted(r.audience for r in cached_rows(session)) == [
        "coordinator",
        "partner",
        "partner",
    ]
    coordinators = get_report(session, selection, PERIOD, Audience.COORDINATOR)
    assert coordinators.coordinator is not None
    assert any(n.label == "Ann Abbott" for n in coordinators.network.graph.nodes)


def test_the_cache_can_be_cleared(session, ring):
    from timebank.reports.reciprocity.cache import clear_cache

    get_report(session, BankSelection.one(ring.id), PERIOD, Audience.PARTNER)
    assert clear_cache(session) == 1
    assert cached_rows(session) == []


@pytest.mark.parametrize("audience", list(Audience))
def test_a_report_survives_the_json_it_is_kept_as(session, ring, audience):
    report = compute(session, BankSelection.one(ring.id), PERIOD, audience)
    assert loads(dumps(report)) == report


def test_a_report_read_again_from_the_same_json_is_decoded_once(session, ring):
    # Kept by its text: shared between requests, so it must not be changeable.
    text = dumps(compute(session, BankSelection.one(ring.id), PERIOD, Audience.PARTNER))
    first = loads(text)
    assert loads(text) is first
    assert loads(text[:]) == first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.network = None  # type: ignore[misc]
    assert isinstance(first.network.by_quarter, tuple)


def test_the_stored_json_cannot_name_a_class_outside_the_report(session):
    with pytest.raises(KeyError):
        loads('{"_": "Popen", "args": "ls"}')


def read_csv(report, w=None):
    text = "".join(report_csv(report, **({"w": w} if w else {})))
    assert text.startswith("\ufeff")
    return text, list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_says_what_when_and_for_whom(session, ring):
    report = build_report(session, BankSelection.one(ring.id), PERIOD, Audience.PARTNER)
    text, rows = read_csv(report)
    assert rows[0] == ["Reciprocity report"]
    assert [ring.bank.name] == rows[1][1:]
    assert rows[2] == ["Period", "2026-01-01", "2026-04-30"]
    # 120 days (31 + 28 + 31 + 30) ending on New Year's Eve: 28 of September, 31 of
    # October, 30 of November, 31 of December.
    assert rows[3] == ["Compared with", "2025-09-03", "2025-12-31"]
    assert rows[4] == ["Prepared for", "Partner"]
    assert rows[5] == ["Small-number threshold (people)", "3"]
    assert rows[6][0] == "Made (UTC)"
    hours = next(r for r in rows if r and r[0] == "Hours exchanged")
    # 4 months x 6 x 90 minutes + 30 = 2190 minutes.
    assert hours[1] == "36.50"
    assert hours[-1].startswith("Time members gave each other")
    # Cora the coordinator is registered and never active: 1 is small, so "active"
    # is written as words.
    active = next(r for r in rows if r and r[0] == "Active members")
    assert active[1] == "Not shown: it would reveal a small number"
    for name in ("Ann Abbott", "Cora", "HYPERLINK"):
        assert name not in text


def test_the_coordinators_csv_has_names_and_no_formulas(session, ring):
    add_category(session, actor=ring.coordinator, name="=SUM(A1:A9) club")
    report = build_report(session, BankSelection.one(ring.id), PERIOD, Audience.COORDINATOR)
    text, rows = read_csv(report)
    assert "Ann Abbott" in text
    assert ["'=SUM(A1:A9) club", "0.00", "0.00"] in rows
    assert any(r[:1] == ["'=HYPERLINK(1) Trust"] or "'=HYPERLINK(1) Trust" in r for r in rows)
    never = rows.index(["Never given time"])
    assert rows[never + 2][1] == "Cora Coordinator"


def test_the_csv_is_written_in_the_readers_words(session, ring):
    class Shouting(Wording):
        def gettext(self, template, **params):
            return super().gettext(template, **params).upper()

    report = build_report(session, BankSelection.one(ring.id), PERIOD, Audience.PARTNER)
    _, rows = read_csv(report, Shouting())
    assert rows[0] == ["RECIPROCITY REPORT"]
    assert any(r and r[0] == "HOURS EXCHANGED" for r in rows)


def test_who_may_read_which_report(session):
    north, south = Bank(session, name="North"), Bank(session, name="South")
    helen = north.member("Helen Whitmore", role=Role.PARTNER)
    south.member("Helen Whitmore", role=Role.PARTNER, person=helen.person)
    assert [b.name for b in partner_banks(session, helen.person_id)] == ["North", "South"]
    require_partner_of(session, helen.person_id, BankSelection((north.id, south.id)))
    elsewhere = Bank(session, name="Elsewhere")
    with pytest.raises(errors.NotAllowedError):
        require_partner_of(session, helen.person_id, BankSelection((north.id, elsewhere.id)))
    member = north.member("Ann Abbott")
    with pytest.raises(errors.NotAllowedError):
        require_partner_of(session, member.person_id, BankSelection.one(north.id))
    helen.status = MembershipStatus.SUSPENDED
    session.flush()
    assert [b.name for b in partner_banks(session, helen.person_id)] == ["South"]

    require_coordinator_of(north.coordinator, BankSelection.one(north.id))
    for who, selection in (
        (north.coordinator, BankSelection.one(south.id)),
        (north.coordinator, BankSelection((north.id, south.id))),
        (member, BankSelection.one(north.id)),
    ):
        with pytest.raises(errors.NotAllowedError):
            require_coordinator_of(who, selection)
