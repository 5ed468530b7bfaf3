"""A member's daily journey: log an exchange (with a review step), confirm or dispute
one the other person logged, and donate hours to the community pot.

Routes join the ``members`` blueprint (imported at the bottom of views.py)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import aliased, joinedload
from wtforms.fields.choices import SelectChoice

from timebank.extensions import db
from timebank.filters import hours
from timebank.i18n import ledger_message
from timebank.ledger import rules
from timebank.ledger.clock import today_in
from timebank.ledger.community_models import Listing
from timebank.ledger.errors import LedgerError
from timebank.ledger.listing_exchanges import (
    check_answer,
    listing_answered,
    listing_time,
    record_answering,
)
from timebank.ledger.models import (
    Account,
    AccountKind,
    Category,
    Membership,
    MembershipStatus,
    Person,
    TimeBank,
    Transfer,
    TransferStatus,
)
from timebank.ledger.notifications import Kind, notify_transfer_outcome
from timebank.ledger.pot import donate_to_pot
from timebank.ledger.rules import Counters
from timebank.ledger.transfers import (
    confirm_transfer,
    find_by_idempotency_key,
    reject_transfer,
)
from timebank.members.forms import DisputeForm, DonateForm, LogExchangeForm
from timebank.members.views import bp
from timebank.web import perform

# The ledger's field names -> this form's (the amount error sits by the hours).
REMAP = {
    "minutes": "hours",
    "service_date": "service_date",
    "counterpart": "counterpart",
    "category": "category",
    "description": "description",
    "listing": "listing",
}
CARRIED = (
    "direction",
    "counterpart",
    "hours",
    "minutes",
    "service_date",
    "listing",
    "category",
    "description",
    "idempotency_key",
)
EXPIRED = _l("This page was open too long, so nothing was saved. Please check and send it again.")


# Helpers ------------------------------------------------------------------------------


def _membership() -> Membership:
    membership = current_user.current_membership()
    if membership is None or membership.account is None:
        abort(redirect(url_for("members.dashboard")))
    return membership


def problems(form) -> list[tuple[str, str]]:
    """(anchor, message) for the error summary, in the order of the form."""
    out = []
    for field in form:
        if not field.errors:
            continue
        if field.type == "CSRFTokenField":
            out.append(("", EXPIRED))
        elif field.type == "RadioField":
            out.append((f"{field.id}-0", field.errors[0]))
        else:
            out.append((field.id, field.errors[0]))
    out.extend(("", message) for message in form.form_errors)
    return out


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
    try:
        return int(form.hours.data or 0) * 60 + int(form.minutes.data or 0)
    except (TypeError, ValueError):
        form.hours.errors = [*form.hours.errors, _("Choose the hours and minutes from the lists.")]
        return None


def member_choices(bank_id: int, own_account_id: int) -> list[SelectChoice]:
    """The other active members of the bank, by name (names only)."""
    rows = db.session.execute(
        sa.select(Account.id, Person.display_name)
        .join(Membership, Membership.id == Account.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Account.time_bank_id == bank_id,
            Account.kind == AccountKind.MEMBER,
            Account.id != own_account_id,
            Membership.status == MembershipStatus.ACTIVE,
        )
        .order_by(Person.display_name, Account.id)
    )
    return [SelectChoice(str(row.id), row.display_name) for row in rows]


def category_choices(bank_id: int) -> list[SelectChoice]:
    rows = db.session.execute(
        sa.select(Category.slug, Category.name)
        .where(Category.time_bank_id == bank_id, Category.active.is_(True))
        .order_by(Category.name)
    )
    return [SelectChoice("", _("Not sure, or none of these"))] + [
        SelectChoice(row.slug, row.name) for row in rows
    ]


def listing_id_of(value: object) -> int | None:
    """The listing chosen in the form: None for none, 0 for something unreadable or out
    of range (the ledger then finds no such listing and says so)."""
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        return 0
    return number if 0 < number < 2**31 else 0


def may_see(listing: Listing, membership: Membership) -> bool:
    """Whether this member may open the listing's page (as ``listing_show`` decides)."""
    if listing.membership_id == membership.id or membership.is_coordinator:
        return True
    today = today_in(membership.time_bank.timezone)
    return listing.status == "active" and not (
        listing.expires_on is not None and listing.expires_on < today
    )


