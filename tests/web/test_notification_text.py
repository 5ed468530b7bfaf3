"""``describe``: every kind of notification said from its details, in the reader's
language, and the stored English message for rows without details."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from babel.dates import format_date
from flask_babel import force_locale

from timebank.community.messages import KIND as MESSAGE_KIND
from timebank.community.notifications import Kind
from timebank.notification_text import describe

DAY = date(2026, 11, 22)


def note(kind, details=None, message="The stored English sentence."):
    return SimpleNamespace(kind=kind, details=details, message=message)


def transfer(direction="gave", other="Bob Brennan", minutes=90, **extra):
    return {
        "minutes": minutes,
        "direction": direction,
        "other": other,
        "service_date": DAY.isoformat(),
        **extra,
    }


@pytest.fixture
def english(app):
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.mark.parametrize(
    ("kind", "ending"),
    [
        (Kind.TO_CONFIRM, "is waiting for you to confirm it."),
        (Kind.APPROVED, "was approved."),
        (Kind.POSTED, "is done and counted in your balance."),
        (Kind.REJECTED, "was not accepted."),
        (Kind.REVERSED, "was reversed."),
        (Kind.CORRECTED, "was corrected by a coordinator."),
    ],
)
def test_every_transfer_kind_both_ways(english, kind, ending):
    gave = describe(note(kind, transfer("gave")))
    assert gave == f"The 1 h 30 min you gave to Bob Brennan on 22 November 2026 {ending}"
    received = describe(note(kind, transfer("received", other="Alice Ashdown", minutes=60)))
    assert received == f"The 1 h you received from Alice Ashdown on 22 November 2026 {ending}"
    pot = describe(note(kind, transfer("received", other=None, minutes=30)))
    assert pot == f"The 30 min you received from the time bank on 22 November 2026 {ending}"


def test_a_transfer_with_a_reason(english):
    text = describe(note(Kind.REJECTED, transfer(reason="Recorded twice")))
    assert text == (
        "The 1 h 30 min you gave to Bob Brennan on 22 November 2026 was not accepted."
        " Reason: Recorded twice"
    )


def test_a_new_message_names_the_sender_only(english):
    text = describe(note(MESSAGE_KIND, {"sender": "Alice Ashdown"}))
    assert text == "Alice Ashdown sent you a message. Open Messages to read it."


def test_a_grant_and_a_donation(english):
    grant = describe(note(Kind.GRANT, {"minutes": 120, "reason": "Thank you for the fair"}))
    assert grant == "You received 2 h from the community pot. Reason: Thank you for the fair"
    donation = describe(note(Kind.POSTED, {"minutes": 45, "donation": True}))
    assert donation == (
        "A coordinator recorded your donation of 45 min to the community pot. Thank you."
    )


def test_applications(english):
    approved = describe(note(Kind.APPLICATION, {"outcome": "approved", "bank": "Riverside"}))
    assert approved == "Welcome to Riverside: your application was approved."
    declined = describe(
        note(Kind.APPLICATION, {"outcome": "declined", "bank": "Riverside", "reason": "Full"})
    )
    assert declined == "Your application to join Riverside was not accepted. Reason: Full"


def test_membership_changes(english):
    for role in ("member", "coordinator", "partner"):
        details = {"outcome": "role", "role": role, "bank": "Riverside"}
        assert describe(note(Kind.MEMBERSHIP, details)) == f"Your role in Riverside is now {role}."
    suspended = {"outcome": "suspended", "bank": "Riverside", "reason": "Unpaid"}
    assert describe(note(Kind.MEMBERSHIP, suspended)) == (
        "Your membership of Riverside is suspended. Reason: Unpaid"
    )
    back = {"outcome": "reactivated", "bank": "Riverside"}
    assert describe(note(Kind.MEMBERSHIP, back)) == "Your membership of Riverside is active again."


def test_old_rows_and_unreadable_details_fall_back_to_the_message(english):
    assert describe(note(Kind.APPROVED, None)) == "The stored English sentence."
    assert describe(note("something_new", {"x": 1})) == "The stored English sentence."
    assert describe(note(Kind.APPROVED, {"direction": "gave"})) == "The stored English sentence."
    assert describe(note(Kind.MEMBERSHIP, {"outcome": "odd", "bank": "B"})) == (
        "The stored English sentence."
    )


def test_names_and_reasons_are_kept_as_written(english):
    text = describe(note(Kind.REJECTED, transfer(other="Ann <b>", reason="50% & more")))
    assert "Ann <b>" in text and "Reason: 50% & more" in text  # templates escape them


# Welsh: passes once the lead has merged translations/fragments/notifications.json.


def test_welsh(app):
    with app.test_request_context(), force_locale("cy"):
        text = describe(note(Kind.TO_CONFIRM, transfer("received", other="Alice Ashdown")))
        message = describe(note(MESSAGE_KIND, {"sender": "Alice Ashdown"}))
        suspended = describe(
            note(Kind.MEMBERSHIP, {"outcome": "suspended", "bank": "Riverside", "reason": "X"})
        )
    welsh_day = format_date(DAY, "d MMMM y", locale="cy")
    assert text == (
        f"Mae'r amser a gawsoch gan Alice Ashdown ar {welsh_day} (1 awr 30 mun)"
        " yn aros i chi ei gadarnhau."
    )
    assert message == "Mae Alice Ashdown wedi anfon neges atoch. Agorwch Negeseuon i'w darllen."
    assert suspended == "Mae eich aelodaeth o Riverside wedi'i hatal. Rheswm: X"
