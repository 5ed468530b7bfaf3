"""One limit for an entry's description, in every service that takes one."""

from __future__ import annotations

import pytest

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory, bank_today
from timebank.ledger import errors
from timebank.ledger.corrections import correct_pending_transfer
from timebank.ledger.group import record_group_exchange
from timebank.ledger.opening import record_opening_balance
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.rules import MAX_TEXT_LENGTH
from timebank.ledger.transfers import record_transfer

TODAY = bank_today()
TOO_LONG = "x" * (MAX_TEXT_LENGTH + 1)


@pytest.fixture
def world(session):
    bank = TimeBankFactory(floor_minutes=-600)
    people = (
        MembershipFactory(bank=bank),
        MembershipFactory(bank=bank),
        CoordinatorFactory(bank=bank),
    )
    record_opening_balance(session, actor=people[2], account=people[0].account, minutes=600)
    session.commit()
    return people


def exchange(session, alice, bob, description):
    return record_transfer(
        session,
        actor=alice,
        giver=alice.account,
        receiver=bob.account,
        minutes=60,
        service_date=TODAY,
        description=description,
    )


def group(session, alice, bob, description):
    return record_group_exchange(
        session,
        actor=alice,
        hub=alice.account,
        hub_gives=True,
        participants=[(bob.account, 30)],
        service_date=TODAY,
        description=description,
    )


def donation(session, alice, bob, description):
    return donate_to_pot(
        session, actor=alice, donor=alice.account, minutes=30, description=description
    )


@pytest.mark.parametrize("service", [exchange, group, donation])
def test_every_service_keeps_descriptions_to_the_one_limit(session, world, service):
    alice, bob, _ = world
    with pytest.raises(errors.InvalidTransferError, match="under 2,000 characters") as refused:
        service(session, alice, bob, TOO_LONG)
    assert refused.value.field == "description"
    session.rollback()
    written = service(session, alice, bob, "  " + "x" * MAX_TEXT_LENGTH + "  ")
    for transfer in written if isinstance(written, list) else [written]:
        assert transfer.description == "x" * MAX_TEXT_LENGTH


def test_a_correction_keeps_to_the_limit(session, world):
    alice, bob, coordinator = world
    transfer = exchange(session, alice, bob, "Weeding")
    with pytest.raises(errors.InvalidTransferError, match="under 2,000 characters"):
        correct_pending_transfer(
            session, actor=coordinator, transfer_id=transfer.id, description=TOO_LONG, reason="r"
        )
