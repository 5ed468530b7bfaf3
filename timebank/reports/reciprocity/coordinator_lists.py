"""Names a coordinator may want to act on (their own bank's report only, never a
partner's): who only received in the period, who has never given, who has gone quiet,
and the brokers of the network."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger.models import Account, AccountKind, Membership, Organisation, Person
from timebank.reports.reciprocity import facts, network
from timebank.reports.reciprocity.members import MemberFacts
from timebank.reports.reciprocity.model import CoordinatorLists, NamedMember
from timebank.reports.reciprocity.period import Period

QUIET_DAYS = 90
BROKERS = 10


def coordinator_lists(
    session: Session,
    bank_id: int,
    period: Period,
    people: dict[int, facts.PersonTime],
    members: list[MemberFacts],
    time: facts.EdgeSet,
    brokers: list[tuple[int, float]],
) -> CoordinatorLists:
    """The four lists, from the period's people, the members' facts (up to the
    period's end) and the network's ``brokers`` (:func:`brokers_of`); one query for
    the names."""
    names = dict(
        session.execute(
            sa.select(Membership.id, Person.display_name)
            .join(Person, Person.id == Membership.person_id)
            .where(Membership.time_bank_id == bank_id)
        ).all()
    )
    registered = [m for m in members if m.registered_by(period.end)]
    by_person = {m.person_id: m for m in registered}

    def named(m: MemberFacts, **detail) -> NamedMember:
        return NamedMember(m.membership_id, names[m.membership_id], m.kind, **detail)

    only_received = sorted(
        (
            named(by_person[person_id], minutes=p.counted_received)
            for person_id, p in people.items()
            if p.counted_given == 0 and p.counted_received > 0 and person_id in by_person
        ),
        key=lambda m: (-(m.minutes or 0), m.name),
    )
    never_given = sorted(
        (named(m) for m in registered if m.first_given is None), key=lambda m: m.name
    )
    since = period.end - timedelta(days=QUIET_DAYS - 1)
    quiet = sorted(
        (
            named(m, last_exchange=m.last_exchange)
            for m in registered
            if m.last_exchange is not None and m.last_exchange < since
        ),
        key=lambda m: (m.last_exchange, m.name),
    )
    named_brokers = [
        named(by_person[person_id], score=score)
        for account_id, score in brokers
        if (person_id := time.person.get(account_id)) is not None and person_id in by_person
    ][:BROKERS]
    return CoordinatorLists(
        only_received=tuple(only_received),
        never_given=tuple(never_given),
        quiet=tuple(quiet),
        brokers=tuple(named_brokers),
    )


def brokers_of(time: facts.EdgeSet) -> list[tuple[int, float]]:
    """Member accounts by betweenness, highest first (ties by account id). Touches no
    database."""
    scores = network.betweenness(network.build_graph(time.minutes))
    return sorted(
        (
            (account_id, round(score, 4))
            for account_id, score in scores.items()
            if score > 0 and time.person.get(account_id) is not None
        ),
        key=lambda item: (-item[1], item[0]),
    )


def account_names(session: Session, account_ids: list[int]) -> dict[int, str]:
    """The holder's name of each account (people and organisations; not the pot)."""
    names: dict[int, str] = {}
    for start in range(0, len(account_ids), 1000):
        chunk = account_ids[start : start + 1000]
        for account_id, kind, person_name, organisation_name in session.execute(
            sa.select(Account.id, Account.kind, Person.display_name, Organisation.name)
            .outerjoin(Membership, Membership.id == Account.membership_id)
            .outerjoin(Person, Person.id == Membership.person_id)
            .outerjoin(Organisation, Organisation.id == Account.organisation_id)
            .where(Account.id.in_(chunk))
        ):
            if kind == AccountKind.MEMBER and person_name:
                names[account_id] = person_name
            elif kind == AccountKind.ORGANISATION and organisation_name:
                names[account_id] = organisation_name
    return names
