"""A transfer in words, and which transfers count as time, for every report.

What each kind means for either side is the ledger's decision
(``timebank.ledger.transfer_kinds``); here it becomes a sentence through a
:class:`~timebank.reports.wording.Wording` (English for exports, the reader's language on
pages), and ``time_given_condition`` selects, in SQL, the transfers that are time given
and received.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from timebank.ledger.models import Transfer, TransferKind, TransferStatus
from timebank.ledger.transfer_kinds import Neutral, Reading, read_neutral
from timebank.reports.wording import Wording

# In words ------------------------------------------------------------------------------
# Each sentence is one template through a Wording, so the exports read English and the
# pages read the reader's language (timebank.i18n.ReadersWording).


# Made once: a new alias per call costs SQLAlchemy a fresh adaptation of every
# column and loader option (about a third of the query's time on the dashboard).
REVERSAL = aliased(Transfer, name="time_reversal")


def words_for_reader(
    w: Wording, reading: Reading, effect: int, reverses_id: int | None = None
) -> str:
    """What an entry was for the holder reading it, with its amount: "Gave 2 h"."""
    time = w.minutes(abs(effect))
    if reading == Reading.GAVE:
        return w.gettext("Gave %(time)s", time=time)
    if reading == Reading.RECEIVED:
        return w.gettext("Received %(time)s", time=time)
    if reading == Reading.DONATED:
        return w.gettext("Donated %(time)s to the community pot", time=time)
    if reading == Reading.DONATION_IN:
        return w.gettext("Donation of %(time)s to the pot", time=time)
    if reading == Reading.GRANTED:
        return w.gettext("Granted %(time)s from the community pot", time=time)
    if reading == Reading.GRANT_OUT:
        return w.gettext("Granted %(time)s from the pot", time=time)
    if reading == Reading.REVERSAL:
        if effect > 0:
            return w.gettext("Reversal of entry %(id)s: %(time)s back", id=reverses_id, time=time)
        return w.gettext("Reversal of entry %(id)s: %(time)s taken off", id=reverses_id, time=time)
    if effect > 0:
        return w.gettext("Opening balance: %(time)s added", time=time)
    return w.gettext("Opening balance: %(time)s taken off", time=time)


def neutral_words(
    w: Wording,
    kind: object,
    *,
    giver: str,
    receiver: str,
    minutes: int,
    reverses_id: int | None = None,
    debit_kind: object = None,
) -> str:
    """What an entry was for someone reading both sides (a coordinator, an export):
    "Jo Bennett donated 2 h to the community pot". ``giver`` is the credited account's
    name, ``receiver`` the debited one's."""
    view = read_neutral(kind, debit_kind)
    time = w.minutes(minutes)
    if view.kind == Neutral.EXCHANGE:
        return w.gettext(
            "%(giver)s gave %(time)s to %(receiver)s", giver=giver, time=time, receiver=receiver
        )
    if view.kind == Neutral.DONATION:
        return w.gettext(
            "%(donor)s donated %(time)s to the community pot", donor=receiver, time=time
        )
    if view.kind == Neutral.GRANT:
        return w.gettext(
            "%(recipient)s was granted %(time)s from the community pot", recipient=giver, time=time
        )
    if view.kind == Neutral.REVERSAL:
        return w.gettext(
            "Reversal of entry %(id)s: %(time)s back to %(credited)s from %(debited)s",
            id=reverses_id,
            time=time,
            credited=giver,
            debited=receiver,
        )
    if view.actor_side == "credit":
        return w.gettext("Opening balance of %(holder)s: %(time)s", holder=giver, time=time)
    return w.gettext("Opening balance of %(holder)s: minus %(time)s", holder=receiver, time=time)


def time_given_condition(transfer: Any) -> Any:
    """SQL: this posted transfer is time given and received, and still stands (a
    reversed exchange and its reversal net out, so neither counts). ``transfer`` is the
    Transfer entity or an alias of it."""
    reversal = REVERSAL
    return sa.and_(
        transfer.kind.in_([TransferKind.EXCHANGE, TransferKind.GROUP]),
        transfer.status == TransferStatus.POSTED,
        ~sa.exists().where(
            reversal.reverses_id == transfer.id, reversal.status == TransferStatus.POSTED
        ),
    )
