"""Categories on a real database: added with a slug from the name, unique per time bank,
renamed without changing the slug, retired and marked sensitive, each audited."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory, bank_today
from timebank.ledger import categories as service
from timebank.ledger import errors
from timebank.ledger.models import AuditEntry, Category
from timebank.ledger.transfers import record_transfer
from timebank.ledger.verify import verify_ledger


@pytest.fixture
def bank(session):
    return TimeBankFactory()


def last_audit(session, bank_id):
    return session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.time_bank_id == bank_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one()


def test_slugs_come_from_the_name():
    assert service.slugify("Lifts & transport") == "lifts-transport"
    assert service.slugify("  Café  visits!! ") == "cafe-visits"
    assert service.slugify("***") == ""
    assert len(service.slugify("x" * 200)) == 60


def test_adding_a_category(session, bank, coordinator):
    category = service.add_category(
        session, actor=coordinator, name="  Dog   walking ", is_sensitive=False
    )
    assert (category.slug, category.name, category.active) == ("dog-walking", "Dog walking", True)
    entry = last_audit(session, bank.id)
    assert entry.action == "category.added" and entry.actor_id == coordinator.id
    assert json.loads(entry.after)["slug"] == "dog-walking"
    assert verify_ledger(session) == []


def test_names_and_slugs_are_unique_per_bank(session, bank, coordinator):
    service.add_category(session, actor=coordinator, name="Dog walking")
    for name in ("dog walking", "Dog-walking!"):
        with pytest.raises(errors.DuplicateError) as refused:
            service.add_category(session, actor=coordinator, name=name)
        assert refused.value.field == "name"
    # Another time bank may have its own.
    other = CoordinatorFactory()
    assert service.add_category(session, actor=other, name="Dog walking").slug == "dog-walking"
    for bad in ("", "   ", "!!!", "x" * 121):
        with pytest.raises(errors.InvalidPolicyError):
            service.add_category(session, actor=coordinator, name=bad)


def test_renaming_keeps_the_slug_and_refuses_a_taken_name(session, bank, coordinator):
    garden = service.add_category(session, actor=coordinator, name="Garden jobs")
    service.rename_category(session, actor=coordinator, category=garden, name="Gardening help")
    assert (garden.name, garden.slug) == ("Gardening help", "garden-jobs")
    entry = last_audit(session, bank.id)
    assert json.loads(entry.before)["name"] == "Garden jobs"
    assert json.loads(entry.after)["name"] == "Gardening help"
    with pytest.raises(errors.DuplicateError):
        # "Gardening" is one of the default categories.
        service.rename_category(session, actor=coordinator, category=garden, name="gardening")


def test_a_retired_category_is_not_offered_but_keeps_its_past(session, bank, coordinator):
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)
    gardening = session.scalar(
        sa.select(Category).where(Category.time_bank_id == bank.id, Category.slug == "gardening")
    )
    past = record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=bank_today(),
        category="gardening",
    )
    service.set_category_active(session, actor=coordinator, category=gardening, active=False)
    assert last_audit(session, bank.id).action == "category.retired"
    with pytest.raises(errors.UnknownCategoryError):
        record_transfer(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            minutes=60,
            service_date=bank_today(),
            category="gardening",
        )
    assert past.category.name == "Gardening"
    with pytest.raises(errors.InvalidPolicyError):
        service.set_category_active(session, actor=coordinator, category=gardening, active=False)
    service.set_category_active(session, actor=coordinator, category=gardening, active=True)
    assert gardening.active


def test_marking_sensitive(session, bank, coordinator):
    category = service.add_category(session, actor=coordinator, name="Foot care")
    service.set_category_sensitive(session, actor=coordinator, category=category, sensitive=True)
    assert category.is_sensitive
    entry = last_audit(session, bank.id)
    assert json.loads(entry.before)["is_sensitive"] is False
    assert json.loads(entry.after)["is_sensitive"] is True


def test_only_the_banks_coordinator_changes_categories(session, bank, coordinator):
    category = service.add_category(session, actor=coordinator, name="Foot care")
    member = MembershipFactory(bank=bank)
    outsider = CoordinatorFactory()
    for actor in (member, outsider):
        with pytest.raises(errors.NotAllowedError):
            service.rename_category(session, actor=actor, category=category, name="Feet")
        with pytest.raises(errors.NotAllowedError):
            service.set_category_active(session, actor=actor, category=category, active=False)
        with pytest.raises(errors.NotAllowedError):
            service.set_category_sensitive(session, actor=actor, category=category, sensitive=True)
    with pytest.raises(errors.NotAllowedError):
        service.add_category(session, actor=member, name="Anything")
    assert (category.name, category.active, category.is_sensitive) == ("Foot care", True, False)
