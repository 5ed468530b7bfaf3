"""Exchanges logged in answer to an offer or a request.

An exchange may name the listing it answers: one of the two people's own offers or
requests, in the same time bank. The link is written in the same transaction as the
exchange, so a refused link leaves no exchange behind (and a refused exchange no link).
A listing then shows the time it has brought about: its exchanges, posted and waiting,
counted and summed in one query. Services flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.community.models import Listing, ListingExchange
from timebank.ledger import errors
from timebank.ledger.audit import append_audit
from timebank.ledger.models import Account, Membership, Transfer, TransferStatus
from timebank.ledger.transfers import find_by_idempotency_key, record_transfer

# Made once: a new alias on every call costs SQLAlchemy as much again to build the query.
REVERSAL = aliased(Transfer, name="listing_reversal")


class ListingAnswerError(errors.InvalidTransferError):
    """The offer or request an exchange is said to answer cannot be linked to it."""

    code = "invalid_listing_answer"
    field = "listing"


def check_answer(
    session: Session, *, time_bank_id: int, listing_id: int, giver: Account, receiver: Account
) -> Listing:
    """The listing ``listing_id`` if an exchange between ``giver`` and ``receiver`` may
    answer it: it is in this time bank and was posted by one of the two. Reads only."""
    listing = session.get(Listing, listing_id)
    if listing is None or listing.time_bank_id != time_bank_id:
        raise ListingAnswerError(
            "We could not find that offer or request in your time bank. Choose one from the"
            " list, or leave it empty."
        )
    people = {giver.membership_id, receiver.membership_id} - {None}
    if listing.membership_id not in people:
        raise ListingAnswerError(
            "That offer or request was posted by someone else. Choose one posted by you or"
            " by the person you exchanged time with."
        )
    return listing


def link_to_listing(
    session: Session, *, actor: Membership, transfer: Transfer, listing: Listing
) -> ListingExchange:
    """Write the link (the caller has checked it with ``check_answer``) and audit it."""
    link = ListingExchange(transfer_id=transfer.id, listing_id=listing.id)
    session.add(link)
    session.flush()
    append_audit(
        session,
        time_bank_id=listing.time_bank_id,
        actor=actor,
        action="listing.exchange_linked",
        entity_type="listing",
        entity_id=listing.id,
        after={"transfer_id": transfer.id, "listing_id": listing.id},
    )
    return link


def record_answering(
    session: Session,
    *,
    actor: Membership,
    giver: Account,
    receiver: Account,
    listing_id: int | None,
    idempotency_key: str | None = None,
    **details,
) -> Transfer:
    """``record_transfer`` (same arguments), linked to the listing it answers when
    ``listing_id`` is given. The listing is checked before anything is written.

    Recording again with the same ``idempotency_key`` returns the first exchange; it must
    answer the same listing (or none, as before), else ``IdempotencyConflictError``.
    """
    listing = None
    if listing_id is not None:
        listing = check_answer(
            session,
            time_bank_id=actor.time_bank_id,
            listing_id=listing_id,
            giver=giver,
            receiver=receiver,
        )
    replay = idempotency_key is not None and (
        find_by_idempotency_key(session, actor.time_bank_id, idempotency_key) is not None
    )
    transfer = record_transfer(
        session,
        actor=actor,
        giver=giver,
        receiver=receiver,
        idempotency_key=idempotency_key,
        **details,
    )
    if replay:
        linked = session.get(ListingExchange, transfer.id)
        if (linked.listing_id if linked else None) != listing_id:
            raise errors.IdempotencyConflictError(
                "This request key was already used for a different entry."
            )
        return transfer
    if listing is not None:
        link_to_listing(session, actor=actor, transfer=transfer, listing=listing)
    return transfer


# Built once: each view of an entry asks.
LISTING_ANSWERED = (
    sa.select(Listing)
    .join(ListingExchange, ListingExchange.listing_id == Listing.id)
    .where(ListingExchange.transfer_id == sa.bindparam("transfer_id"))
)


def listing_answered(session: Session, transfer_id: int) -> Listing | None:
    """The offer or request an exchange answers, if any (one query)."""
    return session.scalar(LISTING_ANSWERED, {"transfer_id": transfer_id})


@dataclass(frozen=True)
class AnsweringExchange:
    transfer_id: int
    service_date: date
    minutes: int
    status: TransferStatus


@dataclass(frozen=True)
class ListingTime:
    """The exchanges that answer one listing, oldest first: posted and waiting ones
    (not rejected ones, nor posted ones a coordinator has reversed)."""

    exchanges: list[AnsweringExchange]

    def _of(self, status: TransferStatus) -> list[AnsweringExchange]:
        return [e for e in self.exchanges if e.status == status]

    @property
    def count(self) -> int:
        return len(self.exchanges)

    @property
    def minutes(self) -> int:
        return sum(e.minutes for e in self.exchanges)

    @property
    def posted_count(self) -> int:
        return len(self._of(TransferStatus.POSTED))

    @property
    def posted_minutes(self) -> int:
        return sum(e.minutes for e in self._of(TransferStatus.POSTED))

    @property
    def pending_count(self) -> int:
        return len(self._of(TransferStatus.PENDING))

    @property
    def pending_minutes(self) -> int:
        return sum(e.minutes for e in self._of(TransferStatus.PENDING))


def listing_time(session: Session, time_bank_id: int, listing_id: int) -> ListingTime:
    """The exchanges that answer a listing of this time bank, with their counts and
    hours: one query, whatever their number."""
    reversal = REVERSAL
    rows = session.execute(
        sa.select(Transfer.id, Transfer.service_date, Transfer.minutes, Transfer.status)
        .join(ListingExchange, ListingExchange.transfer_id == Transfer.id)
        .outerjoin(reversal, reversal.reverses_id == Transfer.id)
        .where(
            ListingExchange.listing_id == listing_id,
            Transfer.time_bank_id == time_bank_id,
            Transfer.status.in_([TransferStatus.POSTED, TransferStatus.PENDING]),
            reversal.id.is_(None),
        )
        .order_by(Transfer.service_date, Transfer.id)
    )
    return ListingTime(
        [
            AnsweringExchange(
                transfer_id=row.id,
                service_date=row.service_date,
                minutes=row.minutes,
                status=TransferStatus(row.status),
            )
            for row in rows
        ]
    )