def listing_choices(membership: Membership, also: int | None = None) -> list[SelectChoice]:
    """My own active and paused offers and requests, and the listing ``also`` (the one
    the page was opened from) if I may see it: one query."""
    mine = sa.and_(Listing.membership_id == membership.id, Listing.status.in_(("active", "paused")))
    rows = db.session.execute(
        sa.select(Listing, Person.display_name)
        .join(Membership, Membership.id == Listing.membership_id)
        .join(Person, Person.id == Membership.person_id)
        .where(
            Listing.time_bank_id == membership.time_bank_id,
            sa.or_(mine, Listing.id == also) if also else mine,
        )
        .order_by(Listing.kind, Listing.title, Listing.id)
    ).all()
    choices: list[SelectChoice] = []
    for listing, author in rows:
        if listing.membership_id == membership.id:
            if listing.kind == "offer":
                label = _("Your offer: %(title)s", title=listing.title)
            else:
                label = _("Your request: %(title)s", title=listing.title)
        elif not may_see(listing, membership):
            continue
        elif listing.kind == "offer":
            label = _("Offer by %(name)s: %(title)s", name=author, title=listing.title)
        else:
            label = _("Request by %(name)s: %(title)s", name=author, title=listing.title)
        # The listing the page was opened from comes first.
        choices.insert(
            0 if listing.id == also else len(choices), SelectChoice(str(listing.id), label)
        )
    return [SelectChoice("", _("Nothing in particular")), *choices]


def _from_listing(form, membership: Membership, others: list[SelectChoice]) -> int | None:
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
    if listing.membership_id != membership.id:
        author = db.session.scalar(
            sa.select(Account.id).where(Account.membership_id == listing.membership_id)
        )
        if author is not None and any(choice.value == str(author) for choice in others):
            form.counterpart.data = str(author)
    return listing.id


def _log_form(membership: Membership) -> LogExchangeForm:
    bank = membership.time_bank
    form = LogExchangeForm()
    others = member_choices(bank.id, membership.account.id)
    form.counterpart.choices = [SelectChoice("", _("Choose a name")), *others]
    form.hours.choices = hour_choices(bank)
    form.minutes.choices = minute_choices(bank)
    form.category.choices = category_choices(bank.id)
    if request.method == "GET":
        form.service_date.data = today_in(bank.timezone)
        also = _from_listing(form, membership, others)
    else:
        also = listing_id_of(form.listing.data)
    form.listing.choices = listing_choices(membership, also)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    return form


def _counterpart(form, membership: Membership) -> Account | None:
    unknown = _("We could not find that person in your time bank. Choose a name from the list.")
    try:
        account = db.session.get(Account, int(form.counterpart.data))
    except (TypeError, ValueError):
        account = None
    if (
        account is None
        or account.time_bank_id != membership.time_bank_id
        or account.kind != AccountKind.MEMBER
    ):
        form.counterpart.errors = [*form.counterpart.errors, unknown]
        return None
    return account


def _put_error(form, error: LedgerError) -> None:
    name = REMAP.get(error.field or "", error.field)
    if name and name in form._fields:
        form._fields[name].errors = [*form._fields[name].errors, ledger_message(error)]
    else:
        form.form_errors.append(ledger_message(error))


