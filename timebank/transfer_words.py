"""A transfer in the reader's words, from ``timebank.reports.transfer_reading``'s one
decision: "Gave 2 h", "Donated 2 h to the community pot", "Reversal of entry 41".

Used by every page that lists entries, so that a donation never reads as time received,
nor a grant as time given. Names the ledger wrote ("Community pot") are put into the
reader's language first.
"""

from __future__ import annotations

from typing import Protocol

from flask import Flask
from markupsafe import Markup, escape

from timebank.filters import ledger_words
from timebank.i18n import ReadersWording
from timebank.ledger.models import Transfer
from timebank.ledger.transfer_kinds import Neutral, read_neutral, view_for
from timebank.ledger.waiting import Confirmer, Waiting
from timebank.quick_gettext import gettext as _
from timebank.quick_gettext import lazy_gettext as _l
from timebank.reports.statements import StatementLine
from timebank.reports.transfer_reading import neutral_words, words_for_reader

# What an entry was, when it has no description or category (the lists of entries, the
# approval queue's filter and the CSV statement).
ENTRY_KIND_LABELS = {
    "exchange": _l("Exchange"),
    "group": _l("Group exchange"),
    "donation": _l("Donation to the pot"),
    "grant": _l("Grant from the pot"),
    "reversal": _l("Reversal"),
    "opening_balance": _l("Opening balance"),
}


def counterpart_name(line: StatementLine) -> str:
    """Who the entry was with, in the reader's language: people and organisations by
    their own names; the ledger names its own accounts in English."""
    if line.counterpart_kind == "pot":
        return _("Community pot")
    if line.counterpart_kind == "equity":
        return _("Opening balances")
    return line.counterpart


def kind_label(kind: str) -> str:
    """What kind of entry it is, for one without a description of its own."""
    label = ENTRY_KIND_LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ")


def description_of(line: StatementLine) -> str:
    """The entry's description: as the person wrote it, or in the reader's language
    when the ledger wrote it (donations, grants, reversals)."""
    return ledger_words(line.description) or ""


def entry_what(line: StatementLine) -> str:
    """What an entry was for, in a list of entries: its description, else its
    category, else its kind."""
    return description_of(line) or line.category or kind_label(line.kind)


def my_entry_words(line: StatementLine) -> str:
    """What an entry was for the account holder reading it, with its amount."""
    return words_for_reader(ReadersWording(), line.view.reading, line.minutes, line.reverses_id)


def words_for_side(transfer: Transfer, account_id: int) -> str:
    """What a transfer was for the holder of ``account_id`` (one of its sides)."""
    side = "credit" if transfer.credit_account_id == account_id else "debit"
    view = view_for(transfer.kind, side, transfer.minutes)
    return words_for_reader(ReadersWording(), view.reading, view.effect, transfer.reverses_id)


def entry_words(
    kind: object,
    *,
    giver: str,
    receiver: str,
    minutes: int,
    reverses_id: int | None = None,
    debit_kind: object = None,
) -> str:
    """What an entry was for someone reading both sides. ``giver`` is the credited
    account's name, ``receiver`` the debited one's."""
    return neutral_words(
        ReadersWording(),
        kind,
        giver=ledger_words(giver) or "",
        receiver=ledger_words(receiver) or "",
        minutes=minutes,
        reverses_id=reverses_id,
        debit_kind=debit_kind,
    )


class BothSides(Protocol):
    """A row of a coordinators' list of entries (``reports.posted``, ``reports.queue``)."""

    kind: str
    reverses_id: int | None
    # The credited account's name, the debited account's name and the debited
    # account's kind.
    giver: str
    receiver: str
    receiver_kind: str


def _with_names(text: str, names: dict[str, object]) -> Markup:
    """``Markup(text) % names`` (a template's ``_`` with variables), for ``%(name)s``
    placeholders: each value escaped, then one plain ``%`` (Markup's own ``%`` wraps
    every value in a helper object, four times the cost)."""
    escaped = {key: escape(value) for key, value in names.items()}
    return Markup(text % escaped)  # noqa: S704 - our catalogue, trusted as the templates trust it


