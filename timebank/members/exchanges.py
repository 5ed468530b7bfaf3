"""A member's daily journey: log an exchange (with a review step), confirm or dispute
one the other person logged, and donate hours to the community pot.

Routes join the ``members`` blueprint (imported at the bottom of views.py)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import aliased, joinedload

from timebank.extensions import db
from timebank.i18n import ledger_message
from timebank.ledger import rules
from timebank.ledger.clock import today_in
from timebank.ledger.errors import LedgerError
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
from timebank.ledger.rules import Counters, format_minutes
from timebank.ledger.transfers import (
    confirm_transfer,
    find_by_idempotency_key,
    record_transfer,
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
}
CARRIED = (
    "direction",
    "counterpart",
    "hours",
    "minutes",
    "service_date",
    "category",
    "description",
    "idempotency_key",
)
EXPIRED = "This page was open too long, so nothing was saved. Please check and send it again."


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


def hour_choices(bank: TimeBank, top_minutes: int | None = None) -> list[tuple[str, str]]:
    top = max((top_minutes or bank.max_minutes_per_transfer) // 60, 1)
    return [(str(h), f"{h} h") for h in range(0, top + 1)]


def minute_choices(bank: TimeBank) -> list[tuple[str, str]]:
    step = bank.minute_step or 15
    return [(str(m), f"{m} min") for m in range(0, 60, step)]


def minutes_of(form) -> int | None:
    try:
        return int(form.hours.data or 0) * 60 + int(form.minutes.data or 0)
    except (TypeError, ValueError):
        form.hours.errors = [*form.hours.errors, "Choose the hours and minutes from the lists."]
        return None


def member_choices(bank_id: int, own_account_id: int) -> list[tuple[str, str]]:
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
    return [(str(row.id), row.display_name) for row in rows]


def category_choices(bank_id: int) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Category.slug, Category.name)
        .where(Category.time_bank_id == bank_id, Category.active.is_(True))
        .order_by(Category.name)
    )
    return [("", "Not sure, or none of these")] + [(row.slug, row.name) for row in rows]


def _log_form(membership: Membership) -> LogExchangeForm:
    bank = membership.time_bank
    form = LogExchangeForm()
    others = member_choices(bank.id, membership.account.id)
    form.counterpart.choices = [("", "Choose a name"), *others]
    form.hours.choices = hour_choices(bank)
    form.minutes.choices = minute_choices(bank)
    form.category.choices = category_choices(bank.id)
    if request.method == "GET":
        form.service_date.data = today_in(bank.timezone)
    if not form.idempotency_key.data:
        form.idempotency_key.data = str(uuid.uuid4())
    return form


def _counterpart(form, membership: Membership) -> Account | None:
    unknown = "We could not find that person in your time bank. Choose a name from the list."
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
    """(giver, receiver, other, minutes) from a valid form, or None with errors set."""
    other = _counterpart(form, membership)
    minutes = minutes_of(form)
    # Check the amount and the date here too, so that every mistake shows at once (the
    # ledger stops at the first one).
    bank = membership.time_bank
    policy = rules.Policy.of(bank)
    checks = [
        lambda: rules.validate_service_date(form.service_date.data, today_in(bank.timezone), policy)
    ]
    if minutes is not None:
        checks.append(lambda: rules.validate_minutes(minutes, policy))
    failed = False
    for check in checks:
        try:
            check()
        except LedgerError as error:
            _put_error(form, error)
            failed = True
    if other is None or minutes is None or failed:
        return None
    mine = membership.account
    gave = form.direction.data == "gave"
    giver, receiver = (mine, other) if gave else (other, mine)
    return giver, receiver, other, minutes


def _record(membership: Membership, form, entry, key: str | None) -> Transfer:
    giver, receiver, _, minutes = entry
    return record_transfer(
        db.session,
        actor=membership,
        giver=giver,
        receiver=receiver,
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
        _, _, other, minutes = entry
        gave = form.direction.data == "gave"
        category = dict(form.category.choices).get(form.category.data) if form.category.data else ""
        return render_template(
            "members/log_review.html",
            form=form,
            carried={name: request.form.get(name, "") for name in CARRIED},
            other_name=other.label,
            gave=gave,
            minutes=minutes,
            category=category,
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
        return "Done — added to both balances."
    if transfer.status == TransferStatus.REJECTED:
        return "Not accepted, so nothing was added to either balance."
    if transfer.needs_confirmation and transfer.confirmed_at is None:
        waiting = (
            "Waiting for you to confirm."
            if transfer.recorded_by_id != mine.id
            else f"Waiting for {other_name} to confirm."
        )
        if transfer.needs_approval and transfer.approved_at is None:
            waiting += " After that, a coordinator approves it."
        return waiting
    return "Waiting for a coordinator to approve."


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
    return render_template(
        "members/log_status.html",
        transfer=transfer,
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


@bp.app_context_processor
def _exchange_helpers():
    return {"exchanges_waiting_for": waiting_for}


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
        flash(f"Thank you. The exchange with {name} is confirmed and added to both balances.")
    elif status is not None:
        flash(
            f"Thank you. The exchange with {name} is confirmed."
            " It now waits for a coordinator to approve it."
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
        f"You said the entry with {name} is not right. {name} has been told, with your"
        " reason. Nothing was added to either balance."
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
                    flash(f"Thank you. You gave {format_minutes(given)} to the community pot.")
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
