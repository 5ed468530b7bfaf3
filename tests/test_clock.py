"""The bank's clock: "today" is the date where the time bank is, whatever the machine's
time zone, and tests can stop the clock to reach the edges of a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import MembershipFactory, TimeBankFactory
from timebank.ledger import clock, errors
from timebank.ledger.clock import frozen_at, today_in, utcnow
from timebank.ledger.transfers import record_transfer

# 23:30 UTC on 1 July is 00:30 on 2 July in London (summer time).
LATE_EVENING_UTC = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)


def test_today_is_the_date_where_the_bank_is():
    with frozen_at(LATE_EVENING_UTC):
        assert today_in("Europe/London") == date(2026, 7, 2)
        assert today_in("UTC") == date(2026, 7, 1)
        assert today_in("America/New_York") == date(2026, 7, 1)
        assert utcnow() == datetime(2026, 7, 1, 23, 30)  # noqa: DTZ001 (naive UTC, as stored)
    assert clock.now() - datetime.now(UTC) < timedelta(seconds=5)  # running again


def test_the_clock_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="aware"), frozen_at(datetime(2026, 7, 1)):  # noqa: DTZ001 (naive on purpose)
        pass


def test_the_future_date_rule_reads_the_banks_date_on_a_utc_evening(session):
    bank = TimeBankFactory()
    alice, bob = MembershipFactory(bank=bank), MembershipFactory(bank=bank)

    def log(service_date):
        return record_transfer(
            session,
            actor=alice,
            giver=alice.account,
            receiver=bob.account,
            minutes=60,
            service_date=service_date,
        )

    with frozen_at(LATE_EVENING_UTC):
        assert log(date(2026, 7, 2)).id  # already today in London
        with pytest.raises(errors.DateInFutureError):
            log(date(2026, 7, 3))
