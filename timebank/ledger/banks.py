"""Setting up a time bank: the bank and its policies, its categories, memberships and
organisations with their accounts, and the bank's own pot and equity accounts.
(People themselves are the community's: ``timebank.community.people``.)
Services flush and never commit."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from timebank.ledger import errors
from timebank.ledger.audit import append_audit, start_chain
from timebank.ledger.models import (
    Account,
    AccountKind,
    Category,
    MemberKind,
    Membership,
    MembershipStatus,
    Organisation,
    Person,
    Role,
    TimeBank,
    Transfer,
    sort_name_of,
)

DEFAULT_CATEGORIES: list[tuple[str, str, bool]] = [
    ("care", "Care and companionship", False),
    ("personal-care", "Personal care", True),
    ("peer-support", "Mental-health peer support", True),
    ("children", "Children and families", False),
    ("neighbourhood", "Neighbourhood help", False),
    ("practical", "Practical help and DIY", False),
    ("gardening", "Gardening", False),
    ("transport", "Lifts and transport", False),
    ("learning", "Learning and skills", False),
    ("digital", "Computers and phones", False),
    ("civic", "Civic and community work", False),
    ("admin", "Admin and paperwork", False),
]

POLICY_FIELDS = (
    "floor_minutes",
    "cap_minutes",
    "requires_confirmation",
    "requires_approval",
    "accepts_applications",
    "auto_approve_max_minutes",
    "max_minutes_per_transfer",
    "max_backdate_days",
    "minute_step",
    "replacement_rate_pence",
    "report_threshold",
    "own_exchanges_need_another_coordinator",
    "two_step_required_for_staff",
    "timezone",
    "group_credit_rule",
)

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _policy_of(bank: TimeBank) -> dict[str, Any]:
    return {field: getattr(bank, field) for field in POLICY_FIELDS}


def validate_policy(values: dict[str, Any]) -> None:
    """Check policy values before they reach the database's own checks."""
    floor = values.get("floor_minutes")
    cap = values.get("cap_minutes")
    if floor is not None and floor > 0:
        raise errors.InvalidPolicyError(
            "The credit floor must be zero or below.", field="floor_minutes"
        )
    if cap is not None and cap <= 0:
        raise errors.InvalidPolicyError("The cap must be above zero.", field="cap_minutes")
    for field, low in (
        ("max_minutes_per_transfer", 1),
        ("max_backdate_days", 0),
        ("auto_approve_max_minutes", 0),
        ("replacement_rate_pence", 0),
        ("report_threshold", 3),
    ):
        value = values.get(field)
        if value is not None and (not isinstance(value, int) or value < low):
            raise errors.InvalidPolicyError(
                "%(setting)s must be a whole number of at least %(low)s.",
                field=field,
                setting=field,
                low=low,
            )
    step = values.get("minute_step")
    if step is not None and not (isinstance(step, int) and 1 <= step <= 60):
        raise errors.InvalidPolicyError(
            "The step must be between 1 and 60 minutes.", field="minute_step"
        )
    own = values.get("own_exchanges_need_another_coordinator")
    if own is not None and not isinstance(own, bool):
        raise errors.InvalidPolicyError(
            "Choose who approves a coordinator's own exchanges.",
            field="own_exchanges_need_another_coordinator",
        )
    two_step = values.get("two_step_required_for_staff")
    if two_step is not None and not isinstance(two_step, bool):
        raise errors.InvalidPolicyError(
            "Choose whether coordinators and partners must use two-step sign-in.",
            field="two_step_required_for_staff",
        )
    rule = values.get("group_credit_rule")
    if rule is not None and rule not in ("each", "session"):
        raise errors.InvalidPolicyError(
            "Choose how a workshop's leader is credited.", field="group_credit_rule"
        )
    timezone = values.get("timezone")
    if timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise errors.InvalidPolicyError(
                "Unknown time zone %(timezone)s.", field="timezone", timezone=repr(timezone)
            ) from error


