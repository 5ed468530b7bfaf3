"""Short emails about a person's own account: their sessions ended by a coordinator,
a link to confirm a new email address, the old address told of the change, and an
address that already has an account. Each in the recipient's language; links come
from the configured origin (timebank.links), never from the request."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from timebank.ledger.models import Person
from timebank.mail import send_email


def _send(to: str, person: Person, subject, paragraphs, link: str | None = None, link_text=None):
    # Imported here: the reset pages' module registers on the blueprint after this one.
    from timebank.auth.reset import email_language

    with force_locale(email_language(person)):
        values = {
            "name": person.display_name,
            "paragraphs": [str(p()) for p in paragraphs],
            "link": link,
            "link_text": str(link_text()) if link_text else None,
        }
        text = render_template("email/account_notice.txt", **values)
        html = render_template("email/account_notice.html", **values)
        subject_text = str(subject())
    send_email(to, subject_text, text, html)


def send_sessions_ended(person: Person, bank_name: str) -> None:
    _send(
        person.email,
        person,
        lambda: _("You were signed out of your time bank account"),
        [
            lambda: _(
                "A coordinator of %(bank)s signed you out of your time bank account on"
                " every device.",
                bank=bank_name,
            ),
            lambda: _(
                "You can sign in again as usual. If you did not expect this, talk to the"
                " coordinators of %(bank)s.",
                bank=bank_name,
            ),
        ],
    )


def send_email_change_link(person: Person, new_address: str, link: str, minutes: int) -> None:
    _send(
        new_address,
        person,
        lambda: _("Confirm your new email address"),
        [
            lambda: _(
                "Someone (we hope you) asked to use this address to sign in to a time bank account."
            ),
            lambda: _(
                "To use it, open the link below. It works once, for %(num)d minutes;"
                " until then nothing changes.",
                num=minutes,
            ),
            lambda: _("If you did not ask for this, you do not need to do anything."),
        ],
        link=link,
        link_text=lambda: _("Use this email address"),
    )


def send_address_already_used(person: Person, new_address: str) -> None:
    """To an address that has an account already: nothing changed, and why."""
    _send(
        new_address,
        person,
        lambda: _("This email address already has a time bank account"),
        [
            lambda: _(
                "Someone asked to move another time bank account to this address. This"
                " address already has an account of its own, so nothing was changed."
            ),
            lambda: _(
                "If that was you, sign in with this address instead, or choose another"
                " address for the other account. If not, you do not need to do anything."
            ),
        ],
    )


def send_email_changed(person: Person, old_address: str) -> None:
    """To the old address, once the new one is in use."""
    _send(
        old_address,
        person,
        lambda: _("Your time bank email address was changed"),
        [
            lambda: _(
                "The email address of your time bank account was changed: this address"
                " no longer signs in to it."
            ),
            lambda: _(
                "If you did not do this, talk to a coordinator of your time bank straight away."
            ),
        ],
    )
