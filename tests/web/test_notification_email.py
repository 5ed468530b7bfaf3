"""Emails about notifications, for members who ask for them on their profile page.

What a member notices: an email arrives when an exchange waits for their confirmation,
when one is approved or not accepted, and when someone writes to them (saying who, never
what); it is in their language, links to News and says how to stop these emails. A
member who did not ask gets none; a request that fails, or a transaction run again
after a conflict, sends nothing extra; a mail server that refuses does not break the
page and leaves nobody's address in the log. Decisions about someone's own membership
(their application, a suspension) are emailed whatever they chose.
"""

from __future__ import annotations

import logging
import smtplib
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from sqlalchemy.exc import DBAPIError

from tests.factories import TimeBankFactory, bank_today
from tests.web.apply_support import confirm, confirm_path
from tests.web.support import location_path, make_member, sign_in
from timebank.community.models import Notification
from timebank.community.notifications import Kind, notify, notify_transfer_outcome
from timebank.extensions import db
from timebank.ledger.database import run_in_transaction
from timebank.ledger.errors import LedgerError
from timebank.ledger.models import Membership, MembershipStatus, Role
from timebank.ledger.transfers import confirm_transfer, record_transfer

TODAY = bank_today()
ENGLISH_TODAY = f"{TODAY.day} {TODAY:%B %Y}"
QUEUE = "/coordinators/approvals"


@pytest.fixture
def outbox(app, tmp_path) -> Path:
    folder = tmp_path / "outbox"
    app.config["MAIL_OUTBOX"] = str(folder)
    return folder


@pytest.fixture
def world(session):
    bank = TimeBankFactory(name="Riverside Time Bank", floor_minutes=-600)
    people = {
        "cora": make_member(
            session,
            email="cora@example.org",
            name="Cora Coordinator",
            bank=bank,
            role=Role.COORDINATOR,
        ),
        "alice": make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank),
        "bob": make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank),
    }
    return {"bank": bank, **people}


def wants_email(session, membership, locale=None):
    membership.email_notifications = True
    membership.person.preferred_locale = locale
    session.commit()


def emails(outbox: Path) -> list[dict]:
    """Each email in the outbox, oldest first: to, subject, text and html."""
    found = []
    for file in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        parsed = message_from_bytes(file.read_bytes(), policy=policy.default)
        found.append(
            {
                "to": str(parsed["To"]),
                "subject": str(parsed["Subject"]),
                "text": parsed.get_body(preferencelist=("plain",)).get_content(),
                "html": parsed.get_body(preferencelist=("html",)).get_content(),
                "raw": file.read_text(encoding="utf-8"),
            }
        )
    return found


def log_exchange(client, world, minutes="30"):
    data = {
        "direction": "gave",
        "counterpart": str(world["bob"].account.id),
        "hours": "1",
        "minutes": minutes,
        "service_date": TODAY.isoformat(),
        "category": "",
        "description": "Weeding the front garden",
        "idempotency_key": f"key-{minutes}",
        "action": "record",
    }
    return client.post("/members/log", data=data)


def confirmed_exchange(session, giver, receiver, minutes=60) -> int:
    transfer = record_transfer(
        session,
        actor=giver,
        giver=giver.account,
        receiver=receiver.account,
        minutes=minutes,
        service_date=TODAY,
    )
    confirm_transfer(session, actor=receiver, transfer_id=transfer.id)
    session.commit()
    return transfer.id


# What is sent ------------------------------------------------------------------------


def test_an_exchange_to_confirm_is_emailed_to_the_member_who_asked(client, world, outbox):
    wants_email(db.session, world["bob"])
    sign_in(client, "alice@example.org")
    assert log_exchange(client, world).status_code == 302

    [mail] = emails(outbox)
    assert mail["to"] == "bob@example.org"
    assert mail["subject"] == "An exchange is waiting for you to confirm it"
    said = (
        f"The 1 h 30 min you received from Alice Ashdown on {ENGLISH_TODAY}"
        " is waiting for you to confirm it."
    )
    assert said in mail["text"] and said in mail["html"]
    assert "Hello Bob Brennan," in mail["text"]
    assert "http://localhost/members/notifications" in mail["text"]
    assert 'href="http://localhost/members/notifications"' in mail["html"]
    # How to stop them, last.
    assert mail["text"].rstrip().endswith("http://localhost/members/profile")
    assert "To stop them, change your choice on your profile page:" in mail["text"]
    assert 'on <a href="http://localhost/members/profile">your profile page</a>.' in mail["html"]
    assert '<html lang="en">' in mail["html"]


