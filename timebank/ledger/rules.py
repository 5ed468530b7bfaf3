"""Pure rules of the time bank: no database, no Flask. Each raises a domain error.

An account is credited when its holder gives time. "Available" for receiving counts
pending debits (time already promised away) but not pending credits, so a balance can
never go below the floor whatever happens to the pending entries; the cap is checked the
other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from timebank.ledger import errors
from timebank.ledger.models import AccountKind


@dataclass(frozen=True)
class Policy:
    floor_minutes: int | None = -600
    cap_minutes: int | None = None
    max_minutes_per_transfer: int = 720
    max_backdate_days: int = 90
    minute_step: int = 15

    @classmethod
    def of(cls, bank) -> Policy:
        return cls(
            floor_minutes=bank.floor_minutes,
            cap_minutes=bank.cap_minutes,
            max_minutes_per_transfer=bank.max_minutes_per_transfer,
            max_backdate_days=bank.max_backdate_days,
            minute_step=bank.minute_step,
        )


@dataclass(frozen=True)
class Counters:
    posted_debits: int = 0
    posted_credits: int = 0
    pending_debits: int = 0
    pending_credits: int = 0

    @classmethod
    def of(cls, account) -> Counters:
        return cls(
            account.posted_debits,
            account.posted_credits,
            account.pending_debits,
            account.pending_credits,
        )

    @property
    def balance(self) -> int:
        return self.posted_credits - self.posted_debits

    @property
    def lowest_possible(self) -> int:
        """The balance if every pending entry posted except pending credits."""
        return self.balance - self.pending_debits

    @property
    def highest_possible(self) -> int:
        return self.balance + self.pending_credits


class Minutes(int):
    """A number of minutes passed to an error message: English text shows it as
    '1 h 30 min'; the web layer shows it in the reader's language."""

    def __str__(self) -> str:
        return format_minutes(int(self))


def format_minutes(minutes: int) -> str:
    """Minutes as hours and minutes in plain words: 90 -> '1 h 30 min', -600 -> '-10 h'."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} h {rest} min"
    if hours:
        return f"{sign}{hours} h"
    return f"{sign}{rest} min"


def validate_minutes(minutes: object, policy: Policy) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise errors.InvalidAmountError("The time must be a whole number of minutes.")
    if minutes <= 0:
        raise errors.InvalidAmountError("The time must be more than zero.")
    if minutes > policy.max_minutes_per_transfer:
        raise errors.AmountTooLargeError(
            "One entry can carry at most %(most)s."
            " Record longer work as several entries, one for each day.",
            most=Minutes(policy.max_minutes_per_transfer),
        )
    if minutes % policy.minute_step:
        raise errors.InvalidAmountError(
            "Time is recorded in steps of %(step)s minutes.", step=policy.minute_step
        )
    return minutes


def validate_service_date(service_date: object, today: date, policy: Policy) -> date:
    if not isinstance(service_date, date):
        raise errors.InvalidTransferError("Give the date the time was given.", field="service_date")
    if service_date > today:
        raise errors.DateInFutureError("The date cannot be in the future.")
    earliest = today - timedelta(days=policy.max_backdate_days)
    if service_date < earliest:
        raise errors.DateTooOldError(
            "The date cannot be more than %(days)s days ago (the earliest is %(earliest)s)."
            " Ask a coordinator to record it.",
            days=policy.max_backdate_days,
            earliest=earliest,
        )
    return service_date


def limits_for(kind: AccountKind, policy: Policy) -> tuple[int | None, int | None]:
    """(floor, cap) of an account of this kind; None means no limit."""
    if kind == AccountKind.MEMBER:
        return policy.floor_minutes, policy.cap_minutes
    if kind == AccountKind.POT:
        return 0, None
    # Organisations receive volunteering and fund the pot; the opening-balance account
    # mirrors imported balances. Neither has a limit.
    return None, None


# A name for error messages, or a function that gives one: looking a name up costs
# queries, so it is done only when a message is needed.
Label = str | Callable[[], str]


def _name(label: Label) -> str:
    return label() if callable(label) else label


def check_can_receive(
    counters: Counters, minutes: int, kind: AccountKind, policy: Policy, label: Label
) -> None:
    """Refuse if receiving ``minutes`` more (on top of pending) passes the floor.

    ``minutes`` is 0 when the amount is already among the pending debits (approval).
    """
    floor, _ = limits_for(kind, policy)
    if floor is None:
        return
    after = counters.lowest_possible - minutes
    if after >= floor:
        return
    if kind == AccountKind.POT:
        raise errors.InsufficientPotError(
            "The community pot holds %(available)s that is not already promised; it cannot"
            " grant more than that.",
            available=Minutes(max(counters.lowest_possible, 0)),
        )
    raise errors.BelowFloorError(
        "%(name)s has reached the time bank's limit of %(floor)s and needs to give time"
        " before receiving more.",
        name=_name(label),
        floor=Minutes(floor),
        # For the holder's own words: what they can still receive, and why.
        balance=Minutes(counters.balance),
        waiting=Minutes(counters.pending_debits),
        room=Minutes(max(counters.lowest_possible - floor, 0)),
    )


def check_can_give(
    counters: Counters, minutes: int, kind: AccountKind, policy: Policy, label: Label
) -> None:
    """Refuse if being credited ``minutes`` more (on top of pending) passes the cap."""
    _, cap = limits_for(kind, policy)
    if cap is None or counters.highest_possible + minutes <= cap:
        return
    raise errors.AboveCapError(
        "%(name)s has reached the time bank's upper limit of %(cap)s; they could receive"
        " time or donate hours to the community pot first.",
        name=_name(label),
        cap=Minutes(cap),
        balance=Minutes(counters.balance),
        waiting=Minutes(counters.pending_credits),
        room=Minutes(max(cap - counters.highest_possible, 0)),
    )


def check_can_donate(counters: Counters, minutes: int) -> None:
    """A member can donate only hours they have, not ones they would borrow."""
    if counters.lowest_possible - minutes < 0:
        most = Minutes(max(counters.lowest_possible, 0))
        if counters.pending_debits:
            raise errors.BelowFloorError(
                "You can donate at most %(most)s just now: your balance is %(balance)s, but"
                " %(waiting)s received is still waiting to be confirmed or approved, and only"
                " hours you have earned can go to the pot.",
                most=most,
                balance=Minutes(counters.balance),
                waiting=Minutes(counters.pending_debits),
            )
        raise errors.BelowFloorError(
            "You can donate at most %(most)s: only hours you have earned can go to the pot.",
            most=most,
        )


# The longest description or reason an entry keeps, in characters (forms use it too).
MAX_TEXT_LENGTH = 2000


def require_reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise errors.MissingReasonError("Give a reason; it is kept in the record.")
    if len(text) > MAX_TEXT_LENGTH:
        raise errors.MissingReasonError("Keep the reason under 2,000 characters.")
    return text


def clean_description(description: object) -> str:
    """An entry's description, trimmed; refused when longer than ``MAX_TEXT_LENGTH``."""
    text = description.strip() if isinstance(description, str) else ""
    if len(text) > MAX_TEXT_LENGTH:
        raise errors.InvalidTransferError(
            "Keep the description under 2,000 characters.", field="description"
        )
    return text


