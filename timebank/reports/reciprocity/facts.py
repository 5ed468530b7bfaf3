"""The raw numbers of a reciprocity report, read with aggregate queries: sums and
distinct counts in the database, at most one row per person (never one per transfer)
coming back to Python.

Nothing here applies privacy rules: each number carries the people it describes so
that ``partner_rules`` can decide what a partner may see. ``consenting=True`` keeps only
time between reportable parties (organisations, the pot, members with
``consent_reporting``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import chain

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.community.models import Listing, MemberSkill
from timebank.ledger.models import Category, TransferKind
from timebank.reports.reciprocity import scope
from timebank.reports.reciprocity.period import Period

NONE_KEY = "none"
SENSITIVE_KEY = "sensitive"


@dataclass(frozen=True)
class Totals:
    """All time in a period (every member counted)."""

    minutes: int
    exchanges: int
    givers: int  # people who gave time
    receivers: int  # people who received time


@dataclass
class PersonTime:
    """One person's time in the period, split by consent and by whether the
    membership counts as registered (a person may belong to several banks)."""

    kind: str  # participant or professional (their first counted membership's)
    given: int = 0  # all memberships
    received: int = 0
    counted_given: int = 0  # counted memberships
    counted_received: int = 0
    consenting_given: int = 0  # counted memberships with consent
    consenting_received: int = 0
    any_withheld: bool = False  # took part through a membership without consent


@dataclass(frozen=True)
class PeriodTime:
    totals: Totals
    people: dict[int, PersonTime]  # by person id


def period_time(session: Session, bank_ids: tuple[int, ...], period: Period) -> PeriodTime:
    """Every person's time in the period and the period's totals, in one query."""
    (found,) = periods_time(session, bank_ids, [period])
    return found


def periods_time(
    session: Session, bank_ids: tuple[int, ...], periods: list[Period]
) -> list[PeriodTime]:
    """:func:`period_time` of each of ``periods`` (sorted, consecutive), in one query:
    each account's time is summed first (a few thousand rows, where joining every
    transfer to its holder cost more than reading it), then one row per person (per
    kind of membership) and one for all organisations together, per period."""
    tt = scope.transfers(bank_ids, periods[0].start, periods[-1].end).subquery()
    with_index = sa.select(
        tt, scope.bucket(tt.c.service_date, [q.end for q in periods]).label("i")
    ).subquery()
    s = scope.sides(with_index, "i")
    per_account = (
        sa.select(
            s.c.i,
            s.c.account_id,
            *scope.side_sums(s),
        )
        .group_by(s.c.i, s.c.account_id)
        .subquery()
    )
    p = scope.parties(bank_ids)
    rows = session.execute(
        sa.select(
            per_account.c.i,
            p.c.person_id,
            p.c.role,
            p.c.counted,
            p.c.reportable,
            sa.func.sum(per_account.c.given),
            sa.func.sum(per_account.c.received),
            sa.func.sum(per_account.c.gifts),
        )
        .join(p, p.c.account_id == per_account.c.account_id)
        .group_by(per_account.c.i, p.c.person_id, p.c.role, p.c.counted, p.c.reportable)
        .order_by(per_account.c.i, p.c.person_id, p.c.counted.desc(), p.c.role)
    ).all()
    by_period: list[list] = [[] for _ in periods]
    for i, *row in rows:
        by_period[i].append(row)
    return [_period_time(found) for found in by_period]


def _period_time(rows: list) -> PeriodTime:
    people: dict[int, PersonTime] = {}
    minutes = exchanges = 0
    for person_id, role, is_counted, reportable, given, received, gifts in rows:
        given, received = int(given or 0), int(received or 0)
        minutes += given
        exchanges += int(gifts or 0)
        if person_id is None:
            continue
        person = people.setdefault(person_id, PersonTime(kind=str(role)))
        person.given += given
        person.received += received
        if is_counted:
            person.counted_given += given
            person.counted_received += received
            if reportable:
                person.consenting_given += given
                person.consenting_received += received
        if not reportable and given + received:
            person.any_withheld = True
    totals = Totals(
        minutes=minutes,
        exchanges=exchanges,
        givers=sum(1 for person in people.values() if person.given),
        receivers=sum(1 for person in people.values() if person.received),
    )
    return PeriodTime(totals, people)


@dataclass(frozen=True)
class MonthTotals:
    minutes: int
    exchanges: int
    givers: int
    receivers: int
    active: int  # counted people who gave or received


def month_totals(session: Session, bank_ids: tuple[int, ...], period: Period) -> list[MonthTotals]:
    """The period's figures for each of ``period.months()``, in order, in one query
    (per month and person; organisations together)."""
    months = period.months()
    tt = scope.transfers(bank_ids, period.start, period.end).subquery()
    with_month = sa.select(
        tt, scope.bucket(tt.c.service_date, [m.end for m in months]).label("month")
    ).subquery()
    s = scope.sides(with_month, "month")
    # Straight to each person's month: an account has about two transfers a month, so
    # summing each account's month first (as ``periods_time`` does for whole periods)
    # halved the rows and cost more than it saved.
    p = scope.parties(bank_ids)
    per_person = (
        sa.select(
            s.c.month,
            p.c.person_id,
            *scope.side_sums(s),
            sa.func.sum(sa.case((p.c.counted == 1, s.c.given + s.c.received), else_=0)).label(
                "counted_time"
            ),
        )
        .join(p, p.c.account_id == s.c.account_id)
        .group_by(s.c.month, p.c.person_id)
        .subquery()
    )
    is_person = per_person.c.person_id.is_not(None)
    found = {
        int(m): tuple(int(v or 0) for v in values)
        for m, *values in session.execute(
            sa.select(
                per_person.c.month,
                sa.func.sum(per_person.c.given),
                sa.func.sum(per_person.c.gifts),
                sa.func.sum(sa.case((sa.and_(is_person, per_person.c.given > 0), 1), else_=0)),
                sa.func.sum(sa.case((sa.and_(is_person, per_person.c.received > 0), 1), else_=0)),
                sa.func.sum(sa.case((per_person.c.counted_time > 0, 1), else_=0)),
            ).group_by(per_person.c.month)
        )
    }
    return [MonthTotals(*found.get(i, (0, 0, 0, 0, 0))) for i in range(len(months))]


@dataclass(frozen=True)
class FlowCell:
    minutes: int
    givers: int  # people on the giving side
    receivers: int  # people on the receiving side


def flows(
    session: Session, bank_ids: tuple[int, ...], period: Period, *, consenting: bool
) -> dict[tuple[str, str], FlowCell]:
    """Time between roles (participant, professional, organisation), by (giver's role,
    receiver's role), and credits to and from the pot (role -> "pot": donations;
    "pot" -> role: grants), in one query."""
    tt = scope.transfers(
        bank_ids, period.start, period.end, scope.TIME_KINDS + scope.POT_KINDS
    ).subquery()
    p = scope.parties(bank_ids, consenting=consenting)
    gp, rp = p.alias("gp"), p.alias("rp")
    is_time = sa.case((tt.c.kind.in_([k.value for k in scope.TIME_KINDS]), 1), else_=0)
    query = (
        sa.select(
            is_time.label("is_time"),
            gp.c.role,
            rp.c.role,
            sa.func.sum(tt.c.minutes),
            sa.func.count(sa.distinct(gp.c.person_id)),
            sa.func.count(sa.distinct(rp.c.person_id)),
        )
        .select_from(tt)
        .join(gp, gp.c.account_id == tt.c.giver)
        .join(rp, rp.c.account_id == tt.c.receiver)
        .group_by(is_time, gp.c.role, rp.c.role)
    )
    cells: dict[tuple[str, str], FlowCell] = {}
    for time, giver_role, receiver_role, minutes, givers, receivers in session.execute(query):
        giver_role, receiver_role = str(giver_role), str(receiver_role)
        if time:
            cells[(giver_role, receiver_role)] = FlowCell(int(minutes), int(givers), int(receivers))
        else:
            # Credits go from the debited account to the credited one: a donation
            # credits the pot, a grant its recipient (the other way from time).
            cells[(receiver_role, giver_role)] = FlowCell(int(minutes), int(receivers), int(givers))
    return cells


@dataclass(frozen=True)
class PotTotals:
    inflow: int
    outflow: int
    donors: int  # people (organisations are not people)
    recipients: int
    withheld_donors: int  # donors through a membership without consent
    withheld_recipients: int


def pot_totals(session: Session, bank_ids: tuple[int, ...], period: Period) -> PotTotals:
    tt = scope.transfers(bank_ids, period.start, period.end, scope.POT_KINDS).subquery()
    p = scope.parties(bank_ids)
    # A donation debits the donor; a grant credits the recipient.
    member_side = sa.case((tt.c.kind == TransferKind.DONATION, tt.c.receiver), else_=tt.c.giver)
    rows = session.execute(
        sa.select(
            tt.c.kind,
            sa.func.sum(tt.c.minutes),
            sa.func.count(sa.distinct(p.c.person_id)),
            sa.func.count(sa.distinct(sa.case((p.c.reportable == 0, p.c.person_id)))),
        )
        .select_from(tt)
        .join(p, p.c.account_id == member_side)
        .group_by(tt.c.kind)
    ).all()
    found = {str(kind): (int(m), int(n), int(w)) for kind, m, n, w in rows}
    inflow, donors, withheld_donors = found.get(str(TransferKind.DONATION), (0, 0, 0))
    outflow, recipients, withheld_recipients = found.get(str(TransferKind.GRANT), (0, 0, 0))
    return PotTotals(inflow, outflow, donors, recipients, withheld_donors, withheld_recipients)


@dataclass(frozen=True)
class CategoryInfo:
    key: str  # "category:<slug>", "sensitive" or "none"
    name: str
    sensitive: bool


def categories(session: Session, bank_ids: tuple[int, ...]) -> dict[str, CategoryInfo]:
    """The banks' categories by slug (a slug sensitive in any bank is sensitive in all;
    the name is the first bank's)."""
    found: dict[str, CategoryInfo] = {}
    for slug, name, sensitive in session.execute(
        sa.select(Category.slug, Category.name, Category.is_sensitive)
        .where(Category.time_bank_id.in_(bank_ids))
        .order_by(Category.time_bank_id, Category.id)
    ):
        old = found.get(slug)
        found[slug] = CategoryInfo(
            f"category:{slug}",
            old.name if old else name,
            bool(sensitive) or (old is not None and old.sensitive),
        )
    return found


