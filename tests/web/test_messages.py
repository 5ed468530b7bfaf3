"""Messages through the real app: the inbox, a conversation, writing to someone new
(also about an offer), and every refusal a member could run into."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import TimeBankFactory
from tests.web.support import make_member, sign_in
from tests.web.test_auth import csrf_app, csrf_token_from  # noqa: F401 - fixture
from timebank.community.messages import start_thread
from timebank.community.models import Listing, Message, MessageThread, Notification
from timebank.extensions import db
from timebank.ledger.models import MembershipStatus

INBOX = "/members/messages"
NEW = "/members/messages/new"


def people(session):
    bank = TimeBankFactory(name="Riverside Time Bank")
    alice = make_member(session, email="alice@example.org", name="Alice Ashdown", bank=bank)
    bob = make_member(session, email="bob@example.org", name="Bob Brennan", bank=bank)
    carol = make_member(session, email="carol@example.org", name="Carol Cheung", bank=bank)
    return bank, alice, bob, carol


def test_the_inbox_is_empty_at_first_and_asks_for_sign_in(client, session):
    people(session)
    asked = client.get(INBOX)
    assert asked.status_code == 302
    assert asked.headers["Location"].startswith("/auth/sign-in")
    sign_in(client, "alice@example.org")
    page = client.get(INBOX).get_data(as_text=True)
    assert "You have no messages yet" in page
    assert 'href="/members/messages/new"' in page


def holds(html: str, membership_id: int, name: str) -> bool:
    """The person box holds this member: their name in the box, their id beside it."""
    return (
        f'<input id="recipient" name="recipient" type="hidden" value="{membership_id}">' in html
        and re.search(rf'<input[^>]*id="recipient_name"[^>]*value="{name}"', html) is not None
    )


def offered(client, text: str) -> list[str]:
    """The names the person box offers for ``text`` (its JSON search)."""
    answer = client.post("/members/people/search", data={"q": text, "among": "message"})
    return [match["name"] for match in answer.get_json()["matches"]]


def test_writing_a_message_shows_as_new_for_the_other_person(client, session):
    _, _, bob, _ = people(session)
    sign_in(client, "alice@example.org")
    form = client.get(f"{NEW}?to={bob.id}").get_data(as_text=True)
    assert holds(form, bob.id, "Bob Brennan")
    names = offered(client, "a")
    assert "Bob Brennan" in names and "Alice Ashdown" not in names  # not to yourself
    sent = client.post(NEW, data={"recipient": bob.id, "subject": "Garden", "body": "Saturday?"})
    assert sent.status_code == 302
    thread = session.scalar(sa.select(MessageThread))
    assert sent.headers["Location"].endswith(f"/members/messages/{thread.id}")
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Your message was sent." in page and "Saturday?" in page

    client.post("/auth/sign-out")
    sign_in(client, "bob@example.org")
    dashboard = client.get("/members/").get_data(as_text=True)
    assert '1<span class="visually-hidden"> unread</span>' in dashboard
    inbox = client.get(INBOX).get_data(as_text=True)
    assert '<p class="tag">New</p>' in inbox and "With Alice Ashdown" in inbox
    notes = client.get("/members/notifications").get_data(as_text=True)
    assert "Alice Ashdown sent you a message" in notes and "Saturday?" not in notes

    conversation = client.get(f"/members/messages/{thread.id}").get_data(as_text=True)
    assert "Alice Ashdown" in conversation and "Saturday?" in conversation
    assert '<p class="tag">New</p>' not in client.get(INBOX).get_data(as_text=True)
    assert " unread</span>" not in client.get("/members/").get_data(as_text=True)

    replied = client.post(f"/members/messages/{thread.id}", data={"body": "Yes, at ten."})
    assert replied.status_code == 302
    bodies = session.scalars(sa.select(Message.body).order_by(Message.id)).all()
    assert bodies == ["Saturday?", "Yes, at ten."]
    shown = client.get(f"/members/messages/{thread.id}").get_data(as_text=True)
    assert shown.index("Saturday?") < shown.index("Yes, at ten.")  # oldest first
    assert "Your reply was sent." in shown


def test_errors_are_shown_at_the_field_and_typed_text_is_kept(client, session):
    _, _, bob, _ = people(session)
    sign_in(client, "alice@example.org")
    page = client.post(NEW, data={"recipient": "", "subject": "", "body": "Kept text"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Type the name of the person you want to write to, and choose them." in html
    assert 'id="subject-error"' in html and "Write a subject." in html
    assert "Kept text</textarea>" in html
    assert 'aria-describedby="subject-hint subject-error"' in html

    long = client.post(NEW, data={"recipient": bob.id, "subject": "x" * 201, "body": "Hi"})
    assert "at most 200 characters" in long.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(MessageThread)) == 0


def test_a_reply_without_text_is_refused_at_the_field(client, session):
    _, alice, bob, _ = people(session)
    thread = start_thread(session, alice, bob, "Hi", "Hello")
    session.commit()
    sign_in(client, "bob@example.org")
    page = client.post(f"/members/messages/{thread.id}", data={"body": "   "})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="body-error"' in html and "Write a message." in html


def test_someone_elses_thread_is_not_found(client, session):
    _, alice, bob, _ = people(session)
    thread = start_thread(session, alice, bob, "Private", "Just us")
    session.commit()
    sign_in(client, "carol@example.org")
    assert client.get(f"/members/messages/{thread.id}").status_code == 404
    assert client.post(f"/members/messages/{thread.id}", data={"body": "hi"}).status_code == 404
    assert client.get("/members/messages/999999").status_code == 404
    assert "Private" not in client.get(INBOX).get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_a_member_of_another_bank_cannot_be_written_to(client, session):
    people(session)
    stranger = make_member(session, email="zed@example.org", name="Zed Zeta")
    sign_in(client, "alice@example.org")
    assert "Zed Zeta" not in client.get(NEW).get_data(as_text=True)
    assert offered(client, "zed") == []
    page = client.post(NEW, data={"recipient": stranger.id, "subject": "Hi", "body": "Hello"})
    assert "Choose someone from the list." in page.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(MessageThread)) == 0


def test_a_suspended_member_is_not_offered_and_cannot_be_written_to(client, session):
    _, alice, bob, _ = people(session)
    thread = start_thread(session, alice, bob, "Hi", "Hello")
    bob.status = MembershipStatus.SUSPENDED
    session.commit()
    sign_in(client, "alice@example.org")
    assert "Bob Brennan" not in client.get(NEW).get_data(as_text=True)
    assert offered(client, "bob") == []
    page = client.post(NEW, data={"recipient": bob.id, "subject": "Hi", "body": "Hello"})
    assert "Choose someone from the list." in page.get_data(as_text=True)
    refused = client.post(f"/members/messages/{thread.id}", data={"body": "Still there?"})
    assert "not an active member" in refused.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_replying_to_an_offer_fills_in_the_author_and_subject(client, session):
    bank, _, bob, _ = people(session)
    listing = Listing(time_bank_id=bank.id, membership_id=bob.id, kind="offer", title="Bread")
    session.add(listing)
    session.commit()
    sign_in(client, "alice@example.org")
    page = client.get(f"{NEW}?listing_id={listing.id}").get_data(as_text=True)
    assert holds(page, bob.id, "Bob Brennan")
    assert 'value="About: Bread"' in page
    client.post(
        NEW,
        data={
            "recipient": bob.id,
            "subject": "About: Bread",
            "body": "Is there any left?",
            "listing_id": listing.id,
        },
    )
    thread = session.scalar(sa.select(MessageThread))
    assert thread.listing_id == listing.id and thread.subject == "About: Bread"
    assert client.get(f"{NEW}?listing_id=999999").status_code == 404


def test_a_second_reply_to_the_same_offer_continues_the_conversation(client, session):
    bank, _, bob, _ = people(session)
    listing = Listing(time_bank_id=bank.id, membership_id=bob.id, kind="offer", title="Bread")
    session.add(listing)
    session.commit()
    sign_in(client, "alice@example.org")
    message = {"recipient": bob.id, "subject": "About: Bread", "listing_id": listing.id}
    client.post(NEW, data={**message, "body": "Is there any left?"})
    # The same form sent again (a double submit, or a second thought) adds to it.
    client.post(NEW, data={**message, "body": "Or tomorrow?"})
    threads = session.scalars(sa.select(MessageThread)).all()
    assert len(threads) == 1
    bodies = session.scalars(sa.select(Message.body).order_by(Message.id)).all()
    assert bodies == ["Is there any left?", "Or tomorrow?"]
    # Replying to the offer again opens the conversation they already have.
    again = client.get(f"{NEW}?listing_id={listing.id}")
    assert again.status_code == 302
    assert again.headers["Location"].endswith(f"/members/messages/{threads[0].id}")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "You already have a conversation about this." in page


def test_an_offer_from_another_bank_is_not_found(client, session):
    people(session)
    other = make_member(session, email="zed@example.org")
    listing = Listing(
        time_bank_id=other.time_bank_id, membership_id=other.id, kind="offer", title="X"
    )
    session.add(listing)
    session.commit()
    sign_in(client, "alice@example.org")
    assert client.get(f"{NEW}?listing_id={listing.id}").status_code == 404


def test_the_notification_has_the_new_message_kind(client, session):
    _, _, bob, _ = people(session)
    sign_in(client, "alice@example.org")
    client.post(NEW, data={"recipient": bob.id, "subject": "Hi", "body": "Secret plans"})
    [note] = session.scalars(sa.select(Notification)).all()
    assert note.membership_id == bob.id and note.kind == "new_message"
    assert "Secret plans" not in note.message


def test_the_forms_refuse_a_post_without_the_csrf_token(csrf_app):  # noqa: F811
    with csrf_app.app_context():
        _, alice, bob, _ = people(db.session)
        thread = start_thread(db.session, alice, bob, "Hi", "Hello")
        db.session.commit()
        bob_id, thread_id = bob.id, thread.id
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/sign-in").get_data(as_text=True))
    client.post(
        "/auth/sign-in",
        data={
            "email": "alice@example.org",
            "password": "a long enough test password",
            "csrf_token": token,
        },
    )
    data = {"recipient": bob_id, "subject": "No token", "body": "Hello"}
    refused = client.post(NEW, data=data)
    assert refused.status_code in (200, 400)
    no_reply = client.post(f"/members/messages/{thread_id}", data={"body": "No token"})
    assert no_reply.status_code in (200, 400)
    page = client.get(NEW).get_data(as_text=True)
    accepted = client.post(NEW, data={**data, "csrf_token": csrf_token_from(page)})
    assert accepted.status_code == 302
    with csrf_app.app_context():
        bodies = db.session.scalars(sa.select(Message.body)).all()
        subjects = db.session.scalars(sa.select(MessageThread.subject)).all()
    assert sorted(subjects) == ["Hi", "No token"]
    assert "No token" not in bodies


def test_a_conversation_read_before_is_shown_without_a_write(client, session):
    """Opening a conversation marks it read; opening it again when nothing is new takes
    no write transaction (on SQLite, no BEGIN IMMEDIATE: a page view does not queue
    behind writers) and writes nothing."""
    from tests.web.test_member_dashboard import counting_queries

    _, alice, bob, _ = people(session)
    thread_id = start_thread(session, alice, bob, subject="Garden", body="Saturday?").id
    session.commit()
    sign_in(client, "bob@example.org")

    def opened() -> list[str]:
        db.session.commit()
        with counting_queries() as statements:
            page = client.get(f"/members/messages/{thread_id}").get_data(as_text=True)
        assert "Saturday?" in page
        return [
            s.split()[0].upper() + (" " + s.split()[1] if len(s.split()) > 1 else "")
            for s in statements
        ]

    first = opened()
    assert any(s.startswith("UPDATE") for s in first)  # marked read
    assert '<p class="tag">New</p>' not in client.get(INBOX).get_data(as_text=True)
    again = opened()
    assert not any(s.startswith(("UPDATE", "INSERT", "BEGIN IMMEDIATE")) for s in again), again