def ready_to_post(
    needs_confirmation: bool, confirmed: bool, needs_approval: bool, approved: bool
) -> bool:
    """A pending transfer posts once every step its policy asked for has happened."""
    return (confirmed or not needs_confirmation) and (approved or not needs_approval)


@dataclass(frozen=True)
class Steps:
    """What a new entry waits for before it posts."""

    confirmation: bool  # the other person confirms it
    approval: bool  # a coordinator approves it
    approved_on_record: bool  # the recorder, a coordinator, counts as its approval


def steps_needed(
    *,
    requires_confirmation: bool,
    requires_approval: bool,
    auto_approve_max_minutes: int,
    minutes: int,
    group: bool,
    by_coordinator: bool,
    party: bool,
    other_side_confirms: bool,
) -> Steps:
    """The steps a new exchange or group exchange needs, from the bank's policy and who
    records it.

    ``party``: the recorder speaks for one side (their own account, or an organisation
    they are staff of). ``other_side_confirms``: the other side is a member the recorder
    does not speak for, so someone independent can confirm it.

    An exchange asks the other person to confirm when the bank wants confirmation and
    there is such a person. A coordinator recording for others vouches for it (no
    approval). Otherwise it needs approval above the auto-approve amount, and always
    when nobody independent can confirm but the bank asks for a second person's word.
    A group entry cannot be confirmed by each participant: a member's waits for a
    coordinator whenever the bank asks for approval or confirmation; a coordinator's
    posts at once and counts as approved.
    """
    if group:
        return Steps(
            confirmation=False,
            approval=not by_coordinator and (requires_approval or requires_confirmation),
            approved_on_record=by_coordinator,
        )
    coordinator_vouches = by_coordinator and not party
    unconfirmable = party and not other_side_confirms
    approval = not coordinator_vouches and (
        (requires_approval and minutes > auto_approve_max_minutes)
        or (unconfirmable and (requires_approval or requires_confirmation))
    )
    return Steps(
        confirmation=requires_confirmation and party and other_side_confirms,
        approval=approval,
        approved_on_record=coordinator_vouches and requires_approval,
    )