def test_approval_and_rejection_are_emailed(client, session, world, outbox):
    alice, bob = world["alice"], world["bob"]
    wants_email(session, alice)
    approved = confirmed_exchange(session, alice, bob, 60)
    rejected = confirmed_exchange(session, alice, bob, 90)
    sign_in(client, "cora@example.org")

    client.post(f"{QUEUE}/{approved}/approve")
    client.post(f"{QUEUE}/{rejected}/reject", data={"reject-reason": "Recorded twice"})

    first, second = emails(outbox)
    assert {first["to"], second["to"]} == {"alice@example.org"}  # Bob did not ask
    assert first["subject"] == "News from Riverside Time Bank"
    assert (
        f"The 1 h you gave to Bob Brennan on {ENGLISH_TODAY} is done and counted in your balance."
        in first["text"]
    )
    assert (
        f"The 1 h 30 min you gave to Bob Brennan on {ENGLISH_TODAY} was not accepted."
        " Reason: Recorded twice"
    ) in second["text"]


def test_a_new_message_says_who_wrote_never_what(client, world, outbox):
    wants_email(db.session, world["bob"])
    sign_in(client, "alice@example.org")
    sent = client.post(
        "/members/messages/new",
        data={"recipient": world["bob"].id, "subject": "Garden", "body": "Saturday at ten?"},
    )
    assert sent.status_code == 302

    [mail] = emails(outbox)
    assert mail["to"] == "bob@example.org"
    assert mail["subject"] == "You have a new message from Alice Ashdown"
    assert "Alice Ashdown sent you a message. Open Messages to read it." in mail["text"]
    assert "Saturday at ten?" not in mail["raw"] and "Garden" not in mail["raw"]


def test_members_who_did_not_ask_get_no_email(client, session, world, outbox):
    sign_in(client, "alice@example.org")
    log_exchange(client, world)
    client.post(
        "/members/messages/new",
        data={"recipient": world["bob"].id, "subject": "Garden", "body": "Saturday?"},
    )
    transfer_id = confirmed_exchange(session, world["alice"], world["bob"], 30)
    client.post("/auth/sign-out")
    sign_in(client, "cora@example.org")
    client.post(f"{QUEUE}/{transfer_id}/approve")

    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 4
    assert emails(outbox) == []


MEMBERS = "/coordinators/members"


def test_an_applicant_is_emailed_the_decision_without_asking(client, session, world, outbox):
    """The apply page promises word of the application by email: it comes whatever the
    applicant's email choice, with a link to where the application stands and no
    "to stop them" footer (there is nothing to stop)."""
    bank = world["bank"]
    nina = make_member(
        session,
        email="nina@example.org",
        name="Nina Newby",
        bank=bank,
        status=MembershipStatus.APPLIED,
    )
    omar = make_member(
        session,
        email="omar@example.org",
        name="Omar Okoro",
        bank=bank,
        status=MembershipStatus.APPLIED,
    )
    assert not nina.email_notifications and not omar.email_notifications
    sign_in(client, "cora@example.org")

    client.post(f"{MEMBERS}/{nina.id}/approve")
    client.post(
        f"{MEMBERS}/{omar.id}/decline", data={"decline-reason": "We only serve Riverside ward."}
    )

    welcome, declined = emails(outbox)
    assert welcome["to"] == "nina@example.org"
    assert welcome["subject"] == "Your application to Riverside Time Bank"
    assert "your application was approved" in welcome["text"]
    assert "http://localhost/members/application" in welcome["text"]
    assert "about your membership of Riverside Time Bank" in welcome["text"]
    assert "To stop them" not in welcome["text"] and "To stop them" not in welcome["html"]
    assert declined["to"] == "omar@example.org"
    assert "We only serve Riverside ward." in declined["text"]


