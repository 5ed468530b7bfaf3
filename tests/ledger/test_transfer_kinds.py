"""How each kind of transfer reads, from both sides and for a reader of both: the one
decision every page, export and network view uses. Pure: no app, no database."""

from __future__ import annotations

import pytest

from timebank.ledger.models import TransferKind
from timebank.ledger.transfer_kinds import Neutral, Reading, read_neutral, read_transfer, view_for
from timebank.reports.transfer_reading import neutral_words, words_for_reader
from timebank.reports.wording import ENGLISH

# kind, (what the credited side reads, what the debited side reads), counts as time
TABLE = [
    (TransferKind.EXCHANGE, (Reading.GAVE, Reading.RECEIVED), True),
    (TransferKind.GROUP, (Reading.GAVE, Reading.RECEIVED), True),
    (TransferKind.DONATION, (Reading.DONATION_IN, Reading.DONATED), False),
    (TransferKind.GRANT, (Reading.GRANTED, Reading.GRANT_OUT), False),
    (TransferKind.REVERSAL, (Reading.REVERSAL, Reading.REVERSAL), False),
    (TransferKind.OPENING_BALANCE, (Reading.OPENING_BALANCE, Reading.OPENING_BALANCE), False),
]


def test_the_table_covers_every_kind():
    assert {kind for kind, _, _ in TABLE} == set(TransferKind)


@pytest.mark.parametrize(("kind", "readings", "is_time"), TABLE)
def test_each_kind_from_both_sides(kind, readings, is_time):
    credited, debited = readings
    assert read_transfer(kind, "credit") == credited
    assert read_transfer(kind, "debit") == debited
    assert read_transfer(str(kind), "credit") == credited  # as stored: a plain string
    assert view_for(kind, "credit", 90).effect == 90
    assert view_for(kind, "debit", 90).effect == -90
    assert view_for(kind, "credit", 90).is_time is is_time
    assert read_neutral(kind, "member").is_time is is_time


def test_a_donation_is_never_time_received_nor_a_grant_time_given():
    assert read_transfer(TransferKind.DONATION, "debit") == Reading.DONATED
    assert read_transfer(TransferKind.GRANT, "credit") == Reading.GRANTED
    for side in ("credit", "debit"):
        for kind in (TransferKind.DONATION, TransferKind.GRANT):
            assert read_transfer(kind, side) not in (Reading.GAVE, Reading.RECEIVED)


def test_an_unknown_side_or_kind_is_refused():
    with pytest.raises(ValueError, match="reader_side"):
        read_transfer(TransferKind.EXCHANGE, "both")
    with pytest.raises(ValueError, match="unknown transfer kind"):
        read_transfer("barter", "credit")


READER_WORDS = [
    (TransferKind.EXCHANGE, "credit", 120, None, "Gave 2 h"),
    (TransferKind.EXCHANGE, "debit", 120, None, "Received 2 h"),
    (TransferKind.GROUP, "credit", 45, None, "Gave 45 min"),
    (TransferKind.DONATION, "debit", 120, None, "Donated 2 h to the community pot"),
    (TransferKind.DONATION, "credit", 120, None, "Donation of 2 h to the pot"),
    (TransferKind.GRANT, "credit", 480, None, "Granted 8 h from the community pot"),
    (TransferKind.GRANT, "debit", 480, None, "Granted 8 h from the pot"),
    (TransferKind.REVERSAL, "credit", 90, 41, "Reversal of entry 41: 1 h 30 min back"),
    (TransferKind.REVERSAL, "debit", 90, 41, "Reversal of entry 41: 1 h 30 min taken off"),
    (TransferKind.OPENING_BALANCE, "credit", 180, None, "Opening balance: 3 h added"),
    (TransferKind.OPENING_BALANCE, "debit", 180, None, "Opening balance: 3 h taken off"),
]


@pytest.mark.parametrize(("kind", "side", "minutes", "reverses", "expected"), READER_WORDS)
def test_each_kind_in_words_for_its_reader(kind, side, minutes, reverses, expected):
    view = view_for(kind, side, minutes)
    assert words_for_reader(ENGLISH, view.reading, view.effect, reverses) == expected


NEUTRAL_WORDS = [
    # kind, credited name, debited name, debited kind, sentence, who "did" it
    (TransferKind.EXCHANGE, "Jo", "Sam", "member", "Jo gave 2 h to Sam", Neutral.EXCHANGE),
    (TransferKind.GROUP, "Council", "Sam", "member", "Council gave 2 h to Sam", Neutral.EXCHANGE),
    (
        TransferKind.DONATION,
        "the community pot",
        "Jo",
        "member",
        "Jo donated 2 h to the community pot",
        Neutral.DONATION,
    ),
    (
        TransferKind.GRANT,
        "Dorothy",
        "the community pot",
        "pot",
        "Dorothy was granted 2 h from the community pot",
        Neutral.GRANT,
    ),
    (
        TransferKind.REVERSAL,
        "Sam",
        "Jo",
        "member",
        "Reversal of entry 41: 2 h back to Sam from Jo",
        Neutral.REVERSAL,
    ),
    (
        TransferKind.OPENING_BALANCE,
        "Jo",
        "opening balances",
        "equity",
        "Opening balance of Jo: 2 h",
        Neutral.OPENING_BALANCE,
    ),
    (
        TransferKind.OPENING_BALANCE,
        "opening balances",
        "Jo",
        "member",
        "Opening balance of Jo: minus 2 h",
        Neutral.OPENING_BALANCE,
    ),
]


@pytest.mark.parametrize(
    ("kind", "credited", "debited", "debit_kind", "expected", "neutral"), NEUTRAL_WORDS
)
def test_each_kind_in_words_for_a_reader_of_both_sides(
    kind, credited, debited, debit_kind, expected, neutral
):
    assert read_neutral(kind, debit_kind).kind == neutral
    words = neutral_words(
        ENGLISH,
        kind,
        giver=credited,
        receiver=debited,
        minutes=120,
        reverses_id=41,
        debit_kind=debit_kind,
    )
    assert words == expected
