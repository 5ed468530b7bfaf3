"""Setting up a time bank on a real database: the bank and its policies, the pot, people,
memberships and organisations. A refused request writes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests.factories import (
    CoordinatorFactory,
    MembershipFactory,
    PersonFactory,
    TimeBankFactory,
)
from timebank.community.people import create_person, get_person_by_email
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.banks import (
    DEFAULT_CATEGORIES,
    add_membership,
    create_organisation,
    create_time_bank,
    get_pot_account,
)
from timebank.ledger.database import run_in_transaction
from timebank.ledger.models import (
    Account,
    AccountKind,
    AuditChain,
    AuditEntry,
    Category,
    Membership,
    MembershipStatus,
    Organisation,
    Person,
    Role,
    TimeBank,
)
from timebank.ledger.verify import verify_ledger

TABLES = (TimeBank, Person, Membership, Organisation, Account, Category, AuditEntry, AuditChain)


def row_counts(session):
    return {
        model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in TABLES
    }


def assert_refused(session, error, work):
    """Run ``work`` as the app does (commit or roll back) and check nothing was written."""
    session.commit()
    before = row_counts(session)
    with pytest.raises(error) as caught:
        run_in_transaction(session, work)
    assert row_counts(session) == before
    assert str(caught.value)
    return caught.value


@pytest.fixture
def bank(session):
    return TimeBankFactory()


def test_a_new_bank_has_its_pot_chain_and_categories(session):
    bank = create_time_bank(
        session, name="  Riverside Time Bank ", slug="riverside", floor_minutes=-300
    )
    assert bank.name == "Riverside Time Bank" and bank.floor_minutes == -300
    pot = get_pot_account(session, bank.id)
    assert pot.kind == AccountKind.POT and pot.balance == 0
    assert session.get(AuditChain, bank.id).last_seq == 1
    slugs = session.scalars(sa.select(Category.slug).where(Category.time_bank_id == bank.id)).all()
    assert sorted(slugs) == sorted(slug for slug, _, _ in DEFAULT_CATEGORIES)
    sensitive = session.scalars(
        sa.select(Category.slug).where(Category.time_bank_id == bank.id, Category.is_sensitive)
    ).all()
    assert sorted(sensitive) == ["peer-support", "personal-care"]
    assert verify_ledger(session) == []


def test_a_bank_without_default_categories(session):
    bank = create_time_bank(session, name="Bare", slug="bare", with_default_categories=False)
    assert bank.categories == []
    assert get_pot_account(session, bank.id).kind == AccountKind.POT


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "UPPER"}, "slug"),
        ({"slug": "-leading"}, "slug"),
        ({"slug": "double--hyphen"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"name": "   "}, "name"),
        ({"floor_minutes": 60}, "floor_minutes"),
        ({"cap_minutes": 0}, "cap_minutes"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"minute_step": 0}, "minute_step"),
        ({"minute_step": 61}, "minute_step"),
        ({"max_minutes_per_transfer": 0}, "max_minutes_per_transfer"),
        ({"max_backdate_days": -1}, "max_backdate_days"),
        ({"auto_approve_max_minutes": "60"}, "auto_approve_max_minutes"),
        ({"colour": "green"}, None),
    ],
)
def test_create_time_bank_refuses_bad_settings_and_writes_nothing(session, kwargs, field):
    args = {"name": "Riverside", "slug": "riverside", **kwargs}
    error = assert_refused(
        session, errors.InvalidPolicyError, lambda: create_time_bank(session, **args)
    )
    assert error.field == field
    if "colour" in kwargs:
        assert "colour" in str(error)


def test_a_slug_is_used_once(session):
    create_time_bank(session, name="Riverside", slug="riverside")
    error = assert_refused(
        session,
        errors.DuplicateError,
        lambda: create_time_bank(session, name="Another", slug="riverside"),
    )
    assert error.field == "slug" and "riverside" in str(error)


def test_the_database_allows_one_pot_per_bank(session, bank, engine_name):
    session.commit()
    with pytest.raises(IntegrityError) as caught:
        session.execute(sa.insert(Account).values(time_bank_id=bank.id, kind="pot"))
    session.rollback()
    if engine_name == "postgresql":
        assert "uq_account_one_pot_per_bank" in str(caught.value)
    else:
        assert "account.time_bank_id, account.kind" in str(caught.value)
    pots = session.scalars(
        sa.select(Account).where(Account.time_bank_id == bank.id, Account.kind == "pot")
    ).all()
    assert len(pots) == 1
    # One equity account too; member accounts are not limited by the index.
    session.execute(sa.insert(Account).values(time_bank_id=bank.id, kind="equity"))
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(sa.insert(Account).values(time_bank_id=bank.id, kind="equity"))
    session.rollback()
    MembershipFactory(bank=bank)
    MembershipFactory(bank=bank)
    session.commit()
    assert (
        session.scalar(
            sa.select(sa.func.count()).where(
                Account.time_bank_id == bank.id, Account.kind == AccountKind.MEMBER
            )
        )
        == 2
    )


def test_each_bank_has_its_own_pot(session):
    first, second = TimeBankFactory(), TimeBankFactory()
    assert get_pot_account(session, first.id).id != get_pot_account(session, second.id).id


def test_add_membership_creates_an_account(session, bank):
    person = PersonFactory()
    membership = add_membership(session, actor=None, bank=bank, person=person)
    assert membership.role == Role.MEMBER and membership.status == MembershipStatus.ACTIVE
    assert membership.account.kind == AccountKind.MEMBER
    assert membership.account.time_bank_id == bank.id and membership.account.balance == 0


def test_a_person_joins_a_bank_once(session, bank):
    person = PersonFactory()
    add_membership(session, actor=None, bank=bank, person=person)
    assert_refused(
        session,
        errors.DuplicateError,
        lambda: add_membership(session, actor=None, bank=bank, person=person),
    )
    # The same person may join another time bank.
    other = TimeBankFactory()
    assert add_membership(session, actor=None, bank=other, person=person).account


def test_only_a_coordinator_of_the_bank_adds_members(session, bank):
    member = MembershipFactory(bank=bank)
    outsider = CoordinatorFactory()
    person = PersonFactory()
    for actor in (member, outsider):
        assert_refused(
            session,
            errors.NotAllowedError,
            lambda a=actor: add_membership(session, actor=a, bank=bank, person=person),
        )
    coordinator = CoordinatorFactory(bank=bank)
    assert add_membership(session, actor=coordinator, bank=bank, person=person).id


def test_create_person_normalises_the_email(session):
    person = create_person(session, email="  Alice.Smith@Example.ORG ", display_name=" Alice ")
    assert person.email == "alice.smith@example.org" and person.display_name == "Alice"
    assert get_person_by_email(session, "ALICE.SMITH@example.org ").id == person.id


def test_create_person_refuses_duplicates_whatever_the_case(session):
    create_person(session, email="alice@example.org", display_name="Alice")
    error = assert_refused(
        session,
        errors.DuplicateError,
        lambda: create_person(session, email="ALICE@Example.org", display_name="Alice Two"),
    )
    assert error.field == "email"


@pytest.mark.parametrize(
    ("email", "name", "field"),
    [
        ("not-an-email", "Alice", "email"),
        ("a@b", "Alice", "email"),
        ("two words@example.org", "Alice", "email"),
        ("", "Alice", "email"),
        ("x" * 250 + "@example.org", "Alice", "email"),
        ("alice@example.org", "   ", "display_name"),
        ("alice@example.org", "x" * 121, "display_name"),
    ],
)
def test_create_person_refuses_bad_input(session, email, name, field):
    error = assert_refused(
        session,
        errors.InvalidPolicyError,
        lambda: create_person(session, email=email, display_name=name),
    )
    assert error.field == field


def test_create_organisation_creates_an_account(session, bank):
    coordinator = CoordinatorFactory(bank=bank)
    council = create_organisation(session, actor=coordinator, bank=bank, name=" Health Board ")
    assert council.name == "Health Board" and council.active
    assert council.account.kind == AccountKind.ORGANISATION
    assert council.account.time_bank_id == bank.id and council.account.balance == 0
    assert council.account.label == "Health Board"
    assert verify_ledger(session) == []


def test_create_organisation_refuses_duplicates_members_and_blank_names(session, bank):
    coordinator = CoordinatorFactory(bank=bank)
    member = MembershipFactory(bank=bank)
    create_organisation(session, actor=coordinator, bank=bank, name="Health Board")
    assert_refused(
        session,
        errors.DuplicateError,
        lambda: create_organisation(session, actor=coordinator, bank=bank, name="Health Board"),
    )
    assert_refused(
        session,
        errors.NotAllowedError,
        lambda: create_organisation(session, actor=member, bank=bank, name="Library"),
    )
    assert_refused(
        session,
        errors.InvalidPolicyError,
        lambda: create_organisation(session, actor=coordinator, bank=bank, name="  "),
    )
    # The same name is free in another time bank.
    assert create_organisation(session, actor=None, bank=TimeBankFactory(), name="Health Board")


def test_the_database_enforces_what_the_services_check(session, bank):
    """If a service's check were skipped, the database would still refuse."""
    session.commit()
    for statement in (
        sa.insert(TimeBank).values(name="Copy", slug=bank.slug),
        sa.update(TimeBank).where(TimeBank.id == bank.id).values(floor_minutes=60),
        sa.update(TimeBank).where(TimeBank.id == bank.id).values(minute_step=0),
    ):
        with pytest.raises(IntegrityError):
            session.execute(statement)
        session.rollback()
    assert db.session.get(TimeBank, bank.id).floor_minutes == -600


def test_a_bank_can_be_created_with_no_floor(session):
    bank = create_time_bank(session, name="Open Hands", slug="open-hands", floor_minutes=None)
    session.commit()
    session.expire_all()
    assert session.get(TimeBank, bank.id).floor_minutes is None
