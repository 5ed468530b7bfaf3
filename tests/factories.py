"""factory-boy factories that build through the domain services, so every object they
make has its account, its audit entries and consistent balances."""

from __future__ import annotations

from datetime import date

import factory

from timebank.community import people
from timebank.extensions import db
from timebank.ledger import banks
from timebank.ledger.clock import today_in
from timebank.ledger.models import MemberKind, MembershipStatus, Role

# The factories' banks keep the model's default zone. A test's "today" is the date there,
# read from the bank's clock (timebank.ledger.clock) as the services read it, never the
# machine's date.today(), which differs from it around midnight and in other zones.
BANK_TIMEZONE = "Europe/London"


def bank_today() -> date:
    """Today where the factories' banks are."""
    return today_in(BANK_TIMEZONE)


# A cheap hash for tests; real sign-ins use argon2id (tested in tests/web).
TEST_PASSWORD = "correct horse battery"


class ServiceFactory(factory.Factory):
    class Meta:
        abstract = True


class TimeBankFactory(ServiceFactory):
    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Riverside Time Bank {n}")
    slug = factory.Sequence(lambda n: f"riverside-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return banks.create_time_bank(db.session, **kwargs)


class PersonFactory(ServiceFactory):
    class Meta:
        model = dict

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name", locale="en_GB")
    password_hash = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return people.create_person(db.session, **kwargs)


class MembershipFactory(ServiceFactory):
    class Meta:
        model = dict

    bank = factory.SubFactory(TimeBankFactory)
    person = factory.SubFactory(PersonFactory)
    role = Role.MEMBER
    kind = MemberKind.PARTICIPANT
    status = MembershipStatus.ACTIVE
    consent_reporting = True
    consent_research = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return banks.add_membership(db.session, actor=None, **kwargs)


class CoordinatorFactory(MembershipFactory):
    role = Role.COORDINATOR
    kind = MemberKind.PROFESSIONAL


class OrganisationFactory(ServiceFactory):
    class Meta:
        model = dict

    bank = factory.SubFactory(TimeBankFactory)
    name = factory.Sequence(lambda n: f"Community Health Team {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return banks.create_organisation(db.session, actor=None, **kwargs)
