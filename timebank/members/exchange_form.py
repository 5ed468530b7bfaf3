"""The log-an-exchange form: its choices (people, categories, hours, the listing it
answers), reading what the member entered into the ledger's terms, and recording or
rehearsing it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Protocol

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from timebank.amounts import minutes_from_parts
from timebank.community.listing_exchanges import (
    check_answer,
    record_answering,
)
from timebank.community.models import Listing
from timebank.extensions import db
from timebank.i18n import ledger_message
from timebank.ids import parse_id
from timebank.ledger import rules
from timebank.ledger.clock import today_in
from timebank.ledger.database import read_rows
from timebank.ledger.errors import LedgerError
from timebank.ledger.models import (
    Account,
    Category,
    Membership,
    Person,
    TimeBank,
    Transfer,
    TransferStatus,
)
from timebank.members.forms import LogExchangeForm
from timebank.person_choice import choose, preset
from timebank.reports.people_search import Among, exchange_among

# The ledger's field names -> this form's (the amount error sits by the hours).
REMAP = {
    "minutes": "hours",
    "service_date": "service_date",
    "counterpart": "counterpart_name",
    "category": "category",
    "description": "description",
    "listing": "listing",
}


CARRIED = (
    "direction",
    "counterpart",
    "counterpart_name",
    "hours",
    "minutes",
    "service_date",
    "listing",
    "category",
    "description",
    "idempotency_key",
)


def own_membership() -> Membership:
    membership = current_user.current_membership()
    if membership is None or membership.account is None:
        abort(redirect(url_for("members.dashboard")))
    return membership


def own_account(membership: Membership) -> Account:
    """The member's own account (``own_membership`` made sure there is one)."""
    if membership.account is None:
        abort(redirect(url_for("members.dashboard")))
    return membership.account


