"""The email sent when someone applies with an address that already has an account.

The apply page never tells a visitor that an address has an account: the address's
owner is told, by email, to sign in and apply, or to choose a new password.
"""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from timebank.ledger.models import Person, TimeBank
from timebank.links import external_url
from timebank.mail import send_email


def send_already_registered_email(person: Person, bank: TimeBank) -> None:
    # Imported here: the reset pages' module registers on the blueprint after this one.
    from timebank.auth.reset import email_language

    values = {
        "name": person.display_name,
        "bank": bank.name,
        "apply_link": external_url(
            "auth.sign_in", next=url_for("auth.apply", slug=bank.slug, _external=False)
        ),
        "forgot_link": external_url("auth.forgot"),
    }
    with force_locale(email_language(person)):
        subject = _("Applying to %(bank)s", bank=bank.name)
        text = render_template("email/already_registered.txt", **values)
        html = render_template("email/already_registered.html", **values)
    send_email(person.email, subject, text, html)