def _category_key(category, sensitive_slugs: list[str], merge_sensitive: bool):
    whens = [(category.id.is_(None), NONE_KEY)]
    if merge_sensitive and sensitive_slugs:
        whens.append((category.slug.in_(sensitive_slugs), SENSITIVE_KEY))
    return sa.case(*whens, else_=sa.literal("category:") + category.slug)


def category_hours(
    session: Session,
    bank_ids: tuple[int, ...],
    period: Period,
    sensitive_slugs: list[str],
    *,
    consenting: bool,
) -> dict[str, FlowCell]:
    """Time by kind of help: minutes and the people giving and receiving it. Partners'
    reports (consenting=True) put every sensitive category in one row."""
    tt = scope.transfers(bank_ids, period.start, period.end).subquery()
    p = scope.parties(bank_ids, consenting=consenting)
    gp, rp = p.alias("gp"), p.alias("rp")
    key = _category_key(Category, sensitive_slugs, consenting).label("key")
    query = (
        sa.select(
            key,
            sa.func.sum(tt.c.minutes),
            sa.func.count(sa.distinct(gp.c.person_id)),
            sa.func.count(sa.distinct(rp.c.person_id)),
        )
        .select_from(tt)
        .outerjoin(Category, Category.id == tt.c.category_id)
        .join(gp, gp.c.account_id == tt.c.giver)
        .join(rp, rp.c.account_id == tt.c.receiver)
        .group_by(key)
    )
    return {str(k): FlowCell(int(m), int(g), int(r)) for k, m, g, r in session.execute(query)}