def test_a_suspended_member_is_emailed_why(client, session, world, outbox):
    """They can no longer sign in to the bank to read its News, so the reason comes by
    email whatever they chose, and the email sends them to no page they cannot open."""
    sign_in(client, "cora@example.org")
    client.post(f"{MEMBERS}/{world['bob'].id}/suspend", data={"suspend-reason": "Under review"})

    [mail] = emails(outbox)
    assert mail["to"] == "bob@example.org"
    assert mail["subject"] == "Your membership of Riverside Time Bank"
    assert "suspended" in mail["text"] and "Under review" in mail["text"]
    assert "/members/notifications" not in mail["raw"]


def test_a_welsh_speaker_gets_the_email_in_welsh(client, world, outbox):
    wants_email(db.session, world["bob"], locale="cy")
    sign_in(client, "alice@example.org")
    log_exchange(client, world)
    page = client.post(
        "/members/messages/new",
        data={"recipient": world["bob"].id, "subject": "Garden", "body": "Saturday?"},
        follow_redirects=True,
    )
    assert "Your message was sent." in page.get_data(as_text=True)  # Alice still reads English

    to_confirm, message = emails(outbox)
    welsh_today = format_date(TODAY, "d MMMM y", locale="cy")
    assert to_confirm["subject"] == "Mae cyfnewid yn aros i chi ei gadarnhau"
    assert (
        f"Mae'r amser a gawsoch gan Alice Ashdown ar {welsh_today} (1 awr 30 mun)"
        " yn aros i chi ei gadarnhau."
    ) in to_confirm["text"]
    assert "Helo Bob Brennan," in to_confirm["text"]
    assert "I'w hatal, newidiwch eich dewis ar dudalen eich proffil:" in to_confirm["text"]
    assert '<html lang="cy">' in to_confirm["html"]
    assert message["subject"] == "Mae gennych neges newydd gan Alice Ashdown"
    assert "Mae Alice Ashdown wedi anfon neges atoch." in message["text"]


# When it is sent ---------------------------------------------------------------------


def test_a_failed_request_sends_nothing(client, session, world, outbox, monkeypatch):
    alice, bob = world["alice"], world["bob"]
    wants_email(session, alice)
    transfer_id = confirmed_exchange(session, alice, bob)

    def notify_then_fail(*args, **kwargs):
        notify_transfer_outcome(*args, **kwargs)  # written and flushed...
        raise LedgerError("Something else went wrong.")  # ...then rolled back

    monkeypatch.setattr("timebank.coordinators.queue.notify_transfer_outcome", notify_then_fail)
    sign_in(client, "cora@example.org")
    page = client.post(f"{QUEUE}/{transfer_id}/approve", follow_redirects=True)
    assert "Something else went wrong." in page.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert emails(outbox) == []

    monkeypatch.undo()
    client.post(f"{QUEUE}/{transfer_id}/approve")
    assert [mail["to"] for mail in emails(outbox)] == ["alice@example.org"]


def test_a_rolled_back_transaction_sends_nothing_and_a_retry_sends_once(session, world, outbox):
    bob = world["bob"]
    wants_email(session, bob)
    notify(session, recipient=bob, kind=Kind.MEMBERSHIP, message="Rolled back.")
    session.rollback()
    session.commit()
    assert emails(outbox) == []

    class Conflict(Exception):
        sqlstate = "40001"

    attempts = []

    def work():
        attempts.append(1)
        notify(session, recipient=bob, kind=Kind.MEMBERSHIP, message="Once.")
        if len(attempts) == 1:
            raise DBAPIError("UPDATE account", {}, Conflict())

    run_in_transaction(session, work)
    assert len(attempts) == 2
    assert len(emails(outbox)) == 1


def test_a_rolled_back_savepoint_sends_nothing(session, world, outbox):
    bob = world["bob"]
    wants_email(session, bob)
    savepoint = session.begin_nested()
    notify(session, recipient=bob, kind=Kind.MEMBERSHIP, message="Undone.")
    savepoint.rollback()
    with session.begin_nested():
        notify(session, recipient=bob, kind=Kind.MEMBERSHIP, message="Kept.")
    assert emails(outbox) == []  # not before the outer commit
    session.commit()
    [mail] = emails(outbox)
    assert "Kept." in mail["text"]


