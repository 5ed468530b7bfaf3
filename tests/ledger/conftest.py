"""Most ledger tests' time bank: a floor of -2 hours and a cap of 10 (a test module with
other rules defines its own ``bank``). Its members ``alice`` and ``bob`` and its
``coordinator`` come from tests/bank_people.py."""

from __future__ import annotations

import pytest

from tests.factories import TimeBankFactory


@pytest.fixture
def bank(session):
    return TimeBankFactory(floor_minutes=-120, cap_minutes=600)