def create_time_bank(
    session: Session,
    *,
    name: str,
    slug: str,
    with_default_categories: bool = True,
    **policy: Any,
) -> TimeBank:
    """Create a time bank with its community pot, its audit chain and default categories."""
    name = (name or "").strip()
    if not name:
        raise errors.InvalidPolicyError("Give the time bank a name.", field="name")
    if not SLUG_PATTERN.match(slug or ""):
        raise errors.InvalidPolicyError(
            "The short name may hold only lower-case letters, digits and single hyphens.",
            field="slug",
        )
    unknown = set(policy) - set(POLICY_FIELDS)
    if unknown:
        raise errors.InvalidPolicyError(
            "Unknown policy settings: %(names)s.", names=", ".join(sorted(unknown))
        )
    validate_policy(policy)
    if session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == slug)) is not None:
        raise errors.DuplicateError(f"A time bank called {slug!r} already exists.", field="slug")
    bank = TimeBank(name=name, slug=slug, **policy)
    session.add(bank)
    session.flush()
    # The ORM sends a column's default in place of an explicit None on INSERT; "no
    # floor" (None) must stay None.
    for field, value in policy.items():
        if value is None and getattr(bank, field) is not None:
            setattr(bank, field, None)
    session.flush()
    start_chain(session, bank.id)
    session.add(Account(time_bank_id=bank.id, kind=AccountKind.POT))
    if with_default_categories:
        for category_slug, category_name, sensitive in DEFAULT_CATEGORIES:
            session.add(
                Category(
                    time_bank_id=bank.id,
                    slug=category_slug,
                    name=category_name,
                    is_sensitive=sensitive,
                )
            )
    session.flush()
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=None,
        action="time_bank.created",
        entity_type="time_bank",
        entity_id=bank.id,
        after={"name": bank.name, "slug": bank.slug, **_policy_of(bank)},
    )
    return bank


def update_policy(
    session: Session, *, actor: Membership | None, bank: TimeBank, **changes: Any
) -> TimeBank:
    """Change policy settings; the audit log keeps the values before and after."""
    if actor is not None and (actor.time_bank_id != bank.id or not actor.is_coordinator):
        raise errors.NotAllowedError("Only a coordinator of this time bank can change it.")
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise errors.InvalidPolicyError(
            "Unknown policy settings: %(names)s.", names=", ".join(sorted(unknown))
        )
    validate_policy(changes)
    before = _policy_of(bank)
    for field, value in changes.items():
        setattr(bank, field, value)
    session.flush()
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=actor,
        action="time_bank.policy_changed",
        entity_type="time_bank",
        entity_id=bank.id,
        before=before,
        after=_policy_of(bank),
    )
    return bank


def add_membership(
    session: Session,
    *,
    actor: Membership | None,
    bank: TimeBank,
    person: Person,
    role: Role = Role.MEMBER,
    kind: MemberKind = MemberKind.PARTICIPANT,
    status: MembershipStatus = MembershipStatus.ACTIVE,
    consent_reporting: bool = False,
    consent_research: bool = False,
) -> Membership:
    """Add a person to a time bank: a member or coordinator with an account of their
    own, a partner (reports only) with none."""
    if actor is not None and (actor.time_bank_id != bank.id or not actor.is_coordinator):
        raise errors.NotAllowedError("Only a coordinator of this time bank can add members.")
    existing = session.scalar(
        sa.select(Membership.id).where(
            Membership.person_id == person.id, Membership.time_bank_id == bank.id
        )
    )
    if existing is not None:
        raise errors.DuplicateError("That person is already a member of this time bank.")
    membership = Membership(
        person=person,
        time_bank_id=bank.id,
        sort_name=sort_name_of(person.display_name),
        role=role,
        kind=kind,
        status=status,
        consent_reporting=consent_reporting,
        consent_research=consent_research,
    )
    session.add(membership)
    session.flush()
    if role != Role.PARTNER:
        open_member_account(session, membership)
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=actor,
        action="membership.created",
        entity_type="membership",
        entity_id=membership.id,
        after={"person_id": person.id, "role": str(role), "kind": str(kind), "status": str(status)},
    )
    return membership


def open_member_account(session: Session, membership: Membership) -> Account:
    """The membership's own account, opened now if it has none (a new member, or a
    partner who becomes a member)."""
    account = session.scalar(sa.select(Account).where(Account.membership_id == membership.id))
    if account is None:
        account = Account(
            time_bank_id=membership.time_bank_id,
            kind=AccountKind.MEMBER,
            membership_id=membership.id,
        )
        session.add(account)
        session.flush()
        session.refresh(membership, ["account"])
    return account