def offers(
    session: Session, bank_ids: tuple[int, ...], end: date, sensitive_slugs: list[str]
) -> list[tuple[int, str, str]]:
    """(membership id, partners' key, own key) for each kind of help a member offers:
    ticked on their profile, or an offer on the notice board that is active now and not
    expired by ``end``. The partners' key of a sensitive category is "sensitive"; who
    counts is decided with the members' facts (``members.py``)."""
    offered = sa.union(
        sa.select(MemberSkill.membership_id, MemberSkill.category_id),
        sa.select(Listing.membership_id, Listing.category_id).where(
            Listing.kind == "offer",
            Listing.status == "active",
            Listing.category_id.is_not(None),
            sa.or_(Listing.expires_on.is_(None), Listing.expires_on >= end),
        ),
    ).subquery()
    key = sa.case(
        (Category.slug.in_(sensitive_slugs), SENSITIVE_KEY),
        else_=sa.literal("category:") + Category.slug,
    )
    rows = session.execute(
        sa.select(offered.c.membership_id, key, Category.slug)
        .join(Category, Category.id == offered.c.category_id)
        .where(Category.time_bank_id.in_(bank_ids))
        .distinct()
    )
    return [(membership_id, str(k), f"category:{slug}") for membership_id, k, slug in rows]


