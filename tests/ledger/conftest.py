"""The people most ledger tests need: a time bank (a floor of -2 hours and a cap of 10;
a test module with other rules defines its own ``bank``), two members and a
coordinator of it."""

from __future__ import annotations

import pytest

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory


@pytest.fixture
def bank(session):
    return TimeBankFactory(floor_minutes=-120, cap_minutes=600)


@pytest.fixture
def alice(bank):
    return MembershipFactory(bank=bank)


@pytest.fixture
def bob(bank):
    return MembershipFactory(bank=bank)


@pytest.fixture
def coordinator(bank):
    return CoordinatorFactory(bank=bank)
