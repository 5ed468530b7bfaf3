"""Hours and minutes must be numbers from their lists (issue 11, finding 8):
``hours=-1&minutes=75`` recorded 15 minutes, and Arabic-Indic digits were read as
numbers. Now each is an error at the hours, and nothing is recorded."""

from __future__ import annotations

import pytest

from tests.web.test_auth import sign_in
from tests.web.test_member_exchanges import (  # noqa: F401 - bank, people: fixtures
    LOG,
    bank,
    entry,
    field_error,
    people,
    transfers,
)
from timebank.amounts import minutes_from_parts


@pytest.mark.parametrize(
    ("hours", "minutes"),
    [("-1", "75"), ("1", "75"), ("\u0661", "0"), ("1", "-30"), ("0x1", "0"), ("1.5", "0")],
)
def test_a_part_outside_its_list_is_refused(client, session, people, hours, minutes):  # noqa: F811
    sign_in(client, "alice@example.org")
    for action in ("review", "record"):
        response = client.post(
            LOG, data={**entry(people, hours=hours, minutes=minutes), "action": action}
        )
        assert response.status_code in (400, 422)
        assert field_error(response.get_data(as_text=True), "hours") == (
            "Choose the hours and minutes from the lists."
        )
    assert transfers(session) == []


def test_the_parts():
    assert minutes_from_parts("1", "30") == 90 and minutes_from_parts("", "") == 0
    assert minutes_from_parts("-1", "75") is None and minutes_from_parts("\u0663", "0") is None
