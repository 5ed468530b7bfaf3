"""What each kind of transfer means, and how it reads from either side: one decision
for every page, export, notification and network view.

In the ledger every transfer debits one account and credits another, but only
exchanges and group exchanges are *time*: given by the credited account's holder and
received by the debited one's. The rest move credits and each says what happened in its
own words:

- a donation debits the donor and credits the pot: "Donated 2 h to the community pot";
  from the pot's side "Donation of 2 h from Jo Bennett";
- a grant debits the pot and credits the member: "Granted 8 h from the community pot";
  from the pot's side "Granted 8 h to Dorothy Evans";
- a reversal undoes an entry: "Reversal of entry 41", with its effect on the balance;
- an opening balance brings in a balance from other software.

``read_transfer`` answers for one reader (the holder of one side); ``read_neutral``
answers for someone reading both sides (a coordinator's list, an export). Both are pure;
``timebank.reports.transfer_reading`` puts the answer into words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache

from timebank.ledger.models import TransferKind

# Kinds of transfer that are time given and received; the rest move credits.
TIME_KINDS = frozenset({str(TransferKind.EXCHANGE), str(TransferKind.GROUP)})


class Reading(enum.StrEnum):
    """What a transfer was, for the person reading it."""

    GAVE = "gave"  # I gave time (exchange or group exchange)
    RECEIVED = "received"  # I received time
    DONATED = "donated"  # I donated credits to the community pot
    DONATION_IN = "donation_in"  # the pot's side: a donation came in
    GRANTED = "granted"  # I was granted credits from the community pot
    GRANT_OUT = "grant_out"  # the pot's side: a grant went out
    REVERSAL = "reversal"  # an entry undone
    OPENING_BALANCE = "opening_balance"  # a balance brought in from other software


# What a transfer was, for someone reading both sides, with who "did" it.
class Neutral(enum.StrEnum):
    EXCHANGE = "exchange"  # <giver> gave <receiver>
    DONATION = "donation"  # <donor> donated to the pot
    GRANT = "grant"  # <recipient> was granted from the pot
    REVERSAL = "reversal"  # reversal of entry N
    OPENING_BALANCE = "opening_balance"  # opening balance of <holder>


@dataclass(frozen=True)
class ReaderView:
    reading: Reading
    # The change to the reader's balance, in minutes: + credited, - debited.
    effect: int
    # Whether it is time given or received (it counts in hours given/received,
    # reciprocity and networks); donations, grants, reversals and opening balances
    # do not.
    is_time: bool


@dataclass(frozen=True)
class NeutralView:
    kind: Neutral
    # The side whose holder "did" it: the giver of time, the donor, the recipient of
    # a grant, the holder of an opening balance; for a reversal, the side credited.
    actor_side: str  # "credit" or "debit"
    is_time: bool


def _kind(kind: object) -> str:
    return str(getattr(kind, "value", kind))


def read_transfer(kind: object, reader_side: str) -> Reading:
    """What a transfer of ``kind`` was for the holder of its ``reader_side``
    ("credit" or "debit")."""
    if reader_side not in ("credit", "debit"):
        raise ValueError(f"reader_side must be 'credit' or 'debit', not {reader_side!r}")
    credited = reader_side == "credit"
    kind = _kind(kind)
    if kind in TIME_KINDS:
        return Reading.GAVE if credited else Reading.RECEIVED
    if kind == "donation":
        return Reading.DONATION_IN if credited else Reading.DONATED
    if kind == "grant":
        return Reading.GRANTED if credited else Reading.GRANT_OUT
    if kind == "reversal":
        return Reading.REVERSAL
    if kind == "opening_balance":
        return Reading.OPENING_BALANCE
    raise ValueError(f"unknown transfer kind {kind!r}")


def view_for(kind: object, reader_side: str, minutes: int) -> ReaderView:
    """The reader's view with its effect on their balance."""
    reading = read_transfer(kind, reader_side)
    effect = minutes if reader_side == "credit" else -minutes
    return ReaderView(reading=reading, effect=effect, is_time=_kind(kind) in TIME_KINDS)


@cache
def read_neutral(kind: object, debit_kind: object = None) -> NeutralView:
    """What a transfer was for someone reading both sides, and whose side "did" it.
    ``debit_kind`` (the debited account's kind) tells which side of an opening balance
    is the holder's: the other side is the opening-balances (equity) account. Kept per
    kind and side's kind (a list asks for every row; the view is frozen)."""
    kind = _kind(kind)
    if kind in TIME_KINDS:
        return NeutralView(Neutral.EXCHANGE, actor_side="credit", is_time=True)
    if kind == "donation":
        return NeutralView(Neutral.DONATION, actor_side="debit", is_time=False)
    if kind == "grant":
        return NeutralView(Neutral.GRANT, actor_side="credit", is_time=False)
    if kind == "reversal":
        return NeutralView(Neutral.REVERSAL, actor_side="credit", is_time=False)
    if kind == "opening_balance":
        holder = "credit" if _kind(debit_kind) == "equity" else "debit"
        return NeutralView(Neutral.OPENING_BALANCE, actor_side=holder, is_time=False)
    raise ValueError(f"unknown transfer kind {kind!r}")
