"""Invitation emails for people a members import found already had an account.

The import (``timebank.importing``) never enrols such a person: it makes an invitation
and keeps its token in memory. Once the import is committed, this sends each person
their link, in their own language. The token is never logged or stored.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from timebank.community.invitations import hash_token
from timebank.community.models import Invitation
from timebank.extensions import db
from timebank.i18n import DEFAULT_LOCALE, LANGUAGES
from timebank.importing.writer import ImportInvitation
from timebank.ledger.models import Person, TimeBank
from timebank.links import external_url
from timebank.mail import send_email

log = logging.getLogger(__name__)


def invitation_email(person: Person, bank: TimeBank, link: str) -> tuple[str, str, str]:
    """Subject, text and HTML, in the recipient's language."""
    values = {"name": person.display_name, "bank": bank.name, "link": link, "lang": None}
    # Sent from a background import: no page language, only the person's own choice.
    language = person.preferred_locale if person.preferred_locale in LANGUAGES else DEFAULT_LOCALE
    values["lang"] = language
    # Straight from the Jinja environment: the app's context processors need a request.
    environment = current_app.jinja_env
    with force_locale(language):
        subject = _("You are invited to join %(bank)s", bank=bank.name)
        text = environment.get_template("email/invitation.txt").render(values)
        html = environment.get_template("email/invitation.html").render(values)
    return subject, text, html


def send_import_invitations(invitations: list[ImportInvitation]) -> int:
    """Email each invited person their link; the number sent. A failure to send one is
    logged (without the address) and the others still go."""
    sent = 0
    for item in invitations:
        person = db.session.get(Person, item.person_id)
        invitation = db.session.scalar(
            sa.select(Invitation).where(Invitation.token_hash == hash_token(item.token))
        )
        if person is None or invitation is None:
            continue
        bank = db.session.get(TimeBank, invitation.time_bank_id)
        if bank is None:
            continue
        link = external_url("auth.join", token=item.token)
        try:
            send_email(person.email, *invitation_email(person, bank, link))
        except Exception:
            log.exception("an invitation email (invitation %s) could not be sent", invitation.id)
            continue
        sent += 1
    return sent