def test_outside_a_request_the_links_come_from_the_configured_origin(app, session, world, outbox):
    # Issue 11: links never come from a request's Host, so a command or a background
    # import sends the same working links as a page does.
    bob = world["bob"]
    wants_email(session, bob)
    bob_id = bob.id
    session.commit()
    session.close()  # SQLite: let the other session write
    app.config["EXTERNAL_ORIGIN"] = "https://timebank.example"
    with app.app_context():  # a context with no request, as a CLI command has
        again = db.session.get(Membership, bob_id)
        notify(db.session, recipient=again, kind=Kind.GRANT, message="With a link.")
        db.session.commit()
        db.session.remove()

    [with_link] = emails(outbox)
    assert "https://timebank.example/members/notifications" in with_link["text"]
    assert "https://timebank.example/members/profile" in with_link["text"]


def test_a_mail_failure_is_logged_without_personal_data(
    client, session, world, outbox, monkeypatch, caplog
):
    wants_email(session, world["bob"])

    def refuse(to, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({to: (550, b"No such user")})

    monkeypatch.setattr("timebank.notification_mail.send_email", refuse)
    # Alembic's fileConfig (the test database's migrations) disables existing loggers.
    monkeypatch.setattr(logging.getLogger("timebank.notification_mail"), "disabled", False)
    sign_in(client, "alice@example.org")
    with caplog.at_level(logging.WARNING, logger="timebank.notification_mail"):
        response = log_exchange(client, world)
    assert response.status_code == 302  # recorded all the same
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    assert "notification email not sent" in caplog.text
    assert "SMTPRecipientsRefused" in caplog.text
    for personal in ("bob@example.org", "Bob Brennan", "Alice Ashdown"):
        assert personal not in caplog.text


# The News page -------------------------------------------------------------------------


def test_the_news_page_shows_the_rendered_text(client, session, world):
    alice, bank = world["alice"], world["bank"]
    session.add(
        Notification(
            time_bank_id=bank.id,
            membership_id=alice.id,
            kind=Kind.POSTED,
            message="Stored English text that is not shown.",
            details={
                "minutes": 75,
                "direction": "received",
                "other": "Bob <Brennan>",
                "service_date": "2026-03-01",
            },
        )
    )
    session.add(
        Notification(
            time_bank_id=bank.id,
            membership_id=alice.id,
            kind=Kind.APPROVED,
            message="An older row without details.",
        )
    )
    session.commit()
    sign_in(client, "alice@example.org")
    page = client.get("/members/notifications").get_data(as_text=True)
    assert "<h1>News from Riverside Time Bank</h1>" in page
    assert (
        "The 1 h 15 min you received from Bob &lt;Brennan&gt; on 1 March 2026"
        " is done and counted in your balance."
    ) in page
    assert "Stored English text" not in page
    assert "An older row without details." in page


def test_an_application_is_acknowledged_by_email(client, session, world, outbox):
    """Someone who applies hears at once that the application arrived and what happens
    next, in the language they chose."""
    client.post("/language", data={"language": "cy", "next": "/auth/apply"})
    slug = world["bank"].slug
    response = client.post(
        f"/auth/apply/{slug}",
        data={
            "display_name": "Nia Newydd",
            "email": "nia@example.org",
            "password": "a long enough passphrase",
            "password_again": "a long enough passphrase",
            "offers_text": "Gardening",
            "needs_text": "",
        },
    )
    # First the link to confirm the address, in Welsh too; the application arrives
    # when it is confirmed.
    assert response.status_code == 200
    [link_mail] = emails(outbox)
    assert link_mail["to"] == "nia@example.org"
    assert link_mail["subject"] == "Cadarnhewch eich cais i Riverside Time Bank"
    assert location_path(confirm(client, confirm_path(client.application, "nia@example.org"))) == (
        "/members/application"
    )
    [_, mail] = emails(outbox)
    assert mail["to"] == "nia@example.org"
    assert "Mae gennym eich cais i ymuno â Riverside Time Bank" in mail["text"]
    assert "http://localhost/members/application" in mail["text"]