@dataclass
class EdgeSet:
    """Time between accounts (minutes by (giver, receiver)) and what each account is."""

    minutes: dict[tuple[int, int], int] = field(default_factory=dict)
    role: dict[int, str] = field(default_factory=dict)
    person: dict[int, int | None] = field(default_factory=dict)
    membership: dict[int, int | None] = field(default_factory=dict)


def edges(
    session: Session,
    bank_ids: tuple[int, ...],
    periods: list[Period],
    *,
    consenting: bool,
    kinds: tuple[TransferKind, ...] = scope.TIME_KINDS,
) -> list[EdgeSet]:
    """The network of each of ``periods`` (sorted, not overlapping): minutes by (period,
    giver, receiver) in one query, and what each account is in another."""
    found = edge_minutes(session, bank_ids, periods, consenting=consenting, kinds=kinds)
    describe(session, bank_ids, found, consenting=consenting)
    return found


def edge_minutes(
    session: Session,
    bank_ids: tuple[int, ...],
    periods: list[Period],
    *,
    consenting: bool,
    kinds: tuple[TransferKind, ...] = scope.TIME_KINDS,
) -> list[EdgeSet]:
    """Minutes by (giver, receiver) in each of ``periods`` (sorted, not overlapping), in
    one query; what the accounts are is left for :func:`describe`."""
    start, end = periods[0].start, periods[-1].end
    tt = scope.transfers(bank_ids, start, end, kinds).subquery()
    p = scope.parties(bank_ids, consenting=consenting)
    gp, rp = p.alias("gp"), p.alias("rp")
    index = scope.bucket(tt.c.service_date, [q.end for q in periods]).label("i")
    query = (
        sa.select(index, tt.c.giver, tt.c.receiver, sa.func.sum(tt.c.minutes))
        .select_from(tt)
        .join(gp, gp.c.account_id == tt.c.giver)
        .join(rp, rp.c.account_id == tt.c.receiver)
        .group_by(index, tt.c.giver, tt.c.receiver)
    )
    result = [EdgeSet() for _ in periods]
    for i, giver, receiver, minutes in session.execute(query):
        result[i].minutes[(giver, receiver)] = int(minutes)
    return result


def merged(parts: list[EdgeSet]) -> EdgeSet:
    """The network of consecutive periods together: the minutes of each pair summed."""
    whole = EdgeSet()
    for part in parts:
        for pair, minutes in part.minutes.items():
            whole.minutes[pair] = whole.minutes.get(pair, 0) + minutes
    return whole


def describe(
    session: Session, bank_ids: tuple[int, ...], found: list[EdgeSet], *, consenting: bool
) -> None:
    """Fill in what each account of the networks ``found`` is (role, person,
    membership), in one query for them all."""
    ends = [set(chain.from_iterable(edge_set.minutes)) for edge_set in found]
    accounts = set().union(*ends)
    if not accounts:
        return
    p = scope.parties(bank_ids, consenting=consenting)
    attributes = {
        account_id: (str(role), person_id, membership_id)
        for account_id, role, person_id, membership_id in session.execute(
            sa.select(p.c.account_id, p.c.role, p.c.person_id, p.c.membership_id)
        )
        if account_id in accounts
    }
    for edge_set, accounts_of in zip(found, ends, strict=True):
        for account_id in accounts_of:
            role, person_id, membership_id = attributes[account_id]
            edge_set.role[account_id] = role
            edge_set.person[account_id] = person_id
            edge_set.membership[account_id] = membership_id
