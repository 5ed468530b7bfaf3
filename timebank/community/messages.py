"""Messages between members: simple two-person threads inside one time bank.

A thread is unread for a participant while its last message (``updated_at``) is newer
than their ``last_read_at``; sending a message counts as reading the thread. Services
flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from timebank.community.models import Listing, Message, MessageThread, ThreadParticipant
from timebank.community.notifications import notify
from timebank.ledger.clock import utcnow
from timebank.ledger.errors import LedgerError, NotAllowedError, NotFoundError
from timebank.ledger.models import MEMBER_ROLES, Membership, MembershipStatus, Person

SUBJECT_MAX = 200
BODY_MAX = 5000
KIND = "new_message"
# The reader's and the other person's participation: made once (a new alias on every
# call costs SQLAlchemy about as much as running the query; the unread count is on
# every page).
MINE = aliased(ThreadParticipant, name="mine")
OTHER = aliased(ThreadParticipant, name="other")


class MessageError(LedgerError):
    code = "invalid_message"


@dataclass(frozen=True)
class ThreadSummary:
    thread_id: int
    subject: str
    other_name: str
    other_membership_id: int
    last_message_at: datetime
    unread: bool


@dataclass(frozen=True)
class ShownMessage:
    id: int
    sender_id: int
    sender_name: str
    body: str
    created_at: datetime


# Checks -------------------------------------------------------------------------------


def _clean(text: str | None, *, field: str, limit: int, what: str) -> str:
    """``what`` is "subject" or "message": each has its own whole sentences, so that
    they can be translated."""
    text = (text or "").strip()
    if not text:
        if what == "subject":
            raise MessageError("Write a subject.", field=field)
        raise MessageError("Write a message.", field=field)
    if len(text) > limit:
        if what == "subject":
            raise MessageError(
                "The subject can be at most %(most)s characters long (it is %(length)s).",
                field=field,
                most=limit,
                length=len(text),
            )
        raise MessageError(
            "The message can be at most %(most)s characters long (it is %(length)s).",
            field=field,
            most=limit,
            length=len(text),
        )
    return text


def _require_active_sender(actor: Membership) -> None:
    if actor.status != MembershipStatus.ACTIVE or actor.is_partner:
        raise NotAllowedError("Only active members can send messages.")


def _check_recipient(actor: Membership, recipient: Membership | None) -> Membership:
    # A partner is not one of the members: nobody can write to them here.
    if recipient is None or recipient.time_bank_id != actor.time_bank_id or recipient.is_partner:
        raise MessageError("Choose a member of your time bank.", field="recipient")
    if recipient.id == actor.id:
        raise MessageError("You cannot send a message to yourself.", field="recipient")
    if recipient.status != MembershipStatus.ACTIVE:
        raise MessageError(
            "This person is not an active member now, so they cannot get messages.",
            field="recipient",
        )
    return recipient


def _sender_name(session: Session, membership: Membership) -> str:
    person = session.get(Person, membership.person_id)
    if person is None:
        raise NotFoundError("That member does not exist.")
    return person.display_name


def _post(session: Session, thread: MessageThread, sender: Membership, body: str) -> Message:
    now = utcnow()
    message = Message(thread_id=thread.id, sender_id=sender.id, body=body, created_at=now)
    session.add(message)
    thread.updated_at = now
    session.execute(
        sa.update(ThreadParticipant)
        .where(
            ThreadParticipant.thread_id == thread.id,
            ThreadParticipant.membership_id == sender.id,
        )
        .values(last_read_at=now)
    )
    session.flush()
    return message


def _notify_others(session: Session, thread: MessageThread, sender: Membership) -> None:
    name = _sender_name(session, sender)
    others = session.scalars(
        sa.select(Membership)
        .join(ThreadParticipant, ThreadParticipant.membership_id == Membership.id)
        .where(ThreadParticipant.thread_id == thread.id, Membership.id != sender.id)
    ).all()
    for other in others:
        notify(
            session,
            recipient=other,
            kind=KIND,
            message=f"{name} sent you a message. Open Messages to read it.",
            details={"sender": name},
        )


# Services -----------------------------------------------------------------------------


def find_listing_thread(
    session: Session, one: Membership, other: Membership, listing: Listing
) -> MessageThread | None:
    """The conversation ``one`` and ``other`` already have about ``listing``, if any."""
    me = aliased(ThreadParticipant)
    them = aliased(ThreadParticipant)
    return session.scalar(
        sa.select(MessageThread)
        .join(me, (me.thread_id == MessageThread.id) & (me.membership_id == one.id))
        .join(them, (them.thread_id == MessageThread.id) & (them.membership_id == other.id))
        .where(
            MessageThread.time_bank_id == one.time_bank_id,
            MessageThread.listing_id == listing.id,
        )
        .order_by(MessageThread.id)
        .limit(1)
    )


def start_thread(
    session: Session,
    actor: Membership,
    recipient_membership: Membership | None,
    subject: str,
    body: str,
    listing: Listing | None = None,
) -> MessageThread:
    """A new conversation between ``actor`` and another active member of the same bank,
    with its first message. The recipient is told (without the message text)."""
    _require_active_sender(actor)
    recipient = _check_recipient(actor, recipient_membership)
    subject = _clean(subject, field="subject", limit=SUBJECT_MAX, what="subject")
    body = _clean(body, field="body", limit=BODY_MAX, what="message")
    if listing is not None and listing.time_bank_id != actor.time_bank_id:
        raise NotFoundError("That offer or request does not exist.")
    if listing is not None:
        # One conversation per offer or request between two people: a second message
        # about it (or a double submit) goes into the conversation they already have.
        existing = find_listing_thread(session, actor, recipient, listing)
        if existing is not None:
            _post(session, existing, actor, body)
            _notify_others(session, existing, actor)
            return existing
    thread = MessageThread(
        time_bank_id=actor.time_bank_id,
        listing_id=listing.id if listing is not None else None,
        subject=subject,
    )
    session.add(thread)
    session.flush()
    session.add_all(
        [
            ThreadParticipant(thread_id=thread.id, membership_id=actor.id),
            ThreadParticipant(thread_id=thread.id, membership_id=recipient.id),
        ]
    )
    session.flush()
    _post(session, thread, actor, body)
    _notify_others(session, thread, actor)
    return thread


def _participation(session: Session, actor: Membership, thread_id: int):
    """The thread and the actor's place in it; NotFoundError when they are not in it
    (someone else's conversation looks like one that does not exist)."""
    row = session.execute(
        sa.select(MessageThread, ThreadParticipant)
        .join(ThreadParticipant, ThreadParticipant.thread_id == MessageThread.id)
        .where(MessageThread.id == thread_id, ThreadParticipant.membership_id == actor.id)
    ).first()
    if row is None:
        raise NotFoundError("That conversation does not exist.")
    return row[0], row[1]


def reply(session: Session, actor: Membership, thread_id: int, body: str) -> Message:
    """Add a message to a thread the actor is in; the other person is told."""
    thread, _ = _participation(session, actor, thread_id)
    _require_active_sender(actor)
    body = _clean(body, field="body", limit=BODY_MAX, what="message")
    inactive = session.scalar(
        sa.select(sa.func.count())
        .select_from(ThreadParticipant)
        .join(Membership, Membership.id == ThreadParticipant.membership_id)
        .where(
            ThreadParticipant.thread_id == thread.id,
            Membership.id != actor.id,
            sa.or_(
                Membership.status != MembershipStatus.ACTIVE,
                Membership.role.not_in(MEMBER_ROLES),
            ),
        )
    )
    if inactive:
        raise MessageError(
            "This person is not an active member now, so they cannot get messages.",
            field="body",
        )
    message = _post(session, thread, actor, body)
    _notify_others(session, thread, actor)
    return message


def mark_read(session: Session, actor: Membership, thread_id: int) -> None:
    """Everything in the thread so far counts as read by ``actor``."""
    thread, participant = _participation(session, actor, thread_id)
    _read_up_to(session, participant, thread.updated_at)


def _read_up_to(session: Session, participant: ThreadParticipant, moment: datetime) -> None:
    # Up to the last message known when the thread was loaded, never back in time: a
    # reply that arrives while the page is being built stays unread.
    if participant.last_read_at is None or participant.last_read_at < moment:
        participant.last_read_at = moment
        session.flush()


def open_thread(session: Session, actor: Membership, thread_id: int):
    """``get_thread`` for reading it: what is shown is marked read."""
    found, unread_up_to = read_thread(session, actor, thread_id)
    if unread_up_to is not None:
        mark_read_up_to(session, actor, thread_id, unread_up_to)
    return found


def read_thread(session: Session, actor: Membership, thread_id: int):
    """``get_thread``, and the moment its reader has read it up to once shown: None when
    nothing in it is new to them (a page can then show it without writing)."""
    thread, participant = _participation(session, actor, thread_id)
    seen = thread.updated_at
    found = get_thread(session, actor, thread_id)
    unread = participant.last_read_at is None or participant.last_read_at < seen
    return found, (seen if unread else None)


def mark_read_up_to(session: Session, actor: Membership, thread_id: int, moment: datetime):
    """The thread counts as read by ``actor`` up to ``moment`` (what they were shown)."""
    _, participant = _participation(session, actor, thread_id)
    _read_up_to(session, participant, moment)


def get_thread(session: Session, actor: Membership, thread_id: int):
    """(thread, other person's name, messages oldest first) for a participant."""
    thread, _ = _participation(session, actor, thread_id)
    rows = session.execute(
        sa.select(Message, Person.display_name)
        .join(Membership, Membership.id == Message.sender_id)
        .join(Person, Person.id == Membership.person_id)
        .where(Message.thread_id == thread.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    messages = [ShownMessage(m.id, m.sender_id, name, m.body, m.created_at) for m, name in rows]
    other_name = session.scalar(
        sa.select(Person.display_name)
        .join(Membership, Membership.person_id == Person.id)
        .join(ThreadParticipant, ThreadParticipant.membership_id == Membership.id)
        .where(ThreadParticipant.thread_id == thread.id, Membership.id != actor.id)
    )
    return thread, other_name or "a former member", messages


def _unread_condition(mine):
    return sa.or_(mine.last_read_at.is_(None), MessageThread.updated_at > mine.last_read_at)


def list_threads(session: Session, membership: Membership) -> list[ThreadSummary]:
    """My threads, newest activity first, in one query."""
    mine, other = MINE, OTHER
    rows = session.execute(
        sa.select(
            MessageThread.id,
            MessageThread.subject,
            MessageThread.updated_at,
            Person.display_name,
            other.membership_id,
            _unread_condition(mine).label("unread"),
        )
        .join(
            mine,
            sa.and_(mine.thread_id == MessageThread.id, mine.membership_id == membership.id),
        )
        .join(
            other,
            sa.and_(other.thread_id == MessageThread.id, other.membership_id != membership.id),
        )
        .join(Membership, Membership.id == other.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .order_by(MessageThread.updated_at.desc(), MessageThread.id.desc())
    ).all()
    return [
        ThreadSummary(
            thread_id=r.id,
            subject=r.subject,
            other_name=r.display_name,
            other_membership_id=r.membership_id,
            last_message_at=r.updated_at,
            unread=bool(r.unread),
        )
        for r in rows
    ]


# How many of a membership's threads have a message it has not read (parameter
# "unread_threads_membership_id"): built once, as every page's navigation shows it.
UNREAD_THREADS_COUNT = (
    sa.select(sa.func.count())
    .select_from(MessageThread)
    .join(MINE, MINE.thread_id == MessageThread.id)
    .where(
        MINE.membership_id == sa.bindparam("unread_threads_membership_id", type_=sa.Integer),
        _unread_condition(MINE),
    )
)


def count_unread_threads(session: Session, membership: Membership) -> int:
    """How many of my threads have a message I have not read (one query)."""
    parameters = {"unread_threads_membership_id": membership.id}
    return session.scalar(UNREAD_THREADS_COUNT, parameters) or 0