def close_unused_account(session: Session, membership: Membership) -> None:
    """Remove the account of a membership that becomes a partner's. Only an account
    that no transfer has ever touched (so it holds and held nothing) can go: the
    ledger never loses an hour, and its history stays with whoever it belongs to.
    Raises AccountInUseError otherwise."""
    account = session.scalar(
        sa.select(Account)
        .where(Account.membership_id == membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if account is None:
        return
    used = session.scalar(
        sa.select(Transfer.id)
        .where(
            sa.or_(
                Transfer.debit_account_id == account.id,
                Transfer.credit_account_id == account.id,
            )
        )
        .limit(1)
    )
    counters = (
        account.posted_debits,
        account.posted_credits,
        account.pending_debits,
        account.pending_credits,
    )
    if used is not None or any(counters):
        raise errors.AccountInUseError(
            "%(name)s has time recorded in this time bank, so cannot become a partner:"
            " a partner holds no account, and this one's history must stay.",
            field="role",
            name=membership.person.display_name,
        )
    session.delete(account)
    session.flush()
    session.refresh(membership, ["account"])


def create_organisation(
    session: Session,
    *,
    actor: Membership | None,
    bank: TimeBank,
    name: str,
    external_ref: str | None = None,
) -> Organisation:
    """Add an organisation with its account. ``external_ref`` is its id in the software
    the time bank moved from (TimeOverflow "Organization" rows are matched on it)."""
    if actor is not None and (actor.time_bank_id != bank.id or not actor.is_coordinator):
        raise errors.NotAllowedError("Only a coordinator can add organisations.")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise errors.InvalidPolicyError("Give the organisation a name.", field="name")
    if (
        session.scalar(
            sa.select(Organisation.id).where(
                Organisation.time_bank_id == bank.id, Organisation.name == name
            )
        )
        is not None
    ):
        raise errors.DuplicateError(
            "An organisation with that name already exists here.", field="name"
        )
    external_ref = (external_ref or "").strip() or None
    if external_ref is not None and (
        len(external_ref) > 80
        or session.scalar(
            sa.select(Organisation.id).where(
                Organisation.time_bank_id == bank.id, Organisation.external_ref == external_ref
            )
        )
        is not None
    ):
        raise errors.DuplicateError(
            "Another organisation here already has that reference (or it is over 80 characters).",
            field="external_ref",
        )
    organisation = Organisation(time_bank_id=bank.id, name=name, external_ref=external_ref)
    session.add(organisation)
    session.flush()
    session.add(
        Account(
            time_bank_id=bank.id, kind=AccountKind.ORGANISATION, organisation_id=organisation.id
        )
    )
    session.flush()
    append_audit(
        session,
        time_bank_id=bank.id,
        actor=actor,
        action="organisation.created",
        entity_type="organisation",
        entity_id=organisation.id,
        after={"name": name},
    )
    return organisation


def get_pot_account(session: Session, time_bank_id: int) -> Account:
    return session.scalars(
        sa.select(Account).where(
            Account.time_bank_id == time_bank_id, Account.kind == AccountKind.POT
        )
    ).one()


def find_equity_account(session: Session, time_bank_id: int) -> Account | None:
    return session.scalar(
        sa.select(Account).where(
            Account.time_bank_id == time_bank_id, Account.kind == AccountKind.EQUITY
        )
    )


def get_equity_account(
    session: Session, time_bank_id: int, *, actor: Membership | None = None
) -> Account:
    """The account opposite imported opening balances, created when first needed (with
    an audit entry: call it after locking the accounts the operation needs, since the
    entry takes the chain head, which comes last in the lock order)."""
    account = find_equity_account(session, time_bank_id)
    if account is None:
        account = Account(time_bank_id=time_bank_id, kind=AccountKind.EQUITY)
        session.add(account)
        session.flush()
        append_audit(
            session,
            time_bank_id=time_bank_id,
            actor=actor,
            action="account.created",
            entity_type="account",
            entity_id=account.id,
            after={"kind": str(AccountKind.EQUITY)},
        )
    return account


def get_category(session: Session, time_bank_id: int, slug: str) -> Category:
    category = session.scalar(
        sa.select(Category).where(Category.time_bank_id == time_bank_id, Category.slug == slug)
    )
    if category is None or not category.active:
        raise errors.UnknownCategoryError("Choose one of this time bank's categories.")
    return category
