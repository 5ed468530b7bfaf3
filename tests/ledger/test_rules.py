"""The pure rules of timebank.ledger.rules: no database, no app."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.ledger import errors
from timebank.ledger.models import AccountKind
from timebank.ledger.rules import (
    Counters,
    Policy,
    check_can_donate,
    check_can_give,
    check_can_receive,
    format_minutes,
    limits_for,
    ready_to_post,
    require_reason,
    steps_needed,
    validate_minutes,
    validate_service_date,
)

POLICY = Policy(
    floor_minutes=-600,
    cap_minutes=1200,
    max_minutes_per_transfer=720,
    max_backdate_days=90,
    minute_step=15,
)
TODAY = date(2025, 3, 14)


def counters(balance=0, pending_debits=0, pending_credits=0):
    if balance >= 0:
        return Counters(
            posted_debits=0,
            posted_credits=balance,
            pending_debits=pending_debits,
            pending_credits=pending_credits,
        )
    return Counters(
        posted_debits=-balance,
        posted_credits=0,
        pending_debits=pending_debits,
        pending_credits=pending_credits,
    )


# validate_minutes -------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [15, 30, 60, 90, 705, 720])
def test_valid_minutes_are_returned(minutes):
    assert validate_minutes(minutes, POLICY) == minutes


@pytest.mark.parametrize("minutes", [0, -15, -1])
def test_zero_and_negative_minutes_are_refused(minutes):
    with pytest.raises(errors.InvalidAmountError, match="more than zero"):
        validate_minutes(minutes, POLICY)


@pytest.mark.parametrize("minutes", [1.5, 60.0, "60", None, True, False, [60]])
def test_minutes_must_be_a_whole_number_not_a_bool(minutes):
    with pytest.raises(errors.InvalidAmountError, match="whole number") as caught:
        validate_minutes(minutes, POLICY)
    assert caught.value.field == "minutes"


@pytest.mark.parametrize("minutes", [1, 7, 20, 44, 719])
def test_minutes_must_be_in_steps(minutes):
    with pytest.raises(errors.InvalidAmountError, match="steps of 15 minutes") as caught:
        validate_minutes(minutes, POLICY)
    assert not isinstance(caught.value, errors.AmountTooLargeError)


@pytest.mark.parametrize("minutes", [721, 735, 10_000])
def test_minutes_above_the_maximum_are_refused_with_advice(minutes):
    with pytest.raises(errors.AmountTooLargeError, match=r"at most 12 h\. .*several entries"):
        validate_minutes(minutes, POLICY)


def test_minute_step_of_one_accepts_any_whole_minute():
    policy = Policy(minute_step=1)
    assert validate_minutes(7, policy) == 7


# validate_service_date --------------------------------------------------------------------


@pytest.mark.parametrize("days_ago", [0, 1, 45, 89, 90])
def test_dates_from_today_back_to_the_limit_are_accepted(days_ago):
    day = TODAY - timedelta(days=days_ago)
    assert validate_service_date(day, TODAY, POLICY) == day


def test_a_future_date_is_refused():
    with pytest.raises(errors.DateInFutureError) as caught:
        validate_service_date(TODAY + timedelta(days=1), TODAY, POLICY)
    assert caught.value.field == "service_date"


def test_a_date_one_day_past_the_limit_is_refused_and_names_the_earliest():
    with pytest.raises(errors.DateTooOldError, match="earliest is 2024-12-14"):
        validate_service_date(TODAY - timedelta(days=91), TODAY, POLICY)


def test_backdating_zero_days_allows_only_today():
    policy = Policy(max_backdate_days=0)
    assert validate_service_date(TODAY, TODAY, policy) == TODAY
    with pytest.raises(errors.DateTooOldError):
        validate_service_date(TODAY - timedelta(days=1), TODAY, policy)


@pytest.mark.parametrize("value", [None, "2025-03-14", 20250314])
def test_service_date_must_be_a_date(value):
    with pytest.raises(errors.InvalidTransferError) as caught:
        validate_service_date(value, TODAY, POLICY)
    assert caught.value.field == "service_date"


# limits -----------------------------------------------------------------------------------


def test_limits_by_account_kind():
    assert limits_for(AccountKind.MEMBER, POLICY) == (-600, 1200)
    assert limits_for(AccountKind.POT, POLICY) == (0, None)
    assert limits_for(AccountKind.ORGANISATION, POLICY) == (None, None)
    assert limits_for(AccountKind.EQUITY, POLICY) == (None, None)


def test_receiving_exactly_down_to_the_floor_is_allowed():
    check_can_receive(counters(-540), 60, AccountKind.MEMBER, POLICY, "Ann")


def test_receiving_past_the_floor_is_refused():
    with pytest.raises(errors.BelowFloorError, match=r"Ann has reached .* -10 h"):
        check_can_receive(counters(-540), 75, AccountKind.MEMBER, POLICY, "Ann")


def test_pending_debits_count_against_the_floor_but_pending_credits_do_not():
    # -300 posted, 240 already promised away: only 60 more can be received.
    with_pending = counters(-300, pending_debits=240, pending_credits=600)
    check_can_receive(with_pending, 60, AccountKind.MEMBER, POLICY, "Ann")
    with pytest.raises(errors.BelowFloorError):
        check_can_receive(with_pending, 75, AccountKind.MEMBER, POLICY, "Ann")


def test_approval_rechecks_with_zero_minutes():
    # Already counted as pending: zero more minutes, the current position is checked.
    check_can_receive(counters(-300, pending_debits=300), 0, AccountKind.MEMBER, POLICY, "A")
    with pytest.raises(errors.BelowFloorError):
        check_can_receive(counters(-315, pending_debits=300), 0, AccountKind.MEMBER, POLICY, "A")


def test_no_floor_means_members_can_receive_without_limit():
    policy = Policy(floor_minutes=None)
    check_can_receive(counters(-100_000), 720, AccountKind.MEMBER, policy, "Ann")


def test_giving_up_to_the_cap_is_allowed_and_past_it_refused():
    check_can_give(counters(1140), 60, AccountKind.MEMBER, POLICY, "Ann")
    with pytest.raises(errors.AboveCapError, match="upper limit of 20 h"):
        check_can_give(counters(1140), 75, AccountKind.MEMBER, POLICY, "Ann")


def test_pending_credits_count_against_the_cap_but_pending_debits_do_not():
    position = counters(600, pending_debits=600, pending_credits=540)
    check_can_give(position, 60, AccountKind.MEMBER, POLICY, "Ann")
    with pytest.raises(errors.AboveCapError):
        check_can_give(position, 75, AccountKind.MEMBER, POLICY, "Ann")


def test_no_cap_means_no_upper_limit():
    check_can_give(counters(10**6), 720, AccountKind.MEMBER, Policy(cap_minutes=None), "Ann")


def test_the_pot_cannot_go_below_zero_and_says_what_it_holds():
    pot = counters(120, pending_debits=30)
    check_can_receive(pot, 90, AccountKind.POT, POLICY, "Community pot")
    with pytest.raises(errors.InsufficientPotError, match="holds 1 h 30 min"):
        check_can_receive(pot, 105, AccountKind.POT, POLICY, "Community pot")


def test_the_pot_floor_is_zero_whatever_the_member_floor():
    policy = Policy(floor_minutes=None)
    with pytest.raises(errors.InsufficientPotError, match="holds 0 min"):
        check_can_receive(counters(0), 15, AccountKind.POT, policy, "Community pot")


@pytest.mark.parametrize("kind", [AccountKind.ORGANISATION, AccountKind.EQUITY])
def test_organisations_and_equity_are_unlimited(kind):
    check_can_receive(counters(-(10**7), pending_debits=10**6), 720, kind, POLICY, "Org")
    check_can_give(counters(10**7, pending_credits=10**6), 720, kind, POLICY, "Org")


def test_donating_needs_earned_unpromised_hours():
    check_can_donate(counters(120, pending_debits=60), 60)
    with pytest.raises(errors.BelowFloorError, match="at most 1 h"):
        check_can_donate(counters(120, pending_debits=60), 75)
    with pytest.raises(errors.BelowFloorError, match="at most 0 min"):
        check_can_donate(counters(-60), 15)


def test_pending_credits_cannot_be_donated():
    with pytest.raises(errors.BelowFloorError):
        check_can_donate(counters(0, pending_credits=600), 15)


# reasons, posting, formatting -------------------------------------------------------------


def test_reason_is_stripped():
    assert require_reason("  entered twice by mistake \n") == "entered twice by mistake"


@pytest.mark.parametrize("reason", ["", "   \n\t", None, 42])
def test_reason_is_required(reason):
    with pytest.raises(errors.MissingReasonError) as caught:
        require_reason(reason)
    assert caught.value.field == "reason"


def test_reason_length_limit():
    assert len(require_reason("x" * 2000)) == 2000
    with pytest.raises(errors.MissingReasonError, match="under 2,000"):
        require_reason("x" * 2001)


@pytest.mark.parametrize(
    ("needs_confirmation", "confirmed", "needs_approval", "approved", "expected"),
    [
        (False, False, False, False, True),
        (True, False, False, False, False),
        (True, True, False, False, True),
        (False, False, True, False, False),
        (False, False, True, True, True),
        (True, True, True, False, False),
        (True, False, True, True, False),
        (True, True, True, True, True),
        # Steps that were not needed but happened anyway do not block posting.
        (False, True, False, True, True),
    ],
)
def test_ready_to_post(needs_confirmation, confirmed, needs_approval, approved, expected):
    assert ready_to_post(needs_confirmation, confirmed, needs_approval, approved) is expected


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (15, "15 min"),
        (60, "1 h"),
        (90, "1 h 30 min"),
        (600, "10 h"),
        (-600, "-10 h"),
        (-45, "-45 min"),
        (-75, "-1 h 15 min"),
        (1441, "24 h 1 min"),
    ],
)
def test_format_minutes(minutes, text):
    assert format_minutes(minutes) == text


def test_counters_properties():
    c = Counters(posted_debits=100, posted_credits=250, pending_debits=40, pending_credits=70)
    assert (c.balance, c.lowest_possible, c.highest_possible) == (150, 110, 220)


# properties -------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=5_000)
floors = st.one_of(st.none(), st.integers(min_value=-5_000, max_value=0))
caps = st.one_of(st.none(), st.integers(min_value=1, max_value=5_000))
positions = st.builds(Counters, amounts, amounts, amounts, amounts)


# The expected limits written out from the four counters, not read from the code's own
# properties (a wrong property would otherwise agree with itself).
def lowest(counters: Counters) -> int:
    return counters.posted_credits - counters.posted_debits - counters.pending_debits


def highest(counters: Counters) -> int:
    return counters.posted_credits - counters.posted_debits + counters.pending_credits


@given(counters=positions, minutes=st.integers(min_value=0, max_value=720), floor=floors)
def test_check_can_receive_never_lets_a_member_pass_the_floor(counters, minutes, floor):
    policy = Policy(floor_minutes=floor)
    try:
        check_can_receive(counters, minutes, AccountKind.MEMBER, policy, "A")
    except errors.BelowFloorError:
        assert floor is not None and lowest(counters) - minutes < floor
    else:
        assert floor is None or lowest(counters) - minutes >= floor


@given(counters=positions, minutes=st.integers(min_value=0, max_value=720))
def test_the_pot_never_grants_more_than_it_holds(counters, minutes):
    try:
        check_can_receive(counters, minutes, AccountKind.POT, POLICY, "Pot")
    except errors.InsufficientPotError:
        assert lowest(counters) - minutes < 0
    else:
        assert lowest(counters) - minutes >= 0


@given(counters=positions, minutes=st.integers(min_value=0, max_value=720), cap=caps)
def test_check_can_give_never_lets_a_member_pass_the_cap(counters, minutes, cap):
    policy = Policy(cap_minutes=cap)
    try:
        check_can_give(counters, minutes, AccountKind.MEMBER, policy, "A")
    except errors.AboveCapError:
        assert cap is not None and highest(counters) + minutes > cap
    else:
        assert cap is None or highest(counters) + minutes <= cap


@given(counters=positions, minutes=st.integers(min_value=1, max_value=720))
def test_a_donation_never_leaves_a_member_with_less_than_nothing(counters, minutes):
    try:
        check_can_donate(counters, minutes)
    except errors.BelowFloorError:
        assert lowest(counters) < minutes
    else:
        assert lowest(counters) - minutes >= 0


@given(minutes=st.integers(min_value=-(10**6), max_value=10**6))
def test_format_minutes_round_trips(minutes):
    text = format_minutes(minutes)
    match = re.fullmatch(r"(-?)(?:(\d+) h)?(?: ?(\d+) min)?", text)
    assert match is not None, text
    sign, hours, rest = match.groups()
    assert hours is not None or rest is not None
    total = int(hours or 0) * 60 + int(rest or 0)
    assert (-total if sign else total) == minutes
    assert rest is None or 0 <= int(rest) < 60
    assert not (sign and minutes == 0)


@given(
    minutes=st.integers(min_value=-(10**6), max_value=10**6),
    step=st.integers(min_value=1, max_value=60),
    maximum=st.integers(min_value=1, max_value=2_000),
)
def test_validate_minutes_accepts_exactly_the_valid_amounts(minutes, step, maximum):
    policy = Policy(minute_step=step, max_minutes_per_transfer=maximum)
    valid = 0 < minutes <= maximum and minutes % step == 0
    try:
        assert validate_minutes(minutes, policy) == minutes
    except errors.InvalidAmountError:
        assert not valid
    else:
        assert valid


@given(
    needs_confirmation=st.booleans(),
    confirmed=st.booleans(),
    needs_approval=st.booleans(),
    approved=st.booleans(),
)
def test_ready_to_post_only_when_every_needed_step_happened(
    needs_confirmation, confirmed, needs_approval, approved
):
    ready = ready_to_post(needs_confirmation, confirmed, needs_approval, approved)
    assert ready == (
        not (needs_confirmation and not confirmed) and not (needs_approval and not approved)
    )


# Which steps a new entry needs: (the bank's confirmation, approval, auto-approve amount),
# the entry (minutes, group?), who records it (a coordinator?, speaking for one side?,
# is the other side a member who can confirm?) -> (confirmation, approval, approved on
# record). Each row worked out by hand from the rule as the docstring states it.
STEPS_TABLE = [
    # a member records an exchange with another member
    ((True, True, 0), (60, False), (False, True, True), (True, True, False)),
    ((True, False, 0), (60, False), (False, True, True), (True, False, False)),
    ((False, True, 60), (60, False), (False, True, True), (False, False, False)),
    ((False, True, 60), (75, False), (False, True, True), (False, True, False)),
    ((False, False, 0), (60, False), (False, True, True), (False, False, False)),
    # a member with an organisation (or staff for both sides): nobody independent
    # confirms, so a coordinator gives the second word whatever the threshold
    ((True, False, 0), (60, False), (False, True, False), (False, True, False)),
    ((False, True, 120), (60, False), (False, True, False), (False, True, False)),
    ((False, False, 0), (60, False), (False, True, False), (False, False, False)),
    # a coordinator records between two others: they vouch for it
    ((True, True, 0), (60, False), (True, False, False), (False, False, True)),
    ((True, False, 0), (60, False), (True, False, False), (False, False, False)),
    # a coordinator records their own exchange: like any member
    ((True, True, 0), (60, False), (True, True, True), (True, True, False)),
    ((False, True, 60), (30, False), (True, True, True), (False, False, False)),
    # group exchanges: a member's waits for a coordinator; a coordinator's posts
    ((True, False, 0), (60, True), (False, True, False), (False, True, False)),
    ((False, True, 600), (60, True), (False, True, False), (False, True, False)),
    ((False, False, 0), (60, True), (False, True, False), (False, False, False)),
    ((True, True, 0), (60, True), (True, True, False), (False, False, True)),
    ((False, False, 0), (60, True), (True, False, False), (False, False, True)),
]


@pytest.mark.parametrize(("bank", "entry", "recorder", "expected"), STEPS_TABLE)
def test_steps_needed(bank, entry, recorder, expected):
    requires_confirmation, requires_approval, auto_approve = bank
    minutes, group = entry
    by_coordinator, party, other_side_confirms = recorder
    steps = steps_needed(
        requires_confirmation=requires_confirmation,
        requires_approval=requires_approval,
        auto_approve_max_minutes=auto_approve,
        minutes=minutes,
        group=group,
        by_coordinator=by_coordinator,
        party=party,
        other_side_confirms=other_side_confirms,
    )
    assert (steps.confirmation, steps.approval, steps.approved_on_record) == expected