def hour_choices(bank: TimeBank, top_minutes: int | None = None) -> list[SelectChoice]:
    top = max((top_minutes or bank.max_minutes_per_transfer) // 60, 1)
    return [SelectChoice(str(h), _("%(hours)s h", hours=h)) for h in range(0, top + 1)]


def minute_choices(bank: TimeBank) -> list[SelectChoice]:
    step = bank.minute_step or 15
    return [SelectChoice(str(m), _("%(minutes)s min", minutes=m)) for m in range(0, 60, step)]


def label_of(field) -> str | None:
    """The label of the choice a select field holds, or None if it holds none of them."""
    for choice in field.choices or ():
        if choice.value == field.data:
            return choice.label
    return None


def minutes_of(form) -> int | None:
    minutes = minutes_from_parts(form.hours.data, form.minutes.data)
    if minutes is None:
        form.hours.errors = [*form.hours.errors, _("Choose the hours and minutes from the lists.")]
    return minutes


CATEGORY_CHOICES = (
    sa.select(Category.slug, Category.name)
    .where(Category.time_bank_id == sa.bindparam("bank_id"), Category.active.is_(True))
    .order_by(Category.name)
)


def category_choices(bank_id: int) -> list[SelectChoice]:
    rows = read_rows(db.session(), CATEGORY_CHOICES, {"bank_id": bank_id})
    return [SelectChoice("", _("Not sure, or none of these"))] + [
        SelectChoice(row.slug, row.name) for row in rows
    ]


def listing_id_of(value: object) -> int | None:
    """The listing chosen in the form: None for none, 0 for something unreadable or out
    of range (the ledger then finds no such listing and says so)."""
    if value in (None, ""):
        return None
    return parse_id(value) or 0  # ASCII digits only: int() would read "١٢" as 12


class ListingFacts(Protocol):
    """What ``may_see`` reads of a listing (a ``Listing``, or a row of these columns)."""

    @property
    def membership_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def expires_on(self) -> date | None: ...


def may_see(listing: ListingFacts, membership: Membership) -> bool:
    """Whether this member may open the listing's page (as ``listing_show`` decides)."""
    if listing.membership_id == membership.id or membership.is_coordinator:
        return True
    today = today_in(membership.time_bank.timezone)
    return listing.status == "active" and not (
        listing.expires_on is not None and listing.expires_on < today
    )


# My own active and paused listings, and the one the page was opened from (``also``;
# NULL matches none), with their authors' names.
LISTING_CHOICES = (
    sa.select(
        Listing.id,
        Listing.membership_id,
        Listing.kind,
        Listing.title,
        Listing.status,
        Listing.expires_on,
        Person.display_name.label("author"),
    )
    .join(Membership, Membership.id == Listing.membership_id)
    .join(Person, Person.id == Membership.person_id)
    .where(
        Listing.time_bank_id == sa.bindparam("bank_id"),
        sa.or_(
            sa.and_(
                Listing.membership_id == sa.bindparam("membership_id"),
                Listing.status.in_(("active", "paused")),
            ),
            Listing.id == sa.bindparam("also"),
        ),
    )
    .order_by(Listing.kind, Listing.title, Listing.id)
)


def listing_choices(membership: Membership, also: int | None = None) -> list[SelectChoice]:
    """My own active and paused offers and requests, and the listing ``also`` (the one
    the page was opened from) if I may see it: one query."""
    rows = read_rows(
        db.session(),
        LISTING_CHOICES,
        {"bank_id": membership.time_bank_id, "membership_id": membership.id, "also": also},
    )
    choices: list[SelectChoice] = []
    for listing in rows:
        if listing.membership_id == membership.id:
            if listing.kind == "offer":
                label = _("Your offer: %(title)s", title=listing.title)
            else:
                label = _("Your request: %(title)s", title=listing.title)
        elif not may_see(listing, membership):
            continue
        elif listing.kind == "offer":
            label = _("Offer by %(name)s: %(title)s", name=listing.author, title=listing.title)
        else:
            label = _("Request by %(name)s: %(title)s", name=listing.author, title=listing.title)
        # The listing the page was opened from comes first.
        choices.insert(
            0 if listing.id == also else len(choices), SelectChoice(str(listing.id), label)
        )
    return [SelectChoice("", _("Nothing in particular")), *choices]


def _from_listing(form, membership: Membership) -> int | None:
    """On a page opened from a listing (``?listing=<id>``), choose that listing and, if
    it is someone else's, its author as the other person."""
    wanted = listing_id_of(request.args.get("listing"))
    listing = db.session.get(Listing, wanted) if wanted else None
    if (
        listing is None
        or listing.time_bank_id != membership.time_bank_id
        or not may_see(listing, membership)
    ):
        return None
    form.listing.data = str(listing.id)
    # Answering a request means giving time; an offer, receiving it. My own listing
    # reads the other way round: my offer is time I gave, my request time I received.
    mine = listing.membership_id == membership.id
    gave = (listing.kind == "request") != mine
    form.direction.data = "gave" if gave else "received"
    if listing.category_id is not None:
        slug = db.session.scalar(sa.select(Category.slug).where(Category.id == listing.category_id))
        if any(choice.value == slug for choice in form.category.choices):
            form.category.data = slug
    if not mine:
        author = db.session.scalar(
            sa.select(Account.id).where(Account.membership_id == listing.membership_id)
        )
        preset(
            form.counterpart,
            form.counterpart_name,
            membership.time_bank_id,
            among(membership),
            author,
        )
    return listing.id


def log_form(membership: Membership) -> LogExchangeForm:
    bank = membership.time_bank
    form = LogExchangeForm()
    form.hours.choices = hour_choices(bank)
    form.minutes.choices = minute_choices(bank)
    form.category.choices = category_choices(bank.id)
    if request.method == "GET":
        form.service_date.data = today_in(bank.timezone)
        also = _from_listing(form, membership)
    else:
        also = listing_id_of(form.listing.data)
    form.listing.choices = listing_choices(membership, also)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    return form


def among(membership: Membership) -> Among:
    """Whom an exchange can be with (what the search box offers, too)."""
    return exchange_among(membership)


def _counterpart(form, membership: Membership) -> Account | None:
    chosen = choose(
        form.counterpart,
        form.counterpart_name,
        membership.time_bank_id,
        among(membership),
        missing=_("Type the name of the person you exchanged time with, and choose them."),
    )
    form.counterpart.chosen = chosen
    if chosen.id is None:
        return None
    return db.session.get(Account, chosen.id)


def put_error(form, error: LedgerError, own_account_id: int | None = None) -> None:
    message = ledger_message(error, own_account_id=own_account_id)
    name = REMAP.get(error.field or "", error.field)
    if name and name in form._fields:
        form._fields[name].errors = [*form._fields[name].errors, message]
    else:
        form.form_errors.append(message)


def read_entry(form, membership: Membership):
    """(giver, receiver, other, minutes, listing_id) from a valid form, or None with
    errors set."""
    other = _counterpart(form, membership)
    minutes = minutes_of(form)
    listing_id = listing_id_of(form.listing.data)
    mine = own_account(membership)
    gave = form.direction.data == "gave"
    giver, receiver = (mine, other) if gave else (other, mine)
    # Check the amount, the date and the listing here too, so that every mistake shows
    # at once (the ledger stops at the first one).
    bank = membership.time_bank
    policy = rules.Policy.of(bank)
    checks: list[Callable[[], object]] = [
        lambda: rules.validate_service_date(form.service_date.data, today_in(bank.timezone), policy)
    ]
    if minutes is not None:
        checks.append(lambda: rules.validate_minutes(minutes, policy))
    if listing_id is not None and other is not None:
        answering_giver, answering_receiver = (mine, other) if gave else (other, mine)
        checks.append(
            lambda: check_answer(
                db.session(),
                time_bank_id=bank.id,
                listing_id=listing_id,
                giver=answering_giver,
                receiver=answering_receiver,
            )
        )
    failed = False
    for check in checks:
        try:
            check()
        except LedgerError as error:
            put_error(form, error)
            failed = True
    if other is None or minutes is None or failed:
        return None
    return giver, receiver, other, minutes, listing_id


def record_entry(membership: Membership, form, entry, key: str | None) -> Transfer:
    giver, receiver, _other, minutes, listing_id = entry
    return record_answering(
        db.session(),
        actor=membership,
        giver=giver,
        receiver=receiver,
        listing_id=listing_id,
        minutes=minutes,
        service_date=form.service_date.data,
        description=form.description.data or "",
        category=form.category.data or None,
        idempotency_key=key,
    )


def rehearse_entry(membership: Membership, form, entry) -> dict | None:
    """Record the entry and roll it back: every rule of the ledger is checked with its
    own words, and we learn what would happen to it, without writing anything."""
    try:
        transfer = record_entry(membership, form, entry, None)
        return {
            "posts_now": transfer.status == TransferStatus.POSTED,
            "needs_confirmation": transfer.needs_confirmation,
            "needs_approval": transfer.needs_approval,
        }
    except LedgerError as error:
        put_error(form, error, own_account_id=own_account(membership).id)
        return None
    finally:
        db.session.rollback()
