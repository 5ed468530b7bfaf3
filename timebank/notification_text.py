"""A notification in the reader's language.

The ledger stores each notification's ``kind`` with structured ``details`` (minutes, the
other person's name, a date, a reason...) and an English ``message``. ``describe`` says
it again from ``kind`` and ``details`` with translatable sentences, hours and dates in
the reader's locale; rows written before ``details`` existed (or of a kind this module
does not know) show their English ``message``.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Protocol

from flask_babel import gettext as _

from timebank.community.messages import KIND as MESSAGE_KIND
from timebank.community.notifications import Kind
from timebank.filters import hours, long_date
from timebank.quick_gettext import lazy_gettext as _l

log = logging.getLogger(__name__)


class Describable(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def details(self) -> dict | None: ...
    @property
    def message(self) -> str: ...


# What happened to an exchange, by (kind, which way the time went, whether the other
# side is a named member). Whole sentences, so a translation can order the words.
_TRANSFER = {
    (Kind.TO_CONFIRM, "gave", True): _l(
        "The %(time)s you gave to %(name)s on %(date)s is waiting for you to confirm it."
    ),
    (Kind.TO_CONFIRM, "received", True): _l(
        "The %(time)s you received from %(name)s on %(date)s is waiting for you to confirm it."
    ),
    (Kind.APPROVED, "gave", True): _l(
        "The %(time)s you gave to %(name)s on %(date)s was approved."
    ),
    (Kind.APPROVED, "received", True): _l(
        "The %(time)s you received from %(name)s on %(date)s was approved."
    ),
    (Kind.POSTED, "gave", True): _l(
        "The %(time)s you gave to %(name)s on %(date)s is done and counted in your balance."
    ),
    (Kind.POSTED, "received", True): _l(
        "The %(time)s you received from %(name)s on %(date)s is done and counted in your balance."
    ),
    (Kind.REJECTED, "gave", True): _l(
        "The %(time)s you gave to %(name)s on %(date)s was not accepted."
    ),
    (Kind.REJECTED, "received", True): _l(
        "The %(time)s you received from %(name)s on %(date)s was not accepted."
    ),
    (Kind.REVERSED, "gave", True): _l(
        "The %(time)s you gave to %(name)s on %(date)s was reversed."
    ),
    (Kind.REVERSED, "received", True): _l(
        "The %(time)s you received from %(name)s on %(date)s was reversed."
    ),
    (Kind.CORRECTED, "gave", True): _l(
        "The %(time)s you gave to %(name)s on %(date)s was corrected by a coordinator."
    ),
    (Kind.CORRECTED, "received", True): _l(
        "The %(time)s you received from %(name)s on %(date)s was corrected by a coordinator."
    ),
    (Kind.TO_CONFIRM, "gave", False): _l(
        "The %(time)s you gave to the time bank on %(date)s is waiting for you to confirm it."
    ),
    (Kind.TO_CONFIRM, "received", False): _l(
        "The %(time)s you received from the time bank on %(date)s is waiting for you to confirm it."
    ),
    (Kind.APPROVED, "gave", False): _l(
        "The %(time)s you gave to the time bank on %(date)s was approved."
    ),
    (Kind.APPROVED, "received", False): _l(
        "The %(time)s you received from the time bank on %(date)s was approved."
    ),
    (Kind.POSTED, "gave", False): _l(
        "The %(time)s you gave to the time bank on %(date)s is done and counted in your balance."
    ),
    (Kind.POSTED, "received", False): _l(
        "The %(time)s you received from the time bank on %(date)s is done and counted in your"
        " balance."
    ),
    (Kind.REJECTED, "gave", False): _l(
        "The %(time)s you gave to the time bank on %(date)s was not accepted."
    ),
    (Kind.REJECTED, "received", False): _l(
        "The %(time)s you received from the time bank on %(date)s was not accepted."
    ),
    (Kind.REVERSED, "gave", False): _l(
        "The %(time)s you gave to the time bank on %(date)s was reversed."
    ),
    (Kind.REVERSED, "received", False): _l(
        "The %(time)s you received from the time bank on %(date)s was reversed."
    ),
    (Kind.CORRECTED, "gave", False): _l(
        "The %(time)s you gave to the time bank on %(date)s was corrected by a coordinator."
    ),
    (Kind.CORRECTED, "received", False): _l(
        "The %(time)s you received from the time bank on %(date)s was corrected by a coordinator."
    ),
}

# Donations and grants move credits, not time: said as what they were.
_POT_MOVE = {
    (Kind.APPROVED, "donated"): _l(
        "Your donation of %(time)s to the community pot on %(date)s was approved."
    ),
    (Kind.REJECTED, "donated"): _l(
        "Your donation of %(time)s to the community pot on %(date)s was not accepted."
    ),
    (Kind.REVERSED, "donated"): _l(
        "Your donation of %(time)s to the community pot on %(date)s was reversed."
    ),
    (Kind.APPROVED, "granted"): _l(
        "The %(time)s granted to you from the community pot on %(date)s was approved."
    ),
    (Kind.REJECTED, "granted"): _l(
        "The %(time)s granted to you from the community pot on %(date)s was not accepted."
    ),
    (Kind.REVERSED, "granted"): _l(
        "The %(time)s granted to you from the community pot on %(date)s was reversed."
    ),
}

_ROLE = {
    "member": _l("Your role in %(bank)s is now member."),
    "coordinator": _l("Your role in %(bank)s is now coordinator."),
    "partner": _l("Your role in %(bank)s is now partner."),
}


def _with_reason(text: str, details: dict[str, Any]) -> str:
    reason = details.get("reason")
    if reason:
        return text + " " + _("Reason: %(reason)s", reason=reason)
    return text


def _transfer(kind: str, details: dict[str, Any]) -> str | None:
    if "direction" not in details:
        return None
    other = details.get("other")
    template = _POT_MOVE.get((kind, details["direction"])) or _TRANSFER.get(
        (kind, details["direction"], bool(other))
    )
    if template is None:
        return None
    text = str(template) % {
        "time": hours(int(details["minutes"])),
        "name": other or "",
        "date": long_date(date.fromisoformat(details["service_date"])),
    }
    # Approved but not yet done: it still waits for a confirmation; say whose.
    confirmer = details.get("confirmer")
    if kind == Kind.APPROVED and confirmer == "you":
        text += " " + _("It is now waiting for you to confirm it.")
    elif kind == Kind.APPROVED and confirmer == "other" and other:
        text += " " + _("It is now waiting for %(name)s to confirm it.", name=other)
    elif kind == Kind.APPROVED and confirmer == "other":
        text += " " + _("It is now waiting for the other side to confirm it.")
    return _with_reason(text, details)


def _posted_to_pot(details: dict[str, Any]) -> str | None:
    if not details.get("donation"):
        return None
    return _(
        "A coordinator recorded your donation of %(time)s to the community pot. Thank you.",
        time=hours(int(details["minutes"])),
    )


def _grant(details: dict[str, Any]) -> str:
    text = _("You received %(time)s from the community pot.", time=hours(int(details["minutes"])))
    return _with_reason(text, details)


def _application(details: dict[str, Any]) -> str | None:
    bank = details["bank"]
    if details.get("outcome") == "approved":
        return _("Welcome to %(bank)s: your application was approved.", bank=bank)
    if details.get("outcome") == "received":
        return _(
            "We have your application to join %(bank)s. A coordinator will look at it and we"
            " will email you their decision.",
            bank=bank,
        )
    if details.get("outcome") == "declined":
        text = _("Your application to join %(bank)s was not accepted.", bank=bank)
        return _with_reason(text, details)
    return None


def _membership(details: dict[str, Any]) -> str | None:
    bank = details["bank"]
    outcome = details.get("outcome")
    if outcome == "role":
        template = _ROLE.get(details.get("role", ""))
        return str(template) % {"bank": bank} if template is not None else None
    if outcome == "suspended":
        text = _("Your membership of %(bank)s is suspended.", bank=bank)
        return _with_reason(text, details)
    if outcome == "reactivated":
        return _("Your membership of %(bank)s is active again.", bank=bank)
    return None


def _render(kind: str, details: dict[str, Any]) -> str | None:
    if kind == MESSAGE_KIND:
        return _("%(name)s sent you a message. Open Messages to read it.", name=details["sender"])
    if kind == Kind.GRANT:
        return _grant(details)
    if kind == Kind.APPLICATION:
        return _application(details)
    if kind == Kind.MEMBERSHIP:
        return _membership(details)
    if kind == Kind.POSTED and details.get("donation"):
        return _posted_to_pot(details)
    return _transfer(kind, details)


def describe(notification: Describable) -> str:
    """What the notification says, in the current locale (``force_locale`` for email).
    Plain text: templates escape it."""
    details = notification.details
    if not isinstance(details, dict):
        return notification.message
    try:
        text = _render(notification.kind, details)
    except (KeyError, TypeError, ValueError):
        # Details of an unexpected shape: the stored English sentence still says it.
        log.warning("notification details of kind %s could not be read", notification.kind)
        text = None
    return text if text is not None else notification.message
