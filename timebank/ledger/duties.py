"""Separation of duties: a coordinator's own exchanges and grants.

A time bank's setting ``own_exchanges_need_another_coordinator`` says whether an entry
a coordinator is part of (their own account is given or debited) must be approved by
another coordinator, and whether a grant from the pot to a coordinator must be made by
another coordinator. ``None`` is the default: on when the bank has two or more active
coordinators (so a bank run by one person is not stuck), off otherwise.

When the rule is off, the coordinator may act on their own entry, and the audit entry
says so (``own_entry: true``) so that it can be flagged wherever it is read.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.models import Membership, MembershipStatus, Role, TimeBank, Transfer
from timebank.ledger.posting import BankSettings


class OwnEntryError(errors.NotAllowedError):
    """The rule is on and a coordinator acted on an entry of their own."""

    code = "own_entry"


def count_coordinators(session: Session, time_bank_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(
                Membership.time_bank_id == time_bank_id,
                Membership.role == Role.COORDINATOR,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )
        or 0
    )


def needs_another_coordinator(session: Session, bank: TimeBank | BankSettings) -> bool:
    """Whether a coordinator's own entries need another coordinator in this bank now."""
    chosen = bank.own_exchanges_need_another_coordinator
    if chosen is not None:
        return bool(chosen)
    return count_coordinators(session, bank.id) >= 2


def own_account_id(actor: Membership) -> int | None:
    return actor.account.id if actor.account is not None else None


def is_own_entry(actor: Membership, transfers: Iterable[Transfer]) -> bool:
    """Whether the actor's own account is on either side of any of these transfers."""
    own = own_account_id(actor)
    return own is not None and any(
        own in (t.debit_account_id, t.credit_account_id) for t in transfers
    )


def check_own_approval(
    session: Session, bank: TimeBank | BankSettings, actor: Membership, transfers: list[Transfer]
) -> bool:
    """Refuse a coordinator approving their own entry when the rule is on; otherwise
    return whether it is their own (to be recorded in the audit log)."""
    if not is_own_entry(actor, transfers):
        return False
    if needs_another_coordinator(session, bank):
        raise OwnEntryError(
            "You are part of this exchange, so another coordinator must approve it."
        )
    return True


def check_own_grant(
    session: Session, bank: TimeBank, actor: Membership, recipient_account_id: int
) -> bool:
    """The same rule for a grant from the pot to the coordinator's own account."""
    if own_account_id(actor) != recipient_account_id:
        return False
    if needs_another_coordinator(session, bank):
        raise OwnEntryError("Another coordinator must make a grant to you.", field="recipient")
    return True


def own_entry_rule(
    session: Session, bank: TimeBank, actor: Membership, transfers: Iterable[Transfer]
) -> str | None:
    """What the rule says about ``actor`` approving these entries, for pages to show
    before anyone presses a button: None (not their own), "refused" (another
    coordinator must approve) or "flagged" (allowed, and the audit log will say so)."""
    if not is_own_entry(actor, transfers):
        return None
    return "refused" if needs_another_coordinator(session, bank) else "flagged"