def between_words(row: BothSides) -> Markup:
    """Who an entry was between, in its own words (HTML): an exchange reads "Alice →
    Bob", read out as "Alice gave to Bob"; a donation, a grant, a reversal and an
    opening balance each say what they were. The names escaped, as a template's ``_``
    escapes them."""
    view = read_neutral(row.kind, row.receiver_kind)
    giver = ledger_words(row.giver)
    receiver = ledger_words(row.receiver)
    if view.kind == Neutral.EXCHANGE:
        text = _(
            '%(giver)s <span aria-hidden="true">→</span><span class="visually-hidden">'
            " gave to </span> %(receiver)s"
        )
        return _with_names(text, {"giver": giver, "receiver": receiver})
    if view.kind == Neutral.DONATION:
        return _with_names(_("%(donor)s donated to the community pot"), {"donor": receiver})
    if view.kind == Neutral.GRANT:
        text = _("Grant to %(recipient)s from the community pot")
        return _with_names(text, {"recipient": giver})
    if view.kind == Neutral.REVERSAL:
        text = _("Reversal of entry %(id)s: back to %(credited)s from %(debited)s")
        return _with_names(text, {"id": row.reverses_id, "credited": giver, "debited": receiver})
    holder = giver if view.actor_side == "credit" else receiver
    return _with_names(_("Opening balance of %(holder)s"), {"holder": holder})


def waiting_words(waiting: Waiting, other_name: str, *, for_holder: bool = True) -> str:
    """Who or what a pending entry waits for, in words. ``for_holder``: the reader is
    the account's holder ("you"); otherwise a coordinator reads a member's entries.
    Whole sentences, so that a translation can order its words."""
    coordinator, approved = waiting.coordinator, waiting.approved
    if waiting.confirmer == Confirmer.YOU and for_holder:
        if coordinator:
            return _("Waiting for you to confirm, then for a coordinator to approve")
        if approved:
            return _("Approved by a coordinator; waiting for you to confirm")
        return _("Waiting for you to confirm")
    if waiting.confirmer == Confirmer.YOU:
        if coordinator:
            return _("Waiting for this member to confirm, then for a coordinator to approve")
        if approved:
            return _("Approved by a coordinator; waiting for this member to confirm")
        return _("Waiting for this member to confirm")
    if waiting.confirmer == Confirmer.OTHER:
        name = ledger_words(other_name) or ""
        if coordinator:
            return _(
                "Waiting for %(name)s to confirm, then for a coordinator to approve", name=name
            )
        if approved:
            return _("Approved by a coordinator; waiting for %(name)s to confirm", name=name)
        return _("Waiting for %(name)s to confirm", name=name)
    if coordinator and waiting.confirmed:
        return _("Confirmed; waiting for a coordinator to approve")
    if coordinator:
        return _("Waiting for a coordinator to approve")
    return _("Waiting")


def entry_status(line: StatementLine, *, for_holder: bool = True) -> str:
    """An entry's status in words: done, not accepted, or what it is waiting for."""
    if line.status == "posted":
        return _("Done")
    if line.status == "rejected":
        return _("Not accepted")
    if line.waiting is None:
        return _("Waiting")
    return waiting_words(line.waiting, line.counterpart, for_holder=for_holder)


def register_transfer_words(app: Flask) -> None:
    app.add_template_global(entry_status, "entry_status")
    app.add_template_global(waiting_words, "waiting_words")
    app.add_template_global(my_entry_words, "my_entry_words")
    app.add_template_global(counterpart_name, "counterpart_name")
    app.add_template_global(entry_what, "entry_what")
    app.add_template_global(entry_words, "entry_words")
    app.add_template_global(between_words, "between_words")
    app.add_template_global(read_neutral, "neutral_view")
