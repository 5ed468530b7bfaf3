"""Every formula of the reciprocity report against a small time bank worked by hand.

The coordinators' report (nothing suppressed, everyone counted) of March and April
2026 in "Riverside": participants Ann, Ben, Cat and Dan, a professional Pat, an
organisation Org, and Cora the coordinator (who exchanges nothing). Every expected
number below was worked out by hand from this list, not with the report's code:

    in the period (2026-03-01 to 2026-04-30)
     1  Ann -> Ben   60  Mar 5   gardening
     2  Ben -> Ann   30  Mar 10  care
     3  Ann -> Pat   90  Mar 12  civic
     4  Pat -> Cat  120  Apr 2   care
     5  Cat -> Org   60  Apr 3   civic
     6  Org -> Dan   30  Apr 20  (no category)
     7  Ann -> Cat   45  Apr 25  personal care (sensitive)
     8  Dan -> Ben   15  Apr 28  gardening, then reversed: counts nowhere
     G  Pat -> Ann   60  and  Pat -> Ben  60, Apr 10, a workshop (learning)
        Pat donates 30 to the pot on Mar 20; Dan is granted 30 on Apr 21
        Dan -> Ann  600 Mar 15, left pending (approval switched on): counts nowhere
    before (previous period 2025-12-30 to 2026-02-28)
     9  Ben -> Ann  120  Feb 10  care
    after
    10  Cat -> Ann   60  May 5

Everyone joined on 2026-01-15 except Dan (2026-03-20). Partner Pia is not a member.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from tests.reports.reciprocity.support import Bank
from timebank.community.listings import post_listing
from timebank.community.models import MemberSkill
from timebank.ledger.models import Category, MemberKind, Role
from timebank.ledger.transfers import record_transfer
from timebank.reports.reciprocity import Audience, BankSelection, Period, build_report
from timebank.reports.reciprocity.model import NodeKind

PERIOD = Period(date(2026, 3, 1), date(2026, 4, 30))


def approx(value):
    return pytest.approx(float(value), abs=1e-12)


@pytest.fixture
def riverside(session):
    b = Bank(session, threshold=3)
    ann = b.member("Ann Abbott")
    ben = b.member("Ben Brown")
    cat = b.member("Cat Clark")
    dan = b.member("Dan Dale", joined=date(2026, 3, 20))
    pat = b.member("Pat Price", kind=MemberKind.PROFESSIONAL)
    org = b.organisation("Org Services")
    b.member("Pia Partner", role=Role.PARTNER)
    b.give(ben, ann, 120, date(2026, 2, 10), "care")
    b.give(ann, ben, 60, date(2026, 3, 5), "gardening")
    b.give(ben, ann, 30, date(2026, 3, 10), "care")
    b.give(ann, pat, 90, date(2026, 3, 12), "civic")
    b.give(pat, cat, 120, date(2026, 4, 2), "care")
    b.give(cat, org, 60, date(2026, 4, 3), "civic")
    b.give(org, dan, 30, date(2026, 4, 20))
    b.give(ann, cat, 45, date(2026, 4, 25), "personal-care")
    mistake = b.give(dan, ben, 15, date(2026, 4, 28), "gardening")
    b.reverse(mistake)
    b.workshop(pat, [ann, ben], 60, date(2026, 4, 10), "learning")
    b.donate(pat, 30, date(2026, 3, 20))
    b.grant(dan, 30, date(2026, 4, 21))
    b.give(cat, ann, 60, date(2026, 5, 5))
    b.set_policy(requires_approval=True)
    pending = record_transfer(
        session,
        actor=dan,
        giver=dan.account,
        receiver=ann.account,
        minutes=600,
        service_date=date(2026, 3, 15),
        today=date(2026, 6, 30),
    )
    assert pending.status == "pending"
    slugs = {c.slug: c.id for c in session.query(Category).filter_by(time_bank_id=b.id)}
    for member, slug in (
        (ann, "gardening"),
        (ann, "care"),
        (ben, "gardening"),
        (pat, "personal-care"),
    ):
        session.add(MemberSkill(membership_id=member.id, category_id=slugs[slug]))
    post_listing(
        session, actor=cat, kind="offer", title="Help at meetings", category_id=slugs["civic"]
    )
    session.flush()
    b.people = {"ann": ann, "ben": ben, "cat": cat, "dan": dan, "pat": pat, "org": org}
    return b


@pytest.fixture
def report(session, riverside):
    return build_report(session, BankSelection.one(riverside.id), PERIOD, Audience.COORDINATOR)


def test_headline_with_the_previous_period(report):
    h = report.headline
    assert report.previous_period == Period(date(2025, 12, 30), date(2026, 2, 28))
    # 60+30+90+120+60+30+45+60+60; the reversed, pending, later and earlier ones left out.
    assert (h.hours.value, h.hours.previous, h.hours.change) == (555, 120, 435)
    assert (h.exchanges.value, h.exchanges.previous, h.exchanges.change) == (9, 1, 8)
    assert h.hours_per_exchange.value == approx(Fraction(555, 9))
    assert h.hours_per_exchange.previous == 120
    # Ann, Ben, Cat, Dan, Pat, Cora; at the end of February Dan had not joined.
    assert (h.registered.value, h.registered.previous) == (6, 5)
    # Cora exchanged nothing; before, only Ann and Ben.
    assert (h.active.value, h.active.previous) == (5, 2)
    assert h.active_rate.value == approx(Fraction(5, 6))
    assert h.active_rate.previous == approx(Fraction(2, 5))


def test_mutuality(report):
    m = report.mutuality
    # Given/received: Ann 195/90, Ben 30/120, Cat 60/165, Dan 0/30, Pat 240/90.
    assert m.people.value == 5
    assert m.two_way_rate.value == approx(Fraction(4, 5))
    assert m.only_give.value == 0
    assert m.only_receive.value == approx(Fraction(1, 5))
    assert [r.cells[0] for r in m.groups.rows] == [4, 0, 1]
    # b: Ann 105/285=0.37, Ben -90/150=-0.6 (the edge falls in "received more"),
    # Cat -105/225=-0.47, Dan -1, Pat 150/330=0.45.
    assert [r.cells[0] for r in m.balance_index.rows] == [1, 2, 0, 2, 0]
    assert [r.cells[1] for r in m.balance_index.rows] == [
        approx(Fraction(1, 5)),
        approx(Fraction(2, 5)),
        0,
        approx(Fraction(2, 5)),
        0,
    ]
    # Hours given 0, 30, 60, 195, 240: pairwise differences sum to 1290, mean 105,
    # Gini = 2 * 1290 / (2 * 5^2 * 105) = 86/175.
    assert m.gini.value == approx(Fraction(86, 175))


def test_shared_roles(report):
    flows = {
        r.key: dict(zip([c.key for c in report.shared_roles.flows.columns], r.cells, strict=True))
        for r in report.shared_roles.flows.rows
    }
    assert flows["participant"] == {
        "participant": 135,  # Ann->Ben 60, Ben->Ann 30, Ann->Cat 45
        "professional": 90,
        "organisation": 60,
        "pot": 0,
    }
    assert flows["professional"] == {
        "participant": 240,
        "professional": 0,
        "organisation": 0,
        "pot": 30,  # Pat's donation: credits, not time
    }
    assert flows["organisation"] == {
        "participant": 30,
        "professional": 0,
        "organisation": 0,
        "pot": 0,
    }
    assert flows["pot"] == {"participant": 30, "professional": 0, "organisation": 0, "pot": None}
    # (90 + 60) / (240 + 30)
    assert report.shared_roles.index.value == approx(Fraction(5, 9))


def test_assets(report):
    offers = {r.key: r.cells[0] for r in report.assets.offers.rows}
    assert offers["category:gardening"] == 2
    assert offers["category:care"] == 1
    assert offers["category:civic"] == 1  # Cat's offer on the notice board
    assert offers["category:personal-care"] == 1  # coordinators see sensitive ones apart
    assert offers["category:transport"] == 0
    # Ann, Ben and Cat of the four participants have given (Dan's was reversed).
    assert report.assets.participants_who_gave.value == approx(Fraction(3, 4))
    # First gave in the period: Ann Mar 5 (49 days), Pat Apr 2 (77), Cat Apr 3 (78).
    assert report.assets.median_days_to_first_gift.value == 77


def test_core_economy(report):
    core = report.core_economy
    assert core.hours.value == 555
    assert core.rate_pence == 1260 and not core.lowest_of_several_rates
    assert core.value.value == 11655  # 9.25 h x 12.60
    rows = {r.key: r.cells for r in core.by_category.rows}
    assert rows["category:gardening"] == (60, 1260)
    assert rows["category:care"] == (150, 3150)
    assert rows["category:civic"] == (150, 3150)
    assert rows["category:learning"] == (120, 2520)
    assert rows["category:personal-care"] == (45, 945)
    assert rows["none"] == (30, 630)
    assert rows["category:transport"] == (0, 0)


def test_pot(report):
    pot = report.pot
    assert (pot.inflow.value, pot.outflow.value) == (30, 30)
    assert (pot.people_helped.value, pot.donors.value) == (1, 1)


def test_trends(report):
    march, april = report.trends
    assert march.month == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert (march.hours, march.exchanges, march.active, march.registered) == (180, 3, 3, 6)
    assert (april.hours, april.exchanges, april.active, april.registered) == (375, 6, 5, 6)
    assert march.hours_per_exchange == 60
    assert april.active_rate == approx(Fraction(5, 6))


def test_network_measures(report):
    m = report.network.measures
    assert m.people.value == 5
    # 9 ties, 4 of them returned (Ann<->Ben, Ann<->Pat).
    assert m.reciprocity.value == approx(Fraction(4, 9))
    # min(60,30) twice + min(90,60) twice = 180 of 555.
    assert m.weighted_reciprocity.value == approx(Fraction(12, 37))
    assert m.density.value == approx(Fraction(9, 30))
    # (4/9 - 3/10) / (1 - 3/10)
    assert m.size_corrected_reciprocity.value == approx(Fraction(13, 63))
    # The only circle of three: Ann -> Pat -> Ben -> Ann (90 + 60 + 30).
    assert m.cycle_share.value == approx(Fraction(180, 555))
    assert m.strongly_connected_share.value == approx(Fraction(3, 6))
    # Neighbours: Ann 3, Ben 2, Cat 3, Dan 1, Pat 3.
    assert m.mean_partners.value == approx(Fraction(12, 5))
    assert (m.components.value, m.giant_share.value) == (1, 1.0)
    # Degrees 3, 2, 3, 1, 3, 2 (Org): (0+1+0+2+0+1) / (5 * 4)
    assert m.centralisation.value == approx(Fraction(4, 20))


def test_quarters(report):
    quarters = report.network.by_quarter
    assert len(quarters) == 8
    assert quarters[-1].quarter == Period(date(2026, 4, 1), date(2026, 4, 30))
    assert quarters[-2].quarter == Period(date(2026, 1, 1), date(2026, 3, 31))
    assert quarters[0].quarter == Period(date(2024, 7, 1), date(2024, 9, 30))
    # January to March: Ben->Ann (Feb), Ann->Ben, Ben->Ann, Ann->Pat: people Ann, Ben, Pat;
    # three ties, two returned.
    assert quarters[-2].people == 3
    assert quarters[-2].reciprocity == approx(Fraction(2, 3))
    assert quarters[0].people == 0 and quarters[0].reciprocity is None


def test_graph_for_coordinators(report, riverside):
    graph = report.network.graph
    p = riverside.people
    assert not graph.pseudonymised and graph.complete
    by_id = {n.id: n for n in graph.nodes}
    ann = f"a{p['ann'].account.id}"
    assert by_id[ann].label == "Ann Abbott" and by_id[ann].kind == NodeKind.PARTICIPANT
    assert by_id[f"a{p['pat'].account.id}"].kind == NodeKind.PROFESSIONAL
    assert by_id[f"a{p['org'].account.id}"].kind == NodeKind.ORGANISATION
    kinds = sorted(n.kind.value for n in graph.nodes)
    assert kinds.count("pot") == 1
    edges = {(e.source, e.target): e for e in graph.edges}
    ben = f"a{p['ben'].account.id}"
    assert edges[(ann, ben)].minutes == 60 and edges[(ann, ben)].reciprocated
    assert edges[(ann, ben)].weight == 1.0
    pot_edges = [e for e in graph.edges if not e.time]
    # Pat's donation into the pot, the grant out of it to Dan.
    assert len(pot_edges) == 2
    pat = f"a{p['pat'].account.id}"
    assert any(e.source == pat and by_id[e.target].kind == NodeKind.POT for e in pot_edges)
    dan = f"a{p['dan'].account.id}"
    assert any(e.target == dan and by_id[e.source].kind == NodeKind.POT for e in pot_edges)
    rows = graph.rows()
    assert len(rows) == len(graph.edges) == 11
    assert rows[0].minutes == 120  # heaviest first (Pat -> Cat)


def test_coordinator_lists(report):
    lists = report.coordinator
    assert [(m.name, m.minutes) for m in lists.only_received] == [("Dan Dale", 30)]
    # Cora never gave, nor did Dan (his one exchange was reversed).
    assert sorted(m.name for m in lists.never_given) == ["Cora Coordinator", "Dan Dale"]
    # Quiet since 2026-01-31 or earlier (90 days to Apr 30): nobody who exchanged before.
    assert lists.quiet == ()
    brokers = [m.name for m in lists.brokers]
    # Cat links Pat and Ann to Org and Dan; Ann and Pat sit between the others.
    # Betweenness: Cat 6 pairs, Ann and Pat 1.5 each, Ben and Dan none.
    assert brokers == ["Cat Clark", "Ann Abbott", "Pat Price"]
    assert "Dan Dale" not in brokers


def test_quiet_members(session, riverside):
    report = build_report(
        session,
        BankSelection.one(riverside.id),
        Period(date(2026, 6, 1), date(2026, 6, 30)),
        Audience.COORDINATOR,
    )
    # Last exchanges: Ann and Cat May 5, Ben Apr 28 is reversed so Apr 10, Dan Apr 21
    # (the grant is not time: Apr 20), Pat Apr 10. Quiet = nothing since Apr 2.
    assert [(m.name, m.last_exchange) for m in report.coordinator.quiet] == []
    report = build_report(
        session,
        BankSelection.one(riverside.id),
        Period(date(2026, 7, 1), date(2026, 7, 31)),
        Audience.COORDINATOR,
    )
    # 90 days to Jul 31 start on May 3: all but Ann and Cat (May 5) are quiet.
    assert [(m.name, m.last_exchange) for m in report.coordinator.quiet] == [
        ("Ben Brown", date(2026, 4, 10)),
        ("Pat Price", date(2026, 4, 10)),
        ("Dan Dale", date(2026, 4, 20)),
    ]


def test_a_coordinators_report_is_one_bank(session, riverside):
    from timebank.reports.reciprocity import InvalidSelectionError

    other = Bank(session)
    with pytest.raises(InvalidSelectionError):
        build_report(session, BankSelection((riverside.id, other.id)), PERIOD, Audience.COORDINATOR)
