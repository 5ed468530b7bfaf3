"""The demo partner's two banks: `flask timebank demo` gives the partner (a council
commissioner) a partner membership in the demo bank and in a second, smaller bank, with
enough consenting members and history that most of a partner's figures are shown, and
a demo made before the second bank existed gets it on the next run."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from tests.factories import bank_today
from tests.web.test_cli import run
from timebank.demo import DEMO_SLUG, PARTNER_EMAIL, VALLEY_SLUG
from timebank.extensions import db
from timebank.ledger.models import Account, Membership, MembershipStatus, Person, Role, TimeBank
from timebank.ledger.verify import verify_ledger
from timebank.reports.reciprocity import Audience, BankSelection, Period, Suppressed, build_report


def numbers_and_hidden(report) -> tuple[int, int]:
    """How many numbers a partner's report has (outside the network), and how many of
    them are suppressed."""
    counted = hidden = 0

    def walk(value):
        nonlocal counted, hidden
        if isinstance(value, Suppressed):
            counted += 1
            hidden += 1
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            counted += 1

    for section in ("headline", "mutuality", "shared_roles", "assets", "core_economy", "pot"):
        walk(getattr(report, section))
    return counted, hidden


def test_the_demo_partner_reads_two_banks(runner, session):
    result = run(runner, "demo")
    assert result.exit_code == 0, result.output
    assert "Valley Community Time Bank" in result.output
    session.rollback()
    partner = session.scalar(sa.select(Person).where(Person.email == PARTNER_EMAIL))
    memberships = session.scalars(
        sa.select(Membership).where(Membership.person_id == partner.id)
    ).all()
    slugs = {m.time_bank.slug for m in memberships}
    assert slugs == {DEMO_SLUG, VALLEY_SLUG}
    assert all(m.role == Role.PARTNER and m.status == MembershipStatus.ACTIVE for m in memberships)
    # A partner membership holds no account.
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Account)
            .where(Account.membership_id.in_([m.id for m in memberships]))
        )
        == 0
    )
    assert verify_ledger(session) == []


def test_most_of_a_partners_figures_are_shown(runner, session):
    assert run(runner, "demo").exit_code == 0
    session.rollback()
    banks = dict(session.execute(sa.select(TimeBank.slug, TimeBank.id)).all())
    period = Period.last_months(bank_today(), 12)
    for selection in (
        BankSelection.one(banks[VALLEY_SLUG]),
        BankSelection((banks[DEMO_SLUG], banks[VALLEY_SLUG])),
    ):
        report = build_report(db.session, selection, period, Audience.PARTNER)
        counted, hidden = numbers_and_hidden(report)
        assert counted > 80
        assert hidden <= counted // 10, (selection, hidden, counted)
        assert not isinstance(report.network.graph, Suppressed)
        assert not isinstance(report.headline.active.value, Suppressed)
        assert not isinstance(report.shared_roles.index.value, Suppressed)
        assert not isinstance(report.mutuality.two_way_rate.value, Suppressed)


def test_a_demo_made_before_the_second_bank_gets_it_on_the_next_run(runner, session):
    from timebank.demo.seeding import seed_demo
    from timebank.ledger.database import run_in_transaction

    # The demo as it was: the first bank only.
    run_in_transaction(db.session, lambda: seed_demo(db.session, with_second_bank=False))
    assert session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == VALLEY_SLUG)) is None

    result = run(runner, "demo")
    assert result.exit_code == 0, result.output
    assert "Valley Community Time Bank" in result.output
    session.rollback()
    assert session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == VALLEY_SLUG)) is not None
    again = run(runner, "demo")
    assert "already there; nothing was added" in again.output
