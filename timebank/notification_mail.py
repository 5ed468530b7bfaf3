"""Email a notification to a member who asked for it (``Membership.email_notifications``),
and always the decisions about someone's own membership (``ALWAYS_EMAILED``).

The ledger writes notifications and stays free of Flask; this module watches the
Flask-SQLAlchemy session instead. When a flush writes a ``Notification`` for a member
who wants emails, what the email needs is read at once (their address, name, language
and time bank) and kept with the transaction. Only when the outermost transaction
commits are the emails sent; a rollback forgets them, so a failed request sends nothing
and a transaction that ``run_in_transaction`` runs again sends once. A savepoint that
rolls back forgets what was written inside it.

With Redis (``REDIS_URL``) each email is a job instead (``timebank.jobs.tasks.
send_notification_email``): the queue holds only the notification's id, the worker reads
the rest afresh (``mail_for``), retries a refused email and never sends one twice.
Without Redis, or when Redis cannot be reached, the email is sent at once, as before.

The email is in the recipient's language, says what happened (never what a message
says, only who sent it), links to the News page and ends with how to stop these emails
(an email about the person's membership instead links to their application, if that is
what it is about, and says why it came).
A failure to send is logged without personal data and never breaks the request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from timebank.community.messages import KIND as MESSAGE_KIND
from timebank.community.models import Notification
from timebank.community.notifications import Kind
from timebank.extensions import db
from timebank.i18n import DEFAULT_LOCALE, LANGUAGES
from timebank.ledger.models import Membership, Person, TimeBank
from timebank.links import external_url
from timebank.mail import send_email
from timebank.notification_text import describe

log = logging.getLogger(__name__)

# session.info key: [(transaction the notification was flushed in, NotificationMail)].
PENDING = "timebank_notification_mail"
# Decisions about someone's membership reach them by email whatever they chose: the
# apply page promises word of the application, and a declined or suspended person cannot
# sign in to that time bank to read its News.
ALWAYS_EMAILED = frozenset({Kind.APPLICATION, Kind.MEMBERSHIP})


@dataclass(frozen=True)
class NotificationMail:
    """Everything an email needs, read while the transaction was still open (after a
    commit the session can run no SQL until the next transaction)."""

    notification_id: int
    kind: str
    details: dict | None
    message: str
    to: str
    name: str
    locale: str
    bank: str


# Collecting ---------------------------------------------------------------------------


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _recipients(session: Session, membership_ids: set[int]) -> dict[int, Any]:
    """Membership id -> (id, wants emails, email, name, locale, bank name), for active
    people only."""
    rows = session.execute(
        sa.select(
            Membership.id,
            Membership.email_notifications,
            Person.email,
            Person.display_name,
            Person.preferred_locale,
            TimeBank.name,
        )
        .join(Person, Person.id == Membership.person_id)
        .join(TimeBank, TimeBank.id == Membership.time_bank_id)
        .where(Membership.id.in_(membership_ids), Person.is_active.is_(True))
    ).all()
    return {row[0]: row for row in rows}


def _mail(notification: Notification, row: Any) -> NotificationMail | None:
    """The email of ``notification`` to the recipient ``row``, or None when they do not
    want it."""
    _, wants_emails, email, name, locale, bank = row
    if not (wants_emails or notification.kind in ALWAYS_EMAILED):
        return None
    return NotificationMail(
        notification_id=notification.id,
        kind=notification.kind,
        details=dict(notification.details) if notification.details else None,
        message=notification.message,
        to=email,
        name=name,
        locale=locale if locale in LANGUAGES else DEFAULT_LOCALE,
        bank=bank,
    )


def mail_for(session: Session, notification_id: int) -> NotificationMail | None:
    """The email a committed notification calls for, read afresh (the worker's way:
    the queue holds only the notification's id, never an address or a name)."""
    notification = session.get(Notification, notification_id)
    if notification is None:
        return None
    row = _recipients(session, {notification.membership_id}).get(notification.membership_id)
    return _mail(notification, row) if row is not None else None


def _collect(session: Session, flush_context: Any) -> None:
    """After a flush: note the new notifications to email (the recipient wants emails,
    or the notification is one of ``ALWAYS_EMAILED``)."""
    written = [n for n in session.new if isinstance(n, Notification)]
    if not written:
        return
    recipients = _recipients(session, {n.membership_id for n in written})
    if not recipients:
        return
    transaction = _innermost(session)
    pending = session.info.setdefault(PENDING, [])
    for notification in written:
        row = recipients.get(notification.membership_id)
        mail = _mail(notification, row) if row is not None else None
        if mail is not None:
            pending.append((transaction, mail))


def _after_commit(session: Session) -> None:
    pending = session.info.get(PENDING)
    if not pending:
        return
    nested = session.get_nested_transaction()
    if nested is not None:
        # A savepoint was released: its emails now belong to the enclosing transaction.
        parent = nested.parent
        session.info[PENDING] = [(parent if t is nested else t, m) for t, m in pending]
        return
    session.info.pop(PENDING, None)
    for _transaction, mail in pending:
        _dispatch(mail)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        pending = session.info.get(PENDING)
        if pending:
            session.info[PENDING] = [(t, m) for t, m in pending if t is not previous_transaction]
        return
    session.info.pop(PENDING, None)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended (committed, rolled back or closed): nothing waits.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


# Sending ------------------------------------------------------------------------------


def _link(endpoint: str) -> str:
    """An absolute link at the configured origin (never the request's Host)."""
    return external_url(endpoint)


def _subject(mail: NotificationMail) -> str:
    if mail.kind == MESSAGE_KIND and mail.details and mail.details.get("sender"):
        return _("You have a new message from %(name)s", name=mail.details["sender"])
    if mail.kind == Kind.TO_CONFIRM:
        return _("An exchange is waiting for you to confirm it")
    if mail.kind == Kind.APPLICATION:
        return _("Your application to %(bank)s", bank=mail.bank)
    if mail.kind == Kind.MEMBERSHIP:
        return _("Your membership of %(bank)s", bank=mail.bank)
    return _("News from %(bank)s", bank=mail.bank)


def render_mail(mail: NotificationMail) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the email, in the recipient's language.

    Rendered straight from the Jinja environment: the app's context processors ask the
    database about the signed-in user, and the session can run no SQL after a commit.
    """
    with force_locale(mail.locale):
        values = {
            "name": mail.name,
            "bank": mail.bank,
            "text": describe(mail),
            "news_link": _link("members.notifications"),
            "profile_link": _link("members.profile"),
            # Sent whatever the person chose: no "to stop them" footer, and for an
            # application a link to where it stands instead of News.
            "about_membership": mail.kind in ALWAYS_EMAILED,
            "application_link": (
                _link("members.application") if mail.kind == Kind.APPLICATION else None
            ),
            "lang": mail.locale,
        }
        environment = current_app.jinja_env
        text = environment.get_template("email/notification.txt").render(values)
        html = environment.get_template("email/notification.html").render(values)
        return _subject(mail), text, html


def deliver(mail: NotificationMail) -> None:
    """Render and send (raises when the mail server refuses)."""
    subject, text, html = render_mail(mail)
    send_email(mail.to, subject, text, html)


def _dispatch(mail: NotificationMail) -> None:
    """With Redis: a job for the worker, which reads the email afresh from the
    notification's id. Without (or if Redis cannot be reached): sent now."""
    from timebank.jobs import tasks
    from timebank.jobs.queue import enqueue, redis_connection

    if redis_connection() is not None:
        try:
            enqueue(
                tasks.send_notification_email,
                mail.notification_id,
                name=f"email-{mail.notification_id}",
            )
            return
        except Exception as error:
            log.warning(
                "notification email not queued, sending it now (notification %s, %s)",
                mail.notification_id,
                type(error).__name__,
            )
    _send(mail)


def _send(mail: NotificationMail) -> None:
    try:
        deliver(mail)
    except Exception as error:  # an email must never break the request
        # No address, name or text here: the notification's id is enough to look it up.
        log.warning(
            "notification email not sent (notification %s, %s)",
            mail.notification_id,
            type(error).__name__,
        )


# Registration -------------------------------------------------------------------------

_LISTENERS = (
    ("after_flush", _collect),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
    ("after_transaction_end", _after_transaction_end),
)


def init_notification_mail(app: Flask) -> None:
    """Listen to the Flask-SQLAlchemy session (once: ``db`` outlives each app)."""
    for name, listener in _LISTENERS:
        # The scoped session itself, so that every session it makes is heard.
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