def _entry(form, membership: Membership):
    """(giver, receiver, other, minutes, listing_id) from a valid form, or None with
    errors set."""
    other = _counterpart(form, membership)
    minutes = minutes_of(form)
    listing_id = listing_id_of(form.listing.data)
    mine = membership.account
    gave = form.direction.data == "gave"
    giver, receiver = (mine, other) if gave else (other, mine)
    # Check the amount, the date and the listing here too, so that every mistake shows
    # at once (the ledger stops at the first one).
    bank = membership.time_bank
    policy = rules.Policy.of(bank)
    checks = [
        lambda: rules.validate_service_date(form.service_date.data, today_in(bank.timezone), policy)
    ]
    if minutes is not None:
        checks.append(lambda: rules.validate_minutes(minutes, policy))
    if listing_id is not None and other is not None:
        checks.append(
            lambda: check_answer(
                db.session,
                time_bank_id=bank.id,
                listing_id=listing_id,
                giver=giver,
                receiver=receiver,
            )
        )
    failed = False
    for check in checks:
        try:
            check()
        except LedgerError as error:
            _put_error(form, error)
            failed = True
    if other is None or minutes is None or failed:
        return None
    return giver, receiver, other, minutes, listing_id


def _record(membership: Membership, form, entry, key: str | None) -> Transfer:
    giver, receiver, _other, minutes, listing_id = entry
    return record_answering(
        db.session,
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


def _rehearse(membership: Membership, form, entry) -> dict | None:
    """Record the entry and roll it back: every rule of the ledger is checked with its
    own words, and we learn what would happen to it, without writing anything."""
    try:
        transfer = _record(membership, form, entry, None)
        return {
            "posts_now": transfer.status == TransferStatus.POSTED,
            "needs_confirmation": transfer.needs_confirmation,
            "needs_approval": transfer.needs_approval,
        }
    except LedgerError as error:
        _put_error(form, error)
        return None
    finally:
        db.session.rollback()


def _render_form(membership, form, status=200):
    return (
        render_template(
            "members/log_exchange.html",
            form=form,
            problems=problems(form),
            bank=membership.time_bank,
        ),
        status,
    )


# Log an exchange ----------------------------------------------------------------------


@bp.route("/log", methods=["GET", "POST"])
@login_required
def log_exchange():
    membership = _membership()
    form = _log_form(membership)
    if request.method == "GET" or request.form.get("action") == "change":
        return _render_form(membership, form)
    if not form.validate():
        return _render_form(membership, form, 422)
    entry = _entry(form, membership)
    if entry is None:
        return _render_form(membership, form, 422)
    key = (form.idempotency_key.data or "")[:80] or None

    if request.form.get("action") != "record":
        outcome = _rehearse(membership, form, entry)
        if outcome is None:
            return _render_form(membership, form, 422)
        membership = _membership()
        counters = Counters.of(membership.account)
        _giver, _receiver, other, minutes, listing_id = entry
        gave = form.direction.data == "gave"
        category = label_of(form.category) if form.category.data else ""
        answers = label_of(form.listing) if listing_id else ""
        return render_template(
            "members/log_review.html",
            form=form,
            carried={name: request.form.get(name, "") for name in CARRIED},
            other_name=other.label,
            gave=gave,
            minutes=minutes,
            category=category,
            answers=answers,
            counters=counters,
            after=counters.balance + (minutes if gave else -minutes),
            outcome=outcome,
            bank=membership.time_bank,
        )

    bank_id = membership.time_bank_id

    def work():
        first_time = key is None or find_by_idempotency_key(db.session, bank_id, key) is None
        transfer = _record(membership, form, entry, key)
        if first_time and transfer.status == TransferStatus.PENDING and transfer.needs_confirmation:
            notify_transfer_outcome(db.session, [transfer], kind=Kind.TO_CONFIRM, skip=membership)
        return transfer.id

    transfer_id = perform(work, form, remap=REMAP)
    if transfer_id is None:
        return _render_form(_membership(), form, 422)
    return redirect(url_for("members.exchange_status", transfer_id=transfer_id))


def _my_transfer(membership: Membership, transfer_id: int) -> Transfer:
    """A transfer with my account on one side, else 404 (never 403)."""
    transfer = db.session.get(Transfer, transfer_id)
    mine = membership.account.id
    if (
        transfer is None
        or transfer.time_bank_id != membership.time_bank_id
        or mine not in (transfer.debit_account_id, transfer.credit_account_id)
    ):
        abort(404)
    return transfer


def next_step(transfer: Transfer, other_name: str, mine: Membership) -> str:
    """What happens next to an entry, in plain words."""
    if transfer.status == TransferStatus.POSTED:
        return _("Done — added to both balances.")
    if transfer.status == TransferStatus.REJECTED:
        return _("Not accepted, so nothing was added to either balance.")
    if transfer.needs_confirmation and transfer.confirmed_at is None:
        then_approved = transfer.needs_approval and transfer.approved_at is None
        if transfer.recorded_by_id != mine.id:
            if then_approved:
                return _("Waiting for you to confirm. After that, a coordinator approves it.")
            return _("Waiting for you to confirm.")
        if then_approved:
            return _(
                "Waiting for %(name)s to confirm. After that, a coordinator approves it.",
                name=other_name,
            )
        return _("Waiting for %(name)s to confirm.", name=other_name)
    return _("Waiting for a coordinator to approve.")


@bp.get("/log/<int:transfer_id>")
@login_required
def exchange_status(transfer_id: int):
    membership = _membership()
    transfer = _my_transfer(membership, transfer_id)
    mine = membership.account
    gave = transfer.credit_account_id == mine.id
    other = db.session.get(
        Account, transfer.debit_account_id if gave else transfer.credit_account_id
    )
    answers = listing_answered(db.session, transfer.id)
    return render_template(
        "members/log_status.html",
        transfer=transfer,
        answers=answers,
        answers_url=(
            url_for("members.listing_show", listing_id=answers.id)
            if answers is not None and may_see(answers, membership)
            else None
        ),
        gave=gave,
        other_name=other.label,
        next_step=next_step(transfer, other.label, membership),
        counters=Counters.of(mine),
        bank=membership.time_bank,
    )


# Confirm or dispute -------------------------------------------------------------------


def waiting_for(membership: Membership | None, limit: int = 50) -> list[dict]:
    """Entries the other person recorded that wait for my confirmation (one query)."""
    if membership is None or membership.account is None:
        return []
    mine = membership.account.id
    other = aliased(Account)
    rows = (
        db.session.execute(
            sa.select(Transfer, other)
            .join(
                other,
                other.id
                == sa.case(
                    (Transfer.debit_account_id == mine, Transfer.credit_account_id),
                    else_=Transfer.debit_account_id,
                ),
            )
            .where(
                Transfer.time_bank_id == membership.time_bank_id,
                Transfer.status == TransferStatus.PENDING,
                Transfer.needs_confirmation.is_(True),
                Transfer.confirmed_at.is_(None),
                Transfer.recorded_by_id != membership.id,
                sa.or_(Transfer.debit_account_id == mine, Transfer.credit_account_id == mine),
            )
            .options(
                joinedload(Transfer.category),
                joinedload(other.membership).joinedload(Membership.person),
                joinedload(other.organisation),
            )
            .order_by(Transfer.service_date, Transfer.id)
            .limit(limit)
        )
        .unique()
        .all()
    )
    return [
        {
            "transfer": transfer,
            "other_name": account.label,
            "i_gave": transfer.credit_account_id == mine,
        }
        for transfer, account in rows
    ]


def time_answering(time_bank_id: int, listing_id: int):
    """The exchanges that answer a listing, counted and summed (for its page)."""
    return listing_time(db.session, time_bank_id, listing_id)


@bp.app_context_processor
def _exchange_helpers():
    return {"exchanges_waiting_for": waiting_for, "time_answering": time_answering}


def _render_confirm(membership, failed: DisputeForm | None = None, failed_id=None, status=200):
    entries = waiting_for(membership)
    for entry in entries:
        tid = entry["transfer"].id
        entry["dispute"] = failed if failed is not None and tid == failed_id else _dispute_form(tid)
    return (
        render_template(
            "members/confirm.html",
            entries=entries,
            problems=problems(failed) if failed is not None else [],
            bank=membership.time_bank,
        ),
        status,
    )


def _dispute_form(transfer_id: int) -> DisputeForm:
    # One form per entry on the page, so each gets its own field ids. The app-wide
    # CSRFProtect checks the token (it reads the plain csrf_token field) before any view.
    return DisputeForm(prefix=f"t{transfer_id}", meta={"csrf": False})


@bp.get("/confirm")
@login_required
def confirm_list():
    return _render_confirm(_membership())


def _other_name(transfer: Transfer, membership: Membership) -> str:
    mine = membership.account.id
    other_id = (
        transfer.debit_account_id
        if transfer.credit_account_id == mine
        else (transfer.credit_account_id)
    )
    return db.session.get(Account, other_id).label


@bp.post("/confirm/<int:transfer_id>")
@login_required
def confirm(transfer_id: int):
    membership = _membership()
    transfer = _my_transfer(membership, transfer_id)
    name = _other_name(transfer, membership)

    def work():
        done = confirm_transfer(db.session, actor=membership, transfer_id=transfer_id)
        if done.status == TransferStatus.POSTED:
            notify_transfer_outcome(db.session, [done], kind=Kind.POSTED, skip=membership)
        return done.status

    status = perform(work)
    if status == TransferStatus.POSTED:
        flash(
            _(
                "Thank you. The exchange with %(name)s is confirmed and added to both balances.",
                name=name,
            )
        )
    elif status is not None:
        flash(
            _(
                "Thank you. The exchange with %(name)s is confirmed. It now waits for a"
                " coordinator to approve it.",
                name=name,
            )
        )
    return redirect(url_for("members.confirm_list"))


@bp.post("/dispute/<int:transfer_id>")
@login_required
def dispute(transfer_id: int):
    membership = _membership()
    transfer = _my_transfer(membership, transfer_id)
    name = _other_name(transfer, membership)
    form = _dispute_form(transfer_id)
    if not form.validate_on_submit():
        return _render_confirm(membership, form, transfer_id, 422)
    reason = form.reason.data

    def work():
        rejected = reject_transfer(
            db.session, actor=membership, transfer_id=transfer_id, reason=reason
        )
        notify_transfer_outcome(
            db.session, rejected, kind=Kind.REJECTED, reason=reason.strip(), skip=membership
        )
        return True

    if perform(work, form, remap={"reason": "reason"}) is None:
        if form.errors:
            return _render_confirm(_membership(), form, transfer_id, 422)
        return redirect(url_for("members.confirm_list"))
    flash(
        _(
            "You said the entry with %(name)s is not right. %(name)s has been told, with your"
            " reason. Nothing was added to either balance.",
            name=name,
        )
    )
    return redirect(url_for("members.confirm_list"))


# Donate to the community pot ----------------------------------------------------------


@bp.route("/donate", methods=["GET", "POST"])
@login_required
def donate():
    membership = _membership()
    bank = membership.time_bank
    form = DonateForm()
    form.hours.choices = hour_choices(bank)
    form.minutes.choices = minute_choices(bank)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            minutes = minutes_of(form)
            if minutes is not None:
                key = (form.idempotency_key.data or "")[:80] or None

                def work():
                    done = donate_to_pot(
                        db.session,
                        actor=membership,
                        donor=membership.account,
                        minutes=minutes,
                        description=form.description.data or "",
                        idempotency_key=key,
                    )
                    return done.minutes

                given = perform(work, form, remap={"minutes": "hours"})
                if given is not None:
                    flash(
                        _(
                            "Thank you. You gave %(time)s to the community pot.",
                            time=hours(given),
                        )
                    )
                    return redirect(url_for("members.dashboard"))
        membership = _membership()
    available = max(Counters.of(membership.account).lowest_possible, 0)
    return (
        render_template(
            "members/donate.html",
            form=form,
            problems=problems(form),
            available=available,
            bank=membership.time_bank,
        ),
        status,
    )
