"""The two emails a signed-out application sends, one of which goes to every address
typed into the apply form:

- to an address with an account: sign in and apply, or choose a new password;
- to an address without one: a link to confirm the application (nothing is created
  until it is opened and confirmed; timebank/community/pending_applications.py).

The apply page never tells a visitor which of the two was sent.
"""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from timebank.community.pending_applications import VALID_HOURS, PendingApplication
from timebank.i18n import LANGUAGES, current_language
from timebank.ledger.models import Person, TimeBank
from timebank.links import external_url
from timebank.mail import send_email


def send_already_registered_email(
    person: Person, bank: TimeBank, *, demo_reader: str | None = None
) -> None:
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
    send_email(person.email, subject, text, html, demo_reader=demo_reader)


def send_confirm_application_email(
    pending: PendingApplication, bank: TimeBank, token: str, *, demo_reader: str | None = None
) -> None:
    """The link that turns the waiting application into an account and an application,
    in the language the person applied in."""
    values = {
        "name": pending.display_name,
        "bank": bank.name,
        "link": external_url("auth.apply_confirm", token=token),
        "hours": VALID_HOURS,
        "apply_link": external_url("auth.apply", slug=bank.slug),
    }
    language = pending.locale if pending.locale in LANGUAGES else current_language()
    with force_locale(language):
        subject = _("Confirm your application to %(bank)s", bank=bank.name)
        text = render_template("email/confirm_application.txt", **values)
        html = render_template("email/confirm_application.html", **values)
    send_email(pending.email, subject, text, html, demo_reader=demo_reader)
