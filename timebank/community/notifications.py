"""Notifications: what a member should know about (an exchange to confirm, approved,
rejected, reversed; an application decided). Services flush, never commit.

Each notification keeps its ``kind`` and structured ``details`` (plain JSON values: no
translated text), so the web layer can say it in the reader's language
(``timebank.notification_text``); ``message`` keeps an English sentence for exports and
as the fallback for rows written before ``details`` existed."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.community.models import Notification
from timebank.ledger.clock import utcnow
from timebank.ledger.models import Account, AccountKind, Membership, Transfer
from timebank.ledger.rules import format_minutes
from timebank.ledger.transfer_kinds import read_transfer
from timebank.ledger.waiting import waiting_for


class Kind:
    TO_CONFIRM = "transfer_to_confirm"
    APPROVED = "transfer_approved"
    POSTED = "transfer_posted"
    REJECTED = "transfer_rejected"
    REVERSED = "transfer_reversed"
    CORRECTED = "transfer_corrected"
    GRANT = "pot_grant"
    APPLICATION = "application_decided"
    MEMBERSHIP = "membership_changed"


def notify(
    session: Session,
    *,
    recipient: Membership,
    kind: str,
    message: str,
    details: dict | None = None,
    transfer_id: int | None = None,
) -> Notification:
    notification = Notification(
        time_bank_id=recipient.time_bank_id,
        membership_id=recipient.id,
        kind=kind,
        message=message,
        details=details,
        transfer_id=transfer_id,
    )
    session.add(notification)
    session.flush()
    return notification


def _member_holders(session: Session, account_ids: Iterable[int]) -> dict[int, Membership]:
    """The memberships behind member accounts, by account id (one query)."""
    rows = session.execute(
        sa.select(Account.id, Membership)
        .join(Membership, Membership.id == Account.membership_id)
        .where(Account.id.in_(sorted(set(account_ids))), Account.kind == AccountKind.MEMBER)
    ).all()
    return {account_id: membership for account_id, membership in rows}


def notify_transfer_outcome(
    session: Session,
    transfers: Iterable[Transfer],
    *,
    kind: str,
    reason: str | None = None,
    skip: Membership | None = None,
) -> list[Notification]:
    """Tell both people in each transfer what happened to it (not ``skip``, the person
    who did it). Organisations and the pot have no one to tell."""
    transfers = list(transfers)
    holders = _member_holders(
        session, [i for t in transfers for i in (t.debit_account_id, t.credit_account_id)]
    )
    verbs = {
        Kind.APPROVED: "was approved",
        Kind.POSTED: "is done and counted in your balance",
        Kind.REJECTED: "was not accepted",
        Kind.REVERSED: "was reversed",
        Kind.CORRECTED: "was corrected by a coordinator",
        Kind.TO_CONFIRM: "is waiting for you to confirm it",
    }
    sent = []
    for transfer in transfers:
        for account_id in (transfer.credit_account_id, transfer.debit_account_id):
            member = holders.get(account_id)
            if member is None or (skip is not None and member.id == skip.id):
                continue
            credited = account_id == transfer.credit_account_id
            other_id = transfer.debit_account_id if credited else transfer.credit_account_id
            other = holders.get(other_id)
            other_name = other.person.display_name if other else "the time bank"
            # gave / received (time), donated / granted (credits to or from the pot).
            direction = str(read_transfer(transfer.kind, "credit" if credited else "debit"))
            waiting = waiting_for(
                needs_confirmation=transfer.needs_confirmation,
                confirmed=transfer.confirmed_at is not None,
                needs_approval=transfer.needs_approval,
                approved=transfer.approved_at is not None,
                recorded_by_id=transfer.recorded_by_id,
                reader_id=member.id,
            )
            details = {
                "minutes": transfer.minutes,
                "direction": direction,
                # Who must still confirm it (you / other), if anyone.
                "confirmer": str(waiting.confirmer) if waiting.confirmer else None,
                # None: not a member (the pot, an organisation): "the time bank".
                "other": other.person.display_name if other else None,
                "service_date": transfer.service_date.isoformat(),
            }
            when = transfer.service_date.strftime("%-d %B %Y")
            amount = format_minutes(transfer.minutes)
            if direction == "donated":
                what = f"Your donation of {amount} to the community pot on {when}"
            elif direction == "granted":
                what = f"The {amount} granted to you from the community pot on {when}"
            else:
                what = (
                    f"The {amount} you {'gave to' if credited else 'received from'} {other_name}"
                    f" on {when}"
                )
            message = f"{what} {verbs.get(kind, 'changed')}."
            if reason:
                message += f" Reason: {reason}"
                details["reason"] = reason
            sent.append(
                notify(
                    session,
                    recipient=member,
                    kind=kind,
                    message=message,
                    details=details,
                    transfer_id=transfer.id,
                )
            )
    return sent


def list_notifications(session: Session, membership: Membership, limit: int = 50):
    return session.scalars(
        sa.select(Notification)
        .where(Notification.membership_id == membership.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()


# How many notifications of a membership are unread (parameter "unread_membership_id"):
# built once, as every page's navigation shows it (timebank/navigation.py).
UNREAD_COUNT = (
    sa.select(sa.func.count())
    .select_from(Notification)
    .where(
        Notification.membership_id == sa.bindparam("unread_membership_id", type_=sa.Integer),
        Notification.read_at.is_(None),
    )
)


def count_unread(session: Session, membership: Membership) -> int:
    return session.scalar(UNREAD_COUNT, {"unread_membership_id": membership.id}) or 0


def mark_read(session: Session, membership: Membership) -> None:
    session.execute(
        sa.update(Notification)
        .where(Notification.membership_id == membership.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
