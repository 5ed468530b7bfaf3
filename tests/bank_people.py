"""A pytest plugin (tests/conftest.py loads it): the people many tests need, two members
(``alice``, ``bob``) and a coordinator, each of the ``bank`` the test sees, and that
``bank`` with the default rules.

A folder or module with other rules defines its own ``bank`` (tests/ledger/conftest.py:
a floor of -2 hours and a cap of 10), and these people are then of it; one whose people
differ (named, or of another status) defines its own too.
"""

from __future__ import annotations

import pytest

from tests.factories import CoordinatorFactory, MembershipFactory, TimeBankFactory


@pytest.fixture
def bank(session):
    return TimeBankFactory()


@pytest.fixture
def alice(bank):
    return MembershipFactory(bank=bank)


@pytest.fixture
def bob(bank):
    return MembershipFactory(bank=bank)


@pytest.fixture
def coordinator(bank):
    return CoordinatorFactory(bank=bank)
